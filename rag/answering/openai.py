"""A generative backend for any OpenAI-compatible Chat Completions API (OpenAI, Ollama,
llama.cpp's server, vLLM...).

The model is shown the numbered passages and asked to answer only from them, quoting them
exactly and citing them as [n]. What it writes is streamed as it comes; the pipeline then
checks every quotation against the passages (``rag.answering.verify``), so an invented or
altered quote is never presented as a citation.

The ``openai`` package is imported on first use only, so the rest of ``rag`` never pays for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from rag.answering.base import Draft, GenerationRequest
from rag.chunking import count_tokens
from rag.errors import BackendError
from rag.settings import Settings
from rag.text import fold_quotes, fold_whitespace
from rag.types import Passage, Turn

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types.chat import ChatCompletionMessageParam

log = logging.getLogger(__name__)

REFUSAL_PHRASE = "The posts do not answer this question."
"""What the model must reply, word for word, when the passages do not answer the question."""

SYSTEM_PROMPT = f"""\
You answer questions about a collection of blog posts. You are given numbered passages \
from the posts, each with its post's title and date. Follow these rules:
- Answer only from the passages. Do not use any other knowledge.
- Support what you say with short quotations copied exactly, word for word, from the \
passages, in double quotation marks, each followed by the number of the passage it comes \
from in square brackets, like this: The author calls the scheme “a bold experiment” [2].
- Never change, shorten or join the words inside quotation marks, and never put in \
quotation marks anything that is not in the passages.
- Use only the passage numbers you were given.
- If the passages do not answer the question, reply with exactly this sentence and \
nothing else: {REFUSAL_PHRASE}
- Be brief: a few sentences."""
"""The system message: the rules the verifier then enforces."""

QUESTION_TEMPLATE = "Passages:\n\n{passages}\n\nQuestion: {question}"
"""The last user message: the passages that fit the budget, then the question."""

PASSAGE_TEMPLATE = "[{n}] {title}{date}\n{text}"
"""One passage as the model sees it; ``n`` is the number its marker must use."""

MAX_HISTORY_MESSAGES = 10
"""Earlier messages of the conversation sent along (the most recent ones), so follow-ups make sense
without the prompt growing without bound."""

TEMPERATURE = 0.0
"""Quoting is copying: no sampling creativity wanted."""

NO_KEY = "not-needed"
"""Sent when no key is configured: local servers (Ollama, llama.cpp) accept any key."""

DEFAULT_BASE_URL = "https://api.openai.com/v1"

LENGTH_NOTICE = "The language model's answer was cut off at its length limit."


def passage_block(n: int, passage: Passage) -> str:
    """Passage ``n`` (1-based) formatted for the prompt, with its title and date."""
    date = f" ({passage.date})" if passage.date else ""
    return PASSAGE_TEMPLATE.format(n=n, title=passage.label, date=date, text=passage.text.strip())


def fit_passages(passages: Sequence[Passage], budget: int) -> list[str]:
    """The prompt blocks of the best-ranked passages whose tiktoken count fits ``budget``.

    Passages are kept in rank order and the lowest ranked dropped, so the numbers the model
    sees stay the pipeline's passage numbers. The top passage is always kept (cut to the
    budget if it alone is too long): an answer needs at least one passage.
    """
    blocks: list[str] = []
    used = 0
    for n, passage in enumerate(passages, start=1):
        block = passage_block(n, passage)
        cost = count_tokens(block + "\n\n")
        if used + cost > budget:
            if not blocks:
                blocks.append(_cut(block, budget))
            break
        blocks.append(block)
        used += cost
    return blocks


def _cut(text: str, budget: int) -> str:
    from rag.chunking import _tiktoken

    encoding = _tiktoken()
    return encoding.decode(encoding.encode(text, disallowed_special=())[:budget])


def build_messages(question: str, passages: Sequence[Passage], history: Sequence[Turn],
                   budget: int) -> list[ChatCompletionMessageParam]:
    """System rules, the recent conversation, then the passages and the question."""
    messages: list[ChatCompletionMessageParam] = [{"role": "system", "content": SYSTEM_PROMPT}]
    for turn in list(history)[-MAX_HISTORY_MESSAGES:]:
        if turn.role == "user":
            messages.append({"role": "user", "content": turn.content})
        else:
            messages.append({"role": "assistant", "content": turn.content})
    blocks = fit_passages(passages, budget)
    messages.append({"role": "user", "content": QUESTION_TEMPLATE.format(
        passages="\n\n".join(blocks) if blocks else "(none)", question=question)})
    return messages


def is_refusal(text: str) -> bool:
    """True if the answer is the refusal phrase, or opens with it as a whole sentence (give or take
    case, quote marks and "don't"): "...this question fully, but" is an answer, not a refusal."""
    def key(s: str) -> str:
        folded = fold_whitespace(fold_quotes(s).strip(" \t\n\"'").lower())
        return folded.replace("don't", "do not").rstrip(".")

    answer, phrase = key(text), key(REFUSAL_PHRASE)
    return answer == phrase or answer.startswith(phrase + ".")


def _public_url(url: str) -> str:
    """The URL without any user:password part, fit for messages."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit(parts._replace(netloc=netloc))
    return url


