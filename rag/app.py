"""The chat app in the browser: a thin Gradio layer over ``rag.pipeline.RAG``.

All answering happens in the core; this module renders an ``Answer`` from its structure (lead,
sections, citations, passages; never by parsing its text) and wires the events. Each answer is
two chat messages:

- the answer, as Markdown: the lead, the quotes with their [n] markers (under each post's name
  when the answer is grouped by post) and a sources list. Screen readers are given its source as
  the message's name, so it stays close to plain text; the markers are Markdown reference links to
  the answer's source view (their brackets are drawn by CSS, as a reference link shows only its
  label).
- the answer's source view, as HTML right under it: each quote inside its passage, highlighted,
  with the post's name, date, a link that opens the original page at the quote (a URL text
  fragment) and the whole post with the quote highlighted. A marker's link targets its source;
  following a link to an element inside a closed ``<details>`` opens it and scrolls to it, so every
  answer keeps its own sources. The view also carries the answer as plain text (``copy_text``),
  which the chat's copy button copies instead of the Markdown.

The messages carry no script. One small page script (``PAGE_JS``) follows the in-app links itself
(Gradio's ``<base>`` element would otherwise send them to another page when the address has a
query), scrolling only the chat and the boxes in it, never the page, unless the chat grows with
the page (on a phone); shows each new question at the top of the chat with the start of its
answer under it (the chat's own scrolling to the end is off, as it hid the start of long answers);
and gives the copy button the plain text.

Everything from the corpus (titles, dates, urls, quotes, passages) is untrusted: it is escaped for
Markdown or HTML wherever it is shown, and only http(s) urls become links, so a post holding
``<script>`` or ``<img onerror=...>`` shows as text and runs nothing. The conversation (questions
and structured answers) is kept in the browser's storage, so it survives a reload.

Gradio is imported inside the functions, so importing this module (and ``rag serve`` before it
starts the server) stays cheap.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote as percent_encode

from rag.errors import EmptyQuestionError, QuestionError, RagError
from rag.labels import post_label
from rag.types import Answer, AnswerSection, Citation, Document, IndexStatus, Passage

if TYPE_CHECKING:
    import gradio as gr

    from rag.pipeline import RAG

log = logging.getLogger(__name__)

EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "Who should control local libraries and swimming pools?",
    "Why are some councillors sceptical about mutualisation?",
    "Summarise the Left Foot Forward article.",
    "How did George Osborne's view of mutuals compare with Francis Maude's?",
)
"""A fact, a reason, a summary and a comparison: the kinds of question the app answers."""
EMPTY_QUESTION = ("Please type a question first, for example “Who should control local libraries and "
                  "swimming pools?”")
CHAT_PLACEHOLDER = ("**Ask about the posts.** Answers quote the posts word for word; each [n] marker "
                    "opens its source.")
GENERIC_ERROR = "Something went wrong while answering. Please try again; the details are in the server log."
SEARCHING = "Searching the posts…"
NOT_FOUND = "No answer found in the posts."
REFUSAL_LEAD = "The posts don't seem to answer this question."
UNVERIFIED = "Not found word for word in the posts, so not cited:"
HISTORY_TURNS = 10  # the core reads follow-ups against the previous question; older turns add nothing
MAX_TURNS = 200  # a stored conversation longer than this keeps its latest turns
MAX_K = 20
CONCURRENCY = 4  # answers run at once; more requests wait in the queue (2 CPU cores is the usual box)
CONTEXT_CHARS = 320  # post text shown around a quote when no retrieved passage holds it
FRAGMENT_WORDS = 6  # words of a long quote's start and end in a text-fragment link
STORAGE_KEY = "rag-conversation"

_HTTP_URL = re.compile(r"https?://[^\s\"'<>`\\\x00-\x1f\x7f]+", re.IGNORECASE)
_PLAIN_URL = re.compile(r"https?://[\w\-.~:/?#@!$&'+,;=%]+", re.IGNORECASE)  # safe as a bare autolink
_TEXT_URL = re.compile(r"https?://[\w\-.~:/?#@!$&'()*+,;=%]+", re.IGNORECASE)  # an address in running text
_MARKER = re.compile(r"\[(\d+)\]")
_PARAGRAPHS = re.compile(r"\n[ \t]*\n")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Markdown: characters that start inline syntax anywhere, and constructs that only count at a line start
_MD_ANYWHERE = re.compile(r"[\\`*_\[\]<|~]")
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MD_EMAIL = re.compile(r"(?<=[\w.+-])@")
_MD_SCHEME = re.compile(r"\b(?:ftp|mailto|xmpp)(?=:)", re.IGNORECASE)  # autolinked, and not http(s)
_MD_LINE_START = re.compile(r"^(?:([#>+=-])|(\d+)([.)]))")
_MD_AUTOLINK = re.compile(r"<(https?://[^<>\s]+)>", re.IGNORECASE)
_MD_UNESCAPE = re.compile(r"\\([\\`*_\[\]<|~&@:#>+=.)-])")

CSS = """
:root { --rag-accent: #0f5e57; --rag-mark-bg: #fde68a; --rag-mark-fg: #1c1917; --rag-quote-bg: #f0fdfa;
  --rag-quote-fg: #1f2937; --rag-warn: #92400e; --rag-border: #99c9c3; --rag-soft-fg: #374151; }
.dark { --rag-accent: #5eead4; --rag-mark-bg: #854d0e; --rag-mark-fg: #fefce8; --rag-quote-bg: #13302d;
  --rag-quote-fg: #f3f4f6; --rag-warn: #fcd34d; --rag-border: #2f6f68; --rag-soft-fg: #d1d5db; }
/* Gradio's own "processing | 0.0s" timer, when any event shows it: readable in both schemes (WCAG AA) */
.progress-text, .meta-text { color: var(--rag-soft-fg) !important; }
@font-face { font-family: "Rag Sans"; font-style: normal; font-weight: 100 500;
  src: url("static/fonts/SourceSansPro/SourceSansPro-Regular.woff2") format("woff2"); }
@font-face { font-family: "Rag Sans"; font-style: normal; font-weight: 600 900;
  src: url("static/fonts/SourceSansPro/SourceSansPro-Bold.woff2") format("woff2"); }
@font-face { font-family: "Rag Mono"; font-style: normal; font-weight: 100 500;
  src: url("static/fonts/IBMPlexMono/IBMPlexMono-Regular.woff2") format("woff2"); }
@font-face { font-family: "Rag Mono"; font-style: normal; font-weight: 600 900;
  src: url("static/fonts/IBMPlexMono/IBMPlexMono-Bold.woff2") format("woff2"); }
:root, :root.dark, :root .dark { --font: "Rag Sans", ui-sans-serif, system-ui, sans-serif;
  --font-mono: "Rag Mono", ui-monospace, Consolas, monospace; }
#rag-header h1 { margin: 0 0 0.2em; font-size: 1.6em; font-weight: 600; }
#rag-header p { margin: 0; color: var(--rag-soft-fg); }
#rag-chat .message blockquote { margin: 0.4em 0; padding: 0.35em 0.8em;
  border-left: 4px solid var(--rag-accent); background: var(--rag-quote-bg); color: var(--rag-quote-fg);
  font-style: normal; }
#rag-chat .message blockquote p { color: var(--rag-quote-fg); }
#rag-chat .md a[href^="#rag-"], .rag-marker { color: var(--rag-accent); font-weight: 600; white-space: nowrap;
  text-decoration: none; }
