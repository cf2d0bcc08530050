"""The Qdrant chunk store: BM25 sparse vectors (unit), and builds, search, answers and updates in
Qdrant's local mode against the default FAISS + bm25s index of the same corpus (integration).

The Qdrant index starts as a copy of the session's FAISS index switched to the Qdrant store, which
re-embeds nothing: both hold exactly the same vectors, so their searches can be compared row for row.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.errors import IndexMismatchError, StoreUnavailableError
from rag.index.manifest import MANIFEST
from rag.index.search import RankFusion
from rag.index.sparse import Lexicon
from rag.lexical import terms, terms_of
from rag.settings import ChunkStore, Settings
from tests.conftest import CORPUS, EVAL_QUESTIONS

pytestmark = pytest.mark.integration

TEXTS = ["Local libraries and swimming pools should be run by local people.", "The council runs the pools.",
         "Mutuals run public services; mutual public services are popular.", "the and of",
         "Libraries, libraries, libraries!"]
EDITED = "002_9aeafe8f51407061"
REMOVED = "004_ed1ab547c62872da"
REMOVED_PHRASE = "Winchester Vacancies"


def sparse_scores(lexicon: Lexicon, chunk_terms: list[list[str]], query: str) -> np.ndarray:
    """Each chunk's dot product of its document vector with the query vector."""
    qi, qv = lexicon.query_vector(terms(query))
    out = []
    for tokens in chunk_terms:
        di, dv = lexicon.document_vector(tokens)
        weights = dict(zip(di.tolist(), dv.tolist(), strict=True))
        out.append(sum(v * weights.get(i, 0.0) for i, v in zip(qi.tolist(), qv.tolist(), strict=True)))
    return np.array(out)


# --------------------------------------------------------------------------- unit: sparse BM25


@pytest.mark.unit
@pytest.mark.parametrize("query", ["local libraries pools", "mutual services services", "council",
                                   "zzz pools", "the and"])
def test_sparse_dot_products_are_the_bm25_scores_bm25s_computes(query: str) -> None:
    import bm25s

    chunk_terms = terms_of(TEXTS)
    reference = bm25s.BM25()
    reference.index(chunk_terms, show_progress=False)
    known = [t for t in terms(query) if t in reference.vocab_dict]
    expected = reference.get_scores(known) if known else np.zeros(len(TEXTS))
    assert sparse_scores(Lexicon.of(chunk_terms), chunk_terms, query) == pytest.approx(expected, abs=1e-5)


@pytest.mark.unit
def test_the_lexicon_gives_the_term_statistics_of_bm25s_and_round_trips(tmp_path: Path) -> None:
    from rag.index.bm25 import open_bm25, term_idf, write_bm25

    chunk_terms = terms_of(TEXTS)
    lexicon = Lexicon.of(chunk_terms)
    write_bm25(tmp_path, TEXTS)
    bm25 = open_bm25(tmp_path)
    probe = ["librari", "pool", "mutual", "unheard"]
    assert lexicon.idf(probe) == pytest.approx(term_idf(bm25, probe, len(TEXTS)))
    assert set(lexicon.vocabulary) == set(bm25.vocab_dict) - {""}  # bm25s adds an empty token
    lexicon.write(tmp_path)
    assert Lexicon.read(tmp_path) == lexicon


@pytest.mark.unit
def test_vectors_are_sorted_positive_and_skip_unknown_terms() -> None:
    lexicon = Lexicon.of(terms_of(TEXTS))
    ids, weights = lexicon.document_vector(terms(TEXTS[0]))
    assert list(ids) == sorted(ids) and len(set(ids.tolist())) == len(ids) and (weights > 0).all()
    ids, counts = lexicon.query_vector(terms("libraries libraries zanzibar"))
    assert ids.tolist() == [lexicon.vocabulary["librari"]] and counts.tolist() == [2.0]
    assert lexicon.query_vector([])[0].size == 0
    assert Lexicon.of([[]]).average_length == 1.0  # no terms at all: no division by zero


