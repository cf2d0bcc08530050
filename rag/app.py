"""The chat app in the browser: a thin Gradio layer over ``rag.pipeline.RAG``.

All answering happens in the core; this module only turns an ``Answer`` into HTML and wires
the events. Everything that comes from the corpus (titles, dates, urls, quotes, passages) is
untrusted: it is HTML-escaped wherever it is shown, and only http(s) urls become links, so a
post holding ``<script>`` or ``<img onerror=...>`` shows as text and runs nothing.

Gradio is imported inside the functions, so importing this module (and ``rag serve`` before
it starts the server) stays cheap.
"""

from __future__ import annotations

import html
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rag.errors import RagError
from rag.types import Answer, Citation, Document, IndexStatus, Passage

if TYPE_CHECKING:
    import gradio as gr

    from rag.pipeline import RAG

log = logging.getLogger(__name__)

EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "Who should control local libraries and swimming pools?",
    "What did the Labour pledge say about protecting frontline services?",
    "Which council's approach was nicknamed EasyCouncil?",
    "Why are some councillors sceptical about mutualisation?",
)
EMPTY_QUESTION = ("Please type a question first, for example “Who should control local libraries and "
                  "swimming pools?”")
CHAT_PLACEHOLDER = ("**Ask about the posts.** Answers quote the posts word for word, with [n] markers; "
                    "the quoted posts appear under *Sources*.")
GENERIC_ERROR = "Something went wrong while answering. Please try again; the details are in the server log."
HISTORY_TURNS = 20  # the core reads follow-ups against the previous question; older turns add nothing
MAX_K = 20
CONCURRENCY = 4  # answers run at once; more requests wait in the queue (2 CPU cores is the usual box)
UNTITLED = "Untitled post"
CONTEXT_CHARS = 320  # document text shown around a quote when no retrieved passage holds it

# HTML's special characters plus Markdown/LaTeX syntax, all as numeric entities in one pass, so that
# the chat's Markdown renderer treats corpus text as plain characters even if it parsed inside our HTML.
_ENTITIES = str.maketrans({ch: f"&#{ord(ch)};" for ch in "&<>\"'\\`*_{}[]()#+-!|~$:="})
_HTTP_URL = re.compile(r"https?://[^\s\"'<>`\\\x00-\x1f\x7f]+", re.IGNORECASE)
_EXTRACTIVE_PARAGRAPH = re.compile(r"“(?P<quote>.*)” \[(?P<marker>\d+)\]", re.DOTALL)
_MARKER = re.compile(r"\[(\d+)\]")

CSS = """
.rag-answer { line-height: 1.5; }
.rag-answer blockquote, .rag-source blockquote {
  margin: 0.4em 0; padding: 0.35em 0.8em; border-left: 4px solid #0f766e; background: rgba(15,118,110,.07);
}
.rag-marker { font-weight: 600; color: #0f766e; white-space: nowrap; }
.rag-from { font-size: 0.85em; opacity: 0.8; margin: 0 0 0.6em 0.9em; }
.rag-notfound { border: 2px dashed #b45309; border-radius: 8px; padding: 0.5em 0.8em;
  background: rgba(180,83,9,.07); }
.rag-notfound-title { font-weight: 700; color: #b45309; }
.rag-notice { border-left: 4px solid #2563eb; background: rgba(37,99,235,.08); padding: 0.3em 0.7em;
  margin-bottom: 0.5em; }
.rag-unverified { border: 2px dashed #b91c1c; border-radius: 8px; padding: 0.4em 0.7em; margin-top: 0.6em;
  background: rgba(185,28,28,.06); }
.rag-unverified-title { font-weight: 700; color: #b91c1c; }
.rag-unverified blockquote { border-left: 4px dashed #b91c1c; margin: 0.3em 0; padding: 0.2em 0.6em; }
.rag-error { border-left: 4px solid #b91c1c; padding: 0.3em 0.7em; color: #b91c1c; }
.rag-streaming { white-space: pre-wrap; opacity: 0.85; }
.rag-sources h3 { margin: 0.2em 0 0.5em; }
.rag-source { border: 1px solid rgba(127,127,127,.3); border-radius: 8px; padding: 0.6em 0.8em;
  margin-bottom: 0.7em; }
.rag-source-head, .rag-title { font-weight: 600; }
.rag-sources h3, #rag-header h1 { font-weight: 600; }
.rag-meta { font-size: 0.85em; opacity: 0.85; word-break: break-all; }
.rag-passage { font-size: 0.92em; margin-top: 0.4em; max-height: 24em; overflow-y: auto; }
.rag-passage mark { background: #fde68a; color: inherit; padding: 0 0.1em; }
.rag-status { font-size: 0.85em; opacity: 0.85; }
.rag-hint { opacity: 0.75; }
"""