#rag-chat .md a[href^="#rag-"]::before { content: "["; }
#rag-chat .md a[href^="#rag-"]::after { content: "]"; }
#rag-chat .md a[href^="#rag-"]:hover, #rag-chat .md a[href^="#rag-"]:focus-visible {
  text-decoration: underline; }
#rag-chat .scroll-down-button-container { display: none; }
/* the chat's name sits in its own row above the messages, not floating over them as they scroll */
#rag-chat label[data-testid="block-label"] { position: static; flex: none; }
#rag-ask { --button-primary-background-fill: #b4400b; --button-primary-background-fill-hover: #9a3412;
  --button-primary-border-color: #b4400b; --button-primary-text-color: #ffffff; }
#rag-chat a:focus-visible, #rag-chat summary:focus-visible, .rag-reader-text:focus-visible,
.rag-source:focus-visible, .rag-reader-text mark:focus-visible {
  outline: 3px solid var(--rag-accent); outline-offset: 2px; }
.rag-sources { font-size: 0.95em; line-height: 1.5; color: var(--body-text-color); }
.rag-sources > details > summary { cursor: pointer; font-weight: 600; color: var(--rag-accent); }
.rag-sources.rag-not-found > details { border: 2px dashed var(--rag-warn); border-radius: 8px;
  padding: 0.4em 0.7em; }
.rag-sources.rag-not-found > details > summary { color: var(--rag-warn); }
.rag-source { border: 1px solid var(--rag-border); border-radius: 8px; padding: 0.5em 0.8em;
  margin: 0.6em 0; }
.rag-source-head { margin: 0 0 0.3em; font-weight: 600; }
.rag-date { font-weight: 400; }
.rag-passage { margin: 0.3em 0; padding: 0.3em 0.7em; border-left: 4px solid var(--rag-border);
  white-space: pre-line; }
.rag-sources mark { background: var(--rag-mark-bg); color: var(--rag-mark-fg); padding: 0 0.1em; }
.rag-source-links { margin: 0.3em 0; display: flex; flex-wrap: wrap; gap: 0.3em 1.2em; }
.rag-sources a { color: var(--rag-accent); text-decoration: underline; }
.rag-reader > summary { cursor: pointer; }
.rag-reader-text { white-space: pre-line; max-height: min(24em, 60vh); overflow-y: auto; padding: 0.4em 0.7em;
  border: 1px solid var(--rag-border); border-radius: 6px; margin-top: 0.3em; }
.rag-url { word-break: break-all; }
#rag-notice:not(:has(.rag-notice)) { display: none; }
.rag-notice { margin: 0; padding: 0.1em 0.2em; color: var(--rag-warn); font-weight: 600; }
#rag-backend-note { font-size: 0.9em; color: var(--rag-soft-fg); }
#rag-backend-note .rag-unusable { color: var(--rag-soft-fg); }
.rag-status { font-size: 0.85em; color: var(--rag-soft-fg); }
footer a, footer button, footer .show-api { color: var(--body-text-color) !important; }
#rag-k .min_value, #rag-k .max_value { color: var(--body-text-color); }
#rag-examples-label { margin: 0; color: var(--rag-soft-fg); }
@media (max-width: 640px) {
  #rag-chat { height: auto !important; max-height: none !important; overflow: visible !important; }
  #rag-chat > .wrapper, #rag-chat [role=log] { height: auto !important; max-height: none !important;
    overflow: visible !important; }
  #rag-chat .placeholder-content { padding: 1.6em 0.4em 0.4em; }
  #rag-question { padding: 6px; }
  #rag-ask { flex: 0 0 4.5em !important; min-width: 0 !important; }
  .rag-reader-text { max-height: none; overflow: visible; }
  /* a phone's width goes to the quotes: the chat's side margins shrink (the page's: PAGE_HEAD) */
  #rag-chat .message-row { margin-left: 4px !important; margin-right: 4px !important;
    max-width: calc(100% - 8px) !important; }
  #rag-chat .message-row.bot-row .message { width: 100%; }
  #rag-chat .message-content blockquote { padding-left: 8px !important; padding-right: 8px !important; }
}
"""
"""The app's styles. Gradio's theme gives font weight 600 a subset of Source Sans Pro that holds only
"A", "B" and some Cyrillic letters, so bold text mixed two fonts: "Rag Sans" uses the complete
faces Gradio ships (600 drawn with the bold face). On a narrow screen the chat is not a scroll area
of its own but grows with the page, so there is one scroll, the page's, and the question box leaves
its placeholder room for one line. Gradio's scroll-down arrow is hidden: it covered the text of the
source view, and the app shows each new answer from its start."""

PAGE_HEAD = """<style>
@media (max-width: 640px) {
  .gradio-container .main.fillable.app { padding-left: 8px; padding-right: 8px; }
}
</style>"""
"""Styles for the page around the app, which ``CSS`` cannot reach: Gradio scopes custom CSS to the
elements inside its ``.contain`` box, and the 32 px side padding of a phone's page sits outside it."""

