"""The ``RAG`` object: question in, ``Answer`` out. The CLI, the app and scripts all use it.

Answering costs one embedding of the question, a FAISS search, a BM25 search and vector
arithmetic over stored sentence vectors; nothing is re-embedded at query time.
"""

from __future__ import annotations

import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.acronyms import spell_out

if TYPE_CHECKING:
    import numpy as np
from rag.answering import available_backends, create_backend
from rag.answering.base import AnswerBackend, BackendRun, Draft, DraftSection, GenerationRequest
from rag.answering.citations import answer_text, quote_citations
from rag.answering.store import AnswerStore
from rag.embedding import Embedder
from rag.errors import (
    BackendError,
    DocumentNotFoundError,
    EmptyQuestionError,
    IndexMissingError,
    QuestionTooLongError,
    QuestionTypeError,
    RagError,
    SettingsError,
    UnknownBackendError,
)
from rag.index import MANIFEST, Index, IndexBuilder, read_manifest
from rag.index.manifest import ForeignFormatError, check_index_location
from rag.index.search import RankFusion
from rag.lexical import with_other_names
from rag.question import (
    QuestionAnalysis,
    analyse,
    mend_cue_words,
    mend_question_word,
    question_parts,
    read_after,
)
from rag.retrieval import HybridRetriever
from rag.settings import Settings, load_settings
from rag.truecase import truecase
from rag.types import (
    MAX_PASSAGES,
    Answer,
    AnswerSection,
    AnswerType,
    Citation,
    Document,
    IndexStatus,
    Passage,
    Turn,
)


def clean_question(question: Any, max_chars: int) -> str:
    """A question fit to search with: HTML tags and control characters dropped, whitespace folded.
    Raises ``QuestionTypeError`` for a question that is not text, ``EmptyQuestionError`` for an empty
    one (or ``None``), ``QuestionTooLongError`` for one longer than ``max_chars`` (never cut silently:
    a cut question asks something else)."""
    if question is None:  # no question at all (an empty box)
        question = ""
    if not isinstance(question, str):
        raise QuestionTypeError(f"The question must be text, not {type(question).__name__}.")
    if "<" in question or "&" in question:
        question = _without_markup(question)
    chars = (" " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch for ch in question)
    text = " ".join("".join(ch for ch in chars if unicodedata.category(ch) not in {"Cf", "Cs", "Co"})
                    .split())
    if not text:
        raise EmptyQuestionError("Please ask a question: the question is empty.")
    if len(text) > max_chars:
        raise QuestionTooLongError(f"The question is too long ({len(text):,} characters): please ask it "
                                   f"in at most {max_chars:,} characters.")
    return text


def _without_markup(question: str) -> str:
    """HTML pasted with a question ("<b>Who</b> chairs...") as its text: tags and comments dropped,
    and what script and style elements hold, which is code and no part of the question. A "<" that
    opens no tag ("5 < 6") stays, and character references ("&amp;") are read."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(question, "html.parser")
    for element in soup(["script", "style", "noscript", "template"]):
        element.decompose()
    return soup.get_text(" ")


def passages_shown(k: Any) -> int:
    """``k`` as a number of passages to show: a whole number from 1 to ``MAX_PASSAGES``
    (``SettingsError`` if not)."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_PASSAGES:
        raise SettingsError(f"Invalid setting: k: the passages to show must be a whole number from 1 to "
                            f"{MAX_PASSAGES}, not {k!r}")
    return k


def as_turns(history: Any) -> tuple[Turn, ...]:
    """The conversation so far, oldest first, from any of: ``Turn`` records, {"role", "content"} dicts
    (Gradio's messages), (role, content) pairs, (question, answer) pairs (Gradio's older tuples),
    plain strings (earlier questions) or ``Answer`` objects (earlier answers). Anything else is
    left out, a history that is no sequence at all (a number) included."""
    turns: list[Turn] = []
    if isinstance(history, str):
        items: Sequence[Any] = [history]  # one earlier question
    elif isinstance(history, Iterable) and not isinstance(history, Mapping):
        items = list(history)
    else:
        items = []
    for item in items:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, Answer):
            turns += [Turn("user", item.question), Turn("assistant", item.text)]
        elif isinstance(item, str):
            if item.strip():
                turns.append(Turn("user", item))
        elif isinstance(item, dict):
            role, content = item.get("role"), item.get("content")
            if role in ("user", "assistant") and isinstance(content, str) and content.strip():
                turns.append(Turn(role, content))
        elif isinstance(item, Sequence) and len(item) == 2:
            first, second = item
            if first in ("user", "assistant"):
                turns.append(Turn("user" if first == "user" else "assistant", str(second)))
            elif isinstance(first, str) and first.strip():
                turns.append(Turn("user", first))
                if isinstance(second, str) and second.strip():
                    turns.append(Turn("assistant", second))
    return tuple(turns)


