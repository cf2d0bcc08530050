"""The chat app in a real headless browser (Debian's chromium driven by Playwright) against the real
server over the real index.

Screenshots and the answer times seen in the browser go to test-artifacts/ (git-ignored). With
UPDATE_SCREENSHOTS=1 the README's screenshots are written to docs/ as well.
"""

from __future__ import annotations

import functools
import html
import http.server
import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from rag.app import EXAMPLE_QUESTIONS, STORAGE_KEY, copy_text, display_date, source_anchor
from tests.test_app_support import (
    ARTIFACTS,
    LIBRARIES_QUESTION,
    LIBRARIES_QUOTE,
    LIBRARIES_URL,
    ROOT,
    UNANSWERABLE_QUESTION,
    XSS_IMG,
    XSS_QUESTION,
    XSS_SCRIPT,
    XSS_SENTENCE_START,
    XSS_TITLE,
    XSS_URL,
    AppServer,
    shared_app_server,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-extensions",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--disable-default-apps"]
WAIT_MS = 120_000  # generous: a busy 2-core box; nothing here asserts on time
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCHOOLS_QUESTION = "How many co-operative trust schools were set up?"  # its quote runs over a paragraph break
EASYCOUNCIL_QUESTION = "Which council's approach was nicknamed EasyCouncil?"
COMPARISON_QUESTION = "Compare the Conservative and Labour views on mutuals."
README_SHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at "
                       "/usr/bin/chromium (scripts/test.sh installs it: apt-get install chromium)"),
]

_timings: dict[str, float] = {}

# WCAG 2 contrast, measured from computed styles: the text colour over the first opaque background
# up the tree, with translucent backgrounds (and the text's own alpha and opacity) composited.
CONTRAST_JS = """
(el) => {
  const parse = (c) => {
    const m = c.match(/^rgba?\\(([^)]*)\\)$/);
    if (!m) throw new Error('unparsed colour ' + c);
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, below) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + below[i] * (1 - a)).concat([1]);
  };
  const layers = [];
  let opacity = 1;
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const style = getComputedStyle(node);
    opacity *= Number(style.opacity);
    const bg = parse(style.backgroundColor);
    if (bg[3] > 0) layers.push(bg);
    if (bg[3] >= 1) break;
  }
  let background = [255, 255, 255, 1];  // the canvas, if nothing up the tree is opaque
  for (const layer of layers.reverse()) background = over(layer, background);
  const fg = parse(getComputedStyle(el).color);
  const text = over([fg[0], fg[1], fg[2], fg[3] * opacity], background);
  const lum = (c) => {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(text), lum(background)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}
"""

SETTLED_JS = """
(frames) => new Promise((resolve) => {
  // resolves once nothing has scrolled or grown for `frames` animation frames in a row
  const state = () => {
    const log = document.querySelector('#rag-chat [role=log]');
    return [scrollX, scrollY, document.documentElement.scrollHeight,
            log ? log.scrollTop : 0, log ? log.scrollHeight : 0].join();
  };
  let last = state(), same = 0;
  const tick = () => {
    const now = state();
    same = now === last ? same + 1 : 0;
    last = now;
    if (same >= frames) resolve(true); else requestAnimationFrame(tick);
  };
  document.fonts.ready.then(() => requestAnimationFrame(tick));
})
"""

IN_VIEW_JS = """
(el) => {
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) return false;
  for (let node = el.parentElement; node; node = node.parentElement) {
    const style = getComputedStyle(node);
    if (/(auto|scroll)/.test(style.overflowY)) {
      const box = node.getBoundingClientRect();
      if (r.bottom <= box.top || r.top >= box.bottom) return false;
    }
  }
  return r.top < innerHeight && r.bottom > 0;
}
"""


START_IN_VIEW_JS = """
(el) => {
  // the element's first line is visible: inside every scroll area holding it, and on the screen
  const r = el.getBoundingClientRect(), line = Math.min(r.height, 16);
  if (r.width === 0 || r.height === 0) return false;
  const boxes = [[0, innerHeight]];
  for (let node = el.parentElement; node; node = node.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(node).overflowY)) {
      const box = node.getBoundingClientRect();
      boxes.push([box.top, box.bottom]);
    }
  }
  return boxes.every(([top, bottom]) => r.top >= top - 1 && r.top + line <= bottom + 1);
}
"""


@pytest.fixture(scope="session")
def app_server(request, tmp_path_factory, embedder) -> AppServer:
    return shared_app_server(request, tmp_path_factory, embedder)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "browser-timings.json").write_text(json.dumps(_timings, indent=2) + "\n")


def _same(shown: str, text: str) -> bool:
    """Whether the browser shows ``text`` (the page's layout decides line breaks and spacing)."""
    return shown.split() == text.split()