@pytest.mark.unit
def test_without_qdrant_client_the_store_says_what_to_install(monkeypatch) -> None:
    from rag.index.qdrant import qdrant_models

    monkeypatch.setitem(sys.modules, "qdrant_client", None)  # import fails
    with pytest.raises(StoreUnavailableError, match=r"pip install -e '\.\[qdrant\]'"):
        qdrant_models()


@pytest.mark.unit
def test_the_store_is_a_build_setting_and_a_url_counts_only_with_qdrant() -> None:
    from rag.index.manifest import BUILD_KEYS, BuildSettings

    assert {"store", "qdrant_url"} <= set(BUILD_KEYS)
    assert BuildSettings.of(Settings(qdrant_url="http://q:6333")).qdrant_url is None
    built = BuildSettings.of(Settings(store="qdrant", qdrant_url="http://q:6333"))
    assert built.store == ChunkStore.QDRANT and built.qdrant_url == "http://q:6333"
    assert BuildSettings.model_validate({k: v for k, v in built.model_dump().items()
                                         if k not in ("store", "qdrant_url")}).store == ChunkStore.FAISS


# --------------------------------------------------------------------------- integration: local mode


@pytest.fixture(scope="module")
def qdrant_index(built_index: Path, tmp_path_factory) -> Path:
    """The session's index of the real corpus, switched to the Qdrant store (local mode)."""
    pytest.importorskip("qdrant_client")
    from rag.embedding import Embedder
    from rag.index import IndexBuilder

    index_dir = tmp_path_factory.mktemp("qdrant") / "index"
    shutil.copytree(built_index, index_dir)
    fresh = Embedder()
    report = IndexBuilder(Settings(corpus_dir=CORPUS, index_dir=index_dir, store="qdrant"),
                          embedder=fresh).run()
    assert report.chunks_embedded == 0 and not fresh.loaded  # the store changed, not what is embedded
    return index_dir


def open_pair(built_index: Path, qdrant_index: Path) -> tuple[Any, Any]:
    from rag.index import Index

    return Index.open(built_index), Index.open(qdrant_index)


def test_a_qdrant_generation_holds_the_collection_and_no_faiss_files(qdrant_index: Path) -> None:
    manifest = json.loads((qdrant_index / MANIFEST).read_text())
    gen = qdrant_index / manifest["generation"]
    assert manifest["settings"]["store"] == "qdrant" and manifest["settings"]["qdrant_url"] is None
    assert (gen / "qdrant").is_dir() and (gen / "lexicon.json").is_file() and (gen / "store.sqlite").is_file()
    assert not (gen / "dense.faiss").exists() and not (gen / "bm25").exists()
    assert len(list(qdrant_index.glob("gen-*"))) == 1


def test_dense_lexical_and_hybrid_search_agree_with_faiss(built_index, qdrant_index, embedder) -> None:
    from rag.evaluation import read_questions

    faiss_index, qdrant_index_ = open_pair(built_index, qdrant_index)
    try:
        questions = [q.question for q in read_questions(EVAL_QUESTIONS)]
        same_top, overlap = 0, []
        for text in questions:
            vector = embedder.encode_query(text)
            _, f_scores = faiss_index.search_dense(vector, 10)
            _, q_scores = qdrant_index_.search_dense(vector, 10)
            assert q_scores == pytest.approx(f_scores, abs=1e-5)
            _, f_scores = faiss_index.search_lexical(text, 10)
            _, q_scores = qdrant_index_.search_lexical(text, 10)
            assert q_scores == pytest.approx(f_scores, rel=1e-5)  # the same BM25, scored in Qdrant
            f_fused = faiss_index.search_hybrid(text, vector, 50, RankFusion())
            q_fused = qdrant_index_.search_hybrid(text, vector, 50, RankFusion())
            assert len(q_fused) == len(f_fused)  # the same fusion; tied ranks may be ordered otherwise
            assert q_fused[0][1] == pytest.approx(f_fused[0][1], abs=1e-3)
            same_top += q_fused[0][0] == f_fused[0][0]
            overlap.append(len({r for r, _ in q_fused[:10]} & {r for r, _ in f_fused[:10]}) / 10)
        assert same_top >= 0.9 * len(questions) and np.mean(overlap) >= 0.9
    finally:
        qdrant_index_.close()


