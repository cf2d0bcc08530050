"""Ray embedding throughput against the plain embedding loop, on the same chunks, in one run.

The plain loop is ``Embedder.encode_chunks`` on this process (what a normal build does); the Ray
figure is ``RayEmbedder.encode_chunks`` on a local Ray with one actor per CPU, timed from a cold
start (Ray and the actors' models included, as a build pays them) and warm (a second job on the
running Ray). On a 2-core machine no speed-up is expected: the point is that the same command
scales out to a cluster.
"""

from __future__ import annotations

from typing import Any

from benchmarks.common import log, median, timed


def run(n_docs: int = 600, reps: int = 3) -> dict[str, Any]:
    from benchmarks.floor import squad_docs
    from rag.embedding import Embedder
    from rag.index import IndexBuilder
    from rag.index.ray_embed import RayEmbedder
    from rag.settings import Settings

    settings = Settings()
    docs = squad_docs(n_docs)
    builder = IndexBuilder(settings, embedder=Embedder.from_settings(settings))
    texts, spans = [], []
    for doc in docs:
        chunks, prefix = builder.chunk(doc)
        for c in chunks:
            texts.append(prefix + doc.text[c.start:c.end])
            shift = len(prefix) - c.start
            spans.append([(s.start + shift, s.end + shift) for s in c.sentences])
    plain = Embedder.from_settings(settings)
    plain.encode_texts(texts[:8])  # model loaded and warm
    mode = settings.sentence_vectors
    plain_s = median([timed(lambda: plain.encode_chunks(texts, spans, mode))[0] for _ in range(reps)])
    log(f"ray: plain loop {len(texts) / plain_s:.1f} chunks/s")
    ray = RayEmbedder(settings)
    try:
        cold_s, _ = timed(lambda: ray.encode_chunks(texts, spans, mode))
        warm_s = median([timed(lambda: ray.encode_chunks(texts, spans, mode))[0] for _ in range(reps)])
        import ray as ray_module

        cpus = int(ray_module.cluster_resources().get("CPU", 1))
    finally:
        ray.close()
    log(f"ray: cold {len(texts) / cold_s:.1f}, warm {len(texts) / warm_s:.1f} chunks/s")
    return {"chunks": len(texts), "sentence_vectors": str(mode), "cpus": cpus, "repetitions": reps,
            "plain_chunks_per_s": len(texts) / plain_s, "ray_cold_chunks_per_s": len(texts) / cold_s,
            "ray_warm_chunks_per_s": len(texts) / warm_s, "ratio_cold": plain_s / cold_s,
            "ratio_warm": plain_s / warm_s}
