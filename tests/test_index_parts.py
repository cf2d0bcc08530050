"""The index's parts without a model: the manifest, the SQLite store, FAISS and BM25 helpers. Builds
(which annotate sentences with spaCy) are in test_index.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag.corpus import make_document
from rag.errors import IndexMismatchError
from rag.index import MANIFEST, read_manifest
from rag.index.bm25 import idf, open_bm25, search_bm25, write_bm25
from rag.index.dense import build_dense, ivf_lists, resolve_kind, search_dense
from rag.index.manifest import FORMAT_VERSION, BuildSettings, Counts, Manifest
from rag.index.store import (
    SENTENCE_COLUMNS,
    ChunkRecord,
    DocumentRecord,
    SentenceRecord,
    Store,
    write_store,
)
from rag.settings import EmbeddingBackend, IndexKind, SentenceVectors, Settings

pytestmark = pytest.mark.unit

DIM = 16


def unit_rows(n: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# --------------------------------------------------------------------------- manifest


def manifest(**changes: object) -> Manifest:
    fields: dict[str, object] = {
        "generation": "gen-1", "settings": BuildSettings.of(Settings()),
        "counts": Counts(documents=1, chunks=2, sentences=3)}
    fields.update(changes)
    return Manifest.model_validate(fields)


def test_a_manifest_round_trips_through_its_file(tmp_path: Path) -> None:
    written = manifest(skipped=("a.pdf: skipped, unsupported file type .pdf",), index_kind=IndexKind.HNSW)
    written.write(tmp_path)
    assert read_manifest(tmp_path) == written
    raw = json.loads((tmp_path / MANIFEST).read_text())
    assert raw["format_version"] == FORMAT_VERSION and raw["index_kind"] == "hnsw"
    assert raw["settings"]["sentence_vectors"] == "one-pass"  # plain JSON values
    assert [p.name for p in tmp_path.iterdir()] == [MANIFEST]  # no temporary file left


def test_no_manifest_or_an_unreadable_one_reads_as_none(tmp_path: Path) -> None:
    assert read_manifest(tmp_path) is None
    for text in ("{", "[]", json.dumps({"format_version": FORMAT_VERSION, "generation": "gen-1"})):
        (tmp_path / MANIFEST).write_text(text)
        assert read_manifest(tmp_path) is None


def test_a_manifest_of_another_format_says_to_rebuild(tmp_path: Path) -> None:
    (tmp_path / MANIFEST).write_text(json.dumps({"format_version": 999}))
    with pytest.raises(IndexMismatchError, match=r"format 999.*rag index --rebuild --index"):
        read_manifest(tmp_path)


def test_build_settings_name_what_differs() -> None:
    built = BuildSettings.of(Settings())
    wanted = BuildSettings.of(Settings(chunk_tokens=100, sentence_vectors=SentenceVectors.CONTEXTUAL))
    assert built.mismatches(wanted, ["chunk_tokens", "sentence_vectors", "embedding_model"]) == [
        "chunk_tokens: index has 180, asked for 100",
        "sentence_vectors: index has 'one-pass', asked for 'contextual'"]
    older = manifest().model_dump(mode="json")
    del older["settings"]["embedding_backend"]  # written before the setting existed
    assert Manifest.model_validate(older).settings.embedding_backend == EmbeddingBackend.TORCH


# --------------------------------------------------------------------------- store

TEXT = "Title line\nFirst sentence here. Second one follows.\nA last line."


def record(doc_id: str = "d1", text: str = TEXT) -> DocumentRecord:
    doc = make_document(doc_id, text, title="A title", source=f"{doc_id}.md")
    spans = [(0, 10), (11, 31), (32, 50), (51, 63)]
    return DocumentRecord(doc, chunks=(ChunkRecord(0, 31, 0, 2), ChunkRecord(11, 63, 1, 4)),
                          sentences=tuple(SentenceRecord(a, b) for a, b in spans))


def test_the_store_numbers_rows_across_documents_and_reads_them_back(tmp_path: Path) -> None:
    first, second = record("d1"), record("d2", TEXT.replace("First", "Other"))
    counts = write_store(tmp_path / "store.sqlite", [first, second])
    assert (counts.documents, counts.chunks, counts.sentences) == (2, 4, 8)
    store = Store(tmp_path / "store.sqlite")
    assert store.document_ids() == ["d1", "d2"]
    assert store.document_hashes() == {"d1": first.document.content_hash, "d2": second.document.content_hash}
    assert store.document("d2") == second.document and store.document("nope") is None
    assert store.document_slice("d2", 11, 31) == "Other sentence here."
    # chunk row 3 is d2's second chunk: its sentences are rows 5..7, offsets within d2
    assert store.sentences_of(3) == [(5, 11, 31), (6, 32, 50), (7, 51, 63)]
    assert store.neighbour_sentence(4, -1) is None  # no sentence before d2's first in d2
    assert store.neighbour_sentence(4, +1) == (5, 11, 31)
    assert store.neighbour_sentence(3, +1) is None  # d1's last sentence: d2's first is another post's
    (passage,) = store.passages([3], [0.25])
    assert (passage.doc_id, passage.text, passage.start, passage.end, passage.row, passage.score) == (
        "d2", TEXT.replace("First", "Other")[11:63], 11, 63, 3, 0.25)
    assert passage.label == "A title" and store.passages([99], [1.0]) == []
    again, chunk_rows, sentence_rows = store.record_of(second.document)
    assert again == second and chunk_rows == range(2, 4) and sentence_rows == range(4, 8)
    store.close()


def test_sentence_columns_follow_the_record() -> None:
    assert list(SENTENCE_COLUMNS) == [f for f in SentenceRecord.__dataclass_fields__]


# --------------------------------------------------------------------------- dense and BM25


def test_index_kinds() -> None:
    assert resolve_kind(Settings(exact_search_max=100), 100) == IndexKind.FLAT
    assert resolve_kind(Settings(exact_search_max=100), 101) == IndexKind.HNSW
    assert resolve_kind(Settings(index_kind=IndexKind.IVF), 5) == IndexKind.IVF
    assert ivf_lists(Settings(), 10_000) == 256 and ivf_lists(Settings(ivf_nlist=10_000), 10_000) == 256
    assert ivf_lists(Settings(), 10) == 1


@pytest.mark.parametrize("kind", [IndexKind.FLAT, IndexKind.HNSW, IndexKind.IVF])
def test_dense_search_finds_a_stored_vector_first(kind: IndexKind) -> None:
    vectors = unit_rows(2000)
    dense = build_dense(vectors, kind, Settings(ivf_nprobe=64))
    if kind == IndexKind.IVF:
        dense.nprobe = 64
    rows, scores = search_dense(dense, vectors[123], 5)
    assert rows[0] == 123 and scores[0] == pytest.approx(1.0, abs=1e-5)
    assert list(scores) == sorted(scores, reverse=True)
    rows, _ = search_dense(build_dense(vectors[:3], IndexKind.FLAT, Settings()), vectors[0], 10)
    assert sorted(rows) == [0, 1, 2]  # never more than the index holds


def test_bm25_search_and_idf(tmp_path: Path) -> None:
    write_bm25(tmp_path, ["Mutual societies run libraries", "Councils run swimming pools",
                          "The library is a mutual"])
    bm25 = open_bm25(tmp_path)
    rows, scores = search_bm25(bm25, "swimming pools", 10)
    assert rows.tolist() == [1] and scores[0] > 0
    rows, _ = search_bm25(bm25, "mutual library", 10)
    assert sorted(rows.tolist()) == [0, 2] and rows[0] == 2  # both words, in the shorter text
    assert search_bm25(bm25, "the of and", 10)[0].size == 0
    weights = idf(bm25, "mutual swimming zanzibar", 3)
    assert weights["swim"] > weights["mutual"] and weights["zanzibar"] == max(weights.values())


def test_one_pass_chunk_vectors_are_the_word_weighted_mean_of_their_sentences() -> None:
    from rag.index.builder import pool_chunk_vectors

    sentences = np.eye(3, dtype=np.float32)  # three orthogonal sentence vectors
    words = np.array([3.0, 1.0, 2.0], np.float32)
    pooled = pool_chunk_vectors(sentences, words, [[0, 1], [1, 2], [2]])
    assert np.allclose(np.linalg.norm(pooled, axis=1), 1.0)
    assert np.allclose(pooled[0], np.array([3.0, 1.0, 0.0]) / np.sqrt(10))
    assert np.allclose(pooled[1], np.array([0.0, 1.0, 2.0]) / np.sqrt(5))
    assert np.allclose(pooled[2], sentences[2])
    with_title = pool_chunk_vectors(sentences, words, [[2]], (sentences[0], 2.0))
    assert np.allclose(with_title[0], np.array([1.0, 0.0, 1.0]) / np.sqrt(2))


def test_an_index_folder_holding_other_files_or_a_file_is_refused_before_anything_is_written(
        tmp_path: Path) -> None:
    """The corpus folder given as the index, or a file, would mix the index with other files."""
    from rag.errors import IndexLocationError
    from rag.index.manifest import check_index_location

    check_index_location(tmp_path / "new")  # a new folder: fine
    (tmp_path / "empty").mkdir()
    check_index_location(tmp_path / "empty")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "post.md").write_text("A post.", encoding="utf-8")
    with pytest.raises(IndexLocationError, match="holds other files"):
        check_index_location(corpus)
    with pytest.raises(IndexLocationError, match="is a file"):
        check_index_location(corpus / "post.md")
    with pytest.raises(IndexLocationError, match="cannot be a folder"):
        check_index_location(corpus / "post.md" / "index")
    assert sorted(p.name for p in corpus.iterdir()) == ["post.md"]
    (corpus / MANIFEST).write_text("{}", encoding="utf-8")  # an index's own folder (a manifest): fine
    check_index_location(corpus)
