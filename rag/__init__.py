"""Question answering over a collection of posts, answering with verbatim quoted citations.

    from rag import answer
    result = answer("Who should control local libraries?")
    print(result.text)
    for c in result.citations:
        print(c.marker, c.title, c.quote)

Heavy libraries (torch, sentence-transformers, FAISS) load only when first needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rag.errors import (
    BackendError,
    CorpusError,
    DocumentNotFoundError,
    EmptyQuestionError,
    IndexBusyError,
    IndexLocationError,
    IndexMismatchError,
    IndexMissingError,
    QuestionError,
    QuestionTooLongError,
    QuestionTypeError,
    RagError,
    SettingsError,
    UnknownBackendError,
)
from rag.types import Answer, Citation, Document, IndexReport, Passage, Turn

if TYPE_CHECKING:
    from rag.pipeline import RAG
    from rag.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "RAG",
    "Answer",
    "BackendError",
    "Citation",
    "CorpusError",
    "Document",
    "DocumentNotFoundError",
    "EmptyQuestionError",
    "IndexBusyError",
    "IndexLocationError",
    "IndexMismatchError",
    "IndexMissingError",
    "IndexReport",
    "Passage",
    "QuestionError",
    "QuestionTooLongError",
    "QuestionTypeError",
    "RagError",
    "Settings",
    "SettingsError",
    "Turn",
    "UnknownBackendError",
    "answer",
    "build_index",
    "load",
]


def answer(question: str, **options: Any) -> Answer:
    """Answer from the default index (built first if missing). Options: k, backend, history."""
    from rag.pipeline import answer as _answer

    return _answer(question, **options)


def load(index_dir: Any = None, backend: str | None = None, **settings: Any) -> RAG:
    """Open an index for repeated use; see ``rag.pipeline.RAG``. Settings left out are as configured
    (``RAG_*`` variables, else the defaults), the backend too (``RAG_BACKEND``)."""
    from rag.pipeline import load as _load

    return _load(index_dir, backend=backend, **settings)


def build_index(corpus_dir: Any = None, index_dir: Any = None, **settings: Any) -> IndexReport:
    """Build or update an index; only new and changed documents are embedded."""
    from rag.index import build_index as _build

    return _build(corpus_dir, index_dir, **settings)


def __getattr__(name: str) -> Any:
    if name == "RAG":
        from rag.pipeline import RAG

        return RAG
    if name == "Settings":
        from rag.settings import Settings

        return Settings
    raise AttributeError(name)
