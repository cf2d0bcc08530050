"""The index on disk: build it (incrementally, crash-safely) and open it for search.

Layout of an index folder::

    manifest.json     the commit point: format, build settings, which generation is current
    gen-<id>/         one complete build
        store.sqlite      documents (with text), chunks and sentences as offsets
        chunk_vectors.npy, sentence_vectors.npy   normalised float32 vectors
        dense.faiss       the FAISS index over chunk vectors
        bm25/             the BM25 index over chunk texts (bm25s)

A build writes a new generation beside the current one and only then replaces
``manifest.json`` (``os.replace``, atomic). A build that crashes or is killed leaves the
previous generation and manifest untouched. Unchanged documents (same content hash, same
build settings) keep their vectors: only new and changed documents are embedded.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag.annotate import EntitySpan, SentenceAnnotation, SentenceRole, annotate_many, author_roles
from rag.answering.store import DocumentInfo, Sentence
from rag.chunking import Budget, chunk_document, split_sentences
from rag.corpus import load_corpus
from rag.embedding import Embedder
from rag.errors import IndexBusyError, IndexMismatchError, IndexMissingError
from rag.labels import post_label
from rag.lexical import terms, terms_of
from rag.settings import IndexKind, Settings
from rag.types import Chunk, Document, IndexReport, Passage, Span

FORMAT_VERSION = 2
"""2: sentences carry a role, a line and entity spans; documents the author's self-descriptions."""
MANIFEST = "manifest.json"
LOCK = ".build.lock"
BUILD_KEYS = ("embedding_model", "chunk_tokens", "chunk_overlap", "title_in_embedding",
              "sentence_vectors", "embedding_backend")
"""Settings that change what is embedded: an index built with others cannot be reused."""
MANIFEST_DEFAULTS = {"embedding_backend": "torch"}
"""Build settings of indexes written before the setting existed (so they still open)."""

EMBED_GROUP = 256  # chunks handed to the model per call (it sorts them by length inside)

SCHEMA = """
CREATE TABLE documents (idx INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, title TEXT, date TEXT,
                        url TEXT, source TEXT, hash TEXT NOT NULL, text TEXT NOT NULL,
                        roles TEXT NOT NULL DEFAULT '[]');
CREATE TABLE chunks (row INTEGER PRIMARY KEY, doc_idx INTEGER NOT NULL, start INTEGER NOT NULL,
                     end INTEGER NOT NULL, sent_lo INTEGER NOT NULL, sent_hi INTEGER NOT NULL);
CREATE TABLE sentences (row INTEGER PRIMARY KEY, doc_idx INTEGER NOT NULL, start INTEGER NOT NULL,
                        end INTEGER NOT NULL, role TEXT NOT NULL DEFAULT 'body',
                        line INTEGER NOT NULL DEFAULT 0, entities TEXT NOT NULL DEFAULT '[]');
"""


INDEXES = """
CREATE INDEX chunks_by_doc ON chunks (doc_idx);
CREATE INDEX sentences_by_doc ON sentences (doc_idx);
"""
"""Made after the rows are in. An update reads an unchanged document's rows by doc_idx; without these,
each read scanned every row (an in-place update of 100k chunks did not finish in minutes)."""


def build_settings(settings: Settings) -> dict[str, Any]:
    return {key: str(getattr(settings, key)) if key in ("sentence_vectors", "embedding_backend")
            else getattr(settings, key) for key in BUILD_KEYS}


