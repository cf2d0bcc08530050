"""Fit the answerer's confidence model (rag/answering/answerability.json) on SQuAD 2.0, half A.

The model estimates whether the extractive answer is right: the target is 1 for an answerable
question whose quotes hold a gold answer, 0 for an unanswerable question or a wrong quote. It sees
only fact questions that pass the answerer's explicit checks (missing names, topics, types), as at
run time: the answerer consults it for fact questions only. Features are those of
``rag.answering.answerability.features``; the fit is a standardised
logistic regression (scikit-learn), reported with cross-validation grouped by article, so that no
article is both trained and scored on.

Usage (the benchmark files are the public SQuAD 2.0 dev set split in halves; see the README):

    .venv/bin/rag index --corpus path/to/squad-v2.0-dev-A/corpus.jsonl --index /tmp/squad2a
    .venv/bin/python scripts/train_answerability.py --index /tmp/squad2a \\
        --questions path/to/squad-v2.0-dev-A/questions.jsonl [--out rag/answering/answerability.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answering.answerability import FEATURES  # noqa: E402
from rag.answering.extractive import Assessment, ExtractiveBackend, Verdict  # noqa: E402
from rag.evaluation import Question, normalise, read_questions  # noqa: E402
from rag.pipeline import RAG  # noqa: E402


def collect(rag: RAG, questions: list[Question], limit: int | None) -> list[dict]:
    """One row per question: its features, whether the explicit checks refused it, whether the
    quotes it would give hold a gold answer."""
    backend = ExtractiveBackend(rag.settings)
    rows = []
    started = time.perf_counter()
    for i, q in enumerate(questions[:limit] if limit else questions):
        request = rag.request(q.question)
        assessed = backend.assess(request, estimate=False)
        if not isinstance(assessed, Assessment):
            continue  # a question about a post itself: not this model's business
        refused = not assessed.verdict.answerable
        hit = False
        if not refused:
            draft = backend.compose(request, replace(assessed, verdict=Verdict(True)))
            quoted = normalise(" ".join(request.store.document(s.doc_id).text[s.start:s.end]  # type: ignore[union-attr]
                                        for s in draft.spans or ()))
            hit = any(normalise(a) in quoted for a in q.answers if a.strip())
        rows.append({"id": i, "article": (q.doc_ids or ("?",))[0].split("-")[0],
                     "answerable": q.is_answerable,
                     "kind": assessed.analysis.answer_type.value, "refused_by_checks": refused, "hit": hit,
                     "features": [assessed.features[name] for name in FEATURES]})
        if (i + 1) % 500 == 0:
            print(f"{i + 1} questions, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return rows


def fit(rows: list[dict]) -> tuple[dict, dict]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GroupKFold
    from sklearn.preprocessing import StandardScaler

    usable = [r for r in rows if not r["refused_by_checks"] and r["kind"] == "fact"]
    x = np.array([r["features"] for r in usable], dtype=float)
    y = np.array([int(r["answerable"] and r["hit"]) for r in usable])
    groups = np.array([r["article"] for r in usable])
    scores = np.zeros(len(usable))
    for train, test in GroupKFold(n_splits=6).split(x, y, groups):
        scaler = StandardScaler().fit(x[train])
        model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x[train]), y[train])
        scores[test] = model.predict_proba(scaler.transform(x[test]))[:, 1]
    report = {"questions": len(rows), "passing_checks": len(usable),
              "cv_auc": float(roc_auc_score(y, scores))}
    scaler = StandardScaler().fit(x)
    model = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(x), y)
    weights = {"features": list(FEATURES), "coefficients": [float(c) for c in model.coef_[0]],
               "intercept": float(model.intercept_[0]), "mean": [float(m) for m in scaler.mean_],
               "scale": [float(s) for s in scaler.scale_],
               "trained_on": "SQuAD 2.0 dev, even-numbered articles (half A); scripts/train_answerability.py",
               "cv_auc": report["cv_auc"]}
    report["curve"] = curve(rows, {id(r): s for r, s in zip(usable, scores, strict=True)})
    return weights, report


def curve(rows: list[dict], scores: dict[int, float]) -> list[dict]:
    """Cross-validated trade-off as the threshold moves: unanswerable refused against answerable
    questions with a gold answer quoted (a refused question quotes nothing)."""
    out = []
    for threshold in np.round(np.arange(0.0, 0.96, 0.05), 2):
        refused_u = answered_a = 0
        n_u = sum(1 for r in rows if not r["answerable"])
        n_a = len(rows) - n_u
        for r in rows:
            # only fact questions are scored; the others are refused by the checks alone
            refused = r["refused_by_checks"] or scores.get(id(r), 1.0) < threshold
            if not r["answerable"]:
                refused_u += refused
            else:
                answered_a += (not refused) and r["hit"]
        out.append({"threshold": float(threshold), "unanswerable_refused": refused_u / max(n_u, 1),
                    "answerable_gold_quoted": answered_a / max(n_a, 1)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", required=True, type=Path)
    parser.add_argument("--questions", required=True, type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "rag" / "answering" / "answerability.json")
    parser.add_argument("--rows", type=Path, help="cache of collected rows (JSON), reused if present")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args()
    if args.rows and args.rows.exists():
        rows = json.loads(args.rows.read_text())
    else:
        rows = collect(RAG.open(args.index), read_questions(args.questions), args.limit)
        if args.rows:
            args.rows.write_text(json.dumps(rows))
    weights, report = fit(rows)
    args.out.write_text(json.dumps(weights, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "curve"}, indent=2))
    for point in report["curve"]:
        print(f"  threshold {point['threshold']:.2f}: "
              f"unanswerable refused {point['unanswerable_refused']:.3f}, "
              f"answerable gold quoted {point['answerable_gold_quoted']:.3f}")


if __name__ == "__main__":
    main()
