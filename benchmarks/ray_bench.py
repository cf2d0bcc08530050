"""Ray embedding throughput against the plain embedding loop, on the same chunks, in one run.

The plain loop is the embedding a normal build does on this process (``encode_texts`` over each
sentence once for the default one-pass vectors, ``encode_chunks`` otherwise); the Ray figure is the
same call on ``RayEmbedder``, a local Ray with one actor per CPU, timed from a cold
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
    from rag.settings import SentenceVectors, Settings
    from rag.text import without_links

    settings = Settings()
    docs = squad_docs(n_docs)
    builder = IndexBuilder(settings, embedder=Embedder.from_settings(settings))
    texts, spans, sentences = [], [], []
    for doc in docs:
        chunks, prefix = builder.chunk(doc)
        for c in chunks:
            texts.append(prefix + doc.text[c.start:c.end])
            shift = len(prefix) - c.start
            spans.append([(s.start + shift, s.end + shift) for s in c.sentences])
        sentences += [without_links(doc.text[a:b]) for a, b in sorted({(s.start, s.end) for c in chunks
                                                                          for s in c.sentences})]
    mode = settings.sentence_vectors

    def work(embedder: Any) -> Any:  # what the build asks of its embedder for these chunks
        if mode == SentenceVectors.ONE_PASS:
            return embedder.encode_texts(sentences)
        return embedder.encode_chunks(texts, spans, mode)

    plain = Embedder.from_settings(settings)
    plain.encode_texts(texts[:8])  # model loaded and warm
    plain_s = median([timed(lambda: work(plain))[0] for _ in range(reps)])
    log(f"ray: plain loop {len(texts) / plain_s:.1f} chunks/s")
    ray = RayEmbedder(settings)
    try:
        cold_s, _ = timed(lambda: work(ray))
        warm_s = median([timed(lambda: work(ray))[0] for _ in range(reps)])
        import ray as ray_module

        cpus = int(ray_module.cluster_resources().get("CPU", 1))
    finally:
        ray.close()
    log(f"ray: cold {len(texts) / cold_s:.1f}, warm {len(texts) / warm_s:.1f} chunks/s")
    return {"chunks": len(texts), "sentences": len(sentences), "sentence_vectors": str(mode), "cpus": cpus,
            "repetitions": reps,
            "plain_chunks_per_s": len(texts) / plain_s, "ray_cold_chunks_per_s": len(texts) / cold_s,
            "ray_warm_chunks_per_s": len(texts) / warm_s, "ratio_cold": plain_s / cold_s,
            "ratio_warm": plain_s / warm_s}
