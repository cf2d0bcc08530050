"""The index on disk: build it (incrementally, crash-safely) and open it for search.

Layout of an index folder::

    manifest.json     the commit point: format, build settings, which generation is current
    gen-<id>/         one complete build
        store.sqlite      documents (with text), chunks and sentences as offsets
        chunk_vectors.npy, sentence_vectors.npy   normalised float32 vectors
        dense.faiss       the FAISS index over chunk vectors          } the FAISS store (default)
        bm25/             the BM25 index over chunk texts (bm25s)   }
        qdrant/           Qdrant's local mode: dense + BM25 sparse vectors   } the Qdrant store
        qdrant.json       instead, with a Qdrant server: where the collection is }
        lexicon.json      the chunks' BM25 term statistics                    }

One module per part: ``manifest`` (the typed manifest, written atomically), ``store`` (SQLite),
``vectors`` (the .npy files), ``dense`` (FAISS), ``bm25`` (bm25s), ``sparse`` (BM25 as sparse vectors),
``search`` (the chunk-search protocol, rank fusion, the FAISS store), ``qdrant`` (the Qdrant store),
``builder`` (``IndexBuilder``, ``build_index``) and ``reader`` (``Index``).
"""

from rag.index.builder import LOCK, ChunkEmbedder, IndexBuilder, build_index
from rag.index.manifest import BUILD_KEYS, FORMAT_VERSION, MANIFEST, BuildSettings, Manifest, read_manifest
from rag.index.reader import Index, IndexedDocument

__all__ = [
    "BUILD_KEYS",
    "FORMAT_VERSION",
    "LOCK",
    "MANIFEST",
    "BuildSettings",
    "ChunkEmbedder",
    "Index",
    "IndexBuilder",
    "IndexedDocument",
    "Manifest",
    "build_index",
    "read_manifest",
]