FOLLOW_UP_CHAIN = 3
"""A follow-up is read after the conversation's last question that stands on its own, with the
follow-ups asked since ("Who chairs the Commission on Ownership?" / "Who funds it?" / "And what will
it investigate?"), up to this many questions back."""


def read_in_context(question: str, history: tuple[Turn, ...]) -> tuple[str, QuestionAnalysis]:
    """What to search for, and the question's analysis, read after the previous questions of the
    conversation (``rag.question.read_after``): the last one that stands on its own and the
    follow-ups after it, within ``FOLLOW_UP_CHAIN`` questions."""
    asked = [t.content for t in history if t.role == "user"][-FOLLOW_UP_CHAIN:]
    if not asked:
        return read_after(question, None)
    start = max((i for i, q in enumerate(asked) if not analyse(q).follow_up), default=0)
    answered = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    return read_after(question, " ".join(asked[start:]), answered)


class Response:
    """A streamed answer, as ``RAG.stream`` returns it.

    Iterating yields the text pieces a backend produces as it writes (none for the extractive
    backend); ``answer()`` finishes the stream if needed and returns the final ``Answer``.
    """

    def __init__(self, run: Iterator[str | Answer]) -> None:
        self._run = run
        self._answer: Answer | None = None

    def __iter__(self) -> Iterator[str]:
        for item in self._run:
            if isinstance(item, Answer):
                self._answer = item
            else:
                yield item

    def answer(self) -> Answer:
        """The final answer (consumes whatever text pieces were not read)."""
        for _ in self:
            pass
        if self._answer is None:
            raise RagError("The answering backend gave no answer.")
        return self._answer


def _markers(aligned: Sequence[Citation | None], spans: Sequence[int]) -> tuple[int, ...]:
    """The markers of a section's spans (spans that could not be cited are left out)."""
    return tuple(c.marker for i in spans if i < len(aligned) and (c := aligned[i]) is not None)


def _holds(passage: Passage, span: Any) -> bool:
    return passage.doc_id == span.doc_id and passage.start < span.end and span.start < passage.end