def test_answers_from_qdrant_quote_verbatim_and_match_faiss(built_index, qdrant_index, embedder) -> None:
    from rag.evaluation import read_questions
    from rag.index import Index
    from rag.pipeline import RAG

    faiss_index = Index.open(built_index)
    faiss_rag = RAG(faiss_index, faiss_index.settings, embedder=embedder)
    index = Index.open(qdrant_index)
    qdrant_rag = RAG(index, index.settings, embedder=embedder)
    try:
        questions = [q.question for q in read_questions(EVAL_QUESTIONS)][:12]
        same = 0
        for text in questions:
            got = qdrant_rag.answer(text)
            for c in got.citations:
                assert c.quote == index.document(c.doc_id).text[c.start:c.end]
            same += got.text == faiss_rag.answer(text).text
        assert same >= 0.9 * len(questions)
    finally:
        index.close()


def test_an_update_re_embeds_only_what_changed_and_search_follows(qdrant_index, corpus_copy, tmp_path,
                                                                  embedder) -> None:
    from rag.index import Index, IndexBuilder

    index_dir = tmp_path / "index"
    shutil.copytree(qdrant_index, index_dir)
    old_gen = json.loads((index_dir / MANIFEST).read_text())["generation"]
    post = corpus_copy / f"{EDITED}.md"
    post.write_text(post.read_text(encoding="utf-8").replace("Francis Maude", "Francis Zanzibarian Maude", 1),
                    encoding="utf-8")
    (corpus_copy / f"{REMOVED}.md").unlink()
    (corpus_copy / "added.md").write_text(
        "---\ntitle: Quokka co-operatives\n---\nThe quokka co-operative runs the ferry to the island.\n",
        encoding="utf-8")
    report = IndexBuilder(Settings(corpus_dir=corpus_copy, index_dir=index_dir, store="qdrant"),
                          embedder=embedder).run()
    assert report.changed == (EDITED,) and report.removed == (REMOVED,) and len(report.added) == 1
    index = Index.open(index_dir)
    try:
        added = report.added[0]
        embedded = sum(len(index.stored(index.document(d)).record.chunks) for d in (EDITED, added))
        assert report.chunks_embedded == embedded < report.chunks_total
        for phrase, doc_id in (("Zanzibarian", EDITED), ("quokka ferry", added)):
            rows, _ = index.search_lexical(phrase, 3)
            assert index.passages(rows, [0.0] * len(rows))[0].doc_id == doc_id
            fused = index.search_hybrid(phrase, embedder.encode_query(phrase), 10,
                                        RankFusion.from_settings(Settings()))
            assert index.passages([fused[0][0]], [0.0])[0].doc_id == doc_id
        rows, scores = index.search_lexical(REMOVED_PHRASE, index.chunk_count)
        assert REMOVED not in {p.doc_id for p in index.passages(rows, scores)}
        assert REMOVED not in index.document_ids()
    finally:
        index.close()
    assert not (index_dir / old_gen).exists() and len(list(index_dir.glob("gen-*"))) == 1


def test_changing_the_store_is_checked_like_any_build_setting(built_index, qdrant_index) -> None:
    from rag.index import Index

    with pytest.raises(IndexMismatchError, match=r"store: index has 'faiss', asked for 'qdrant'.*--rebuild"):
        Index.open(built_index, Settings(store="qdrant"))
    with pytest.raises(IndexMismatchError, match=r"store: index has 'qdrant', asked for 'faiss'"):
        Index.open(qdrant_index, Settings(store="faiss"))
    index = Index.open(qdrant_index)  # unstated: the index's own store
    assert index.status().store == "qdrant" and index.settings.store == ChunkStore.QDRANT
    index.close()


