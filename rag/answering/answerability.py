"""How likely the posts are to answer a question, from the evidence the answerer gathered.

Besides the explicit checks (a name the posts never mention, a missing date...), the answerer
scores its own evidence with a logistic model over a few features of the best sentence and its
paragraph: how much of the question's rare vocabulary they hold, how close they are in meaning, and
whether the asked-for type of fact is there. The weights are fitted on the public SQuAD 2.0
development set, half A (Rajpurkar, Jia & Liang, "Know What You Don't Know: Unanswerable Questions
for SQuAD", ACL 2018), whose unanswerable questions are written to look answerable from their
paragraph; ``scripts/train_answerability.py`` rebuilds ``answerability.json`` from that file.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from rag.answering.evidence import Candidate, QueryTerms
from rag.answering.store import AnswerStore
from rag.lexical import terms
from rag.question import QuestionAnalysis
from rag.text import without_links
from rag.types import AnswerType

WEIGHTS_FILE = Path(__file__).with_name("answerability.json")
PARAGRAPH = 2
"""Sentences either side of the best one that count as its paragraph."""

_NEGATION = re.compile(r"\b(not|never|no|none|neither|nor|without|cannot|n't)\b|n't\b", re.IGNORECASE)
_NUMBER = re.compile(r"\b\d[\d,.]*\b")
_DEGREE = re.compile(r"\b(first|last|only|most|least|largest|smallest|biggest|highest|lowest|best|worst|"
                     r"earliest|latest|oldest|newest|longest|shortest|main|major|minor|primary|second|third|"
                     r"before|after|more|less|fewer|greater|larger|smaller)\b", re.IGNORECASE)


def _has_candidate(best: Candidate, analysis: QuestionAnalysis) -> bool:
    """Whether the best sentence names something of the kind the wh-word asks for that the question
    does not already name (a person for "who", a date for "when"...)."""
    from rag.answering.evidence import holds_answer
    from rag.question import fact_type_of

    wanted = analysis.fact_type or fact_type_of(analysis.text)
    if wanted is None:
        return True
    probe = analysis if analysis.fact_type == wanted else replace(analysis, fact_type=wanted)
    return holds_answer(best.sentence, probe)

FEATURES: tuple[str, ...] = (
    "relevance", "cosine", "lexical", "phrase", "margin",
    "covered", "missing_max_idf", "missing_share", "names_missing", "typed",
    "negation_mismatch", "unknown_terms", "several", "question_terms",
    "sentence_missing_share", "numbers_missing", "candidate", "passage_rank", "degree_mismatch",
)
"""The model's inputs, in order (each documented in ``features``)."""


def features(analysis: QuestionAnalysis, query: QueryTerms, ranked: Sequence[Candidate],
             store: AnswerStore, ignore: set[str] | frozenset[str] = frozenset()) -> dict[str, float]:
    """The evidence, as numbers (question terms in ``ignore``, paraphrases the posts never use, do
    not count as missing; nor do the names and numbers of the post reference):

    - relevance, cosine, lexical, phrase: the best sentence's scores (``rag.answering.evidence``);
    - margin: its lead over the second best;
    - covered: share of the question's idf weight found in the best sentence's paragraph;
    - missing_max_idf: the largest idf, scaled to 0–1, of a question term absent from that paragraph;
    - missing_share: share of the question's idf weight absent from it;
    - names_missing: names in the question absent from it;
    - typed: whether the best sentence holds the asked-for type of fact (1 when none is asked);
    - negation_mismatch: one of question and sentence is negated, the other not;
    - unknown_terms: question terms absent from every post (after spelling correction);
    - several: the question asks for several sentences (a reason, a list, a stance...);
    - question_terms: how many content terms the question has (scaled).
    """
    if not ranked:
        return {name: 0.0 for name in FEATURES}
    best = ranked[0]
    second = ranked[1].relevance if len(ranked) > 1 else 0.0
    # the names and numbers that say which post is meant ("the June 2010 post", "the Left Foot Forward
    # piece") are no evidence the answer's sentence must hold
    scope = analysis.scope.words if analysis.scope is not None else ""
    in_scope = set(terms(scope))
    window = store.sentence_window(best.row, PARAGRAPH, PARAGRAPH)
    paragraph: set[str] = set(best.terms)
    for s in window:
        paragraph.update(terms(without_links(s.text)))
    weights = {t: w for t, w in query.weights.items() if t not in ignore}
    total = sum(weights.values()) or 1.0
    top_idf = max(weights.values(), default=1.0) or 1.0
    missing = {t: w for t, w in weights.items() if t not in paragraph}
    names = [e for e in analysis.entities if terms(e) and not set(terms(e)) <= in_scope]
    names_missing = sum(1 for e in names if not set(terms(e)) <= paragraph)
    sentence_terms = set(best.terms)
    absent = sum(w for t, w in weights.items() if t not in sentence_terms)
    numbers = [n for n in _NUMBER.findall(analysis.text) if n not in scope]
    window_text = " ".join(s.text for s in window) or best.sentence.text
    numbers_missing = sum(1 for n in numbers if n not in window_text)
    degree_q = {m.lower() for m in _DEGREE.findall(analysis.text)}
    degree_s = {m.lower() for m in _DEGREE.findall(best.sentence.text)}
    question_negated = bool(_NEGATION.search(analysis.text))
    sentence_negated = bool(_NEGATION.search(best.sentence.text))
    return {
        "relevance": best.relevance,
        "cosine": best.cosine,
        "lexical": best.lexical,
        "phrase": best.phrase,
        "margin": best.relevance - second,
        "covered": 1.0 - sum(missing.values()) / total,
        "missing_max_idf": max(missing.values(), default=0.0) / top_idf,
        "missing_share": sum(missing.values()) / total,
        "names_missing": float(names_missing),
        "typed": 1.0 if best.typed else 0.0,
        "negation_mismatch": float(question_negated != sentence_negated),
        "unknown_terms": float(len(query.unknown)),
        "several": float(analysis.answer_type not in (AnswerType.FACT, AnswerType.POST)),
        "question_terms": len(weights) / 10.0,
        "sentence_missing_share": absent / total,
        "numbers_missing": float(numbers_missing),
        "candidate": float(_has_candidate(best, analysis)),
        "passage_rank": min(best.rank, 20) / 20.0,
        "degree_mismatch": float(bool(degree_q - degree_s)),
    }


@lru_cache(maxsize=1)
def _model() -> tuple[list[float], float, list[float], list[float]]:
    data = json.loads(WEIGHTS_FILE.read_text(encoding="utf-8"))
    if tuple(data["features"]) != FEATURES:
        raise ValueError(f"{WEIGHTS_FILE} was fitted on other features; rebuild it")
    return data["coefficients"], data["intercept"], data["mean"], data["scale"]


def confidence(values: Mapping[str, float]) -> float:
    """The estimated probability (0–1) that the quoted answer is right, from ``features``."""
    coefficients, intercept, mean, scale = _model()
    z = intercept + sum(c * (values[name] - m) / s
                        for c, name, m, s in zip(coefficients, FEATURES, mean, scale, strict=True))
    return 1.0 / (1.0 + math.exp(-z))
