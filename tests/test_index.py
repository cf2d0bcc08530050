"""The index on disk: full and incremental builds, crash safety, locking, settings checks, the CLI.

Builds use the real model and real FAISS. The session's model is shared (``embedder=``); where a
test must prove the model is *not* needed, it gets a fresh ``Embedder`` and checks it never loaded.
Incremental tests start from a copy of the session's index of the real corpus, so only the
documents a test changes are embedded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from click.testing import CliRunner

import rag
from rag.cli import cli
from rag.corpus import load_corpus, make_document
from rag.embedding import Embedder
from rag.errors import CorpusError, IndexBusyError, IndexMismatchError, IndexMissingError
from rag.index import LOCK, MANIFEST, ChunkEmbedder, Index, IndexBuilder
from rag.settings import IndexKind, SentenceVectors, Settings
from rag.text import without_links
from rag.types import IndexReport
from tests.test_index_parts import DIM, unit_rows

pytestmark = pytest.mark.integration

EDITED = "002_9aeafe8f51407061"
REMOVED = "004_ed1ab547c62872da"
REMOVED_PHRASE = "Winchester Vacancies"  # the first line of the removed post, in no other post


def copy_index(built_index: Path, tmp_path: Path) -> Path:
    target = tmp_path / "index"
    shutil.copytree(built_index, target)
    return target


def settings(corpus: Path, index: Path, **extra) -> Settings:
    return Settings(corpus_dir=corpus, index_dir=index, **extra)


def stored_rows(index_dir: Path) -> dict[str, tuple[list, np.ndarray, np.ndarray]]:
    """Each document's (chunk offsets, chunk vectors, sentence vectors) as stored."""
    index = Index.open(index_dir)
    try:
        out = {}
        for doc_id in index.document_ids():
            stored = index.stored(index.document(doc_id))
            out[doc_id] = (stored.record.chunks, np.array(stored.chunk_vectors),
                           np.array(stored.sentence_vectors))
        return out
    finally:
        index.close()


def generation(index_dir: Path) -> str:
    return json.loads((index_dir / MANIFEST).read_text())["generation"]


def leftovers(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.startswith(".tmp-gen-"))


