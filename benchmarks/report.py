"""Merge the latest result of each section into results/report.json and a short results/report.md."""

from __future__ import annotations

import json
from typing import Any

from benchmarks.common import RESULTS, load_section


def _f(value: Any, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "missed")


def _get(data: dict[str, Any] | None, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def floor_rows(floor: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    r = floor.get("results", {})
    keys = ("answer_latency", "build_throughput", "startup", "cold_ask", "serve_memory")
    lat, build, start, cold, mem = (r.get(k, {}) for k in keys)
    rows = []
    p50, p95 = lat.get("p50_ratio"), lat.get("p95_ratio")
    rows.append(("Warm answer p50 ÷ one question embedding",
                 f"{_f(p50)} ({_f(lat.get('p50_ms'), 1)} ms ÷ {_f(lat.get('floor_embed_ms'), 1)} ms)",
                 "≤ 1.5",
                 _verdict(None if p50 is None else p50 <= 1.5)))
    rows.append(("Warm answer p95 ÷ one question embedding", f"{_f(p95)} ({_f(lat.get('p95_ms'), 1)} ms)",
                 "≤ 1.5", _verdict(None if p95 is None else p95 <= 1.5)))
    for mode in ("independent", "one-pass", "contextual"):
        ratio = build.get(f"{mode}_ratio")
        if ratio is None:
            continue
        rows.append((f"Build throughput ÷ plain model.encode (sentence_vectors={mode})",
                     f"{_f(ratio)} ({_f(build.get(f'{mode}_chunks_per_s'), 1)} ÷ "
                     f"{_f(build.get('floor_chunks_per_s'), 1)} chunks/s)", "≥ 0.9",
                     _verdict(None if ratio is None else ratio >= 0.9)))
    for key, label in (("noop_index", "No-op `rag index`"), ("rag_help", "`rag --help`")):
        seconds, imports = start.get(f"{key}_s"), start.get(f"{key}_imports", {})
        ok = None if seconds is None else (seconds < 0.5 and not imports.get("torch"))
        rows.append((f"{label} ÷ `python -c pass`",
                     f"{_f(start.get(f'{key}_ratio'))} ({_f(seconds, 3)} s ÷ "
                     f"{_f(start.get('python_pass_s'), 3)} s; "
                     f"imports torch: {imports.get('torch')})", "< 0.5 s, no torch", _verdict(ok)))
    ratio = cold.get("ratio")
    rows.append(("Cold `rag ask` ÷ (import sentence-transformers + model load)",
                 f"{_f(ratio)} ({_f(cold.get('rag_ask_s'))} s ÷ {_f(cold.get('model_load_s'))} s)", "≤ 1.2",
                 _verdict(None if ratio is None else ratio <= 1.2)))
    rows.append(("Peak RSS of `rag serve` after first answer ÷ model load + one query",
                 f"{_f(mem.get('ratio'))} ({_f(mem.get('serve_vmhwm_mb'), 0)} MB ÷ "
                 f"{_f(mem.get('model_load_vmhwm_mb'), 0)} MB)", "reported", "n/a"))
    return rows


def peer_rows(peers: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = []
    for corpus, row in peers.get("results", {}).get("corpora", {}).items():
        p = row.get("project", {})
        for name in ("llamaindex", "haystack"):
            peer = row.get(name, {})
            if "build_s" not in peer:
                rows.append((f"{corpus}: vs {name}", peer.get("skipped") or str(peer.get("error", ""))[:120],
                             "< 1", "n/a"))
                continue
            default = peers.get("results", {}).get("default_sentence_vectors", "independent")
            builds = [(f"ratio_build_{mode}",
                       f"build ({'default: ' if mode == default else ''}{mode} sentence vectors)",
                       p.get(f"build_{mode}_s"), peer["build_s"], 0.8)
                      for mode in [default] + [m for m in ("one-pass", "independent", "contextual")
                                               if m != default]]
            for key, label, ours, theirs, goal in (
                *builds,
                ("ratio_answer_vs_retrieval_p50", "warm full answer p50 vs peer retrieval p50",
                 p.get("answer_p50_ms"), peer["query_p50_ms"], 0.5),
                ("ratio_retrieval_p50", "warm retrieval p50 vs peer retrieval p50",
                 p.get("retrieve_p50_ms"), peer["query_p50_ms"], 0.5),
            ):
                if key not in peer:
                    continue
                unit = "s" if "build" in key else "ms"
                rows.append((f"{corpus} ({p.get('chunks')} chunks; {name} {peer.get('chunks')}): {label}",
                             f"{_f(peer[key])} ({_f(ours)} {unit} ÷ {_f(theirs)} {unit})", f"≤ {goal}",
                             _verdict(peer[key] <= goal)))
    return rows


def scale_rows(scale: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    r = scale.get("results", {})
    rows = []
    sample = r.get("model_sample", {})
    for n, ex in r.get("extrapolated_embedding", {}).items():
        rows.append((f"Real-model embedding of {int(n):,} chunks (EXTRAPOLATED from "
                     f"{sample.get('sample_chunks')} chunks at {_f(sample.get('chunks_per_s'), 1)} chunks/s)",
                     f"{_f(ex['contextual_hours_extrapolated'], 1)} h contextual, "
                     f"{_f(ex['independent_hours_extrapolated'], 1)} h independent", "measured", "n/a"))
    for key, full in r.items():
        if not key.startswith("full_") or "chunks" not in full:
            continue
        stages = ", ".join(f"{k} {v:.0f}" for k, v in full["stage_seconds"].items())
        probe = full.get("probe", {})
        rows.append((f"Full build, {full['chunks']:,} chunks (composed vectors, {full['index_kind']})",
                     f"{full['build_seconds']:.0f} s ({stages} s); {full['index_mb']:.0f} MB on disk",
                     "measured", "n/a"))
        rows.append((f"Opened {full['chunks']:,}-chunk index: RSS opened / after search / after answers",
                     f"{_f(probe.get('rss_mb_opened'), 0)} / {_f(probe.get('rss_mb_after_search'), 0)} / "
                     f"{_f(probe.get('rss_mb_after_answers'), 0)} MB; Python objects +"
                     f"{(probe.get('objects_after_search') or 0) - (probe.get('objects_start') or 0):,}",
                     "no per-chunk objects", "n/a"))
        rows.append((f"{full['chunks']:,} chunks: dense / BM25 search p50; answer p50 ÷ embedding",
                     f"{_f(probe.get('dense_p50_ms'))} / {_f(probe.get('lexical_p50_ms'))} ms; "
                     f"{_f(probe.get('answer_p50_ratio'))} ({_f(probe.get('answer_p50_ms'), 1)} ms)", "≤ 1.5",
                     _verdict(None if probe.get("answer_p50_ratio") is None
                              else probe["answer_p50_ratio"] <= 1.5)))
    for key, again in r.items():
        if not key.startswith("reindex_") or "chunks" not in again:
            continue
        probe = again.get("probe", {})
        stages = ", ".join(f"{k} {v:.0f}" for k, v in again["stage_seconds"].items())
        rows.append((f"Same index updated in place, one post added ({again['chunks']:,} chunks, "
                     f"{again['index_kind']}, {again['chunks_embedded']} chunks embedded)",
                     f"{again['seconds']:.0f} s ({stages} s); {again['index_mb']:.0f} MB on disk",
                     "measured", "n/a"))
        rows.append((f"{again['chunks']:,} chunks ({again['index_kind']}): dense / BM25 search p50; "
                     "answer p50 ÷ embedding",
                     f"{_f(probe.get('dense_p50_ms'))} / {_f(probe.get('lexical_p50_ms'))} ms; "
                     f"{_f(probe.get('answer_p50_ratio'))} ({_f(probe.get('answer_p50_ms'), 1)} ms ÷ "
                     f"{_f(probe.get('embed_p50_ms'), 1)} ms)", "≤ 1.5",
                     _verdict(None if probe.get("answer_p50_ratio") is None
                              else probe["answer_p50_ratio"] <= 1.5)))
        rows.append((f"{again['chunks']:,} chunks ({again['index_kind']}): RSS opened / after search / after "
                     "answers (heap + mapped files)",
                     f"{_f(probe.get('rss_mb_opened'), 0)} / {_f(probe.get('rss_mb_after_search'), 0)} / "
                     f"{_f(probe.get('rss_mb_after_answers'), 0)} MB "
                     f"({_f(probe.get('rssanon_mb_after_answers'), 0)} + "
                     f"{_f(probe.get('rssfile_mb_after_answers'), 0)}); Python objects +"
                     f"{(probe.get('objects_after_search') or 0) - (probe.get('objects_start') or 0):,} "
                     "after search", "no per-chunk objects", "n/a"))
    for key, dense in r.items():
        if not key.startswith("dense_") or "chunks" not in dense:
            continue
        n = dense["chunks"]
        for kind in ("flat", "ivf", "hnsw"):
            d = dense.get(kind)
            if not d or "probe" not in d or "chosen" not in d["probe"]:
                continue
            from benchmarks.scale import choose

            c = choose(d["probe"]["sweep"])
            param = {"ivf": f"nprobe {c['param']}, nlist {d.get('nlist')}", "hnsw": f"efSearch {c['param']}"}
            rows.append((f"{n:,} chunks, FAISS {kind}{' (' + param[kind] + ')' if kind in param else ''}",
                         f"build {d['build_seconds']:.0f} s, {d['file_mb']:.0f} MB; "
                         f"p50 {c['p50_ms']:.2f} ms; "
                         f"recall@10 {c['recall_at_10']:.3f} (tie-aware {c['recall_at_10_tie_aware']:.3f}); "
                         f"RSS +{d['probe']['rss_mb_added_opened']:.0f} MB opened, "
                         f"+{d['probe']['rss_mb_added_after_search']:.0f} MB after search",
                         "recall ≥ 0.95", _verdict(c["recall_at_10_tie_aware"] >= 0.95)))
            if len(d["probe"]["sweep"]) > 1:
                rows.append((f"{n:,} chunks, FAISS {kind}: {'nprobe' if kind == 'ivf' else 'efSearch'} → "
                             "p50 ms / recall@10 / tie-aware", "; ".join(
                                 f"{x['param']}: {x['p50_ms']:.2f} / {x['recall_at_10']:.3f} / "
                                 f"{x['recall_at_10_tie_aware']:.3f}" for x in d["probe"]["sweep"]),
                             "sweep", "n/a"))
        bm = dense.get("bm25")
        if bm and "probe" in bm:
            rows.append((f"{n:,} chunks, BM25 (bm25s, mmap)",
                         f"tokenize {bm['tokenize_seconds']:.0f} s + index {bm['index_seconds']:.0f} s, "
                         f"{bm['dir_mb']:.0f} MB; p50 {_f(bm['probe'].get('p50_ms'))} ms; "
                         f"RSS +{_f(bm['probe'].get('rss_mb_added_after_search'), 0)} MB after search",
                         "measured", "n/a"))
    for key, st in r.items():
        if not key.startswith("stores_") or "chunks" not in st:
            continue
        for name, label in (("faiss", f"FAISS {st.get('faiss', {}).get('kind')} + bm25s"),
                            ("qdrant_local", "Qdrant local mode")):
            d = st.get(name)
            if not d:
                continue
            rows.append((f"{st['chunks']:,} chunks, {label}: build; open; dense / BM25 / hybrid p50; "
                         "dense recall@10",
                         f"build {d['build_seconds']:.0f} s, {d['mb']:.0f} MB; open {d['open_ms']:.0f} ms; "
                         f"{d['dense_p50_ms']:.2f} / {d['lexical_p50_ms']:.2f} / "
                         f"{d['hybrid_p50_ms']:.2f} ms; "
                         f"recall@10 {d['recall_at_10']:.3f} (tie-aware {d['recall_at_10_tie_aware']:.3f})",
                         "measured", "n/a"))
    return rows


def ray_rows(ray: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    r = ray.get("results", {})
    plain = r.get("plain_chunks_per_s")
    cold, warm = r.get("ray_cold_chunks_per_s"), r.get("ray_warm_chunks_per_s")
    return [(f"Ray embedding, {r.get('chunks')} chunks ({r.get('sentence_vectors')}), local Ray with "
             f"{r.get('cpus')} CPUs: cold / warm ÷ the plain embedding loop ({_f(plain, 1)} chunks/s)",
             f"{_f(r.get('ratio_cold'))} / {_f(r.get('ratio_warm'))} "
             f"({_f(cold, 1)} / {_f(warm, 1)} chunks/s)",
             "measured (no speed-up on 2 cores)", "n/a")]


def write() -> dict[str, Any]:
    sections = {name: load_section(name) for name in ("floor", "peers", "scale", "ray")}
    report = {name: data for name, data in sections.items() if data}
    (RESULTS / "report.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    lines = ["# Benchmark report", ""]
    for name, builder in (("floor", floor_rows), ("peers", peer_rows), ("scale", scale_rows),
                          ("ray", ray_rows)):
        data = sections[name]
        if not data:
            continue
        m = data.get("machine", {})
        lines += [f"## {name.capitalize()}", "",
                  f"{m.get('date')}; {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gb')} GB RAM, "
                  f"Python {m.get('python')}; OMP_NUM_THREADS {m.get('omp_num_threads')}; "
                  f"embedding backend {m.get('embedding_backend', 'torch')}; "
                  f"load average at start {m.get('load_average_at_start')}; "
                  f"options {data.get('options')}.", "",
                  "| figure | value | goal | |", "| --- | --- | --- | --- |"]
        try:
            rows = builder(data)
        except Exception as exc:  # a partial section still gets a report
            rows = [("(could not summarise)", f"{type(exc).__name__}: {exc}", "", "")]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
        lines.append("")
    (RESULTS / "report.md").write_text("\n".join(lines), encoding="utf-8")
    return report
