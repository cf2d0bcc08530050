"""Sentences and chunks: exact offsets, budgets, the model's own limit, overlap, long sentences.

None of these tests loads the embedding model: the model's limit is read from its config and
its tokenizer from tokenizer.json, so chunking never needs torch.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

from rag.chunking import Budget, chunk_document, count_tokens, split_sentences
from rag.corpus import load_corpus
from rag.embedding import SPECIAL_TOKENS, Embedder, packaged_model_path
from rag.settings import Settings
from rag.types import Chunk, Document, Span

pytestmark = pytest.mark.unit

ADVERSARIAL = "\n".join([
    "See https://example.com/" + "a1b2c3/" * 150 + "?q=" + "x%20y&z=" * 60 + " for the details.",
    "w" * 5000,
    "数据库是按照数据结构来组织、存储和管理数据的仓库。" * 40,
    "Ελληνικά κείμενα με τόνους και σημεία στίξης. " * 60,
    "Русский текст без точек " * 120,
    "🙂👍🏽" * 400,
    "a-b_c.d/e:f;" * 500,
    "Short closing sentence. And one more!",
])


@pytest.fixture(scope="module")
def light_embedder() -> Embedder:
    """An Embedder used only for its limit and token counter; the tests check it never loads."""
    return Embedder()


@pytest.fixture(scope="module")
def model_tokenizer() -> Callable[[str], int]:
    """Token count as the model sees a text: its own tokenizer.json, special tokens included."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(packaged_model_path() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return lambda text: len(tok.encode(text, add_special_tokens=True).ids)


@pytest.fixture(scope="module")
def real_docs(corpus_dir: Path) -> list[Document]:
    return load_corpus(corpus_dir).documents


def default_budget(embedder: Embedder, **changes: int) -> Budget:
    cfg = Settings()
    values = {"tokens": cfg.chunk_tokens, "overlap": cfg.chunk_overlap, **changes}
    return Budget(model_tokens=embedder.content_limit, count_model=embedder.count_model_tokens, **values)


def check_chunks(text: str, chunks: list[Chunk]) -> None:
    """Offsets are exact, chunks are ordered, and each chunk is its sentences with what lies between."""
    assert chunks
    for chunk in chunks:
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert chunk.sentences[0].start == chunk.start and chunk.sentences[-1].end == chunk.end
        piece = text[chunk.start:chunk.end]
        assert piece == piece.strip() and piece
        for a, b in zip(chunk.sentences, chunk.sentences[1:], strict=False):
            assert a.end <= b.start and not text[a.end:b.start].strip()
    starts = [c.sentences[0] for c in chunks]
    assert all(a.start < b.start for a, b in pairwise(starts))


# --------------------------------------------------------------------------- sentences


def test_sentences_of_the_real_corpus_are_exact_ordered_and_cover_the_text(real_docs) -> None:
    for doc in real_docs:
        spans = split_sentences(doc.text)
        assert spans, doc.id
        for span in spans:
            piece = doc.text[span.start:span.end]
            assert piece and piece == piece.strip() and "\n" not in piece, (doc.id, span)
        for a, b in pairwise(spans):
            assert a.end <= b.start, (doc.id, a, b)
        # no text is lost: between (and around) the sentences there is only whitespace
        edges = [0, *(x for s in spans for x in (s.start, s.end)), len(doc.text)]
        gaps = [doc.text[edges[i]:edges[i + 1]] for i in range(0, len(edges), 2)]
        assert all(not g.strip() for g in gaps), doc.id


def test_a_line_break_always_ends_a_sentence() -> None:
    text = "Friday, June 04, 2010\nMutual Benefit?\r\n- a list item without a full stop\n\n  Last one. Two."
    pieces = [text[s.start:s.end] for s in split_sentences(text)]
    assert pieces == ["Friday, June 04, 2010", "Mutual Benefit?", "- a list item without a full stop",
                      "Last one.", "Two."]


def test_empty_text_has_no_sentences_and_no_chunks(light_embedder: Embedder) -> None:
    assert split_sentences("") == [] and split_sentences(" \n\t\n") == []
    assert chunk_document("d", " \n ", default_budget(light_embedder)) == []


