"""The default backend: no language model. It picks the sentences of the retrieved passages
that best answer the question and quotes them word for word.

A sentence's score is its cosine to the question (sentence vectors stored at index time)
plus weighted lexical evidence: the share of the question's BM25 weight (idf) that the
sentence contains. Below ``Settings.refusal_threshold`` the answer is a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from rag.answering.base import Draft, GenerationRequest, QuoteSpan
from rag.settings import Settings
from rag.types import Passage

REFUSAL_MESSAGE = "The posts don't seem to answer this question."
"""The first line of every extractive refusal (found=False)."""

LEXICAL_WEIGHT = 0.35
"""Weight of lexical evidence (share of the question's idf found in the sentence) in a sentence's score."""

RUNNER_UP_MARGIN = 0.06
"""Further quotes are added only if they score within this margin of the best one."""

FRAGMENT_WORDS = 6
"""A sentence shorter than this many words is quoted together with the one before it."""

_DEPENDENT_START = re.compile(
    r"^[\"“'‘(]*(this|that|these|those|it|its|they|them|their|such|he|she|his|her|however|but|and|"
    r"so|also|yet|indeed|hence|thus|there|here)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ScoredSentence:
    row: int
    doc_id: str
    start: int
    end: int
    text: str
    score: float
    cosine: float
    lexical: float
    passage: int  # index into the request's passages + more_passages


def _sentence_text(passage: Passage, start: int, end: int) -> str:
    return passage.text[start - passage.start:end - passage.start]


def is_fragment(text: str) -> bool:
    """A sentence that leans on the one before it ("This is...", or very short)."""
    return len(text.split()) < FRAGMENT_WORDS or bool(_DEPENDENT_START.match(text.strip()))


class ExtractiveBackend:
    """Quotes the best one to ``max_quotes`` sentences; refuses when the evidence is weak."""

    name = "extractive"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    def score(self, request: GenerationRequest) -> list[ScoredSentence]:
        """Every distinct sentence of the retrieved passages, best first."""
        index = request.index
        if index is None or request.query_vector is None:
            raise ValueError("the extractive backend needs the index and the question vector")
        idf = index.idf(request.question)
        total_idf = sum(idf.values())
        seen: set[int] = set()
        rows, meta = [], []
        pool = request.passages + request.more_passages
        for p, passage in enumerate(pool):
            for row, start, end in index.sentences_of(passage.row):
                if row in seen:
                    continue
                seen.add(row)
                rows.append(row)
                meta.append((p, start, end))
        if not rows:
            return []
        order = np.argsort(rows)  # mmap reads in order
        vectors = np.empty((len(rows), index.sentence_vectors.shape[1]), np.float32)
        vectors[order] = index.sentence_vectors[np.asarray(rows)[order]]
        cosines = vectors @ np.asarray(request.query_vector, np.float32)
        scored = []
        for row, (p, start, end), cosine in zip(rows, meta, cosines, strict=True):
            passage = pool[p]
            text = _sentence_text(passage, start, end)
            terms = set(index.terms(text))
            lexical = sum(w for t, w in idf.items() if t in terms) / total_idf if total_idf else 0.0
            scored.append(ScoredSentence(row, passage.doc_id, start, end, text,
                                         float(cosine) + LEXICAL_WEIGHT * lexical, float(cosine),
                                         lexical, p))
        scored.sort(key=lambda s: (-s.score, s.row))
        return scored

    def _span(self, request: GenerationRequest, best: ScoredSentence) -> tuple[int, int]:
        """The sentence's span, widened to the sentence before it when it is a fragment."""
        start, end = best.start, best.end
        if is_fragment(best.text) and request.index is not None:
            before = request.index.neighbour_sentence(best.row, -1)
            if before is not None:
                start = before[1]
        return start, end

    def run(self, request: GenerationRequest) -> Iterator[str | Draft]:
        scored = self.score(request)
        if not scored or scored[0].score < self.settings.refusal_threshold:
            yield refusal_draft(request.passages)
            return
        best = scored[0].score
        chosen: list[tuple[ScoredSentence, int, int]] = []
        seen_text: set[str] = set()
        for cand in scored:
            if len(chosen) >= self.settings.max_quotes:
                break
            if chosen and (cand.score < best - RUNNER_UP_MARGIN
                           or cand.score < self.settings.refusal_threshold):
                break
            start, end = self._span(request, cand)
            key = " ".join(cand.text.lower().split())
            overlaps = any(c.doc_id == cand.doc_id and start < e and s < end for c, s, e in chosen)
            if overlaps or key in seen_text:
                continue
            seen_text.add(key)
            chosen.append((cand, start, end))
        spans = tuple(QuoteSpan(c.doc_id, s, e, c.score) for c, s, e in chosen)
        yield Draft(text="", found=True, spans=spans)


def refusal_draft(passages: tuple[Passage, ...]) -> Draft:
    """The honest "not found" answer, naming the closest passages' posts."""
    lines = [REFUSAL_MESSAGE]
    if passages:
        lines.append("The closest passages come from:")
        seen = []
        for p in passages:
            label = p.title or p.source or p.doc_id
            if label not in seen:
                seen.append(label)
        lines += [f"- {label}" for label in seen]
    return Draft(text="\n".join(lines), found=False, spans=())
