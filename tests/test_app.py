"""The chat app without a server: rendering answers of every shape from their structure, keeping
corpus text inert, the conversation kept in the browser, and the handler that never raises. Real
answers and the real server are tested in test_app_server.py."""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import pytest

from rag import app
from rag.errors import EmptyQuestionError, RagError
from rag.pipeline import Response
from rag.types import Answer, AnswerSection, Citation, Document, IndexStatus, Passage
from tests.test_app_support import ROOT

pytestmark = pytest.mark.unit

HOSTILE = ('<script>window.__xss=1</script><img src=x onerror="alert(1)"> [x](javascript:alert(1)) $$a$$ '
           "*b* _c_ `d` ~e~ |f| &amp; &#60; ftp://x.example a@b.example")
DOC_ID = "007_1c0ffee15dead000"  # an internal id: never shown
SOURCE = "007_1c0ffee15dead000.md"  # an internal file name: never shown


# -- hand-built posts and answers


def _doc(doc_id: str = DOC_ID, text: str = "", **over: Any) -> Document:
    fields = {"id": doc_id, "text": text, "title": "Mutual Benefit?", "date": "2010-06-04",
              "url": "http://example.org/mutual-benefit", "source": SOURCE}
    fields.update(over)
    return Document(**fields)


POST = ("Friday, June 04, 2010\n\nMutual Benefit?\n\n"
        "Labour presented mutualisation as an alternative to the Big Society.\n\n"
        "For a school that means not just teachers but also parents.\n\n"
        "That approach is the hallmark of the 108 co-operative trust schools that were set up.\n\n"
        "Closing words, with a comma - and a dash & an ampersand.\n\n" + HOSTILE + "\n\nThe end.")
OTHER = "An opening line about councils.\n\nCouncillors are wary of mutuals, she said.\n\nMore text here."
DOCS = {DOC_ID: _doc(text=POST),
        "008_aa": _doc("008_aa", OTHER, title=None, date=None, url="http://www.leftfootforward.org/x/",
                       source="008_aa.md")}


def _document(doc_id: str) -> Document:
    return DOCS[doc_id]


def _citation(quote: str, marker: int = 1, doc_id: str = DOC_ID, **over: Any) -> Citation:
    doc = DOCS[doc_id]
    start = doc.text.index(quote)
    fields = {"marker": marker, "quote": quote, "doc_id": doc_id, "title": doc.title, "date": doc.date,
              "url": doc.url, "source": doc.source, "start": start, "end": start + len(quote), "score": 0.9,
              "label": doc.label}
    fields.update(over)
    return Citation(**fields)


def _passage(doc_id: str = DOC_ID, start: int = 0, end: int | None = None) -> Passage:
    doc = DOCS[doc_id]
    end = len(doc.text) if end is None else end
    return Passage(doc_id=doc_id, title=doc.title, text=doc.text[start:end], start=start, end=end, score=0.5,
                   date=doc.date, url=doc.url, source=doc.source, label=doc.label)


BROKEN = "For a school that means not just teachers but also parents.\n\nThat approach is the hallmark " \
         "of the 108 co-operative trust schools that were set up."


def _answer(**over: Any) -> Answer:
    """One section, no heading: the extractive answer to a simple question (its quote runs over a
    paragraph break)."""
    citation = _citation(BROKEN)
    fields = {"question": "How many co-operative trust schools were set up?", "text": f"“{BROKEN}” [1]",
              "citations": (citation,), "found": True, "passages": (_passage(),),
              "sections": (AnswerSection((1,)),)}
    fields.update(over)
    return Answer(**fields)


