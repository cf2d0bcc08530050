"""Chunk embedding as a Ray Data job, for corpora that outgrow one machine's embedding speed.

``RayEmbedder`` is a ``ChunkEmbedder``: the builder hands it the texts it would hand the local model,
and gets back the same vectors, in the same order; the builder then stores them as usual (SQLite,
FAISS, BM25 stay on this machine). The work runs as ``ray.data.from_items(...).map_batches(...)``
over a pool of actors, each holding the embedding model and backend the build is configured with
(https://docs.ray.io/en/latest/data/transforming-data.html#stateful-transforms). Without an address
Ray starts on this machine; with one (``ray start --head`` on the head node, ``ray start
--address=HEAD:6379`` on each worker) the job runs on that cluster.

Ray is an optional extra (``pip install -e '.[ray]'``): only this module imports it, and only when a
build asks for it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rag.embedding import Embedder
from rag.errors import RagError
from rag.settings import SentenceVectors, Settings

LOCAL = "local"
"""The address meaning: start Ray on this machine."""
RAY_BATCH = 64
"""Texts per ``map_batches`` call on an actor."""


def _ray() -> Any:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # Ray would otherwise phone home
    try:
        import ray
    except ImportError:
        raise RagError("Embedding on Ray needs Ray: pip install -e '.[ray]' "
                       "(or pip install 'ray[data]').") from None
    return ray


class _EmbedActor:
    """One Ray actor: the build's embedding model, loaded once, encoding batches of rows (plain texts,
    or chunks with the character spans of their sentences, as int64 bytes)."""

    def __init__(self, settings: dict[str, Any], chunks: bool) -> None:
        self.embedder = Embedder.from_settings(Settings(**settings))
        self.mode = SentenceVectors(settings["sentence_vectors"])
        self.chunks = chunks

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        if not self.chunks:
            return {"position": batch["position"], "vector": self.embedder.encode_texts(texts),
                    "sentences": np.array([b""] * len(texts), dtype=object)}
        spans = [[(int(a), int(b)) for a, b in np.frombuffer(blob, np.int64).reshape(-1, 2)]
                 for blob in batch["spans"]]
        chunk_vectors, sentence_vectors = self.embedder.encode_chunks(texts, spans, self.mode)
        return {"position": batch["position"], "vector": chunk_vectors,
                "sentences": np.array([v.astype(np.float32).tobytes() for v in sentence_vectors],
                                      dtype=object)}


class RayEmbedder:
    """A ``ChunkEmbedder`` that embeds on Ray. Cheap to construct: Ray starts (or is joined) at the
    first call that has something to embed.

    ``address``: ``"local"`` (or None) starts Ray here; else a cluster address (``HOST:6379``, or
    ``ray://HOST:10001`` for Ray Client). ``actors``: model replicas, by default one per CPU of the
    cluster. Raises ``RagError`` if Ray is not installed or the cluster cannot be reached.
    """

    def __init__(self, settings: Settings, address: str | None = LOCAL, *, actors: int | None = None) -> None:
        self.settings = settings
        self.address = None if address in (None, "", LOCAL) else address
        self.actors = actors
        self.local = Embedder.from_settings(settings)  # tokenizer and limits only: the model runs on Ray
        self._started = False

    # what the builder reads besides the vectors: from the model's files, no model load

    @property
    def loaded(self) -> bool:
        return self._started

    @property
    def max_seq_length(self) -> int:
        return self.local.max_seq_length

    @property
    def content_limit(self) -> int:
        return self.local.content_limit

    @property
    def count_model_tokens(self) -> Callable[[str], int]:
        return self.local.count_model_tokens

    # the work

    def _start(self) -> Any:
        ray = _ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or "this machine"
                raise RagError(f"Could not start or join Ray on {where}: {exc}") from None
            logging.getLogger("ray.data").setLevel(logging.WARNING)  # the build reports its own progress
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False
            context.print_on_execution_start = False
        self._started = True
        return ray

    def _run(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]] | None
             ) -> tuple[np.ndarray, list[np.ndarray]]:
        ray = self._start()
        actors = self.actors or max(1, int(ray.cluster_resources().get("CPU", 1)))
        items = [{"position": i, "text": t,
                  "spans": np.asarray(spans[i] if spans else [], dtype=np.int64).tobytes()}
                 for i, t in enumerate(texts)]
        dataset = ray.data.from_items(items).map_batches(
            _EmbedActor, fn_constructor_kwargs={"settings": self.settings.model_dump(mode="json"),
                                                "chunks": spans is not None},
            batch_size=RAY_BATCH, batch_format="numpy", num_cpus=1,
            compute=ray.data.ActorPoolStrategy(size=min(actors, max(len(texts) // RAY_BATCH, 1))))
        vectors: np.ndarray | None = None
        sentences: list[np.ndarray] = [np.zeros((0, 0), np.float32)] * len(texts)
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            if vectors is None:
                vectors = np.empty((len(texts), batch["vector"].shape[1]), np.float32)
            for position, vector, blob in zip(batch["position"], batch["vector"], batch["sentences"],
                                              strict=True):
                vectors[int(position)] = vector
                sentences[int(position)] = np.frombuffer(blob, np.float32).reshape(-1, vector.shape[0])
        if vectors is None:
            raise RagError("The Ray job returned no vectors.")
        return vectors, sentences

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors of texts, shape (len(texts), dimension), computed on Ray."""
        return self._run(texts, None)[0] if texts else np.zeros((0, 0), np.float32)

    def encode_chunks(self, texts: Sequence[str], sentence_spans: Sequence[Sequence[tuple[int, int]]],
                      mode: SentenceVectors = SentenceVectors.CONTEXTUAL
                      ) -> tuple[np.ndarray, list[np.ndarray]]:
        """What ``Embedder.encode_chunks`` returns for the same arguments, computed on Ray. The mode
        is the build's (``settings.sentence_vectors``), which the actors are configured with."""
        if mode != self.settings.sentence_vectors:
            raise ValueError(f"this embedder's actors make {self.settings.sentence_vectors} vectors, "
                             f"not {mode}")
        return self._run(texts, sentence_spans)

    def close(self) -> None:
        """Leave Ray (a local Ray started here stops)."""
        if self._started:
            _ray().shutdown()
            self._started = False
