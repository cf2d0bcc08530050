"""Speaker attribution: which sentences give a named person's words without naming them.
Pure code: no model is loaded."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from rag.answering.attribution import (
    in_first_person,
    introduces,
    named_as_example,
    names_person_by_name,
    quotation_introducers,
    speaks,
    voiced_by,
)
from rag.types import EntitySpan, Sentence

pytestmark = pytest.mark.unit


def _post(*texts: str, people: Sequence[int] = ()) -> list[Sentence]:
    """Sentences of one post; those at ``people`` carry a PERSON entity over their first word."""
    out, at = [], 0
    for row, text in enumerate(texts):
        spans = (EntitySpan(at, at + len(text.split()[0]), "PERSON"),) if row in people else ()
        out.append(Sentence(row=row, doc_id="d", start=at, end=at + len(text), text=text, entities=spans))
        at += len(text) + 1
    return out


def _earlier(post: list[Sentence]):
    return lambda s: [p for p in post if p.row < s.row]


def test_a_pronoun_speaker_and_the_quotation_after_it_are_the_named_persons_words() -> None:
    post = _post("Tessa Jowell said the public sector could learn lessons.",
                 "“When a service is mutually owned, staff lead reform,” she said.",
                 "“This turns them into champions of improvement.”",
                 "The scheme opens in May.", people=[0])
    assert [voiced_by(s, "jowel", _earlier(post)) for s in post] == [False, True, True, False]


def test_the_pronoun_goes_to_the_nearest_person_named_before_it() -> None:
    post = _post("Tessa Jowell backed the plan.", "George Osborne spoke next.",
                 "“It is a power shift,” he said.", people=[0, 1])
    assert not voiced_by(post[2], "jowel", _earlier(post))
    assert voiced_by(post[2], "osborn", _earlier(post))


def test_the_role_just_named_speaks_for_its_holder() -> None:
    """"The minister argued..." after Tessa Jowell's words gives her view; "the minister's plan" does not
    speak."""
    post = _post("Tessa Jowell said the public sector could learn lessons.", "The scheme opens in May.",
                 "The minister argued that mutualism cannot be prescribed by government.",
                 "Critics of the minister's plan were many.", people=[0])
    assert [voiced_by(s, "jowel", _earlier(post)) for s in post] == [False, False, True, False]


def test_a_speech_verb_before_a_name_makes_it_the_speaker_only_when_inverted() -> None:
    """"said the shadow chancellor George Osborne" is Osborne speaking; "announced the creation of an
    independent Commission on Ownership" speaks of the commission."""
    assert speaks("“It is a power shift,” said the shadow chancellor George Osborne.", "osborn")
    assert speaks("According to Osborne, the plan is a power shift.", "osborn")
    assert not speaks("Jowell announced the creation of an independent Commission on Ownership.", "commiss")


def test_an_officer_speaks_for_the_body_named_before_the_title() -> None:
    assert speaks("When the Tories offered support, UNISON's General Secretary was forthright in his "
                  "response; “This is another ploy.”", "unison")
    assert speaks("UNISON's Head of Education said of Tory plans: “They would drive down standards.”",
                  "unison")
    assert not speaks("UNISON's branches met on Monday to say nothing new.", "unison")  # no officer


def test_a_quotation_after_unattributed_text_is_nobodys() -> None:
    post = _post("Tessa Jowell backed the plan.", "The council met on Monday.", "“It will not work.”",
                 people=[0])
    assert not voiced_by(post[2], "jowel", _earlier(post))


def test_speaks_finds_a_speech_verb_or_quotation_near_the_name() -> None:
    assert speaks("Osborne cited the example of Sure Start.", "osborn")
    assert speaks("He told the Today programme: “This is a power shift.”", "osborn")
    assert not speaks("Osborne's plan has many critics among unions and councils alike.", "osborn")


def test_a_name_in_the_possessive_or_before_a_scare_quote_is_no_speaker():
    scare = ('Labour presented "mutualisation" as a "progressive" alternative to David Cameron\'s Big '
             'Society (and Barnet\'s "EasyCouncil") in the recent General Election campaign.')
    assert not speaks(scare, "cameron")
    assert speaks('Osborne: "We will give public sector workers the right to run services."', "osborn")
    assert speaks("Osborne cited primary schools, job centres and community nursing teams.", "osborn")
    # a link's colon opens no quotation of the name before it
    assert not speaks("in the tradition of Mayor Herbert Morrison(http://en.wikipedia.org/wiki/Herbert_Morrison).",
                      "morrison")


def test_every_sentence_of_a_quotation_over_several_paragraphs_has_its_introducer() -> None:
    post = _post('Labour presented "mutualisation" as an alternative.',
                 'This was based upon a "pledge" from 115 local Labour Groups;',
                 '"We want to protect frontline services.',
                 "This will not only save money.",
                 'Such services must embody public-sector values."',
                 "What should we make of this?")
    found = {row: s.row for row, s in quotation_introducers(post).items()}
    assert found == {2: 1, 3: 1, 4: 1}  # balanced scare quotes open nothing; the close ends it
    assert introduces(post[1], "labour")  # it ends right before the quotation it introduces
    assert not introduces(post[5], "labour")


def test_a_quotation_opening_inside_a_sentence_is_introduced_by_that_sentence() -> None:
    post = _post('The Head of Education said of the plans; "They say it should be first.',
                 'If that happened they would drive down standards."', "Watch this space.")
    assert {row: s.row for row, s in quotation_introducers(post).items()} == {1: 0}


def test_a_gap_between_sentences_closes_any_quotation() -> None:
    post = _post("She said:", "“It will work.", "It will pay.”")
    apart = [post[0], post[2]]
    assert quotation_introducers(apart) == {}
    assert {row: s.row for row, s in quotation_introducers(post).items()} == {1: 0, 2: 0}


def test_a_title_tagged_as_a_person_is_no_name_and_first_person_is_the_writers_voice() -> None:
    titled, named = _post("Councillor I have to confess I am sceptical.", "Jowell said it would work.",
                          people=[0, 1])
    assert not names_person_by_name(titled) and names_person_by_name(named)
    assert in_first_person(titled.text) and not in_first_person(named.text)
    assert in_first_person("We want to protect frontline services.")


@pytest.mark.parametrize("text,key,example", [
    ("Tessa Jowell said the sector could learn from services such as John Lewis.", "lewi", True),
    ("Tessa Jowell said the sector could learn from services such as John Lewis.", "jowel", False),
    ("John Lewis said so, and other firms like Lewis agree.", "lewi", False),  # once as the speaker
])
def test_a_name_given_as_an_example_is_no_speaker(text, key, example):
    assert named_as_example(text, key) is example