def _grouped() -> Answer:
    """Several sections, each headed by its post's label and date, with a lead: a comparison."""
    c1 = _citation("Labour presented mutualisation as an alternative to the Big Society.", 1)
    c2 = _citation(BROKEN, 2)
    c3 = _citation("Councillors are wary of mutuals, she said.", 3, "008_aa")
    sections = (AnswerSection((1, 2), heading=DOCS[DOC_ID].label, doc_id=DOC_ID, date="2010-06-04"),
                AnswerSection((3,), heading=DOCS["008_aa"].label, doc_id="008_aa"))
    return Answer(question="How do the posts compare?", text="(plain text)", citations=(c1, c2, c3),
                  found=True, passages=(_passage(), _passage("008_aa")), kind="comparison",
                  lead="The two posts differ on who should run services.", sections=sections)


def _refusal(**over: Any) -> Answer:
    fields = {"question": "What did Ed Miliband say?", "citations": (),
              "text": f"The posts don't mention Ed Miliband. {SOURCE}", "found": False,
              "passages": (_passage("008_aa"), _passage(DOC_ID, 0, 60)),
              "lead": "The posts don't mention Ed Miliband.", "missing": ("Ed Miliband",), "kind": "stance"}
    fields.update(over)
    return Answer(**fields)


def _generated(**over: Any) -> Answer:
    c1 = _citation("Councillors are wary of mutuals, she said.", 1, "008_aa")
    fields = {"question": "Why are councillors wary?", "backend": "openai", "found": True,
              "text": "The post says “Councillors are wary of mutuals, she said.” [1] and **more** [9].\n\n"
                      "A second paragraph [1].", "citations": (c1,), "passages": (_passage("008_aa"),),
              "unverified": ("an invented line", HOSTILE)}
    fields.update(over)
    return Answer(**fields)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(markup: str) -> _Tags:
    parser = _Tags()
    parser.feed(markup)
    return parser


SAFE_TAGS = {"div", "span", "p", "br", "mark", "a", "details", "summary", "ul", "li", "b"}


def _assert_inert(markup: str) -> None:
    """Only the app's own tags are markup: no script, image, event handler or non-http link."""
    for tag, attrs in _parse(markup).tags:
        assert tag in SAFE_TAGS, tag
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "a":
            assert re.match(r"https?://|#rag-\d+-", attrs.get("href") or ""), attrs


def _quote_lines(markdown: str) -> list[str]:
    """The block-quote lines of a Markdown answer, without the ``> `` prefix."""
    return [line[2:] for line in markdown.split("\n") if line.startswith("> ")]


def _quote_blocks(markdown: str) -> dict[int, str]:
    """Each block quote of a Markdown answer by its marker, as the reader sees its text, in order."""
    blocks: dict[int, str] = {}
    for block in markdown.split("\n\n"):
        lines = block.split("\n")
        if not all(line.startswith(">") for line in lines):
            continue
        text = "\n".join("" if line == ">" else line[2:] for line in lines)
        match = re.fullmatch(r"“(.*)” \[(\d+)\]", text, re.S)
        assert match, block
        assert int(match.group(2)) not in blocks
        blocks[int(match.group(2))] = app.md_unescape(match.group(1))
    return blocks


def _as_shown(quote: str) -> str:
    """A quote as the answer shows it: each line stripped, paragraphs one blank line apart."""
    paragraphs = [p for p in re.split(r"\n[ \t]*\n", quote.strip()) if p.strip()]
    return "\n\n".join("\n".join(line.strip() for line in p.split("\n")) for p in paragraphs)


def _unescaped(markdown: str) -> str:
    """What the reader sees of escaped Markdown text (backslash escapes removed)."""
    return app.md_unescape(markdown)


# -- import cost


def test_importing_the_app_and_cli_does_not_import_gradio():
    code = "import sys, rag.app, rag.cli; print('gradio' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


# -- text: Markdown escaping, HTML escaping, links, dates


