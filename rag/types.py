"""The small, frozen records that flow between the stages.

Offsets are always character offsets into ``Document.text``:
``document.text[x.start:x.end]`` is exactly the span's text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, Literal

MAX_PASSAGES = 100
"""The most passages a question may ask to be shown (``k``: settings, API and command line)."""


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
        """The post's name for people: its title, or a label made from what it states (never a file name)."""
        from rag.labels import post_label

        return post_label(self.title, self.url, self.text)


def _label(title: str | None, url: str | None) -> str:
    """A label from the post's title or site, for records made without one (the post's opening
    words are not at hand)."""
    from rag.labels import post_label

    return post_label(title, url, None)


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
    label: str = ""  # the post's name for people (see ``rag.labels``); given or not, never empty

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", _label(self.title, self.url))

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
    label: str = ""  # the post's name for people (see ``rag.labels``); given or not, never empty

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", _label(self.title, self.url))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class AnswerType(StrEnum):
    """What kind of answer a question asks for (see ``rag.question``)."""

    FACT = "fact"  # a fact of some type: a person, an organisation, a date, a number...
    REASON = "reason"  # why something is so
    LIST = "list"  # several items: conditions, examples, ways
    STANCE = "stance"  # what someone thinks, says or argues about something
    DEFINITION = "definition"  # what something is or means
    SUMMARY = "summary"  # the gist of a post
    COMPARISON = "comparison"  # how two or more posts, people or parties differ or agree
    POST = "post"  # about a post itself: when it was published, its title, its author


class FactType(StrEnum):
    """The type of a fact a question asks for (named-entity classes, coarse)."""

    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"
    DATE = "date"  # a date or a time
    NUMBER = "number"
    MONEY = "money"
    PERCENT = "percent"
    NAME = "name"  # a proper name of any kind ("what is the name of the stadium")
    OTHER = "other"


NAMED_TYPES = frozenset({FactType.PERSON, FactType.ORGANISATION, FactType.PLACE, FactType.NAME})
"""The fact types that are names of something (not dates, numbers or sums)."""


@dataclass(frozen=True, slots=True)
class AnswerSection:
    """Quotes shown together: one post's quotes (in a comparison or a summary), or all of an answer's.

    ``markers`` are the citations' markers, in the order they are shown."""

    markers: tuple[int, ...]
    heading: str | None = None  # the post's label when the answer is grouped by post
    doc_id: str | None = None
    date: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "markers": list(self.markers)}


