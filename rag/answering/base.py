"""The one interface every answering backend implements.

A backend gets the question, the conversation so far and the numbered retrieved passages,
and yields its answer: text pieces as they are produced (for streaming), then one final
``Draft``. The pipeline turns the draft into an ``Answer`` whose citations are verified
verbatim spans of the posts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from rag.types import Passage, Turn

if TYPE_CHECKING:
    import numpy as np

    from rag.answering.store import AnswerStore
    from rag.embedding import QueryEmbedding
    from rag.question import QuestionAnalysis
    from rag.settings import Settings


@dataclass(frozen=True, slots=True)
class GenerationRequest:
    """Everything a backend may use. Passage n (1-based) is ``passages[n - 1]``."""

    question: str
    passages: tuple[Passage, ...]
    history: tuple[Turn, ...] = ()
    more_passages: tuple[Passage, ...] = ()  # the next-ranked candidates, for backends that read more
    query_vector: np.ndarray | None = field(default=None, repr=False)  # the embedded question
    store: AnswerStore | None = field(default=None, repr=False)  # sentences, vectors, term statistics
    analysis: QuestionAnalysis | None = None  # what the question asks for (rag.question)
    query: str | None = None  # what was searched for: the question, read with the previous one if a follow-up
    query_embedding: QueryEmbedding | None = field(default=None, repr=False)
    """``query``'s vector with its token embeddings: a part of it can be pooled without a model pass."""
    part_vectors: tuple[np.ndarray, ...] = field(default=(), repr=False)
    """For a compound question ("Who chairs it, and who funds it?"), each part's vector, the second
    read after the first (``rag.question.question_parts``, ``read_after``); () otherwise."""


@dataclass(frozen=True, slots=True)
class QuoteSpan:
    """A quote a backend took straight from the posts, with document offsets."""

    doc_id: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class DraftSection:
    """Quotes shown together: ``spans`` index ``Draft.spans``; a heading names their post."""

    spans: tuple[int, ...]
    heading: str | None = None
    doc_id: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Draft:
    """A backend's finished answer, before the pipeline makes it an ``Answer``.

    Two ways to cite:
    - ``spans`` given (extractive): the answer is ``lead`` and the quotes ``spans`` (exact
      offsets), shown in ``sections`` (one section of all quotes when None). ``text`` is used
      only for a refusal.
    - ``spans`` is None (generative): ``text`` is the answer, where marker [n] refers to passage
      n, and quotations are located in that passage by the verifier; unfound ones are unverified.

    ``kind`` is the answer type asked for; ``missing`` what the posts lack (a refusal's reason);
    ``scope`` the document the question named; ``confidence`` the backend's estimate (0–1) that
    the posts answer the question.
    """

    text: str
    found: bool
    spans: tuple[QuoteSpan, ...] | None = None
    notice: str | None = None
    lead: str = ""
    sections: tuple[DraftSection, ...] | None = None
    kind: str | None = None
    missing: tuple[str, ...] = ()
    scope: str | None = None
    confidence: float | None = None


@runtime_checkable
class AnswerBackend(Protocol):
    """An answering backend. Construct it cheaply; do expensive set-up on first use."""

    name: str

    def run(self, request: GenerationRequest) -> Iterator[str | Draft]:
        """Yield text pieces as they come (may be none), then exactly one ``Draft``, last."""
        ...


class BackendFactory(Protocol):
    """What the ``rag.backends`` entry-point group and the registry hold: usually the class."""

    def __call__(self, settings: Settings) -> AnswerBackend: ...


class BackendRun:
    """A backend's output taken apart once: iterate for its text pieces, then read ``draft``."""

    def __init__(self, output: Iterator[str | Draft]) -> None:
        self._output = output
        self._draft: Draft | None = None

    def __iter__(self) -> Iterator[str]:
        for piece in self._output:
            if isinstance(piece, Draft):
                self._draft = piece
            elif piece:
                yield piece

    @property
    def draft(self) -> Draft:
        """The final draft; ``BackendError`` if the backend ended without one."""
        if self._draft is None:
            from rag.errors import BackendError

            raise BackendError("The answering backend finished without an answer.")
        return self._draft

    def finish(self) -> Draft:
        """Run the backend to the end (for callers that do not stream) and return its draft."""
        for _ in self:
            pass
        return self.draft