def test_markdown_escaping_leaves_no_syntax_and_reads_back_as_the_text():
    text = HOSTILE + "\n# not a heading\n- not a list\n1. not a list\n> not a quote\n+ x\n=== \n    not code"
    out = app.md(text)
    assert app.md_unescape(out) == "\n".join(line.strip() for line in text.split("\n"))
    assert not re.search(r"(?<!\\)[<\[\]`*_|~]", out)  # every inline syntax character escaped
    assert "\\&amp;" in out and "\\&#60;" in out and "a\\@b" in out and "ftp\\:" in out
    for line in out.split("\n"):
        assert not re.match(r"(#|>|-|\+|=|\d+\.)", line), line  # no block syntax at a line start
        assert not line.startswith(" ")  # no indented code
    prose = "Labour/Co-operative MP, don't (2010): fine."
    assert app.md(prose) == prose  # ordinary prose copies as it reads


def test_html_escaping_and_only_http_urls_count_as_links():
    assert app.esc('<b a="1">&') == "&lt;b a=&quot;1&quot;&gt;&amp;"
    for url in ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
                "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "//evil.example/x",
                "/etc/passwd", "file:///etc/passwd", 'http://x.example/" onmouseover="alert(1)',
                "http://x.example/<script>", None, ""]:
        assert not app.is_http_url(url), url
    assert app.is_http_url("https://example.org/a?b=1&c=2")


def test_dates_read_as_people_write_them():
    assert app.display_date("2010-06-04") == "4 June 2010"
    assert app.display_date("2011-02-30") == "2011-02-30"  # not a date: shown as stated
    assert app.display_date("Spring 2011") == "Spring 2011"
    assert app.display_date(None) == ""


def _directive(link: str) -> list[str]:
    """The decoded parts of a link's text directive (textStart[,textEnd])."""
    fragment = link.split("#", 1)[1]
    directive = fragment.split(":~:", 1)[1]
    assert directive.startswith("text=")
    parts = directive[len("text="):].split(",")
    assert all(not re.search(r"[\s&,-]", p) for p in parts)  # spaces, &, comma and dash percent-encoded
    return [unquote(p) for p in parts]


def test_text_fragment_links_hold_the_quote():
    short = "Closing words, with a comma - and a dash & an ampersand."
    assert _directive(app.fragment_link("http://x.example/p", short)) == [short]
    long_quote = " ".join(f"word{i}" for i in range(40))
    start, end = _directive(app.fragment_link("http://x.example/p", long_quote))
    assert long_quote.startswith(start) and long_quote.endswith(end) and len(start.split()) == 6
    start, end = _directive(app.fragment_link("http://x.example/p", BROKEN))  # across a paragraph break
    first, last = BROKEN.split("\n\n")
    assert first.startswith(start) and last.endswith(end)
    assert app.fragment_link("http://x.example/p#top", "a b").startswith("http://x.example/p#top:~:text=a%20b")


# -- the answer message (Markdown) for every shape


def test_one_section_shows_each_quote_once_whole_with_its_marker_and_sources():
    out = app.answer_markdown(_answer(), 3)
    first, last = BROKEN.split("\n\n")
    assert _quote_lines(out) == [f"“{first}", f"{last}” [1]"]  # one quote, both paragraphs, in order
    assert _quote_blocks(out) == {1: BROKEN}
    assert out.count(first) == 1 and out.count(last) == 1
    assert "Sources:\n[1] Mutual Benefit? · 4 June 2010 · http://example.org/mutual-benefit" in out
    assert '[1]: #rag-3-1 "Mutual Benefit?, 4 June 2010"' in out  # the marker links to its source
    assert DOC_ID not in out and ".md" not in out


def test_sections_headed_by_post_follow_the_lead_in_order():
    out = app.answer_markdown(_grouped(), 1)
    assert out.startswith("The two posts differ on who should run services.")
    heading1 = "**Mutual Benefit?** · 4 June 2010"
    heading2 = "**leftfootforward.org: “An opening line about councils.”**"
    assert out.index(heading1) < out.index("[1]") < out.index("[2]") < out.index(heading2) < out.index("[3]")
    quotes = "\n".join(_quote_lines(out))
    assert [int(m) for m in re.findall(r"” \[(\d+)\]", quotes)] == [1, 2, 3]
    assert out.count("Labour presented mutualisation") == 1 and out.count("Councillors are wary") == 1
    assert "[1] [2] Mutual Benefit?" in out  # one source line per post
    assert "(plain text)" not in out  # rendered from the structure, not from the text