PAGE_JS = """
() => {
  const LABEL = 12;  // room left above a message scrolled to the top of the chat
  const EDGE = 8;    // room left above a question or source the page itself is scrolled to
  const log = () => document.querySelector("#rag-chat [role=log]");
  const scroller = (el) => /(auto|scroll)/.test(getComputedStyle(el).overflowY);

  // Bring a target into view by scrolling only what holds it: a box in the chat, then the chat.
  // The page moves only when the chat does not scroll itself (on a phone it grows with the page).
  const bring = (target, where) => {
    const offset = (r, top, height) =>
      where === "center" ? r.top + r.height / 2 - (top + height / 2) : r.top - top;
    for (let node = target.parentElement; node && node !== document.body; node = node.parentElement) {
      if (!scroller(node)) continue;
      const box = node.getBoundingClientRect(), chat = node.matches("[role=log]");
      const top = box.top + (chat ? LABEL : 0);
      node.scrollTop += offset(target.getBoundingClientRect(), top, box.bottom - top);
      if (chat) return;
    }
    window.scrollBy(0, offset(target.getBoundingClientRect(), EDGE, innerHeight - EDGE));
  };

  // Gradio names each answer by its raw Markdown ("&gt;", "[1]: #rag-6-1 ..." link lines), which a
  // screen reader would read out: name it by the text the reader sees instead.
  let naming = 0;
  const rename = () => {
    naming = 0;
    for (const el of document.querySelectorAll(`#rag-chat [aria-label^="bot's message: "]`)) {
      const label = el.getAttribute("aria-label");
      const name = "bot's message: " + el.innerText.replace(/\\s+/g, " ").trim();
      if (label === name) continue;
      if (label !== el.dataset.ragName) el.dataset.ragLabel = label;  // Gradio's: the copy button's key
      el.dataset.ragName = name;
      el.setAttribute("aria-label", name);
    }
  };
  new MutationObserver(() => { naming = naming || requestAnimationFrame(rename); })
    .observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true, attributeFilter: ["aria-label"]});

  // In-app source links (#rag-...) point into the same page. Gradio's page sets <base href="./">, so
  // when the address has a query (?__theme=dark) such a link would load another page: follow it here,
  // opening the disclosures around its target and moving the focus there.
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[href^="#rag-"]') : null;
    const plain = event.button === 0 && !(event.metaKey || event.ctrlKey || event.shiftKey || event.altKey);
    if (!link || !plain) return;
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    for (let d = target.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
    bring(target, target.tagName === "MARK" ? "center" : "start");
    target.focus({preventScroll: true});
  });

  // A new question (asked, retried, edited, or the last one after a reload) is shown at the top of the
  // chat, its answer under it, and held there as the answer arrives, until the reader scrolls, clicks
  // or types. When its answer arrives it is shown again from its start.
  let seen = "", holding = false, queued = false, sized = null;
  const messages = () =>
    [...document.querySelectorAll("#rag-chat [data-testid=user], #rag-chat [data-testid=bot]")];
  const latest = () => {
    const all = messages(), users = all.filter((m) => m.dataset.testid === "user");
    const question = users[users.length - 1];
    if (!question) return [null, ""];
    const after = all.length - all.indexOf(question) - 1;
    return [question, `${users.length}|${after}|${question.getAttribute("aria-label")}`];
  };
  const show = (question) => {
    const chat = log();
    if (chat && scroller(chat)) {
      chat.scrollTop += question.getBoundingClientRect().top - chat.getBoundingClientRect().top - LABEL;
      const r = question.getBoundingClientRect();
      if (r.top >= 0 && r.bottom <= innerHeight) return;
    }
    window.scrollBy(0, question.getBoundingClientRect().top - EDGE);
  };
  const resize = new ResizeObserver(() => schedule());
  const update = () => {
    queued = false;
    const content = log()?.firstElementChild ?? null;
    if (content !== sized) {
      if (sized) resize.unobserve(sized);
      if (content) resize.observe(content);
      sized = content;
    }
    const notice = document.getElementById("rag-notice");
    if (notice && !notice.hasAttribute("role")) notice.setAttribute("role", "status");
    const [question, key] = latest();
    if (key !== seen) {
      seen = key;
      holding = question !== null;
    }
    if (holding && question) show(question);
  };
  const schedule = () => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(update);
    }
  };
  new MutationObserver(schedule).observe(document.body, {childList: true, subtree: true});
  for (const name of ["wheel", "touchstart", "pointerdown", "keydown"]) {
    document.addEventListener(name, () => { holding = false; }, {capture: true, passive: true});
  }
  schedule();

  // The chat's copy button copies a message's Markdown source; give the clipboard the plain text
  // instead: an answer's from its source view, any other message's as shown.
  const plainText = (source) => {
    const all = messages();
    for (let i = all.length - 1; i >= 0; i--) {
      const label = all[i].dataset.ragLabel || all[i].getAttribute("aria-label") || "";
      if (!label.endsWith("'s message: " + source)) continue;
      const view = all[i + 1]?.querySelector(".rag-sources[data-copy]");
      return view ? view.dataset.copy : all[i].innerText.trim();
    }
    return null;
  };
  if (navigator.clipboard) {
    const write = navigator.clipboard.writeText.bind(navigator.clipboard);
    navigator.clipboard.writeText = (text) => write(plainText(text) ?? text);
  }
  document.addEventListener("copy", (event) => {  // without the Clipboard API (not https): a textarea
    const field = event.target;
    const text = field instanceof HTMLTextAreaElement && field.parentElement === document.body
      ? plainText(field.value) : null;
    if (text === null) return;
    event.clipboardData.setData("text/plain", text);
    event.preventDefault();
  });
}
"""

# -- text: Markdown for the answer message (what is copied), HTML for the source view


def _escape_line_start(match: re.Match[str]) -> str:
    if match.group(1):
        return "\\" + match.group(1)
    return match.group(2) + "\\" + match.group(3)


def _md_plain(text: str) -> str:
    text = _MD_ANYWHERE.sub(lambda m: "\\" + m.group(), text)
    text = _MD_ENTITY.sub(r"\\&", text)
    text = _MD_EMAIL.sub(r"\\@", text)
    return _MD_SCHEME.sub(lambda m: m.group() + "\\", text)


def url_in_text(candidate: str) -> str:
    """A web address as written in running text, without the punctuation after it that belongs to
    the sentence: trailing ``.,:;!?'*_~``, and a ``)`` it does not open (GitHub Flavored Markdown's
    rule for autolinks, https://github.github.com/gfm/#autolinks-extension-)."""
    url = candidate
    while True:
        trimmed = url.rstrip(".,:;!?'*_~")
        while trimmed.endswith(")") and trimmed.count(")") > trimmed.count("("):
            trimmed = trimmed[:-1]
        if trimmed == url:
            return url
        url = trimmed


def md(text: Any) -> str:
    """Text shown through the chat's Markdown as exactly the characters it holds.

    Backslash escapes (which Markdown removes) rather than entities, so that the message's source,
    which the copy button copies and screen readers read, stays plain text. An http(s) address is
    written as an explicit autolink (``<https://...>``), ended where the address ends: a bare one
    would show the escapes inside it and take in the quotation mark after it. Leading spaces are
    dropped (they would make code blocks); the rendered text differs from the input only in spacing."""
    lines = []
    for line in ("" if text is None else str(text)).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line, parts, at = line.strip(), [], 0
        for match in _TEXT_URL.finditer(line):
            if match.start() < at:
                continue
            url = url_in_text(match.group())
            if len(url) <= len("https://") or (match.start() and line[match.start() - 1].isalnum()):
                continue
            parts += [_md_plain(line[at:match.start()]), f"<{url}>"]
            at = match.start() + len(url)
        parts.append(_md_plain(line[at:]))
        lines.append(_MD_LINE_START.sub(_escape_line_start, "".join(parts)))
    return "\n".join(lines)


