"""Generation backends: the OpenAI-compatible backend driven through the real ``openai`` client
against a local Chat Completions server, the fallback to extractive answers, and backends
plugged in through the ``rag.backends`` entry point."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import socket
import sys
import threading
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from rag.answering import available_backends, create_backend
from rag.answering.openai import REFUSAL_PHRASE, OpenAIBackend, fit_passages, is_refusal, passage_block
from rag.chunking import count_tokens
from rag.errors import BackendError, UnknownBackendError
from rag.pipeline import RAG
from rag.types import Answer, Passage

pytestmark = pytest.mark.integration

KEY = "sk-test-0123456789-SECRET-abcdef"
QUESTION = "Why is the councillor sceptical about extending mutualisation of public services?"
MODEL = "test-model"


# -- a small OpenAI-compatible server


@dataclass
class Reply:
    """One scripted response of the fake server."""

    status: int = 200
    pieces: Sequence[str] = ()  # streamed as content deltas
    error: str = ""  # message of an error response
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None  # wait for this before answering at all
    pause_after: int | None = None  # after this many pieces, wait for `resume`
    resume: threading.Event | None = None
    drop_after: int | None = None  # after this many pieces, close the connection
    finish: str | None = "stop"  # the last chunk's finish_reason; None: end with neither it nor [DONE]


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, dropped keep-alive connections) are expected here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeChatServer:
    """Speaks the Chat Completions protocol (JSON errors, SSE streaming) on 127.0.0.1.

    Replies are served in the order scripted; every request is recorded with its headers.
    """

    def __init__(self) -> None:
        self.replies: queue.Queue[Reply] = queue.Queue()
        self.requests: list[dict[str, Any]] = []
        self.resumed: list[bool] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, and streams in chunked encoding like real servers

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.requests.append({"path": self.path, "headers": headers, "json": body})
                try:
                    reply = server.replies.get_nowait()
                except queue.Empty:
                    reply = Reply(status=500, error="no reply scripted")
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up
                    server.respond(self, reply, body)

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def script(self, *replies: Reply) -> None:
        for reply in replies:
            self.replies.put(reply)

    def reset(self) -> None:
        while not self.replies.empty():
            self.replies.get_nowait()
        self.requests.clear()
        self.resumed.clear()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def respond(self, h: BaseHTTPRequestHandler, reply: Reply, body: dict[str, Any]) -> None:
        if reply.hold is not None:
            reply.hold.wait(10)
        if reply.status != 200:
            kind = {401: "invalid_request_error", 404: "invalid_request_error", 429: "rate_limit_exceeded"}
            error = {"message": reply.error, "type": kind.get(reply.status, "server_error"), "param": None,
                     "code": None}
            data = json.dumps({"error": error}).encode()
            h.send_response(reply.status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                h.send_header(name, value)
            h.end_headers()
            h.wfile.write(data)
            return
        model = body.get("model", "")
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()

        def send(data: bytes) -> None:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            h.wfile.flush()

        def event(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            send(f"data: {json.dumps(chunk)}\n\n".encode())

        event({"role": "assistant", "content": ""})
        for i, piece in enumerate(reply.pieces):
            if reply.drop_after is not None and i == reply.drop_after:
                h.wfile.write(b"40\r\ndata: {\"id\": \"chatcmpl-te")  # a chunk cut short, then hang up
                h.wfile.flush()
                h.connection.shutdown(socket.SHUT_RDWR)
                h.close_connection = True
                return
            if reply.pause_after is not None and i == reply.pause_after and reply.resume is not None:
                self.resumed.append(reply.resume.wait(10))
            event({"content": piece})
        if reply.finish is not None:
            event({}, reply.finish)
            send(b"data: [DONE]\n\n")
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeChatServer]:
    fake = FakeChatServer()
    yield fake
    fake.close()


@pytest.fixture(autouse=True)
def clean(server: FakeChatServer, monkeypatch: pytest.MonkeyPatch) -> None:
    server.reset()
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "RAG_LLM_MODEL", "RAG_LLM_BASE_URL", "RAG_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def make_rag(rag_obj: RAG, base_url: str, **overrides: Any) -> RAG:
    """A RAG over the shared index whose openai backend talks to ``base_url``; failures raise."""
    options: dict[str, Any] = {"llm_base_url": base_url, "llm_model": MODEL, "llm_api_key": KEY,
                               "llm_timeout": 5.0, "llm_max_retries": 0, "llm_fallback": False}
    options.update(overrides)
    settings = rag_obj.settings.with_overrides(**options)
    return RAG(rag_obj.index, settings, embedder=rag_obj.embedder)


def closed_port_url() -> str:
    """A loopback URL where nothing listens, so connecting is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def opening_words(passage: Passage, n: int = 8) -> str:
    """The first words of a passage's longest line: a verbatim quote (up to whitespace)."""
    line = max(passage.text.splitlines(), key=len)
    return " ".join(line.split()[:n])