def test_a_citation_left_out_of_every_section_is_still_shown():
    answer = _answer(citations=(_citation(BROKEN), _citation("The end.", 2)), sections=(AnswerSection((1,)),))
    assert _quote_lines(app.answer_markdown(answer, 1))[-1] == "“The end.” [2]"


def test_a_refusal_says_what_the_posts_lack_and_points_at_the_closest_passages():
    out = app.answer_markdown(_refusal(), 1)
    assert out.startswith("**No answer found in the posts.** The posts don't mention Ed Miliband.")
    assert "closest passages are shown below" in out
    assert "> " not in out and "Sources:" not in out and SOURCE not in out  # never the core's plain text
    bare = app.answer_markdown(_refusal(lead="", missing=("Ed Miliband", "2013")), 1)
    assert app.REFUSAL_LEAD in bare and "Not in the posts: Ed Miliband, 2013." in bare


def test_generated_prose_keeps_its_words_links_real_markers_and_flags_unverified_quotes():
    out = app.answer_markdown(_generated(), 2)
    assert "The post says “Councillors are wary of mutuals, she said.” [1] and \\*\\*more\\*\\* \\[9\\]." \
        in out
    assert "A second paragraph [1]." in out
    assert _quote_lines(out) == []  # its quotations are in the prose: none repeated
    assert "⚠️ Not found word for word in the posts, so not cited:\n“an invented line” (unverified)" in out
    assert _unescaped(app.md(HOSTILE)) in _unescaped(out)
    assert '[1]: #rag-2-1 "leftfootforward.org' in out


def test_a_notice_comes_first():
    notice = "The language model was unreachable; showing the extractive answer."
    out = app.answer_markdown(_answer(notice=notice), 1)
    assert out.startswith("ℹ️ The language model was unreachable; showing the extractive answer.")


def test_hostile_corpus_text_stays_text_in_the_answer_message():
    quote = HOSTILE
    citation = _citation(quote, title=HOSTILE, label=HOSTILE, url="javascript:alert(1)", date=HOSTILE)
    out = app.answer_markdown(_answer(citations=(citation,), sections=(AnswerSection((1,)),)), 1)
    body = out.split("\n\n[1]: ")[0]  # the reference definition's title is quoted, not Markdown
    assert not re.search(r"(?<!\\)[<`*_|~]", body)
    assert "](" not in body.replace("\\](", "")
    assert "· javascript:alert(1)" in body  # the post's link, shown as text (Markdown makes no link of it)
    definition = out.split("\n\n")[-1]
    assert definition.startswith('[1]: #rag-1-1 "') and definition.count('"') - definition.count('\\"') == 2


# -- the plain text the copy button copies


MARKDOWN_SYNTAX = re.compile(r"\*\*|\\|^> |\]: #|^\[\d+\]:", re.M)


def test_copied_text_is_plain_the_quotes_with_markers_then_each_post_once():
    out = app.copy_text(_grouped())
    assert out == (
        "The two posts differ on who should run services.\n\n"
        "Mutual Benefit? · 4 June 2010\n\n"
        "“Labour presented mutualisation as an alternative to the Big Society.” [1]\n\n"
        f"“{BROKEN}” [2]\n\n"  # a quote over a paragraph break, whole
        "leftfootforward.org: “An opening line about councils.”\n\n"
        "“Councillors are wary of mutuals, she said.” [3]\n\n"
        "Sources:\n"
        "[1] [2] Mutual Benefit? · 4 June 2010 · http://example.org/mutual-benefit\n"
        "[3] leftfootforward.org: “An opening line about councils.” · http://www.leftfootforward.org/x/")
    assert not MARKDOWN_SYNTAX.search(out)
    notice = "The language model was unreachable; showing the extractive answer."
    assert app.copy_text(_answer(notice=notice)).startswith(f"{notice}\n\n“For a school")


