"""Evaluation measures and question files: the pure parts of ``rag eval``."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from rag.evaluation import (
    EvalReport,
    Failure,
    Question,
    evaluate,
    mean,
    ndcg_at,
    normalise,
    percentile,
    read_questions,
    recall_at,
)
from rag.types import Answer, Citation, Document
from tests.conftest import EVAL_QUESTIONS

pytestmark = pytest.mark.unit


def test_percentile_interpolates_between_ranks() -> None:
    values = [4.0, 1.0, 3.0, 2.0]  # order does not matter
    assert percentile(values, 0) == 1.0 and percentile(values, 100) == 4.0
    assert percentile(values, 50) == pytest.approx(2.5)
    assert percentile(values, 95) == pytest.approx(3.85)  # 3 + 0.85 × (4 − 3)
    assert percentile([7.0], 95) == 7.0
    assert math.isnan(percentile([], 50))


def test_ndcg_rewards_gold_documents_ranked_early() -> None:
    gold = {"a"}
    assert ndcg_at(["a", "b", "c"], gold, 10) == pytest.approx(1.0)
    assert ndcg_at(["b", "a", "c"], gold, 10) == pytest.approx(1 / math.log2(3))
    assert ndcg_at(["b", "c", "a"], gold, 2) == 0.0  # below the cut
    assert ndcg_at(["a", "b"], set(), 10) == 0.0  # no gold document
    # two gold documents: finding only one of them at the top is not perfect
    assert ndcg_at(["a", "x", "y"], {"a", "b"}, 10) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert ndcg_at(["b", "a"], {"a", "b"}, 10) == pytest.approx(1.0)


def test_recall_at_a_cut() -> None:
    assert recall_at(["x", "a"], {"a"}, 2) and not recall_at(["x", "a"], {"a"}, 1)
    assert not recall_at([], {"a"}, 10)


def test_mean_of_nothing_is_not_a_score() -> None:
    assert mean([True, False, True, True]) == 0.75 and math.isnan(mean([]))


@pytest.mark.parametrize(("phrase", "quoted"), [
    ("Barnet’s “EasyCouncil”", 'barnet\'s "easycouncil"'),
    ("  Local\npeople\t ", "local people"),
    ("‘single’ „low“ ‛marks‟", "'single' \"low\" 'marks\""),
])
def test_phrases_compare_without_case_whitespace_or_typographic_quotes(phrase, quoted) -> None:
    assert normalise(phrase) == quoted


def test_the_projects_question_set_reads_in_the_dev_format() -> None:
    questions = read_questions(EVAL_QUESTIONS)
    lines = [json.loads(x) for x in EVAL_QUESTIONS.read_text().splitlines() if x.strip()]
    assert len(questions) == len(lines) > 0
    assert not any(q.is_benchmark for q in questions)
    answerable = [q for q in questions if q.is_answerable]
    assert answerable and all(q.gold_sources() and q.gold_points() for q in answerable)
    assert {q.kind for q in questions} >= {"fact", "unanswerable"}
    typed = next(q for q, x in zip(questions, lines, strict=True) if x.get("points"))
    assert typed.gold_points() == tuple(tuple(p) for p in lines[questions.index(typed)]["points"])
    assert [q.question for q in questions] == [x["question"] for x in lines]


def test_gold_points_sources_and_kinds_in_either_dev_form() -> None:
    fact = Question(question="Who?", source="a.txt", expected_any=["Ann", "Anne"])
    assert fact.kind == "fact" and fact.gold_points() == (("Ann", "Anne"),)
    assert fact.gold_sources() == ("a.txt",)
    why = Question.model_validate({"question": "Why?", "type": "why", "sources": ["a.txt", 7],
                                   "points": [["cost", "costs"], "staff"]})
    assert why.kind == "why" and why.gold_points() == (("cost", "costs"), ("staff",))
    assert why.gold_sources() == ("a.txt", "7")
    assert Question(question="Where?", answerable=False, type="why").kind == "unanswerable"
    assert Question(question="What?").gold_points() == () and Question(question="What?").gold_sources() == ()


def test_the_benchmark_format_reads_ids_as_text(tmp_path: Path) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(json.dumps({"id": 1, "question": "Who?", "answers": ["Ann"], "doc_ids": [12, "d7"],
                                "plausible_answers": ["Bob"]}) + "\n\n")
    (q,) = read_questions(path)
    assert q.is_benchmark and q.doc_ids == ("12", "d7") and q.answers == ("Ann",) and q.is_answerable
    no_answer = Question(question="Who?", answers=[" "], doc_ids=["1"])
    assert not no_answer.is_answerable and no_answer.kind == "unanswerable"
    assert Question(question="Who?", answers=[], doc_ids=["1"], answerable=True).is_answerable


@pytest.mark.parametrize(("content", "message"), [
    ('{"question": "ok"}\n{not json}\n', r"b\.jsonl:2: not valid JSON"),
    ('["a list"]\n', r"b\.jsonl:1: expected an object with a 'question'"),
    ('{"question": "   "}\n', r"b\.jsonl:1: expected an object with a 'question'"),
    ('{"question": "q", "expected_any": "not a list"}\n', r"b\.jsonl:1: expected_any"),
    ("\n\n", r"b\.jsonl: no questions"),
])
def test_a_bad_question_file_names_the_file_and_line(tmp_path: Path, content, message) -> None:
    path = tmp_path / "b.jsonl"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        read_questions(path)


def test_report_as_json_and_as_lines() -> None:
    report = EvalReport("dev", 2, {"answerable": 1, "expected post cited": 0.5},
                        [Failure("Who chairs it?", "expected post/phrase not quoted", "…")])
    report.by_kind["fact"] = {"n": 1, "points": 0.5, "cited": 1.0, "words": 12.0, "refused": 0.0}
    report.by_kind["unanswerable"] = {"n": 1, "refused": 1.0}
    assert json.loads(json.dumps(report.to_dict())) == {
        "kind": "dev", "count": 2, "metrics": {"answerable": 1, "expected post cited": 0.5},
        "by_kind": {"fact": {"n": 1, "points": 0.5, "cited": 1.0, "words": 12.0, "refused": 0.0},
                    "unanswerable": {"n": 1, "refused": 1.0}},
        "curve": [],
        "failures": [{"question": "Who chairs it?", "why": "expected post/phrase not quoted", "answer": "…"}]}
    lines = report.lines()
    assert lines[0] == "2 questions (dev format)"
    assert any(line.split() == ["expected", "post", "cited", "0.500"] for line in lines)
    assert any(line.split() == ["answerable", "1"] for line in lines)
    assert any(line.split() == ["fact", "1", "0.500", "1.000", "12.0", "0.000"] for line in lines)
    assert any(line.split() == ["unanswerable", "1", "1.000"] for line in lines)
    assert lines[-1] == "  FAIL expected post/phrase not quoted: Who chairs it?"
    assert Question(question="Who?").is_answerable


POST = Document(id="a", text="Libraries should be run by local people. Pools too.", source="a.md")


class StandInRag:
    """Answers fixed in advance, quoting POST."""

    def __init__(self, quotes: dict[str, str | None]) -> None:
        self.quotes = quotes
        self.asked: list[tuple[str, list[str]]] = []  # (question, the earlier questions it was given)

    def answer(self, question: str, history: list[Answer] | None = None, k: int | None = None,
               backend: str | None = None) -> Answer:
        self.asked.append((question, [a.question for a in history or ()]))
        quote = self.quotes[question]
        if quote is None:
            return Answer(question=question, text="No.", citations=(), found=False, passages=())
        start = POST.text.index(quote)
        citation = Citation(marker=1, quote=quote, doc_id="a", title=None, date=None, url=None, source="a.md",
                            start=start, end=start + len(quote), score=0.9)
        return Answer(question=question, text=f"“{quote}” [1]", citations=(citation,), found=True,
                      passages=())

    def document(self, doc_id: str) -> Document:
        return POST


def test_the_dev_format_scores_points_posts_and_refusals() -> None:
    rag = StandInRag({"Who runs libraries?": "Libraries should be run by local people.",
                      "Why pools?": "Pools too.", "Who won the cup?": None, "Who pays?": None})
    questions = [
        {"question": "Who runs libraries?", "source": "a.txt", "expected_any": ["local people"]},
        Question(question="Why pools?", type="why", sources=("a.txt",), points=(("pools",), ("cost",))),
        {"question": "Who won the cup?", "answerable": False},
        {"question": "Who pays?", "source": "a.txt", "expected_any": ["council"]},
    ]
    report = evaluate(rag, questions)  # type: ignore[arg-type]
    m = report.metrics
    assert (m["answerable"], m["unanswerable"]) == (3, 1)
    assert m["points quoted"] == pytest.approx((1 + 0.5 + 0) / 3)
    assert m["expected phrase quoted"] == pytest.approx(1 / 3)
    assert m["answerable refused"] == pytest.approx(1 / 3) and m["unanswerable refused"] == 1.0
    assert m["quotes verbatim"] == 1.0 and m["words quoted (answered)"] == pytest.approx((7 + 2) / 2)
    assert report.by_kind["why"] == {"n": 1, "points": 0.5, "cited": 1.0, "words": 2.0, "refused": 0.0}
    assert report.by_kind["unanswerable"] == {"n": 1, "refused": 1.0}
    assert [(f.question, f.why) for f in report.failures] == [
        ("Why pools?", "points missed ['cost']"), ("Who pays?", "refused an answerable question")]


def test_a_measure_over_no_questions_is_left_out_not_shown_as_nan() -> None:
    rag = StandInRag({"Who runs libraries?": "Libraries should be run by local people.", "Who pays?": None})
    report = evaluate(rag, [{"question": "Who runs libraries?", "source": "a.txt",  # type: ignore[list-item]
                             "expected_any": ["local people"]},
                            {"question": "Who pays?", "answerable": False}])
    assert "unanswerable refused" in report.metrics and "points quoted" in report.metrics
    only_answerable = evaluate(rag, [{"question": "Who runs libraries?", "source": "a.txt",  # type: ignore[list-item]
                                      "expected_any": ["local people"]}])
    assert "unanswerable refused" not in only_answerable.metrics
    assert not any(re.search(r"\bnan\b", line) for line in only_answerable.lines())
    only_refused = evaluate(rag, [{"question": "Who pays?", "answerable": False}])  # type: ignore[list-item]
    assert "points quoted" not in only_refused.metrics
    assert "words quoted (answered)" not in only_refused.metrics
    assert not any(re.search(r"\bnan\b", line) for line in only_refused.lines())


def test_a_follow_up_is_asked_after_its_conversation() -> None:
    rag = StandInRag({"Who runs libraries?": "Libraries should be run by local people.",
                      "And pools?": "Pools too.", "Why?": None})
    question = Question.model_validate({"question": "Why?", "history": ["Who runs libraries?", "And pools?"],
                                        "answerable": False, "type": "follow-up"})
    report = evaluate(rag, [question])  # type: ignore[arg-type]
    assert rag.asked == [("Who runs libraries?", []), ("And pools?", ["Who runs libraries?"]),
                         ("Why?", ["Who runs libraries?", "And pools?"])]
    assert report.metrics["unanswerable refused"] == 1.0
