"""The default backend: no language model. It picks the sentences of the retrieved passages
that best answer the question and quotes them word for word.

A sentence's score is its cosine to the question (sentence vectors stored at index time)
plus weighted lexical evidence: the share of the question's BM25 weight (idf) that the
sentence contains. Below ``Settings.refusal_threshold`` the answer is a refusal.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rag.answering.base import Draft, GenerationRequest, QuoteSpan
from rag.lexical import terms as question_terms
from rag.lexical import terms_of
from rag.settings import Settings
from rag.types import Passage

if TYPE_CHECKING:
    from rag.index import Index

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


PHRASE_WEIGHT = 0.2
"""Weight of phrase evidence: the share of the question's adjacent term pairs that are adjacent
in the sentence too."""

CONTEXT_SHARE = 0.25
"""Share of the lexical evidence that may come from the sentence just before (where names often are)."""

NAME_PENALTY = 0.3
"""Subtracted, in proportion, when names in the question (capitalised words) appear nowhere in the posts."""

TYPE_PENALTY = 0.2
"""Subtracted from a sentence that lacks what the question asks for (a number, a date)."""

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_NUMBER = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
                     r"thirty|forty|fifty|hundred|thousand|million|billion|dozen|half|third|quarter|"
                     r"per ?cent)\b", re.IGNORECASE)
_WHEN = re.compile(rf"\b(1[5-9]\d\d|20\d\d|\d{{1,2}}(st|nd|rd|th)?|{_MONTHS}|monday|tuesday|wednesday|"
                   r"thursday|friday|saturday|sunday|yesterday|today|tomorrow|century|decade|year|years|"
                   r"ago|since|until|during|before|after|when|spring|summer|autumn|winter)\b", re.IGNORECASE)
_ASKS_NUMBER = re.compile(r"^\s*(how (many|much|often|long|large|big|old|far)|what (percentage|proportion|"
                          r"number|amount|share)|what is the (population|cost|number|size|amount))\b"
                          r"|\bhow (many|much)\b", re.IGNORECASE)
_ASKS_WHEN = re.compile(r"^\s*(when|(in |on |by )?(what|which) (year|date|month|day|decade|century|time))\b",
                        re.IGNORECASE)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]*[a-z][\w'’-]*")


def expected_answer_type(question: str) -> re.Pattern[str] | None:
    """What a sentence must contain to answer the question, for "when" and "how many" questions."""
    if _ASKS_WHEN.search(question):
        return _WHEN
    if _ASKS_NUMBER.search(question):
        return _NUMBER
    return None


def unknown_names(question: str, index: Index) -> float:
    """Share of the names in the question (capitalised words past the first) unknown to the posts."""
    names = [m.group() for m in _NAME.finditer(question.strip())]
    if not names:
        return 0.0
    terms = terms_of(names)
    vocab = index.bm25.vocab_dict
    named = [t for t in terms if t]
    if not named:
        return 0.0
    return sum(1 for t in named if not any(x in vocab for x in t)) / len(named)


MAX_FORWARD = 2
"""At most this many following sentences are added to close a quotation."""


def opens_quotation(text: str) -> bool:
    """True when the text opens a quotation it does not close."""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


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
        pool = request.passages + request.more_passages
        rows: list[int] = []
        meta: list[tuple[int, int, int]] = []
        seen: set[int] = set()
        for p, passage in enumerate(pool):
            for row, start, end in index.sentences_of(passage.row):
                if row not in seen:
                    seen.add(row)
                    rows.append(row)
                    meta.append((p, start, end))
        if not rows:
            return []
        order = np.argsort(rows)  # read the memory-mapped vectors in file order
        vectors = np.empty((len(rows), index.sentence_vectors.shape[1]), np.float32)
        vectors[order] = index.sentence_vectors[np.asarray(rows)[order]]
        cosines = vectors @ np.asarray(request.query_vector, np.float32)

        texts = [_sentence_text(pool[p], a, b) for p, a, b in meta]
        term_lists = terms_of(texts)
        term_sets = [set(t) for t in term_lists]
        by_row = dict(zip(rows, term_sets, strict=True))
        idf = index.idf(request.question)
        total = sum(idf.values())
        missing_names = unknown_names(request.question, index)
        wants = expected_answer_type(request.question)
        q_terms = question_terms(request.question)
        q_pairs = set(itertools.pairwise(q_terms))

        def coverage(terms: set[str]) -> float:
            return sum(w for t, w in idf.items() if t in terms) / total if total else 0.0

        scored = []
        for row, (p, start, end), cosine, text, terms, seq in zip(rows, meta, cosines, texts, term_sets,
                                                                   term_lists, strict=True):
            own = coverage(terms)
            phrase = len(q_pairs & set(itertools.pairwise(seq))) / len(q_pairs) if q_pairs else 0.0
            context = coverage(terms | by_row.get(row - 1, set()))  # names often sit one sentence back
            lexical = (1 - CONTEXT_SHARE) * own + CONTEXT_SHARE * context
            penalty = NAME_PENALTY * missing_names
            if wants and not wants.search(text):
                penalty += TYPE_PENALTY
            score = float(cosine) + LEXICAL_WEIGHT * lexical + PHRASE_WEIGHT * phrase - penalty
            scored.append(ScoredSentence(row, pool[p].doc_id, start, end, text, score, float(cosine),
                                         lexical, p))
        scored.sort(key=lambda s: (-s.score, s.row))
        return scored

    def _span(self, request: GenerationRequest, best: ScoredSentence) -> tuple[int, int]:
        """The sentence's span, widened so that it reads on its own: to the sentence before
        when it is a fragment, and to the next one or two when they close a quotation it opens
        (or complete a sentence ending on a colon or semicolon)."""
        start, end = best.start, best.end
        index = request.index
        if index is None:
            return start, end
        if is_fragment(best.text):
            before = index.neighbour_sentence(best.row, -1)
            if before is not None:
                start = before[1]
        if opens_quotation(best.text) or best.text.rstrip().endswith((":", ";")):
            row, text, stop = best.row, best.text, end
            for _ in range(MAX_FORWARD):
                after = index.neighbour_sentence(row, +1)
                if after is None:
                    break
                row, stop = after[0], after[2]
                text = index.document_slice(best.doc_id, best.start, stop)
                if not opens_quotation(text):  # only take the extension if it closes the quotation
                    end = stop
                    break
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
