"""The quote verifier on hand-made passages: only verbatim quotes may become citations."""

from __future__ import annotations

import pytest

from rag.answering.verify import UNVERIFIED_MARK, locate, normalise, verify_answer
from rag.types import Passage

pytestmark = pytest.mark.unit

DOC = (
    "Mutual suspicion\n"
    "As a Councillor I have to confess I am more than a little bit sceptical about the pledge.\n"
    "I'm a mutualist as I'm in the Co-Op Party as well as Labour.\n"
    'Surely council services are already "mutual" in a sense.\n'
    "Our focus for promoting mutuals should be on taking businesses out of the capitalist   sector."
)


def _passage(start: int, end: int, score: float, doc_id: str = "d1", title: str = "Mutual suspicion"
             ) -> Passage:
    return Passage(doc_id=doc_id, title=title, text=DOC[start:end], start=start, end=end, score=score,
                   date="2010-03-31", url="https://example.org/post", source="post.md")


def _cut(text: str) -> int:
    return DOC.index(text)


P1 = _passage(0, _cut("I'm a mutualist"), 0.9)
P2 = _passage(_cut("I'm a mutualist"), _cut("Our focus"), 0.7)
P3 = _passage(_cut("Our focus"), len(DOC), 0.5)
PASSAGES = [P1, P2, P3]


def _exact(citations) -> None:
    for c in citations:
        assert DOC[c.start:c.end] == c.quote


def test_a_verbatim_quote_becomes_a_citation_with_document_offsets() -> None:
    v = verify_answer("He is “more than a little bit sceptical” [1].", PASSAGES)
    assert v.text == "He is “more than a little bit sceptical” [1]."
    assert [(c.marker, c.quote, c.doc_id, c.title) for c in v.citations] == [
        (1, "more than a little bit sceptical", "d1", "Mutual suspicion")]
    assert v.unverified == []
    _exact(v.citations)


def test_offsets_are_document_offsets_for_a_passage_that_starts_late() -> None:
    v = verify_answer("“taking businesses out of the capitalist sector” [3]", PASSAGES)
    (c,) = v.citations
    assert c.start > P3.start and DOC[c.start:c.end] == c.quote
    assert c.quote == "taking businesses out of the capitalist   sector"  # the document's own spacing
    assert v.text == "“taking businesses out of the capitalist sector” [1]"


def test_whitespace_and_quote_mark_differences_are_tolerated() -> None:
    text = 'He writes “I’m a mutualist as\nI’m in the Co-Op Party” [2] and “already "mutual" in” [2].'
    v = verify_answer(text, PASSAGES)
    assert [c.quote for c in v.citations] == ["I'm a mutualist as I'm in the Co-Op Party",
                                              'already "mutual" in']
    assert v.unverified == []
    _exact(v.citations)


@pytest.mark.parametrize("quote", [
    "more than a little sceptical",  # a word left out
    "More than a little bit sceptical",  # case
    "more than a little bit sceptical...",  # added punctuation
    "more than a little bit skeptical",  # spelling
    "ore than a little bit sceptical",  # not on a word boundary
])
def test_anything_but_whitespace_and_quote_marks_must_match(quote: str) -> None:
    v = verify_answer(f"He is “{quote}” [1].", PASSAGES)
    assert v.citations == []
    assert v.unverified == [quote]


def test_an_invented_quote_is_marked_and_never_cited() -> None:
    v = verify_answer("He says “mutuals are always a bad idea” [1].", PASSAGES)
    assert v.citations == []
    assert v.unverified == ["mutuals are always a bad idea"]
    assert v.text == f"He says “mutuals are always a bad idea”{UNVERIFIED_MARK}."


def test_a_quote_cited_to_the_wrong_passage_points_to_the_right_one() -> None:
    v = verify_answer("He is “in the Co-Op Party” [1].", PASSAGES)
    (c,) = v.citations
    assert c.start >= P2.start and c.end <= P2.end
    assert v.text == "He is “in the Co-Op Party” [1]."  # passage 2, renumbered as the first cited


