"""Run the benchmarks and write benchmarks/results/{floor,peers,scale,report}.json and report.md.

    python -m benchmarks.run                      # all sections
    python -m benchmarks.run --sections floor     # one section; the report keeps the others' latest

Sections write their own JSON, so a long section (scale) need not be re-run to refresh the report.
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks import report
from benchmarks.common import RESULTS, load_section, log, machine, save_section


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmarks against floors, against peers, and at scale.")
    parser.add_argument("--sections", default="floor,peers,scale",
                        help="comma-separated: floor,peers,scale,ray (ray needs the ray extra)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions (medians are reported)")
    parser.add_argument("--squad-docs", type=int, default=120,
                        help="SQuAD v1.1 dev paragraphs for build throughput and peers (read in place)")
    parser.add_argument("--full-sizes", default="100000",
                        help="chunk counts for the full-pipeline build with composed vectors")
    parser.add_argument("--dense-sizes", default="100000,1000000",
                        help="chunk counts for FAISS/BM25 built with the product's functions")
    parser.add_argument("--store-sizes", default="100000",
                        help="chunk counts for FAISS + bm25s against Qdrant's local mode (the chunk stores)")
    parser.add_argument("--hnsw-max", type=int, default=100_000,
                        help="largest size to build HNSW at (its build is slow on 2 cores)")
    parser.add_argument("--floor-steps", default="",
                        help="re-run only these floor steps (startup, cold_ask, answer_latency, "
                        "serve_memory, build_throughput), keeping the others from the last report")
    args = parser.parse_args()
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name in sections:
        started = time.perf_counter()
        info = machine()
        if name == "floor":
            from benchmarks import floor

            only = {s.strip() for s in args.floor_steps.split(",") if s.strip()} or None
            previous = (load_section("floor") or {}).get("results") if only else None
            results = floor.run(args.reps, args.squad_docs, only, previous)
            options = {"reps": args.reps, "squad_docs": args.squad_docs}
        elif name == "peers":
            from benchmarks import peers

            results = peers.run(args.reps, args.squad_docs)
            options = {"reps": args.reps, "squad_docs": args.squad_docs}
        elif name == "scale":
            from benchmarks import scale

            options = {"full_sizes": args.full_sizes, "dense_sizes": args.dense_sizes,
                       "store_sizes": args.store_sizes, "hnsw_max": args.hnsw_max}

            def checkpoint(partial: dict[str, object], info: dict[str, object] = info,
                           options: dict[str, object] = options) -> None:
                save_section("scale", {"machine": info, "options": options, "partial": True,
                                       "results": partial})
                report.write()

            results = scale.run(_sizes(args.full_sizes), _sizes(args.dense_sizes), args.hnsw_max, checkpoint,
                                _sizes(args.store_sizes))
        elif name == "ray":
            from benchmarks import ray_bench

            results = ray_bench.run(reps=args.reps)
            options = {"reps": args.reps}
        else:
            raise SystemExit(f"unknown section {name!r}")
        save_section(name, {"machine": info, "options": options,
                            "seconds": time.perf_counter() - started, "results": results})
        report.write()
        log(f"{name} done in {time.perf_counter() - started:.0f} s")
    report.write()
    print((RESULTS / "report.md").read_text())
    print(json.dumps({"report": str(RESULTS / "report.json")}))


if __name__ == "__main__":
    main()