# --------------------------------------------------------------------------- chunks of the real corpus


def test_every_chunk_and_sentence_of_the_real_corpus_round_trips(real_docs, light_embedder) -> None:
    budget = default_budget(light_embedder)
    for doc in real_docs:
        sentences = split_sentences(doc.text)
        chunks = chunk_document(doc.id, doc.text, budget, sentences)
        check_chunks(doc.text, chunks)
        assert chunk_document(doc.id, doc.text, budget) == chunks  # the same without given sentences
        in_chunks = {s for c in chunks for s in c.sentences}
        assert in_chunks == set(sentences), doc.id  # no sentence was long enough to be cut here
        assert {c.doc_id for c in chunks} == {doc.id}
    assert not light_embedder.loaded


def test_chunks_of_the_real_corpus_are_within_the_token_budget(real_docs, light_embedder) -> None:
    for tokens, overlap in [(180, 30), (64, 16), (32, 0)]:
        budget = default_budget(light_embedder, tokens=tokens, overlap=overlap)
        for doc in real_docs:
            chunks = chunk_document(doc.id, doc.text, budget)
            check_chunks(doc.text, chunks)
            for chunk in chunks:
                assert count_tokens(doc.text[chunk.start:chunk.end]) <= tokens, (doc.id, tokens)


def test_no_chunk_exceeds_the_models_own_limit(real_docs, light_embedder, model_tokenizer) -> None:
    """Measured with the model's tokenizer, special tokens included, against max_seq_length.

    A generous tiktoken budget makes the model's word-piece limit the one that binds.
    """
    limit = light_embedder.max_seq_length
    assert limit == 256 and light_embedder.content_limit == limit - SPECIAL_TOKENS
    texts = [(d.id, d.text) for d in real_docs] + [("adversarial", ADVERSARIAL)]
    longest = 0
    for tokens in (Settings().chunk_tokens, 4000):
        budget = default_budget(light_embedder, tokens=tokens)
        for name, text in texts:
            chunks = chunk_document(name, text, budget)
            check_chunks(text, chunks)
            for chunk in chunks:
                seen = model_tokenizer(text[chunk.start:chunk.end])
                assert seen <= limit, (name, tokens, seen)
                longest = max(longest, seen)
    assert longest > limit - 16  # the limit really was reached, so the check above means something
    assert not light_embedder.loaded


def test_title_prefix_is_counted_against_the_models_limit(tmp_path, light_embedder, model_tokenizer) -> None:
    """With titles embedded, title + chunk together must still fit the model."""
    from rag.index import IndexBuilder

    title = "A very long title about mutuals, co-operatives and public services " * 4
    doc = Document(id="d", text=ADVERSARIAL, title=title)
    cfg = Settings(corpus_dir=tmp_path, index_dir=tmp_path / "i", title_in_embedding=True, chunk_tokens=4000)
    chunks, prefix = IndexBuilder(cfg, embedder=light_embedder).chunk(doc)
    assert prefix == title + "\n"
    for chunk in chunks:
        assert model_tokenizer(prefix + doc.text[chunk.start:chunk.end]) <= light_embedder.max_seq_length
    assert not light_embedder.loaded


# --------------------------------------------------------------------------- overlap and long sentences


def numbered(n: int) -> str:
    return " ".join(f"Sentence number {i} is here." for i in range(n))


def test_overlap_repeats_whole_trailing_sentences_within_the_overlap_budget() -> None:
    text = numbered(60)
    sizes_each = count_tokens("Sentence number 10 is here.")
    chunks = chunk_document("d", text, Budget(tokens=60, overlap=2 * sizes_each))
    check_chunks(text, chunks)
    assert len(chunks) > 3
    for prev, nxt in pairwise(chunks):
        shared = [s for s in nxt.sentences if s in prev.sentences]
        assert shared == list(nxt.sentences[:len(shared)]) == list(prev.sentences[-len(shared):])
        assert len(shared) == 2  # as many whole sentences as fit the overlap budget
        assert sum(count_tokens(text[s.start:s.end]) for s in shared) <= 2 * sizes_each
    # every sentence is in some chunk
    assert {s for c in chunks for s in c.sentences} == set(split_sentences(text))


