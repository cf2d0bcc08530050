"""``rag eval``: run a question set and measure answers and retrieval.

Two formats are read, one JSON object per line:
- dev format: ``question``, ``answerable``, and for answerable ones ``source`` (a file name)
  and ``expected_any`` (phrases, any of which the quoted answer should contain), or ``sources`` and
  ``points`` (gold points, each a list of phrases any one of which quoted counts for it), and
  optionally ``type`` (the kind of question it is reported under);
- benchmark format: ``question``, ``answers`` (gold strings, may be empty), ``doc_ids``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rag.text import fold_quotes, fold_whitespace
from rag.types import Answer

if TYPE_CHECKING:
    from rag.pipeline import RAG

Progress = Callable[[int, int], None]
"""Called with (questions done, questions in all) after each question."""


class Question(BaseModel):
    """One line of a question set, in either format (other keys are ignored)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    question: str = Field(min_length=1)
    answerable: bool | None = None
    """Whether the posts answer it; unset: yes in the dev format, and in the benchmark format if it has
    answers (``is_answerable`` says which)."""
    type: str | None = None  # dev format: the kind of question (why, list, summary...); fact if unset
    source: str | None = None  # dev format: the file of the post that answers it
    sources: tuple[str, ...] = ()  # dev format: the files of the posts that answer it
    expected_any: tuple[str, ...] = ()  # dev format: phrases, any of which the quotes should contain
    points: tuple[tuple[str, ...], ...] = ()  # dev format: gold points, each phrases any one of which counts
    answers: tuple[str, ...] = ()  # benchmark format: gold answers
    doc_ids: tuple[str, ...] | None = None  # benchmark format: gold documents (None in the dev format)
    history: tuple[str, ...] = ()
    """Earlier questions of the same conversation, oldest first: each is asked and answered in turn
    before this one, which is then asked as their follow-up ("And why?")."""

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is blank")
        return value

    @field_validator("doc_ids", "sources", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        return [str(v) for v in value] if isinstance(value, list | tuple) else value

    @field_validator("points", mode="before")
    @classmethod
    def _points_as_lists(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return [[str(x) for x in p] if isinstance(p, list | tuple) else [str(p)] for p in value]
        return value

    @property
    def is_benchmark(self) -> bool:
        return self.doc_ids is not None

    @property
    def is_answerable(self) -> bool:
        if self.answerable is not None:
            return self.answerable
        return any(a.strip() for a in self.answers) if self.is_benchmark else True

    @property
    def kind(self) -> str:
        """The kind it is reported under: its ``type``, else fact (answerable) or unanswerable."""
        if not self.is_answerable:
            return "unanswerable"
        return self.type or "fact"

    def gold_points(self) -> tuple[tuple[str, ...], ...]:
        """Its gold points; ``expected_any`` (the fact-lookup format) is a single point."""
        if self.points:
            return self.points
        return (self.expected_any,) if self.expected_any else ()

    def gold_sources(self) -> tuple[str, ...]:
        return self.sources or ((self.source,) if self.source else ())


def read_questions(path: str | Path) -> list[Question]:
    """The questions of a JSONL file; ``ValueError`` naming the file and line of a bad one, or if none."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not str(record.get("question", "")).strip():
            raise ValueError(f"{path}:{n}: expected an object with a 'question'")
        try:
            out.append(Question.model_validate(record))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise ValueError(f"{path}:{n}: {problems}") from None
    if not out:
        raise ValueError(f"{path}: no questions")
    return out


# --------------------------------------------------------------------------- measures


def normalise(text: str) -> str:
    """Lower case, typographic quotes made plain, whitespace folded: for comparing phrases."""
    return fold_whitespace(fold_quotes(text).lower())


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) with linear interpolation between ranks; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


def recall_at(ranked: Sequence[str], gold: Collection[str], k: int) -> bool:
    """Whether a gold document is among the first ``k`` ranked (recall@k of one question)."""
    return any(doc in gold for doc in ranked[:k])


def ndcg_at(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """nDCG@k with binary relevance: DCG of the first ``k`` ranked over the DCG of a perfect ranking;
    0 when there is no gold document."""
    dcg = sum(1 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in gold)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), k)))
    return dcg / ideal if ideal else 0.0


def mean(values: Sequence[bool | float]) -> float:
    """The mean; NaN for no values (a measure that does not apply, not a score of 0)."""
    return sum(values) / len(values) if values else float("nan")


def _doc_matches(doc_id: str, source: str | None, wanted: str) -> bool:
    stem = Path(wanted).stem
    return doc_id in (wanted, stem) or (source is not None and Path(source.split(":")[0]).stem == stem)


def verbatim(rag: RAG, answer: Answer) -> bool:
    """The invariant: every citation is exactly the document's text at its offsets."""
    return all(rag.document(c.doc_id).text[c.start:c.end] == c.quote for c in answer.citations)


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True, slots=True)
class Failure:
    """A question answered wrongly: why, and the start of the answer given."""

    question: str
    why: str
    answer: str


@dataclass
class EvalReport:
    """Metrics by name (shares in 0–1, latencies in ms, counts), the same per kind of question, and
    the failures, as ``rag eval`` shows them."""

    kind: Literal["dev", "benchmark"]
    count: int
    metrics: dict[str, float] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    curve: list[dict[str, float]] = field(default_factory=list)
    """Benchmark sets with unanswerable questions: the refusal trade-off as the threshold moves."""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count, "metrics": self.metrics, "by_kind": self.by_kind,
                "curve": self.curve, "failures": [asdict(f) for f in self.failures]}

    def lines(self) -> list[str]:
        out = [f"{self.count} questions ({self.kind} format)"]
        for key, value in self.metrics.items():
            if isinstance(value, float) and math.isnan(value):
                out.append(f"  {key:<34} n/a")
            else:
                out.append(f"  {key:<34} {value:.3f}" if isinstance(value, float) else f"  {key:<34} {value}")
        if self.by_kind:
            out.append(f"  {'kind':<14} {'n':>4} {'points':>7} {'cited':>6} {'words':>6} {'refused':>8}")
            for kind, v in self.by_kind.items():
                cells = [(f"{'n/a':>{w}}" if math.isnan(v[key]) else f"{v[key]:>{w}.{d}f}") if key in v
                         else " " * w
                         for key, w, d in (("points", 7, 3), ("cited", 6, 3), ("words", 6, 1),
                                           ("refused", 8, 3))]
                out.append(f"  {kind:<14} {int(v['n']):>4} " + " ".join(cells))
        if self.curve:
            out.append("  refusal threshold: unanswerable refused / answerable gold quoted")
            out += [f"    {p['threshold']:.2f}: {p['unanswerable refused']:.3f} / "
                    f"{p['answerable gold quoted']:.3f}" for p in self.curve]
        for f in self.failures[:20]:
            out.append(f"  FAIL {f.why}: {f.question[:90]}")
        if len(self.failures) > 20:
            out.append(f"  ... and {len(self.failures) - 20} more failures")
        return out


