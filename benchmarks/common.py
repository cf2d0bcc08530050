"""Shared helpers: paths, timing, statistics, processes, memory and result files."""

from __future__ import annotations

import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "benchmarks"
WORK = BENCH / ".work"  # git-ignored scratch: built indexes, generated corpora
PEERS = BENCH / ".peers"  # git-ignored: the peers' own virtual environments
RESULTS = BENCH / "results"
VENV_PY = ROOT / ".venv" / "bin" / "python"
VENV_RAG = ROOT / ".venv" / "bin" / "rag"
SHARED = ROOT.parent / "shared"
SQUAD_CORPUS = SHARED / "benchmarks" / "squad-v1.1-dev" / "corpus.jsonl"
SQUAD_QUESTIONS = SHARED / "benchmarks" / "squad-v1.1-dev" / "questions.jsonl"
QUESTIONS = ROOT / "eval" / "questions.jsonl"
POSTS = ROOT / "corpus"

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
       "HAYSTACK_TELEMETRY_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false"}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds ``func()`` took, and what it returned."""
    start = time.perf_counter()
    out = func()
    return time.perf_counter() - start, out


def wall(cmd: Sequence[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None,
         timeout: float = 600) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Wall time of a command run to completion (raises if it fails)."""
    start = time.perf_counter()
    done = subprocess.run(list(cmd), cwd=cwd, env=env or ENV, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS, VmHWM etc. of a process, in kB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Vm"):
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0])
    return out


def rss_mb(pid: int | str = "self") -> float:
    return proc_status(pid)["VmRSS"] / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dir_size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 2**20


def _embedding_backend() -> str:
    """The product's embedding backend as configured now (figures depend on it)."""
    try:
        from rag.settings import Settings

        return str(getattr(Settings(), "embedding_backend", "torch"))
    except Exception as exc:  # reported, never fatal
        return f"unknown ({exc})"


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
               if x.startswith("MemTotal"))
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem / 2**20, 1),
            "python": platform.python_version(), "load_average_at_start": os.getloadavg(),
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset (torch default)"),
            "embedding_backend": _embedding_backend(),
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def squad_documents(limit: int) -> list[dict[str, str]]:
    """The first ``limit`` SQuAD dev paragraphs, read in place (never copied)."""
    docs = []
    with open(SQUAD_CORPUS, encoding="utf-8") as fh:
        for line in fh:
            if len(docs) >= limit:
                break
            docs.append(json.loads(line))
    return docs


def squad_questions(doc_ids: set[str], limit: int) -> list[str]:
    """Up to ``limit`` SQuAD questions asked of the given paragraphs (one per paragraph first)."""
    seen: set[str] = set()
    first, rest = [], []
    with open(SQUAD_QUESTIONS, encoding="utf-8") as fh:
        for line in fh:
            q = json.loads(line)
            doc = q["doc_ids"][0]
            if doc in doc_ids:
                (rest if doc in seen else first).append(q["question"])
                seen.add(doc)
    return (first + rest)[:limit]


def eval_questions() -> list[str]:
    return [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def save_section(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def load_section(name: str) -> dict[str, Any] | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
