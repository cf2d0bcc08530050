"""The Qdrant chunk store: one collection per generation, with each chunk's dense vector and BM25 sparse
vector, searched by Qdrant's query API (dense and sparse prefetches fused by reciprocal rank fusion,
https://qdrant.tech/documentation/concepts/hybrid-queries/).

Point ``n`` is chunk row ``n`` of the store; its payload holds the chunk's ``row``, ``doc_id``,
``start``, ``end`` (character offsets into the document's text) and ``text``. Dense vectors are the
normalised chunk vectors, scored by dot product (= cosine, as FAISS scores them); sparse vectors carry
whole BM25 weights (``rag.index.sparse``), so no Qdrant-side idf is needed.

Where the collection lives:

- **local mode** (no ``qdrant_url``): ``QdrantClient(path=<generation folder>/qdrant)``, in-process and
  on disk, so the collection is part of the generation folder and goes with it. Local mode loads every
  point into memory when opened and searches by brute force in numpy (and Python, for sparse
  vectors); one process at a time may open a folder.
- **a server or cluster** (``qdrant_url``): the collection ``rag-<generation>``, written before the
  manifest names the generation (the manifest flip stays the commit point). The generation folder
  holds ``qdrant.json`` naming the server and collection, written before the first point is
  uploaded, so clean-up finds and deletes the collections of replaced generations and of killed builds.

``qdrant_client`` is imported only here and only when a Qdrant store is written or opened; without it
the store raises ``StoreUnavailableError`` naming the extra to install.
"""

from __future__ import annotations

import atexit
import json
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from rag.errors import IndexBusyError, StoreUnavailableError
from rag.index.search import RankFusion, Ranking
from rag.index.sparse import Lexicon, SparseVector
from rag.lexical import terms
from rag.settings import IndexKind, Settings

QDRANT_DIR = "qdrant"
"""Local mode's folder inside a generation folder."""
COLLECTION_FILE = "qdrant.json"
"""In a generation folder written to a server: ``{"url": ..., "collection": ...}``."""
DENSE, SPARSE = "dense", "bm25"
"""The collection's named vectors."""
UPLOAD_BATCH = 256  # points per upsert request
LOCAL_LARGE = 20_000
"""Above this many points qdrant-client warns that local mode is slow; the builder says so once itself."""


def qdrant_models() -> ModuleType:
    """``qdrant_client.models``; raises ``StoreUnavailableError`` when qdrant-client is not installed."""
    try:
        from qdrant_client import models
    except ImportError:
        raise StoreUnavailableError(
            "The Qdrant store needs qdrant-client: pip install -e '.[qdrant]' (or set RAG_STORE=faiss)."
        ) from None
    return models


def collection_name(generation: str) -> str:
    """The collection of a generation: ``rag-<generation>`` (local mode uses the same name)."""
    return f"rag-{generation}"


def resolve_kind(settings: Settings) -> IndexKind:
    """What dense search the Qdrant store does: exact (brute force) in local mode, HNSW on a server."""
    return IndexKind.HNSW if settings.qdrant_url else IndexKind.FLAT


def _connect_url(url: str, settings: Settings) -> Any:
    qdrant_models()
    from qdrant_client import QdrantClient

    key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
    return QdrantClient(url=url, api_key=key)


class _LocalClients:
    """Local-mode clients shared within the process: qdrant-client locks a folder for one client, and
    several ``Index`` objects (threads, the app, a test) may open the same generation. Counted, so the
    last ``release`` closes the client and frees the folder."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Path, tuple[Any, int]] = {}
        # closed before the interpreter tears its modules down: a client left to its __del__ at
        # shutdown prints "ImportError: sys.meta_path is None" on its way out
        atexit.register(self.close_all)

    def close_all(self) -> None:
        with self._lock:
            clients, self._open = [client for client, _ in self._open.values()], {}
        for client in clients:
            client.close()

    def acquire(self, path: Path) -> Any:
        qdrant_models()
        from qdrant_client import QdrantClient

        path = path.resolve()
        with self._lock:
            client, users = self._open.get(path, (None, 0))
            if client is None:
                try:
                    with warnings.catch_warnings():
                        warnings.filterwarnings("ignore", "Local mode is not recommended", UserWarning)
                        client = QdrantClient(path=str(path), force_disable_check_same_thread=True)
                except RuntimeError as exc:  # portalocker: the folder is locked by another process
                    raise IndexBusyError(
                        f"The Qdrant index in {path} is open in another process: Qdrant's local mode serves "
                        "one process at a time (a Qdrant server, RAG_QDRANT_URL, serves many).") from exc
            self._open[path] = (client, users + 1)
            return client

    def release(self, path: Path) -> None:
        path = path.resolve()
        with self._lock:
            client, users = self._open.get(path, (None, 0))
            if client is None:
                return
            if users > 1:
                self._open[path] = (client, users - 1)
            else:
                del self._open[path]
                client.close()


_local = _LocalClients()


def _points(models: ModuleType, vectors: np.ndarray, sparse: Sequence[SparseVector],
            payloads: Sequence[Mapping[str, Any]]) -> Iterator[list[Any]]:
    """Batches of ``UPLOAD_BATCH`` points, point id = chunk row."""
    for lo in range(0, len(vectors), UPLOAD_BATCH):
        yield [models.PointStruct(id=row, payload=dict(payloads[row]), vector={
            DENSE: vectors[row].tolist(),
            SPARSE: models.SparseVector(indices=sparse[row][0].tolist(), values=sparse[row][1].tolist())})
            for row in range(lo, min(lo + UPLOAD_BATCH, len(vectors)))]


def write_qdrant(folder: Path, generation: str, vectors: np.ndarray, sparse: Sequence[SparseVector],
                 payloads: Sequence[Mapping[str, Any]], settings: Settings) -> None:
    """Write one generation's collection: ``vectors`` (normalised float32, (chunks, dimension)), one
    sparse BM25 vector and one payload per chunk row. Local mode writes into ``folder/qdrant``; with
    ``settings.qdrant_url`` the collection goes to that server, after ``folder/qdrant.json`` names it.
    Raises ``StoreUnavailableError`` without qdrant-client; a server's errors propagate."""
    models = qdrant_models()
    name = collection_name(generation)
    if settings.qdrant_url:
        (folder / COLLECTION_FILE).write_text(json.dumps({"url": settings.qdrant_url, "collection": name}))
        client = _connect_url(settings.qdrant_url, settings)
    else:
        client = _local.acquire(folder / QDRANT_DIR)
    try:
        client.create_collection(
            name,
            vectors_config={DENSE: models.VectorParams(size=int(vectors.shape[1]),
                                                       distance=models.Distance.DOT)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams()},
        )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Local mode is not recommended", UserWarning)
            for batch in _points(models, vectors, sparse, payloads):
                client.upsert(name, points=batch, wait=True)
    finally:
        if settings.qdrant_url:
            client.close()
        else:
            _local.release(folder / QDRANT_DIR)