def evaluate(rag: RAG, questions: Sequence[Question | Mapping[str, Any]], *, k: int | None = None,
             backend: str | None = None, progress: Progress | None = None) -> EvalReport:
    """Answer every question and measure: the benchmark format if any question names ``doc_ids``.
    Questions are ``Question`` records or their JSON objects (``ValidationError`` if one is not)."""
    checked = [q if isinstance(q, Question) else Question.model_validate(q) for q in questions]
    bench = any(q.is_benchmark for q in checked)
    return (_evaluate_benchmark if bench else _evaluate_dev)(rag, checked, k, backend, progress)


def _timed_answers(rag: RAG, questions: Sequence[Question], k: int | None, backend: str | None,
                   progress: Progress | None) -> Iterator[tuple[Question, Answer, float]]:
    for i, q in enumerate(questions):
        history: list[Answer] = []
        for earlier in q.history:  # the conversation so far, answered as a user would have seen it
            history.append(rag.answer(earlier, history=history, k=k, backend=backend))
        t0 = time.perf_counter()
        answer = rag.answer(q.question, history=history or None, k=k, backend=backend)
        yield q, answer, time.perf_counter() - t0
        if progress:
            progress(i + 1, len(questions))


@dataclass(frozen=True, slots=True)
class _Scored:
    """How one dev-format question was answered."""

    kind: str
    answerable: bool
    found: bool
    words: int  # words quoted
    points: float = float("nan")  # share of gold points quoted (answerable questions)
    cited: bool = False  # every expected post cited (answerable questions)