def test_copied_text_of_a_refusal_and_of_generated_prose():
    assert app.copy_text(_refusal()) == (
        "No answer found in the posts. The posts don't mention Ed Miliband.\n\n"
        "Closest passages:\n"  # each post once
        "leftfootforward.org: “An opening line about councils.” · http://www.leftfootforward.org/x/\n"
        "Mutual Benefit? · 4 June 2010 · http://example.org/mutual-benefit")
    bare = app.copy_text(_refusal(lead="", missing=("Ed Miliband", "2013"), passages=()))
    assert bare == f"No answer found in the posts. {app.REFUSAL_LEAD}\n\nNot in the posts: Ed Miliband, 2013."
    generated = app.copy_text(_generated())
    assert generated.startswith(f"{_generated().text}\n\n{app.UNVERIFIED}\n“an invented line” (unverified)\n")
    assert generated.endswith("Sources:\n[1] leftfootforward.org: “An opening line about councils.” · "
                              "http://www.leftfootforward.org/x/")


def test_copied_text_keeps_hostile_corpus_text_as_its_characters():
    citation = _citation(HOSTILE, title=HOSTILE, url="javascript:alert(1)", date=HOSTILE, label=HOSTILE)
    answer = _answer(citations=(citation,), sections=(AnswerSection((1,)),))
    out = app.copy_text(answer)
    assert out == f"“{HOSTILE}” [1]\n\nSources:\n[1] {HOSTILE} · {HOSTILE} · javascript:alert(1)"
    view = app.sources_html(answer, 1, _document)
    _assert_inert(view)  # carried in the source view escaped, as an attribute
    assert html.unescape(re.search(r'data-copy="([^"]*)"', view).group(1)) == out


# -- the source view (HTML)


def test_the_source_view_shows_each_quote_highlighted_in_its_passage_with_links_and_the_whole_post():
    answer = _grouped()
    out = app.sources_html(answer, 4, _document)
    _assert_inert(out)
    tags = _parse(out).tags
    assert [a.get("id") for t, a in tags if t == "div" and a.get("class") == "rag-source"] == \
        ["rag-4-1", "rag-4-2", "rag-4-3"]  # the targets of the answer's markers
    marks = re.findall(r"<mark[^>]*>(.*?)</mark>", out, re.S)
    for c in answer.citations:
        assert marks.count(html.escape(c.quote, quote=True)) == 2  # in its passage and in the whole post
        card = out.split(f'id="rag-4-{c.marker}"')[1].split('<div class="rag-source"')[0]
        link = html.unescape(re.search(r'class="rag-original" href="([^"]+)"', card).group(1))
        assert link.startswith(f"{c.url}#:~:text=") and all(part in c.quote for part in _directive(link))
    readers = re.findall(r'<div class="rag-reader-text"[^>]*>(.*?)</div>', out, re.S)
    assert html.unescape(re.sub(r"</?mark[^>]*>", "", readers[0])) == POST  # the whole post, verbatim
    assert '<a class="rag-read" href="#rag-4-1-quote">' in out and '<mark id="rag-4-1-quote"' in out
    assert "<details><summary>The 3 quotes in their posts</summary>" in out  # closed until a marker opens it
    text = "".join(_parse(out).text)
    assert DOC_ID not in out and ".md" not in text and "4 June 2010" in text
    copied = re.search(r'<div class="rag-sources rag-found" data-turn="4" data-copy="([^"]*)">', out).group(1)
    assert html.unescape(copied) == app.copy_text(answer)  # what the copy button copies