class OpenAIBackend:
    """Answers with a language model behind an OpenAI-compatible API, streaming its text."""

    name = "openai"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.base_url = (self.settings.llm_base_url or DEFAULT_BASE_URL).rstrip("/")
        self.model = self.settings.llm_model
        key = self.settings.llm_api_key
        self._key = key.get_secret_value() if key is not None else None
        self._client: OpenAI | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OpenAIBackend(base_url={_public_url(self.base_url)!r}, model={self.model!r})"

    def unavailable(self) -> str | None:
        """What to set before this backend can answer here, or None (nothing is contacted)."""
        server = self.settings.llm_base_url
        if not server and not self._key:
            return "set OPENAI_BASE_URL or RAG_LLM_BASE_URL and RAG_LLM_MODEL (or OPENAI_API_KEY for OpenAI)"
        if not self.model:
            return "set RAG_LLM_MODEL"
        return None

    def client(self) -> OpenAI:
        """The API client, made on first use (the key goes to it and nowhere else)."""
        with self._lock:
            if self._client is None:
                import openai

                self._client = openai.OpenAI(base_url=self.base_url, api_key=self._key or NO_KEY,
                                             timeout=self.settings.llm_timeout,
                                             max_retries=self.settings.llm_max_retries)
            return self._client

    def run(self, request: GenerationRequest) -> Iterator[str | Draft]:
        if not self.model:
            raise BackendError("No language model is set for the 'openai' backend: set RAG_LLM_MODEL "
                               "(for example RAG_LLM_MODEL=llama3.1) or the llm_model setting.")
        messages = build_messages(request.question, request.passages, request.history,
                                  self.settings.llm_context_tokens)
        log.debug("asking %s at %s with %d messages", self.model, _public_url(self.base_url), len(messages))
        pieces: list[str] = []
        finish: str | None = None
        started = False
        try:
            stream = self.client().chat.completions.create(
                model=self.model, messages=messages, stream=True, temperature=TEMPERATURE)
            started = True
            try:
                for chunk in stream:
                    if not chunk.choices:
                        continue
                    choice = chunk.choices[0]
                    finish = choice.finish_reason or finish
                    if choice.delta and choice.delta.content:
                        pieces.append(choice.delta.content)
                        yield choice.delta.content
            finally:
                stream.close()
        except Exception as exc:
            error = self._error(exc, started)
            if error is None:
                raise
            raise error from None  # the cause may echo the key back from the server: not chained
        if finish is None:  # a close-delimited stream that broke off looks like one that ended
            raise BackendError(f"The stream from the language model server at {_public_url(self.base_url)} "
                               "ended before the answer was finished.")
        text = "".join(pieces).strip()
        if not text:
            raise BackendError(f"The language model {self.model!r} returned an empty answer.")
        notice = LENGTH_NOTICE if finish == "length" else None
        yield Draft(text=text, found=not is_refusal(text), spans=None, notice=notice)

    def _error(self, exc: Exception, started: bool = False) -> BackendError | None:
        """A BackendError with a message for people (and never the key) for an ``openai`` error."""
        import openai

        transport = type(exc).__module__.split(".")[0] in {"httpx", "httpx2", "httpcore"}
        if not isinstance(exc, openai.OpenAIError | ValueError) and not transport:
            return None  # a bug, not a failure of the service: let it show
        url = _public_url(self.base_url)
        server = f"The language model server at {url}"
        retries = self.settings.llm_max_retries
        tried = f" (tried {retries + 1} times)" if retries else ""
        # the client wraps transport errors while connecting; those met while streaming come raw
        started = started or transport
        timeout = isinstance(exc, openai.APITimeoutError) or "Timeout" in type(exc).__name__
        if started and timeout:
            message = (f"{server} stopped sending its answer for more than "
                       f"{self.settings.llm_timeout:g} seconds.")
        elif started and (transport or isinstance(exc, openai.APIConnectionError)):
            message = f"The connection to the language model server at {url} broke off mid-answer."
        elif isinstance(exc, ValueError):
            message = f"{server} sent a response that could not be read ({type(exc).__name__})."
        elif isinstance(exc, openai.APITimeoutError):
            message = (f"No answer from the language model server at {url} within "
                       f"{self.settings.llm_timeout:g} seconds{tried}: it may be overloaded or still "
                       "loading the model.")
        elif isinstance(exc, openai.APIConnectionError):
            message = (f"Could not connect to the language model server at {url}{tried}: is it running, "
                       "and is the URL right?")
        elif isinstance(exc, openai.AuthenticationError):
            message = f"{server} rejected the API key (401): check RAG_LLM_API_KEY or OPENAI_API_KEY."
        elif isinstance(exc, openai.PermissionDeniedError):
            message = f"{server} refused access (403): check the API key's permissions."
        elif isinstance(exc, openai.NotFoundError):
            message = (f"{server} has no model {self.model!r} (404): check RAG_LLM_MODEL, and that the "
                       "base URL ends in /v1.")
        elif isinstance(exc, openai.RateLimitError):
            message = f"{server} is rate limiting requests (429){tried}: try again later."
        elif isinstance(exc, openai.InternalServerError):
            message = f"{server} failed with a server error ({exc.status_code}){tried}."
        elif isinstance(exc, openai.APIStatusError):
            message = f"{server} refused the request ({exc.status_code})."
        else:
            message = f"The language model failed ({type(exc).__name__})."
        detail = self._detail(exc)
        if detail:
            message += f" The server said: {detail}"
        log.warning("%s", message)
        return BackendError(message)

    def _detail(self, exc: Exception) -> str:
        """The server's own error message, shortened, with the key blanked out."""
        body: Any = getattr(exc, "body", None)
        if isinstance(body, dict):
            body = body.get("message") or body.get("error") or ""
            if isinstance(body, dict):
                body = body.get("message") or ""
        text = " ".join(str(body or "").split())[:300]
        if self._key and len(self._key) >= 4:
            text = text.replace(self._key, "***")
        return text
