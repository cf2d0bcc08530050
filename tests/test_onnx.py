"""The ONNX Runtime embedding backends: export once and cache, agreement with torch on the real
corpus, answering from an ONNX-built index without importing torch, and build-setting checks.

Exports go to the session's cache folder (``onnx_cache`` in conftest). The session's shared model
and index are reused whenever they already use the backend a test needs (``onnx`` is the default).
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
from rag.onnx_export import INFO_FILE, MIN_COSINE, MODEL_FILE, ensure_export, export_name, export_onnx
from rag.pipeline import RAG
from rag.settings import EmbeddingBackend, SentenceVectors, Settings
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.integration

ONNX = EmbeddingBackend.ONNX
INT8 = EmbeddingBackend.ONNX_INT8
TORCH = EmbeddingBackend.TORCH
QUESTION = "What did the Labour pledge say about protecting frontline services?"
EXPECTED = "We want to protect frontline services"


def backend_of(index_dir: Path) -> EmbeddingBackend:
    return Index.open(index_dir).settings.embedding_backend


@pytest.fixture(scope="session")
def onnx_embedder(embedder: Embedder) -> Embedder:
    """The fp32 ONNX embedder (the session's own when it is the default)."""
    model = embedder if embedder.backend == ONNX else Embedder(backend=ONNX)
    model.encode_query("warm up")
    return model


@pytest.fixture(scope="session")
def int8_embedder() -> Embedder:
    model = Embedder(backend=INT8)
    model.encode_query("warm up")
    return model


@pytest.fixture(scope="session")
def torch_embedder(embedder: Embedder) -> Embedder:
    return embedder if embedder.backend == TORCH else Embedder(backend=TORCH)


@pytest.fixture(scope="session")
def onnx_index(built_index: Path, onnx_embedder: Embedder, tmp_path_factory) -> Path:
    """The real corpus indexed with the onnx backend (the session's own index when it already is)."""
    if backend_of(built_index) == ONNX:
        return built_index
    index_dir = tmp_path_factory.mktemp("index-onnx")
    IndexBuilder(Settings(corpus_dir=CORPUS, index_dir=index_dir, embedding_backend=ONNX),
                 embedder=onnx_embedder).run()
    return index_dir


def corpus_chunks(index_dir: Path) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Every chunk's text and its sentences' spans (relative to the chunk)."""
    index = Index.open(index_dir)
    rows = list(range(index.chunk_count))
    passages = index.passages(rows, [0.0] * len(rows))
    spans = [[(a - p.start, b - p.start) for _, a, b in index.sentences_of(p.row)] for p in passages]
    return [p.text for p in passages], spans


def export_folder(embedder: Embedder, cache: Path) -> Path:
    return cache / export_name(embedder._files_dir, embedder.backend)


# --------------------------------------------------------------------------- export and cache


def test_the_export_is_made_once_and_reused(onnx_embedder, onnx_cache, monkeypatch) -> None:
    folder = export_folder(onnx_embedder, onnx_cache)
    assert (folder / MODEL_FILE).is_file() and not onnx_embedder._model  # torch model released
    assert not [p for p in onnx_cache.iterdir() if p.name.startswith(".tmp-")]
    info = json.loads((folder / INFO_FILE).read_text())
    assert info["backend"] == "onnx" and info["cosine_to_torch"]["min"] > 0.9999
    stamp = (folder / MODEL_FILE).stat().st_mtime_ns

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr("rag.onnx_export._export_into", no_export)
    again = Embedder(backend=ONNX)
    vector = again.encode_query(QUESTION)
    assert again.loaded and again._model is None  # ONNX Runtime only: the torch model never loaded
    assert np.allclose(vector, onnx_embedder.encode_query(QUESTION), atol=1e-6)
    assert (folder / MODEL_FILE).stat().st_mtime_ns == stamp


def test_the_export_traces_plain_attention_and_leaves_the_torch_model_as_it_was(torch_embedder, tmp_path,
                                                                              monkeypatch) -> None:
    import torch

    transformer = torch_embedder.model[0].auto_model
    before = transformer.config._attn_implementation
    traced_with = []
    real_export = torch.onnx.export

    def recording_export(*args, **kwargs):
        traced_with.append(transformer.config._attn_implementation)
        return real_export(*args, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", recording_export)
    export_onnx(torch_embedder.model, tmp_path / "model.onnx")
    assert traced_with == ["eager"]  # what ONNX Runtime fuses; SDPA exports as extra mask arithmetic
    assert transformer.config._attn_implementation == before  # the torch model answers as it did
    assert (tmp_path / "model.onnx").stat().st_size > 1_000_000


def test_an_export_that_disagrees_with_torch_is_refused_and_not_cached(onnx_embedder, onnx_cache, tmp_path,
                                                                       monkeypatch) -> None:
    """Quantisation too lossy: a clear error, and nothing left in the cache (the next run retries)."""
    cached = export_folder(onnx_embedder, onnx_cache) / MODEL_FILE

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
        ensure_export(onnx_embedder._files_dir, INT8, cache, lambda: None, 256)
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []


# --------------------------------------------------------------------------- agreement with torch


@pytest.mark.parametrize("backend", [ONNX, INT8])
def test_vectors_agree_with_torch_on_the_real_corpus(backend, request, torch_embedder, built_index) -> None:
    """Chunk vectors both ways (on their own, and pooled in the one-pass contextual mode), and the
    contextual sentence vectors pooled by token offsets."""
    model = request.getfixturevalue("onnx_embedder" if backend == ONNX else "int8_embedder")
    texts, spans = corpus_chunks(built_index)
    floor = 0.9999 if backend == ONNX else MIN_COSINE
    vecs = model.encode_texts(texts)
    cosines = (torch_embedder.encode_texts(texts) * vecs).sum(axis=1)
    assert len(texts) > 20 and cosines.min() >= floor, cosines.min()
    assert np.allclose(vecs[:3], model.encode_texts(texts[:3]), atol=1e-6)  # a text's vector is its own
    t_chunks, t_sents = torch_embedder.encode_chunks(texts, spans, SentenceVectors.CONTEXTUAL)
    o_chunks, o_sents = model.encode_chunks(texts, spans, SentenceVectors.CONTEXTUAL)
    assert np.allclose(o_chunks, vecs, atol=1e-5)  # the same chunk vector either way, as on torch
    assert (t_chunks * o_chunks).sum(axis=1).min() >= floor
    sentence_cos = np.concatenate([(a * b).sum(axis=1) for a, b in zip(t_sents, o_sents, strict=True)])
    assert len(sentence_cos) > 50
    assert sentence_cos.min() >= (0.9999 if backend == ONNX else 0.98) and sentence_cos.mean() >= floor
    if backend == INT8:  # the six FFN output layers (and only those) stayed fp32
        info = json.loads((export_folder(model, model.cache_dir) / INFO_FILE).read_text())
        kept = info["fp32_matmuls_kept"]
        assert len(kept) == 6 and all("/output/dense/" in n and "attention" not in n for n in kept)


# --------------------------------------------------------------------------- answering


@pytest.mark.parametrize("backend", ["onnx_embedder", "torch_embedder"])
def test_a_question_and_its_tokens_come_from_one_pass_with_the_same_vector(backend, request) -> None:
    model: Embedder = request.getfixturevalue(backend)
    text = "How does Osborne's idea of who should run mutuals differ from the councillor's?"
    embedded = model.encode_query_tokens(text)
    assert np.allclose(embedded.vector, model.encode_query(text), atol=1e-5)
    start = text.index("idea")
    end = text.index(" differ") + len(" differ")
    part = embedded.pooled([(start, end)])
    alone = model.encode_query(text[start:end])
    other = model.encode_query("When was the Labour pledge announced?")
    # the part pooled from the question's tokens is near the part embedded alone, not the whole
    assert part is not None and float(part @ alone) > 0.8 > float(part @ other)
    assert float(part @ alone) > float(embedded.vector @ alone)
    assert embedded.pooled([(0, 0)]) is None
    # a compound question's parts, in the same pass: each the vector it would have alone
    parts = ["Who chairs the Commission on Ownership?", "Who funds it? Commission on Ownership"]
    together, vectors = model.encode_query_and_texts(text, parts)
    assert np.allclose(together.vector, embedded.vector, atol=1e-5) and vectors.shape == (2, len(alone))
    assert np.allclose(vectors, model.encode_texts(parts), atol=1e-5)


def test_an_onnx_index_answers_with_the_expected_quote(onnx_index, onnx_embedder) -> None:
    assert backend_of(onnx_index) == ONNX
    index = Index.open(onnx_index)
    answer = RAG(index, index.settings, embedder=onnx_embedder).answer(QUESTION)
    assert answer.found and EXPECTED in answer.text
    for c in answer.citations:
        assert index.document(c.doc_id).text[c.start:c.end] == c.quote


def test_a_fresh_process_answers_from_an_onnx_index_without_importing_torch(onnx_index, onnx_embedder
                                                                          ) -> None:
    """`rag ask` in a new process: the cached export and ONNX Runtime, no torch, no sentence-transformers."""
    code = (
        "import json, sys\n"
        "from rag.cli import cli\n"
        f"cli(['ask', '--index', {str(onnx_index)!r}, '--json', {QUESTION!r}], standalone_mode=False)\n"
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
    return ONNX if backend_of(index_dir) == TORCH else TORCH


def test_asking_for_another_backend_than_the_index_was_built_with_is_a_clear_error(
        built_index, onnx_index, monkeypatch) -> None:
    for index_dir in {built_index, onnx_index}:
        wanted = other_backend(index_dir)
        built = backend_of(index_dir)
        with pytest.raises(IndexMismatchError,
                           match=rf"embedding_backend: index has '{built}'.*rag index --rebuild --index"):
            Index.open(index_dir, Settings(embedding_backend=wanted))
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "torch")
    result = CliRunner().invoke(cli, ["ask", "--index", str(onnx_index), QUESTION])
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
        Index.open(index_dir, Settings(embedding_backend=ONNX))


def test_changing_the_backend_re_embeds_on_the_next_build(onnx_index, int8_embedder, tmp_path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(onnx_index, index_dir)
    logs: list[str] = []
    report = IndexBuilder(Settings(corpus_dir=CORPUS, index_dir=index_dir, embedding_backend=INT8),
                          embedder=int8_embedder, log=logs.append).run()
    assert any("embedding_backend" in line and "re-embedding everything" in line for line in logs)
    assert report.chunks_embedded == report.chunks_total and backend_of(index_dir) == INT8


def test_the_setting_reads_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("RAG_EMBEDDING_BACKEND", "onnx-int8")
    assert Settings().embedding_backend == INT8 and Embedder().backend == INT8
    assert Embedder.from_settings(Settings(embedding_backend=TORCH)).backend == TORCH
    monkeypatch.delenv("RAG_EMBEDDING_BACKEND")
    assert Settings().embedding_backend == Embedder().backend == ONNX  # the default


def test_loading_the_torch_model_draws_no_progress_bar(capfd) -> None:
    """The CLI's own messages are the only output: no "Loading weights" bar from transformers."""
    Embedder(backend=TORCH).encode_query("warm up")
    assert "Loading weights" not in capfd.readouterr().err


@pytest.mark.unit
def test_the_export_name_follows_the_models_content_not_where_or_when_it_was_installed(tmp_path) -> None:
    """Each clone installs the model in its own virtual environment: the same files share one export
    (before, every clone exported its own 87 MB copy); a changed file gets a new one."""
    import os

    from rag.onnx_export import EDGE_BYTES, WHOLE_FILE_BYTES

    first, second = tmp_path / "venv-a" / "pkg" / "model", tmp_path / "venv-b" / "pkg" / "model"
    for folder in (first, second):
        folder.mkdir(parents=True)
        (folder / "config.json").write_text('{"hidden_size": 384}', encoding="utf-8")
        weights = bytes(range(256)) * ((WHOLE_FILE_BYTES + EDGE_BYTES) // 256)  # past the whole-file size
        (folder / "model.safetensors").write_bytes(weights)
    os.utime(second / "config.json", ns=(10**18, 10**18))  # installed at another time
    assert export_name(first, EmbeddingBackend.ONNX) == export_name(second, EmbeddingBackend.ONNX)
    assert export_name(first, EmbeddingBackend.ONNX) != export_name(first, EmbeddingBackend.ONNX_INT8)
    (second / "config.json").write_text('{"hidden_size": 768}', encoding="utf-8")
    assert export_name(first, EmbeddingBackend.ONNX) != export_name(second, EmbeddingBackend.ONNX)
    before = export_name(first, EmbeddingBackend.ONNX)
    weights = bytearray((first / "model.safetensors").read_bytes())
    weights[-1] ^= 0xFF  # the weights' last bytes changed, the size did not
    (first / "model.safetensors").write_bytes(bytes(weights))
    assert export_name(first, EmbeddingBackend.ONNX) != before
