"""The ONNX Runtime embedding backends: export once and cache, agreement with torch on the real
corpus, answering from an ONNX-built index without importing torch, and build-setting checks.

The int8 export is made once per session into the session's cache folder (``onnx_cache`` in
conftest) and shared; if the session's default backend is already onnx-int8, the shared model
and index are reused as they are.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from rag.cli import cli
from rag.embedding import Embedder
from rag.errors import IndexMismatchError, RagError
from rag.index import MANIFEST, Index, IndexBuilder
from rag.onnx_export import INFO_FILE, MIN_COSINE, MODEL_FILE, ensure_export, export_name
from rag.pipeline import RAG
from rag.settings import EmbeddingBackend, SentenceVectors, Settings
from tests.conftest import CORPUS, ROOT

INT8 = EmbeddingBackend.ONNX_INT8
TORCH = EmbeddingBackend.TORCH
QUESTION = "What did the Labour pledge say about protecting frontline services?"
EXPECTED = "We want to protect frontline services"


@pytest.fixture(scope="session")
def int8_embedder(embedder: Embedder) -> Embedder:
    """The onnx-int8 embedder, exported once (the session's own when it is already int8)."""
    model = embedder if embedder.backend == INT8 else Embedder(backend=INT8)
    model.encode_query("warm up")
    return model


@pytest.fixture(scope="session")
def torch_embedder(embedder: Embedder) -> Embedder:
    return embedder if embedder.backend == TORCH else Embedder(backend=TORCH)


def backend_of(index_dir: Path) -> EmbeddingBackend:
    return Index.open(index_dir).settings.embedding_backend


@pytest.fixture(scope="session")
def int8_index(built_index: Path, int8_embedder: Embedder, tmp_path_factory) -> Path:
    """An index of the real corpus built with onnx-int8 (the session's own when it already is)."""
    if backend_of(built_index) == INT8:
        return built_index
    index_dir = tmp_path_factory.mktemp("index-int8")
    IndexBuilder(Settings(corpus_dir=CORPUS, index_dir=index_dir, embedding_backend=INT8),
                 embedder=int8_embedder).run()
    return index_dir


def corpus_chunks(index_dir: Path) -> tuple[list[str], list[list[tuple[int, int]]], np.ndarray]:
    """Every chunk's text, its sentences' spans (relative to the chunk) and its stored vector."""
    index = Index.open(index_dir)
    rows = list(range(index.chunk_count))
    passages = index.passages(rows, [0.0] * len(rows))
    spans = [[(a - p.start, b - p.start) for _, a, b in index.sentences_of(p.row)] for p in passages]
    return [p.text for p in passages], spans, np.asarray(index.chunk_vectors)


# --------------------------------------------------------------------------- export and cache


def test_the_export_is_made_once_and_reused(int8_embedder, onnx_cache, monkeypatch) -> None:
    name = export_name(int8_embedder._files_dir, INT8)
    folder = onnx_cache / name
    assert (folder / MODEL_FILE).is_file() and not int8_embedder._model  # torch model released
    assert not [p for p in onnx_cache.iterdir() if p.name.startswith(".tmp-")]
    info = json.loads((folder / INFO_FILE).read_text())
    assert info["backend"] == "onnx-int8" and info["cosine_to_torch"]["min"] >= MIN_COSINE
    # the six FFN output layers (and only those) stay fp32; attention's output projection is int8
    kept = info["fp32_matmuls_kept"]
    assert len(kept) == 6 and all("/output/dense/" in n and "attention" not in n for n in kept)

    stamp = (folder / MODEL_FILE).stat().st_mtime_ns

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr("rag.onnx_export._export_into", no_export)
    again = Embedder(backend=INT8)
    vector = again.encode_query(QUESTION)
    assert again.loaded and again._model is None  # ONNX Runtime only: the torch model never loaded
    assert np.allclose(vector, int8_embedder.encode_query(QUESTION), atol=1e-6)
    assert (folder / MODEL_FILE).stat().st_mtime_ns == stamp


def test_an_export_that_disagrees_with_torch_is_refused_and_not_cached(int8_embedder, onnx_cache, tmp_path,
                                                                       monkeypatch) -> None:
    """Quantisation too lossy: a clear error, and nothing left in the cache (the next run retries)."""
    cached = onnx_cache / export_name(int8_embedder._files_dir, INT8) / MODEL_FILE

    def fake_export(model, path):  # stands in for torch.onnx.export: the session's export
        shutil.copyfile(cached, path)
        return ["input_ids", "attention_mask", "token_type_ids"]

    def fake_quantize(source, target):
        shutil.copyfile(source, target)
        return []

    monkeypatch.setattr("rag.onnx_export.export_onnx", fake_export)
    monkeypatch.setattr("rag.onnx_export.quantize_int8", fake_quantize)
    monkeypatch.setattr("rag.onnx_export.agreement", lambda *args: [0.999, 0.93])
    cache = tmp_path / "cache"
    with pytest.raises(RagError, match=r"cosine 0\.9300.*embedding_backend=onnx or torch"):
        ensure_export(int8_embedder._files_dir, INT8, cache, lambda: None, 256)
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []


# --------------------------------------------------------------------------- agreement with torch


def test_int8_vectors_agree_with_torch_on_the_real_corpus(int8_embedder, torch_embedder, built_index) -> None:
    texts, spans, _ = corpus_chunks(built_index)
    torch_vecs = torch_embedder.encode_texts(texts)
    onnx_vecs = int8_embedder.encode_texts(texts)
    cosines = (torch_vecs * onnx_vecs).sum(axis=1)
    assert len(texts) > 20 and cosines.min() >= 0.99, cosines.min()
    # the one-pass contextual mode: chunk vectors, and sentence vectors pooled from token offsets
    t_chunks, t_sents = torch_embedder.encode_chunks(texts, spans, SentenceVectors.CONTEXTUAL)
    o_chunks, o_sents = int8_embedder.encode_chunks(texts, spans, SentenceVectors.CONTEXTUAL)
    assert np.allclose(o_chunks, onnx_vecs, atol=1e-5)  # same vector both ways, as on torch
    assert (t_chunks * o_chunks).sum(axis=1).min() >= 0.99
    sentence_cos = np.concatenate([(a * b).sum(axis=1) for a, b in zip(t_sents, o_sents, strict=True)])
    assert len(sentence_cos) > 50 and sentence_cos.min() >= 0.98 and sentence_cos.mean() >= 0.99


@pytest.mark.slow
def test_the_fp32_export_matches_torch(torch_embedder, built_index) -> None:
    texts, spans, _ = corpus_chunks(built_index)
    fp32 = Embedder(backend=EmbeddingBackend.ONNX)
    assert (fp32.encode_texts(texts) * torch_embedder.encode_texts(texts)).sum(axis=1).min() > 0.9999
    _, t_sents = torch_embedder.encode_chunks(texts[:5], spans[:5], SentenceVectors.CONTEXTUAL)
    _, o_sents = fp32.encode_chunks(texts[:5], spans[:5], SentenceVectors.CONTEXTUAL)
    for a, b in zip(t_sents, o_sents, strict=True):
        assert np.allclose(a, b, atol=1e-4)


# --------------------------------------------------------------------------- answering


def test_an_int8_index_answers_with_the_expected_quote(int8_index, int8_embedder) -> None:
    assert backend_of(int8_index) == INT8
    index = Index.open(int8_index)
    answer = RAG(index, index.settings, embedder=int8_embedder).answer(QUESTION)
    assert answer.found and EXPECTED in answer.text
    for c in answer.citations:
        assert index.document(c.doc_id).text[c.start:c.end] == c.quote


def test_a_fresh_process_answers_from_an_onnx_index_without_importing_torch(int8_index, int8_embedder
                                                                          ) -> None:
    """`rag ask` in a new process: the cached export and ONNX Runtime, no torch, no sentence-transformers."""
    code = (
        "import json, sys\n"
        "from rag.cli import cli\n"
        f"cli(['ask', '--index', {str(int8_index)!r}, '--json', {QUESTION!r}], standalone_mode=False)\n"
        "heavy = sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules)\n"
        "print(json.dumps(heavy))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "RAG_EMBEDDING_BACKEND"}  # the index decides
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    *answer_lines, heavy = out.stdout.strip().splitlines()
    answer = json.loads("\n".join(answer_lines))
    assert answer["found"] and EXPECTED in answer["text"]
    assert json.loads(heavy) == []
    assert "Exporting" not in out.stderr  # the session's export was reused


# --------------------------------------------------------------------------- build settings


def other_backend(index_dir: Path) -> EmbeddingBackend:
    return INT8 if backend_of(index_dir) == TORCH else TORCH


def test_asking_for_another_backend_than_the_index_was_built_with_is_a_clear_error(
        built_index, int8_index, monkeypatch) -> None:
    for index_dir in {built_index, int8_index}:
        wanted = other_backend(index_dir)
        built = backend_of(index_dir)
        with pytest.raises(IndexMismatchError,
                           match=rf"embedding_backend: index has '{built}'.*rag index --rebuild --index"):
            Index.open(index_dir, Settings(embedding_backend=wanted))
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", str(other_backend(int8_index)))
    result = CliRunner().invoke(cli, ["ask", "--index", str(int8_index), QUESTION])
    assert result.exit_code == 1
    assert "rag index --rebuild" in result.output and "Traceback" not in result.output


def test_an_index_from_before_the_setting_reads_as_torch(built_index, tmp_path) -> None:
    index_dir = tmp_path / "old"
    shutil.copytree(built_index, index_dir)
    manifest = json.loads((index_dir / MANIFEST).read_text())
    manifest["settings"].pop("embedding_backend")
    (index_dir / MANIFEST).write_text(json.dumps(manifest))
    assert Index.open(index_dir).settings.embedding_backend == TORCH
    assert Index.open(index_dir, Settings(embedding_backend=TORCH)).chunk_count > 0
    with pytest.raises(IndexMismatchError, match="index has 'torch', asked for 'onnx'"):
        Index.open(index_dir, Settings(embedding_backend=EmbeddingBackend.ONNX))


def test_changing_the_backend_re_embeds_on_the_next_build(built_index, int8_embedder, torch_embedder,
                                                          tmp_path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(built_index, index_dir)
    wanted = other_backend(built_index)
    logs: list[str] = []
    report = IndexBuilder(Settings(corpus_dir=CORPUS, index_dir=index_dir, embedding_backend=wanted),
                          embedder=int8_embedder if wanted == INT8 else torch_embedder, log=logs.append).run()
    assert any("embedding_backend" in line and "re-embedding everything" in line for line in logs)
    assert report.chunks_embedded == report.chunks_total and backend_of(index_dir) == wanted


def test_the_setting_reads_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "onnx-int8")
    assert Settings().embedding_backend == INT8 and Embedder().backend == INT8
    assert Embedder.from_settings(Settings(embedding_backend=TORCH)).backend == TORCH