def test_markers_are_renumbered_by_first_use_and_shared_per_passage() -> None:
    text = ("First “taking businesses out” [3], then “in the Co-Op Party” [2], "
            "and again “the capitalist sector” [3].")
    v = verify_answer(text, PASSAGES)
    assert v.text == ("First “taking businesses out” [1], then “in the Co-Op Party” [2], "
                      "and again “the capitalist sector” [1].")
    assert [(c.marker, c.quote) for c in v.citations] == [
        (1, "taking businesses out"), (1, "the capitalist   sector"), (2, "in the Co-Op Party")]
    _exact(v.citations)


def test_markers_naming_no_passage_are_dropped() -> None:
    v = verify_answer("A claim [7]. Another [0]. “in the Co-Op Party” [9].", PASSAGES)
    assert v.text == "A claim. Another. “in the Co-Op Party” [1]."
    assert [c.quote for c in v.citations] == ["in the Co-Op Party"]


def test_claim_markers_are_kept_only_for_passages_cited_by_a_verified_quote() -> None:
    text = "Mutuals are popular [1]. Councils matter [2]. He is “a mutualist” [2]."
    v = verify_answer(text, PASSAGES)
    assert v.text == "Mutuals are popular. Councils matter [1]. He is “a mutualist” [1]."
    assert [c.marker for c in v.citations] == [1]


def test_a_marker_group_keeps_the_passages_its_quotes_come_from() -> None:
    v = verify_answer("“a mutualist” and “the capitalist sector” [1, 2][3].", PASSAGES)
    assert v.text == "“a mutualist” and “the capitalist sector” [1][2]."
    assert [(c.marker, c.quote) for c in v.citations] == [(1, "a mutualist"), (2, "the capitalist   sector")]


def test_a_quote_without_a_marker_gets_one_if_it_is_found() -> None:
    v = verify_answer("As [2] puts it, “I'm a mutualist”. He also says “something else”.", PASSAGES)
    assert v.text == f"As [1] puts it, “I'm a mutualist” [1]. He also says “something else”{UNVERIFIED_MARK}."
    assert v.unverified == ["something else"]


def test_a_marker_in_the_next_sentence_does_not_claim_the_quote() -> None:
    v = verify_answer("He said “the pledge”. Councils run services [3].", PASSAGES)
    # the quote is found in passage 1 and marked; passage 3 has no verified quote, so [3] goes
    assert v.text == "He said “the pledge” [1]. Councils run services."


def test_a_quotation_that_is_a_post_title_is_neither_cited_nor_flagged() -> None:
    passages = [_passage(_cut("I'm a mutualist"), len(DOC), 0.9, title="Mutual suspicion")]
    v = verify_answer("The post “Mutual Suspicion” says “I'm a mutualist” [1].", passages)
    assert v.unverified == []
    assert [c.quote for c in v.citations] == ["I'm a mutualist"]
    assert "[unverified]" not in v.text


def test_straight_quotes_and_refusals() -> None:
    v = verify_answer('He says “ ” and "unbalanced [2].', PASSAGES)  # no quotation in either
    assert v.citations == [] and v.unverified == [] and v.text == 'He says “ ” and "unbalanced.'
    refusal = verify_answer("The posts do not answer this question.", PASSAGES)
    assert refusal.text == "The posts do not answer this question." and refusal.citations == []


def test_no_passages_means_no_citations() -> None:
    v = verify_answer("“a mutualist” [1]", [])
    assert v.citations == [] and v.unverified == ["a mutualist"]
    assert v.text == f"“a mutualist”{UNVERIFIED_MARK}"


def test_normalise_and_locate_map_back_to_exact_offsets() -> None:
    text = "a  “b”\n\tc’d e"
    folded, where = normalise(text)
    assert folded == 'a "b" c\'d e'
    assert [text[i] for i in where][:3] == ["a", " ", "“"]
    assert locate('"b" c’d', text) == (3, 11)
    assert locate("c'd e", text) == (8, 13)
    assert locate("c", text) == (8, 9)
    assert locate("d e f", text) is None
    assert locate("   ", text) is None


def test_a_verified_quote_carries_its_posts_label() -> None:
    text = "Local people should run it."
    passage = Passage(doc_id="d9", title=None, text=text, start=10, end=10 + len(text), score=0.4,
                      label="example.org: “Local people should run it.”")
    checked = verify_answer(f"They said “{text}” [1]", [passage])
    assert [c.label for c in checked.citations] == [passage.label]
