"""The metadata store of one generation (SQLite): documents with their text, and their chunks and
sentences as character offsets into that text. All of the index's SQL lives here.

The builder hands the store one ``DocumentRecord`` per document, in order; the store numbers the
rows. Chunk row ``n`` is row ``n`` of the chunk vectors, the FAISS index and the BM25 index;
sentence row ``m`` is row ``m`` of the sentence vectors. A document's chunks and sentences take
consecutive rows.

To store something more per sentence, add a field to ``SentenceRecord`` and its column to
``SENTENCE_COLUMNS`` (same name, same order): the store writes it, reads it back, and carries it
over when an update reuses an unchanged document.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import Any

from rag.annotate import SentenceAnnotation
from rag.labels import post_label
from rag.types import Document, DocumentInfo, EntitySpan, Passage, Sentence, SentenceRole

STORE_FILE = "store.sqlite"
SENTENCE_CACHE = 200_000
"""Sentence records kept in memory per opened store (a few hundred bytes each), then started afresh."""


@dataclass(frozen=True, slots=True)
class SentenceRecord:
    """One sentence: ``[start, end)`` character offsets into its document's text, and its annotation
    (``rag.annotate``): role, line, and named entities as JSON ``[[start, end, label], ...]``."""

    start: int
    end: int
    role: str = SentenceRole.BODY.value
    line: int = 0
    entities: str = "[]"

    @classmethod
    def annotated(cls, start: int, end: int, note: SentenceAnnotation) -> SentenceRecord:
        return cls(start, end, note.role.value, note.line,
                   json.dumps([[e.start, e.end, e.label] for e in note.entities]))


SENTENCE_COLUMNS: dict[str, str] = {"start": "INTEGER NOT NULL", "end": "INTEGER NOT NULL",
                                    "role": "TEXT NOT NULL", "line": "INTEGER NOT NULL",
                                    "entities": "TEXT NOT NULL"}
"""The sentences table's columns after ``row`` and ``doc_idx``: one per ``SentenceRecord`` field."""


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """One chunk: ``[start, end)`` character offsets, and its sentences as a range of the document's
    sentence positions, ``[first_sentence, end_sentence)``."""

    start: int
    end: int
    first_sentence: int
    end_sentence: int


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """What the store keeps of one document."""

    document: Document
    chunks: tuple[ChunkRecord, ...]
    sentences: tuple[SentenceRecord, ...]
    author_roles: tuple[str, ...] = ()  # how the author describes themself ("councillor")


if tuple(SENTENCE_COLUMNS) != tuple(f.name for f in fields(SentenceRecord)):
    raise TypeError("SENTENCE_COLUMNS must name the fields of SentenceRecord, in order")


def _schema() -> str:
    sentence_columns = "".join(f", {name} {sql}" for name, sql in SENTENCE_COLUMNS.items())
    return f"""
CREATE TABLE documents (idx INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, title TEXT, date TEXT,
                        url TEXT, source TEXT, hash TEXT NOT NULL, text TEXT NOT NULL, roles TEXT NOT NULL);
CREATE TABLE chunks (row INTEGER PRIMARY KEY, doc_idx INTEGER NOT NULL, start INTEGER NOT NULL,
                     end INTEGER NOT NULL, sent_lo INTEGER NOT NULL, sent_hi INTEGER NOT NULL);
CREATE TABLE sentences (row INTEGER PRIMARY KEY, doc_idx INTEGER NOT NULL{sentence_columns});
"""


INDEXES = """
CREATE INDEX chunks_by_doc ON chunks (doc_idx);
CREATE INDEX sentences_by_doc ON sentences (doc_idx);
"""
"""Made after the rows are in. An update reads an unchanged document's rows by doc_idx; without these,
each read scanned every row (an in-place update of 100k chunks did not finish in minutes)."""

_SENTENCE_NAMES = ", ".join(SENTENCE_COLUMNS)
_SENTENCE_MARKS = ",".join("?" * (2 + len(SENTENCE_COLUMNS)))


@dataclass(frozen=True, slots=True)
class StoredCounts:
    documents: int
    chunks: int
    sentences: int


def write_store(path: Path, records: Iterable[DocumentRecord]) -> StoredCounts:
    """Write a new store at ``path`` holding ``records`` in order; returns how many rows of each kind."""
    db = sqlite3.connect(path)
    try:
        db.executescript(_schema())
        n_docs = n_chunks = n_sents = 0
        for doc_idx, record in enumerate(records):
            d = record.document
            db.execute("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?)",
                       (doc_idx, d.id, d.title, d.date, d.url, d.source, d.content_hash, d.text,
                        json.dumps(list(record.author_roles))))
            db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?)", [
                (n_chunks + i, doc_idx, c.start, c.end, n_sents + c.first_sentence, n_sents + c.end_sentence)
                for i, c in enumerate(record.chunks)])
            db.executemany(f"INSERT INTO sentences VALUES ({_SENTENCE_MARKS})",
                           [(n_sents + i, doc_idx, *astuple(s)) for i, s in enumerate(record.sentences)])
            n_docs, n_chunks = n_docs + 1, n_chunks + len(record.chunks)
            n_sents += len(record.sentences)
        db.executescript(INDEXES)
        db.commit()
    finally:
        db.close()
    return StoredCounts(n_docs, n_chunks, n_sents)