def built_settings(manifest: dict[str, Any]) -> dict[str, Any]:
    """The build settings an index was made with, including those older manifests leave out."""
    return {**MANIFEST_DEFAULTS, **manifest.get("settings", {})}


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    path = index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _write_atomic(path: Path, data: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _mismatch(manifest: dict[str, Any], settings: Settings, only: Iterable[str]) -> list[str]:
    built = built_settings(manifest)
    wanted = build_settings(settings)
    return [f"{k}: index has {built.get(k)!r}, asked for {wanted[k]!r}"
            for k in only if k in wanted and built.get(k) != wanted[k]]


AUTO_APPROXIMATE = IndexKind.HNSW
"""The approximate index ``auto`` picks above ``exact_search_max`` chunks. HNSW: at 100k chunks it answered
in 0.5 ms with recall@10 0.99 where IVF needed 3.7 ms for 0.97 (benchmarks/results); its slower build is
small beside embedding. IVF (``index_kind=ivf``) builds 10× faster and keeps its lists on disk."""
IVF_TRAIN_PER_LIST = 64  # k-means training points per IVF cell (faiss wants at least 39)


def resolve_kind(settings: Settings, n_chunks: int) -> IndexKind:
    if settings.index_kind != IndexKind.AUTO:
        return settings.index_kind
    return IndexKind.FLAT if n_chunks <= settings.exact_search_max else AUTO_APPROXIMATE


def ivf_lists(settings: Settings, n_vectors: int) -> int:
    """IVF cells for ``n_vectors``: ``settings.ivf_nlist``, or about 4·√n; never under 39 points a cell."""
    wanted = settings.ivf_nlist or int(4 * math.sqrt(n_vectors))
    return max(1, min(wanted, n_vectors // 39))


def build_dense(vectors: np.ndarray, kind: IndexKind, settings: Settings) -> Any:
    """The FAISS index of one kind over normalised vectors (inner product = cosine)."""
    import faiss

    n, dim = vectors.shape
    if kind == IndexKind.HNSW:
        dense = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        dense.hnsw.efConstruction = max(80, settings.hnsw_m * 4)
    elif kind == IndexKind.IVF:
        nlist = ivf_lists(settings, n)
        dense = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = vectors
        if n > nlist * IVF_TRAIN_PER_LIST:  # a seeded sample: the same corpus gives the same index
            picked = np.random.default_rng(0).choice(n, nlist * IVF_TRAIN_PER_LIST, replace=False)
            sample = vectors[np.sort(picked)]
        dense.train(np.ascontiguousarray(sample, np.float32))
    else:
        dense = faiss.IndexFlatIP(dim)
    dense.add(np.ascontiguousarray(vectors, np.float32))
    return dense


def open_dense(path: Path, kind: IndexKind, settings: Settings) -> Any:
    """Read a FAISS index memory-mapped (flat and HNSW vectors, IVF lists): pages load as searches
    touch them, and processes opening the same index share them."""
    import faiss

    mmap = faiss.IO_FLAG_MMAP if kind == IndexKind.IVF else faiss.IO_FLAG_MMAP_IFC
    index = faiss.read_index(str(path), mmap | faiss.IO_FLAG_READ_ONLY)
    if hasattr(index, "hnsw"):
        index.hnsw.efSearch = settings.hnsw_ef_search
    if hasattr(index, "nprobe"):
        index.nprobe = settings.ivf_nprobe
    return index


def bm25_text(doc: Document, chunk_text: str) -> str:
    return f"{doc.title}\n{chunk_text}" if doc.title else chunk_text


# --------------------------------------------------------------------------- building


@dataclass
class _DocRows:
    """One document's chunks and sentences (offsets) and vectors, ready to write."""

    doc: Document
    chunks: list[tuple[int, int, int, int]]  # start, end, first sentence, end sentence (local)
    sentences: list[tuple[int, int]]
    chunk_vectors: np.ndarray
    sentence_vectors: np.ndarray
    annotations: list[SentenceAnnotation]
    author_roles: list[str]


class IndexBuilder:
    """Builds or updates the index at ``settings.index_dir`` from ``settings.corpus_dir``."""

    def __init__(self, settings: Settings, *, embedder: Embedder | None = None,
                 log: Callable[[str], None] | None = None, progress: bool = False) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder.from_settings(settings)
        self.log = log or (lambda _msg: None)
        self.progress = progress
        self.stage_seconds: dict[str, float] = {}
        """Seconds of the last build per stage: plan, chunk, embed, store, vectors, dense, bm25, sync."""
        self._last_lap = 0.0

    def _lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + now - self._last_lap
        self._last_lap = now

    def run(self, *, rebuild: bool = False) -> IndexReport:
        from filelock import FileLock, Timeout

        index_dir = Path(self.settings.index_dir)
        index_dir.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(str(index_dir / LOCK), timeout=0):
                return self._run(index_dir, rebuild)
        except Timeout:
            raise IndexBusyError(
                f"Another build of {index_dir} is running; try again when it ends.") from None

    def _run(self, index_dir: Path, rebuild: bool) -> IndexReport:
        started = time.perf_counter()
        self.stage_seconds, self._last_lap = {}, started
        loaded = load_corpus(self.settings.corpus_dir)
        for warning in loaded.warnings:
            self.log(f"warning: {warning}")
        docs = loaded.documents

        manifest = read_manifest(index_dir)
        old: Index | None = None
        if manifest and not rebuild:
            reasons = []
            if manifest.get("format_version") != FORMAT_VERSION:
                reasons.append(f"format {manifest.get('format_version')} → {FORMAT_VERSION}")
            reasons += _mismatch(manifest, self.settings, BUILD_KEYS)
            if reasons:
                self.log("Build settings changed (" + "; ".join(reasons) + "): re-embedding everything.")
            else:
                try:
                    old = Index.open(index_dir, self.settings, check=False)
                except Exception as exc:
                    self.log(f"The existing index could not be read ({exc}); rebuilding it.")
        old_hashes = old.document_hashes() if old else {}

        new_ids = {d.id for d in docs}
        added = [d.id for d in docs if d.id not in old_hashes]
        changed = [d.id for d in docs if d.id in old_hashes and old_hashes[d.id] != d.content_hash]
        unchanged = [d.id for d in docs if old_hashes.get(d.id) == d.content_hash]
        removed = sorted(set(old_hashes) - new_ids)
        self.log(f"Plan: {len(added)} added, {len(changed)} changed, {len(removed)} removed, "
                 f"{len(unchanged)} unchanged.")

        same_kind = old is not None and old.kind == resolve_kind(self.settings, old.chunk_count)
        if old and same_kind and not (added or changed or removed):
            old.close()
            self._clean(index_dir, keep=old.manifest["generation"])  # leftovers of a killed build
            self.log("Index is up to date.")
            return IndexReport(unchanged=tuple(unchanged), chunks_total=old.chunk_count,
                               sentences_total=old.sentence_count, skipped=tuple(loaded.warnings),
                               seconds=time.perf_counter() - started, index_dir=str(index_dir))

        todo = [d for d in docs if d.id not in old_hashes or old_hashes[d.id] != d.content_hash]
        self._lap("plan")
        fresh = self._embed(todo)
        rows: list[_DocRows] = []
        for doc in docs:
            rows.append(fresh[doc.id] if doc.id in fresh else old._rows_of(doc))  # type: ignore[union-attr]
        n_chunks = sum(len(r.chunks) for r in rows)
        kind = resolve_kind(self.settings, n_chunks)
        generation = self._write(index_dir, rows, kind)
        if old:
            old.close()
        self._clean(index_dir, keep=generation)
        report = IndexReport(
            added=tuple(added), changed=tuple(changed), removed=tuple(removed),
            unchanged=tuple(unchanged), chunks_embedded=sum(len(r.chunks) for r in fresh.values()),
            chunks_total=n_chunks, sentences_total=sum(len(r.sentences) for r in rows),
            skipped=tuple(loaded.warnings), seconds=time.perf_counter() - started,
            model_loaded=self.embedder.loaded, index_dir=str(index_dir))
        self.log(f"Indexed {len(docs)} documents: {n_chunks} chunks ({report.chunks_embedded} embedded) "
                 f"in {report.seconds:.1f} s.")
        return report

    # -- embedding

    def _chunks_of(self, doc: Document) -> tuple[list[Chunk], str]:
        prefix = f"{doc.title}\n" if self.settings.title_in_embedding and doc.title else ""
        limit = self.embedder.content_limit - (self.embedder.count_model_tokens(prefix) if prefix else 0)
        budget = Budget(tokens=self.settings.chunk_tokens, overlap=self.settings.chunk_overlap,
                        model_tokens=max(limit, 8), count_model=self.embedder.count_model_tokens)
        return chunk_document(doc.id, doc.text, budget, split_sentences(doc.text)), prefix

    def _embed(self, docs: Sequence[Document]) -> dict[str, _DocRows]:
        if not docs:
            return {}
        plans: list[tuple[Document, list[Chunk], list[tuple[int, int]], str]] = []
        for doc in docs:
            chunks, prefix = self._chunks_of(doc)
            sentences = sorted({(s.start, s.end) for c in chunks for s in c.sentences})
            plans.append((doc, chunks, sentences, prefix))
        # one embedding job per chunk; each sentence is pooled from the first chunk holding it
        jobs: list[tuple[str, list[tuple[int, int]]]] = []
        owners: list[tuple[int, int, list[int]]] = []  # (plan, chunk, sentence indexes pooled)
        for p, (doc, chunks, sentences, prefix) in enumerate(plans):
            position = {span: i for i, span in enumerate(sentences)}
            done: set[int] = set()
            for c, chunk in enumerate(chunks):
                mine = [position[(s.start, s.end)] for s in chunk.sentences
                        if position[(s.start, s.end)] not in done]
                done.update(mine)
                shift = len(prefix) - chunk.start
                spans = [(sentences[i][0] + shift, sentences[i][1] + shift) for i in mine]
                jobs.append((prefix + doc.text[chunk.start:chunk.end], spans))
                owners.append((p, c, mine))
        self._lap("chunk")
        dim_vecs: list[np.ndarray] = []
        sent_out: list[list[np.ndarray]] = []
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=len(jobs), unit="chunk", desc="Embedding")
        for lo in range(0, len(jobs), EMBED_GROUP):
            group = jobs[lo:lo + EMBED_GROUP]
            cvecs, svecs = self.embedder.encode_chunks([t for t, _ in group], [s for _, s in group],
                                                       self.settings.sentence_vectors)
            dim_vecs.append(cvecs)
            sent_out.append(svecs)
            if bar:
                bar.update(len(group))
        if bar:
            bar.close()
        chunk_vecs = np.concatenate(dim_vecs)
        sent_lists = [v for group in sent_out for v in group]
        dim = chunk_vecs.shape[1]

        result: dict[str, _DocRows] = {}
        job = 0
        for doc, chunks, sentences, _prefix in plans:
            svec = np.zeros((len(sentences), dim), np.float32)
            first_vec = job
            for _ in chunks:
                _, _, mine = owners[job]
                if mine:
                    svec[mine] = sent_lists[job]
                job += 1
            local = {span: i for i, span in enumerate(sentences)}
            crow = []
            for chunk in chunks:
                idx = [local[(s.start, s.end)] for s in chunk.sentences]
                crow.append((chunk.start, chunk.end, min(idx), max(idx) + 1))
            result[doc.id] = _DocRows(doc, crow, sentences, chunk_vecs[first_vec:job], svec, [], [])
        self._lap("embed")
        notes = annotate_many((r.doc.text, [Span(a, b) for a, b in r.sentences], r.doc.title)
                              for r in result.values())
        for r, note in zip(result.values(), notes, strict=True):
            r.annotations = note
            r.author_roles = author_roles(r.doc.text)
        self._lap("annotate")
        return result

    # -- writing

    def _write(self, index_dir: Path, rows: list[_DocRows], kind: IndexKind) -> str:
        import faiss

        generation = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        tmp = index_dir / f".tmp-{generation}"
        tmp.mkdir()
        dim = next((r.chunk_vectors.shape[1] for r in rows if len(r.chunk_vectors)), 0)
        chunk_vecs = np.concatenate([r.chunk_vectors for r in rows]).astype(np.float32)
        sent_vecs = np.concatenate([r.sentence_vectors for r in rows]).astype(np.float32)

        db = sqlite3.connect(tmp / "store.sqlite")
        db.executescript(SCHEMA)
        chunk_rows, sent_rows = [], []
        sent_base = 0
        bm25_corpus: list[str] = []
        for doc_idx, r in enumerate(rows):
            d = r.doc
            db.execute("INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?)",
                       (doc_idx, d.id, d.title, d.date, d.url, d.source, d.content_hash, d.text,
                        json.dumps(r.author_roles)))
            for start, end, lo, hi in r.chunks:
                chunk_rows.append((len(chunk_rows), doc_idx, start, end, sent_base + lo, sent_base + hi))
                bm25_corpus.append(bm25_text(d, d.text[start:end]))
            for (start, end), note in zip(r.sentences, r.annotations, strict=True):
                ents = json.dumps([[e.start, e.end, e.label] for e in note.entities])
                sent_rows.append((len(sent_rows), doc_idx, start, end, str(note.role), note.line, ents))
            sent_base += len(r.sentences)
        db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?)", chunk_rows)
        db.executemany("INSERT INTO sentences VALUES (?,?,?,?,?,?,?)", sent_rows)
        db.executescript(INDEXES)
        db.commit()
        db.close()
        self._lap("store")

        np.save(tmp / "chunk_vectors.npy", chunk_vecs)
        np.save(tmp / "sentence_vectors.npy", sent_vecs)
        self._lap("vectors")
        faiss.write_index(build_dense(chunk_vecs, kind, self.settings), str(tmp / "dense.faiss"))
        self._lap("dense")

        import bm25s

        bm25 = bm25s.BM25()
        bm25.index(terms_of(bm25_corpus), show_progress=False)
        bm25.save(str(tmp / "bm25"), show_progress=False)
        self._lap("bm25")

        for path in tmp.rglob("*"):
            if path.is_file():
                with open(path, "rb") as fh:
                    os.fsync(fh.fileno())
        final = index_dir / generation
        os.replace(tmp, final)
        self._lap("sync")
        manifest = {
            "format_version": FORMAT_VERSION,
            "generation": generation,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "settings": build_settings(self.settings),
            "dimension": int(dim),
            "max_seq_length": self.embedder.max_seq_length,
            "index_kind": str(kind),
            "counts": {"documents": len(rows), "chunks": len(chunk_rows), "sentences": len(sent_rows)},
        }
        _write_atomic(index_dir / MANIFEST, json.dumps(manifest, indent=2))
        return generation

    @staticmethod
    def _clean(index_dir: Path, keep: str) -> None:
        """Remove every generation but ``keep``, and what killed builds left half-written."""
        for path in index_dir.iterdir():
            if path.is_dir() and path.name != keep and (
                path.name.startswith("gen-") or path.name.startswith(".tmp-gen-")
            ):
                shutil.rmtree(path, ignore_errors=True)
            elif path.is_file() and path.name.startswith(f".{MANIFEST}.") and path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)