# -- rendering (pure functions: Answer in, HTML out)


def esc(text: Any) -> str:
    """Corpus text made inert: HTML-escaped, Markdown syntax as entities, newlines as <br>."""
    escaped = ("" if text is None else str(text)).translate(_ENTITIES)
    return escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def safe_link(url: str | None) -> str:
    """An http(s) url as a link; anything else (``javascript:``, ``data:``, paths) as plain text."""
    if not url:
        return ""
    if _HTTP_URL.fullmatch(url):
        return (f'<a href="{html.escape(url, quote=True)}" target="_blank" '
                f'rel="noopener noreferrer nofollow">{esc(url)}</a>')
    return f'<span class="rag-nolink">{esc(url)}</span>'


def where(url: str | None, source: str | None) -> str:
    """Where a post comes from: its url, or its path in the corpus when it states no url."""
    if url:
        return safe_link(url)
    if source:
        return f"corpus file {esc(source)}"
    return ""


def _heading(title: str | None, date: str | None, fallback: str) -> str:
    parts = [f'<span class="rag-title">{esc(title or fallback)}</span>']
    if date:
        parts.append(esc(date))
    return " · ".join(parts)


def _markers(text: str, markers: set[int]) -> str:
    """Escape prose and style the [n] markers that refer to real citations."""
    out, last = [], 0
    for match in _MARKER.finditer(text):
        if int(match.group(1)) in markers:
            out += [esc(text[last:match.start()]), f'<span class="rag-marker">[{match.group(1)}]</span>']
            last = match.end()
    out.append(esc(text[last:]))
    return "".join(out)


def _quote_block(citation: Citation) -> str:
    label = citation.label
    return (f'<blockquote class="rag-quote">“{esc(citation.quote)}” '
            f'<span class="rag-marker">[{citation.marker}]</span></blockquote>'
            f'<div class="rag-from">[{citation.marker}] {esc(label)}'
            f'{" · " + esc(citation.date) if citation.date else ""}</div>')


def _unverified_block(quotes: Sequence[str]) -> str:
    if not quotes:
        return ""
    items = "".join(f'<blockquote class="rag-unverified-quote">⚠ unverified: “{esc(q)}”</blockquote>'
                    for q in quotes)
    return (f'<div class="rag-unverified"><div class="rag-unverified-title">⚠ Unverified quotation'
            f'{"s" if len(quotes) > 1 else ""}: not found word for word in the posts, so not cited'
            f"</div>{items}</div>")