def test_a_refusal_shows_its_closest_passages_open_in_the_same_view():
    out = app.sources_html(_refusal(), 2, _document)
    _assert_inert(out)
    assert 'class="rag-sources rag-not-found"' in out
    assert "<details open><summary>The closest passages (2)" in out
    assert 'id="rag-2-p1"' in out and 'id="rag-2-p2"' in out
    assert "Councillors are wary of mutuals" in out and "Read the whole post here" in out
    assert "leftfootforward.org: “An opening line about councils.”" in html.unescape(out)


def test_the_source_view_survives_a_missing_post_and_needs_no_document():
    out = app.sources_html(_answer(passages=()), 1, None)  # no passage holds it, no document to read
    assert f"<mark>{html.escape(BROKEN, quote=True)}</mark>" in out and "rag-reader" not in out

    def gone(_: str) -> Document:
        raise KeyError("gone")

    assert "Read the whole post" not in app.sources_html(_answer(), 1, gone)
    assert app.sources_html(_answer(citations=(), found=False, passages=()), 1, _document) == ""


def test_hostile_corpus_text_stays_text_in_the_source_view():
    doc = _doc(text=POST, title=HOSTILE, url="javascript:alert(1)", date=HOSTILE)
    citation = _citation(HOSTILE, title=HOSTILE, url="javascript:alert(1)", date=HOSTILE, label=HOSTILE)
    answer = _answer(citations=(citation,), passages=(_passage(),))
    out = app.sources_html(answer, 1, lambda _: doc)
    _assert_inert(out)
    assert "javascript:alert(1)" in html.unescape(out) and 'href="javascript' not in out
    assert HOSTILE in "".join(_parse(out).text)  # all of it shown, as text


# -- the conversation kept in the browser


def test_answers_come_back_from_browser_storage_unchanged():
    for answer in (_answer(), _grouped(), _refusal(), _generated(confidence=0.25)):
        stored = json.loads(json.dumps(answer.to_dict()))
        assert app.answer_from_dict(stored) == answer


@pytest.mark.parametrize("damage", [
    {"found": "yes"}, {"citations": [{"marker": "1"}]}, {"question": None},
    {"sections": [{"markers": ["a"]}]}, {"passages": "x"}, {"unverified": [1]}, {"confidence": True},
])
def test_tampered_storage_is_dropped_not_rendered(damage):
    stored = {**_answer().to_dict(), **damage}
    if "citations" in damage:
        stored["citations"] = [{**_answer().to_dict()["citations"][0], "marker": "1"}]
    assert app.answer_from_dict(stored) is None
    kept = app.load_conversation([{"question": "q", "answer": stored}, {"question": "ok", "error": "failed"},
                                  "junk", {"question": 3}, None])
    assert kept == [app.Exchange("ok", error="failed")]
    assert app.load_conversation("not a list") == [] and app.load_conversation(None) == []


def test_chat_messages_map_back_to_their_exchange():
    exchanges = [app.Exchange("first", _answer()), app.Exchange("second", error="failed"),
                 app.Exchange("third", _refusal())]
    messages = app.chat_messages(exchanges, _document)
    assert [m["role"] for m in messages] == ["user", "assistant", "assistant", "user", "assistant", "user",
                                             "assistant", "assistant"]
    assert [app.exchange_at(exchanges, i) for i in range(len(messages))] == [0, 0, 0, 1, 1, 2, 2, 2]
    assert app.exchange_at(exchanges, 8) is None and app.exchange_at(exchanges, (3, 0)) == 1
    assert 'data-turn="3"' in messages[-1]["content"]  # each answer's view is numbered by its turn
    kept, at = app.rewind(app.save_conversation(exchanges), 5)
    assert kept == exchanges[:2] and at == exchanges[2]
    assert app.core_history(exchanges) == [
        {"role": "user", "content": "first"}, {"role": "assistant", "content": _answer().text},
        {"role": "user", "content": "third"}, {"role": "assistant", "content": _refusal().text}]


