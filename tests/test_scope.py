"""Which post a reference names, scored from the posts' metadata alone, and what a comparison of
named sides compares. Pure code: no model."""

from __future__ import annotations

import pytest

from rag.answering.scope import resolve_scope
from rag.question import ScopeRef, year_of
from rag.types import DocumentInfo

pytestmark = pytest.mark.unit

POSTS = [
    DocumentInfo("suspicion", "Mutual suspicion", None, None, "Mutual suspicion", "Mutual suspicion\n",
                 ("councillor",)),
    DocumentInfo("benefit", "Mutual Benefit?", "2010-06-04", None, "Mutual Benefit?", "Mutual Benefit?\n",
                 ("trade unionists",)),
    DocumentInfo("lff", None, None, "http://www.leftfootforward.org/2010/11/public-sector-mutuals/",
                 "leftfootforward.org", "The announcement\n"),
    DocumentInfo("perils", "The perils of mutuals", "2012-05-03", None, "The perils", "The perils\n"),
    DocumentInfo("news", "Conservatives express support", None, None, "Conservatives", "Conservatives\n"),
]


class _Posts:
    """The metadata part of a store: all ``resolve_scope`` reads without the text search."""

    def document_infos(self) -> list[DocumentInfo]:
        return POSTS


def named(words: str, phrase: str | None = None) -> str | None:
    """The post ``words`` (of the question's ``phrase``) names, by title, site, year and role alone."""
    ref = ScopeRef(phrase or words, words, year_of(words), False)
    found = resolve_scope(ref, _Posts(), by_text=False)  # type: ignore[arg-type]
    return found.doc_id if found else None


@pytest.mark.parametrize("words,post", [
    ("2010 councillor", "suspicion"),  # the councillor's post is undated; the 2010 posts have none
    ("2012 councillor", "suspicion"),  # its year is not stated, so no year rules it out
    ("2010 Mutual Benefit", "benefit"),  # the year is not one of the title's words
    ("2012", "perils"),
    ("2010", None),  # two posts are from 2010
    ("2011", None),  # none is: an undated post is not named by a year alone
    ("councillor", "suspicion"),
])
def test_a_year_and_a_role_name_the_post_that_has_both_or_states_no_year(words, post):
    assert named(words) == post


def test_the_author_a_reference_names_outweighs_its_other_words():
    """"The Labour and Co-op councillor's post reacting to the March 2010 mutualisation pledge": the
    councillor wrote it, though most of its words (and its year) fit a post by trade unionists."""
    phrase = "the Labour and Co-op councillor's post reacting to the March 2010 mutualisation pledge"
    words = "Labour and Co-op councillor to the March 2010 mutualisation pledge"
    assert named(words, phrase) == "suspicion"
    assert named("councillor to the March 2010 pledge", "the post on the councillor to the March 2010 "
                 "pledge") is None  # a councillor spoken of, not the author: the 2010 post and it tie


def test_what_is_compared_is_the_question_between_the_names_of_its_sides():
    from rag.answering.comparison import outside

    text = "How does Osborne's idea of who should run mutuals differ from the Councillor's?"
    kept = "".join(text[a:b] for a, b in outside(text, ["Osborne", "the councillor"]))
    assert kept == "How does  idea of who should run mutuals differ from ?"
    assert outside("Compare them.", ["Osborne"]) == [(0, len("Compare them."))]
    assert outside("Osborne", ["Osborne"]) == []