def test_no_overlap_gives_disjoint_chunks() -> None:
    text = numbered(40)
    chunks = chunk_document("d", text, Budget(tokens=50, overlap=0))
    for prev, nxt in pairwise(chunks):
        assert prev.end < nxt.start
    assert sum(len(c.sentences) for c in chunks) == len(split_sentences(text))


def test_overlap_larger_than_a_chunk_still_moves_forward() -> None:
    text = numbered(30)
    chunks = chunk_document("d", text, Budget(tokens=30, overlap=500))
    check_chunks(text, chunks)  # starts strictly increase: no endless loop, no repeated chunk
    assert chunks[-1].end == len(text)
    for prev, nxt in pairwise(chunks):
        assert nxt.sentences[0] != prev.sentences[0]


def test_a_long_sentence_is_cut_into_pieces_at_word_boundaries() -> None:
    words = [f"word{i}" for i in range(600)]
    text = "Intro sentence.\n" + " ".join(words) + " end.\nOutro sentence."
    budget = Budget(tokens=40, overlap=0)
    chunks = chunk_document("d", text, budget)
    check_chunks(text, chunks)
    pieces = [s for c in chunks for s in c.sentences if s.start > text.index("\n")
              and s.end <= text.rindex("\n")]
    assert len(pieces) > 10
    for piece in pieces:
        assert count_tokens(text[piece.start:piece.end]) <= 40
        assert text[piece.start - 1].isspace() and text[piece.end].isspace()  # whole words only
    joined = " ".join(text[p.start:p.end] for p in pieces)
    assert joined == " ".join(words) + " end."


def test_a_single_huge_word_is_cut_into_consecutive_pieces(light_embedder, model_tokenizer) -> None:
    word = "".join(chr(ord("a") + (i * 7) % 26) for i in range(5000))
    text = f"Before.\n{word}\nAfter."
    chunks = chunk_document("d", text, default_budget(light_embedder))
    check_chunks(text, chunks)
    pieces = [s for c in chunks for s in c.sentences if text.index(word) <= s.start < text.index("\nAfter")]
    pieces = sorted(set(pieces), key=lambda s: s.start)
    assert len(pieces) > 1
    assert all(a.end == b.start for a, b in pairwise(pieces))
    assert "".join(text[p.start:p.end] for p in pieces) == word
    assert all(count_tokens(text[c.start:c.end]) <= Settings().chunk_tokens for c in chunks)
    assert all(model_tokenizer(text[c.start:c.end]) <= light_embedder.max_seq_length for c in chunks)
    assert not light_embedder.loaded


def test_given_sentences_are_used_as_they_are() -> None:
    text = "One two three. Four five six."
    custom = [Span(0, 7), Span(8, 29)]
    chunks = chunk_document("d", text, Budget(tokens=100, overlap=0), custom)
    assert [c.sentences for c in chunks] == [tuple(custom)]


# --------------------------------------------------------------------------- no model, no torch


def test_loading_hashing_and_chunking_do_not_import_torch(corpus_dir: Path) -> None:
    """In a fresh interpreter: the whole pre-embedding path never imports the model stack."""
    code = f"""
import json, sys
from rag.corpus import load_corpus
from rag.chunking import Budget, chunk_document
from rag.embedding import Embedder
emb = Embedder()
budget = Budget(model_tokens=emb.content_limit, count_model=emb.count_model_tokens)
docs = load_corpus({str(corpus_dir)!r}).documents
n = sum(len(chunk_document(d.id, d.text, budget)) for d in docs)
heavy = [m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules]
print(json.dumps({{"chunks": n, "hashes": len({{d.content_hash for d in docs}}), "heavy": heavy,
                  "loaded": emb.loaded}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["chunks"] > 0 and result["hashes"] == 5
    assert result["heavy"] == [] and result["loaded"] is False