class RAG:
    """A loaded index plus the model and a backend: the long-lived object to answer with."""

    def __init__(self, index: Index, settings: Settings | None = None, *,
                 embedder: Embedder | None = None) -> None:
        self.index = index
        self.settings = index.settings if settings is None else settings
        self.embedder = embedder or Embedder.from_settings(self.settings)
        self._backends: dict[str, AnswerBackend] = {}
        self._lock = threading.Lock()
        self._manifest_stamp = self._stamp()

    @classmethod
    def open(cls, index_dir: str | Path | None = None, **settings: Any) -> RAG:
        """The index at ``index_dir`` (default: as configured) with these settings changed.
        ``SettingsError`` for a setting without a valid value, ``UnknownBackendError`` for a backend
        no one registered, ``IndexMissingError`` when there is no index there yet."""
        cfg = load_settings(index_dir=index_dir, **settings)
        known = available_backends()
        if cfg.backend.strip().lower() not in known:
            raise UnknownBackendError(f"Unknown answering backend {cfg.backend!r}. Available backends: "
                                      f"{', '.join(sorted(known))}.")
        index = Index.open(cfg.index_dir, cfg)
        return cls(index, index.settings)

    # -- the index, reopened when a rebuild replaces it (a running app keeps answering)

    def _stamp(self) -> int:
        try:
            return (self.index.index_dir / MANIFEST).stat().st_mtime_ns
        except OSError:
            return 0

    def current_index(self) -> Index:
        """The index to answer from. After ``rag index`` has written a new generation, the next
        question opens it (a stat of manifest.json per question; the old one is deleted)."""
        stamp = self._stamp()
        if stamp != self._manifest_stamp:
            with self._lock:
                if stamp != self._manifest_stamp:
                    manifest = read_manifest(self.index.index_dir)
                    if manifest is not None and manifest.generation != self.index.manifest.generation:
                        self.index = Index.open(self.index.index_dir, self.settings)
                    self._manifest_stamp = stamp
        return self.index

    # -- stages

    def backend(self, name: str | None = None) -> AnswerBackend:
        key = (name or self.settings.backend).strip().lower()
        with self._lock:
            if key not in self._backends:
                self._backends[key] = create_backend(key, self.settings)
            return self._backends[key]

    def request(self, question: Any, *, history: Any = None, k: int | None = None) -> GenerationRequest:
        """What a backend is given for a question: the question read in context, its vector, and the
        retrieved passages (the ``k`` shown, then the next ranked up to ``sentence_pool``).
        Raises ``EmptyQuestionError`` for an empty question."""
        return self._request(question, history, k, analysed=True)

    def _request(self, question: Any, history: Any, k: int | None, *, analysed: bool) -> GenerationRequest:
        text = mend_cue_words(mend_question_word(clean_question(question, self.settings.max_question_chars)))
        index = self.current_index()
        text = spell_out(text, index)  # "the CDA" the posts call "the Co-operative Development Agency"
        turns = as_turns(history)
        analysis: QuestionAnalysis | None = None
        if analysed or any(t.role == "user" for t in turns):
            # "what did will hutton's commission..." is read with its names' capitals, asked as typed
            query, analysis = read_in_context(truecase(text, index), turns)
        else:  # retrieval alone: a question with nothing before it is searched as it stands
            query = text
        query = with_other_names(query)  # "the Tories" also searches for "Conservatives"
        # split as the backend splits it: as read, with the capitals the posts give its names
        parts = question_parts(analysis.text) if analysis is not None and not analysis.follow_up else ()
        # "..., and who funds it?": each part is ranked by its own words, embedded in the same pass
        part_texts = [parts[0], read_after(parts[1], parts[0])[0]] if len(parts) == 2 else []
        embedded, others = self.embedder.encode_query_and_texts(query, part_texts)
        vector = embedded.vector
        part_vectors: tuple[np.ndarray, ...] = tuple(others)

        retriever = HybridRetriever(index, candidates=self.settings.candidates,
                                    fusion=RankFusion.from_settings(self.settings))
        shown = self.settings.k if k is None else passages_shown(k)
        pool = retriever.run(query, vector, max(shown, self.settings.sentence_pool))
        return GenerationRequest(question=text, passages=tuple(pool[:shown]), history=turns,
                                 more_passages=tuple(pool[shown:]), query_vector=vector, store=index,
                                 analysis=analysis, query=query, query_embedding=embedded,
                                 part_vectors=part_vectors)

    def retrieve(self, question: str, k: int | None = None,
                 history: Sequence[Turn] | None = None) -> list[Passage]:
        """The passages hybrid search finds for a question, best first."""
        return list(self._request(question, history, k, analysed=False).passages)

    def stream(self, question: str, *, history: Sequence[Any] | None = None, k: int | None = None,
               backend: str | None = None) -> Response:
        """The answer as a ``Response``: iterate it for text pieces as a backend produces them (a
        generative backend streams; the extractive one yields none), then read ``.answer()``."""
        return Response(self._run(question, history, k, backend))

    def _run(self, question: str, history: Sequence[Any] | None, k: int | None,
             backend: str | None) -> Iterator[str | Answer]:
        request = self.request(question, history=history, k=k)
        index = request.store
        assert index is not None
        pool = list(request.passages + request.more_passages)
        shown = len(request.passages)
        assert request.analysis is not None
        chosen = self.backend(backend)
        notice = None
        run = BackendRun(chosen.run(request))
        try:
            yield from run
            draft = run.draft
        except BackendError as exc:
            if chosen.name == "extractive" or not self.settings.llm_fallback:
                raise
            notice = f"{exc} Showing the extractive answer instead."
            chosen = self.backend("extractive")
            draft = BackendRun(chosen.run(request)).finish()
        yield self._finish(request.question, draft, pool, shown, chosen.name, notice, index, request.analysis)

    def answer(self, question: str, *, history: Sequence[Any] | None = None, k: int | None = None,
               backend: str | None = None) -> Answer:
        """Answer a question with verbatim quoted citations (or an honest refusal)."""
        return self.stream(question, history=history, k=k, backend=backend).answer()

    def _finish(self, question: str, draft: Draft, pool: list[Passage], shown: int, backend: str,
                notice: str | None, index: AnswerStore, analysis: QuestionAnalysis) -> Answer:
        unverified: tuple[str, ...] = ()
        passages = pool[:shown]
        sections: tuple[AnswerSection, ...] = ()
        lead = draft.lead
        if draft.spans is not None:
            # a quote may come from a passage ranked below the k shown: show that passage too
            for span in draft.spans:
                if not any(_holds(p, span) for p in passages):
                    passages += [p for p in pool[shown:] if _holds(p, span)][:1]
            aligned = quote_citations(draft.spans, index.document)
            citations = [c for c in aligned if c is not None]
            found = draft.found and (bool(citations) or (bool(lead) and draft.kind == AnswerType.POST.value))
            if found:
                groups = draft.sections if draft.sections is not None else (
                    DraftSection(tuple(range(len(aligned)))),)
                sections = tuple(
                    AnswerSection(markers=markers, heading=g.heading, doc_id=g.doc_id, date=g.date)
                    for g in groups if (markers := _markers(aligned, g.spans)))
                text = answer_text(lead, sections, citations)
            else:
                citations = []
                text = draft.text
        else:
            from rag.answering.verify import verify_answer

            checked = verify_answer(draft.text, passages)
            text, citations, unverified = checked.text, checked.citations, tuple(checked.unverified)
            found = draft.found and bool(citations)  # an answer is "found" only when grounded in a quote
        return Answer(question=question, text=text, citations=tuple(citations), found=found,
                      passages=tuple(passages), backend=backend, unverified=tuple(unverified),
                      notice=notice or draft.notice, kind=draft.kind or analysis.answer_type.value,
                      lead=lead if draft.spans is not None else "", sections=sections,
                      missing=draft.missing, scope=draft.scope, confidence=draft.confidence)

    # -- lookups

    def document(self, doc_id: str) -> Document:
        doc = self.current_index().document(doc_id)
        if doc is None:
            raise DocumentNotFoundError(f"No document {doc_id!r} in the index.")
        return doc

    def status(self) -> IndexStatus:
        return self.current_index().status()


