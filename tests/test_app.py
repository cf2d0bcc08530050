"""The chat app without a server: rendering keeps corpus text inert and the handler never raises.
The real server is tested in test_app_server.py."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest

from rag import app
from rag.errors import EmptyQuestionError, RagError
from rag.pipeline import Response
from rag.types import Answer, Citation, Document, IndexStatus, Passage
from tests.test_app_support import ROOT

pytestmark = pytest.mark.unit

HOSTILE = '<script>window.__xss=1</script><img src=x onerror="alert(1)"> [x](javascript:alert(1)) $$a$$'


# -- fixtures and helpers


DOC_TEXT = "Intro sentence. " + HOSTILE + " The quoted words are here. Closing words."


def _doc() -> Document:
    return Document(id="d1", text=DOC_TEXT, title=HOSTILE, date="2011-01-01", url="javascript:alert(1)",
                    source="hostile.md")


def _citation(quote: str = "The quoted words are here.", marker: int = 1, **over: Any) -> Citation:
    start = DOC_TEXT.index(quote)
    fields = {"marker": marker, "quote": quote, "doc_id": "d1", "title": HOSTILE, "date": "2011-01-01",
              "url": "javascript:alert(1)", "source": "hostile.md", "start": start,
              "end": start + len(quote), "score": 0.9}
    fields.update(over)
    return Citation(**fields)


def _passage(start: int = 0, end: int = len(DOC_TEXT)) -> Passage:
    return Passage(doc_id="d1", title=HOSTILE, text=DOC_TEXT[start:end], start=start, end=end, score=0.5,
                   date="2011-01-01", url="javascript:alert(1)", source="hostile.md")


def _answer(**over: Any) -> Answer:
    citation = _citation()
    fields = {"question": "q", "text": f"“{citation.quote}” [1]", "citations": (citation,), "found": True,
              "passages": (_passage(),)}
    fields.update(over)
    return Answer(**fields)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _assert_inert(markup: str) -> None:
    """Only the app's own tags are markup: no script, image, event handler or non-http link."""
    parser = _Tags()
    parser.feed(markup)
    for tag, attrs in parser.tags:
        assert tag in {"div", "span", "p", "blockquote", "br", "mark", "a", "h3", "details", "summary"}
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "a":
            assert re.match(r"https?://", attrs.get("href") or ""), attrs
    assert "$$" not in markup and "](" not in markup  # no LaTeX or Markdown syntax left either


class FakeRag:
    """Stands in for RAG in handler tests: records calls, streams what it is told to."""

    def __init__(self, pieces: list[Any] | None = None, error: Exception | None = None) -> None:
        self.settings = SimpleNamespace(k=5, backend="extractive")
        self.pieces = pieces if pieces is not None else [_answer()]
        self.error = error
        self.calls: list[dict[str, Any]] = []

    def stream(self, question: str, *, history: Any = None, k: Any = None, backend: Any = None) -> Response:
        self.calls.append({"question": question, "history": list(history or []), "k": k, "backend": backend})
        return Response(self._run())

    def _run(self) -> Iterator[Any]:
        yield from self.pieces
        if self.error is not None:
            raise self.error

    def document(self, doc_id: str) -> Document:
        return _doc()


# -- import cost


def test_importing_the_app_and_cli_does_not_import_gradio():
    code = "import sys, rag.app, rag.cli; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


# -- rendering


def test_escaping_makes_markup_and_markdown_inert():
    out = app.esc(HOSTILE + "\nsecond line")
    assert "<" not in out.replace("<br>", "")
    assert out.endswith("<br>second line")
    _assert_inert(out)


