"""What an answerer may read from the index: a narrow, typed protocol.

The extractive answerer needs the sentences of the retrieved passages and of whole posts, their
stored vectors and annotations (role, entities), term statistics, and the posts' metadata. Any
store that can serve these (the default FAISS + bm25s + SQLite index, or another) can stand
behind it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from rag.types import Document, DocumentInfo, Sentence


@runtime_checkable
class AnswerStore(Protocol):
    """Read access an answerer needs. Rows are the store's sentence rows; chunk rows are the
    ``Passage.row`` of retrieved passages."""

    def sentences_in_chunks(self, chunk_rows: Sequence[int]) -> list[Sentence]:
        """The distinct sentences of these chunks, ordered by row."""
        ...

    def chunk_sentence_rows(self, chunk_rows: Sequence[int]) -> dict[int, range]:
        """The sentence rows of each chunk row."""
        ...

    def sentences_at(self, rows: Sequence[int]) -> list[Sentence]:
        """The sentences at these rows, ordered by row."""
        ...

    def sentences_of_document(self, doc_id: str) -> list[Sentence]:
        """Every sentence of one document, in order."""
        ...

    def sentence_window(self, row: int, before: int, after: int) -> list[Sentence]:
        """Up to ``before`` sentences before ``row`` and ``after`` after it, within its document,
        in order (the sentence itself included)."""
        ...

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """Normalised float32 vectors, shape (len(rows), dim), in the order of ``rows``."""
        ...

    def document(self, doc_id: str) -> Document | None:
        ...

    def document_infos(self) -> Sequence[DocumentInfo]:
        """Every document's metadata (small: no text beyond ``head``)."""
        ...

    def term_idf(self, terms: Sequence[str]) -> dict[str, float]:
        """BM25 idf of each analysed term; a term absent from the posts gets the maximum idf."""
        ...

    def vocabulary(self) -> Mapping[str, int]:
        """Analysed term → id, for every term of the posts (membership tests, spelling correction)."""
        ...

    def search_lexical(self, text: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        """BM25 search: (chunk rows, scores), best first."""
        ...

    def chunk_doc_ids(self, chunk_rows: Sequence[int]) -> list[str]:
        """The document of each chunk row, in order."""
        ...
