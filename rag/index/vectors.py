"""The stored vectors: chunk vectors (the FAISS index's input, kept so an update can reuse them) and
sentence vectors (what the extractive answerer scores), normalised float32, one row per store row."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CHUNK_VECTORS = "chunk_vectors.npy"
SENTENCE_VECTORS = "sentence_vectors.npy"


def write_vectors(folder: Path, chunk_vectors: np.ndarray, sentence_vectors: np.ndarray) -> None:
    np.save(folder / CHUNK_VECTORS, chunk_vectors.astype(np.float32, copy=False))
    np.save(folder / SENTENCE_VECTORS, sentence_vectors.astype(np.float32, copy=False))


def open_vectors(folder: Path, name: str) -> np.ndarray:
    """One of the vector files, memory-mapped read-only: shape (rows, dimension)."""
    return np.load(folder / name, mmap_mode="r")
