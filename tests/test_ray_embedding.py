"""Embedding on Ray (``rag index --ray``): a local Ray, the real model, a copy of the posts.

The vectors a Ray build stores, and the answers read from them, are those of a normal build.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import rag
from rag.cli import cli
from rag.errors import RagError
from rag.index import Index
from rag.settings import Settings

pytestmark = pytest.mark.slow

QUESTIONS = ("Who should control local libraries and swimming pools?",
             "Why are some councillors sceptical about mutualisation?",
             "What did Ed Miliband say about mutuals?")


@pytest.fixture(scope="module")
def ray_index(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    pytest.importorskip("ray", reason="the ray extra is not installed (pip install -e '.[ray]')")
    work = tmp_path_factory.mktemp("ray")
    shutil.copytree(corpus_dir, work / "corpus")
    done = CliRunner().invoke(cli, ["index", "--corpus", str(work / "corpus"), "--index", str(work / "index"),
                                    "--ray", "-q"])
    assert done.exit_code == 0, done.output
    return work / "index"


def test_a_ray_build_stores_the_vectors_of_a_normal_build(ray_index: Path, built_index: Path) -> None:
    on_ray, normal = Index.open(ray_index), Index.open(built_index)
    assert on_ray.chunk_count == normal.chunk_count and on_ray.sentence_count == normal.sentence_count
    assert np.allclose(on_ray.chunk_vectors, normal.chunk_vectors, atol=1e-5)
    assert np.allclose(on_ray.sentence_vectors, normal.sentence_vectors, atol=1e-5)


def test_a_ray_build_answers_as_a_normal_build(ray_index: Path, built_index: Path) -> None:
    on_ray, normal = rag.load(ray_index), rag.load(built_index)
    for question in QUESTIONS:
        a, b = on_ray.answer(question), normal.answer(question)
        assert a.text == b.text
        assert [(c.doc_id, c.start, c.end) for c in a.citations] == [(c.doc_id, c.start, c.end)
                                                                       for c in b.citations]


@pytest.mark.unit
def test_without_ray_installed_the_build_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.index.ray_embed import RayEmbedder

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(RagError, match=r"pip install -e '\.\[ray\]'"):
        RayEmbedder(Settings()).encode_texts(["a text"])
