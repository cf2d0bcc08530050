"""Shared text helpers and the labels records carry."""

from __future__ import annotations

import pytest

from rag.text import QUOTE_MARKS, fold_quotes, fold_whitespace
from rag.types import Citation, Passage

pytestmark = pytest.mark.unit


def test_fold_quotes_keeps_every_offset() -> None:
    text = "„Low“ and ‛high‟ — Barnet’s ″easy″ ‘council’ ʼtwas"
    folded = fold_quotes(text)
    assert len(folded) == len(text)
    assert folded == "\"Low\" and 'high\" — Barnet's \"easy\" 'council' 'twas"
    assert all(folded[i] == text[i] for i, ch in enumerate(text) if ch not in QUOTE_MARKS)
    assert set(fold_quotes("".join(QUOTE_MARKS))) == {'"', "'"}


def test_fold_whitespace() -> None:
    assert fold_whitespace("  a\n\tb  c ") == "a b c" and fold_whitespace(" \n ") == ""


def test_records_made_without_a_label_name_their_post() -> None:
    titled = Passage(doc_id="p1", title="Mutual Benefit?", text="x", start=0, end=1, score=0.1)
    assert titled.label == "Mutual Benefit?"
    untitled = Citation(marker=1, quote="q", doc_id="p2", title=None, date=None,
                        url="http://www.leftfootforward.org/2010/11/x/", source="p2.md", start=0, end=1,
                        score=0.5)
    assert untitled.label == "leftfootforward.org"  # never the file name or the id
    nothing = Passage(doc_id="p3", title=None, text="x", start=0, end=1, score=0.1, source="p3.md")
    assert nothing.label == "A post without a title"
    given = Passage(doc_id="p4", title=None, text="x", start=0, end=1, score=0.1, label="site: “Opening”")
    assert given.label == "site: “Opening”"


def test_without_links_leaves_a_sentence_its_own_words():
    from rag.text import without_links

    sentence = "I am sceptical about the pledge: http://www.example.org/2010/labour-pledge and more."
    assert without_links(sentence) == "I am sceptical about the pledge: and more."
    assert without_links("See www.example.org/a.") == "See"
    assert without_links("http://example.org/only-a-link") == "http://example.org/only-a-link"
    assert without_links("No link here.") == "No link here."
