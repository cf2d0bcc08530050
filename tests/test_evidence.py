"""Evidence for the extractive answerer, on hand-made sentences: no model, no index."""

from __future__ import annotations

import pytest

from rag.answering.evidence import counts_something, holds_answer
from rag.question import analyse
from rag.types import Sentence

pytestmark = pytest.mark.unit


def sentence(text: str) -> Sentence:
    return Sentence(row=0, doc_id="d", start=0, end=len(text), text=text)


@pytest.mark.parametrize("text,word,counts", [
    ("a successful TMO runs one of the housing estates in my ward", "one", False),
    ("And on one level why should they?", "one", False),
    ("the one that works", "one", False),
    ("they set up one pilot mutual", "one", True),
    ("the 108 co-operative trust schools", "108", True),
])
def test_a_number_word_counts_something_only_where_it_says_how_many(text, word, counts):
    start = text.index(word)
    assert counts_something(text, start, start + len(word)) is counts


def test_how_many_is_not_answered_by_one_of_the():
    analysis = analyse("How many homes are on the estate the Tenant Management Organisation runs?")
    tmo = sentence("A successful TMO runs one of the housing estates in my ward.")
    assert not holds_answer(tmo, analysis)
    assert holds_answer(sentence("The estate has 420 homes."), analysis)