def prompt_of(server: FakeChatServer) -> str:
    return server.requests[-1]["json"]["messages"][-1]["content"]


def assert_exact(rag: RAG, answer: Answer) -> None:
    for c in answer.citations:
        assert rag.document(c.doc_id).text[c.start:c.end] == c.quote


# -- answers


def test_a_verified_quote_is_cited_with_exact_offsets(rag_obj: RAG, server: FakeChatServer) -> None:
    rag = make_rag(rag_obj, server.url)
    passages = rag.retrieve(QUESTION)
    quote = opening_words(passages[1]).replace("'", "’")  # a curly apostrophe is still verbatim
    server.script(Reply(pieces=["The councillor writes ", f"“{quote}”", " [2]."]))
    answer = rag.answer(QUESTION, backend="openai")
    assert answer.backend == "openai" and answer.found and answer.notice is None
    assert answer.text == f"The councillor writes “{quote}” [1]."
    assert [(c.marker, c.doc_id) for c in answer.citations] == [(1, passages[1].doc_id)]
    assert " ".join(answer.citations[0].quote.split()) == quote.replace("’", "'")
    assert answer.unverified == ()
    assert_exact(rag, answer)
    request = server.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["json"]["model"] == MODEL and request["json"]["stream"] is True
    assert request["headers"]["authorization"] == f"Bearer {KEY}"


def test_an_invented_quote_is_rejected(rag_obj: RAG, server: FakeChatServer) -> None:
    rag = make_rag(rag_obj, server.url)
    server.script(Reply(pieces=["He says “mutuals are a capitalist plot by councils” [1]."]))
    answer = rag.answer(QUESTION, backend="openai")
    assert answer.citations == ()
    assert answer.unverified == ("mutuals are a capitalist plot by councils",)
    assert answer.text == "He says “mutuals are a capitalist plot by councils” [unverified]."


def test_bad_markers_are_dropped_and_misattributed_quotes_repointed(rag_obj: RAG,
                                                                    server: FakeChatServer) -> None:
    rag = make_rag(rag_obj, server.url)
    passages = rag.retrieve(QUESTION)
    quote = opening_words(passages[2])
    server.script(Reply(pieces=[f"A claim [42]. He writes “{quote}” [17]. Another claim [4]."]))
    answer = rag.answer(QUESTION, backend="openai")
    assert answer.text == f"A claim. He writes “{quote}” [1]. Another claim."
    (citation,) = answer.citations
    assert citation.doc_id == passages[2].doc_id
    assert passages[2].start <= citation.start < citation.end <= passages[2].end
    assert_exact(rag, answer)


def test_the_refusal_phrase_means_not_found(rag_obj: RAG, server: FakeChatServer) -> None:
    rag = make_rag(rag_obj, server.url)
    server.script(Reply(pieces=[REFUSAL_PHRASE[:10], REFUSAL_PHRASE[10:]]))
    answer = rag.answer("What colour is the moon's cheese?", backend="openai")
    assert answer.found is False and answer.citations == () and answer.text == REFUSAL_PHRASE