def load(index_dir: str | Path | None = None, backend: str | None = None, **settings: Any) -> RAG:
    """Open an index for repeated use: ``rag.load().answer("...")``; settings left out (``backend``
    too) are as configured."""
    return RAG.open(index_dir, backend=backend, **settings)


_default: RAG | None = None
_default_lock = threading.Lock()


def open_or_build(cfg: Settings, log: Callable[[str], None], **overrides: Any) -> RAG:
    """Open the index at ``cfg.index_dir``; if there is none yet, or it was written in another format,
    say so, build it, then open it."""
    try:
        return RAG.open(cfg.index_dir, **overrides)
    except IndexMissingError:
        check_index_location(Path(cfg.index_dir))  # a file or another folder: say so, build nothing
        log(f"No index in {cfg.index_dir}: building it from {cfg.corpus_dir} first.")
    except ForeignFormatError as exc:  # written by another version: the index is derived data
        log(f"The index in {cfg.index_dir} has format {exc.found}; this version reads format "
            f"{exc.expected}: rebuilding it from {cfg.corpus_dir} first.")
    IndexBuilder(cfg, log=log).run()
    return RAG.open(cfg.index_dir, **overrides)


def default_rag() -> RAG:
    """The default index, opened once per process; built first (with a message) if missing."""
    global _default
    with _default_lock:
        if _default is None:
            _default = open_or_build(load_settings(), lambda msg: print(msg, file=sys.stderr))
        return _default


def answer(question: str, **options: Any) -> Answer:
    """Answer a question from the default index (``from rag import answer``).

    Options: ``k``, ``backend``, ``history``.
    """
    return default_rag().answer(question, **options)