def md_unescape(text: str) -> str:
    """Undo ``md``'s escapes, for a question the reader edited in the chat (its box shows the source)."""
    return _MD_UNESCAPE.sub(r"\1", _MD_AUTOLINK.sub(r"\1", text))


def esc(text: Any) -> str:
    """Corpus text made inert in HTML."""
    return html.escape("" if text is None else str(text), quote=True)


def is_http_url(url: str | None) -> bool:
    return bool(url) and _HTTP_URL.fullmatch(url or "") is not None


def display_date(date: str | None) -> str:
    """A post's date for people ("4 June 2010"); a date the post states in another form, as stated."""
    text = (date or "").strip()
    if _ISO_DATE.fullmatch(text):
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            return text
        return f"{day.day} {day:%B %Y}"
    return text


def _encode_directive(text: str) -> str:
    """Percent-encoding for a text directive: everything but unreserved characters, and also ``-``."""
    return percent_encode(text, safe="").replace("-", "%2D")


def text_directive(quote: str, words: int = FRAGMENT_WORDS) -> str:
    """The ``text=`` directive finding ``quote`` on its page (WICG URL Fragment Text Directives).

    A short quote on one line is given whole. A longer one, or one running over a line break (a
    single ``textStart`` cannot cross a block boundary), is given as ``textStart,textEnd``: its first
    words on its first line and its last words on its last line."""
    lines = [line.split() for line in quote.splitlines() if line.split()]
    if not lines:
        return ""
    if len(lines) == 1 and len(lines[0]) <= 2 * words:
        return "text=" + _encode_directive(" ".join(lines[0]))
    start, end = lines[0][:words], lines[-1][-words:]
    return f"text={_encode_directive(' '.join(start))},{_encode_directive(' '.join(end))}"


def fragment_link(url: str, quote: str) -> str:
    """``url`` extended to open scrolled to ``quote`` (kept as is when the quote has no words)."""
    directive = text_directive(quote)
    if not directive:
        return url
    return f"{url}{':~:' if '#' in url else '#:~:'}{directive}"


# -- the answer message (Markdown)


def _name(label: str | None, title: str | None, url: str | None,
          doc: Document | None = None) -> str:
    """A post's name: its label, else the document's, else one made from what is known (never a file)."""
    if label:
        return label
    if doc is not None:
        return doc.label
    return post_label(title, url, None)


def _by_post(citations: Sequence[Citation]) -> list[list[Citation]]:
    """The citations of each quoted post, in order of first citation."""
    posts: dict[str, list[Citation]] = {}
    for c in citations:
        posts.setdefault(c.doc_id, []).append(c)
    return list(posts.values())


def _source_lines(citations: Sequence[Citation]) -> list[str]:
    """One line per quoted post, in order of first citation: its markers, name, date and link."""
    return [_source_line(cs) for cs in _by_post(citations)]


def _source_line(citations: Sequence[Citation]) -> str:
    c = citations[0]
    markers = " ".join(f"[{x.marker}]" for x in citations)
    parts = [f"{markers} {md(_name(c.label, c.title, c.url))}"]
    if c.date:
        parts.append(md(display_date(c.date)))
    if c.url and _PLAIN_URL.fullmatch(c.url):
        parts.append(c.url)  # a bare autolink: plain text when copied
    elif c.url and is_http_url(c.url):
        parts.append(f"<{c.url}>")
    elif c.url:
        parts.append(md(c.url))  # shown, never a link
    return " · ".join(parts)


def _definition(c: Citation, turn: int) -> str:
    """The reference that makes every [n] marker a link to its source; its title shows on hover."""
    title = _name(c.label, c.title, c.url) + (f", {display_date(c.date)}" if c.date else "")
    title = " ".join(title.split()).replace("\\", "\\\\").replace('"', '\\"')
    return f'[{c.marker}]: #{source_anchor(turn, c.marker)} "{title}"'


def _quote_block(c: Citation) -> str:
    paragraphs = [p for p in _PARAGRAPHS.split(c.quote.strip()) if p.strip()] or [""]
    paragraphs[0] = "“" + paragraphs[0]
    paragraphs[-1] = paragraphs[-1] + "”"
    body = "\n>\n".join("\n".join(f"> {line}" for line in md(p).split("\n")) for p in paragraphs)
    return f"{body} [{c.marker}]"


def _prose(text: str, markers: set[int]) -> list[str]:
    """A generated answer's prose as escaped paragraphs whose [n] markers of real citations are links.

    Real markers become placeholders the escaping leaves alone, so the prose is escaped whole."""
    def hold(match: re.Match[str]) -> str:
        return f"\x00{match.group(1)}\x00" if int(match.group(1)) in markers else match.group()

    paragraphs = []
    for paragraph in _PARAGRAPHS.split(text.replace("\x00", "").strip()):
        escaped = re.sub(r"\x00(\d+)\x00", r"[\1]", md(_MARKER.sub(hold, paragraph)))
        if escaped.strip():
            paragraphs.append(escaped)
    return paragraphs


def _sections(answer: Answer) -> list[AnswerSection]:
    """The answer's sections, plus one for any citation no section shows (none is ever dropped)."""
    sections = list(answer.sections)
    shown = {m for s in sections for m in s.markers}
    rest = tuple(c.marker for c in answer.citations if c.marker not in shown)
    if rest:
        sections.append(AnswerSection(rest))
    return sections


def answer_markdown(answer: Answer, turn: int) -> str:
    """The answer message: plain text in Markdown, rendered from the answer's structure.

    A quote appears once, whole, in its section, whatever paragraph breaks it holds."""
    blocks: list[str] = []
    if answer.notice:
        blocks.append(f"ℹ️ {md(answer.notice)}")
    if not answer.found:
        blocks.append(f"**{NOT_FOUND}** {md(answer.lead or REFUSAL_LEAD)}")
        if answer.missing and not answer.lead:
            blocks.append("Not in the posts: " + ", ".join(md(m) for m in answer.missing) + ".")
        if answer.passages:
            blocks.append("The closest passages are shown below.")
    else:
        if answer.lead:
            blocks.append(md(answer.lead))
        if answer.sections:
            by_marker = {c.marker: c for c in answer.citations}
            for section in _sections(answer):
                if section.heading:
                    date = display_date(section.date)
                    blocks.append(f"**{md(section.heading)}**" + (f" · {md(date)}" if date else ""))
                blocks.extend(_quote_block(by_marker[m]) for m in section.markers if m in by_marker)
        else:
            blocks.extend(_prose(answer.text, {c.marker for c in answer.citations}))
    if answer.unverified:
        blocks.append(f"⚠️ {UNVERIFIED}\n" + "\n".join(f"“{md(q)}” (unverified)" for q in answer.unverified))
    if answer.found and answer.citations:
        blocks.append("Sources:\n" + "\n".join(_source_lines(answer.citations)))
        blocks.append("\n".join(_definition(c, turn) for c in answer.citations))
    return "\n\n".join(blocks)