def test_pieces_stream_before_the_final_answer(rag_obj: RAG, server: FakeChatServer) -> None:
    rag = make_rag(rag_obj, server.url)
    resume = threading.Event()
    server.script(Reply(pieces=["One ", "two ", "three."], pause_after=1, resume=resume))
    seen: list[str] = []
    response = rag.stream(QUESTION, backend="openai")
    for item in response:
        seen.append(item)
        resume.set()  # the server sends the rest only once the first piece got here
    assert server.resumed == [True]
    assert seen[0] == "One " and "".join(seen) == "One two three."
    assert response.answer().text == "One two three."


def test_history_goes_before_the_passages(rag_obj: RAG, server: FakeChatServer) -> None:
    rag = make_rag(rag_obj, server.url)
    server.script(Reply(pieces=[REFUSAL_PHRASE]))
    history = [{"role": "user", "content": "Who wrote about mutuals?"},
               {"role": "assistant", "content": "A councillor [1]."}]
    rag.answer("And why?", history=history, backend="openai")
    messages = server.requests[0]["json"]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[1]["content"] == "Who wrote about mutuals?"
    assert REFUSAL_PHRASE in messages[0]["content"]
    assert messages[-1]["content"].endswith("Question: And why?")


def test_passages_are_trimmed_by_rank_to_the_token_budget(rag_obj: RAG, server: FakeChatServer) -> None:
    budget = 256
    rag = make_rag(rag_obj, server.url, llm_context_tokens=budget)
    passages = rag.retrieve(QUESTION)
    server.script(Reply(pieces=[REFUSAL_PHRASE]), Reply(pieces=[REFUSAL_PHRASE]))
    rag.answer(QUESTION, backend="openai")
    sent = prompt_of(server).split("Passages:\n\n", 1)[1].split("\n\nQuestion: ", 1)[0]
    kept = [p for p in passages if p.text.strip() in sent]
    assert 1 <= len(kept) < len(passages)
    assert kept == passages[:len(kept)]  # the best ranked, in rank order
    assert count_tokens(sent) <= budget
    assert count_tokens(sent + "\n\n" + passage_block(len(kept) + 1, passages[len(kept)])) > budget
    assert sent.startswith("[1] ") and f"[{len(kept) + 1}] " not in sent

    roomy = make_rag(rag_obj, server.url)  # the default budget holds all k passages
    roomy.answer(QUESTION, backend="openai")
    assert all(p.text.strip() in prompt_of(server) for p in passages)


def test_a_top_passage_longer_than_the_budget_is_cut_not_dropped() -> None:
    long = Passage(doc_id="d", title="T", text="word " * 2000, start=0, end=10000, score=1.0)
    blocks = fit_passages([long, long], 300)
    assert len(blocks) == 1 and blocks[0].startswith("[1] T\n") and count_tokens(blocks[0]) <= 300


def test_refusal_detection() -> None:
    assert is_refusal(REFUSAL_PHRASE) and is_refusal("“the posts don’t answer this question”")
    assert is_refusal(f"{REFUSAL_PHRASE} The closest post is about housing.")
    assert not is_refusal("The posts do not answer this question fully, but “a mutual” [1] is mentioned.")
    assert not is_refusal("The councillor is “sceptical” [1].")


# -- failures


def failing_case(kind: str, server: FakeChatServer, hold: threading.Event) -> tuple[str, dict[str, Any], str]:
    """(base URL, setting overrides, text the error must contain) for one failure mode."""
    if kind == "refused":
        return closed_port_url(), {}, "Could not connect"
    if kind == "timeout":
        server.script(Reply(hold=hold, pieces=["late"]))
        return server.url, {"llm_timeout": 0.3}, "within 0.3 seconds"
    if kind == "401":
        server.script(Reply(status=401, error=f"Incorrect API key provided: {KEY}."))
        return server.url, {}, "rejected the API key (401)"
    if kind == "404":
        server.script(Reply(status=404, error=f"model '{MODEL}' not found"))
        return server.url, {}, f"no model '{MODEL}' (404)"
    if kind == "429":
        server.script(*[Reply(status=429, error="slow down", headers={"retry-after-ms": "1"})] * 3)
        return server.url, {"llm_max_retries": 2}, "rate limiting requests (429) (tried 3 times)"
    assert kind == "500"
    server.script(*[Reply(status=500, error="boom", headers={"retry-after-ms": "1"})] * 3)
    return server.url, {"llm_max_retries": 2}, "server error (500) (tried 3 times)"