def answer_html(answer: Answer) -> str:
    """The chat message for a finished answer: quotes as block quotes with their [n] markers.

    The result is a single HTML block without blank lines, so the chat's Markdown renderer
    passes it through as HTML (then sanitises it) instead of parsing corpus text as Markdown.
    """
    parts: list[str] = []
    if answer.notice:
        parts.append(f'<div class="rag-notice">ℹ {esc(answer.notice)}</div>')
    if not answer.found:
        parts.append('<div class="rag-notfound"><div class="rag-notfound-title">No answer found in the posts'
                     f'</div>{esc(answer.text)}<div class="rag-hint">The closest passages are shown under '
                     "Sources.</div></div>")
    else:
        by_marker = {c.marker: c for c in answer.citations}
        shown: set[int] = set()
        for paragraph in (p for p in re.split(r"\n\s*\n", answer.text) if p.strip()):
            match = _EXTRACTIVE_PARAGRAPH.fullmatch(paragraph.strip())
            cited = by_marker.get(int(match.group("marker"))) if match else None
            if match is not None and cited is not None and cited.quote == match.group("quote"):
                parts.append(_quote_block(cited))
                shown.add(cited.marker)
            else:
                parts.append(f"<p>{_markers(paragraph.strip(), set(by_marker))}</p>")
        parts.extend(_quote_block(c) for c in answer.citations if c.marker not in shown)
    parts.append(_unverified_block(answer.unverified))
    kind = "rag-found" if answer.found else "rag-not-found"
    return f'<div class="rag-answer {kind}">{"".join(parts)}</div>'


def streaming_html(text: str) -> str:
    """Text pieces of a generative answer as they arrive (checked and cited once complete)."""
    return f'<div class="rag-answer rag-streaming">{esc(text)}<span class="rag-hint"> …</span></div>'


def message_html(text: str, kind: str = "hint") -> str:
    return f'<div class="rag-answer rag-{kind}">{esc(text)}</div>'


def _around(text: str, start: int, end: int) -> str:
    """``text`` with [start, end) highlighted, cut at word boundaries to CONTEXT_CHARS either side,
    so the highlight is in view even in a long passage."""
    lo, hi = max(0, start - CONTEXT_CHARS), min(len(text), end + CONTEXT_CHARS)
    if lo > 0:
        gap = re.search(r"\s", text[lo:start])
        lo = lo + gap.end() if gap else lo
    if hi < len(text):
        gaps = [m.start() for m in re.finditer(r"\s", text[end:hi])]
        hi = end + gaps[-1] if gaps else hi
    return (("… " if lo > 0 else "") + esc(text[lo:start]) + f"<mark>{esc(text[start:end])}</mark>"
            + esc(text[end:hi]) + (" …" if hi < len(text) else ""))


def _context(citation: Citation, passages: Sequence[Passage],
             document: Callable[[str], Document] | None) -> str:
    """The quote highlighted inside the passage that holds it (or the post text around it)."""
    for p in passages:
        if (p.doc_id == citation.doc_id and p.start <= citation.start and citation.end <= p.end
                and p.text[citation.start - p.start:citation.end - p.start] == citation.quote):
            return _around(p.text, citation.start - p.start, citation.end - p.start)
    doc = None
    if document is not None:
        try:
            doc = document(citation.doc_id)
        except (KeyError, RagError):
            doc = None
    if doc is not None and doc.text[citation.start:citation.end] == citation.quote:
        return _around(doc.text, citation.start, citation.end)
    return f"<mark>{esc(citation.quote)}</mark>"


def _passage_card(p: Passage, label: str = "") -> str:
    return (f'<div class="rag-source rag-passage-card"><div class="rag-source-head">{label}'
            f'{_heading(p.title, p.date, UNTITLED)}</div>'
            f'<div class="rag-meta">{where(p.url, p.source)}</div>'
            f'<div class="rag-passage">{esc(p.text)}</div></div>')