def _plain_post(name: str, date: str | None, url: str | None) -> str:
    return " · ".join(part for part in (name, display_date(date), url or "") if part)


def copy_text(answer: Answer) -> str:
    """The answer as plain text, for the chat's copy button: what its message shows, without Markdown.

    The quotes word for word with their [n] markers, then "Sources:", one line per post with its
    markers, name, date and link; for a refusal, what the posts lack and the closest passages' posts."""
    blocks: list[str] = []
    if answer.notice:
        blocks.append(answer.notice)
    if not answer.found:
        blocks.append(f"{NOT_FOUND} {answer.lead or REFUSAL_LEAD}")
        if answer.missing and not answer.lead:
            blocks.append("Not in the posts: " + ", ".join(answer.missing) + ".")
        posts: dict[str, Passage] = {}
        for passage in answer.passages:  # each post once
            posts.setdefault(passage.doc_id, passage)
        if posts:
            blocks.append("Closest passages:\n" + "\n".join(
                _plain_post(_name(p.label, p.title, p.url), p.date, p.url) for p in posts.values()))
    elif answer.sections:
        by_marker = {c.marker: c for c in answer.citations}
        if answer.lead:
            blocks.append(answer.lead)
        for section in _sections(answer):
            if section.heading:
                blocks.append(_plain_post(section.heading, section.date, None))
            blocks.extend(f"“{by_marker[m].quote.strip()}” [{m}]" for m in section.markers if m in by_marker)
    else:
        blocks.append(answer.text.strip())
    if answer.unverified:
        blocks.append(f"{UNVERIFIED}\n" + "\n".join(f"“{q}” (unverified)" for q in answer.unverified))
    if answer.found and answer.citations:
        lines = [" ".join(f"[{c.marker}]" for c in cs) + " "
                 + _plain_post(_name(cs[0].label, cs[0].title, cs[0].url), cs[0].date, cs[0].url)
                 for cs in _by_post(answer.citations)]
        blocks.append("Sources:\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def notice_html(text: str) -> str:
    """The notice by the question box: why a question was not asked (empty when there is none)."""
    return f'<p class="rag-notice">{esc(text)}</p>' if text else ""


def status_markdown(text: str) -> str:
    """A short message in the chat: a hint, progress, or an error (then starting with ⚠️)."""
    return f"*{md(text)}*"


def error_markdown(text: str) -> str:
    return f"⚠️ {md(text)}"


def streaming_markdown(text: str) -> str:
    """Text pieces of a generative answer as they arrive (checked and cited once complete)."""
    return f"{md(text)} …"


# -- the source view (HTML)


def source_anchor(turn: int, marker: int | str) -> str:
    """The id of an answer's source: unique in the conversation, stable across reloads."""
    return f"rag-{turn}-{marker}"


def _around(text: str, start: int, end: int) -> str:
    """``text`` with [start, end) highlighted, cut at word boundaries to CONTEXT_CHARS either side."""
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    if lo > 0:
        gap = re.search(r"\s", text[lo:start])
        lo = lo + gap.end() if gap else lo
    if hi < len(text):
        gaps = [m.start() for m in re.finditer(r"\s", text[end:hi])]
        hi = end + gaps[-1] if gaps else hi
    return (("… " if lo > 0 else "") + esc(text[lo:start]) + f"<mark>{esc(text[start:end])}</mark>"
            + esc(text[end:hi]) + (" …" if hi < len(text) else ""))


def _document(document: Callable[[str], Document] | None, doc_id: str) -> Document | None:
    if document is None:
        return None
    try:
        return document(doc_id)
    except (KeyError, RagError):
        return None


def _context(citation: Citation, passages: Sequence[Passage], doc: Document | None) -> str:
    """The quote highlighted inside the passage that holds it (or the post text around it)."""
    for p in passages:
        if (p.doc_id == citation.doc_id and p.start <= citation.start and citation.end <= p.end
                and p.text[citation.start - p.start:citation.end - p.start] == citation.quote):
            return _around(p.text, citation.start - p.start, citation.end - p.start)
    if doc is not None and doc.text[citation.start:citation.end] == citation.quote:
        return _around(doc.text, citation.start, citation.end)
    return f"<mark>{esc(citation.quote)}</mark>"


def _reader(doc: Document | None, start: int, end: int, span: str, anchor: str, name: str) -> tuple[str, str]:
    """The whole post with [start, end) highlighted (its mark is ``anchor``-quote), and a link to it."""
    if doc is None or doc.text[start:end] != span or not span:
        return "", ""
    mark = f"{anchor}-quote"
    body = (f"{esc(doc.text[:start])}<mark id=\"{mark}\" tabindex=\"-1\">{esc(doc.text[start:end])}</mark>"
            f"{esc(doc.text[end:])}")
    reader = (f'<details class="rag-reader"><summary>The whole post</summary>'
              f'<div class="rag-reader-text" tabindex="0" role="region" '
              f'aria-label="The whole post: {esc(name)}">{body}</div></details>')
    return f'<a class="rag-read" href="#{mark}">Read the whole post here</a>', reader


def _card(*, anchor: str, head: str, name: str, date: str | None, url: str | None, shown: str, span: str,
          start: int, end: int, doc: Document | None, opens: str) -> str:
    """One source: name and date, links to the original and to the whole post, the highlighted text."""
    links = []
    if url and is_http_url(url):
        links.append(f'<a class="rag-original" href="{esc(fragment_link(url, span))}" target="_blank" '
                     f'rel="noopener noreferrer nofollow">{opens} ↗</a>')
    read_link, reader = _reader(doc, start, end, span, anchor, name)
    if read_link:
        links.append(read_link)
    where = ""
    if url and not is_http_url(url):
        where = f'<p class="rag-url">Link given by the post (not a web address): {esc(url)}</p>'
    date_text = display_date(date)
    return (f'<div class="rag-source" id="{anchor}" tabindex="-1"><p class="rag-source-head">{head}'
            f'<span class="rag-title">{esc(name)}</span>'
            f'{f"<span class=rag-date> · {esc(date_text)}</span>" if date_text else ""}</p>'
            f'<div class="rag-passage">{shown}</div>{where}'
            f'<p class="rag-source-links">{"".join(links)}</p>{reader}</div>')


def _has_sources(answer: Answer) -> bool:
    return bool(answer.citations if answer.found else answer.passages)


def sources_html(answer: Answer, turn: int, document: Callable[[str], Document] | None = None) -> str:
    """The answer's own source view: its citations (or, for a refusal, the closest passages) in context.

    One disclosure per answer, closed for an answer (its message lists the sources) and open for a
    refusal; a marker's link opens it at its source. Empty when there is nothing to show."""
    if not _has_sources(answer):
        return ""
    docs: dict[str, Document | None] = {}

    def doc_of(doc_id: str) -> Document | None:
        if doc_id not in docs:
            docs[doc_id] = _document(document, doc_id)
        return docs[doc_id]

    cards = []
    if answer.found:
        for c in answer.citations:
            doc = doc_of(c.doc_id)
            cards.append(_card(anchor=source_anchor(turn, c.marker),
                               head=f'<span class="rag-marker">[{c.marker}]</span> ',
                               name=_name(c.label, c.title, c.url, doc), date=c.date, url=c.url,
                               shown=_context(c, answer.passages, doc), span=c.quote, start=c.start,
                               end=c.end, doc=doc, opens="Open the original at this quote"))
        count = len(answer.citations)
        summary = "The quote in its post" if count == 1 else f"The {count} quotes in their posts"
        kind, opened = "rag-found", ""
    else:
        for i, p in enumerate(answer.passages, 1):
            doc = doc_of(p.doc_id)
            cards.append(_card(anchor=source_anchor(turn, f"p{i}"), head="",
                               name=_name(p.label, p.title, p.url, doc), date=p.date, url=p.url,
                               shown=esc(p.text), span=p.text,
                               start=p.start, end=p.end, doc=doc, opens="Open the original at this passage"))
        summary = f"The closest passages ({len(answer.passages)})"
        kind, opened = "rag-not-found", " open"
    return (f'<div class="rag-sources {kind}" data-turn="{turn}" data-copy="{esc(copy_text(answer))}">'
            f'<details{opened}><summary>{summary}</summary>{"".join(cards)}</details></div>')


# -- the conversation


@dataclass(frozen=True, slots=True)
class Exchange:
    """One question and what came of it: an answer, or an error message."""

    question: str
    answer: Answer | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.answer is not None:
            return {"question": self.question, "answer": self.answer.to_dict()}
        return {"question": self.question, "error": self.error or GENERIC_ERROR}


_FIELD_TYPES: dict[str, Any] = {"int": int, "float": (int, float), "str": str, "bool": bool,
                                "str | None": (str, type(None)), "float | None": (int, float, type(None))}


def _record(cls: Any, data: Any) -> Any:
    """A record from its ``to_dict`` form, checking each field's type (stored data is not trusted)."""
    if not isinstance(data, dict):
        raise TypeError(cls.__name__)
    values = {}
    for field in dataclasses.fields(cls):
        if field.name not in data:
            continue
        value, expected = data[field.name], _FIELD_TYPES.get(str(field.type))
        if field.name == "markers":
            if not isinstance(value, list | tuple) or not all(isinstance(m, int) for m in value):
                raise TypeError("markers")
            value = tuple(value)
        elif expected is not None and (not isinstance(value, expected)
                                       or (expected is int and isinstance(value, bool))):
            raise TypeError(field.name)
        values[field.name] = value
    return cls(**values)


def answer_from_dict(data: Any) -> Answer | None:
    """An ``Answer`` from ``Answer.to_dict()`` (as kept in the browser), or None if it is not one."""
    try:
        strings = {name: data.get(name) for name in ("question", "text", "backend", "kind", "lead")}
        if not all(isinstance(v, str) for v in strings.values()) or not isinstance(data.get("found"), bool):
            return None
        notice, scope, confidence = data.get("notice"), data.get("scope"), data.get("confidence")
        if (not isinstance(notice, str | None) or not isinstance(scope, str | None)
                or not isinstance(confidence, int | float | None) or isinstance(confidence, bool)):
            return None
        words = [data.get("unverified", []), data.get("missing", [])]
        if not all(isinstance(ws, list) and all(isinstance(w, str) for w in ws) for ws in words):
            return None
        return Answer(citations=tuple(_record(Citation, c) for c in data.get("citations", [])),
                      passages=tuple(_record(Passage, p) for p in data.get("passages", [])),
                      sections=tuple(_record(AnswerSection, s) for s in data.get("sections", [])),
                      found=data["found"], unverified=tuple(words[0]), missing=tuple(words[1]), notice=notice,
                      scope=scope, confidence=confidence, **strings)
    except (TypeError, ValueError, AttributeError):
        return None


def load_conversation(value: Any) -> list[Exchange]:
    """The conversation kept in the browser; whatever is not in the shape this app writes is dropped."""
    if not isinstance(value, list):
        return []
    exchanges = []
    for item in value[-MAX_TURNS:]:
        if not isinstance(item, dict) or not isinstance(item.get("question"), str):
            continue
        answer = answer_from_dict(item.get("answer")) if item.get("answer") is not None else None
        if answer is not None:
            exchanges.append(Exchange(item["question"], answer))
        elif isinstance(item.get("error"), str):
            exchanges.append(Exchange(item["question"], error=item["error"]))
    return exchanges


def save_conversation(exchanges: Sequence[Exchange]) -> list[dict[str, Any]]:
    return [e.to_dict() for e in exchanges]


def _identity(html_text: str) -> Any:
    return html_text


def exchange_messages(exchange: Exchange, turn: int, document: Callable[[str], Document] | None,
                      html_message: Callable[[str], Any] = _identity) -> list[dict[str, Any]]:
    """The chat messages of one exchange: the question, the answer (or error), the source view."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": md(exchange.question)}]
    if exchange.answer is None:
        messages.append({"role": "assistant", "content": error_markdown(exchange.error or GENERIC_ERROR)})
        return messages
    messages.append({"role": "assistant", "content": answer_markdown(exchange.answer, turn)})
    if _has_sources(exchange.answer):
        messages.append({"role": "assistant",
                         "content": html_message(sources_html(exchange.answer, turn, document))})
    return messages


def chat_messages(exchanges: Sequence[Exchange], document: Callable[[str], Document] | None,
                  html_message: Callable[[str], Any] = _identity) -> list[dict[str, Any]]:
    return [message for turn, exchange in enumerate(exchanges, 1)
            for message in exchange_messages(exchange, turn, document, html_message)]


def exchange_at(exchanges: Sequence[Exchange], index: Any) -> int | None:
    """Which exchange the chat message at ``index`` belongs to (the chat's retry/undo/edit give one)."""
    if isinstance(index, list | tuple):
        index = index[0] if index else None
    if not isinstance(index, int):
        return None
    start = 0
    for i, e in enumerate(exchanges):
        count = 2 + (e.answer is not None and _has_sources(e.answer))
        if start <= index < start + count:
            return i
        start += count
    return None


def core_history(exchanges: Sequence[Exchange]) -> list[dict[str, str]]:
    """The conversation as the core reads it for follow-up questions."""
    history = []
    for e in exchanges[-HISTORY_TURNS:]:
        if e.answer is not None:
            history += [{"role": "user", "content": e.question},
                        {"role": "assistant", "content": e.answer.text}]
    return history


def _k(value: Any, default: int) -> int:
    try:
        return max(1, min(MAX_K, int(value)))
    except (TypeError, ValueError):
        return default


Step = tuple[list[dict[str, Any]] | None, list[dict[str, Any]] | None, str | None, str | None]


def question_problem(question: Any, limit: int) -> str | None:
    """Why the app won't ask this question (shown by the question box), or None.

    The core refuses an empty question and one longer than ``limit`` (``Settings.max_question_chars``)
    rather than cutting it; the app says why before asking, and the box keeps the text to correct."""
    from rag.pipeline import clean_question

    try:
        clean_question(question, limit)
    except EmptyQuestionError:
        return EMPTY_QUESTION
    except QuestionError as exc:
        return str(exc)
    return None


def respond(rag: RAG, question: Any, conversation: Any, backend: str | None = None, k: Any = None, *,
            html_message: Callable[[str], Any] = _identity) -> Iterator[Step]:
    """Answer one question, yielding (chat messages, conversation to keep, question box, notice) as it
    goes, each None when it stays as it is.

    The conversation changes only once the answer is finished. A question the app won't ask (empty,
    too long) changes nothing but the notice by the question box, which says why; the box keeps its
    text to be corrected. Never raises: errors become a message in the chat."""
    problem = question_problem(question, rag.settings.max_question_chars)
    if problem:
        yield None, None, None, notice_html(problem)
        return
    text = question.strip()
    exchanges = load_conversation(conversation)
    before = chat_messages(exchanges, rag.document, html_message)
    asked = [*before, {"role": "user", "content": md(text)}]

    def shown(content: str) -> list[dict[str, Any]]:  # a new list per step: each yield is a snapshot
        return [*asked, {"role": "assistant", "content": content}]

    yield shown(status_markdown(SEARCHING)), None, "", ""
    try:
        streamed = ""
        response = rag.stream(text, history=core_history(exchanges), k=_k(k, rag.settings.k),
                              backend=backend or None)
        for piece in response:
            streamed += piece
            yield shown(streaming_markdown(streamed)), None, None, None
        exchange = Exchange(text, response.answer())
    except RagError as exc:
        log.warning("answering in the chat failed: %s", exc)
        exchange = Exchange(text, error=str(exc))
    except Exception:
        log.exception("answering %r failed", text)
        exchange = Exchange(text, error=GENERIC_ERROR)
    exchanges.append(exchange)
    messages = [*before, *exchange_messages(exchange, len(exchanges), rag.document, html_message)]
    yield messages, save_conversation(exchanges), None, None


def rewind(conversation: Any, index: Any) -> tuple[list[Exchange], Exchange | None]:
    """The conversation before the exchange holding message ``index``, and that exchange."""
    exchanges = load_conversation(conversation)
    at = exchange_at(exchanges, index)
    if at is None:
        return exchanges, None
    return exchanges[:at], exchanges[at]


def edited_text(value: Any) -> str:
    """The text of an edited message (a string, or the chat's list of parts)."""
    if isinstance(value, list):
        value = " ".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in value)
    return md_unescape(value) if isinstance(value, str) else ""


def api_answer(rag: RAG, question: str) -> dict[str, Any]:
    """The ``/answer`` endpoint: a question in, ``Answer.to_dict()`` out (errors as gr.Error).

    A ``RagError`` (an empty or too long question, an unknown backend...) is the asker's to fix: it is
    logged as one line, without a traceback; only unexpected failures leave one."""
    import gradio as gr

    try:
        return rag.answer(question).to_dict()
    except RagError as exc:
        log.warning("/answer refused the question: %s", exc)
        raise gr.Error(str(exc), print_exception=False) from None
    except Exception:
        log.exception("answering %r through the API failed", question)
        raise gr.Error(GENERIC_ERROR) from None


def status_html(status: IndexStatus) -> str:
    """A one-line summary of the loaded index, for the reader to know what they are asking."""
    built = (status.built_at or "unknown").replace("T", " ")
    return (f'<p class="rag-status">Index: {esc(status.documents)} posts · {esc(status.chunks)} chunks · '
            f"model {esc(status.model)} · built {esc(built)}</p>")


def backends_note(unusable: Sequence[tuple[str, str]]) -> str:
    """The backends that cannot answer here, each with what to set."""
    if not unusable:
        return ""
    items = "".join(f'<li class="rag-unusable" aria-disabled="true"><b>{esc(name)}</b> (not available): '
                    f"{esc(hint)}</li>" for name, hint in unusable)
    return f"<p>Not available here:</p><ul>{items}</ul>"


# -- the app


def build_app(rag: RAG) -> gr.Blocks:
    """The Blocks app over ``rag``, with its queue set up; ``serve`` launches it."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from rag.answering import backend_statuses

    statuses = backend_statuses(rag.settings)
    usable = [s.name for s in statuses if s.usable] or ["extractive"]
    unusable = [(s.name, s.hint) for s in statuses if not s.usable]
    default_backend = rag.settings.backend if rag.settings.backend in usable else usable[0]

    def receives(event_data: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Gradio passes event data to the parameter annotated with its class; annotations here are
        strings it cannot resolve (gradio is imported in this function), so the class is set."""
        def hint(fn: Callable[..., Any]) -> Callable[..., Any]:
            fn.__annotations__ = {"data": event_data}
            return fn
        return hint

    def html_message(html_text: str) -> Any:
        return gr.HTML(html_text, js_on_load=None, elem_classes=["rag-sources-message"])

    Steps = Iterator[tuple[Any, ...]]

    def restore(conversation: Any) -> list[dict[str, Any]]:
        return chat_messages(load_conversation(conversation), rag.document, html_message)

    def ask(question: Any, conversation: Any, backend: str, k: Any) -> Steps:
        for step in respond(rag, question, conversation, backend, k, html_message=html_message):
            yield tuple(gr.skip() if value is None else value for value in step)

    @receives(gr.RetryData)
    def retry(data: gr.RetryData, conversation: Any, backend: str, k: Any) -> Steps:
        kept, exchange = rewind(conversation, data.index)
        if exchange is None:
            yield chat_messages(kept, rag.document, html_message), save_conversation(kept), gr.skip(), ""
            return
        yield from ask(exchange.question, save_conversation(kept), backend, k)

    @receives(gr.UndoData)
    def undo(data: gr.UndoData, conversation: Any) -> tuple[Any, Any, Any, Any]:
        kept, exchange = rewind(conversation, data.index)
        box = exchange.question if exchange is not None else gr.skip()
        return chat_messages(kept, rag.document, html_message), save_conversation(kept), box, ""

    @receives(gr.EditData)
    def edit(data: gr.EditData, conversation: Any, backend: str, k: Any) -> Steps:
        text = edited_text(data.value)
        problem = question_problem(text, rag.settings.max_question_chars)
        if problem:  # the chat shows the edit: put the question back as it was
            yield restore(conversation), gr.skip(), gr.skip(), notice_html(problem)
            return
        kept, _ = rewind(conversation, data.index)
        yield from ask(text, save_conversation(kept), backend, k)

    def answer(question: str) -> dict:
        """Answer a question from the posts; returns the answer with its verbatim quoted citations."""
        return api_answer(rag, question)

    with gr.Blocks(title="Ask the posts: mutuals and public services", analytics_enabled=False) as demo:
        gr.HTML("<div id='rag-header'><h1>Ask the posts: mutuals and public services</h1>"
                "<p>Questions are answered from UK blog posts (2010–2012) about turning public services into "
                "mutuals and co-operatives. Every answer quotes the posts word for word; when they don't "
                "answer a question, the app says so.</p></div>", js_on_load=None)
        conversation = gr.BrowserState([], storage_key=STORAGE_KEY)
        # autoscroll off: the page script shows each new question with the start of its answer
        chatbot = gr.Chatbot(label="Conversation", elem_id="rag-chat", height="min(62vh, 640px)",
                             latex_delimiters=[], sanitize_html=True, allow_tags=False, render_markdown=True,
                             feedback_options=None, buttons=["copy"], editable="user", autoscroll=False,
                             group_consecutive_messages=False, placeholder=CHAT_PLACEHOLDER)
        with gr.Row(equal_height=True):
            # no max_length: the browser would cut a long paste silently; respond() says the limit
            question = gr.Textbox(placeholder="Ask a question about the posts…", show_label=False,
                                  label="Your question", elem_id="rag-question", scale=5, max_lines=4,
                                  autofocus=True)
            ask_button = gr.Button("Ask", variant="primary", elem_id="rag-ask", scale=1, min_width=80)
        notice = gr.HTML("", elem_id="rag-notice", js_on_load=None)
        gr.HTML("<p id='rag-examples-label'>Try one of these:</p>", js_on_load=None)
        with gr.Row(equal_height=True):  # one height for the examples, however long their questions
            examples = [gr.Button(q, size="sm", elem_classes=["rag-example"]) for q in EXAMPLE_QUESTIONS]
        clear = gr.Button("New conversation", size="sm", elem_id="rag-clear")
        with gr.Accordion("Settings", open=False, elem_id="rag-settings"):
            backend = gr.Dropdown(usable, value=default_backend, label="Answering backend",
                                  elem_id="rag-backend")
            gr.HTML(backends_note(unusable), elem_id="rag-backend-note", js_on_load=None)
            k = gr.Slider(1, MAX_K, value=min(rag.settings.k, MAX_K), step=1,
                          label="Passages to retrieve (k)", elem_id="rag-k")
            gr.HTML(status_html(rag.status()), elem_id="rag-status", js_on_load=None)

        outputs = [chatbot, conversation, question, notice]
        # the chat shows its own progress ("Searching the posts…"); Gradio's timer would be a second one
        common: dict[str, Any] = {"outputs": outputs, "api_visibility": "private", "concurrency_id": "answer",
                                  "show_progress": "hidden"}
        inputs = [conversation, backend, k]
        question.submit(ask, inputs=[question, *inputs], **common)
        ask_button.click(ask, inputs=[question, *inputs], **common)
        for button in examples:  # a button's value is its label: the example question
            button.click(ask, inputs=[button, *inputs], **common)
        chatbot.retry(retry, inputs=inputs, **common)
        quiet: dict[str, Any] = {"api_visibility": "private", "queue": False, "show_progress": "hidden"}
        chatbot.undo(undo, inputs=[conversation], outputs=outputs, **quiet)
        chatbot.edit(edit, inputs=inputs, **common)
        clear.click(lambda: ([], [], "", ""), outputs=outputs, **quiet)
        # the chat's own bin icon empties the chat: forget the kept conversation too
        chatbot.clear(lambda: [], outputs=[conversation], **quiet)
        # restoring a kept conversation is instant: no timer over the chat (its faded text failed contrast)
        demo.load(restore, inputs=[conversation], outputs=[chatbot], api_visibility="private",
                  show_progress="hidden")
        gr.api(answer, api_name="answer", concurrency_id="answer")

    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=100)
    return demo