def python(code: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env or dict(os.environ),
                          capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------- full build


@pytest.mark.disable_socket
def test_full_build_reports_what_it_did_and_uses_no_network(corpus_copy, tmp_path, embedder, built_index
                                                            ) -> None:
    """A build of a corpus copy, with every socket disabled: the model and tokenizers stay local."""
    index_dir = tmp_path / "fresh"
    report = IndexBuilder(settings(corpus_copy, index_dir), embedder=embedder).run()

    ids = sorted(d.id for d in load_corpus(corpus_copy).documents)
    assert isinstance(report, IndexReport)
    assert sorted(report.added) == ids and len(ids) == 5
    assert report.changed == report.removed == report.unchanged == report.skipped == ()
    assert report.chunks_embedded == report.chunks_total > len(ids)
    assert report.model_loaded and report.index_dir == str(index_dir)

    index = Index.open(index_dir)
    assert index.document_count == 5 and index.chunk_count == report.chunks_total
    assert index.sentence_count == report.sentences_total
    # every stored chunk is an exact slice of its document, with its sentences inside it
    rows = list(range(index.chunk_count))
    for passage in index.passages(rows, [0.0] * len(rows)):
        doc = index.document(passage.doc_id)
        assert doc.text[passage.start:passage.end] == passage.text
        for _, start, end in index.sentences_of(passage.row):
            assert passage.start <= start < end <= passage.end
    # sentence vectors are what the model gives for each sentence on its own (links' path words left
    # out), in one pass; and the build is reproducible
    sentences = index.sentences_in_chunks(rows[:3])
    texts = [without_links(s.text) for s in sentences]
    assert np.allclose(index.vectors_of([s.row for s in sentences]), embedder.encode_texts(texts), atol=1e-4)
    shared = Index.open(built_index)
    assert np.allclose(index.chunk_vectors, shared.chunk_vectors, atol=1e-5)
    assert np.allclose(index.sentence_vectors, shared.sentence_vectors, atol=1e-5)


def test_an_independent_build_embeds_each_chunk_too_and_keeps_the_same_sentence_vectors(
        tmp_path, corpus_dir, embedder, built_index) -> None:
    two = settings(corpus_dir, tmp_path / "two", sentence_vectors=SentenceVectors.INDEPENDENT)
    report = IndexBuilder(two, embedder=embedder).run()
    index, default = Index.open(tmp_path / "two"), Index.open(built_index)
    assert report.chunks_total == default.chunk_count and index.sentence_count == default.sentence_count
    assert np.allclose(index.sentence_vectors, default.sentence_vectors, atol=1e-4)
    # its chunk vectors are the model's own, and the contextual mode gives the same ones
    rows = list(range(6))
    texts = [p.text for p in index.passages(rows, [0.0] * 6)]
    assert np.allclose(index.chunk_vectors[:6], embedder.encode_texts(texts), atol=1e-4)
    contextual, _ = embedder.encode_chunks(texts, [[(0, len(t))] for t in texts], SentenceVectors.CONTEXTUAL)
    assert np.allclose(contextual, index.chunk_vectors[:6], atol=1e-4)
    # the default's chunk vectors are pooled from its sentences: close to the model's own
    cosines = (np.asarray(index.chunk_vectors) * np.asarray(default.chunk_vectors)).sum(axis=1)
    assert cosines.min() > 0.8, cosines.min()
    assert not np.allclose(index.chunk_vectors, default.chunk_vectors, atol=1e-3)
    answer = rag.load(tmp_path / "two").answer("Who should control local libraries and swimming pools?")
    assert "controlled by local people" in answer.text


def test_a_fresh_process_indexes_with_sockets_disabled_and_no_offline_variables(tmp_path) -> None:
    """The CLI loads the packaged model and spaCy pipeline itself, from nothing but local files, without
    being told to: nothing connects anywhere or looks up a name (opening a socket to probe for IPv6, as
    urllib3 does on import, is not network access)."""
    one = tmp_path / "one"
    one.mkdir()
    text = "Mutuals are owned by their members 🙂. Councils are elected.\n数据库是组织数据的仓库。\n"
    (one / "note.txt").write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in {"HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"}}
    code = f"""
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("NETWORK ACCESS ATTEMPTED")
def connect(self, address, *rest):
    if self.family != socket.AF_UNIX:
        refuse()
socket.socket.connect = socket.socket.connect_ex = connect
socket.getaddrinfo = socket.create_connection = refuse
from rag.cli import main
sys.argv = ["rag", "index", "-q", "--corpus", {str(one)!r}, "--index", {str(tmp_path / "idx")!r}]
main()
"""
    result = python(code, tmp_path, env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "NETWORK ACCESS ATTEMPTED" not in result.stderr  # no connection, no name lookup
    index = Index.open(tmp_path / "idx")
    assert index.document_ids() == ["note"] and index.document("note").text == text
    for passage in index.passages(range(index.chunk_count), [0.0] * index.chunk_count):
        assert text[passage.start:passage.end] == passage.text  # character offsets, not bytes


# --------------------------------------------------------------------------- incremental builds


def test_reindex_without_changes_embeds_nothing_and_never_loads_the_model(built_index, corpus_copy,
                                                                          tmp_path) -> None:
    index_dir = copy_index(built_index, tmp_path)
    before = generation(index_dir)
    fresh = Embedder()
    report = IndexBuilder(settings(corpus_copy, index_dir), embedder=fresh).run()
    assert report.nothing_changed and report.chunks_embedded == 0
    assert sorted(report.unchanged) == sorted(p.stem for p in corpus_copy.glob("*.md"))
    assert report.chunks_total == Index.open(index_dir).chunk_count
    assert fresh.loaded is False and report.model_loaded is False
    assert generation(index_dir) == before


def test_noop_rag_index_in_a_fresh_process_does_not_import_torch(built_index, corpus_copy, tmp_path) -> None:
    index_dir = copy_index(built_index, tmp_path)
    code = f"""
import json, sys
from rag.cli import main
sys.argv = ["rag", "index", "--corpus", {str(corpus_copy)!r}, "--index", {str(index_dir)!r}]
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = [m for m in ("torch", "sentence_transformers", "transformers", "spacy") if m in sys.modules]
print(json.dumps({{"exit": code, "heavy": heavy}}))
"""
    result = python(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert json.loads(lines[-1]) == {"exit": 0, "heavy": []}
    assert "0 embedded" in result.stdout


def test_editing_one_post_re_embeds_only_that_post(built_index, corpus_copy, tmp_path, embedder) -> None:
    index_dir = copy_index(built_index, tmp_path)
    before = stored_rows(index_dir)
    post = corpus_copy / f"{EDITED}.md"
    text = post.read_text(encoding="utf-8")
    assert "Francis Maude" in text
    post.write_text(text.replace("Francis Maude", "Francis Zanzibarian Maude", 1), encoding="utf-8")

    report = IndexBuilder(settings(corpus_copy, index_dir), embedder=embedder).run()
    after = stored_rows(index_dir)
    assert report.changed == (EDITED,)
    assert report.added == report.removed == ()
    assert sorted(report.unchanged) == sorted(set(before) - {EDITED})
    assert report.chunks_embedded == len(after[EDITED][0]) > 0
    assert report.chunks_total == sum(len(r[0]) for r in after.values())
    for doc_id in set(before) - {EDITED}:  # the other posts keep their offsets and exact vectors
        assert after[doc_id][0] == before[doc_id][0]
        assert np.array_equal(after[doc_id][1], before[doc_id][1])
        assert np.array_equal(after[doc_id][2], before[doc_id][2])
    assert not np.array_equal(after[EDITED][1][0], before[EDITED][1][0])

    index = Index.open(index_dir)
    assert "Zanzibarian" in index.document(EDITED).text
    rows, _ = index.search_lexical("Zanzibarian", 5)
    assert [p.doc_id for p in index.passages(rows, [0.0] * len(rows))] == [EDITED]
    assert leftovers(index_dir) == [] and len([p for p in index_dir.glob("gen-*")]) == 1


def test_a_removed_post_disappears_from_search_and_lookups(built_index, corpus_copy, tmp_path) -> None:
    index_dir = copy_index(built_index, tmp_path)
    old = Index.open(index_dir)
    old_rows = old.stored(old.document(REMOVED))
    probe = np.array(old_rows.chunk_vectors[0])
    rows, _ = old.search_dense(probe, 1)
    assert old.passages(rows, [0.0])[0].doc_id == REMOVED  # before: the post is found
    rows, _ = old.search_lexical(REMOVED_PHRASE, 3)
    assert old.passages(rows, [0.0] * len(rows))[0].doc_id == REMOVED
    old_total = old.chunk_count
    old.close()

    (corpus_copy / f"{REMOVED}.md").unlink()
    fresh = Embedder()
    report = IndexBuilder(settings(corpus_copy, index_dir), embedder=fresh).run()
    assert report.removed == (REMOVED,) and report.chunks_embedded == 0 and not fresh.loaded
    assert report.chunks_total == old_total - len(old_rows.record.chunks)

    index = Index.open(index_dir)
    assert index.document(REMOVED) is None
    assert REMOVED not in index.document_ids() and index.document_count == 4
    rows, scores = index.search_dense(probe, index.chunk_count)
    assert len(rows) == index.chunk_count
    assert REMOVED not in {p.doc_id for p in index.passages(rows, scores)}
    rows, scores = index.search_lexical(REMOVED_PHRASE, index.chunk_count)
    assert REMOVED not in {p.doc_id for p in index.passages(rows, scores)}


def test_a_killed_build_leaves_the_old_index_usable(built_index, corpus_copy, tmp_path) -> None:
    """SIGKILL a real ``rag index`` (here: dropping a removed post) while it writes its new generation.

    np.save is wrapped to pause after writing, so the kill lands at a known point with partial
    files on disk; while it pauses, a second build must be refused.
    """
    index_dir = copy_index(built_index, tmp_path)
    before_gen, before_ids = generation(index_dir), Index.open(index_dir).document_ids()
    before_text = Index.open(index_dir).document(REMOVED).text
    aside = tmp_path / f"{REMOVED}.md"
    shutil.move(corpus_copy / f"{REMOVED}.md", aside)  # the killed build would have dropped it
    flag = tmp_path / "partial-files-written"
    code = f"""
import pathlib, sys, time
import numpy as np
_save = np.save
def save_then_pause(*args, **kwargs):
    _save(*args, **kwargs)
    pathlib.Path({str(flag)!r}).touch()
    time.sleep(600)
np.save = save_then_pause
from rag.cli import main
sys.argv = ["rag", "index", "-q", "--corpus", {str(corpus_copy)!r}, "--index", {str(index_dir)!r}]
main()
"""
    child = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 600
        while not flag.exists():
            assert child.poll() is None, child.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the build never reached its write stage"
            time.sleep(0.05)
        partial = leftovers(index_dir)
        assert len(partial) == 1 and any((index_dir / partial[0]).iterdir())
        with pytest.raises(IndexBusyError, match="Another build"):
            IndexBuilder(settings(corpus_copy, index_dir), embedder=Embedder()).run()
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate()
    assert child.returncode == -signal.SIGKILL

    index = Index.open(index_dir)  # the old generation, untouched
    assert generation(index_dir) == before_gen
    assert index.document_ids() == before_ids and index.document(REMOVED).text == before_text
    rows, scores = index.search_lexical(REMOVED_PHRASE, 3)
    assert index.passages(rows, scores)[0].doc_id == REMOVED
    rows, scores = index.search_dense(np.array(index.chunk_vectors[0]), 3)
    assert len(index.passages(rows, scores)) == 3
    assert leftovers(index_dir) == partial

    shutil.move(aside, corpus_copy / f"{REMOVED}.md")
    fresh = Embedder()
    report = IndexBuilder(settings(corpus_copy, index_dir), embedder=fresh).run()
    assert report.nothing_changed and not fresh.loaded
    assert leftovers(index_dir) == []  # even a no-op build clears what the killed one left
    assert generation(index_dir) == before_gen


def test_noop_build_removes_stale_generations_and_half_written_files(built_index, corpus_copy, tmp_path
                                                                      ) -> None:
    index_dir = copy_index(built_index, tmp_path)
    current = generation(index_dir)
    (index_dir / ".tmp-gen-20000101T000000-deadbeef").mkdir()
    (index_dir / ".tmp-gen-20000101T000000-deadbeef" / "store.sqlite").write_bytes(b"partial")
    shutil.copytree(index_dir / current, index_dir / "gen-20000101T000000-cafebabe")
    (index_dir / f".{MANIFEST}.0123abcd.tmp").write_text("{")
    IndexBuilder(settings(corpus_copy, index_dir), embedder=Embedder()).run()
    assert sorted(p.name for p in index_dir.iterdir() if p.name != LOCK) == sorted([MANIFEST, current])
    assert Index.open(index_dir).document_count == 5


def test_a_concurrent_build_is_refused(built_index, corpus_copy, tmp_path) -> None:
    """Another process holds the build lock: this build stops at once and changes nothing."""
    index_dir = copy_index(built_index, tmp_path)
    (corpus_copy / f"{REMOVED}.md").unlink()
    before = generation(index_dir)
    code = f"""
import sys, time
from filelock import FileLock
lock = FileLock({str(index_dir / LOCK)!r})
lock.acquire()
print("locked", flush=True)
sys.stdin.read()
"""
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IndexBusyError) as info:
            IndexBuilder(settings(corpus_copy, index_dir), embedder=Embedder()).run()
        assert str(index_dir) in str(info.value)
        assert generation(index_dir) == before and REMOVED in Index.open(index_dir).document_ids()
    finally:
        holder.communicate("")
    report = IndexBuilder(settings(corpus_copy, index_dir), embedder=Embedder()).run()
    assert report.removed == (REMOVED,)  # once the lock is free, the same build goes through


def test_a_new_index_kind_is_written_without_re_embedding(built_index, corpus_copy, tmp_path) -> None:
    index_dir = copy_index(built_index, tmp_path)
    before = stored_rows(index_dir)
    fresh = Embedder()
    report = IndexBuilder(settings(corpus_copy, index_dir, index_kind="hnsw"), embedder=fresh).run()
    assert report.chunks_embedded == 0 and not fresh.loaded
    index = Index.open(index_dir, Settings(index_kind="hnsw"))
    assert index.kind == IndexKind.HNSW and hasattr(index.dense, "hnsw")
    after = stored_rows(index_dir)
    assert all(np.array_equal(after[d][1], before[d][1]) for d in before)
    probe = np.array(index.chunk_vectors[7])
    rows, scores = index.search_dense(probe, 3)
    assert rows[0] == 7 and scores[0] == pytest.approx(1.0, abs=1e-4)


# --------------------------------------------------------------------------- settings checks


@pytest.mark.parametrize("asked", [{"chunk_tokens": 100}, {"chunk_overlap": 0},
                                   {"embedding_model": "sentence-transformers/all-mpnet-base-v2"},
                                   {"title_in_embedding": True}])
def test_settings_mismatch_says_to_rebuild(built_index, asked) -> None:
    with pytest.raises(IndexMismatchError) as info:
        Index.open(built_index, Settings(**asked))
    message = str(info.value)
    assert "rag index --rebuild" in message and next(iter(asked)) in message


def test_settings_from_the_environment_are_checked_too(built_index, monkeypatch) -> None:
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "100")
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):
        Index.open(built_index, Settings())