@pytest.mark.parametrize("kind", ["refused", "timeout", "401", "404", "429", "500"])
def test_each_failure_is_a_clear_backend_error(kind: str, rag_obj: RAG, server: FakeChatServer) -> None:
    hold = threading.Event()  # keeps the server silent in the timeout case
    url, overrides, expected = failing_case(kind, server, hold)
    rag = make_rag(rag_obj, url, **overrides)
    try:
        with pytest.raises(BackendError) as caught:
            rag.answer(QUESTION, backend="openai")
    finally:
        hold.set()
    message = str(caught.value)
    assert expected in message
    assert KEY not in message and KEY not in "".join(traceback.format_exception(caught.value))
    if kind in ("429", "500"):
        assert len(server.requests) == 3  # retried twice


def test_a_rate_limit_is_retried_then_succeeds(rag_obj: RAG, server: FakeChatServer) -> None:
    rag = make_rag(rag_obj, server.url, llm_max_retries=2)
    server.script(Reply(status=429, error="slow down", headers={"retry-after-ms": "1"}),
                  Reply(pieces=[REFUSAL_PHRASE]))
    answer = rag.answer(QUESTION, backend="openai")
    assert answer.backend == "openai" and answer.text == REFUSAL_PHRASE
    assert len(server.requests) == 2


def test_a_stream_that_breaks_off_is_a_backend_error(rag_obj: RAG, server: FakeChatServer) -> None:
    rag = make_rag(rag_obj, server.url)
    server.script(Reply(pieces=["One ", "two"], drop_after=1))
    with pytest.raises(BackendError, match="broke off mid-answer"):
        rag.answer(QUESTION, backend="openai")


@pytest.mark.parametrize("finish", [None, "length"])
def test_an_unfinished_answer_is_not_passed_off_as_complete(finish: str | None, rag_obj: RAG,
                                                            server: FakeChatServer) -> None:
    rag = make_rag(rag_obj, server.url)
    server.script(Reply(pieces=["The councillor is"], finish=finish))
    if finish is None:  # the stream ended without saying it was done
        with pytest.raises(BackendError, match="ended before the answer was finished"):
            rag.answer(QUESTION, backend="openai")
    else:  # cut at the model's length limit: shown, with a notice
        answer = rag.answer(QUESTION, backend="openai")
        assert answer.text == "The councillor is" and "cut off" in (answer.notice or "")


def test_a_missing_model_name_is_a_clear_error(rag_obj: RAG, server: FakeChatServer) -> None:
    rag = make_rag(rag_obj, server.url)
    rag.settings = rag.settings.model_copy(update={"llm_model": None})
    with pytest.raises(BackendError, match="RAG_LLM_MODEL"):
        rag.answer(QUESTION, backend="openai")
    assert server.requests == []


def test_failure_falls_back_to_the_extractive_answer_with_a_notice(rag_obj: RAG) -> None:
    rag = make_rag(rag_obj, closed_port_url(), llm_fallback=True)
    answer = rag.answer(QUESTION, backend="openai")
    assert answer.backend == "extractive"
    assert answer.notice is not None
    assert "Could not connect" in answer.notice and "extractive" in answer.notice
    expected = rag_obj.answer(QUESTION, backend="extractive")
    assert (answer.text, answer.citations) == (expected.text, expected.citations)
    assert_exact(rag, answer)