class Session:
    """One browser tab on the app, recording what would show a problem: dialogs and outside requests."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.url = url
        self.dialogs: list[str] = []
        self.outside: list[str] = []
        page.on("dialog", self._dialog)
        page.on("request", self._request)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _request(self, request: Any) -> None:
        web = request.url.startswith(("http:", "https:", "ws:", "wss:"))
        if web and urlsplit(request.url).hostname not in ("127.0.0.1", "localhost"):
            self.outside.append(request.url)

    def open(self, query: str = "") -> None:
        started = time.perf_counter()
        self.page.goto(self.url + query, wait_until="load")  # "networkidle" never settles on Gradio 6
        self.page.locator("#rag-question textarea").wait_for(timeout=WAIT_MS)
        _timings.setdefault("page_ready_seconds", round(time.perf_counter() - started, 2))

    @property
    def box(self) -> Any:
        return self.page.locator("#rag-question textarea")

    def users(self) -> Any:
        return self.page.locator("#rag-chat [data-testid=user]")

    def view(self, turn: int) -> Any:
        """The source view of the answer to question ``turn`` (1-based)."""
        return self.page.locator(f'#rag-chat .rag-sources[data-turn="{turn}"]')

    def answer(self, turn: int) -> Any:
        """The answer message of question ``turn``: the chat message right before its source view."""
        index = self.page.evaluate("""(turn) => {
            const bots = [...document.querySelectorAll('#rag-chat [data-testid=bot]')];
            return bots.findIndex(b => b.querySelector(`.rag-sources[data-turn="${turn}"]`)) - 1; }""", turn)
        assert index >= 0, f"no answer for question {turn}"
        return self.page.locator("#rag-chat [data-testid=bot]").nth(index)

    def ask(self, question: str | None = None, *, example: int | None = None) -> Any:
        """Ask by typing (or by clicking example ``example``), wait for the answer; returns its message.

        Once the page has settled, the new question and the start of its answer must be in view."""
        turn = self.users().count() + 1
        started = time.perf_counter()
        if example is not None:
            self.page.locator(".rag-example").nth(example - 1).click()
        else:
            self.box.fill(question or "")
            self.box.press("Enter")
        self.view(turn).wait_for(timeout=WAIT_MS)
        _timings[f"answer_seconds: {example or question}"] = round(time.perf_counter() - started, 2)
        self.settle()
        answer = self.answer(turn)
        assert self.start_in_view(self.users().nth(turn - 1)), "the new question is out of view"
        assert self.start_in_view(answer.locator(".md > *").first), "the start of the answer is out of view"
        return answer

    def settle(self) -> None:
        """Wait until nothing on the page scrolls or grows any more (as after the chat's own scrolling)."""
        self.page.evaluate(SETTLED_JS, 30)

    def start_in_view(self, locator: Any) -> bool:
        return bool(locator.evaluate(START_IN_VIEW_JS))

    def marker(self, turn: int, marker: int) -> Any:
        return self.answer(turn).locator(f'a[href="#{source_anchor(turn, marker)}"]').first

    def source(self, turn: int, marker: int | str) -> Any:
        return self.page.locator(f"#{source_anchor(turn, marker)}")

    def in_view(self, locator: Any) -> bool:
        return bool(locator.evaluate(IN_VIEW_JS))

    def wait_in_view(self, locator: Any) -> None:
        locator.wait_for(timeout=WAIT_MS)
        self.page.wait_for_function(f"(el) => ({IN_VIEW_JS})(el)", arg=locator.element_handle(),
                                    timeout=WAIT_MS)

    def show_from(self, message: Any) -> None:
        """Scroll so that ``message`` starts at the top of the chat (of the page on a phone, where the
        chat grows with the page), for screenshots. A wheel turn first, as a reader would: it also
        ends the app's holding of the newest question in view."""
        message.hover()
        self.page.mouse.wheel(0, -1)
        message.evaluate("""(e) => {
            const log = e.closest('[role=log]');
            const label = 12;  // room left above the message, as the app leaves
            if (getComputedStyle(log).overflowY === 'auto') {
                log.scrollTop += e.getBoundingClientRect().top - log.getBoundingClientRect().top - label;
                window.scrollTo(0, 0);
            } else {
                window.scrollBy(0, e.getBoundingClientRect().top - 8);
            }
        }""")
        self.settle()
        assert self.start_in_view(message)

    def screenshot(self, name: str, readme: str | None = None, *, full_page: bool = True) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.page.screenshot(path=str(path), full_page=full_page)
        if readme and README_SHOTS:
            self.page.screenshot(path=str(ROOT / "docs" / readme), full_page=full_page)
        return path


def _session(browser: Any, app_server: AppServer, *, viewport: dict[str, int] = DESKTOP, query: str = "",
             **options: Any) -> Iterator[Session]:
    context = browser.new_context(viewport=viewport, **options)
    tab = Session(context.new_page(), app_server.url)
    tab.open(query)
    yield tab
    context.close()


@pytest.fixture()
def session(browser, app_server) -> Iterator[Session]:
    yield from _session(browser, app_server, permissions=["clipboard-read", "clipboard-write"])


@pytest.fixture()
def phone(browser, app_server) -> Iterator[Session]:
    yield from _session(browser, app_server, viewport=PHONE, is_mobile=True, has_touch=True,
                        device_scale_factor=2)


# -- answers and their own sources


def test_ask_and_open_a_marker_to_see_its_source(session, app_server):
    expected = app_server.rag.answer(LIBRARIES_QUESTION).citations[0]
    answer = session.ask(LIBRARIES_QUESTION)
    quote = answer.locator("blockquote").first
    assert LIBRARIES_QUOTE in quote.inner_text()
    marker = session.marker(1, 1)
    assert marker.inner_text() == "1"  # shown as [1]: the brackets are drawn around the link
    assert marker.evaluate("e => getComputedStyle(e, '::before').content") == '"["'
    assert expected.label in marker.get_attribute("title")  # its post's name on hover

    card = session.source(1, 1)
    assert not card.is_visible()  # the source view starts closed: the message lists the sources
    page_at = session.page.evaluate("scrollY")
    marker.click()
    session.wait_in_view(card)
    session.settle()
    assert session.start_in_view(card)
    assert session.page.evaluate("scrollY") == page_at  # only the chat scrolled: the page stayed still
    assert session.start_in_view(session.page.locator("#rag-header h1"))
    assert card.locator(".rag-title").inner_text() == expected.label
    assert _same(card.locator(".rag-passage mark").inner_text(), expected.quote)  # the quote, highlighted
    assert len(card.locator(".rag-passage").inner_text()) > len(expected.quote)  # inside their passage
    assert card.locator("a.rag-original").get_attribute("href").startswith(LIBRARIES_URL + "#:~:text=")
    assert session.box.input_value() == ""  # ready for the next one
    session.screenshot("browser-answer.png")
    assert session.dialogs == [] and session.outside == []


def test_a_quote_across_a_paragraph_break_is_shown_once_whole_and_in_order(session, app_server):
    expected = app_server.rag.answer(SCHOOLS_QUESTION)
    assert any("\n\n" in c.quote for c in expected.citations)  # the case this guards
    answer = session.ask(SCHOOLS_QUESTION)
    text = answer.inner_text()
    for c in expected.citations:
        for paragraph in (p.strip() for p in c.quote.split("\n\n") if p.strip()):
            assert text.count(paragraph.split("\n")[0].strip()) == 1  # exactly once
    markers = [int(m) for m in answer.locator("blockquote a").all_inner_texts()]
    assert markers == sorted(markers) == [c.marker for c in expected.citations]
    assert answer.locator("blockquote").count() == len(expected.citations)


def test_answers_grouped_by_post_show_each_post_with_its_quotes(session, app_server):
    expected = app_server.rag.answer(COMPARISON_QUESTION)
    headed = [s for s in expected.sections if s.heading]
    if len(headed) < 2:
        pytest.skip("the answering core does not group this comparison by post")
    answer = session.ask(COMPARISON_QUESTION)
    text = answer.inner_text()
    positions = [text.index(s.heading) for s in headed]
    assert positions == sorted(positions)
    assert answer.locator("blockquote").count() == len(expected.citations)
    session.screenshot("browser-comparison.png")


def test_an_old_answer_keeps_its_own_sources_by_click_hover_and_keyboard(session, app_server):
    first = app_server.rag.answer(LIBRARIES_QUESTION).citations[0]
    second = app_server.rag.answer(EASYCOUNCIL_QUESTION).citations[0]
    assert first.quote != second.quote
    session.ask(LIBRARIES_QUESTION)
    session.ask(EASYCOUNCIL_QUESTION)

    old = session.marker(1, 1)
    assert first.label in old.get_attribute("title")
    old.focus()
    session.page.keyboard.press("Enter")  # by keyboard
    card = session.source(1, 1)
    session.wait_in_view(card)
    assert card.locator(".rag-passage mark").inner_text().split() == first.quote.split()
    assert card.locator(".rag-title").inner_text() == first.label

    session.marker(2, 1).click()
    newer = session.source(2, 1)
    session.wait_in_view(newer)
    assert newer.locator(".rag-passage mark").inner_text().split() == second.quote.split()
    session.page.keyboard.press("Tab")  # the next stop after the source is its link to the original
    focused = session.page.evaluate("document.activeElement.closest('.rag-source')?.id")
    assert focused == source_anchor(2, 1)


def test_links_open_the_original_at_the_quote(session, app_server, tmp_path):
    """The text-fragment link, followed in the browser on a copy of the post served locally,
    scrolls to the quote (a long quote over a paragraph break: textStart,textEnd)."""
    expected = app_server.rag.answer(SCHOOLS_QUESTION).citations[0]
    session.ask(SCHOOLS_QUESTION)
    href = session.source(1, 1).locator("a.rag-original").get_attribute("href")
    url, fragment = href.split("#", 1)
    assert url == expected.url and fragment.startswith(":~:text=")
    parts = [unquote(p) for p in fragment[len(":~:text="):].split(",")]
    assert len(parts) == 2 and expected.quote.startswith(parts[0]) and expected.quote.endswith(parts[1])

    doc = app_server.rag.document(expected.doc_id)
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in doc.text.splitlines() if line.strip())
    spacer = "<div style='height:4000px'></div>"
    (tmp_path / "post.html").write_text(f"<!doctype html><meta charset=utf-8>{spacer}{paragraphs}{spacer}",
                                        encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = session.page.context.new_page()
        page.goto(f"http://127.0.0.1:{server.server_port}/post.html#{fragment}", wait_until="load")
        target = page.locator("p", has_text=parts[0]).first
        page.wait_for_function(f"(el) => ({IN_VIEW_JS})(el)", arg=target.element_handle(), timeout=WAIT_MS)
        assert page.evaluate("scrollY") > 3000
        page.close()
    finally:
        server.shutdown()


def test_a_web_address_inside_a_quote_is_shown_as_written_and_links_to_itself(session, app_server):
    """The councillor's post writes "Herbert Morrison(http://en.wikipedia.org/wiki/Herbert_Morrison)."
    and a Guardian address right before the quote's closing mark: each shows exactly as the post
    has it, and links to the address alone (no escape, bracket or quotation mark taken in)."""
    question = "Who was Hackney's former Mayor?"
    expected = app_server.rag.answer(question)
    wiki = "http://en.wikipedia.org/wiki/Herbert_Morrison"
    assert any(wiki + ")" in c.quote for c in expected.citations)
    answer = session.ask(question)
    quotes = answer.locator("blockquote")
    shown = " ".join(quotes.nth(i).inner_text() for i in range(quotes.count()))
    assert "Herbert Morrison(" + wiki + ")" in shown and "\\" not in shown
    hrefs = [a.get_attribute("href") for a in answer.locator("blockquote a[href^='http']").all()]
    assert wiki in hrefs
    assert all(h.rstrip("/") in " ".join(c.quote for c in expected.citations) for h in hrefs)


def test_the_in_app_reader_shows_the_whole_post_scrolled_to_the_quote(session, app_server):
    expected = app_server.rag.answer(SCHOOLS_QUESTION).citations[0]
    session.ask(SCHOOLS_QUESTION)
    session.marker(1, 1).click()
    card = session.source(1, 1)
    session.wait_in_view(card)
    card.locator("a.rag-read").click()
    reader = card.locator(".rag-reader-text")
    mark = reader.locator("mark")
    session.wait_in_view(mark)
    assert _same(mark.inner_text(), expected.quote)
    whole = app_server.rag.document(expected.doc_id).text
    assert " ".join(reader.inner_text().split()) == " ".join(whole.split())
    assert reader.evaluate("e => e.scrollTop") > 0  # scrolled inside the post to the quote
    session.screenshot("browser-reader.png", "app-reader.png", full_page=False)


def test_no_internal_file_name_or_id_is_shown(session, app_server):
    session.ask(LIBRARIES_QUESTION)
    session.ask(UNANSWERABLE_QUESTION)
    session.ask(SCHOOLS_QUESTION)
    session.ask("What are the perils of mutuals?")
    session.page.evaluate("document.querySelectorAll('#rag-chat details').forEach(d => d.open = true)")
    shown = session.page.evaluate("""() => [document.body.innerText,
        ...[...document.querySelectorAll('[aria-label], [title]')].flatMap(e =>
            [e.getAttribute('aria-label') || '', e.getAttribute('title') || ''])].join('\\n')""")
    ids = app_server.rag.current_index().document_ids()
    assert len(ids) >= 5
    found = [doc_id for doc_id in ids if doc_id in shown]
    assert not found and not re.search(r"\.md\b", shown) and "corpus file" not in shown
    assert "Untitled post" not in shown


# -- refusals, errors, hostile posts


def test_a_refusal_says_so_and_shows_the_closest_passages_under_it(session):
    session.ask(LIBRARIES_QUESTION)
    answer = session.ask(UNANSWERABLE_QUESTION)  # its closest passages run far below the chat's end
    assert "No answer found in the posts." in answer.inner_text()
    assert session.start_in_view(answer.get_by_text("No answer found in the posts."))  # not scrolled away
    assert not session.page.get_by_role("button", name="Scroll down").is_visible()  # nothing over the text
    assert answer.locator("blockquote").count() == 0
    view = session.view(2)
    assert "rag-not-found" in view.get_attribute("class")
    assert "The closest passages" in view.locator("summary").first.inner_text()
    cards = view.locator(".rag-source")
    assert cards.count() >= 1 and cards.first.is_visible()  # open: no click needed
    assert "&#" not in view.inner_text() and "&#" not in answer.inner_text()  # no entity shown raw
    session.screenshot("browser-not-found.png")


def test_an_empty_question_gets_a_friendly_message_by_the_question_box(session):
    notice = session.page.locator("#rag-notice")
    session.page.locator("#rag-ask").click()
    notice.get_by_text("Please type a question first").wait_for(timeout=WAIT_MS)
    assert notice.get_attribute("role") == "status"  # read out by screen readers
    session.ask(UNANSWERABLE_QUESTION)  # the chat's end is now far out of view
    assert not notice.is_visible()  # an asked question clears it
    session.box.fill("   ")
    session.box.press("Enter")
    notice.get_by_text("Please type a question first").wait_for(timeout=WAIT_MS)
    session.settle()
    assert session.start_in_view(notice) and session.users().count() == 1  # seen where the reader types
    assert session.ask(LIBRARIES_QUESTION).is_visible()  # and the app still answers


def test_a_question_over_the_limit_is_refused_with_the_limit_and_kept_in_the_box(session, app_server):
    limit = app_server.rag.settings.max_question_chars
    question = " ".join([SCHOOLS_QUESTION] * (limit // len(SCHOOLS_QUESTION) + 20))  # as pasted
    session.box.fill(question)
    session.box.press("Enter")
    notice = session.page.locator("#rag-notice")
    notice.get_by_text(f"at most {limit:,} characters").wait_for(timeout=WAIT_MS)
    assert f"too long ({len(question):,} characters)" in notice.inner_text()
    assert session.box.input_value() == question  # all of it, to be shortened
    assert session.users().count() == 0  # not asked, and so never cut
    session.settle()
    assert session.start_in_view(notice)


def test_a_hostile_post_is_shown_as_text_and_runs_nothing(session):
    answer = session.ask(XSS_QUESTION)
    text = answer.inner_text()
    assert XSS_SENTENCE_START in text and XSS_IMG in text and XSS_SCRIPT in text  # visible, as text
    assert XSS_URL in text  # its link, as text
    view = session.view(1)
    session.marker(1, 1).click()
    session.wait_in_view(session.source(1, 1))
    assert XSS_TITLE in view.inner_text() and XSS_URL in view.inner_text()
    assert XSS_IMG in view.locator("mark").first.inner_text()
    view.locator("a.rag-read").first.click()
    assert XSS_SCRIPT in view.locator(".rag-reader-text").inner_text()
    assert "&#" not in view.inner_text() and "&#" not in text and "&lt;" not in text

    page = session.page
    page.wait_for_timeout(500)  # give any injected handler the chance to fire (it must not)
    assert page.evaluate("typeof window.__xss") == "undefined"
    hrefs = page.evaluate("""() => Array.from(document.querySelectorAll('a[href]'))
        .map(a => a.getAttribute('href').replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase())""")
    assert hrefs and not [h for h in hrefs if h.startswith(("javascript:", "data:", "vbscript:"))]
    assert page.locator("#rag-chat img, #rag-chat script").count() == 0
    assert session.dialogs == [] and session.outside == []
    session.screenshot("browser-hostile-post.png")


# -- what chat users expect: copy, retry, undo, edit, reload, new conversation


def _copied_text_is_plain(copied: str, expected: Any) -> None:
    """The quotes with their markers, then each post's name, date and link: no Markdown or HTML."""
    assert not re.search(r"\*\*|\\|^> |\]: #|<[a-z/]", copied, re.M), copied
    body, sources = copied.split("\n\nSources:\n")
    posts: dict[int, str] = {}
    for line in sources.split("\n"):
        match = re.fullmatch(r"((?:\[\d+\] )+)(.+)", line)
        assert match, line
        posts.update((int(marker), match.group(2)) for marker in re.findall(r"\d+", match.group(1)))
    for c in expected.citations:
        assert f"“{c.quote.strip()}” [{c.marker}]" in body
        post = posts[c.marker]
        assert post.startswith(c.label) and display_date(c.date) in post and (c.url or "") in post


def test_copy_gives_the_answer_with_its_sources_as_plain_text(session, app_server):
    expected = app_server.rag.answer(SCHOOLS_QUESTION)  # a dated post, a quote over a paragraph break
    answer = session.ask(SCHOOLS_QUESTION)
    answer.hover()
    session.page.get_by_role("button", name="Copy message").nth(1).click()  # the question's comes first
    copied = session.page.evaluate("navigator.clipboard.readText()")
    assert copied == copy_text(expected)
    _copied_text_is_plain(copied, expected)
    session.users().first.hover()
    session.page.get_by_role("button", name="Copy message").first.click()
    copied_is = "async (text) => (await navigator.clipboard.readText()) === text"
    session.page.wait_for_function(copied_is, arg=SCHOOLS_QUESTION, timeout=WAIT_MS)
    session.page.wait_for_function("e => !/\\]: #rag-|&gt;/.test(e.getAttribute('aria-label'))",
                                   arg=answer.element_handle(), timeout=WAIT_MS)
    label = answer.evaluate("e => e.getAttribute('aria-label')")
    assert label.startswith("bot's message: ") and not re.search(r"<[a-z/]", label)  # a readable name
    assert "]: #rag-" not in label and "&gt;" not in label  # the text read, not its Markdown
    assert expected.citations[0].quote.split()[0] in label


def test_copy_without_the_clipboard_api_gives_the_plain_text_too(browser, app_server):
    """Served over plain http to another machine, the page has no Clipboard API: the copy button then
    copies through a text area, which the page hands the same plain text."""
    expected = app_server.rag.answer(COMPARISON_QUESTION)
    context = browser.new_context(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.add_init_script("delete Navigator.prototype.clipboard;")
        tab = Session(page, app_server.url)
        tab.open()
        assert not page.evaluate("'clipboard' in navigator")
        answer = tab.ask(COMPARISON_QUESTION)
        answer.hover()
        page.get_by_role("button", name="Copy message").nth(1).click()
        reader = context.new_page()  # a page with the Clipboard API, to read what was copied
        reader.goto(app_server.url, wait_until="load")
        copied = reader.evaluate("navigator.clipboard.readText()")
        assert copied == copy_text(expected)
        _copied_text_is_plain(copied, expected)
    finally:
        context.close()


def test_retry_asks_again_with_the_current_settings(session):
    session.page.locator("#rag-settings").get_by_text("Settings").first.click()
    session.page.locator("#rag-k input[type=range]").wait_for(timeout=WAIT_MS)  # drawn before it is set
    session.ask(UNANSWERABLE_QUESTION)
    view = session.view(1)
    count = view.locator(".rag-source").count()
    assert count >= 3
    slider = session.page.locator("#rag-k input[type=number]")
    slider.fill("2")
    slider.press("Enter")
    session.page.wait_for_function("() => document.querySelector('#rag-k input[type=range]').value === '2'",
                                   timeout=WAIT_MS)
    session.page.get_by_role("button", name="Retry").click()
    session.page.locator('.rag-sources[data-turn="1"] summary', has_text="(2)").wait_for(timeout=WAIT_MS)
    assert session.users().count() == 1 and session.view(1).locator(".rag-source").count() == 2


def test_undo_takes_back_the_last_question_and_edit_asks_it_differently(session, app_server):
    session.ask(LIBRARIES_QUESTION)
    session.ask(XSS_QUESTION)
    session.page.get_by_role("button", name="Undo").click()
    session.page.wait_for_function(
        "() => document.querySelectorAll('#rag-chat [data-testid=user]').length === 1", timeout=WAIT_MS)
    assert session.box.input_value() == XSS_QUESTION  # back in the box, to change and ask again

    session.users().first.hover()
    session.page.get_by_role("button", name="Edit").first.click()
    editor = session.page.locator("#rag-chat textarea").first
    editor.fill(EASYCOUNCIL_QUESTION)
    session.page.get_by_role("button", name="Submit").click()
    expected = app_server.rag.answer(EASYCOUNCIL_QUESTION).citations[0]
    opening = " ".join(expected.quote.split()[:6])
    new_view = session.view(1).locator("mark", has_text=opening).first  # the new answer's, not the old
    new_view.wait_for(state="attached", timeout=WAIT_MS)
    assert session.users().first.inner_text() == EASYCOUNCIL_QUESTION
    assert expected.quote.split("\n")[0] in session.answer(1).inner_text()
    assert session.users().count() == 1


def test_the_conversation_survives_a_reload_until_a_new_one_is_started(session, app_server):
    first = app_server.rag.answer(LIBRARIES_QUESTION).citations[0]
    session.ask(LIBRARIES_QUESTION)
    session.ask(EASYCOUNCIL_QUESTION)
    assert session.page.evaluate(f"localStorage.getItem('{STORAGE_KEY}')")  # kept in the browser
    session.page.reload(wait_until="load")
    session.view(2).wait_for(timeout=WAIT_MS)
    assert session.users().all_inner_texts() == [LIBRARIES_QUESTION, EASYCOUNCIL_QUESTION]
    session.marker(1, 1).click()  # an old answer's sources still work after the reload
    session.wait_in_view(session.source(1, 1))
    assert session.source(1, 1).locator(".rag-passage mark").inner_text().split() == first.quote.split()

    session.page.locator("#rag-clear").click()
    session.users().first.wait_for(state="detached", timeout=WAIT_MS)
    session.page.reload(wait_until="load")
    session.box.wait_for(timeout=WAIT_MS)
    session.ask(EASYCOUNCIL_QUESTION)  # numbered 1: nothing of the old conversation came back
    assert session.users().count() == 1


# -- layout: desktop fold, phone


def test_examples_are_visible_without_scrolling_on_a_desktop(session):
    examples = session.page.locator(".rag-example")
    examples.first.wait_for(timeout=WAIT_MS)
    assert examples.count() == 4
    assert session.page.evaluate("scrollY") == 0
    for i in range(4):
        box = examples.nth(i).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= DESKTOP["height"], box
    session.screenshot("browser-start.png", full_page=False)
    answer = session.ask(example=1)
    assert LIBRARIES_QUOTE in answer.inner_text()


PLACEHOLDER_FITS_JS = """
(e) => {
  const s = getComputedStyle(e), canvas = document.createElement('canvas').getContext('2d');
  canvas.font = s.font;
  return canvas.measureText(e.placeholder).width
    <= e.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
}
"""


def test_on_a_phone_the_first_view_shows_the_question_box_with_its_whole_placeholder(phone):
    phone.settle()
    for element in (phone.box, phone.page.locator(".rag-example").first):
        box = element.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    assert phone.box.evaluate(PLACEHOLDER_FITS_JS)  # on one line, so no line of it is cut off


def test_on_a_phone_each_answer_shows_its_question_and_start_with_one_scroll_the_pages(phone):
    phone.ask(example=4)  # ask() checks the question and the start of its answer are in view
    phone.ask(UNANSWERABLE_QUESTION)  # typed into the box under the conversation
    log = phone.page.locator("#rag-chat [role=log]")
    assert log.evaluate("e => e.scrollHeight - e.clientHeight") <= 1  # no scroll area inside the page's
    assert phone.page.evaluate("scrollY") > 0


def test_on_a_phone_quotes_take_most_of_the_screens_width(phone):
    answer = phone.ask(example=4)
    quote = answer.locator("blockquote").first.bounding_box()
    assert quote is not None and quote["width"] >= 0.8 * PHONE["width"], quote  # not a column of 5 words
    assert quote["x"] >= 0 and quote["x"] + quote["width"] <= PHONE["width"]
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll


def test_on_a_phone_sources_open_right_under_their_answer(phone, app_server):
    expected = app_server.rag.answer(LIBRARIES_QUESTION).citations[0]
    answer = phone.ask(LIBRARIES_QUESTION)
    view = phone.view(1)
    a, v = answer.bounding_box(), view.bounding_box()
    assert 0 <= v["y"] - (a["y"] + a["height"]) < 80, (a, v)  # right under it: only its buttons between
    assert v["x"] < a["x"] + a["width"] and a["x"] < v["x"] + v["width"]
    phone.marker(1, 1).tap()
    card = phone.source(1, 1)
    phone.wait_in_view(card)
    assert _same(card.locator("mark").first.inner_text(), expected.quote)
    phone.show_from(answer)
    phone.screenshot("browser-phone.png", "app-phone.png", full_page=False)


# -- fonts, themes: contrast and axe-core


def _fonts(session: Session, selector: str) -> list[dict[str, Any]]:
    """The fonts chromium drew an element's text with (DevTools protocol)."""
    cdp = session.page.context.new_cdp_session(session.page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": -1})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        assert node, f"nothing matches {selector}"
        return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()


def test_bold_and_regular_text_are_each_drawn_in_one_font(session):
    """Gradio's theme gives weight 600 a face holding only "A", "B" and a few Cyrillic letters: the "A"
    of "Ask" and the "B" of "Mutual Benefit?" came from it, the other letters from another font."""
    session.ask(SCHOOLS_QUESTION)
    session.marker(1, 1).click()
    session.wait_in_view(session.source(1, 1))
    session.settle()
    for selector in ("#rag-header h1", "#rag-ask", "#rag-header p", "#rag-examples-label",
                     f"#{source_anchor(1, 1)} .rag-title", "#rag-chat .md blockquote p"):
        fonts = _fonts(session, selector)
        assert len(fonts) == 1 and fonts[0]["isCustomFont"], (selector, fonts)
    session.page.locator("#rag-clear").click()
    session.page.locator("#rag-chat .placeholder").wait_for(timeout=WAIT_MS)
    fonts = _fonts(session, "#rag-chat .placeholder strong")  # "Ask about the posts."
    assert len(fonts) == 1 and fonts[0]["isCustomFont"], fonts


def _contrast(session: Session, selector: str) -> list[tuple[str, float]]:
    elements = session.page.locator(selector)
    count = elements.count()
    assert count, f"nothing matches {selector}"
    return [(selector, elements.nth(i).evaluate(CONTRAST_JS)) for i in range(min(count, 4))]


def _prepare(session: Session) -> None:
    """An answer with its source and reader open, a refusal, a dated post and the notice by the
    question box: what themes must cover."""
    session.ask(SCHOOLS_QUESTION)
    session.ask(UNANSWERABLE_QUESTION)
    session.ask(EASYCOUNCIL_QUESTION)
    session.marker(1, 1).click()
    session.wait_in_view(session.source(1, 1))
    session.source(1, 1).locator("a.rag-read").click()
    session.wait_in_view(session.source(1, 1).locator(".rag-reader-text mark"))
    session.page.locator("#rag-ask").click()  # the box is empty
    session.page.locator("#rag-notice .rag-notice").wait_for(timeout=WAIT_MS)


TEXT = ["#rag-chat .md blockquote p", "#rag-chat .md p", "#rag-chat .md a[href^='http']",
        ".rag-sources summary", ".rag-source .rag-title", ".rag-source .rag-date", ".rag-passage",
        ".rag-passage mark", ".rag-reader-text", ".rag-reader-text mark", ".rag-source a",
        ".rag-not-found summary", "#rag-header p", ".rag-notice"]
MARKERS = ["#rag-chat .md a[href^='#rag-']", ".rag-marker"]


@pytest.mark.parametrize("theme", ["light", "dark", "dark-by-url"])
def test_text_and_markers_meet_wcag_aa_contrast(browser, app_server, theme):
    scheme = "light" if theme != "dark" else "dark"
    query = "?__theme=dark" if theme == "dark-by-url" else ""
    for session in _session(browser, app_server, color_scheme=scheme, query=query):
        assert session.page.evaluate("document.body.classList.contains('dark')") == (theme != "light")
        _prepare(session)
        ratios = [r for s in TEXT for r in _contrast(session, s)]
        low = [(s, round(r, 2)) for s, r in ratios if r < 4.5]
        assert not low, low
        low = [(s, round(r, 2)) for selector in MARKERS for s, r in _contrast(session, selector) if r < 3]
        assert not low, low
        if theme != "dark-by-url":  # the README's pictures: an answer grouped by post, as it arrives
            session.ask(EXAMPLE_QUESTIONS[3])  # typed: clicking the example would scroll the page to it
            session.page.mouse.move(0, 0)  # nothing hovered
            session.screenshot(f"browser-{theme}.png", f"app-{theme}.png", full_page=False)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_or_critical_violations(browser, app_server, scheme):
    from axe_playwright_python.sync_playwright import Axe

    for session in _session(browser, app_server, color_scheme=scheme):
        empty = Axe().run(session.page).response["violations"]
        _prepare(session)
        session.page.locator("#rag-settings").get_by_text("Settings").first.click()
        session.page.locator("#rag-backend-note").wait_for(timeout=WAIT_MS)
        answered = Axe().run(session.page).response["violations"]
        bad = [(v["id"], v["impact"], [(n["target"], n["html"][:200], n.get("failureSummary", "")[:300])
                                       for n in v["nodes"]][:3]) for v in empty + answered
               if v["impact"] in ("serious", "critical")]
        assert not bad, bad


# -- settings and backends


def test_settings_list_usable_backends_and_say_what_the_others_need(session):
    session.page.locator("#rag-settings").get_by_text("Settings").first.click()
    status = session.page.locator("#rag-status")
    status.wait_for(timeout=WAIT_MS)
    assert "6 posts" in status.inner_text() and "chunks" in status.inner_text()
    field = session.page.locator("#rag-backend input")
    assert field.input_value() == "extractive"
    field.click()
    options = [o.replace("✓", "").strip() for o in session.page.get_by_role("option").all_inner_texts()]
    assert "extractive" in options and "openai" not in options
    note = session.page.locator("#rag-backend-note").inner_text()
    assert "openai" in note and "set OPENAI_BASE_URL or RAG_LLM_BASE_URL and RAG_LLM_MODEL" in note


def test_a_generative_backend_chosen_in_settings_streams_and_cites(session):
    from rag.answering import available_backends

    if "echo" not in available_backends():
        pytest.skip("the test plugin backend 'echo' (tests/plugins/rag_echo_backend) is not installed")
    session.page.locator("#rag-settings").get_by_text("Settings").first.click()
    session.page.locator("#rag-backend input").click()
    session.page.get_by_role("option", name="echo", exact=True).click()
    session.page.wait_for_function("() => document.querySelector('#rag-backend input').value === 'echo'",
                                   timeout=WAIT_MS)
    answer = session.ask(LIBRARIES_QUESTION)
    assert answer.locator("p").first.inner_text().startswith("Echo: ")  # the backend's own prose
    opening = "Local libraries and swimming pools should"
    session.marker(1, 1).click()
    session.wait_in_view(session.source(1, 1))
    assert opening in session.source(1, 1).locator("mark").first.inner_text()  # the verified quotation
