"""Lexical search: the BM25 index (bm25s) over chunk texts, analysed by ``rag.lexical``.

Row ``n`` of the BM25 index is chunk row ``n`` of the store. Each chunk is indexed with its post's
title in front, so a question naming the post finds its chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.lexical import terms, terms_of
from rag.types import Document

BM25_DIR = "bm25"
K1, B = 1.5, 0.75
"""BM25's term-frequency saturation and length normalisation, bm25s's defaults (its "lucene" method)."""


def bm25_text(doc: Document, chunk_text: str) -> str:
    """What BM25 indexes for a chunk: the post's title, if any, then the chunk's text."""
    return f"{doc.title}\n{chunk_text}" if doc.title else chunk_text


def write_bm25(folder: Path, texts: Sequence[str]) -> None:
    """Index ``texts`` (one per chunk row) and save the index to ``folder/bm25``."""
    import bm25s

    bm25 = bm25s.BM25()
    bm25.index(terms_of(texts), show_progress=False)
    bm25.save(str(folder / BM25_DIR), show_progress=False)


def open_bm25(folder: Path) -> Any:
    """The saved BM25 index of a generation folder, memory-mapped."""
    import bm25s

    return bm25s.BM25.load(str(folder / BM25_DIR), mmap=True, show_progress=False)


def search_bm25(bm25: Any, text: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` best chunk rows for ``text`` and their BM25 scores, best first; rows scoring 0 are
    left out."""
    vocab = bm25.vocab_dict
    tokens = [t for t in terms(text) if t in vocab]
    if not tokens:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    scores = bm25.get_scores(tokens)
    n = min(n, len(scores))
    top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    top = top[scores[top] > 0]
    return top.astype(np.int64), scores[top].astype(np.float32)


def idf(bm25: Any, text: str, total: int) -> dict[str, float]:
    """BM25 idf of each (stemmed, stopword-free) term of ``text`` over ``total`` chunks; a term
    no chunk holds gets the largest idf."""
    return term_idf(bm25, terms(text), total)


def term_idf(bm25: Any, tokens: Sequence[str], total: int) -> dict[str, float]:
    """``idf`` for terms already analysed (Robertson–Spärck Jones idf with BM25's +1 smoothing,
    as bm25s computes it)."""
    vocab = bm25.vocab_dict
    indptr = bm25.scores["indptr"]
    out = {}
    for tok in tokens:
        tid = vocab.get(tok)
        out[tok] = idf_of(int(indptr[tid + 1] - indptr[tid]) if tid is not None else 0, total)
    return out


def idf_of(df: int, total: int) -> float:
    """Robertson–Spärck Jones idf with BM25's +1 smoothing (never negative) of a term that ``df`` of
    ``total`` chunks hold: ``ln(1 + (total - df + 0.5) / (df + 0.5))``."""
    return float(np.log(1 + (total - df + 0.5) / (df + 0.5)))
