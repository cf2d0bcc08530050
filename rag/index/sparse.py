"""BM25 as sparse vectors: the chunks' term statistics and each chunk's BM25 weights, computed here.

A chunk's sparse vector holds, for each of its terms ``t`` (``rag.lexical``'s analyser, over the same
title-prefixed text bm25s indexes, ``bm25.bm25_text``), the whole BM25 term weight

    idf(t) · tf / (tf + K1 · (1 − B + B · length / average length))

(Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009; the "lucene"
variant bm25s uses by default, with its ``K1``, ``B`` and idf). A query's sparse vector counts its
known terms, so the dot product of the two is the chunk's BM25 score, as bm25s computes it: a vector
store scoring sparse vectors by dot product ranks chunks exactly as the default BM25 index does.

The weights are computed here rather than left to Qdrant's ``Modifier.IDF`` because the length
normalisation needs the average chunk length, which changes with every build anyway (every vector
is rewritten into a new collection per generation), and so that idf, scores and the answerer's term
statistics (``Lexicon.idf``, ``Lexicon.vocabulary``) come from one source, identical on a Qdrant
server and in Qdrant's local mode.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from rag.index.bm25 import K1, B, idf_of

LEXICON_FILE = "lexicon.json"

SparseVector = tuple[np.ndarray, np.ndarray]
"""(term ids, int64, ascending; weights, float32), the same length."""


@dataclass(frozen=True)
class Lexicon:
    """The term statistics of one generation's chunks: what BM25 needs, and what the answerer reads."""

    terms: tuple[str, ...]
    """Every term of the chunks; a term's id is its position."""
    document_frequency: tuple[int, ...]
    """Chunks holding each term, by term id."""
    chunks: int
    average_length: float
    """Mean terms per chunk (repeats counted)."""

    @classmethod
    def of(cls, chunk_terms: Sequence[Sequence[str]]) -> Lexicon:
        """The statistics of chunks given as their analysed terms, one list per chunk row."""
        df: Counter[str] = Counter()
        for tokens in chunk_terms:
            df.update(set(tokens))
        terms = tuple(dict.fromkeys(t for tokens in chunk_terms for t in tokens))  # first-seen order
        total = sum(len(tokens) for tokens in chunk_terms)
        return cls(terms=terms, document_frequency=tuple(df[t] for t in terms), chunks=len(chunk_terms),
                   average_length=total / len(chunk_terms) if total else 1.0)

    @cached_property
    def vocabulary(self) -> dict[str, int]:
        """Term → id."""
        return {term: i for i, term in enumerate(self.terms)}

    @cached_property
    def _idf(self) -> np.ndarray:
        return np.array([idf_of(df, self.chunks) for df in self.document_frequency], np.float64)

    def idf(self, tokens: Sequence[str]) -> dict[str, float]:
        """BM25 idf of each analysed term; a term no chunk holds gets the largest (df 0)."""
        vocab = self.vocabulary
        return {t: float(self._idf[vocab[t]]) if t in vocab else idf_of(0, self.chunks) for t in tokens}

    def document_vector(self, tokens: Sequence[str]) -> SparseVector:
        """A chunk's BM25 weights by term id, from its analysed terms (all of them in the lexicon)."""
        counts = Counter(tokens)
        ids = np.array(sorted(self.vocabulary[t] for t in counts), np.int64)
        tf = np.array([counts[self.terms[i]] for i in ids], np.float64)
        norm = K1 * (1 - B + B * len(tokens) / self.average_length)
        return ids, (self._idf[ids] * tf / (tf + norm)).astype(np.float32)

    def query_vector(self, tokens: Sequence[str]) -> SparseVector:
        """A query's sparse vector: each known term's count (unknown terms score nothing, as in bm25s)."""
        counts = Counter(self.vocabulary[t] for t in tokens if t in self.vocabulary)
        ids = np.array(sorted(counts), np.int64)
        return ids, np.array([counts[i] for i in ids], np.float32)

    def write(self, folder: Path) -> None:
        """Save to ``folder/lexicon.json``."""
        data = {"chunks": self.chunks, "average_length": self.average_length, "terms": self.terms,
                "document_frequency": self.document_frequency}
        (folder / LEXICON_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> Lexicon:
        data = json.loads((folder / LEXICON_FILE).read_text(encoding="utf-8"))
        return cls(terms=tuple(data["terms"]), document_frequency=tuple(data["document_frequency"]),
                   chunks=data["chunks"], average_length=data["average_length"])
