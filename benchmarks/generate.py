"""A deterministic large corpus made by recombining the sentences of the project's real posts.

``python -m benchmarks.generate --chunks 100000 --out benchmarks/.work/gen.jsonl`` writes JSONL posts
(``id``, ``title``, ``text``) that the product indexes like any corpus. Each post is 8–40 sentences
drawn (seeded) from the real posts, one sentence a line, in paragraphs; the number of posts is chosen so
that the default chunking (180 tokens, 30 overlap) gives about the asked number of chunks.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from benchmarks.common import POSTS

CHUNK_TOKENS = 180
OVERLAP = 30


@lru_cache(maxsize=1)
def inventory() -> tuple[str, ...]:
    """The distinct sentences of the real posts, in corpus order (the product's own splitter)."""
    from rag.chunking import split_sentences
    from rag.corpus import load_corpus

    seen: dict[str, None] = {}
    for doc in load_corpus(POSTS).documents:
        for span in split_sentences(doc.text):
            seen.setdefault(doc.text[span.start:span.end], None)
    return tuple(seen)


@lru_cache(maxsize=1)
def inventory_tokens() -> tuple[int, ...]:
    from rag.chunking import count_tokens

    return tuple(count_tokens(s) for s in inventory())


@dataclass
class Post:
    id: str
    title: str
    sentences: list[int]  # indexes into inventory()
    paragraph_ends: list[int]  # sentence positions after which a paragraph ends

    def text(self) -> str:
        lines, sents = [], inventory()
        ends = set(self.paragraph_ends)
        for pos, s in enumerate(self.sentences):
            lines.append(sents[s] + ("\n" if pos in ends else ""))
        return "\n".join(lines).strip()


def estimated_chunks(tokens: int) -> int:
    return max(1, math.ceil((tokens - OVERLAP) / (CHUNK_TOKENS - OVERLAP)))


def posts(n_chunks: int, seed: int = 0) -> Iterator[Post]:
    """Posts until about ``n_chunks`` chunks are reached; the same arguments give the same posts."""
    rng = random.Random(seed)
    sents, tokens = inventory(), inventory_tokens()
    total = i = 0
    while total < n_chunks:
        picks = [rng.randrange(len(sents)) for _ in range(rng.randint(8, 40))]
        ends, pos = [], -1
        while pos < len(picks) - 1:
            pos = min(len(picks) - 1, pos + rng.randint(1, 5))
            ends.append(pos)
        words = sents[rng.randrange(len(sents))].split()[:8]
        title = " ".join(words).rstrip(".,;:") + f" ({seed}-{i})"
        total += estimated_chunks(sum(tokens[p] for p in picks))
        yield Post(f"gen-{seed}-{i:07d}", title, picks, ends)
        i += 1


def pack(post: Post) -> Iterator[list[int]]:
    """The post's chunks as runs of sentence positions, packed like the product's chunker (by token
    counts of whole sentences, ~``OVERLAP`` tokens of trailing sentences repeated), without re-tokenising."""
    tokens = inventory_tokens()
    sizes = [tokens[s] for s in post.sentences]
    first = 0
    while first < len(sizes):
        last, total = first + 1, sizes[first]
        while last < len(sizes) and total + sizes[last] + 1 <= CHUNK_TOKENS:
            total += sizes[last] + 1
            last += 1
        yield list(range(first, last))
        if last >= len(sizes):
            return
        nxt, carried = last, 0
        while nxt - 1 > first and carried + sizes[nxt - 1] <= OVERLAP:
            nxt -= 1
            carried += sizes[nxt]
        first = nxt


def write_jsonl(path: Path, n_chunks: int, seed: int = 0) -> int:
    """Write the corpus; returns the number of posts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    count = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        for post in posts(n_chunks, seed):
            fh.write(json.dumps({"id": post.id, "title": post.title, "text": post.text()}) + "\n")
            count += 1
    tmp.replace(path)
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(write_jsonl(args.out, args.chunks, args.seed), "posts written to", args.out)


if __name__ == "__main__":
    main()