def sources_html(answer: Answer, document: Callable[[str], Document] | None = None) -> str:
    """The sources panel: each cited post with title, date, link and the quote highlighted."""
    parts = ['<div class="rag-sources">']
    if answer.found and answer.citations:
        parts.append("<h3>Sources</h3>")
        for c in answer.citations:
            parts.append(
                f'<div class="rag-source rag-cited" id="rag-source-{c.marker}">'
                f'<div class="rag-source-head"><span class="rag-marker">[{c.marker}]</span> '
                f'{_heading(c.title, c.date, UNTITLED)}</div>'
                f'<div class="rag-meta">{where(c.url, c.source)}</div>'
                f'<div class="rag-passage">{_context(c, answer.passages, document)}</div></div>')
        cited = {c.doc_id for c in answer.citations}
        others = [p for p in answer.passages if p.doc_id not in cited]
        if others:
            parts.append(f"<details><summary>Other retrieved passages ({len(others)})</summary>"
                         + "".join(_passage_card(p) for p in others) + "</details>")
    elif answer.passages:
        parts.append("<h3>Closest passages</h3><p class=\"rag-hint\">No passage answered the question; "
                     "these came closest.</p>")
        parts.extend(_passage_card(p) for p in answer.passages)
    else:
        parts.append("<h3>Sources</h3><p class=\"rag-hint\">No passages were retrieved.</p>")
    if answer.unverified:
        parts.append(_unverified_block(answer.unverified))
    parts.append("</div>")
    return "".join(parts)


SOURCES_PLACEHOLDER = ('<div class="rag-sources"><h3>Sources</h3><p class="rag-hint">Ask a question: the '
                       "posts quoted in the answer appear here, with the quoted words highlighted.</p></div>")


def status_html(status: IndexStatus) -> str:
    """A one-line summary of the loaded index, for the user to know what they are asking."""
    built = (status.built_at or "unknown").replace("T", " ")
    return (f'<div class="rag-status">Index: {esc(status.documents)} posts · '
            f'{esc(status.chunks)} chunks · model {esc(status.model)} · '
            f"built {esc(built)}</div>")


# -- handlers (plain generators, testable without a server)


def _k(value: Any, default: int) -> int:
    try:
        return min(MAX_K, max(1, int(value)))
    except (TypeError, ValueError):
        return default


def respond(rag: RAG, question: Any, chat: list[dict[str, Any]] | None, turns: list[dict[str, str]] | None,
            backend: str | None = None, k: Any = None) -> Iterator[tuple[list, str | None, list, str]]:
    """Answer one chat message, yielding (chat, sources html or None to keep, turns, textbox).

    ``turns`` is the plain-text conversation (questions and ``Answer.text``) given to the core
    as history, so follow-up questions are read against the previous one.
    """
    before = list(chat or [])
    turns = list(turns or [])
    text = question.strip() if isinstance(question, str) else ""
    if not text:
        yield [*before, {"role": "assistant", "content": message_html(EMPTY_QUESTION)}], None, turns, ""
        return
    asked = [*before, {"role": "user", "content": message_html(text, "question")}]

    def shown(content: str) -> list[dict[str, Any]]:  # a new list per step: each yield is a snapshot
        return [*asked, {"role": "assistant", "content": content}]

    yield shown(message_html("Searching the posts…")), None, turns, ""
    try:
        streamed = ""
        response = rag.stream(text, history=turns[-HISTORY_TURNS:], k=_k(k, rag.settings.k),
                              backend=backend or None)
        for piece in response:
            streamed += piece
            yield shown(streaming_html(streamed)), None, turns, ""
        final = response.answer()
        shown_answer, shown_sources = answer_html(final), sources_html(final, rag.document)
    except RagError as exc:
        yield shown(message_html(str(exc), "error")), None, turns, ""
        return
    except Exception:
        log.exception("answering %r failed", text)
        yield shown(message_html(GENERIC_ERROR, "error")), None, turns, ""
        return
    turns = [*turns, {"role": "user", "content": text}, {"role": "assistant", "content": final.text}]
    yield shown(shown_answer), shown_sources, turns, ""


def api_answer(rag: RAG, question: str) -> dict[str, Any]:
    """The ``/answer`` endpoint: a question in, ``Answer.to_dict()`` out (errors as gr.Error)."""
    import gradio as gr

    try:
        return rag.answer(question).to_dict()
    except RagError as exc:
        raise gr.Error(str(exc)) from None
    except Exception:
        log.exception("answering %r through the API failed", question)
        raise gr.Error(GENERIC_ERROR) from None


# -- the app


