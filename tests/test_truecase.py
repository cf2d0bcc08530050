"""Truecasing a question typed in lower case from the posts' own capitals."""

from __future__ import annotations

import pytest

from rag.truecase import case_forms, caseless
from rag.types import Sentence

pytestmark = pytest.mark.unit


def sentence(text: str, row: int = 0) -> Sentence:
    return Sentence(row=row, doc_id="d", start=0, end=len(text), text=text)


@pytest.mark.parametrize("text,expected", [
    ("what did will hutton's commission recommend?", True),
    ("What did will hutton's commission recommend?", False),  # a capital first: written with care
    ("How old are the gravestones?", False),
    ("why do i think so?", True),
    ("what did I say about unison?", True),  # a lone "I" is no name
    ("What did Will Hutton's commission recommend?", False),
    ("whats the name of the UNISON general secretary?", False),  # capitals of its own: as typed
    ("?!", False),
])
def test_a_question_without_capitals_is_caseless(text, expected):
    assert caseless(text) is expected


def test_case_forms_count_each_written_form_away_from_a_sentences_start():
    sentences = [sentence("A commission, chaired by Will Hutton, will investigate."),
                 sentence("Will Hutton said so."),  # opens the sentence: no evidence of case
                 sentence("The General Secretary will speak to the General Secretary of Unite.")]
    wanted = {("will",), ("will", "hutton"), ("general", "secretary"), ("hutton",)}
    forms = case_forms(sentences, wanted)
    assert forms[("will", "hutton")] == {"Will Hutton": 1}
    assert forms[("will",)] == {"Will": 1, "will": 2}  # mostly the verb
    assert forms[("general", "secretary")] == {"General Secretary": 2}
    assert ("the",) not in forms  # only the runs the question has are counted