def _evaluate_dev(rag: RAG, questions: list[Question], k: int | None, backend: str | None,
                  progress: Progress | None) -> EvalReport:
    """Project-set scoring: for answerable questions the share of gold points quoted, the expected
    posts cited and the words quoted; for unanswerable ones whether the answer is a refusal. The same
    figures are reported per kind of question."""
    report = EvalReport("dev", len(questions))
    latencies: list[float] = []
    verbatim_ok: list[bool] = []
    rows: list[_Scored] = []
    for q, answer, secs in _timed_answers(rag, questions, k, backend, progress):
        latencies.append(secs)
        verbatim_ok.append(verbatim(rag, answer))
        quoted = normalise(" ".join(c.quote for c in answer.citations)) if answer.found else ""
        words = len(quoted.split())
        if not q.is_answerable:
            rows.append(_Scored(q.kind, False, answer.found, words))
            if answer.found:
                report.failures.append(Failure(q.question, "answered an unanswerable question",
                                               answer.text[:300]))
            continue
        points = q.gold_points()
        hits = [any(normalise(ph) in quoted for ph in point) for point in points]
        sources = q.gold_sources()
        cited = all(any(_doc_matches(c.doc_id, c.source, s) for c in answer.citations)
                    for s in sources) if sources else answer.found
        row = _Scored(q.kind, True, answer.found, words, mean(hits) if hits else float(answer.found), cited)
        rows.append(row)
        if not answer.found:
            report.failures.append(Failure(q.question, "refused an answerable question", answer.text[:300]))
        elif row.points < 1 or not row.cited:
            missed = [p[0] for p, hit in zip(points, hits, strict=True) if not hit]
            why = f"points missed {missed}" if missed else "expected post not cited"
            report.failures.append(Failure(q.question, why, answer.text[:300]))
    m = report.metrics
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    m["answerable"] = len(answerable)
    m["unanswerable"] = len(unanswerable)
    if answerable:  # a measure over no questions is left out, not shown as NaN
        m["points quoted"] = mean([r.points for r in answerable])
        m["expected phrase quoted"] = mean([r.points == 1 for r in answerable])
        m["expected post cited"] = mean([r.cited for r in answerable])
        m["answerable refused"] = mean([not r.found for r in answerable])
    if any(r.found for r in rows):
        m["words quoted (answered)"] = mean([r.words for r in rows if r.found])
    if unanswerable:
        m["unanswerable refused"] = mean([not r.found for r in unanswerable])
    m["quotes verbatim"] = mean(verbatim_ok)
    _add_latency(m, latencies)
    for kind in sorted({r.kind for r in rows}):
        mine = [r for r in rows if r.kind == kind]
        if kind == "unanswerable":
            report.by_kind[kind] = {"n": len(mine), "refused": mean([not r.found for r in mine])}
        else:
            report.by_kind[kind] = {
                "n": len(mine), "points": mean([r.points for r in mine]),
                "cited": mean([r.cited for r in mine]),
                "words": mean([r.words for r in mine if r.found]),
                "refused": mean([not r.found for r in mine])}
    return report


def _add_latency(metrics: dict[str, float], latencies: list[float]) -> None:
    metrics["latency p50 ms"] = 1000 * percentile(latencies, 50)
    metrics["latency p95 ms"] = 1000 * percentile(latencies, 95)


@dataclass(frozen=True, slots=True)
class _Answered:
    """How one benchmark question was answered, with the confidence gate open."""

    answerable: bool
    found: bool
    gated: bool  # a fact question: refused below the threshold at run time
    confidence: float
    hit: bool  # a gold answer inside the quotes
    in_top5: bool  # a gold answer inside the top five passages
    words: int  # words quoted
    has_gold: bool

    def answered(self, threshold: float) -> bool:
        """Whether it is still answered at ``threshold``."""
        return self.found and not (self.gated and self.confidence < threshold)


