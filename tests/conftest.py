"""Shared fixtures (one real index of the real corpus, built once per test session) and the test tiers.

Every test belongs to a tier, by a ``pytestmark`` of its module or a mark of its own (which wins):
``unit`` (no embedding model, no spaCy pipeline, no server; seconds), ``integration`` (the real model
and FAISS over small data), ``slow`` (larger builds), ``browser`` (a headless chromium). A run of unit
tests alone (``pytest -m unit``) fails any test that imports a model runtime, spaCy or Gradio.
"""

from __future__ import annotations

import os
import shutil
import sys
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

TIERS = ("unit", "integration", "slow", "browser")
HEAVY_MODULES = ("torch", "sentence_transformers", "transformers", "onnxruntime", "spacy", "gradio")
"""What a unit test must not import: the embedding model's runtimes, spaCy, the app's server."""
UNIT_ONLY = pytest.StashKey[bool]()


def tier(item: pytest.Item) -> str | None:
    """A test's tier: its closest tier mark (its own, else its class's, else its module's)."""
    return next((mark.name for mark in item.iter_markers() if mark.name in TIERS), None)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every collected test has a tier. A unit test may stand in a module of heavier tests, but not
    the other way round: ``-m unit`` would select the heavier test."""
    untiered = [item.nodeid for item in items if tier(item) is None]
    misplaced = [item.nodeid for item in items if tier(item) not in (None, "unit")
                 and item.get_closest_marker("unit")]
    if untiered or misplaced:
        raise pytest.UsageError(
            "Each test needs a tier mark (" + ", ".join(TIERS) + "); a test in a unit module must be a "
            "unit test: " + ", ".join(untiered + misplaced))


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[UNIT_ONLY] = bool(session.items) and all(
        tier(item) == "unit" for item in session.items)


def _heavy_imported() -> set[str]:
    return {name for name in HEAVY_MODULES if name in sys.modules}


_reported: set[str] = set()


@pytest.fixture(autouse=True)
def unit_tests_stay_light(request: pytest.FixtureRequest) -> Iterator[None]:
    """In a run of unit tests alone, fail the test that imports a heavy module (or the first test, if
    collecting the tests imported it)."""
    if not request.config.stash.get(UNIT_ONLY, False):
        yield
        return
    before = _heavy_imported() - _reported
    _reported.update(before)
    if before:
        pytest.fail(f"{sorted(before)} imported while collecting the unit tests")
    yield
    after = _heavy_imported() - _reported
    _reported.update(after)
    if after:
        pytest.fail(f"this unit test imported {sorted(after)}: it belongs in the integration tier")


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