def test_matching_or_unstated_settings_open_fine(built_index) -> None:
    built = json.loads((built_index / MANIFEST).read_text())["settings"]
    index = Index.open(built_index, Settings(chunk_tokens=built["chunk_tokens"]))
    assert index.chunk_count > 0
    assert Index.open(built_index, Settings(k=3)).settings.chunk_tokens == built["chunk_tokens"]


def test_an_index_of_another_format_says_to_rebuild(built_index, tmp_path) -> None:
    index_dir = copy_index(built_index, tmp_path)
    manifest = json.loads((index_dir / MANIFEST).read_text())
    (index_dir / MANIFEST).write_text(json.dumps({**manifest, "format_version": 999}))
    with pytest.raises(IndexMismatchError, match="rag index --rebuild"):
        Index.open(index_dir)


def test_answering_from_an_index_of_another_format_rebuilds_it_first(built_index, corpus_dir, tmp_path,
                                                                    embedder) -> None:
    """An index written by another version is derived data: the app and ``rag.answer`` rebuild it,
    saying so, rather than stop."""
    from rag.pipeline import open_or_build

    index_dir = copy_index(built_index, tmp_path)
    manifest = json.loads((index_dir / MANIFEST).read_text())
    (index_dir / MANIFEST).write_text(json.dumps({**manifest, "format_version": 1}))
    said: list[str] = []
    rag_obj = open_or_build(settings(corpus_dir, index_dir), said.append)
    assert any("format 1" in line and "rebuilding" in line for line in said), said
    assert rag_obj.index.manifest.format_version == json.loads((built_index / MANIFEST).read_text())[
        "format_version"]
    assert rag_obj.answer("Who chairs the independent Commission on Ownership?").found


