"""The small, frozen records that flow between the stages.

Offsets are always character offsets into ``Document.text``:
``document.text[x.start:x.end]`` is exactly the span's text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Document:
    """One post (or one JSONL record) with the metadata its own text states."""

    id: str
    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    source: str | None = None  # path relative to the corpus folder (plus ":line" for JSONL)
    content_hash: str = ""

    @property
    def label(self) -> str:
        """What to call the document when it has no title of its own."""
        return self.title or self.source or self.id


@dataclass(frozen=True, slots=True)
class Span:
    """A [start, end) character range of a document's text."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """A passage of consecutive sentences, the unit that is embedded and searched."""

    doc_id: str
    start: int
    end: int
    sentences: tuple[Span, ...]  # sentence spans lying inside [start, end)


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved chunk with its score and enough metadata to cite it."""

    doc_id: str
    title: str | None
    text: str
    start: int
    end: int
    score: float
    date: str | None = None
    url: str | None = None
    source: str | None = None
    row: int = -1  # the chunk's row in the index, for looking up its sentences

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Citation:
    """One verbatim quote: ``document(doc_id).text[start:end] == quote``."""

    marker: int
    quote: str
    doc_id: str
    title: str | None
    date: str | None
    url: str | None
    source: str | None
    start: int
    end: int
    score: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Answer:
    """What every interface returns: text with [n] markers, its citations, and whether it was found.

    ``unverified`` lists quotations a generative backend produced that could not be found
    in the cited passage; they are never presented as citations.
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    found: bool
    passages: tuple[Passage, ...]
    backend: str = "extractive"
    unverified: tuple[str, ...] = ()
    notice: str | None = None  # e.g. "the language model was unreachable; showing the extractive answer"

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "found": self.found,
            "backend": self.backend,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [p.to_dict() for p in self.passages],
            "unverified": list(self.unverified),
            "notice": self.notice,
        }


Role = Literal["user", "assistant"]


@dataclass(frozen=True, slots=True)
class Turn:
    """One message of the conversation so far."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What a build did, for the CLI to print and scripts to check."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    chunks_embedded: int = 0
    chunks_total: int = 0
    sentences_total: int = 0
    skipped: tuple[str, ...] = ()  # warnings about files or lines that were skipped
    seconds: float = 0.0
    model_loaded: bool = False
    index_dir: str = ""

    @property
    def nothing_changed(self) -> bool:
        return not (self.added or self.changed or self.removed)