def build_index(corpus_dir: str | Path | None = None, index_dir: str | Path | None = None, *,
                rebuild: bool = False, log: Callable[[str], None] | None = None,
                progress: bool = False, **settings: Any) -> IndexReport:
    """Build or update the index of ``corpus_dir`` in ``index_dir``; returns what it did."""
    overrides = {"corpus_dir": corpus_dir, "index_dir": index_dir, **settings}
    cfg = Settings().with_overrides(**overrides)
    return IndexBuilder(cfg, log=log, progress=progress).run(rebuild=rebuild)


# --------------------------------------------------------------------------- reading


def _entities(stored: str) -> tuple[EntitySpan, ...]:
    return tuple(EntitySpan(a, b, label) for a, b, label in json.loads(stored))


class Index:
    """An opened index generation: search, and look up chunks, sentences and documents."""

    def __init__(self, index_dir: Path, manifest: dict[str, Any], settings: Settings) -> None:
        self.index_dir = index_dir
        self.manifest = manifest
        self.settings = settings
        self.path = index_dir / manifest["generation"]
        self._local = threading.local()
        self._closed = False

    @classmethod
    def open(cls, index_dir: str | Path, settings: Settings | None = None, *,
             check: bool = True) -> Index:
        """Open the current generation. With ``check``, explicitly requested build settings
        that differ from the index's raise ``IndexMismatchError``."""
        settings = settings or Settings()
        index_dir = Path(index_dir)
        manifest = read_manifest(index_dir)
        if manifest is None or not (index_dir / manifest.get("generation", "?")).is_dir():
            raise IndexMissingError(
                f"No index found in {index_dir}. Build it with: rag index --index {index_dir}")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise IndexMismatchError(
                f"The index in {index_dir} has format {manifest.get('format_version')}, this version "
                f"reads format {FORMAT_VERSION}. Run: rag index --rebuild --index {index_dir}")
        if check:
            asked = [k for k in BUILD_KEYS if k in settings.model_fields_set]
            problems = _mismatch(manifest, settings, asked)
            if problems:
                raise IndexMismatchError(
                    f"The index in {index_dir} was built with other settings ({'; '.join(problems)}). "
                    f"Run: rag index --rebuild --index {index_dir}")
        # the index's own build settings win for everything it was built with
        settings = settings.with_overrides(**built_settings(manifest))
        return cls(index_dir, manifest, settings)

    # -- resources, opened lazily and shared between threads

    @property
    def db(self) -> sqlite3.Connection:
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = sqlite3.connect(f"file:{self.path / 'store.sqlite'}?mode=ro", uri=True,
                                   check_same_thread=False)
            self._local.db = conn
        return conn

    @cached_property
    def dense(self) -> Any:
        return open_dense(self.path / "dense.faiss", self.kind, self.settings)

    @cached_property
    def bm25(self) -> Any:
        import bm25s

        return bm25s.BM25.load(str(self.path / "bm25"), mmap=True, show_progress=False)

    @cached_property
    def sentence_vectors(self) -> np.ndarray:
        return np.load(self.path / "sentence_vectors.npy", mmap_mode="r")

    @cached_property
    def chunk_vectors(self) -> np.ndarray:
        return np.load(self.path / "chunk_vectors.npy", mmap_mode="r")

    @property
    def kind(self) -> IndexKind:
        return IndexKind(self.manifest.get("index_kind", "flat"))

    @property
    def chunk_count(self) -> int:
        return int(self.manifest["counts"]["chunks"])

    @property
    def sentence_count(self) -> int:
        return int(self.manifest["counts"]["sentences"])

    @property
    def document_count(self) -> int:
        return int(self.manifest["counts"]["documents"])

    def close(self) -> None:
        conn = getattr(self._local, "db", None)
        if conn is not None:
            conn.close()
            self._local.db = None

    # -- search

    def search_dense(self, query: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        n = min(n, self.chunk_count)
        scores, rows = self.dense.search(np.asarray(query, np.float32).reshape(1, -1), n)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def search_lexical(self, text: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        vocab = self.bm25.vocab_dict
        tokens = [t for t in terms(text) if t in vocab]
        if not tokens:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores = self.bm25.get_scores(tokens)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return top.astype(np.int64), scores[top].astype(np.float32)

    def idf(self, text: str) -> dict[str, float]:
        """BM25 idf of each (stemmed, stopword-free) term of ``text``; unknown terms get the max."""
        return self.term_idf(terms(text))

    # -- lookups

    def passages(self, rows: Sequence[int], scores: Sequence[float]) -> list[Passage]:
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
        return [tuple(r) for r in self.db.execute(
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

    def _rows_of(self, doc: Document) -> _DocRows:
        """An unchanged document's stored chunks, sentences and vectors, for reuse in a new build."""
        (idx,) = self.db.execute("SELECT idx FROM documents WHERE id = ?", (doc.id,)).fetchone()
        chunks = list(self.db.execute("SELECT row, start, end, sent_lo, sent_hi FROM chunks "
                                      "WHERE doc_idx = ? ORDER BY row", (idx,)))
        sents = list(self.db.execute("SELECT row, start, end, role, line, entities FROM sentences "
                                     "WHERE doc_idx = ? ORDER BY row", (idx,)))
        (roles,) = self.db.execute("SELECT roles FROM documents WHERE idx = ?", (idx,)).fetchone()
        base = sents[0][0] if sents else 0
        c_lo, c_hi = (chunks[0][0], chunks[-1][0] + 1) if chunks else (0, 0)
        s_hi = sents[-1][0] + 1 if sents else 0
        return _DocRows(
            doc=doc,
            chunks=[(s, e, lo - base, hi - base) for _, s, e, lo, hi in chunks],
            sentences=[(s, e) for _, s, e, *_ in sents],
            chunk_vectors=np.asarray(self.chunk_vectors[c_lo:c_hi]),
            sentence_vectors=np.asarray(self.sentence_vectors[base:s_hi]),
            annotations=[SentenceAnnotation(SentenceRole(role), line, _entities(ents))
                         for _, _, _, role, line, ents in sents],
            author_roles=json.loads(roles),
        )

    # -- the answerer's store (rag.answering.store.AnswerStore)

    _SENTENCE_SQL = ("SELECT s.row, d.id, s.start, s.end, substr(d.text, s.start + 1, s.end - s.start), "
                     "s.role, s.line, s.entities FROM sentences s JOIN documents d ON d.idx = s.doc_idx ")

    @staticmethod
    def _sentence(r: Sequence[Any]) -> Sentence:
        return Sentence(row=r[0], doc_id=r[1], start=r[2], end=r[3], text=r[4], role=SentenceRole(r[5]),
                        line=r[6], entities=_entities(r[7]))

    def sentences_in_chunks(self, chunk_rows: Sequence[int]) -> list[Sentence]:
        if not len(chunk_rows):
            return []
        marks = ",".join("?" * len(chunk_rows))
        ranges = list(self.db.execute(f"SELECT sent_lo, sent_hi FROM chunks WHERE row IN ({marks})",
                                      [int(r) for r in chunk_rows]))
        rows = sorted({r for lo, hi in ranges for r in range(lo, hi)})
        return self._sentences_by_rows(rows)

    def _sentences_by_rows(self, rows: Sequence[int]) -> list[Sentence]:
        out: list[Sentence] = []
        for lo in range(0, len(rows), 900):  # SQLite's limit on bound parameters
            part = rows[lo:lo + 900]
            marks = ",".join("?" * len(part))
            out += [self._sentence(r) for r in self.db.execute(
                self._SENTENCE_SQL + f"WHERE s.row IN ({marks}) ORDER BY s.row", list(part))]
        return out

    def sentences_of_document(self, doc_id: str) -> list[Sentence]:
        return [self._sentence(r) for r in self.db.execute(
            self._SENTENCE_SQL + "WHERE d.id = ? ORDER BY s.row", (doc_id,))]

    def sentence_window(self, row: int, before: int, after: int) -> list[Sentence]:
        near = [self._sentence(r) for r in self.db.execute(
            self._SENTENCE_SQL + "WHERE s.row BETWEEN ? AND ? ORDER BY s.row", (row - before, row + after))]
        here = next((s for s in near if s.row == row), None)
        return [s for s in near if here is not None and s.doc_id == here.doc_id]

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """Sentence vectors for ``rows``, read from the memory map in file order."""
        index = np.asarray(rows, np.int64)
        order = np.argsort(index)
        out = np.empty((len(index), self.sentence_vectors.shape[1]), np.float32)
        out[order] = self.sentence_vectors[index[order]]
        return out

    def document_infos(self) -> list[DocumentInfo]:
        infos = getattr(self, "_infos", None)
        if infos is None:
            infos = [DocumentInfo(doc_id=r[0], title=r[1], date=r[2], url=r[3],
                                  label=post_label(r[1], r[3], r[4]), head=r[4],
                                  author_roles=tuple(json.loads(r[5])))
                     for r in self.db.execute("SELECT id, title, date, url, substr(text, 1, 400), roles "
                                              "FROM documents ORDER BY idx")]
            self._infos = infos
        return infos

    def term_idf(self, tokens: Sequence[str]) -> dict[str, float]:
        """BM25 idf of analysed terms (as ``idf``, for terms already analysed)."""
        vocab = self.bm25.vocab_dict
        indptr = self.bm25.scores["indptr"]
        total = self.chunk_count
        out = {}
        for tok in tokens:
            tid = vocab.get(tok)
            df = int(indptr[tid + 1] - indptr[tid]) if tid is not None else 0
            out[tok] = float(np.log(1 + (total - df + 0.5) / (df + 0.5)))
        return out

    def vocabulary(self) -> dict[str, int]:
        return self.bm25.vocab_dict

    def chunk_doc_ids(self, chunk_rows: Sequence[int]) -> list[str]:
        if not len(chunk_rows):
            return []
        marks = ",".join("?" * len(chunk_rows))
        found = dict(self.db.execute("SELECT c.row, d.id FROM chunks c JOIN documents d ON d.idx = c.doc_idx "
                                     f"WHERE c.row IN ({marks})", [int(r) for r in chunk_rows]))
        return [found.get(int(r), "") for r in chunk_rows]

    def status(self) -> dict[str, Any]:
        """A short description for the UI and ``rag status``."""
        return {
            "documents": self.document_count,
            "chunks": self.chunk_count,
            "sentences": self.sentence_count,
            "model": self.manifest["settings"]["embedding_model"],
            "index_kind": str(self.kind),
            "built_at": self.manifest.get("built_at"),
            "path": str(self.index_dir),
        }