def test_no_index_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(IndexMissingError, match="rag index"):
        Index.open(tmp_path)


# --------------------------------------------------------------------------- CLI and script use


class RecordingEmbedder(Embedder):
    """An Embedder that remembers every instance, to check afterwards that none loaded the model."""

    made: ClassVar[list[Embedder]] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        RecordingEmbedder.made.append(self)


@pytest.fixture()
def recording(monkeypatch) -> list[Embedder]:
    RecordingEmbedder.made = []
    monkeypatch.setattr("rag.index.builder.Embedder", RecordingEmbedder)
    return RecordingEmbedder.made


def test_cli_corpus_and_index_flags(built_index, corpus_copy, tmp_path, monkeypatch, recording) -> None:
    index_dir = copy_index(built_index, tmp_path)
    (corpus_copy / f"{REMOVED}.md").unlink()
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the default ./corpus and ./index do not exist here
    result = CliRunner().invoke(cli, ["index", "--corpus", str(corpus_copy), "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "1 removed" in result.output and "0 embedded" in result.output
    assert REMOVED not in Index.open(index_dir).document_ids()
    assert recording and not any(e.loaded for e in recording)
    assert sorted(p.name for p in elsewhere.iterdir()) == []


def test_cli_reads_corpus_and_index_from_the_environment(built_index, corpus_copy, tmp_path, monkeypatch,
                                                         recording) -> None:
    index_dir = copy_index(built_index, tmp_path)
    (corpus_copy / f"{REMOVED}.md").unlink()
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus_copy))
    monkeypatch.setenv("RAG_INDEX_DIR", str(index_dir))
    result = CliRunner().invoke(cli, ["index"])
    assert result.exit_code == 0, result.output
    assert "1 removed" in result.output
    assert REMOVED not in Index.open(index_dir).document_ids()
    assert not any(e.loaded for e in recording)


