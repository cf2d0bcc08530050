"""Errors the product raises on purpose. Each carries a message meant for a person to read."""

from __future__ import annotations


class RagError(Exception):
    """Base class: every error here has a message fit to show a user as-is."""


class QuestionError(RagError, ValueError):
    """The question cannot be asked as it is."""


class EmptyQuestionError(QuestionError):
    """The question is empty or only whitespace."""


class QuestionTypeError(QuestionError, TypeError):
    """The question is not text (a number, ``None``...)."""


class QuestionTooLongError(QuestionError):
    """The question is longer than ``Settings.max_question_chars``."""


class SettingsError(RagError, ValueError):
    """A setting (given by keyword or by a ``RAG_*`` environment variable) has no valid value."""


class CorpusError(RagError):
    """The corpus folder is missing or holds no readable documents."""


class IndexMissingError(RagError):
    """No index has been built at the given folder yet."""


class DocumentNotFoundError(RagError, KeyError):
    """No document with the given id is in the index."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


class IndexLocationError(RagError, ValueError):
    """The index folder given is a file, or a folder holding other files than an index's: building
    there would mix the index with them (a corpus folder given as ``--index``, a typo)."""


class IndexMismatchError(RagError):
    """The index was built with other settings (model, chunker, format) than those asked for."""


class IndexBusyError(RagError):
    """Another process is building the index right now."""


class BackendError(RagError):
    """An answering backend failed (unreachable service, bad key, unknown name...)."""


class UnknownBackendError(BackendError, ValueError):
    """No backend is registered under the requested name."""


class StoreUnavailableError(RagError):
    """The chunk store the index uses cannot be reached or is not installed (Qdrant)."""