def test_an_edited_question_is_read_back_without_escapes():
    assert app.edited_text(app.md("Who runs *the* <ferry>?")) == "Who runs *the* <ferry>?"
    assert app.edited_text([{"type": "text", "text": "a \\[b\\]"}]) == "a [b]"
    assert app.edited_text(None) == ""


def test_status_line_and_backend_note():
    status = IndexStatus(documents=5, chunks=25, sentences=300, model="m", index_kind="flat",
                         built_at="2026-01-02T03:04:05+0000", path="index")
    assert "Index: 5 posts · 25 chunks · model m · built 2026-01-02 03:04:05+0000" in app.status_html(status)
    note = app.backends_note([("openai", "set OPENAI_BASE_URL or RAG_LLM_BASE_URL and RAG_LLM_MODEL"),
                              ("x<y", HOSTILE)])
    _assert_inert(note)
    assert "openai</b> (not available): set OPENAI_BASE_URL or RAG_LLM_BASE_URL and RAG_LLM_MODEL" in note
    assert app.backends_note([]) == ""


def test_backends_report_whether_they_can_answer_here(monkeypatch):
    from rag.answering import backend_statuses
    from rag.settings import Settings

    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "RAG_LLM_BASE_URL", "RAG_LLM_API_KEY", "RAG_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    statuses = {s.name: s for s in backend_statuses(Settings())}
    assert statuses["extractive"].usable and statuses["extractive"].hint == ""
    assert not statuses["openai"].usable
    assert "set OPENAI_BASE_URL or RAG_LLM_BASE_URL and RAG_LLM_MODEL" in statuses["openai"].hint
    configured = {s.name: s for s in backend_statuses(Settings(llm_base_url="http://127.0.0.1:9/v1"))}
    assert configured["openai"].hint == "set RAG_LLM_MODEL"
    ready = Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="m")
    assert {s.name: s for s in backend_statuses(ready)}["openai"].usable


# -- the chat handler


class FakeRag:
    """Stands in for RAG in handler tests: records calls, streams what it is told to."""

    def __init__(self, pieces: list[Any] | None = None, error: Exception | None = None) -> None:
        self.settings = SimpleNamespace(k=5, backend="extractive", max_question_chars=2000)
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
        return _document(doc_id)


def _run(rag: Any, question: Any, conversation: list | None = None, **kw: Any) -> list:
    return list(app.respond(rag, question, conversation, **kw))


@pytest.mark.parametrize("question", ["", "   \n ", "\u200b\t", None])
def test_empty_question_gets_a_friendly_message_by_the_box(question):
    rag = FakeRag()
    steps = _run(rag, question, [app.Exchange("before", _answer()).to_dict()])
    assert len(steps) == 1
    chat, kept, box, notice = steps[0]
    assert rag.calls == [] and chat is None and kept is None and box is None  # nothing changes but the notice
    assert notice == f'<p class="rag-notice">{html.escape(app.EMPTY_QUESTION)}</p>'
    assert "Please type a question first" in notice


def test_a_question_over_the_limit_is_refused_with_the_limit_and_never_cut():
    rag = FakeRag()
    long_question = " ".join(["Why are the co-operative trust schools so keen on mutuals?"] * 54)
    assert len(long_question) == 3185
    (chat, kept, box, notice), = _run(rag, long_question)
    assert rag.calls == [] and chat is None and kept is None
    assert box is None  # the question stays in the box, to be shortened
    assert "too long (3,185 characters)" in notice and "at most 2,000 characters" in notice
    assert app.question_problem("x" * 2000, 2000) is None and app.question_problem("x" * 2001, 2000)
    steps = _run(rag, "x" * 1990 + "      ?")  # counted as the core counts it: whitespace folded
    assert rag.calls[0]["question"] == "x" * 1990 + "      ?" and steps[0][3] == ""  # asked, notice cleared