def test_cli_missing_corpus_is_one_clear_line(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["index", "--corpus", str(tmp_path / "nope"), "--index",
                                      str(tmp_path / "idx")])
    assert result.exit_code == 1
    assert "Corpus folder not found" in result.output and "Traceback" not in result.output


def test_build_index_returns_a_report_for_scripts(built_index, corpus_copy, tmp_path, recording) -> None:
    index_dir = copy_index(built_index, tmp_path)
    (corpus_copy / f"{REMOVED}.md").unlink()
    (corpus_copy / "notes.pdf").write_bytes(b"%PDF")
    report = rag.build_index(corpus_copy, index_dir)
    assert isinstance(report, rag.IndexReport)
    assert report.removed == (REMOVED,) and len(report.unchanged) == 4 and report.chunks_embedded == 0
    assert report.index_dir == str(index_dir) and report.chunks_total == Index.open(index_dir).chunk_count
    assert len(report.skipped) == 1 and report.skipped[0].startswith("notes.pdf")
    assert not report.nothing_changed
    again = rag.build_index(str(corpus_copy), str(index_dir))
    assert again.nothing_changed and again.chunks_total == report.chunks_total
    assert not any(e.loaded for e in recording)


def test_status_lists_what_the_last_build_skipped_and_why(built_index, corpus_copy, tmp_path) -> None:
    index_dir = copy_index(built_index, tmp_path)
    assert Index.open(index_dir).status().skipped == ()
    (corpus_copy / f"{REMOVED}.md").unlink()
    (corpus_copy / "notes.pdf").write_bytes(b"%PDF")
    (corpus_copy / "empty.txt").write_text("  \n", encoding="utf-8")
    fresh = Embedder()
    report = IndexBuilder(settings(corpus_copy, index_dir), embedder=fresh).run()
    assert report.removed == (REMOVED,) and len(report.skipped) == 2
    status = Index.open(index_dir).status()
    assert status.skipped == report.skipped and status.documents == 4
    result = CliRunner().invoke(cli, ["status", "--index", str(index_dir)])
    assert result.exit_code == 0, result.output
    assert "skipped: 2 at the last build" in result.output
    assert "empty.txt: skipped, empty file" in result.output
    assert "notes.pdf: skipped, unsupported file type .pdf" in result.output

    # the same documents with other files skipped: the no-op build still records what it skipped
    (corpus_copy / "notes.pdf").unlink()
    before = generation(index_dir)
    report = IndexBuilder(settings(corpus_copy, index_dir), embedder=fresh).run()
    assert report.nothing_changed and not fresh.loaded and generation(index_dir) == before
    assert Index.open(index_dir).status().skipped == report.skipped == ("empty.txt: skipped, empty file",)
    (corpus_copy / "empty.txt").unlink()
    IndexBuilder(settings(corpus_copy, index_dir), embedder=fresh).run()
    result = CliRunner().invoke(cli, ["status", "--index", str(index_dir)])
    assert "   skipped: none" in result.output and "notes.pdf" not in result.output
    assert "sentence_vectors: one-pass" in result.output and "embedding_backend: onnx" in result.output


