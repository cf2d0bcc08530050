"""``rag eval``: run a question set and measure answers and retrieval.

Two formats are read, one JSON object per line:
- dev format: ``question``, ``answerable``, and for answerable ones ``source`` (a file name)
  and ``expected_any`` (phrases, any of which the quoted answer should contain);
- benchmark format: ``question``, ``answers`` (gold strings, may be empty), ``doc_ids``.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.pipeline import RAG
from rag.types import Answer

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "‚": "'", "`": "'"})


def normalise(text: str) -> str:
    """Lower case, typographic quotes made plain, whitespace folded: for comparing phrases."""
    return " ".join(text.translate(_QUOTES).lower().split())


def read_questions(path: str | Path) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if not isinstance(record, dict) or not str(record.get("question", "")).strip():
                raise ValueError(f"{path}:{n}: expected an object with a 'question'")
            out.append(record)
    return out


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _doc_matches(doc_id: str, source: str | None, wanted: str) -> bool:
    stem = Path(wanted).stem
    return doc_id in (wanted, stem) or (source is not None and Path(source.split(":")[0]).stem == stem)


def verbatim(rag: RAG, answer: Answer) -> bool:
    """The invariant: every citation is exactly the document's text at its offsets."""
    return all(rag.document(c.doc_id).text[c.start:c.end] == c.quote for c in answer.citations)


@dataclass
class EvalReport:
    kind: str
    count: int
    metrics: dict[str, float] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    curve: list[dict[str, float]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "count": self.count, "metrics": self.metrics, "by_kind": self.by_kind,
                "curve": self.curve, "failures": self.failures}

    def lines(self) -> list[str]:
        out = [f"{self.count} questions ({self.kind} format)"]
        for key, value in self.metrics.items():
            out.append(f"  {key:<34} {value:.3f}" if isinstance(value, float) else f"  {key:<34} {value}")
        if self.by_kind:
            out.append(f"  {'kind':<14} {'n':>4} {'points':>7} {'cited':>6} {'words':>6} {'refused':>8}")
            for kind, v in self.by_kind.items():
                cells = [f"{v.get(key, float('nan')):>{w}.{d}f}" if key in v else " " * w
                         for key, w, d in (("points", 7, 3), ("cited", 6, 3), ("words", 6, 1),
                                           ("refused", 8, 3))]
                out.append(f"  {kind:<14} {int(v['n']):>4} " + " ".join(cells))
        if self.curve:
            out.append("  refusal threshold: unanswerable refused / answerable gold quoted")
            out += [f"    {p['threshold']:.2f}: {p['unanswerable refused']:.3f} / "
                    f"{p['answerable gold quoted']:.3f}" for p in self.curve]
        for f in self.failures[:20]:
            out.append(f"  FAIL {f['why']}: {f['question'][:90]}")
        if len(self.failures) > 20:
            out.append(f"  ... and {len(self.failures) - 20} more failures")
        return out