def build_app(rag: RAG) -> gr.Blocks:
    """The Blocks app over ``rag``, with its queue set up; ``serve`` launches it."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import gradio as gr

    from rag.answering import available_backends

    backends = list(available_backends())
    default_backend = rag.settings.backend if rag.settings.backend in backends else backends[0]

    def on_ask(question, chat, turns, backend, k):
        for chat_value, sources, turns_value, box in respond(rag, question, chat, turns, backend, k):
            yield chat_value, gr.skip() if sources is None else sources, turns_value, box

    def answer(question: str) -> dict:
        """Answer a question from the posts; returns the answer with its verbatim quoted citations."""
        return api_answer(rag, question)

    with gr.Blocks(title="Ask the posts: mutuals and public services", analytics_enabled=False) as demo:
        gr.HTML("<div id='rag-header'><h1 style='margin-bottom:0'>Ask the posts: mutuals and public "
                "services</h1>"
                "<p class='rag-hint'>Questions are answered from UK blog posts (2010–2012) about "
                "turning public services into mutuals and co-operatives. Every answer quotes the posts "
                "word for word; when they don't answer a question, the app says so.</p></div>")
        turns = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Conversation", elem_id="rag-chat", height=560,
                                     latex_delimiters=[], sanitize_html=True, allow_tags=False,
                                     render_markdown=True, feedback_options=None, buttons=[],
                                     group_consecutive_messages=False, placeholder=CHAT_PLACEHOLDER)
                with gr.Row():
                    question = gr.Textbox(placeholder="Ask a question about the posts…", show_label=False,
                                          elem_id="rag-question", scale=5, max_lines=4, autofocus=True,
                                          max_length=4000)
                    ask = gr.Button("Ask", variant="primary", elem_id="rag-ask", scale=1, min_width=80)
                gr.HTML("<span class='rag-hint'>Try one of these:</span>")
                with gr.Row():
                    examples = [gr.Button(q, size="sm", elem_classes=["rag-example"])
                                for q in EXAMPLE_QUESTIONS]
                clear = gr.Button("New conversation", size="sm", elem_id="rag-clear")
            with gr.Column(scale=2):
                sources = gr.HTML(SOURCES_PLACEHOLDER, elem_id="rag-sources", max_height=700, padding=True,
                                  js_on_load=None)
                with gr.Accordion("Settings", open=False, elem_id="rag-settings"):
                    backend = gr.Dropdown(backends, value=default_backend, label="Answering backend",
                                          elem_id="rag-backend")
                    k = gr.Slider(1, MAX_K, value=min(rag.settings.k, MAX_K), step=1,
                                  label="Passages to retrieve (k)", elem_id="rag-k")
                    gr.HTML(status_html(rag.status()), elem_id="rag-status", js_on_load=None)

        outputs = [chatbot, sources, turns, question]
        common: dict[str, Any] = {"outputs": outputs, "api_visibility": "private", "concurrency_id": "answer",
                  "show_progress": "minimal"}
        question.submit(on_ask, inputs=[question, chatbot, turns, backend, k], **common)
        ask.click(on_ask, inputs=[question, chatbot, turns, backend, k], **common)
        for button in examples:  # a button's value is its label: the example question
            button.click(on_ask, inputs=[button, chatbot, turns, backend, k], **common)
        clear.click(lambda: ([], SOURCES_PLACEHOLDER, [], ""), outputs=outputs, queue=False,
                    api_visibility="private")
        # the chat's own bin icon empties the chat: forget the conversation and its sources too
        chatbot.clear(lambda: (SOURCES_PLACEHOLDER, []), outputs=[sources, turns], queue=False,
                      api_visibility="private")
        gr.api(answer, api_name="answer", concurrency_id="answer")

    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=100)
    return demo


def launch_options(host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None,
                   share: bool = False) -> dict[str, Any]:
    """The launch settings: loopback unless told otherwise, no share link, no extra file access,
    no telemetry, no MCP server, no run history, no monitoring endpoint."""
    return {"server_name": host, "server_port": port, "auth": auth, "share": share, "css": CSS,
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