def test_switching_back_to_faiss_rewrites_the_search_and_reuses_the_vectors(qdrant_index, tmp_path) -> None:
    from rag.embedding import Embedder
    from rag.index import Index, IndexBuilder

    index_dir = tmp_path / "index"
    shutil.copytree(qdrant_index, index_dir)
    fresh, lines = Embedder(), []
    report = IndexBuilder(Settings(corpus_dir=CORPUS, index_dir=index_dir),
                          embedder=fresh, log=lines.append).run()
    assert report.chunks_embedded == 0 and not fresh.loaded
    assert any("Chunk store changed (store: index has 'qdrant', asked for 'faiss')" in x for x in lines)
    index = Index.open(index_dir)
    assert index.manifest.settings.store == ChunkStore.FAISS and hasattr(index.dense, "ntotal")


class _SharedServer:
    """A stand-in Qdrant server: one in-memory client that outlives the product's ``close`` calls."""

    def __init__(self) -> None:
        from qdrant_client import QdrantClient

        self.client = QdrantClient(":memory:")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def close(self) -> None:
        pass


def test_a_server_collection_per_generation_old_ones_deleted(qdrant_index, corpus_copy, tmp_path, monkeypatch,
                                                             embedder) -> None:
    from rag.index import Index, IndexBuilder, qdrant

    server = _SharedServer()
    monkeypatch.setattr(qdrant, "_connect_url", lambda url, settings: server)
    index_dir = tmp_path / "index"
    shutil.copytree(qdrant_index, index_dir)
    cfg = Settings(corpus_dir=corpus_copy, index_dir=index_dir, store="qdrant", qdrant_url="http://q:6333")
    assert IndexBuilder(cfg, embedder=embedder).run().chunks_embedded == 0  # local → server: a new place only
    first = json.loads((index_dir / MANIFEST).read_text())["generation"]
    assert [c.name for c in server.get_collections().collections] == [f"rag-{first}"]
    assert json.loads((index_dir / first / "qdrant.json").read_text()) == {
        "url": "http://q:6333", "collection": f"rag-{first}"}

    (corpus_copy / f"{REMOVED}.md").unlink()
    IndexBuilder(cfg, embedder=embedder).run()
    second = json.loads((index_dir / MANIFEST).read_text())["generation"]
    assert [c.name for c in server.get_collections().collections] == [f"rag-{second}"]  # the old one deleted
    index = Index.open(index_dir)
    rows, _ = index.search_lexical(REMOVED_PHRASE, 50)
    assert REMOVED not in {p.doc_id for p in index.passages(rows, [0.0] * len(rows))}
    assert server.count(f"rag-{second}").count == index.chunk_count
    index.close()


def test_cli_builds_with_store_qdrant_and_says_what_to_install_without_it(built_index, corpus_copy, tmp_path,
                                                                          monkeypatch) -> None:
    from click.testing import CliRunner

    from rag.cli import cli

    index_dir = tmp_path / "index"
    shutil.copytree(built_index, index_dir)
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "qdrant_client", None)  # not installed
        result = CliRunner().invoke(cli, ["index", "--corpus", str(corpus_copy), "--index", str(index_dir),
                                          "--store", "qdrant"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [
        "Error: The Qdrant store needs qdrant-client: pip install -e '.[qdrant]' (or set RAG_STORE=faiss)."]
    result = CliRunner().invoke(cli, ["index", "--corpus", str(corpus_copy), "--index", str(index_dir),
                                      "--store", "qdrant"])
    assert result.exit_code == 0, result.output
    assert "0 embedded" in result.output
    status = CliRunner().invoke(cli, ["status", "--index", str(index_dir)])
    assert "store: qdrant" in status.output


def test_rag_index_without_store_keeps_the_store_the_index_was_built_with(qdrant_index, tmp_path,
                                                                         monkeypatch) -> None:
    from click.testing import CliRunner

    from rag.cli import cli

    monkeypatch.delenv("RAG_STORE", raising=False)
    index_dir = tmp_path / "index"
    shutil.copytree(qdrant_index, index_dir)
    result = CliRunner().invoke(cli, ["index", "--index", str(index_dir), "--corpus", str(CORPUS)])
    assert result.exit_code == 0, result.output
    assert "Index is up to date." in result.output and "store changed" not in result.output
    assert json.loads((index_dir / MANIFEST).read_text())["settings"]["store"] == "qdrant"
