"""Shared fixtures: one real index of the real corpus, built once per test session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
EVAL_QUESTIONS = ROOT / "eval" / "questions.jsonl"


@pytest.fixture(scope="session", autouse=True)
def onnx_cache(tmp_path_factory) -> Iterator[Path]:
    """ONNX exports of the embedding model go to a session folder, never the user's cache; the
    variable is inherited by the subprocesses tests start."""
    path = tmp_path_factory.mktemp("onnx-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAG_ONNX_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def embedder():
    """The real default model, loaded once."""
    from rag.embedding import Embedder

    return Embedder()


@pytest.fixture(scope="session")
def built_index(tmp_path_factory, embedder) -> Path:
    """The real corpus indexed with the real model and FAISS, once per session. Read-only for tests."""
    from rag.index import IndexBuilder
    from rag.settings import Settings

    index_dir = tmp_path_factory.mktemp("index")
    IndexBuilder(Settings(corpus_dir=CORPUS, index_dir=index_dir), embedder=embedder).run()
    return index_dir


@pytest.fixture(scope="session")
def rag_obj(built_index, embedder):
    """A RAG over the shared index, sharing the session's loaded model."""
    from rag.index import Index
    from rag.pipeline import RAG

    index = Index.open(built_index)
    return RAG(index, index.settings, embedder=embedder)


@pytest.fixture()
def corpus_copy(tmp_path) -> Path:
    """A private, editable copy of the real corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target
