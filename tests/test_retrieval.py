"""Hybrid retrieval's pure parts: reciprocal rank fusion, and the retriever over a stand-in index."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from rag.index.reader import Index
from rag.index.search import FaissSearch, RankFusion, best_sentence_ranking
from rag.retrieval import HybridRetriever, reciprocal_rank_fusion
from rag.types import Passage

pytestmark = pytest.mark.unit


def test_one_ranking_scores_by_rank() -> None:
    fused = reciprocal_rank_fusion([([30, 10, 20], 1.0)], k=60)
    assert [row for row, _ in fused] == [30, 10, 20]
    assert [score for _, score in fused] == pytest.approx([1 / 61, 1 / 62, 1 / 63])


def test_a_row_both_rankings_find_beats_rows_only_one_finds() -> None:
    fused = dict(reciprocal_rank_fusion([([3, 1, 2], 1.0), ([1, 4], 1.0)], k=60))
    assert max(fused, key=fused.__getitem__) == 1
    assert fused[1] == pytest.approx(1 / 62 + 1 / 61)
    assert set(fused) == {1, 2, 3, 4}


def test_weights_scale_each_ranking() -> None:
    dense_first = reciprocal_rank_fusion([([1], 2.0), ([2], 1.0)], k=60)
    lexical_first = reciprocal_rank_fusion([([1], 1.0), ([2], 2.0)], k=60)
    assert [row for row, _ in dense_first] == [1, 2] and [row for row, _ in lexical_first] == [2, 1]
    assert dense_first[0][1] == pytest.approx(2 / 61)


def test_ties_go_to_the_lower_row_and_a_smaller_k_favours_the_top() -> None:
    assert [row for row, _ in reciprocal_rank_fusion([([9], 1.0), ([4], 1.0)], k=60)] == [4, 9]
    # row 7 is first in one list and absent from the other; row 8 is fourth in both
    rankings = [([7, 1, 2, 8], 1.0), ([5, 3, 4, 8], 1.0)]
    sharp, flat = dict(reciprocal_rank_fusion(rankings, k=1)), dict(reciprocal_rank_fusion(rankings, k=1000))
    assert sharp[7] > sharp[8] and flat[8] > flat[7]
    assert reciprocal_rank_fusion([], k=60) == [] and reciprocal_rank_fusion([([], 1.0)]) == []


class StandInIndex:
    """Dense and lexical rankings fixed in advance; records what the retriever asks for."""

    def __init__(self, dense: list[int], lexical: list[int], texts: dict[int, str] | None = None) -> None:
        self.dense, self.lexical, self.texts = dense, lexical, texts or {}
        self.asked: list[tuple[str, Any, int]] = []

    def search_dense(self, query: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        self.asked.append(("dense", query.shape, n))
        return np.asarray(self.dense[:n]), np.linspace(0.9, 0.1, len(self.dense[:n]))

    def search_lexical(self, text: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        self.asked.append(("lexical", text, n))
        return np.asarray(self.lexical[:n]), np.linspace(9.0, 1.0, len(self.lexical[:n]))

    search_hybrid = FaissSearch.search_hybrid  # the FAISS store's local fusion, over these rankings

    def passages(self, rows: list[int], scores: list[float]) -> list[Passage]:
        return [Passage(doc_id=f"d{row}", title=None, text=self.texts.get(row, f"Passage {row}."), start=0,
                        end=0, score=score, row=row) for row, score in zip(rows, scores, strict=True)]


def test_the_retriever_fuses_both_searches_and_keeps_the_top_k() -> None:
    index = StandInIndex(dense=[1, 2, 3, 4], lexical=[3, 5, 1])
    retriever = HybridRetriever(index, candidates=50, fusion=RankFusion(k=60))  # type: ignore[arg-type]
    passages = retriever.run("who runs it?", np.zeros(384, np.float32), k=3)
    assert [p.row for p in passages] == [1, 3, 2]
    assert passages[0].score == pytest.approx(1 / 61 + 1 / 63)
    assert index.asked == [("dense", (384,), 50), ("lexical", "who runs it?", 50)]


def test_a_zero_weight_skips_that_search() -> None:
    index = StandInIndex(dense=[1, 2], lexical=[2, 1])
    retriever = HybridRetriever(index, candidates=5, fusion=RankFusion(lexical_weight=0.0))  # type: ignore[arg-type]
    passages = retriever.run("q", np.zeros(3, np.float32), k=10)
    assert [p.row for p in passages] == [1, 2] and [name for name, *_ in index.asked] == ["dense"]
    assert index.asked[0][2] == 10  # never fewer candidates than the passages wanted


def test_the_same_text_in_two_posts_takes_one_passage_slot() -> None:
    copy = "Local libraries should be run by local people."
    index = StandInIndex(dense=[1, 2, 3, 4], lexical=[], texts={1: copy, 2: f"  {copy}\n"})
    retriever = HybridRetriever(index, fusion=RankFusion(lexical_weight=0.0))  # type: ignore[arg-type]
    assert [p.row for p in retriever.run("q", np.zeros(3, np.float32), k=3)] == [1, 3, 4]


def test_candidates_rank_by_their_best_sentence() -> None:
    rows = {10: range(0, 3), 11: range(3, 4), 12: range(4, 4)}  # chunk 12 has no sentences
    cosines = {0: 0.2, 1: 0.9, 2: 0.1, 3: 0.5}
    assert best_sentence_ranking([11, 12, 10, 11], rows, cosines) == [10, 11]
    assert best_sentence_ranking([11, 10], {10: range(0, 1), 11: range(1, 2)}, {0: 0.4, 1: 0.4}) == [10, 11]


class SentenceStandIn:
    """An index over a stand-in chunk search, with two sentences per chunk (row r holds sentences 2r
    and 2r+1): ``Index.search_hybrid`` as it runs on a real index."""

    def __init__(self, dense: list[int], lexical: list[int], sentence_vectors: np.ndarray) -> None:
        self.chunk_search = StandInIndex(dense, lexical)
        self.asked = self.chunk_search.asked
        self.sentence_vectors = sentence_vectors

    def chunk_sentence_rows(self, chunk_rows: list[int]) -> dict[int, range]:
        return {int(r): range(2 * int(r), 2 * int(r) + 2) for r in chunk_rows}

    def vectors_of(self, rows: list[int]) -> np.ndarray:
        return self.sentence_vectors[rows]

    search_dense = Index.search_dense
    search_lexical = Index.search_lexical
    search_hybrid = Index.search_hybrid


def test_the_sentence_ranking_joins_the_fusion_over_both_searches_candidates() -> None:
    vectors = np.zeros((10, 2), np.float32)
    vectors[:, 1] = 1.0
    vectors[9] = [1.0, 0.0]  # chunk 4's second sentence matches the question best
    index = SentenceStandIn(dense=[1, 2], lexical=[3, 4], sentence_vectors=vectors)
    query = np.array([1.0, 0.0], np.float32)
    plain = index.search_hybrid("q", query, 10, RankFusion())
    assert [row for row, _ in plain][:2] == [1, 3]  # without it, the first of each ranking leads
    fused = dict(index.search_hybrid("q", query, 10, RankFusion(dense_weight=0.0, sentence_weight=1.0)))
    assert max(fused, key=fused.__getitem__) == 4  # second in BM25, first by its best sentence
    assert fused[4] == pytest.approx(1 / 61 + 1 / 62) and set(fused) == {1, 2, 3, 4}
    assert [name for name, *_ in index.asked][-2:] == ["dense", "lexical"]  # dense still feeds candidates