# --------------------------------------------------------------------------- the builder's seams
# (documents in, any ChunkEmbedder: no embedding model here, but the build annotates with spaCy)


class HashEmbedder:
    """A ChunkEmbedder without a model: word counts for tokens, vectors from a hash of the text."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    loaded = False
    max_seq_length = 64
    content_limit = 62

    @property
    def count_model_tokens(self) -> Callable[[str], int]:
        return lambda text: len(text.split())

    def _vector(self, text: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        return unit_rows(1, seed)[0]

    def encode_chunks(self, texts: Sequence[str], sentence_spans: Sequence[Sequence[tuple[int, int]]],
                      mode: SentenceVectors = SentenceVectors.CONTEXTUAL
                      ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.texts.extend(texts)
        chunks = np.stack([self._vector(t) for t in texts])
        sentences = [np.stack([self._vector(t[a:b]) for a, b in spans]) if spans else np.zeros((0, DIM))
                     for t, spans in zip(texts, sentence_spans, strict=True)]
        return chunks, sentences

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        self.texts.extend(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, DIM))


class InterruptedEmbedder(HashEmbedder):
    """Ctrl-C while the model embeds."""

    def encode_chunks(self, *args: Any, **kwargs: Any) -> tuple[np.ndarray, list[np.ndarray]]:
        raise KeyboardInterrupt

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        raise KeyboardInterrupt


def test_an_interrupted_build_stops_annotating_too_and_writes_no_index(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C during embedding: spaCy, on its own thread, stops after the document in hand instead of
    annotating the rest of the corpus first (that took 40-50 s on a large rebuild)."""
    import rag.annotate

    annotated: list[str] = []
    real = rag.annotate.annotate

    def counting(text: str, *args: Any, **kwargs: Any) -> Any:
        annotated.append(text)
        time.sleep(0.01)
        return real(text, *args, **kwargs)

    monkeypatch.setattr(rag.annotate, "annotate", counting)
    docs = [make_document(f"p{i}", f"Post {i}\nThe council runs pool number {i}. A trust may take it over.",
                          title=f"Post {i}") for i in range(300)]
    settings = Settings(corpus_dir=tmp_path / "no-such-corpus", index_dir=tmp_path / "index")
    with pytest.raises(KeyboardInterrupt):
        IndexBuilder(settings, embedder=InterruptedEmbedder()).run(documents=docs)
    assert len(annotated) < len(docs) // 2, len(annotated)
    assert not (tmp_path / "index" / MANIFEST).exists()  # nothing committed