def test_escaping_shows_every_character_exactly_once_escaped():
    text = "don't <b>&amp; \"quotes\" `code` *a* _b_ [c](d) #e |f| ~g~ $h$ \\ {i} 1+1-2! k=v: &#x27;"
    assert html.unescape(app.esc(text)) == text  # the reader sees the post's characters, not entities


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example/x", "/etc/passwd",
    "file:///etc/passwd", 'http://x.example/" onmouseover="alert(1)', "http://x.example/<script>",
])
def test_only_http_urls_become_links(url):
    out = app.safe_link(url)
    assert "<a" not in out and "href" not in out
    assert "<script" not in out and '"' not in out.split(">", 1)[1]


def test_http_url_becomes_a_safe_link():
    out = app.safe_link("https://example.org/a?b=1&c=2")
    assert out.startswith('<a href="https://example.org/a?b=1&amp;c=2"')
    assert 'rel="noopener noreferrer nofollow"' in out


def test_found_answer_shows_block_quotes_markers_and_sources():
    second = _citation("Closing words.", marker=2)
    answer = _answer(text="“The quoted words are here.” [1]\n\n“Closing words.” [2]",
                     citations=(_citation(), second))
    out = app.answer_html(answer)
    assert out.count("<blockquote") == 2
    assert '<span class="rag-marker">[1]</span>' in out and '<span class="rag-marker">[2]</span>' in out
    assert "rag-found" in out and "rag-not-found" not in out
    assert "\n" not in out  # one HTML block: Markdown never parses corpus text inside it
    _assert_inert(out)


def test_generative_prose_keeps_its_text_and_adds_the_quotes():
    answer = _answer(text="Posts argue that **control** matters [1], see [9].", backend="openai")
    out = app.answer_html(answer)
    assert "Posts argue that" in out and '<span class="rag-marker">[1]</span>' in out
    assert "&#91;9&#93;" in out and "rag-marker\">[9]" not in out  # no such citation: plain text
    assert "<blockquote" in out and "The quoted words are here." in out
    assert "**" not in out


def test_not_found_answer_looks_different_and_lists_the_closest_passages():
    answer = _answer(text="The posts don't seem to answer this question.", citations=(), found=False,
                     passages=(_passage(), _passage(0, 20)))
    out = app.answer_html(answer)
    assert "rag-not-found" in out and "No answer found in the posts" in out and "<blockquote" not in out
    panel = app.sources_html(answer, lambda _: _doc())
    assert "Closest passages" in panel and panel.count("rag-passage-card") == 2
    _assert_inert(panel)


def test_notice_and_unverified_quotations_are_shown_and_marked():
    answer = _answer(notice="The language model was unreachable. Showing the extractive answer instead.",
                     unverified=(HOSTILE, "a made-up line"))
    out = app.answer_html(answer)
    assert "rag-notice" in out and "language model was unreachable" in out
    assert "rag-unverified" in out and out.count("unverified: “") == 2
    assert "not cited" in out
    panel = app.sources_html(answer)
    assert "rag-unverified" in panel
    _assert_inert(out)
    _assert_inert(panel)


def test_sources_panel_highlights_the_quote_inside_its_passage():
    answer = _answer()
    panel = app.sources_html(answer, lambda _: _doc())
    assert "<mark>The quoted words are here.</mark>" in panel
    assert "Intro sentence." in panel  # the passage around the quote
    assert '<span class="rag-nolink">javascript&#58;alert&#40;1&#41;</span>' in panel  # text, not a link
    assert "<a " not in panel
    _assert_inert(panel)


def test_sources_panel_falls_back_to_the_document_text():
    answer = _answer(passages=(_passage(0, 10),))  # no retrieved passage holds the quote
    panel = app.sources_html(answer, lambda _: _doc())
    assert "<mark>The quoted words are here.</mark>" in panel and "Closing words." in panel

    def missing(_: str) -> Document:
        raise KeyError("gone")

    assert "<mark>The quoted words are here.</mark>" in app.sources_html(answer, missing)


