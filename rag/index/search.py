"""Chunk search behind one protocol: dense, lexical (BM25) and hybrid (both, fused by reciprocal rank).

Two stores implement it: ``FaissSearch`` (the default: FAISS and bm25s files in the generation
folder, fused here) and ``rag.index.qdrant.QdrantSearch`` (one Qdrant collection with dense and BM25
sparse vectors, fused by Qdrant's query API in one round trip). Rows are chunk rows of the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.index.bm25 import open_bm25, search_bm25
from rag.index.bm25 import term_idf as bm25_term_idf
from rag.index.dense import DENSE_FILE, open_dense, search_dense
from rag.settings import IndexKind, Settings

Ranking = tuple[np.ndarray, np.ndarray]
"""(chunk rows, int64; scores, float32), best first."""


@dataclass(frozen=True)
class RankFusion:
    """How a hybrid search fuses its rankings: score(row) = Σ weight / (k + rank), rank from 1
    (Cormack, Clarke & Büttcher, "Reciprocal Rank Fusion outperforms Condorcet and individual rank
    learning methods", SIGIR 2009). A ranking of weight 0 is not searched.

    ``sentence_weight`` adds a third ranking, made by ``rag.index.Index`` from the stored sentence
    vectors: the dense and BM25 candidates ordered by their best sentence's cosine to the question
    (``best_sentence_ranking``). A store's own ``search_hybrid`` fuses only the first two."""

    k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    sentence_weight: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RankFusion:
        """The fusion the configured retrieval uses (``rrf_k`` and the three weights)."""
        return cls(k=settings.rrf_k, dense_weight=settings.dense_weight,
                   lexical_weight=settings.lexical_weight, sentence_weight=settings.sentence_weight)


def reciprocal_rank_fusion(rankings: Sequence[tuple[Sequence[int], float]], k: int = 60
                           ) -> list[tuple[int, float]]:
    """Fuse ranked lists of row ids: score(row) = sum of weight / (k + rank), rank from 1; best first,
    ties by row."""
    fused: dict[int, float] = {}
    for rows, weight in rankings:
        for rank, row in enumerate(rows, start=1):
            fused[int(row)] = fused.get(int(row), 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def best_sentence_ranking(candidates: Sequence[int], sentence_rows: Mapping[int, range],
                          sentence_cosines: Mapping[int, float]) -> list[int]:
    """Candidate chunk rows ordered by the cosine of their best sentence to the question, best first
    (ties by row); a chunk without sentences is left out. This is MaxP aggregation (Dai & Callan,
    "Deeper Text Understanding for IR with Contextual Neural Language Modeling", SIGIR 2019) over a
    chunk's sentences: one sentence that answers outranks a chunk that is only about the topic."""
    best = {int(c): max(sentence_cosines[r] for r in sentence_rows[int(c)])
            for c in dict.fromkeys(candidates) if sentence_rows.get(int(c))}
    return sorted(best, key=lambda c: (-best[c], c))


class ChunkSearch(Protocol):
    """What retrieval and the answerer search: chunks, by vector, by words, or both."""

    def search_dense(self, query: np.ndarray, n: int) -> Ranking:
        """The ``n`` chunks nearest to a normalised query vector (shape (dimension,)), by cosine."""
        ...

    def search_lexical(self, text: str, n: int) -> Ranking:
        """The ``n`` chunks best matching ``text`` by BM25; chunks scoring 0 are left out."""
        ...

    def search_hybrid(self, text: str, query: np.ndarray, n: int, fusion: RankFusion
                      ) -> list[tuple[int, float]]:
        """Up to ``n`` chunks of each search, fused: (row, fused score), best first."""
        ...

    def term_idf(self, terms: Sequence[str]) -> dict[str, float]:
        """BM25 idf of each analysed term; a term no chunk holds gets the largest."""
        ...

    def vocabulary(self) -> Mapping[str, int]:
        """Analysed term → id, for every term of the chunks."""
        ...

    def close(self) -> None:
        ...


class FaissSearch:
    """FAISS (dense) and bm25s (lexical) files of a generation folder, opened memory-mapped on first
    use and shared by all threads; hybrid search fuses their rankings here."""

    def __init__(self, folder: Path, kind: IndexKind, chunks: int, settings: Settings) -> None:
        self.folder, self.kind, self.chunks, self.settings = folder, kind, chunks, settings

    @cached_property
    def dense(self) -> Any:
        """The FAISS index (memory-mapped)."""
        return open_dense(self.folder / DENSE_FILE, self.kind, self.settings)

    @cached_property
    def bm25(self) -> Any:
        """The bm25s index (memory-mapped)."""
        return open_bm25(self.folder)

    def search_dense(self, query: np.ndarray, n: int) -> Ranking:
        return search_dense(self.dense, query, n)

    def search_lexical(self, text: str, n: int) -> Ranking:
        return search_bm25(self.bm25, text, n)

    def search_hybrid(self, text: str, query: np.ndarray, n: int, fusion: RankFusion
                      ) -> list[tuple[int, float]]:
        rankings: list[tuple[Sequence[int], float]] = []
        if fusion.dense_weight > 0:
            rankings.append((self.search_dense(query, n)[0].tolist(), fusion.dense_weight))
        if fusion.lexical_weight > 0:
            rankings.append((self.search_lexical(text, n)[0].tolist(), fusion.lexical_weight))
        return reciprocal_rank_fusion(rankings, fusion.k)

    def term_idf(self, terms: Sequence[str]) -> dict[str, float]:
        return bm25_term_idf(self.bm25, terms, self.chunks)

    def vocabulary(self) -> Mapping[str, int]:
        vocab: dict[str, int] = self.bm25.vocab_dict
        return vocab

    def close(self) -> None:
        """Nothing to release: the files are memory-mapped and unmapped when dropped."""