def drop_collection(folder: Path, settings: Settings) -> None:
    """Delete the server collection a generation folder names (``qdrant.json``), if it names one: the
    folder is about to be removed. Errors reaching the server propagate."""
    marker = folder / COLLECTION_FILE
    if not marker.is_file():
        return
    where = json.loads(marker.read_text())
    client = _connect_url(where["url"], settings)
    try:
        client.delete_collection(where["collection"])
    finally:
        client.close()


class QdrantSearch:
    """The Qdrant collection of one generation, and its lexicon (term statistics, ``lexicon.json``).

    Dense, lexical and hybrid search each take one round trip; hybrid search is one ``query_points``
    call with a dense and a sparse prefetch of ``n`` each, fused by Qdrant's reciprocal rank fusion.
    Qdrant's RRF scores 1 / (k + position), position from 0, so it is given ``k + 1`` to score
    1 / (k + rank) like ``reciprocal_rank_fusion``; with weights other than 1 Qdrant's weighted form,
    w / (rank + w·k), differs a little from the local w / (k + rank). Needs Qdrant and qdrant-client
    ≥ 1.16 (the RRF ``k`` parameter), ≥ 1.17 for weights other than 1.
    """

    def __init__(self, folder: Path, generation: str, url: str | None, settings: Settings) -> None:
        self.folder, self.url, self.settings = folder, url, settings
        self.collection = collection_name(generation)
        self.models = qdrant_models()
        self.lexicon = Lexicon.read(folder)
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The client, connected on first use (local mode: shared with other ``QdrantSearch`` of the
        folder)."""
        with self._lock:
            if self._client is None:
                self._client = (_connect_url(self.url, self.settings) if self.url
                                else _local.acquire(self.folder / QDRANT_DIR))
            return self._client

    def _sparse_query(self, text: str) -> Any | None:
        ids, counts = self.lexicon.query_vector(terms(text))
        if not len(ids):
            return None
        return self.models.SparseVector(indices=ids.tolist(), values=counts.tolist())

    def _ranking(self, points: Sequence[Any]) -> Ranking:
        return (np.array([p.id for p in points], np.int64), np.array([p.score for p in points], np.float32))

    def search_dense(self, query: np.ndarray, n: int) -> Ranking:
        if n <= 0:
            return self._ranking([])
        vector = np.asarray(query, np.float32).reshape(-1).tolist()
        return self._ranking(self.client.query_points(self.collection, query=vector, using=DENSE, limit=n,
                                                      with_payload=False).points)

    def search_lexical(self, text: str, n: int) -> Ranking:
        sparse = self._sparse_query(text)
        if sparse is None or n <= 0:
            return self._ranking([])
        return self._ranking(self.client.query_points(self.collection, query=sparse, using=SPARSE, limit=n,
                                                      with_payload=False).points)

    def search_hybrid(self, text: str, query: np.ndarray, n: int, fusion: RankFusion
                      ) -> list[tuple[int, float]]:
        m = self.models
        prefetch, weights = [], []
        if fusion.dense_weight > 0:
            vector = np.asarray(query, np.float32).reshape(-1).tolist()
            prefetch.append(m.Prefetch(query=vector, using=DENSE, limit=n))
            weights.append(fusion.dense_weight)
        sparse = self._sparse_query(text) if fusion.lexical_weight > 0 else None
        if sparse is not None:
            prefetch.append(m.Prefetch(query=sparse, using=SPARSE, limit=n))
            weights.append(fusion.lexical_weight)
        if not prefetch or n <= 0:
            return []
        weighted = {"weights": weights} if any(w != 1 for w in weights) else {}  # Qdrant >= 1.17
        rrf = m.Rrf(k=fusion.k + 1, **weighted)
        points = self.client.query_points(self.collection, prefetch=prefetch, query=m.RrfQuery(rrf=rrf),
                                          limit=n * len(prefetch), with_payload=False).points
        return [(int(p.id), float(p.score)) for p in points]

    def term_idf(self, terms: Sequence[str]) -> dict[str, float]:
        return self.lexicon.idf(terms)

    def vocabulary(self) -> Mapping[str, int]:
        return self.lexicon.vocabulary

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is None:
            return
        if self.url:
            client.close()
        else:
            _local.release(self.folder / QDRANT_DIR)
