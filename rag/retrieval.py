"""Hybrid retrieval: dense search (FAISS) and BM25, fused by reciprocal rank fusion.

Each retriever is a plain callable returning (rows, scores) best first; the fusion only
sees ranks, so any of them can be swapped or weighted without rescaling scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.index import Index
from rag.types import Passage


def reciprocal_rank_fusion(rankings: Sequence[tuple[Sequence[int], float]], k: int = 60
                           ) -> list[tuple[int, float]]:
    """Fuse ranked lists of row ids: score(row) = sum of weight / (k + rank), rank from 1."""
    fused: dict[int, float] = {}
    for rows, weight in rankings:
        for rank, row in enumerate(rows, start=1):
            fused[int(row)] = fused.get(int(row), 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


@dataclass
class HybridRetriever:
    """Dense + lexical search over one index."""

    index: Index
    candidates: int = 50
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0

    def run(self, query_text: str, query_vector: np.ndarray, k: int) -> list[Passage]:
        n = max(self.candidates, k)
        rankings: list[tuple[Sequence[int], float]] = []
        if self.dense_weight > 0:
            rows, _ = self.index.search_dense(query_vector, n)
            rankings.append((rows.tolist(), self.dense_weight))
        if self.lexical_weight > 0:
            rows, _ = self.index.search_lexical(query_text, n)
            rankings.append((rows.tolist(), self.lexical_weight))
        fused = reciprocal_rank_fusion(rankings, self.rrf_k)
        return distinct_passages(self.index, fused, k)


def distinct_passages(index: Index, fused: Sequence[tuple[int, float]], k: int) -> list[Passage]:
    """The first ``k`` passages of a ranking whose texts differ (ignoring whitespace): the same
    paragraph in two posts (a quotation, a copy) takes one passage slot, not two."""
    out: list[Passage] = []
    seen: set[str] = set()
    for at in range(0, len(fused) if k > 0 else 0, max(k, 1)):
        batch = fused[at:at + k]
        for passage in index.passages([r for r, _ in batch], [s for _, s in batch]):
            key = " ".join(passage.text.split())
            if key not in seen and len(out) < k:
                seen.add(key)
                out.append(passage)
        if len(out) == k:
            break
    return out