POSTS = {
    "p1": "Mutuals in public services\nLocal libraries should be run by local people. Staff own a share.",
    "p2": "Swimming pools\nThe council runs the swimming pools. A trust may take them over next year.",
}


def test_the_builder_indexes_documents_handed_to_it_with_any_chunk_embedder(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    checked: ChunkEmbedder = embedder  # the protocol is all the builder needs
    docs = [make_document(doc_id, text, title=text.splitlines()[0]) for doc_id, text in POSTS.items()]
    settings = Settings(corpus_dir=tmp_path / "no-such-corpus", index_dir=tmp_path / "index",
                        sentence_vectors=SentenceVectors.INDEPENDENT)  # chunk vectors straight from it
    report = IndexBuilder(settings, embedder=checked).run(documents=docs)
    assert sorted(report.added) == ["p1", "p2"] and report.skipped == () and not report.model_loaded
    index = Index.open(tmp_path / "index")
    assert index.document_ids() == ["p1", "p2"] and index.manifest.max_seq_length == 64
    rows, _ = index.search_lexical("swimming pools trust", 3)
    assert index.passages(rows, [0.0] * len(rows))[0].doc_id == "p2"
    for passage in index.passages(range(index.chunk_count), [0.0] * index.chunk_count):
        assert POSTS[passage.doc_id][passage.start:passage.end] == passage.text
    rows, scores = index.search_dense(embedder._vector(embedder.texts[0]), 1)
    assert rows.tolist() == [0] and scores[0] == pytest.approx(1.0, abs=1e-5)
    index.close()

    # an update embeds only the changed document and keeps the other's vectors
    embedder.texts.clear()
    edited = POSTS["p2"].replace("next year", "in April")
    changed = [docs[0], make_document("p2", edited, title="Swimming pools")]
    report = IndexBuilder(settings, embedder=embedder).run(documents=changed)
    assert report.changed == ("p2",) and report.unchanged == ("p1",)
    assert embedder.texts and all("Libraries" not in t and "libraries" not in t for t in embedder.texts)
    assert "in April" in Index.open(tmp_path / "index").document("p2").text  # type: ignore[union-attr]


def test_a_first_build_that_fails_leaves_no_index_folder_and_a_failed_update_keeps_the_index(
        tmp_path: Path) -> None:
    fresh = tmp_path / "new-index"
    missing = tmp_path / "no-corpus"
    with pytest.raises(CorpusError):
        IndexBuilder(Settings(corpus_dir=missing, index_dir=fresh), embedder=HashEmbedder()).run()
    assert not fresh.exists()
    docs = [make_document(doc_id, text) for doc_id, text in POSTS.items()]
    kept = tmp_path / "index"
    IndexBuilder(Settings(corpus_dir=tmp_path / "unused", index_dir=kept), embedder=HashEmbedder()).run(
        documents=docs)
    with pytest.raises(CorpusError):
        IndexBuilder(Settings(corpus_dir=missing, index_dir=kept), embedder=HashEmbedder()).run()
    assert Index.open(kept).document_ids() == ["p1", "p2"]