def test_streamed_pieces_show_before_the_final_answer_and_history_is_passed_on():
    final = _answer()
    rag = FakeRag(pieces=["The posts ", "say [1].", final])
    steps = _run(rag, "Who decides?", backend="openai", k=99)
    contents = [s[0][-1]["content"] for s in steps]
    assert "Searching the posts" in contents[0]
    assert contents[1:3] == ["The posts …", "The posts say \\[1\\]. …"]
    assert all(s[1] is None for s in steps[:-1])  # only the finished answer is kept
    assert steps[0][2:] == ("", "")  # the box emptied for the next question, the notice cleared
    assert all(s[2:] == (None, None) for s in steps[1:])
    chat, kept, _, _ = steps[-1]
    assert [m["content"] for m in chat] == [m["content"] for m in app.chat_messages(
        [app.Exchange("Who decides?", final)], _document)]
    assert kept == [{"question": "Who decides?", "answer": final.to_dict()}]
    assert rag.calls[0]["backend"] == "openai" and rag.calls[0]["k"] == app.MAX_K  # clamped
    _run(rag, "And what about them?", kept, k="3")
    assert rag.calls[1]["history"] == app.core_history(app.load_conversation(kept)) and rag.calls[1]["k"] == 3


def test_html_messages_are_made_by_the_given_factory():
    chat, *_ = _run(FakeRag(), "Who decides?", html_message=lambda s: ("HTML", s))[-1]
    assert chat[-1]["content"][0] == "HTML" and "rag-sources" in chat[-1]["content"][1]


@pytest.mark.parametrize(("error", "shown"), [
    (RagError("Unknown answering backend 'x'."), "Unknown answering backend"),
    (EmptyQuestionError("Please ask a question: the question is empty."), "the question is empty"),
    (RuntimeError("secret internals"), "Something went wrong"),
])
def test_a_failing_request_shows_an_error_in_the_chat_and_can_be_retried(error, shown):
    rag = FakeRag(pieces=["partial "], error=error)
    chat, kept, *_ = _run(rag, "Anything?")[-1]
    assert shown in chat[-1]["content"] and chat[-1]["content"].startswith("⚠️")
    assert "secret internals" not in chat[-1]["content"]
    assert app.load_conversation(kept)[0].question == "Anything?"  # kept, so Retry can ask it again


def test_a_backend_that_gives_no_answer_is_an_error_not_a_crash():
    chat, *_ = _run(FakeRag(pieces=["only text"]), "Anything?")[-1]
    assert "gave no answer" in chat[-1]["content"]


@pytest.mark.parametrize("text,url", [
    ("Mayor Herbert Morrison(http://en.wikipedia.org/wiki/Herbert_Morrison).", "http://en.wikipedia.org/wiki/Herbert_Morrison"),
    ("the pledge: http://www.guardian.co.uk/politics/2010/mar/31/pledge”", "http://www.guardian.co.uk/politics/2010/mar/31/pledge"),
    ("see https://en.wikipedia.org/wiki/Mutual_(organization), then", "https://en.wikipedia.org/wiki/Mutual_(organization)"),
    ("at https://example.org/a?b=1&c=2.", "https://example.org/a?b=1&c=2"),
])
def test_a_web_address_in_text_becomes_an_autolink_of_just_the_address(text, url):
    shown = app.md(text)
    assert f"<{url}>" in shown and "\\_" not in shown.split("<")[1].split(">")[0]
    assert app.md_unescape(shown) == text  # the text itself is unchanged
    assert app.url_in_text(url + ").") == url  # a bracket it does not open, and a full stop, are the text's


def test_a_non_http_scheme_or_an_address_inside_a_word_is_no_link():
    assert "<" not in app.md("javascript:alert(1) and xhttp://example.org/a").replace("\\<", "")