@dataclass(frozen=True, slots=True)
class Answer:
    """What every interface returns: a structured answer, and the same as plain text.

    The structure: ``lead`` (one sentence in the product's own words, e.g. what the posts lack, or
    empty), then ``sections`` of quotes, each quote a ``Citation`` referred to by its marker. An answer
    written by a language model has no sections: its ``text`` is the model's prose with [n] markers,
    its quotations verified. ``text`` is the whole answer rendered as plain text with [n] markers,
    for a terminal or a chat history; interfaces render from the structure instead of parsing it.

    ``found`` is False for a refusal: then ``missing`` says what the posts lack (e.g. a name they
    never mention) and ``passages`` are the closest ones. ``unverified`` lists quotations a
    generative backend produced that could not be found in the posts; they are never citations.
    """

    question: str
    text: str
    citations: tuple[Citation, ...]
    found: bool
    passages: tuple[Passage, ...]
    backend: str = "extractive"
    unverified: tuple[str, ...] = ()
    notice: str | None = None  # e.g. "the language model was unreachable; showing the extractive answer"
    kind: str = AnswerType.FACT.value  # an ``AnswerType`` value: what the question asked for
    lead: str = ""
    sections: tuple[AnswerSection, ...] = ()
    missing: tuple[str, ...] = ()  # what the posts lack, for a refusal or a partial answer
    scope: str | None = None  # the document the question named ("the UNISON post"), if any
    confidence: float | None = None  # the backend's estimate (0–1) that the posts answer the question

    def citation(self, marker: int) -> Citation | None:
        """The citation shown as [marker], if any."""
        return next((c for c in self.citations if c.marker == marker), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "text": self.text,
            "found": self.found,
            "backend": self.backend,
            "kind": self.kind,
            "lead": self.lead,
            "sections": [s.to_dict() for s in self.sections],
            "missing": list(self.missing),
            "scope": self.scope,
            "confidence": self.confidence,
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
class IndexStatus:
    """What an index holds and how it was built, for ``rag status`` and the app."""

    documents: int
    chunks: int
    sentences: int
    model: str  # the embedding model, as configured
    index_kind: str  # the dense index kind: flat (exact), hnsw or ivf
    built_at: str | None  # when its current generation was written, ISO 8601
    path: str  # the index folder
    skipped: tuple[str, ...] = ()  # what the last build skipped: one warning per file or line, with why
    store: str = "faiss"  # what holds the chunk search: faiss (FAISS + bm25s) or qdrant
    embedding_backend: str = ""  # what ran the model at build time: onnx, onnx-int8 or torch
    sentence_vectors: str = ""  # how the sentence vectors were made: one-pass, independent, contextual


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


class SentenceRole(StrEnum):
    """What a sentence is in its post. Only body, lead-in and list-item sentences are quoted as
    answers; the others are read for questions about the post itself."""

    BODY = "body"
    LEAD_IN = "lead_in"  # ends with a colon: introduces what follows ("However:", "five conditions:")
    LIST_ITEM = "list_item"  # on a bulleted or numbered line
    TITLE = "title"  # the post's title as a line of its text
    DATELINE = "dateline"  # a line that is only a date ("Friday, June 04, 2010")
    BYLINE = "byline"  # "By Jane Smith", "Posted by ..."
    URL = "url"  # a bare link
    BOILERPLATE = "boilerplate"  # site furniture: "This article first appeared on ...", "No comments:"
    HEADING = "heading"  # a short line without a verb: a section heading or the site's name

    @property
    def quotable(self) -> bool:
        """Whether a sentence in this role can be quoted as (part of) an answer."""
        return self in (SentenceRole.BODY, SentenceRole.LEAD_IN, SentenceRole.LIST_ITEM)


ENTITY_TYPES: dict[str, FactType] = {
    "PERSON": FactType.PERSON,
    "WORK_OF_ART": FactType.NAME, "PRODUCT": FactType.NAME, "EVENT": FactType.NAME, "LAW": FactType.NAME,
    "ORG": FactType.ORGANISATION, "NORP": FactType.ORGANISATION,
    "GPE": FactType.PLACE, "LOC": FactType.PLACE, "FAC": FactType.PLACE,
    "DATE": FactType.DATE, "TIME": FactType.DATE,
    "CARDINAL": FactType.NUMBER, "QUANTITY": FactType.NUMBER,
    "MONEY": FactType.MONEY,
    "PERCENT": FactType.PERCENT,
}
"""spaCy's OntoNotes entity labels mapped to the fact types questions ask for."""


@dataclass(frozen=True, slots=True)
class EntitySpan:
    """A named entity: document offsets and its spaCy label (PERSON, ORG, DATE, CARDINAL...)."""

    start: int
    end: int
    label: str

    @property
    def fact_type(self) -> FactType | None:
        return ENTITY_TYPES.get(self.label)


@dataclass(frozen=True, slots=True)
class Sentence:
    """A stored sentence: ``document(doc_id).text[start:end] == text``; ``row`` orders sentences of a
    document by position (consecutive rows are neighbours within one document)."""

    row: int
    doc_id: str
    start: int
    end: int
    text: str
    role: SentenceRole = SentenceRole.BODY
    line: int = 0  # the sentence's line in its document (a paragraph, in these posts)
    entities: tuple[EntitySpan, ...] = ()

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """A post's metadata, for resolving "the UNISON post" or "the 2012 post" to a document."""

    doc_id: str
    title: str | None
    date: str | None
    url: str | None
    label: str
    head: str  # the first few hundred characters of the text (dateline, title line)
    author_roles: tuple[str, ...] = ()  # how the author describes themself: "councillor", "trade unionist"
