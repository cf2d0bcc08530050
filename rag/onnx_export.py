"""Exporting a sentence-transformers model to ONNX, once, into an on-disk cache.

The export needs torch; using it does not. An export lives in its own folder of the cache,
named after the model and the backend and keyed by a fingerprint of the model's files, the
backend and the versions of the libraries that produce and read it, so upgrading any of them
makes a fresh export instead of reusing a stale one. The folder is written beside its final
name and renamed into place (atomic), under a file lock so that two processes starting at once
export only once.

The cache is per user (``~/.cache/rag/onnx``), not per index: an export depends only on the
model, so every index on the machine shares it and ``rag index --rebuild`` keeps it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import RagError
from rag.settings import EmbeddingBackend

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

EXPORT_FORMAT = 2  # bump when the way models are exported or quantised changes (2: eager attention)
OPSET = 17
MODEL_FILE = "model.onnx"
INFO_FILE = "export.json"
OUTPUT_NAME = "token_embeddings"
MIN_COSINE = 0.99
"""An export whose vectors differ more than this from the torch model's is refused."""

VERSIONED = ("torch", "transformers", "sentence-transformers", "onnx", "onnxruntime")
FFN_OUTPUT = re.compile(r"/layer\.\d+/output/dense/|/ffn/lin2/|/mlp/(down_proj|fc2)/")
"""MatMul nodes of each layer's feed-forward output projection (BERT ``layer.N.output.dense``, not
``attention.output.dense``). Their inputs are wide and spiky: int8 there costs too much accuracy
(cosine to fp32 falls to about 0.9), so they stay fp32."""

SAMPLE_TEXTS = (
    "Who should control local libraries and swimming pools?",
    "What did the council decide about the housing co-operative?",
    "Mutual organisations are owned by their members, who share the profits and elect the board.",
    "The new leisure trust took over the running of the sports centres last April. Staff kept their "
    "jobs and conditions, and residents were invited to become members with a vote at the annual "
    "meeting. Critics argued that the arrangement simply moved responsibility away from elected "
    "councillors, while supporters said it protected the service from further cuts.",
    " ".join(["Tenant management organisations let residents run repairs, cleaning and lettings on "
              "their estates, with a budget handed over by the council each year."] * 12),
)
"""Texts the export is checked on: questions, a sentence, a paragraph and one past 256 tokens."""


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "none"


WHOLE_FILE_BYTES = 4 << 20
"""Files up to this size are fingerprinted by their whole content; larger ones (the weights) by their
size and their first and last ``EDGE_BYTES``, so a cold start reads a few megabytes, not the model."""
EDGE_BYTES = 1 << 20


def _file_fingerprint(path: Path) -> str:
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    with path.open("rb") as f:
        if size <= WHOLE_FILE_BYTES:
            digest.update(f.read())
        else:
            digest.update(f.read(EDGE_BYTES))
            f.seek(size - EDGE_BYTES)
            digest.update(f.read(EDGE_BYTES))
    return digest.hexdigest()


def export_name(model_dir: Path, backend: EmbeddingBackend) -> str:
    """The cache folder of one model and backend: readable prefix, fingerprint suffix.

    The fingerprint covers the model's files by content (not by where they are installed or when, so
    every clone and virtual environment with the same model shares one export), the backend, the
    export format and the library versions; reading it needs no import of torch or onnxruntime."""
    model_dir = model_dir.resolve()
    files = sorted(
        (p.relative_to(model_dir).as_posix(), _file_fingerprint(p))
        for p in model_dir.rglob("*")
        if p.is_file() and ".git" not in p.parts and "__pycache__" not in p.parts
    )
    key = {"format": EXPORT_FORMAT, "opset": OPSET, "files": files,
           "backend": str(backend), "versions": {d: _version(d) for d in VERSIONED}}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", "-".join(model_dir.parts[-2:]))[-60:]
    return f"{slug}-{backend}-{digest}"


def ensure_export(model_dir: Path, backend: EmbeddingBackend, cache_dir: Path,
                  load_model: Callable[[], SentenceTransformer], max_seq_length: int) -> Path:
    """The ONNX file for ``model_dir`` and ``backend``, exported (with torch) only if not cached."""
    from filelock import FileLock, Timeout

    name = export_name(model_dir, backend)
    final = cache_dir / name
    if (final / MODEL_FILE).is_file():
        return final / MODEL_FILE
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RagError(f"Cannot create the ONNX model cache {cache_dir} ({exc}); "
                       "set RAG_ONNX_CACHE_DIR to a writable folder.") from exc
    try:
        with FileLock(str(cache_dir / f".{name}.lock"), timeout=1800):
            if not (final / MODEL_FILE).is_file():  # another process may have finished meanwhile
                print(f"Exporting the embedding model to ONNX ({backend}) once, into {final} ...",
                      file=sys.stderr)
                _export_into(final, load_model(), model_dir, backend, max_seq_length)
    except Timeout:
        raise RagError(f"Timed out waiting for another process exporting {final}.") from None
    return final / MODEL_FILE


