"""Building an index: incrementally (only new and changed documents are embedded) and crash-safely.

A build writes a new generation folder beside the current one and only then replaces
``manifest.json`` (atomic). A build that crashes or is killed leaves the previous generation and
manifest untouched. Unchanged documents (same content hash, same build settings) keep their rows
and vectors. One build at a time: a second one is refused (``IndexBusyError``).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from rag.annotate import annotate_many, author_roles
from rag.chunking import Budget, chunk_document, split_sentences
from rag.corpus import load_corpus
from rag.embedding import Embedder
from rag.errors import IndexBusyError
from rag.index import qdrant
from rag.index.bm25 import bm25_text, write_bm25
from rag.index.dense import resolve_kind, write_dense
from rag.index.manifest import (
    EMBEDDING_KEYS,
    LOCK,
    MANIFEST,
    STORE_KEYS,
    BuildSettings,
    Counts,
    ForeignFormatError,
    Manifest,
    check_index_location,
    read_manifest,
)
from rag.index.reader import Index, IndexedDocument
from rag.index.sparse import Lexicon
from rag.index.store import STORE_FILE, ChunkRecord, DocumentRecord, SentenceRecord, write_store
from rag.index.vectors import write_vectors
from rag.lexical import terms_of
from rag.settings import ChunkStore, IndexKind, SentenceVectors, Settings, load_settings
from rag.text import without_links
from rag.types import Chunk, Document, IndexReport, Span

EMBED_GROUP = 256  # chunks handed to the model per call (it sorts them by length inside)


class ChunkEmbedder(Protocol):
    """What the builder needs of an embedding model (``rag.embedding.Embedder`` is one)."""

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded (a build with nothing to embed never loads it)."""
        ...

    @property
    def max_seq_length(self) -> int:
        """Word pieces the model reads, special tokens included."""
        ...

    @property
    def content_limit(self) -> int:
        """Word pieces of text a chunk may have so the model reads all of it."""
        ...

    @property
    def count_model_tokens(self) -> Callable[[str], int]:
        """Counts the model's word pieces in a text (no special tokens)."""
        ...

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors of texts, shape (len(texts), dimension)."""
        ...

    def encode_chunks(self, texts: Sequence[str], sentence_spans: Sequence[Sequence[tuple[int, int]]],
                      mode: SentenceVectors = ...) -> tuple[np.ndarray, list[np.ndarray]]:
        """Normalised chunk vectors, shape (len(texts), dimension), and for each chunk the vectors
        of its (start, end) character spans, shape (len(spans), dimension)."""
        ...


def pool_chunk_vectors(sentence_vectors: np.ndarray, weights: np.ndarray, members: Sequence[Sequence[int]],
                       title: tuple[np.ndarray, float] | None = None) -> np.ndarray:
    """Chunk vectors composed from sentence vectors: for each chunk, the mean of its ``members``'
    vectors weighted by ``weights`` (words per sentence, so that the mean approximates the model's own
    mean pooling over tokens), plus an optional (vector, weight) for the title, normalised.
    ``sentence_vectors`` (sentences, dimension) normalised -> (len(members), dimension) float32."""
    out = np.empty((len(members), sentence_vectors.shape[1]), np.float32)
    for i, rows in enumerate(members):
        w = np.maximum(weights[list(rows)], 1.0)
        v = (sentence_vectors[list(rows)] * w[:, None]).sum(axis=0)
        if title is not None:
            v = v + title[0] * max(title[1], 1.0)
        out[i] = v / max(float(np.linalg.norm(v)), 1e-12)
    return out


class IndexBuilder:
    """Builds or updates the index at ``settings.index_dir``, from ``settings.corpus_dir`` or from
    documents handed to ``run``."""

    def __init__(self, settings: Settings, *, embedder: ChunkEmbedder | None = None,
                 log: Callable[[str], None] | None = None, progress: bool = False,
                 embed_group: int = EMBED_GROUP) -> None:
        """``embed_group``: chunks handed to the embedder per call (a batch job such as
        ``RayEmbedder`` takes them all at once)."""
        self.settings = settings
        self.embed_group = embed_group
        self.embedder: ChunkEmbedder = embedder or Embedder.from_settings(settings)
        self.log = log or (lambda _msg: None)
        self.progress = progress
        self.stage_seconds: dict[str, float] = {}
        """Seconds of the last build per stage: plan, chunk, embed (spaCy annotates meanwhile), records,
        store, vectors, then dense and bm25 (FAISS store) or lexicon and qdrant (Qdrant store), sync."""
        self._last_lap = 0.0

    def _lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stage_seconds[stage] = self.stage_seconds.get(stage, 0.0) + now - self._last_lap
        self._last_lap = now

    def run(self, *, rebuild: bool = False, documents: Iterable[Document] | None = None) -> IndexReport:
        """Build or update the index; returns what it did.

        ``documents``: index these instead of reading ``settings.corpus_dir`` (ids must be unique).
        ``rebuild``: re-embed everything. Raises ``IndexBusyError`` if another build holds the
        index, ``IndexLocationError`` if the index folder is a file or holds other files than an
        index's, ``CorpusError`` if the corpus holds no readable document, ``StoreUnavailableError``
        for the Qdrant store without qdrant-client.
        """
        from filelock import FileLock, Timeout

        if self.settings.store == ChunkStore.QDRANT:
            qdrant.qdrant_models()  # without qdrant-client, say so before embedding anything
        index_dir = Path(self.settings.index_dir)
        check_index_location(index_dir)
        created = not index_dir.exists()
        index_dir.mkdir(parents=True, exist_ok=True)
        try:
            with FileLock(str(index_dir / LOCK), timeout=0):
                return self._run(index_dir, rebuild, documents)
        except Timeout:
            raise IndexBusyError(
                f"Another build of {index_dir} is running; try again when it ends.") from None
        except BaseException:
            if created:  # a first build that failed (no corpus, Ctrl-C) leaves no empty index folder
                shutil.rmtree(index_dir, ignore_errors=True)
            raise

    def _run(self, index_dir: Path, rebuild: bool, documents: Iterable[Document] | None) -> IndexReport:
        started = time.perf_counter()
        self.stage_seconds, self._last_lap = {}, started
        if documents is None:
            loaded = load_corpus(self.settings.corpus_dir)
            docs, skipped = loaded.documents, tuple(loaded.warnings)
        else:
            docs, skipped = list(documents), ()
        for warning in skipped:
            self.log(f"warning: {warning}")

        old = None if rebuild else self._reusable(index_dir)
        old_hashes = old.document_hashes() if old else {}

        new_ids = {d.id for d in docs}
        added = [d.id for d in docs if d.id not in old_hashes]
        changed = [d.id for d in docs if d.id in old_hashes and old_hashes[d.id] != d.content_hash]
        unchanged = [d.id for d in docs if old_hashes.get(d.id) == d.content_hash]
        removed = sorted(set(old_hashes) - new_ids)
        self.log(f"Plan: {len(added)} added, {len(changed)} changed, {len(removed)} removed, "
                 f"{len(unchanged)} unchanged.")

        same_search = old is not None and old.kind == self._kind(old.chunk_count) and not (
            old.manifest.settings.mismatches(BuildSettings.of(self.settings), STORE_KEYS))
        if old and same_search and not (added or changed or removed):
            if old.manifest.skipped != skipped:  # the same documents, other files skipped
                old.manifest.model_copy(update={"skipped": skipped}).write(index_dir)
            old.close()
            self._clean(index_dir, keep=old.manifest.generation)  # leftovers of a killed build
            self.log("Index is up to date.")
            return IndexReport(unchanged=tuple(unchanged), chunks_total=old.chunk_count,
                               sentences_total=old.sentence_count, skipped=skipped,
                               seconds=time.perf_counter() - started, index_dir=str(index_dir))

        todo = [d for d in docs if d.id not in old_hashes or old_hashes[d.id] != d.content_hash]
        self._lap("plan")
        fresh = self._embed(todo)
        rows: list[IndexedDocument] = []
        for doc in docs:
            if doc.id in fresh:
                rows.append(fresh[doc.id])
            else:
                assert old is not None  # a document not embedded now is an unchanged one
                rows.append(old.stored(doc))
        n_chunks = sum(len(r.record.chunks) for r in rows)
        kind = self._kind(n_chunks)
        generation = self._write(index_dir, rows, kind, skipped)
        if old:
            old.close()
        self._clean(index_dir, keep=generation)
        report = IndexReport(
            added=tuple(added), changed=tuple(changed), removed=tuple(removed),
            unchanged=tuple(unchanged),
            chunks_embedded=sum(len(r.record.chunks) for r in fresh.values()),
            chunks_total=n_chunks, sentences_total=sum(len(r.record.sentences) for r in rows),
            skipped=skipped, seconds=time.perf_counter() - started,
            model_loaded=self.embedder.loaded, index_dir=str(index_dir))
        plural = "s" if len(docs) != 1 else ""
        self.log(f"Indexed {len(docs)} document{plural}: {n_chunks} chunks "
                 f"({report.chunks_embedded} embedded) in {report.seconds:.1f} s.")
        return report

    def _reusable(self, index_dir: Path) -> Index | None:
        """The current index, if it was built with these settings and can be read; else None (and why)."""
        try:
            manifest = read_manifest(index_dir)
        except ForeignFormatError as exc:
            self.log(f"Build settings changed (format {exc.found} → {exc.expected}): "
                     "re-embedding everything.")
            return None
        if manifest is None:
            return None
        wanted = BuildSettings.of(self.settings)
        reasons = manifest.settings.mismatches(wanted, EMBEDDING_KEYS)
        if reasons:
            self.log("Build settings changed (" + "; ".join(reasons) + "): re-embedding everything.")
            return None
        moved = manifest.settings.mismatches(wanted, STORE_KEYS)
        if moved:
            self.log("Chunk store changed (" + "; ".join(moved) + "): writing the search index anew from "
                     "the stored vectors.")
        try:
            return Index.open(index_dir, self.settings, check=False)
        except Exception as exc:
            self.log(f"The existing index could not be read ({exc}); rebuilding it.")
            return None

    def _kind(self, n_chunks: int) -> IndexKind:
        """The dense index kind the configured store builds for ``n_chunks``."""
        if self.settings.store == ChunkStore.QDRANT:
            return qdrant.resolve_kind(self.settings)
        return resolve_kind(self.settings, n_chunks)

    # -- chunking and embedding

    def chunk(self, doc: Document) -> tuple[list[Chunk], str]:
        """The document's chunks, and the prefix embedded before each (its title with
        ``title_in_embedding``, else ""): ``prefix + doc.text[c.start:c.end]`` is what the model reads,
        and fits it whole."""
        prefix = f"{doc.title}\n" if self.settings.title_in_embedding and doc.title else ""
        limit = self.embedder.content_limit - (self.embedder.count_model_tokens(prefix) if prefix else 0)
        budget = Budget(tokens=self.settings.chunk_tokens, overlap=self.settings.chunk_overlap,
                        model_tokens=max(limit, 8), count_model=self.embedder.count_model_tokens)
        return chunk_document(doc.id, doc.text, budget, split_sentences(doc.text)), prefix

    def _embed(self, docs: Sequence[Document]) -> dict[str, IndexedDocument]:
        if not docs:
            return {}
        plans: list[tuple[Document, list[Chunk], list[tuple[int, int]], str]] = []
        for doc in docs:
            chunks, prefix = self.chunk(doc)
            sentences = sorted({(s.start, s.end) for c in chunks for s in c.sentences})
            plans.append((doc, chunks, sentences, prefix))
        # one embedding job per chunk; each sentence is pooled from the first chunk holding it
        jobs: list[tuple[str, list[tuple[int, int]]]] = []
        owners: list[list[int]] = []  # per job: the sentence positions it pools
        for doc, chunks, sentences, prefix in plans:
            position = {span: i for i, span in enumerate(sentences)}
            done: set[int] = set()
            for chunk in chunks:
                mine = [position[(s.start, s.end)] for s in chunk.sentences
                        if position[(s.start, s.end)] not in done]
                done.update(mine)
                shift = len(prefix) - chunk.start
                spans = [(sentences[i][0] + shift, sentences[i][1] + shift) for i in mine]
                jobs.append((prefix + doc.text[chunk.start:chunk.end], spans))
                owners.append(mine)
        self._lap("chunk")
        # Roles and entities need only the text and the sentence spans: spaCy annotates on a second
        # thread while the model embeds (both release the GIL in their native code).
        stop = threading.Event()  # set when embedding fails or is interrupted (Ctrl-C): spaCy stops too
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="annotate")
        try:
            notes = pool.submit(annotate_many, [(doc.text, [Span(a, b) for a, b in sentences], doc.title)
                                                for doc, _chunks, sentences, _prefix in plans], stop=stop)
            if self.settings.sentence_vectors == SentenceVectors.ONE_PASS:
                chunk_vecs, sentence_parts = self._encode_one_pass(plans, owners)
            else:
                chunk_vecs, sentence_parts = self._encode(jobs)
            annotations = notes.result()
        except BaseException:
            stop.set()  # the worker returns after the document in hand, not after all of them
            raise
        finally:
            pool.shutdown(wait=True)
        self._lap("embed")  # and annotate, alongside
        dim = chunk_vecs.shape[1]

        result: dict[str, IndexedDocument] = {}
        job = 0
        for (doc, chunks, sentences, _prefix), note in zip(plans, annotations, strict=True):
            svec = np.zeros((len(sentences), dim), np.float32)
            first_job = job
            for _ in chunks:
                if owners[job]:
                    svec[owners[job]] = sentence_parts[job]
                job += 1
            local = {span: i for i, span in enumerate(sentences)}
            records = []
            for chunk in chunks:
                idx = [local[(s.start, s.end)] for s in chunk.sentences]
                records.append(ChunkRecord(chunk.start, chunk.end, min(idx), max(idx) + 1))
            record = DocumentRecord(
                doc, tuple(records),
                tuple(SentenceRecord.annotated(a, b, n) for (a, b), n in zip(sentences, note, strict=True)),
                author_roles=tuple(author_roles(doc.text)))
            result[doc.id] = IndexedDocument(record, chunk_vecs[first_job:job], svec)
        self._lap("records")
        return result

    def _encode_one_pass(self, plans: Sequence[tuple[Document, list[Chunk], list[tuple[int, int]], str]],
                         owners: Sequence[Sequence[int]]) -> tuple[np.ndarray, list[np.ndarray]]:
        """``_encode`` with one model pass: every sentence encoded once, on its own (without its links'
        path words), and each chunk's vector composed from its sentences' (``pool_chunk_vectors``)."""
        texts = [without_links(doc.text[a:b]) for doc, _chunks, sentences, _prefix in plans
                 for a, b in sentences]
        starts = np.cumsum([0] + [len(sentences) for _doc, _chunks, sentences, _prefix in plans])
        with_titles = self.settings.title_in_embedding
        vectors = self._encode_texts(texts + ([doc.title or "" for doc, *_ in plans] if with_titles else []))
        title_vectors = vectors[len(texts):]
        chunk_parts: list[np.ndarray] = []
        sentence_parts: list[np.ndarray] = []
        job_owners = iter(owners)
        for d, (doc, chunks, sentences, _prefix) in enumerate(plans):
            mine = vectors[starts[d]:starts[d + 1]]
            local = {span: i for i, span in enumerate(sentences)}
            members = [[local[(s.start, s.end)] for s in c.sentences] for c in chunks]
            weights = np.array([len(doc.text[a:b].split()) for a, b in sentences], np.float32)
            title = (title_vectors[d], float(len(doc.title.split()))) if with_titles and doc.title else None
            chunk_parts.append(pool_chunk_vectors(mine, weights, members, title))
            sentence_parts += [mine[list(next(job_owners))] for _ in chunks]
        return np.concatenate(chunk_parts), sentence_parts

    def _bar(self, total: int, unit: str) -> Any:
        """A progress bar on the terminal when asked for (``progress``), else None."""
        if not self.progress:
            return None
        from tqdm import tqdm

        return tqdm(total=total, unit=unit, desc="Embedding")

    def _encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        bar = self._bar(len(texts), "sentence")
        parts = []
        for lo in range(0, len(texts), self.embed_group * 8):
            parts.append(self.embedder.encode_texts(texts[lo:lo + self.embed_group * 8]))
            if bar:
                bar.update(len(parts[-1]))
        if bar:
            bar.close()
        return np.concatenate(parts)

    def _encode(self, jobs: Sequence[tuple[str, list[tuple[int, int]]]]
                ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Chunk vectors (len(jobs), dimension) and each job's sentence-span vectors, in job order."""
        chunk_parts: list[np.ndarray] = []
        sentence_parts: list[np.ndarray] = []
        bar = self._bar(len(jobs), "chunk")
        for lo in range(0, len(jobs), self.embed_group):
            group = jobs[lo:lo + self.embed_group]
            cvecs, svecs = self.embedder.encode_chunks([t for t, _ in group], [s for _, s in group],
                                                       self.settings.sentence_vectors)
            chunk_parts.append(cvecs)
            sentence_parts.extend(svecs)
            if bar:
                bar.update(len(group))
        if bar:
            bar.close()
        return np.concatenate(chunk_parts), sentence_parts

    # -- writing

    def _write(self, index_dir: Path, rows: list[IndexedDocument], kind: IndexKind,
               skipped: tuple[str, ...]) -> str:
        generation = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
        tmp = index_dir / f".tmp-{generation}"
        tmp.mkdir()
        dim = next((r.chunk_vectors.shape[1] for r in rows if len(r.chunk_vectors)), 0)
        chunk_vecs = np.concatenate([r.chunk_vectors for r in rows]).astype(np.float32)
        sent_vecs = np.concatenate([r.sentence_vectors for r in rows]).astype(np.float32)

        counts = write_store(tmp / STORE_FILE, (r.record for r in rows))
        self._lap("store")
        write_vectors(tmp, chunk_vecs, sent_vecs)
        self._lap("vectors")
        texts = [bm25_text(r.record.document, r.record.document.text[c.start:c.end])
                 for r in rows for c in r.record.chunks]
        if self.settings.store == ChunkStore.QDRANT:
            self._write_qdrant(tmp, generation, rows, chunk_vecs, texts)
        else:
            write_dense(tmp, chunk_vecs, kind, self.settings)
            self._lap("dense")
            write_bm25(tmp, texts)
            self._lap("bm25")

        for path in tmp.rglob("*"):
            if path.is_file():
                with open(path, "rb") as fh:
                    os.fsync(fh.fileno())
        os.replace(tmp, index_dir / generation)
        self._lap("sync")
        Manifest(
            generation=generation,
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            settings=BuildSettings.of(self.settings),
            dimension=int(dim),
            max_seq_length=self.embedder.max_seq_length,
            index_kind=kind,
            counts=Counts(documents=counts.documents, chunks=counts.chunks, sentences=counts.sentences),
            skipped=skipped,
        ).write(index_dir)
        return generation

    def _write_qdrant(self, folder: Path, generation: str, rows: list[IndexedDocument],
                      chunk_vecs: np.ndarray, texts: list[str]) -> None:
        """The Qdrant collection: dense vectors, BM25 sparse vectors over ``texts`` (one per chunk row,
        as bm25s would index them), payloads with each chunk's text and offsets; and ``lexicon.json``."""
        chunk_terms = terms_of(texts)
        lexicon = Lexicon.of(chunk_terms)
        lexicon.write(folder)
        sparse = [lexicon.document_vector(tokens) for tokens in chunk_terms]
        self._lap("lexicon")
        payloads: list[dict[str, Any]] = []
        for r in rows:
            doc = r.record.document
            payloads.extend({"row": len(payloads) + i, "doc_id": doc.id, "start": c.start, "end": c.end,
                             "text": doc.text[c.start:c.end]} for i, c in enumerate(r.record.chunks))
        if not self.settings.qdrant_url and len(payloads) > qdrant.LOCAL_LARGE:
            self.log(f"Qdrant's local mode holds all {len(payloads)} chunks in memory and searches them "
                     "by brute force; a Qdrant server (RAG_QDRANT_URL) is faster at this size.")
        qdrant.write_qdrant(folder, generation, chunk_vecs, sparse, payloads, self.settings)
        self._lap("qdrant")

    def _clean(self, index_dir: Path, keep: str) -> None:
        """Remove every generation but ``keep``, and what killed builds left half-written (with the
        Qdrant server collections they name)."""
        for path in index_dir.iterdir():
            if path.is_dir() and path.name != keep and (
                path.name.startswith("gen-") or path.name.startswith(".tmp-gen-")
            ):
                try:
                    qdrant.drop_collection(path, self.settings)
                except Exception as exc:  # the build is committed; the next one tries again
                    self.log(f"warning: could not delete the Qdrant collection of {path.name} ({exc}); "
                             "keeping the folder so the next build retries.")
                    continue
                shutil.rmtree(path, ignore_errors=True)
            elif path.is_file() and path.name.startswith(f".{MANIFEST}.") and path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)


def build_index(corpus_dir: str | Path | None = None, index_dir: str | Path | None = None, *,
                rebuild: bool = False, log: Callable[[str], None] | None = None,
                progress: bool = False, **settings: Any) -> IndexReport:
    """Build or update the index of ``corpus_dir`` in ``index_dir``; returns what it did."""
    overrides = {"corpus_dir": corpus_dir, "index_dir": index_dir, **settings}
    cfg = load_settings(**overrides)
    return IndexBuilder(cfg, log=log, progress=progress).run(rebuild=rebuild)
