"""The manifest: an index's commit point, naming its current generation and how it was built.

``manifest.json`` is replaced atomically (written beside, fsynced, ``os.replace``), so a reader sees
either the previous build or the new one, never a mix.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from rag.errors import IndexLocationError, IndexMismatchError
from rag.settings import ChunkStore, EmbeddingBackend, IndexKind, SentenceVectors, Settings

FORMAT_VERSION = 3
"""2: sentences carry a role, a line and named-entity spans; documents how their author describes
themself (``rag.annotate``). 3: a sentence's own vector embeds it without its links."""
MANIFEST = "manifest.json"
LOCK = ".build.lock"
"""Held by the one build that may write the folder at a time."""


class BuildSettings(BaseModel):
    """The settings an index is built with: an index built with others cannot be opened as asked.

    Those that change what is embedded (all but ``STORE_KEYS``) mean re-embedding when they change;
    the store's (``store``, ``qdrant_url``) only mean writing the search index anew from the same
    vectors."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    embedding_model: str
    chunk_tokens: int
    chunk_overlap: int
    title_in_embedding: bool
    sentence_vectors: SentenceVectors
    embedding_backend: EmbeddingBackend = EmbeddingBackend.TORCH
    """Indexes written before this setting existed were embedded with torch."""
    store: ChunkStore = ChunkStore.FAISS
    """What holds the chunk search (indexes written before this setting existed: FAISS + bm25s)."""
    qdrant_url: str | None = None
    """The Qdrant server holding the collections; None: local mode (or not Qdrant)."""

    @classmethod
    def of(cls, settings: Settings) -> BuildSettings:
        """The build settings of ``settings``; a ``qdrant_url`` counts only with the Qdrant store."""
        values = {key: getattr(settings, key) for key in BUILD_KEYS}
        if settings.store != ChunkStore.QDRANT:
            values["qdrant_url"] = None
        return cls(**values)

    def mismatches(self, wanted: BuildSettings, keys: Iterable[str]) -> list[str]:
        """One line per setting in ``keys`` that differs, e.g. ``chunk_tokens: index has 180, asked for
        100``."""
        have, want = self.model_dump(mode="json"), wanted.model_dump(mode="json")
        return [f"{k}: index has {have[k]!r}, asked for {want[k]!r}" for k in keys if have[k] != want[k]]


BUILD_KEYS: tuple[str, ...] = tuple(BuildSettings.model_fields)
"""Names of the build settings, as in ``Settings``."""
STORE_KEYS: tuple[str, ...] = ("store", "qdrant_url")
"""The build settings of the chunk store: changing them rewrites the search index, not the vectors."""
EMBEDDING_KEYS: tuple[str, ...] = tuple(k for k in BUILD_KEYS if k not in STORE_KEYS)
"""The build settings that change what is embedded."""


class Counts(BaseModel):
    model_config = ConfigDict(frozen=True)

    documents: int
    chunks: int
    sentences: int


class Manifest(BaseModel):
    """What ``manifest.json`` holds. Unknown keys are ignored, so a newer build of the same format opens."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    format_version: int = FORMAT_VERSION
    generation: str
    """The folder of the current build, ``gen-<time>-<id>``."""
    built_at: str | None = None
    """Local time the generation was written, ISO 8601 with offset."""
    settings: BuildSettings
    dimension: int = 0
    max_seq_length: int | None = None
    """Word pieces the embedding model reads (special tokens included)."""
    index_kind: IndexKind = IndexKind.FLAT
    counts: Counts
    skipped: tuple[str, ...] = ()
    """What the last build skipped: one warning per file or line, naming it and saying why."""

    def write(self, index_dir: Path) -> None:
        """Replace ``index_dir/manifest.json`` atomically."""
        write_atomic(index_dir / MANIFEST, self.model_dump_json(indent=2))


def read_manifest(index_dir: str | Path) -> Manifest | None:
    """The manifest of the index in ``index_dir``; None when there is none or it cannot be read.

    Raises ``IndexMismatchError`` for a manifest of another format: its other keys may mean other things.
    """
    index_dir = Path(index_dir)
    try:
        raw = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    if raw.get("format_version") != FORMAT_VERSION:
        raise ForeignFormatError(index_dir, raw.get("format_version"))
    try:
        return Manifest.model_validate(raw)
    except ValidationError:
        return None


class ForeignFormatError(IndexMismatchError):
    """The index was written in another format than this version reads."""

    def __init__(self, index_dir: Path, found: object) -> None:
        self.found = found
        self.expected = FORMAT_VERSION
        super().__init__(f"The index in {index_dir} has format {found}, this version reads format "
                         f"{FORMAT_VERSION}. Run: rag index --rebuild --index {index_dir}")


def write_atomic(path: Path, data: str) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, whole."""
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


def _index_file(path: Path) -> bool:
    """Whether a folder entry is one an index writes (its manifest, lock, generations, temporaries)."""
    name = path.name
    return name in (MANIFEST, LOCK, ".gitkeep") or name.startswith(("gen-", ".tmp-gen-", f".{MANIFEST}."))


def check_index_location(index_dir: Path) -> None:
    """Refuse an index folder that would mix the index with other files: a file, or a folder that
    holds no index but other files (the corpus folder given as the index, a mistyped path to a
    project folder). A new or empty folder, or an index's own, is fine. Raises
    ``IndexLocationError``; writes nothing."""
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexLocationError(f"{index_dir} is a file, not a folder: give a folder for the index.")
    blocking = next((p for p in index_dir.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:  # "notes.txt/index": no folder can be made inside a file
        raise IndexLocationError(f"{blocking} is a file, so {index_dir} cannot be a folder: give a folder "
                                 "for the index.")
    if index_dir.is_dir() and not (index_dir / MANIFEST).exists():
        others = sorted(p.name for p in index_dir.iterdir() if not _index_file(p))
        if others:
            shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise IndexLocationError(
                f"{index_dir} holds other files ({shown}) and no index: give a new or empty folder for "
                "the index. Nothing was written.")
