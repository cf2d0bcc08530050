"""Whose words a sentence gives: a light, rule-based speaker attribution.

News and blog posts name a speaker once and then quote them over several sentences ("Tessa Jowell
said..." / "“When a public service is mutually owned, ...,” she said." / "“This turns them into
champions of improvement ...”"). A question naming the speaker should find all of those sentences, not
only the first, so a sentence *voiced* by a person counts as naming them (see
``evidence.score_sentences``). The rules follow the quotation-attribution patterns of Pareti et al.,
"Automatically Detecting and Attributing Indirect Quotations" (EMNLP 2013) and O'Keefe et al., "A
Sequence Labelling Approach to Quote Attribution" (EMNLP 2012): a speech verb next to a name or a
pronoun, the pronoun resolved to the nearest named person before it, and a quotation continuing the
last one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

from rag.lexical import other_name_stems, terms
from rag.text import without_links
from rag.types import Sentence

SPEAKER_GAP = 6
"""A speech verb or quotation counts as someone's when within this many words of their name."""
QUOTE_GAP = 3
"""... and a quotation only when it opens within this many words after the name ("Osborne: “..."),
not a scarequoted word further on ("... David Cameron's Big Society (and Barnet's "EasyCouncil")")."""
REFERENCE_BACK = 4
"""A pronoun may refer to a person named this many sentences back (in the same post)."""
_PRONOUNS = frozenset({"he", "she", "they", "it"})
SPEECH = re.compile(
    r"\b(said|says|say|told|tells|tell|argued|argues|argue|believes|believed|believe|claimed|claims|announced|"
    r"announces|declared|declares|wrote|writes|warned|warns|insisted|insists|added|adds|stated|states|"
    r"suggested|suggests|called|calls|described|describes|cited|cites|pointed|points|urged|urges|predicted|"
    r"promised|pledged|accepted|admitted|agreed|agrees|backed|backs|supports|supported|opposed|opposes|"
    r"criticised|criticized|welcomed|thinks|thought|feels|felt|proposed|proposes|response|responded|"
    r"replied|according|opposition|objection|criticism|proposal|warning|verdict|stance|position|view|"
    r"views|call|plea)\b", re.IGNORECASE)
"""Verbs and nouns that report what someone said or thinks."""
_PRONOUN_SPEAKS = re.compile(
    r"\b(?:(?:he|she|(?<![\w'’] )the (?:minister|chancellor|secretary|mayor|leader|chairman|chair|"
    r"president|councillor))\s+(?:said|says|added|adds|told|tells|argued|argues|explained|explains|"
    r"insisted|insists|warned|warns|continued|continues|went on)|(?:said|says|added|adds)\s+(?:he|she))\b",
    re.IGNORECASE)
"""A speaker named by a pronoun, or by the role just named ("The minister argued that..." after Tessa
Jowell's words)."""
_OPENS_QUOTE = re.compile(r"^\s*[\"“‘]")
_PERSON = "PERSON"
QUOTATION_BACK = 8
"""A quotation may run over this many sentences: its opening mark is looked for this far back."""
_QUOTE_MARK = re.compile(r"[\"“”]")


def speaker_keys(key: str) -> tuple[str, ...]:
    """The stems a speaker may go by: its own, and a party's other name (``rag.lexical.OTHER_NAMES``)."""
    return (key, *other_name_stems(key))


TITLES = frozenset({"councillor", "councilor", "minister", "chancellor", "secretary", "mayor", "leader",
                    "chairman", "chair", "president", "author", "writer", "blogger", "mp", "member"})
"""Titles that name a role, not its holder ("Councillor", "the General Secretary")."""
OFFICERS = TITLES | {"head", "spokesperson", "spokesman", "spokeswoman", "officer", "official", "director"}
"""Roles whose holder speaks for the body named before them ("UNISON's General Secretary", "UNISON's
Head of Education")."""


_ROLE_WORDS = TITLES | {"the", "a", "an", "to", "by", "mr", "mrs", "ms", "dr", "shadow", "general", "former",
                       "prime", "deputy", "chief", "head", "of", "its", "their", "his", "her"}
"""Words between an inverted attribution's verb and the name ("said the shadow chancellor George
Osborne")."""


def speaks(text: str, key: str) -> bool:
    """Whether the person whose name stems to ``key`` (or a pronoun opening the sentence) is the
    speaker of a speech or opinion verb, or of a quotation, in ``text``: within a few words of it."""
    words = re.findall(r"[\w'’]+|[\"“”:;]", without_links(text))  # "Morrison(http://...": no colon of his
    stems = [terms(w) for w in words]
    for i, st in enumerate(stems):
        speaker = key in st or (words[i].lower() in _PRONOUNS and i < 3)
        if not speaker:
            continue
        if words[i].lower().endswith(("'s", "’s")):  # "Cameron's Big Society": no speaker, but
            # "UNISON's General Secretary was forthright in his response": its officer speaks for it
            officer = next((j for j in range(i + 1, min(i + 4, len(words))) if words[j].lower() in OFFICERS),
                           None)
            if officer is None:
                continue
            i = officer
        after = words[i + 1:i + 1 + SPEAKER_GAP]
        # before the name, only an inverted attribution: "said Jowell", "according to the minister",
        # not "announced the creation of an independent Commission" (the name is what is spoken of)
        before = [j for j in range(max(0, i - SPEAKER_GAP), i) if SPEECH.fullmatch(words[j])
                  and all(w.lower() in _ROLE_WORDS or w[:1].isupper() for w in words[j + 1:i])]
        if before or any(SPEECH.fullmatch(w) for w in after) or any(w in "\"“:" for w in after[:QUOTE_GAP]):
            return True
    return False


