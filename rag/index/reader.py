"""An opened index: search (dense, BM25 and hybrid) and lookups (passages, sentences, documents).

Opening reads only the manifest; the store, the vectors and the chunk search (FAISS and BM25
memory-mapped, or the Qdrant collection) open on first use and are shared by all threads (the store
keeps one SQLite connection per thread).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import IndexLocationError, IndexMismatchError, IndexMissingError
from rag.index.manifest import BUILD_KEYS, BuildSettings, Manifest, check_index_location, read_manifest
from rag.index.search import (
    ChunkSearch,
    FaissSearch,
    RankFusion,
    Ranking,
    best_sentence_ranking,
    reciprocal_rank_fusion,
)
from rag.index.store import STORE_FILE, DocumentRecord, Store
from rag.index.vectors import CHUNK_VECTORS, SENTENCE_VECTORS, open_vectors
from rag.lexical import terms
from rag.settings import ChunkStore, IndexKind, Settings
from rag.types import Document, DocumentInfo, IndexStatus, Passage, Sentence


@dataclass(frozen=True)
class IndexedDocument:
    """One document as an index holds it: its store record and its vectors, rows in record order."""

    record: DocumentRecord
    chunk_vectors: np.ndarray  # (chunks, dimension)
    sentence_vectors: np.ndarray  # (sentences, dimension)


class Index:
    """An opened index generation: search, and look up chunks, sentences and documents."""

    def __init__(self, index_dir: Path, manifest: Manifest, settings: Settings) -> None:
        self.index_dir = index_dir
        self.manifest = manifest
        self.settings = settings
        self.path = index_dir / manifest.generation
        self.store = Store(self.path / STORE_FILE)

    @classmethod
    def open(cls, index_dir: str | Path, settings: Settings | None = None, *,
             check: bool = True) -> Index:
        """Open the current generation. With ``check``, explicitly requested build settings
        that differ from the index's raise ``IndexMismatchError``; no index raises ``IndexMissingError``."""
        settings = settings or Settings()
        index_dir = Path(index_dir)
        manifest = read_manifest(index_dir)
        if manifest is None or not (index_dir / manifest.generation).is_dir():
            try:
                check_index_location(index_dir)
            except IndexLocationError as exc:  # building there would be refused too: say why
                raise IndexMissingError(f"No index found in {index_dir}, and none can be built there: {exc}"
                                        ) from None
            raise IndexMissingError(
                f"No index found in {index_dir}. Build it with: rag index --index {index_dir}")
        if check:
            asked = [k for k in BUILD_KEYS if k in settings.model_fields_set]
            problems = manifest.settings.mismatches(BuildSettings.of(settings), asked)
            if problems:
                raise IndexMismatchError(
                    f"The index in {index_dir} was built with other settings ({'; '.join(problems)}). "
                    f"Run: rag index --rebuild --index {index_dir}")
        # the index's own build settings win for everything it was built with
        settings = settings.with_overrides(**manifest.settings.model_dump())
        return cls(index_dir, manifest, settings)

    # -- resources, opened lazily and shared between threads

    @cached_property
    def chunk_search(self) -> ChunkSearch:
        """The chunk search of the store that built the index: FAISS + bm25s, or Qdrant (imported only
        then; ``StoreUnavailableError`` without qdrant-client)."""
        built = self.manifest.settings
        if built.store == ChunkStore.QDRANT:
            from rag.index.qdrant import QdrantSearch

            return QdrantSearch(self.path, self.manifest.generation, built.qdrant_url, self.settings)
        return FaissSearch(self.path, self.kind, self.chunk_count, self.settings)

    @property
    def dense(self) -> Any:
        """The FAISS index (memory-mapped) of an index built with the FAISS store."""
        return self._faiss().dense

    @property
    def bm25(self) -> Any:
        """The bm25s index (memory-mapped) of an index built with the FAISS store."""
        return self._faiss().bm25

    def _faiss(self) -> FaissSearch:
        search = self.chunk_search
        if not isinstance(search, FaissSearch):
            raise IndexMismatchError(f"The index in {self.index_dir} was built with the "
                                     f"{self.manifest.settings.store} store, not FAISS.")
        return search

    @cached_property
    def sentence_vectors(self) -> np.ndarray:
        return open_vectors(self.path, SENTENCE_VECTORS)

    @cached_property
    def chunk_vectors(self) -> np.ndarray:
        return open_vectors(self.path, CHUNK_VECTORS)

    @property
    def kind(self) -> IndexKind:
        return self.manifest.index_kind

    @property
    def chunk_count(self) -> int:
        return self.manifest.counts.chunks

    @property
    def sentence_count(self) -> int:
        return self.manifest.counts.sentences

    @property
    def document_count(self) -> int:
        return self.manifest.counts.documents

    def close(self) -> None:
        self.store.close()
        if "chunk_search" in self.__dict__:
            self.chunk_search.close()

    # -- search

    def search_dense(self, query: np.ndarray, n: int) -> Ranking:
        """Chunk rows nearest to a normalised query vector, and their cosines, best first."""
        return self.chunk_search.search_dense(query, n)

    def search_lexical(self, text: str, n: int) -> Ranking:
        """Chunk rows best matching ``text`` by BM25, and their scores, best first."""
        return self.chunk_search.search_lexical(text, n)

    def search_hybrid(self, text: str, query: np.ndarray, n: int, fusion: RankFusion
                      ) -> list[tuple[int, float]]:
        """Up to ``n`` chunk rows from each of dense and BM25 search, fused by reciprocal rank:
        (row, fused score), best first. FAISS fuses here; Qdrant fuses in its query API. With a
        ``fusion.sentence_weight``, the candidates' best-sentence ranking joins the fusion (both
        stores then fuse here: dense search always runs, as it feeds the candidates)."""
        if fusion.sentence_weight <= 0:
            return self.chunk_search.search_hybrid(text, query, n, fusion)
        dense = self.search_dense(query, n)[0].tolist()
        lexical = self.search_lexical(text, n)[0].tolist() if fusion.lexical_weight > 0 else []
        candidates = list(dict.fromkeys(dense + lexical))
        ranges = self.chunk_sentence_rows(candidates)
        rows = sorted({r for span in ranges.values() for r in span})
        cosines = dict(zip(rows, (self.vectors_of(rows) @ query).tolist(), strict=True)) if rows else {}
        rankings: list[tuple[Sequence[int], float]] = [
            (best_sentence_ranking(candidates, ranges, cosines), fusion.sentence_weight)]
        if fusion.dense_weight > 0:
            rankings.append((dense, fusion.dense_weight))
        if lexical:
            rankings.append((lexical, fusion.lexical_weight))
        return reciprocal_rank_fusion(rankings, fusion.k)

    def idf(self, text: str) -> dict[str, float]:
        """BM25 idf of each (stemmed, stopword-free) term of ``text``; unknown terms get the max."""
        return self.term_idf(terms(text))

    # -- lookups

    def passages(self, rows: Sequence[int], scores: Sequence[float]) -> list[Passage]:
        """The chunks at ``rows`` as passages carrying ``scores``, in the order given."""
        return self.store.passages(rows, scores)

    def sentences_of(self, chunk_row: int) -> list[tuple[int, int, int]]:
        """(sentence row, start, end) of the sentences inside a chunk, in order."""
        return self.store.sentences_of(chunk_row)

    def neighbour_sentence(self, sentence_row: int, step: int) -> tuple[int, int, int] | None:
        """The sentence just before (step=-1) or after (+1) in the same document, if any."""
        return self.store.neighbour_sentence(sentence_row, step)

    def document(self, doc_id: str) -> Document | None:
        return self.store.document(doc_id)

    def document_slice(self, doc_id: str, start: int, end: int) -> str:
        """``document(doc_id).text[start:end]`` without loading the whole text."""
        return self.store.document_slice(doc_id, start, end)

    def document_ids(self) -> list[str]:
        return self.store.document_ids()

    def document_hashes(self) -> dict[str, str]:
        """Each document's content hash, by id."""
        return self.store.document_hashes()

    def stored(self, doc: Document) -> IndexedDocument:
        """What the index holds of ``doc`` (stored under its id), for reuse by a new build."""
        record, chunk_rows, sentence_rows = self.store.record_of(doc)
        return IndexedDocument(
            record=record,
            chunk_vectors=np.asarray(self.chunk_vectors[chunk_rows.start:chunk_rows.stop]),
            sentence_vectors=np.asarray(self.sentence_vectors[sentence_rows.start:sentence_rows.stop]),
        )

    # -- what the answerer reads (``rag.answering.store.AnswerStore``)

    def sentences_in_chunks(self, chunk_rows: Sequence[int]) -> list[Sentence]:
        return self.store.sentences_in_chunks(chunk_rows)

    def sentences_of_document(self, doc_id: str) -> list[Sentence]:
        return self.store.sentences_of_document(doc_id)

    def chunk_sentence_rows(self, chunk_rows: Sequence[int]) -> dict[int, range]:
        return self.store.chunk_sentence_rows(chunk_rows)

    def sentences_at(self, rows: Sequence[int]) -> list[Sentence]:
        return self.store.sentences_at(rows)

    def sentence_window(self, row: int, before: int, after: int) -> list[Sentence]:
        return self.store.sentence_window(row, before, after)

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """Sentence vectors for ``rows`` (float32, (len(rows), dimension)), read in file order."""
        index = np.asarray(rows, np.int64)
        order = np.argsort(index)
        out = np.empty((len(index), self.sentence_vectors.shape[1]), np.float32)
        out[order] = self.sentence_vectors[index[order]]
        return out

    @cached_property
    def _infos(self) -> list[DocumentInfo]:
        return self.store.document_infos()

    def document_infos(self) -> list[DocumentInfo]:
        return self._infos

    def term_idf(self, terms: Sequence[str]) -> dict[str, float]:
        return self.chunk_search.term_idf(terms)

    def vocabulary(self) -> Mapping[str, int]:
        return self.chunk_search.vocabulary()

    def chunk_doc_ids(self, chunk_rows: Sequence[int]) -> list[str]:
        return self.store.chunk_doc_ids(chunk_rows)

    def status(self) -> IndexStatus:
        """What the index holds, how it was built, and what its last build skipped."""
        return IndexStatus(
            documents=self.document_count,
            chunks=self.chunk_count,
            sentences=self.sentence_count,
            model=self.manifest.settings.embedding_model,
            index_kind=str(self.kind),
            store=str(self.manifest.settings.store),
            embedding_backend=str(self.manifest.settings.embedding_backend),
            sentence_vectors=str(self.manifest.settings.sentence_vectors),
            built_at=self.manifest.built_at,
            path=str(self.index_dir),
            skipped=self.manifest.skipped,
        )