def _evaluate_benchmark(rag: RAG, questions: list[Question], k: int | None, backend: str | None,
                        progress: Progress | None) -> EvalReport:
    """Benchmark scoring: retrieval (recall@k, nDCG@10 against ``doc_ids``), whether a gold answer is
    inside the quotes, words quoted, and, for sets that mark questions ``answerable`` (SQuAD 2.0), the
    refusals. Questions are answered once with the confidence gate open (threshold 0); the figures at
    the configured threshold, and the trade-off curve as the threshold moves, follow from each answer's
    ``confidence`` (only fact questions are gated, as at run time)."""
    from rag.pipeline import RAG

    report = EvalReport("benchmark", len(questions))
    threshold = rag.settings.refusal_threshold
    open_gate = RAG(rag.current_index(), rag.settings.with_overrides(refusal_threshold=0.0),
                    embedder=rag.embedder)
    recall: dict[int, list[bool]] = {1: [], 5: [], 10: []}
    ndcg: list[float] = []
    latencies: list[float] = []
    verbatim_ok: list[bool] = []
    rows: list[_Answered] = []
    for q, answer, secs in _timed_answers(open_gate, questions, k, backend, progress):
        latencies.append(secs)
        gold = set(q.doc_ids or ())
        ranked = _ranked_docs(rag, q.question, 10)
        for cut in recall:
            recall[cut].append(recall_at(ranked, gold, cut))
        ndcg.append(ndcg_at(ranked, gold, 10))
        verbatim_ok.append(verbatim(rag, answer))
        answers = [normalise(a) for a in q.answers if a.strip()]
        quoted = normalise(" ".join(c.quote for c in answer.citations)) if answer.found else ""
        top5 = normalise(" ".join(p.text for p in answer.passages[:5]))
        row = _Answered(answerable=q.is_answerable, found=answer.found, gated=answer.kind == "fact",
                        confidence=answer.confidence or 0.0, hit=any(a in quoted for a in answers),
                        in_top5=any(a in top5 for a in answers), words=len(quoted.split()),
                        has_gold=bool(answers))
        rows.append(row)
        if answers and not row.hit:
            report.failures.append(Failure(q.question, "gold answer not quoted", answer.text[:200]))
    m = report.metrics
    for cut, values in recall.items():
        m[f"recall@{cut}"] = mean(values)
    m["nDCG@10"] = mean(ndcg)
    with_gold = [r for r in rows if r.has_gold]
    if with_gold:
        m["gold answer in quotes"] = mean([r.answered(threshold) and r.hit for r in with_gold])
        m["gold answer in top-5 passages"] = mean([r.in_top5 for r in with_gold])
    m["answered"] = mean([r.answered(threshold) for r in rows])
    m["words quoted (answered)"] = mean([r.words for r in rows if r.answered(threshold)])
    if any(not r.answerable for r in rows):
        m["unanswerable refused"] = mean([not r.answered(threshold) for r in rows if not r.answerable])
        m["refusal threshold"] = threshold
        report.curve = [{"threshold": t, **_tradeoff(rows, t)} for t in [i / 20 for i in range(20)]]
    m["quotes verbatim"] = mean(verbatim_ok)
    _add_latency(m, latencies)
    return report


def _tradeoff(rows: Sequence[_Answered], threshold: float) -> dict[str, float]:
    """Unanswerable questions refused and answerable ones with a gold answer quoted, at ``threshold``."""
    answerable = [r for r in rows if r.answerable and r.has_gold]
    return {"unanswerable refused": mean([not r.answered(threshold) for r in rows if not r.answerable]),
            "answerable gold quoted": mean([r.answered(threshold) and r.hit for r in answerable])}


def _ranked_docs(rag: RAG, question: str, n: int) -> list[str]:
    """Distinct document ids in retrieval order, enough to fill ``n``."""
    seen: list[str] = []
    for p in rag.retrieve(question, k=max(3 * n, 30)):
        if p.doc_id not in seen:
            seen.append(p.doc_id)
        if len(seen) >= n:
            break
    return seen