def evaluate(rag: RAG, questions: list[dict[str, Any]], *, k: int | None = None, backend: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> EvalReport:
    bench = any("doc_ids" in q for q in questions)
    return (_evaluate_benchmark if bench else _evaluate_dev)(rag, questions, k, backend, progress)


def _timed_answers(rag: RAG, questions: Iterable[dict[str, Any]], k: int | None, backend: str | None,
                   progress: Callable[[int, int], None] | None
                   ) -> Iterator[tuple[dict[str, Any], Answer, float]]:
    qs = list(questions)
    for i, q in enumerate(qs):
        t0 = time.perf_counter()
        answer = rag.answer(q["question"], k=k, backend=backend)
        yield q, answer, time.perf_counter() - t0
        if progress:
            progress(i + 1, len(qs))


def _points(q: dict[str, Any]) -> list[list[str]]:
    """A question's gold points: each a list of phrases, any one of which quoted counts for it.
    ``expected_any`` (the fact-lookup format) is a single point."""
    if q.get("points"):
        return [list(p) if isinstance(p, list) else [str(p)] for p in q["points"]]
    return [list(q["expected_any"])] if q.get("expected_any") else []


def _sources(q: dict[str, Any]) -> list[str]:
    if q.get("sources"):
        return [str(s) for s in q["sources"]]
    return [str(q["source"])] if q.get("source") else []


def question_kind(q: dict[str, Any]) -> str:
    """The kind a question is reported under: its ``type``, else fact (answerable) or unanswerable."""
    if not q.get("answerable", True):
        return "unanswerable"
    return str(q.get("type") or "fact")


def _evaluate_dev(rag: RAG, questions: list[dict[str, Any]], k: int | None, backend: str | None,
                  progress: Callable[[int, int], None] | None) -> EvalReport:
    """Project-set scoring: for answerable questions the share of gold points quoted, the expected
    posts cited and the words quoted; for unanswerable ones whether the answer is a refusal. The same
    figures are reported per kind of question."""
    report = EvalReport("dev", len(questions))
    latencies: list[float] = []
    verbatim_ok: list[bool] = []
    rows: list[dict[str, Any]] = []
    for q, answer, secs in _timed_answers(rag, questions, k, backend, progress):
        latencies.append(secs)
        verbatim_ok.append(verbatim(rag, answer))
        quoted = normalise(" ".join(c.quote for c in answer.citations)) if answer.found else ""
        row: dict[str, Any] = {"kind": question_kind(q), "answerable": bool(q.get("answerable", True)),
                               "found": answer.found, "words": len(quoted.split())}
        if row["answerable"]:
            points = _points(q)
            hits = [any(normalise(ph) in quoted for ph in point) for point in points]
            row["points"] = sum(hits) / len(hits) if hits else float(answer.found)
            sources = _sources(q)
            row["cited"] = all(any(_doc_matches(c.doc_id, c.source, s) for c in answer.citations)
                               for s in sources) if sources else answer.found
            if not answer.found:
                report.failures.append({"question": q["question"], "why": "refused an answerable question",
                                        "answer": answer.text[:300]})
            elif row["points"] < 1 or not row["cited"]:
                missed = [p[0] for p, hit in zip(points, hits, strict=True) if not hit]
                why = f"points missed {missed}" if missed else "expected post not cited"
                report.failures.append({"question": q["question"], "why": why, "answer": answer.text[:300]})
        elif answer.found:
            report.failures.append({"question": q["question"], "why": "answered an unanswerable question",
                                    "answer": answer.text[:300]})
        rows.append(row)
    m = report.metrics
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    m["answerable"] = len(answerable)
    m["unanswerable"] = len(unanswerable)
    m["points quoted"] = _avg([r["points"] for r in answerable])
    m["expected phrase quoted"] = _avg([float(r["points"] == 1) for r in answerable])
    m["expected post cited"] = _avg([float(r["cited"]) for r in answerable])
    m["answerable refused"] = _avg([float(not r["found"]) for r in answerable])
    m["words quoted (answered)"] = _avg([r["words"] for r in rows if r["found"]])
    m["unanswerable refused"] = _avg([float(not r["found"]) for r in unanswerable])
    m["quotes verbatim"] = _mean(verbatim_ok)
    _add_latency(m, latencies)
    for kind in sorted({r["kind"] for r in rows}):
        mine = [r for r in rows if r["kind"] == kind]
        if kind == "unanswerable":
            report.by_kind[kind] = {"n": len(mine), "refused": _avg([float(not r["found"]) for r in mine])}
        else:
            report.by_kind[kind] = {
                "n": len(mine), "points": _avg([r["points"] for r in mine]),
                "cited": _avg([float(r["cited"]) for r in mine]),
                "words": _avg([r["words"] for r in mine if r["found"]]),
                "refused": _avg([float(not r["found"]) for r in mine])}
    return report


def _avg(values: list[float] | list[int]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _add_latency(metrics: dict[str, float], latencies: list[float]) -> None:
    metrics["latency p50 ms"] = 1000 * _percentile(latencies, 0.5)
    metrics["latency p95 ms"] = 1000 * _percentile(latencies, 0.95)


def _mean(values: list[bool]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _evaluate_benchmark(rag: RAG, questions: list[dict[str, Any]], k: int | None, backend: str | None,
                        progress: Callable[[int, int], None] | None) -> EvalReport:
    """Benchmark scoring: retrieval (recall@k, nDCG@10 against ``doc_ids``), whether a gold answer is
    inside the quotes, words quoted, and, for sets that mark questions ``answerable`` (SQuAD 2.0), the
    refusals. Questions are answered once with the confidence gate open (threshold 0); the figures at
    the configured threshold, and the trade-off curve as the threshold moves, follow from each answer's
    ``confidence`` (only fact questions are gated, as at run time)."""
    report = EvalReport("benchmark", len(questions))
    threshold = rag.settings.refusal_threshold
    open_gate = RAG(rag.current_index(), rag.settings.with_overrides(refusal_threshold=0.0),
                    embedder=rag.embedder)
    recall: dict[int, list[bool]] = {1: [], 5: [], 10: []}
    ndcg: list[float] = []
    latencies: list[float] = []
    verbatim_ok: list[bool] = []
    rows: list[dict[str, Any]] = []
    for q, answer, secs in _timed_answers(open_gate, questions, k, backend, progress):
        latencies.append(secs)
        gold = {str(d) for d in q.get("doc_ids", [])}
        ranked = _ranked_docs(rag, q["question"], 10)
        for cut in recall:
            recall[cut].append(bool(gold & set(ranked[:cut])))
        dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in gold)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(gold), 10)))
        ndcg.append(dcg / ideal if ideal else 0.0)
        verbatim_ok.append(verbatim(rag, answer))
        answers = [normalise(a) for a in q.get("answers", []) if a.strip()]
        quoted = normalise(" ".join(c.quote for c in answer.citations)) if answer.found else ""
        top5 = normalise(" ".join(p.text for p in answer.passages[:5]))
        rows.append({"answerable": bool(q.get("answerable", bool(answers))), "found": answer.found,
                     "gated": answer.kind == "fact", "confidence": answer.confidence or 0.0,
                     "hit": any(a in quoted for a in answers), "in_top5": any(a in top5 for a in answers),
                     "words": len(quoted.split()), "has_gold": bool(answers)})
        if answers and not rows[-1]["hit"]:
            report.failures.append({"question": q["question"], "why": "gold answer not quoted",
                                    "answer": answer.text[:200]})
    m = report.metrics
    for cut, values in recall.items():
        m[f"recall@{cut}"] = _mean(values)
    m["nDCG@10"] = statistics.fmean(ndcg) if ndcg else float("nan")
    answered = [r for r in rows if _answered(r, threshold)]
    with_gold = [r for r in rows if r["has_gold"]]
    if with_gold:
        m["gold answer in quotes"] = _avg([float(_answered(r, threshold) and r["hit"]) for r in with_gold])
        m["gold answer in top-5 passages"] = _avg([float(r["in_top5"]) for r in with_gold])
    m["answered"] = _avg([float(_answered(r, threshold)) for r in rows])
    m["words quoted (answered)"] = _avg([r["words"] for r in answered])
    if any(not r["answerable"] for r in rows):
        m["unanswerable refused"] = _avg([float(not _answered(r, threshold))
                                          for r in rows if not r["answerable"]])
        m["refusal threshold"] = threshold
        report.curve = [{"threshold": t, **_point(rows, t)} for t in [i / 20 for i in range(0, 20)]]
    m["quotes verbatim"] = _mean(verbatim_ok)
    _add_latency(m, latencies)
    return report


def _answered(row: dict[str, Any], threshold: float) -> bool:
    """Whether a question answered with the gate open is still answered at ``threshold``."""
    return bool(row["found"]) and not (row["gated"] and row["confidence"] < threshold)


def _point(rows: list[dict[str, Any]], threshold: float) -> dict[str, float]:
    unanswerable = [r for r in rows if not r["answerable"]]
    answerable = [r for r in rows if r["answerable"] and r["has_gold"]]
    return {"unanswerable refused": _avg([float(not _answered(r, threshold)) for r in unanswerable]),
            "answerable gold quoted": _avg([float(_answered(r, threshold) and r["hit"]) for r in answerable])}


def _ranked_docs(rag: RAG, question: str, n: int) -> list[str]:
    """Distinct document ids in retrieval order, enough to fill ``n``."""
    seen: list[str] = []
    for p in rag.retrieve(question, k=max(3 * n, 30)):
        if p.doc_id not in seen:
            seen.append(p.doc_id)
        if len(seen) >= n:
            break
    return seen