def test_the_api_key_never_appears_in_errors_or_logs(rag_obj: RAG, server: FakeChatServer,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server.script(Reply(status=401, error=f"Incorrect API key provided: {KEY}."),
                  Reply(status=401, error=f"Incorrect API key provided: {KEY}."))
    strict = make_rag(rag_obj, server.url)
    with pytest.raises(BackendError) as caught:
        strict.answer(QUESTION, backend="openai")
    lenient = make_rag(rag_obj, server.url, llm_fallback=True)
    answer = lenient.answer(QUESTION, backend="openai")
    assert server.requests[0]["headers"]["authorization"] == f"Bearer {KEY}"  # it was sent...
    texts = [str(caught.value), repr(caught.value), "".join(traceback.format_exception(caught.value)),
             answer.notice or "", json.dumps(answer.to_dict()), caplog.text, repr(strict.settings),
             str(strict.settings), repr(strict.backend("openai"))]
    assert "rejected the API key" in texts[0] and "rejected the API key" in texts[3]
    assert {"openai._base_client", "rag.answering.openai"} <= {r.name for r in caplog.records}  # logs seen
    for text in texts:
        assert KEY not in text  # ...and shown nowhere


def test_the_key_comes_from_the_environment_too(rag_obj: RAG, server: FakeChatServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-123456")
    monkeypatch.setenv("OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("RAG_LLM_MODEL", "env-model")
    from rag.settings import Settings

    backend = OpenAIBackend(Settings())
    assert backend.model == "env-model" and backend.base_url == server.url
    server.script(Reply(pieces=[REFUSAL_PHRASE]))
    settings = rag_obj.settings.with_overrides(llm_model="env-model")
    rag = RAG(rag_obj.index, settings, embedder=rag_obj.embedder)
    rag.answer(QUESTION, backend="openai")
    assert server.requests[0]["headers"]["authorization"] == "Bearer sk-from-env-123456"
    assert server.requests[0]["json"]["model"] == "env-model"


@pytest.mark.skipif(not os.environ.get("RAG_TEST_OPENAI_BASE_URL"),
                    reason="set RAG_TEST_OPENAI_BASE_URL (and RAG_TEST_OPENAI_MODEL) to test a real server")
def test_a_real_server(rag_obj: RAG) -> None:
    """Opt-in: a real OpenAI-compatible server, e.g. Ollama on localhost. (pytest only allows
    loopback connections; a remote server also needs ``--allow-hosts``.)"""
    rag = make_rag(rag_obj, os.environ["RAG_TEST_OPENAI_BASE_URL"],
                   llm_model=os.environ.get("RAG_TEST_OPENAI_MODEL") or os.environ.get("RAG_LLM_MODEL"),
                   llm_api_key=os.environ.get("RAG_TEST_OPENAI_API_KEY") or KEY, llm_timeout=300.0)
    answer = rag.answer(QUESTION, backend="openai")
    assert answer.backend == "openai" and answer.text
    assert_exact(rag, answer)
    for c in answer.citations:
        assert f"[{c.marker}]" in answer.text


# -- plugged-in backends


ECHO_HINT = "the echo test plugin is not installed: run scripts/setup.sh test"


def test_an_entry_point_backend_is_listed_and_used(rag_obj: RAG) -> None:
    assert "echo" in available_backends(), ECHO_HINT
    assert available_backends()["echo"] == "rag_echo_backend:EchoBackend"
    backend = create_backend("echo", rag_obj.settings)
    assert backend.name == "echo"
    answer = rag_obj.answer(QUESTION, backend="echo")
    assert answer.backend == "echo" and answer.found
    assert answer.text.startswith(f"Echo: {QUESTION}")
    (citation,) = answer.citations
    assert citation.doc_id == answer.passages[0].doc_id
    assert_exact(rag_obj, answer)


def test_an_unknown_backend_names_the_available_ones(rag_obj: RAG) -> None:
    with pytest.raises(UnknownBackendError) as caught:
        rag_obj.answer(QUESTION, backend="nonesuch")
    message = str(caught.value)
    assert "'nonesuch'" in message
    for name in available_backends():
        assert name in message


def test_backends_are_made_cheaply(rag_obj: RAG) -> None:
    """Constructing a backend connects nowhere: the client is made on first use."""
    backend = create_backend("openai", rag_obj.settings.with_overrides(llm_base_url=closed_port_url()))
    assert isinstance(backend, OpenAIBackend) and backend._client is None