def test_a_quote_deep_in_a_long_passage_is_shown_with_the_text_around_it():
    text = "word " * 400 + "The needle sentence. " + "more " * 400
    quote = "The needle sentence."
    doc = Document(id="long", text=text, title="Long", source="long.md")
    start = text.index(quote)
    citation = Citation(marker=1, quote=quote, doc_id="long", title="Long", date=None, url=None,
                        source="long.md", start=start, end=start + len(quote), score=1.0)
    passage = Passage(doc_id="long", title="Long", text=text, start=0, end=len(text), score=1.0)
    panel = app.sources_html(_answer(citations=(citation,), passages=(passage,)), lambda _: doc)
    shown = panel.split('<div class="rag-passage">')[1].split("</div>")[0]
    assert shown.startswith("… word") and shown.endswith("more …")
    assert "<mark>The needle sentence.</mark>" in shown
    assert len(shown) < len(text) // 2


def test_sources_panel_shows_http_link_or_corpus_path():
    linked = _answer(citations=(_citation(url="http://example.org/post"),))
    assert '<a href="http://example.org/post"' in app.sources_html(linked)
    local = _answer(citations=(_citation(url=None),))
    assert "corpus file hostile.md" in app.sources_html(local)


def test_status_line():
    status = IndexStatus(documents=5, chunks=25, sentences=300, model="m", index_kind="flat",
                         built_at="2026-01-02T03:04:05+0000", path="index")
    out = app.status_html(status)
    assert "Index: 5 posts · 25 chunks · model m · built 2026-01-02 03:04:05+0000" in html.unescape(out)


# -- the chat handler


def _run(rag: Any, question: Any, chat: list | None = None, turns: list | None = None, **kw: Any) -> list:
    return list(app.respond(rag, question, chat, turns, **kw))


@pytest.mark.parametrize("question", ["", "   \n ", None])
def test_empty_question_gets_a_friendly_message(question):
    rag = FakeRag()
    steps = _run(rag, question)
    chat, sources, turns, box = steps[-1]
    assert rag.calls == [] and turns == [] and box == "" and sources is None
    assert chat[-1]["role"] == "assistant" and "Please type a question" in chat[-1]["content"]


def test_streamed_pieces_show_before_the_final_answer_and_history_is_passed_on():
    final = _answer()
    rag = FakeRag(pieces=["The posts ", "say [1].", final])
    steps = _run(rag, "Who decides?", backend="openai", k=99)
    contents = [s[0][-1]["content"] for s in steps]
    assert "Searching the posts" in contents[0]
    streamed = [html.unescape(c) for c in contents if "rag-streaming" in c]
    assert [c.split(">", 1)[1].split("<")[0] for c in streamed] == ["The posts ", "The posts say [1]."]
    chat, sources, turns, _ = steps[-1]
    assert chat[-1]["content"] == app.answer_html(final) and "<mark>" in sources
    assert turns == [{"role": "user", "content": "Who decides?"},
                     {"role": "assistant", "content": final.text}]
    assert rag.calls[0]["backend"] == "openai" and rag.calls[0]["k"] == app.MAX_K  # clamped
    _run(rag, "And what about them?", chat, turns, k="3")
    assert rag.calls[1]["history"] == turns and rag.calls[1]["k"] == 3


@pytest.mark.parametrize(("error", "shown"), [
    (RagError("Unknown answering backend 'x'."), "Unknown answering backend"),
    (EmptyQuestionError("Please ask a question: the question is empty."), "the question is empty"),
    (RuntimeError("secret internals"), "Something went wrong"),
])
def test_a_failing_request_shows_an_error_in_the_chat(error, shown):
    rag = FakeRag(pieces=["partial "], error=error)
    chat, sources, turns, _ = _run(rag, "Anything?")[-1]
    assert shown in chat[-1]["content"] and "rag-error" in chat[-1]["content"]
    assert "secret internals" not in chat[-1]["content"]
    assert sources is None and turns == []


def test_a_backend_that_gives_no_answer_is_an_error_not_a_crash():
    chat, *_ = _run(FakeRag(pieces=["only text"]), "Anything?")[-1]
    assert "gave no answer" in chat[-1]["content"]
