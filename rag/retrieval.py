"""Hybrid retrieval: dense search and BM25, fused by reciprocal rank fusion, as passages.

The index does the search and the fusion (``Index.search_hybrid``): the FAISS store fuses its two
rankings locally (``reciprocal_rank_fusion``), the Qdrant store in one query to Qdrant. The fusion
only sees ranks, so either ranking can be weighted without rescaling scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from rag.index import Index
from rag.index.search import RankFusion, reciprocal_rank_fusion
from rag.types import Passage

__all__ = ["HybridRetriever", "distinct_passages", "reciprocal_rank_fusion"]


@dataclass
class HybridRetriever:
    """Dense + lexical search over one index."""

    index: Index
    candidates: int = 50
    fusion: RankFusion = field(default_factory=RankFusion)
    """How the rankings are fused; the configured one is ``RankFusion.from_settings(settings)``."""

    def run(self, query_text: str, query_vector: np.ndarray, k: int) -> list[Passage]:
        """The ``k`` best distinct passages for a question (its text and normalised vector), from
        ``max(candidates, k)`` candidates of each search."""
        fused = self.index.search_hybrid(query_text, query_vector, max(self.candidates, k), self.fusion)
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
