"""Answer composition on hand-made sentences: no model, no index."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from rag.answering.compose import TIE_MARGIN, Composer, compose_fact
from rag.answering.evidence import Candidate
from rag.types import Sentence, SentenceRole

pytestmark = pytest.mark.unit


class Sentences:
    """Just enough of the answer store for composing: sentences by row, each its own paragraph."""

    def __init__(self, sentences: Sequence[Sentence]) -> None:
        self.rows = {s.row: s for s in sentences}

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        """A unit vector of its own for each sentence: no two say the same."""
        out = np.zeros((len(rows), max(self.rows) + 1), np.float32)
        out[range(len(rows)), list(rows)] = 1.0
        return out

    def sentence_window(self, row: int, before: int, after: int) -> list[Sentence]:
        doc = self.rows[row].doc_id
        return [s for r, s in sorted(self.rows.items())
                if s.doc_id == doc and row - before <= r <= row + after]


OPENED = "The stadium opened in the spring of that year after long delays."
PLAYED = "The game was played there on the seventh of February that year."


def candidate(row: int, doc: str, text: str, relevance: float) -> Candidate:
    s = Sentence(row=row, doc_id=doc, start=100 * row, end=100 * row + len(text), text=text, line=row)
    return Candidate(s, relevance, 0.0, 0.0, relevance, False, 0)


def quoted_rows(ranked: Sequence[Candidate]) -> set[int]:
    composer = Composer(Sentences([c.sentence for c in ranked]), ranked)  # type: ignore[arg-type]
    return {r for unit in compose_fact(composer, ranked, floor=0.0) for r in unit.rows()}


def test_a_near_tie_from_another_post_is_quoted_too():
    ranked = [candidate(0, "a", OPENED, 0.80),
              candidate(7, "b", PLAYED, 0.80 - TIE_MARGIN / 2)]
    assert quoted_rows(ranked) == {0, 7}


def test_a_clearly_weaker_sentence_of_another_post_is_left_out():
    ranked = [candidate(0, "a", OPENED, 0.80),
              candidate(7, "b", PLAYED, 0.80 - 2 * TIE_MARGIN)]
    assert quoted_rows(ranked) == {0}


def test_a_runner_up_of_the_same_post_may_be_further_behind():
    ranked = [candidate(0, "a", OPENED, 0.80),
              candidate(3, "a", PLAYED, 0.80 - 1.5 * TIE_MARGIN)]
    assert quoted_rows(ranked) == {0, 3}


def _item(row: int, text: str, line: int) -> Sentence:
    return Sentence(row=row, doc_id="a", start=100 * row, end=100 * row + len(text), text=text,
                    role=SentenceRole.LIST_ITEM, line=line)


def test_a_list_items_second_sentence_takes_the_first_but_not_the_item_before():
    items = [_item(8, "- not every group of service users has the time or skills to run the service.", 8),
             _item(9, "This is particularly the case in more deprived areas of the borough.", 8),
             _item(10, "- user groups would advocate policies in conflict with the council's.", 10),
             _item(11, "This could split the council and its residents over many years.", 11)]
    composer = Composer(Sentences(items), [])  # type: ignore[arg-type]
    assert composer.expansions(items[1], 1.0, whole_list=False)[-1].rows() == {8, 9}  # its own line
    assert composer.expansions(items[3], 1.0, whole_list=False)[-1].rows() == {11}  # another item: alone


def test_a_long_near_tie_is_quoted_rather_than_shorter_weaker_sentences():
    from rag.answering.compose import compose_several

    long_best = "The network is likely to grow, " + "because councillors want it " * 16 + "today."  # 71 words
    long_tie = "Unions need an approach of critical engagement, " + "on every plan they see " * 12 + "here."
    short = "Some councils pursue the goal."
    ranked = [candidate(0, "a", long_best, 0.90), candidate(5, "a", long_tie, 0.87),
              candidate(9, "a", short, 0.60)]
    composer = Composer(Sentences([c.sentence for c in ranked]), ranked)  # type: ignore[arg-type]
    rows = {r for unit in compose_several(composer, ranked, floor=0.0) for r in unit.rows()}
    assert 5 in rows  # 0.03 behind the best, though it takes the answer past its usual length


def test_a_summary_prefers_the_sentences_that_open_paragraphs():
    """With every sentence equally central (orthogonal vectors), the topic sentences (each paragraph's
    first) are the ones a post's summary quotes, in post order."""
    from rag.answering.compose import compose_summary

    words = "one two three four five six seven eight nine ten"
    sentences = [Sentence(row=r, doc_id="d", start=100 * r, end=100 * r + len(words), text=f"{words}.",
                          line=r // 2) for r in range(6)]
    units = compose_summary(Sentences(sentences), sentences, budget=30)  # type: ignore[arg-type]
    assert [u.first for u in units] == [0, 2, 4]


class Titled(Sentences):
    """Sentences whose vectors are their own, except that sentence 3 says what the title (row 0) does."""

    def vectors_of(self, rows: Sequence[int]) -> np.ndarray:
        out = super().vectors_of(rows)
        for i, row in enumerate(rows):
            if row == 3:
                out[i] = 0.0
                out[i, 0] = 1.0
        return out


def test_a_summary_prefers_the_sentence_closest_to_its_posts_title():
    """The title method: with all else equal, the sentence saying what the title says is quoted."""
    from rag.answering.compose import compose_summary

    words = "one two three four five six seven eight nine ten"
    title = Sentence(row=0, doc_id="d", start=0, end=9, text="The title", role=SentenceRole.TITLE, line=0)
    body = [Sentence(row=r, doc_id="d", start=100 * r, end=100 * r + len(words), text=f"{words}.", line=1)
            for r in range(1, 6)]
    units = compose_summary(Titled([title, *body]), [title, *body], budget=10)  # type: ignore[arg-type]
    assert [u.first for u in units] == [3]


def test_a_sentence_introducing_a_quotation_is_quoted_with_the_quotations_first_paragraph():
    """'...based upon a "pledge" from 115 local Labour Groups;' says whose words follow, not what they
    are: quoted, it brings the quotation's first paragraph, though the quotation runs on past it."""
    texts = ['The plan was based upon a "pledge" from the local groups;',
             '"We want to protect frontline services.', "We shall do this by giving people real power.",
             "This will save money.", "We will use whichever models suit.", "They will be run well.",
             "And they will be fair.", 'That is all."', "The blogger then asks what to make of it."]
    lines = [0, 1, 1, 1, 2, 2, 2, 2, 3]
    sentences = [Sentence(row=r, doc_id="d", start=100 * r, end=100 * r + len(t), text=t, line=lines[r])
                 for r, t in enumerate(texts)]
    composer = Composer(Sentences(sentences), [])  # type: ignore[arg-type]
    assert composer.expand(sentences[0], 1.0, whole_list=False).rows() == {0, 1, 2, 3}
    assert composer.expand(sentences[0], 1.0, whole_list=True).rows() == {0, 1, 2, 3}
    plain = [Sentence(row=r, doc_id="d", start=100 * r, end=100 * r + len(t), text=t, line=r)
             for r, t in enumerate(["The groups made a pledge;", "It was short.", "Then came more."])]
    assert Composer(Sentences(plain), []).expand(  # type: ignore[arg-type]
        plain[0], 1.0, whole_list=False).rows() == {0, 1}  # no quotation: the next sentence, as before