def names_person(sentence: Sentence) -> bool:
    """Whether spaCy found a person's name in the sentence at index time."""
    return any(span.label == _PERSON for span in sentence.entities)



_FIRST_PERSON = re.compile(r"\b(I|I'm|I’m|I've|I’ve|I'd|I’d)\b|\b(?i:my|me|we|our|us)\b")


def names_person_by_name(sentence: Sentence) -> bool:
    """Whether the sentence names a person by name: a PERSON entity that is not a title alone
    (spaCy also tags "Councillor" in "As a Councillor I...")."""
    return any(span.label == _PERSON
               and sentence.text[span.start - sentence.start:span.end - sentence.start].strip().lower()
               not in TITLES for span in sentence.entities)


def in_first_person(text: str) -> bool:
    """Whether the text speaks in the first person ("I", "my", "we"...): its writer's own words."""
    return bool(_FIRST_PERSON.search(text))


@lru_cache(maxsize=65_536)
def speech_cues(text: str) -> tuple[bool, bool]:
    """(a pronoun speaks in it, it opens with a quotation mark), cached: every question that names a
    person asks this of the same candidate sentences."""
    return bool(_PRONOUN_SPEAKS.search(text)), bool(_OPENS_QUOTE.match(text))


def voiced_by(sentence: Sentence, key: str, earlier: Callable[[Sentence], Sequence[Sentence]]) -> bool:
    """Whether ``sentence`` gives the words of the person whose name stems to ``key`` without naming
    them: "“...,” she said." when the nearest person named before it (up to ``REFERENCE_BACK``
    sentences back, same post) is them, or a quotation opening right after their quoted words.

    ``earlier(sentence)`` returns the sentences before it in its post, nearest last.
    """
    pronoun, continues = speech_cues(sentence.text)
    if not (pronoun or continues):
        return False
    before = list(earlier(sentence))[-REFERENCE_BACK:]
    if continues and not pronoun:
        if not before:
            return False
        last = before[-1]
        if last.row != sentence.row - 1:
            return False
        named = key in terms(last.text)
        return (named and speaks(last.text, key)) or voiced_by(last, key, earlier)
    for prior in reversed(before):
        if key in terms(prior.text):
            return not named_as_example(prior.text, key)
        if names_person(prior):
            return False
    return False


_EXAMPLE = re.compile(r"\b(?:such as|like|including|e\.g\.|for example|for instance|as with)\s+$",
                      re.IGNORECASE)


def named_as_example(text: str, key: str) -> bool:
    """Whether every mention of the name stemming to ``key`` in ``text`` is an example someone gives
    ("services such as John Lewis"): the name is what is spoken of, not who speaks."""
    words = list(re.finditer(r"[\w'’]+", text))
    at = [i for i, w in enumerate(words) if key in terms(w.group())]
    if not at:
        return False
    for i in at:
        j = i
        while j > 0 and words[j - 1].group()[:1].isupper() and i - j < 3:  # "John Lewis": from "John"
            j -= 1
        if not _EXAMPLE.search(text[max(0, words[j].start() - 30):words[j].start()]):
            return False
    return True


def _marks(text: str) -> list[bool]:
    """Each double quotation mark of ``text`` in order, True where it opens a quotation: a curly
    mark says so itself; a straight one opens when a word follows it (\"We want...) and closes
    otherwise (...gain.\")."""
    out = []
    for m in _QUOTE_MARK.finditer(text):
        mark = m.group(0)
        if mark == '"':
            after = text[m.end():m.end() + 1]
            out.append(bool(after) and (after.isalnum() or after in "‘'(£$€"))
        else:
            out.append(mark == "“")
    return out


def quotation_introducers(sentences: Sequence[Sentence]) -> dict[int, Sentence]:
    """For each sentence that is part of a quotation, the sentence introducing it: {row: sentence}.

    Posts quote statements over several sentences and paragraphs ('based upon a "pledge" from 115
    local Labour Groups;' / '"We want to protect frontline services.' / ... / '...short term private
    gain."'): every sentence of the quotation gives the words of whoever the introducing sentence
    names, so it is read with that sentence as its context. The quotation marks are followed in
    order over runs of consecutive sentences of a post (``sentences``, ordered by row; a gap or a new
    post starts outside any quotation, so a run should begin ``QUOTATION_BACK`` sentences before the
    ones that matter). A quotation opening at a sentence's start was introduced by the sentence
    before it; one opening after a sentence's first words, by that sentence itself."""
    out: dict[int, Sentence] = {}
    opener: int | None = None  # index of the sentence the open quotation began in
    for i, sent in enumerate(sentences):
        if i and (sent.row != sentences[i - 1].row + 1 or sent.doc_id != sentences[i - 1].doc_id):
            opener = None
        starts_open = opener is None and bool(_OPENS_QUOTE.match(sent.text))
        here = opener if opener is not None else (i if starts_open else None)
        if here is not None:
            first = sentences[here]
            if _OPENS_QUOTE.match(first.text):
                if here > 0 and sentences[here - 1].row == first.row - 1 \
                        and sentences[here - 1].doc_id == first.doc_id:
                    out[sent.row] = sentences[here - 1]
            elif here < i:
                out[sent.row] = first
        for opens in _marks(sent.text):
            opener = (opener if opener is not None else i) if opens else None
    return out


def introduces(sentence: Sentence, key: str) -> bool:
    """Whether ``sentence``, introducing a quotation, gives it as the words of the one whose name
    stems to ``key``: it names them as a speaker, or names them and ends right before the quotation
    ('...a "pledge" from 115 local Labour Groups;')."""
    keys = speaker_keys(key)
    if not any(k in terms(sentence.text) for k in keys):
        return False
    return sentence.text.rstrip()[-1:] in ":;," or any(speaks(sentence.text, k) for k in keys)