class Store:
    """A generation's store opened read-only; one SQLite connection per thread, opened on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._sentences: dict[int, Sentence] = {}  # sentence row -> record, filled as rows are read
        self._chunk_ranges: dict[int, range] = {}
        self._document_ranges: dict[str, range] = {}  # document id -> its sentence rows

    @property
    def db(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "db", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            self._local.db = conn
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "db", None)
        if conn is not None:
            conn.close()
            self._local.db = None

    def passages(self, rows: Sequence[int], scores: Sequence[float]) -> list[Passage]:
        """The chunks at ``rows`` as passages carrying ``scores``, in the order given; unknown rows are
        left out."""
        if not len(rows):
            return []
        marks = ",".join("?" * len(rows))
        found = {r[0]: r for r in self.db.execute(
            "SELECT c.row, c.start, c.end, d.id, d.title, d.date, d.url, d.source, "
            "substr(d.text, c.start + 1, c.end - c.start), substr(d.text, 1, 400) "
            f"FROM chunks c JOIN documents d ON d.idx = c.doc_idx WHERE c.row IN ({marks})",
            [int(r) for r in rows])}
        out = []
        for row, score in zip(rows, scores, strict=True):
            r = found.get(int(row))
            if r:
                out.append(Passage(doc_id=r[3], title=r[4], text=r[8], start=r[1], end=r[2],
                                   score=float(score), date=r[5], url=r[6], source=r[7], row=r[0],
                                   label=post_label(r[4], r[6], r[9])))
        return out

    def sentences_of(self, chunk_row: int) -> list[tuple[int, int, int]]:
        """(sentence row, start, end) of the sentences inside a chunk, in order."""
        lo, hi = self.db.execute("SELECT sent_lo, sent_hi FROM chunks WHERE row = ?",
                                 (int(chunk_row),)).fetchone()
        return [(r[0], r[1], r[2]) for r in self.db.execute(
            "SELECT row, start, end FROM sentences WHERE row >= ? AND row < ? ORDER BY row", (lo, hi))]

    def neighbour_sentence(self, sentence_row: int, step: int) -> tuple[int, int, int] | None:
        """The sentence just before (step=-1) or after (+1) in the same document, if any."""
        here = self.db.execute("SELECT doc_idx FROM sentences WHERE row = ?", (sentence_row,)).fetchone()
        other = self.db.execute("SELECT row, start, end, doc_idx FROM sentences WHERE row = ?",
                                (sentence_row + step,)).fetchone()
        if here and other and other[3] == here[0]:
            return other[0], other[1], other[2]
        return None

    def document(self, doc_id: str) -> Document | None:
        r = self.db.execute("SELECT id, text, title, date, url, source, hash FROM documents "
                            "WHERE id = ?", (doc_id,)).fetchone()
        return Document(*r) if r else None

    def document_slice(self, doc_id: str, start: int, end: int) -> str:
        """``document(doc_id).text[start:end]`` without loading the whole text."""
        row = self.db.execute("SELECT substr(text, ?, ?) FROM documents WHERE id = ?",
                              (start + 1, end - start, doc_id)).fetchone()
        return row[0] if row else ""

    def document_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM documents ORDER BY idx")]

    def document_hashes(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT id, hash FROM documents"))

    def record_of(self, doc: Document) -> tuple[DocumentRecord, range, range]:
        """A stored document's record, with the chunk rows and sentence rows it occupies."""
        (idx,) = self.db.execute("SELECT idx FROM documents WHERE id = ?", (doc.id,)).fetchone()
        chunks = list(self.db.execute("SELECT row, start, end, sent_lo, sent_hi FROM chunks "
                                      "WHERE doc_idx = ? ORDER BY row", (idx,)))
        sents = list(self.db.execute(f"SELECT row, {_SENTENCE_NAMES} FROM sentences WHERE doc_idx = ? "
                                     "ORDER BY row", (idx,)))
        (roles,) = self.db.execute("SELECT roles FROM documents WHERE idx = ?", (idx,)).fetchone()
        base = sents[0][0] if sents else 0
        record = DocumentRecord(
            document=doc,
            chunks=tuple(ChunkRecord(s, e, lo - base, hi - base) for _, s, e, lo, hi in chunks),
            sentences=tuple(SentenceRecord(*r[1:]) for r in sents),
            author_roles=tuple(json.loads(roles)),
        )
        chunk_rows = range(chunks[0][0], chunks[-1][0] + 1) if chunks else range(0)
        return record, chunk_rows, range(base, base + len(sents))

    # -- what the answerer reads (``rag.answering.store.AnswerStore``)

    _SENTENCE_SQL = ("SELECT s.row, d.id, s.start, s.end, substr(d.text, s.start + 1, s.end - s.start), "
                     "s.role, s.line, s.entities FROM sentences s JOIN documents d ON d.idx = s.doc_idx ")

    @staticmethod
    def _sentence(r: Sequence[Any]) -> Sentence:
        return Sentence(row=r[0], doc_id=r[1], start=r[2], end=r[3], text=r[4], role=SentenceRole(r[5]),
                        line=r[6], entities=entities_of(r[7]))

    def chunk_sentence_rows(self, chunk_rows: Sequence[int]) -> dict[int, range]:
        """The sentence rows of each chunk (cached: chunks never change within a generation)."""
        missing = [int(r) for r in chunk_rows if int(r) not in self._chunk_ranges]
        for lo in range(0, len(missing), 900):  # SQLite's default limit on bound parameters is 999
            part = missing[lo:lo + 900]
            marks = ",".join("?" * len(part))
            for row, first, end in self.db.execute(
                    f"SELECT row, sent_lo, sent_hi FROM chunks WHERE row IN ({marks})", part):
                self._chunk_ranges[row] = range(first, end)
        return {int(r): self._chunk_ranges[int(r)] for r in chunk_rows if int(r) in self._chunk_ranges}

    def sentences_in_chunks(self, chunk_rows: Sequence[int]) -> list[Sentence]:
        """The distinct sentences of these chunks, ordered by row."""
        ranges = self.chunk_sentence_rows(chunk_rows).values()
        return self.sentences_at(sorted({r for rows in ranges for r in rows}))

    def sentences_at(self, rows: Sequence[int]) -> list[Sentence]:
        """The sentences at these rows, ordered by row (rows that do not exist are left out). Sentences
        read once are kept (a generation never changes), so questions on the same passages cost no SQL."""
        cache = self._sentences
        missing = sorted({int(r) for r in rows if int(r) not in cache and r >= 0})
        if len(cache) + len(missing) > SENTENCE_CACHE:
            cache.clear()
        for lo in range(0, len(missing), 900):
            part = missing[lo:lo + 900]
            marks = ",".join("?" * len(part))
            for r in self.db.execute(self._SENTENCE_SQL + f"WHERE s.row IN ({marks})", part):
                cache[r[0]] = self._sentence(r)
        return [cache[r] for r in sorted({int(r) for r in rows}) if r in cache]

    def sentences_of_document(self, doc_id: str) -> list[Sentence]:
        """Every sentence of one document, in order (its rows are consecutive; read through the
        sentence cache, so asking again costs no SQL)."""
        rows = self._document_ranges.get(doc_id)
        if rows is None:
            lo, hi = self.db.execute("SELECT MIN(s.row), MAX(s.row) FROM sentences s JOIN documents d "
                                     "ON d.idx = s.doc_idx WHERE d.id = ?", (doc_id,)).fetchone()
            rows = self._document_ranges[doc_id] = range(lo, hi + 1) if lo is not None else range(0)
        return self.sentences_at(rows)

    def sentence_window(self, row: int, before: int, after: int) -> list[Sentence]:
        """Sentences around ``row`` within its document, in order (the sentence itself included)."""
        near = self.sentences_at(range(max(0, row - before), row + after + 1))
        here = next((s for s in near if s.row == row), None)
        return [s for s in near if here is not None and s.doc_id == here.doc_id]

    def document_infos(self) -> list[DocumentInfo]:
        """Every document's metadata and opening, in index order."""
        return [DocumentInfo(doc_id=r[0], title=r[1], date=r[2], url=r[3], label=post_label(r[1], r[3], r[4]),
                             head=r[4], author_roles=tuple(json.loads(r[5])))
                for r in self.db.execute("SELECT id, title, date, url, substr(text, 1, 400), roles "
                                         "FROM documents ORDER BY idx")]

    def chunk_doc_ids(self, chunk_rows: Sequence[int]) -> list[str]:
        """The document id of each chunk row, in order ("" for an unknown row)."""
        if not len(chunk_rows):
            return []
        marks = ",".join("?" * len(chunk_rows))
        found = dict(self.db.execute("SELECT c.row, d.id FROM chunks c JOIN documents d ON d.idx = c.doc_idx "
                                     f"WHERE c.row IN ({marks})", [int(r) for r in chunk_rows]))
        return [found.get(int(r), "") for r in chunk_rows]


def entities_of(stored: str) -> tuple[EntitySpan, ...]:
    """The entity spans a sentence row stores as JSON."""
    return tuple(EntitySpan(a, b, label) for a, b, label in json.loads(stored))