def _export_into(final: Path, model: SentenceTransformer, model_dir: Path, backend: EmbeddingBackend,
                 max_seq_length: int) -> None:
    started = time.perf_counter()
    tmp = final.with_name(f".tmp-{final.name}-{uuid.uuid4().hex[:8]}")
    tmp.mkdir()
    try:
        fp32 = tmp / "model-fp32.onnx"
        names = export_onnx(model, fp32)
        target = tmp / MODEL_FILE
        excluded: list[str] = []
        if backend == EmbeddingBackend.ONNX_INT8:
            excluded = quantize_int8(fp32, target)
            fp32.unlink()
        else:
            fp32.rename(target)
        cosines = agreement(model, target, model_dir / "tokenizer.json", max_seq_length, SAMPLE_TEXTS)
        if min(cosines) < MIN_COSINE:
            raise RagError(
                f"The {backend} export of {model_dir} agrees with the torch model only to cosine "
                f"{min(cosines):.4f} on sample texts (at least {MIN_COSINE} is required); use "
                f"embedding_backend=onnx or torch for this model.")
        info = {"model_dir": str(model_dir), "backend": str(backend), "inputs": names,
                "output": OUTPUT_NAME, "opset": OPSET, "fp32_matmuls_kept": excluded,
                "cosine_to_torch": {"min": min(cosines), "mean": sum(cosines) / len(cosines)},
                "versions": {d: _version(d) for d in VERSIONED},
                "seconds": round(time.perf_counter() - started, 1),
                "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        (tmp / INFO_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")
        for path in tmp.iterdir():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
        if final.exists():  # only if its model file was deleted by hand: replace the folder
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def export_onnx(model: SentenceTransformer, path: Path) -> list[str]:
    """Export the transformer of a mean-pooling sentence-transformers model, token embeddings out,
    with dynamic batch and sequence axes. Returns the input names."""
    import torch

    check_supported(model)
    transformer: Any = model[0].auto_model
    tokenizer: Any = model.tokenizer
    sample = tokenizer(["a short text", "a somewhat longer text to trace the model with"],
                             padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            features = dict(zip(names, inputs, strict=True))
            return self.transformer(**features, return_dict=True).last_hidden_state

    wrapper = TokenEmbeddings().eval()
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, OUTPUT_NAME]}
    # Traced with plain (eager) attention: the SDPA path exports as extra mask arithmetic that ONNX
    # Runtime cannot fuse (measured: one question 3.5 ms with SDPA, 3.1 ms eager; same vectors to 5e-6)
    config = getattr(transformer, "config", None)
    before = getattr(config, "_attn_implementation", None)
    settable = before is not None and hasattr(transformer, "set_attn_implementation")
    try:
        if settable:
            transformer.set_attn_implementation("eager")
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer notices
            torch.onnx.export(wrapper, tuple(sample[n] for n in names), str(path), dynamo=False,
                              opset_version=OPSET, input_names=names, output_names=[OUTPUT_NAME],
                              dynamic_axes=axes, do_constant_folding=True)
    finally:
        if settable:
            transformer.set_attn_implementation(before)
    return names


def check_supported(model: SentenceTransformer) -> None:
    """Only a transformer + mean pooling (+ normalisation) pipeline is reproduced in numpy."""
    modules: list[Any] = list(model)
    kinds = [type(m).__name__ for m in modules]
    pooling = modules[1].get_config_dict() if len(kinds) > 1 and kinds[1] == "Pooling" else {}
    mean = pooling.get("pooling_mode") == "mean" or (
        pooling.get("pooling_mode_mean_tokens") and not any(
            pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                     "pooling_mode_mean_sqrt_len_tokens")))
    if (kinds[:2] != ["Transformer", "Pooling"] or not mean or set(kinds[2:]) - {"Normalize"}
            or not hasattr(modules[0], "auto_model")):
        raise RagError(f"The ONNX backends support transformer models with mean pooling; this model is "
                       f"{' → '.join(kinds)} ({pooling or 'no pooling'}). Use embedding_backend=torch.")


def quantize_int8(source: Path, target: Path) -> list[str]:
    """Dynamic int8 quantisation of the MatMul weights, except the feed-forward output layers.
    Returns the names of the MatMuls left in fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    excluded = [n.name for n in graph.node if n.op_type == "MatMul" and FFN_OUTPUT.search(n.name)]
    logging.disable(logging.WARNING)  # "consider pre-processing": not needed for dynamic quantisation
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=excluded)
    finally:
        logging.disable(logging.NOTSET)
    return excluded


def agreement(model: SentenceTransformer, onnx_path: Path, tokenizer_path: Path, max_seq_length: int,
              texts: Sequence[str]) -> list[float]:
    """Cosine between the ONNX and the torch vectors of each text, embedded as answering does."""
    import numpy as np

    from rag.onnx_model import OnnxModel

    onnx_vecs = OnnxModel(onnx_path, tokenizer_path, max_seq_length).encode(texts)
    torch_vecs = np.asarray(model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True))
    return [float(c) for c in (onnx_vecs * torch_vecs).sum(axis=1)]