def launch_options(host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None,
                   share: bool = False) -> dict[str, Any]:
    """The launch settings: loopback unless told otherwise, no share link, no extra file access,
    no telemetry, no MCP server, no run history, no monitoring endpoint."""
    return {"server_name": host, "server_port": port, "auth": auth, "share": share, "css": CSS,
            "js": PAGE_JS, "head": PAGE_HEAD,
            "footer_links": ["api"], "run_history": False, "enable_monitoring": False, "mcp_server": False,
            "ssr_mode": False, "pwa": False, "show_error": False, "inbrowser": False, "max_file_size": "1mb"}


def _warm_up(rag: RAG) -> None:
    try:
        rag.retrieve("mutual public services", k=1)
    except Exception:  # the app still starts; each request then reports its own error
        log.exception("warming up the model and index failed")


def serve(rag: RAG, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None,
          share: bool = False, *, block: bool = True) -> gr.Blocks:
    """Start the app. ``block=False`` returns once the server is up (for tests and notebooks)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    # Load the model and indexes before opening the doors, so the first visitor doesn't wait and
    # concurrent first requests don't each load the model; it overlaps with importing Gradio.
    warm = threading.Thread(target=_warm_up, args=(rag,), name="rag-warm-up", daemon=True)
    warm.start()
    demo = build_app(rag)
    warm.join()
    demo.launch(prevent_thread_lock=not block, **launch_options(host, port, auth, share))
    return demo
