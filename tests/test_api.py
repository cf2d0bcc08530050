"""The Python API: rag.load, rag.answer, the Answer shape, bad input and missing indexes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import rag
from rag import EmptyQuestionError, IndexMissingError, QuestionTooLongError
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x1b", None])
def test_empty_questions_are_a_clear_value_error(rag_obj, question):
    with pytest.raises(EmptyQuestionError, match="empty") as info:
        rag_obj.answer(question)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("question", [42, ["Who?"], b"Who?"])
def test_non_text_question_is_a_clear_error(rag_obj, question):
    from rag import QuestionError, QuestionTypeError

    with pytest.raises(QuestionTypeError, match="must be text") as info:
        rag_obj.answer(question)
    assert isinstance(info.value, QuestionError) and isinstance(info.value, TypeError)


@pytest.mark.parametrize("history", [42, 3.5, object(), {"role": "user"}])
def test_a_history_of_no_known_shape_is_left_out(rag_obj, history):
    answer = rag_obj.answer("Who chairs the Commission on Ownership?", history=history)
    assert answer.found and "Will Hutton" in answer.text


def test_a_too_long_question_is_a_clear_error_never_a_silent_cut(rag_obj):
    question = "Who should control local libraries and swimming pools? " + "blah " * 20_000
    with pytest.raises(QuestionTooLongError, match=r"too long.*at most 2,000 characters"):
        rag_obj.answer(question)
    limit = rag_obj.settings.max_question_chars  # a question of exactly the limit is answered
    assert rag_obj.answer(("Who should control local libraries and swimming pools? " * 40)[:limit]).question


def test_html_tags_in_a_question_are_dropped_and_their_text_kept(rag_obj):
    answer = rag_obj.answer("<script>x</script> <b>Who</b> chairs the independent Commission on Ownership?")
    assert answer.found and "Will Hutton" in answer.citations[0].quote
    pasted = rag_obj.answer("Who chairs the independent Commission on Ownership? "
                            "<script>alert('hi')</script>")
    assert pasted.found and "Will Hutton" in pasted.citations[0].quote, pasted.text


@pytest.mark.unit
@pytest.mark.parametrize(("question", "cleaned"), [
    ("<b>Who</b> chairs it?", "Who chairs it?"),
    ("Who chairs it? <script>alert('hi')</script>", "Who chairs it?"),
    ("<style>p {color: red}</style>Why?<!-- a comment -->", "Why?"),
    ("Is 5 < 6 and 7 > 3?", "Is 5 < 6 and 7 > 3?"),
    ("Mutuals &amp; co-ops?", "Mutuals & co-ops?")])
def test_markup_pasted_with_a_question_is_read_as_its_text(question, cleaned):
    from rag.pipeline import clean_question

    assert clean_question(question, 1000) == cleaned


@pytest.mark.parametrize("question", [
    "¿Quién debería controlar las bibliotecas?", "图书馆应该由谁控制", "🏊 who controls swimming pools? 🏊",
    "who\x00 controls\x1b[31m libraries\u200b?", "' OR 1=1; DROP TABLE documents; --", "[1] [2] “” \"\""])
def test_odd_questions_are_answered_without_error(rag_obj, question):
    answer = rag_obj.answer(question)
    assert isinstance(answer.found, bool)
    for c in answer.citations:
        assert rag_obj.document(c.doc_id).text[c.start:c.end] == c.quote
    assert rag_obj.document(rag_obj.index.document_ids()[0])  # the store is intact


def test_answer_to_dict_is_json_with_the_documented_shape(rag_obj):
    answer = rag_obj.answer("Who chairs the independent Commission on Ownership?")
    data = json.loads(json.dumps(answer.to_dict()))
    assert set(data) == {"question", "text", "found", "backend", "citations", "passages", "unverified",
                         "notice", "kind", "lead", "sections", "missing", "scope", "confidence"}
    assert data["found"] is True and data["backend"] == "extractive"
    citation = data["citations"][0]
    assert set(citation) == {"marker", "quote", "doc_id", "title", "date", "url", "source", "start", "end",
                             "score", "label"}
    assert "Will Hutton" in citation["quote"]
    assert set(data["passages"][0]) >= {"doc_id", "title", "text", "start", "end", "score"}


def test_answer_is_frozen(rag_obj):
    answer = rag_obj.answer("Who chairs the independent Commission on Ownership?")
    with pytest.raises(AttributeError):
        answer.found = False  # type: ignore[misc]


def test_document_lookup(rag_obj):
    doc = rag_obj.document("001_b29524489ad9d262")
    assert doc.title == "Mutual Benefit?" and doc.date == "2010-06-04" and doc.url is None
    assert doc.source == "001_b29524489ad9d262.md"
    with pytest.raises(KeyError):
        rag_obj.document("no-such-post")


def test_an_unknown_document_is_a_rag_error(rag_obj):
    with pytest.raises(rag.DocumentNotFoundError, match="nope"):
        rag_obj.document("nope")
    assert issubclass(rag.DocumentNotFoundError, rag.RagError)
    assert issubclass(rag.DocumentNotFoundError, KeyError)  # as before: callers catching KeyError still do


def test_loading_a_missing_index_says_how_to_build_it(tmp_path):
    with pytest.raises(IndexMissingError, match="rag index"):
        rag.load(tmp_path / "nothing-here")


def test_unknown_backend_lists_the_available_ones(rag_obj):
    with pytest.raises(rag.UnknownBackendError, match="extractive"):
        rag_obj.answer("Who chairs the commission?", backend="no-such-backend")


def test_rag_load_answers_with_the_configured_backend(built_index, monkeypatch):
    """RAG_BACKEND chooses the backend when rag.load is not given one; a keyword still wins."""
    monkeypatch.setenv("RAG_BACKEND", "echo")  # the test plugin, found through its entry point
    loaded = rag.load(built_index)
    assert loaded.settings.backend == "echo" and loaded.backend().name == "echo"
    answer = loaded.answer("Who should control local libraries and swimming pools?")
    assert answer.backend == "echo" and answer.text.startswith("Echo:")
    assert rag.load(built_index, backend="extractive").backend().name == "extractive"
    monkeypatch.delenv("RAG_BACKEND")
    assert rag.load(built_index).backend().name == "extractive"


def test_bad_settings_are_a_rag_error_naming_them(built_index, monkeypatch):
    with pytest.raises(rag.SettingsError, match="bogus"):
        rag.load(built_index, bogus=1)
    with pytest.raises(rag.UnknownBackendError, match="extractive"):  # at load, not at the first answer
        rag.load(built_index, backend="no-such-backend")
    monkeypatch.setenv("RAG_K", "abc")
    with pytest.raises(rag.SettingsError, match="k"):
        rag.load(built_index)
    monkeypatch.delenv("RAG_K")
    loaded = rag.load(built_index)
    for k in (-1, 0, 2.5, "3", 101, 1000):  # the same bounds as RAG_K and the command line's --k
        with pytest.raises(rag.SettingsError, match="from 1 to 100"):
            loaded.answer("Who chairs the commission?", k=k)
    assert len(loaded.answer("Who chairs the commission?", k=100).passages) >= 5
    assert issubclass(rag.SettingsError, rag.RagError) and issubclass(rag.SettingsError, ValueError)


@pytest.mark.slow
def test_from_rag_import_answer_builds_the_missing_default_index_and_answers(tmp_path):
    """In a fresh process: the default index is missing, so answer() builds it, says so, then answers."""
    code = ("from rag import answer\n"
            "a = answer('Who should control local libraries and swimming pools?')\n"
            "print(a.found, a.citations[0].doc_id)\n"
            "b = answer('What is the tallest mountain in Africa?')\n"
            "print(b.found)\n")
    env = {**os.environ, "RAG_INDEX_DIR": str(tmp_path / "index"), "RAG_CORPUS_DIR": str(ROOT / "corpus"),
           "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "002_9aeafe8f51407061", "False"]
    assert "building it" in out.stderr
    assert (tmp_path / "index" / "manifest.json").exists()


def test_a_long_lived_rag_keeps_answering_after_the_index_is_rebuilt(built_index, corpus_copy, embedder,
                                                                     tmp_path):
    """A running app holds a RAG; `rag index` then replaces the generation it was reading."""
    import shutil
    import threading

    from rag.index import Index, IndexBuilder
    from rag.pipeline import RAG
    from rag.settings import Settings

    index_dir = tmp_path / "index"
    shutil.copytree(built_index, index_dir)
    index = Index.open(index_dir)
    live = RAG(index, index.settings, embedder=embedder)
    question = "Who should control local libraries and swimming pools?"
    assert live.answer(question).citations[0].doc_id == "002_9aeafe8f51407061"

    (corpus_copy / "002_9aeafe8f51407061.md").unlink()
    report = IndexBuilder(Settings(corpus_dir=corpus_copy, index_dir=index_dir), embedder=embedder).run()
    assert report.removed == ("002_9aeafe8f51407061",) and report.chunks_embedded == 0

    results: list = []
    worker = threading.Thread(target=lambda: results.append(live.answer(question)))  # a fresh thread
    worker.start()
    worker.join()
    answer = results[0]
    assert all(c.doc_id != "002_9aeafe8f51407061" for c in answer.citations)
    assert "002_9aeafe8f51407061" not in live.current_index().document_ids()


@pytest.mark.unit
def test_history_is_read_in_every_common_shape():
    from rag.pipeline import as_turns
    from rag.types import Turn

    earlier = "Who chairs the Commission on Ownership?"
    shapes = [[{"role": "user", "content": earlier}], [Turn("user", earlier)], [("user", earlier)],
              [(earlier, "Will Hutton.")], [earlier]]
    for history in shapes:
        turns = as_turns(history)
        assert turns[0] == Turn("user", earlier), history
    assert as_turns([(earlier, "Will Hutton.")])[1] == Turn("assistant", "Will Hutton.")
    assert as_turns([42, None, {"role": "system", "content": "x"}]) == ()
    assert as_turns(earlier) == (Turn("user", earlier),)  # one earlier question, not its letters


@pytest.mark.unit
def test_a_follow_up_of_a_follow_up_is_read_after_the_question_that_stands_on_its_own():
    from rag.pipeline import read_in_context
    from rag.types import Turn

    chat = (Turn("user", "Who chairs the Commission on Ownership?"), Turn("assistant", "Will Hutton."),
            Turn("user", "Who funds it?"), Turn("assistant", "Co-Operative Financial Services."))
    query, analysis = read_in_context("And what will it investigate?", chat)
    assert query == "And what will it investigate? Commission on Ownership" and analysis.follow_up
    why, _ = read_in_context("And why?", chat)  # no words of its own: the whole exchange of questions
    assert why == "Who chairs the Commission on Ownership? Who funds it? And why?"
    fresh, _ = read_in_context("Why are some councillors sceptical about mutualisation?", chat)
    assert fresh == "Why are some councillors sceptical about mutualisation?"  # a new question stands alone
