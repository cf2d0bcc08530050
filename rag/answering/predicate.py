"""What an open question asks about its subject: "What did *Herbert Morrison* **achieve** as Mayor of
Hackney?", "How did *Francis Maude's pilot mutuals* **perform** after their first year?", "Did
*Amendment 42.1* **pass** at conference?".

A question of the form *what/how + auxiliary + subject + verb ...* names its subject, then asks what
the subject did (its main verb). When the posts mention the subject only in passing, the sentences
about it say nothing of that verb or any word derived from it, and the question is unanswerable
from them however close their wording looks. This module finds the subject and the main verb with a
few rules over word classes (WordNet's lists, ``rag.wordclass``): the subject is the
noun phrase after the auxiliary (names, possessives, determiners, nouns and adjectives, an
infinitive clause after a noun), and the main verb the first word that can only be a verb, or a
base-form verb after the phrase's head.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.answering.store import AnswerStore
from rag.lexical import terms
from rag.question import FRAME_VERBS, SCOPE_NOUNS, STOPWORDS, lexicon
from rag.text import without_links
from rag.types import Sentence
from rag.wordclass import is_base_verb, word_classes

_OPEN = re.compile(r"^\s*(?:and\s+|but\s+|so\s+)?(?:(?P<wh>what|how|when)\s+(?:exactly\s+|precisely\s+|"
                   r"actually\s+|really\s+)?)?(?P<aux>do|does|did|would|will|could|should|might|can|has|have|had)\s+"
                   r"(?P<rest>.+?)\s*[?.!]*\s*$", re.IGNORECASE)
"""What/how + auxiliary + subject + verb, or the yes/no question of the same shape ("Did Amendment
42.1 pass at conference?")."""
_TOKEN = re.compile(r"[A-Za-z][\w'’-]*")
_DETERMINERS = lexicon("the a an this that these those his her their its our my your")
_JOINERS = lexicon("of for on and")
_INNER_AUX = lexicon("have has had be been being")
_BEFORE_VERB = lexicon("actually really ever eventually finally ultimately even still also then later truly "
                       "himself herself itself themselves")
"""Words between the subject and its verb that belong to neither ("Herbert Morrison himself think")."""
LIGHT_VERBS = lexicon("do does did make get have take give go happen become come")
"""Verbs that say little of their own ("what did the Conservatives do to building societies"): their
object, not the verb, is what is asked."""


_DEEDS = lexicon("publish published propose proposes proposed")
"""Frame verbs that, of a subject that is neither a post nor a person ("the commission", "Amendment
42.1"), ask what it did: a subject named in passing is not said to have done it unless the verb is
near. What a person published or proposed, a post may report in other words ("wrote a book")."""

ATTITUDE_VERBS = lexicon(
    "welcome support oppose back like dislike favour favor agree accept reject criticise criticize praise "
    "endorse approve condemn want believe fear worry hope concede admit react respond trust doubt "
    "object resist embrace share prefer")
"""Verbs of a view: a yes/no question with one ("Did the General Secretary welcome the plans?") asks
for a stance, which the posts may take without the verb ("forthright in his response")."""


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    """The subject of an open question and what it asks about it."""

    subject: str  # as written: "Francis Maude's pilot mutuals"
    verb: str  # the main verb, as written: "perform"
    predicate: str  # the verb and the rest of the question: "perform after their first year"
    yes_no: bool = False  # "Did Amendment 42.1 pass...?", not "What did... achieve?"


def _is_name(word: str) -> bool:
    return word[:1].isupper()


def _possessive(word: str) -> bool:
    return word.lower().endswith(("'s", "’s", "s'", "s’"))


def open_question(text: str) -> OpenQuestion | None:
    """The subject and main verb of "what/how + auxiliary + subject + verb ..." questions whose subject
    opens with a name or a determiner; None for other questions, or when no main verb is found, or
    when it is a light verb ("do", "make") or a frame verb ("say", "think": the question asks for a
    view)."""
    m = _OPEN.match(text)
    if m is None:
        return None
    rest = m.group("rest")
    tokens = list(_TOKEN.finditer(rest))
    if not tokens or not (_is_name(tokens[0].group()) or tokens[0].group().lower() in _DETERMINERS):
        return None
    verb_at: int | None = None
    i = 0
    while i < len(tokens):
        word = tokens[i].group()
        low = word.lower()
        if i == 0 or _is_name(word) or _possessive(word) or low in _DETERMINERS or low in _JOINERS:
            i += 1
            continue
        if low in _BEFORE_VERB:
            i += 1
            continue
        if low in _INNER_AUX:  # "Labour's plan to re-mutualise Northern Rock have worked"
            verb_at = i + 1 if i + 1 < len(tokens) else None
            break
        if low == "to" and i + 1 < len(tokens):  # an infinitive clause after the head: "plan to re-mutualise"
            i += 2
            continue
        classes = word_classes(low)
        before = tokens[i - 1].group()
        noun_place = _possessive(before) or before.lower() in _DETERMINERS  # "Labour's plan to ..."
        last = i + 1 == len(tokens)
        after = "" if last else tokens[i + 1].group()
        if "verb" in classes and is_base_verb(low) and not noun_place and (
                "noun" not in classes or last or low in FRAME_VERBS or low in LIGHT_VERBS
                or after.lower() in STOPWORDS or _is_name(after)  # "...Conference pass Amendment 42.1"
                or not any(is_base_verb(w) and "verb" in word_classes(w)  # "save money"
                           for w in (t.group().lower() for t in tokens[i + 1:]))):
            verb_at = i
            break
        if not classes and not _is_name(word) and low not in STOPWORDS:
            i += 1  # a word WordNet lacks ("re-mutualise", "EasyCouncil"): part of the phrase
            continue
        if classes and not ({"noun", "adj"} & classes):
            return None  # an adverb or a verb form that is no main verb: not this question's shape
        i += 1
    if verb_at is None or verb_at >= len(tokens):
        return None
    verb = tokens[verb_at].group()
    yes_no = m.group("wh") is None
    deeds = _DEEDS if not is_person_name(rest[: tokens[verb_at].start()].strip()) else frozenset()
    if verb.lower() in LIGHT_VERBS | (FRAME_VERBS - deeds) or (yes_no and verb.lower() in ATTITUDE_VERBS):
        return None
    subject = rest[: tokens[verb_at].start()].strip()
    subject = re.sub(r"\s+(?:have|has|had|be|been|being)$", "", subject, flags=re.IGNORECASE)
    words = subject.split()
    while len(words) > 1 and words[-1].lower() in _BEFORE_VERB:
        words.pop()
    subject = " ".join(words)
    if re.fullmatch(r"(?:(?:all\s+)?(?:the|these|those)\s+)?(?:posts|articles|blogs|pieces|authors|writers|"
                    r"bloggers)", subject, re.IGNORECASE):
        return None  # "How do the posts link...": the collection, asked what it says
    if subject.lower().split()[-1].rstrip("'’s") in SCOPE_NOUNS:
        return None  # "What does the Left Foot Forward piece hold up...": a post, asked what it says
    return OpenQuestion(subject=subject, verb=verb, predicate=rest[tokens[verb_at].start():].strip(),
                        yes_no=yes_no)


def derived(verb_term: str, term: str, length: int = 5) -> bool:
    """Whether two stems share the verb's first ``length`` letters (its whole stem when shorter), one
    more for a stem of seven letters or more: "respond" and "respons", "perform" and "perform",
    "achiev" and "achiev"; not "publish" and "public"."""
    if len(verb_term) < length:
        return term == verb_term
    if len(verb_term) >= 7:
        length += 1
    return term[:length] == verb_term[:length]


PASSING_MENTIONS = 2
"""A subject named in at most this many sentences of the posts is mentioned in passing."""
MENTION_CHUNKS = 20


def quotes_it(naming: list[Sentence], store: AnswerStore) -> bool:
    """Whether a sentence naming the subject introduces a quotation of it (the Labour pledge, named
    once, then quoted over four paragraphs): then the posts say all it says, in its own words."""
    from rag.answering.evidence import quotation_introducers_in

    introducers = quotation_introducers_in(store, {s.doc_id for s in naming})
    rows = {s.row for s in naming}
    return any(intro.row in rows for intro in introducers.values())


def passing_mentions(subject: str, store: AnswerStore, corrected: dict[str, str]) -> list[Sentence] | None:
    """The sentences naming a subject (by its rarest word the posts use, or a person by surname) when
    they and the sentences going on about a person ("He said...") number at most ``PASSING_MENTIONS``
    and none introduces a quotation of it; None otherwise, or when the posts never use any of its
    words (the other checks say so)."""
    vocab = store.vocabulary()
    known = [t for t in (corrected.get(t, t) for t in terms(subject)) if t in vocab]
    if not known:
        return None
    idf = store.term_idf(known)
    rarest = max(known, key=lambda t: idf.get(t, 0.0))
    person = is_person_name(subject)
    surname = [t for t in (corrected.get(t, t) for t in terms(subject.split()[-1])) if t in vocab]
    if person and surname:  # "Osborne cited...": a person is named again by surname alone
        rarest = surname[-1]
    rows, _ = store.search_lexical(rarest, MENTION_CHUNKS)
    naming = [s for s in store.sentences_in_chunks(rows.tolist()) if rarest in terms(without_links(s.text))]
    if not naming:
        return None
    mentions = {s.row for s in naming}
    if not person and len(subject.split()) == 1 and subject[:1].isupper():  # "Osborne", tagged a person
        person = any(e.label == "PERSON" and rarest in terms(s.text[e.start - s.start:e.end - s.start])
                     for s in naming for e in s.entities)
    if person:  # "He said...", "He told...": the post goes on about the person named
        mentions |= {s.row for named in naming for s in _continuing(named, store)}
    if len(mentions) > PASSING_MENTIONS or quotes_it(naming, store):
        return None
    return naming


_PERSONAL = re.compile(r"^\W*(?:he|she|his|her)\b", re.IGNORECASE)
"""A sentence that opens on a personal pronoun goes on about the person the one before named."""
CONTINUING = 3


def is_person_name(subject: str) -> bool:
    """Whether the subject is a name of two or more capitalised words ("George Osborne"), which a
    following "he" or "she" may stand for; a thing of a person's ("Francis Maude's pilot mutuals")
    is not."""
    words = subject.split()
    return len(words) >= 2 and all(w[:1].isupper() and not _possessive(w) for w in words)


def _continuing(named: Sentence, store: AnswerStore) -> list[Sentence]:
    """The sentences right after ``named`` that open on "he", "she", "his" or "her" (up to
    ``CONTINUING``), stopping at the first that does not: a light stand-in for coreference."""
    found = []
    for near in store.sentence_window(named.row, 0, CONTINUING)[1:]:
        if not _PERSONAL.match(near.text):
            break
        found.append(near)
    return found


def unsaid(question: str, store: AnswerStore, corrected: dict[str, str] | None = None, *,
           yes_no_only: bool = False) -> OpenQuestion | None:
    """The open question, when the posts mention its subject only in passing and none of the sentences
    naming it (or next to them) uses the question's verb or a word derived from it: "What did Herbert
    Morrison achieve as Mayor of Hackney?" over posts that name him once. None otherwise, and with
    ``yes_no_only`` None for a wh-question unless its verb is a deed ("propose", "publish")."""
    asked = open_question(question)
    if asked is None or (yes_no_only and not asked.yes_no and asked.verb.lower() not in _DEEDS):
        return None
    naming = passing_mentions(asked.subject, store, corrected or {})
    if naming is None:
        return None
    verb_terms = terms(asked.verb) + terms(" ".join(_IRREGULAR.get(asked.verb.lower(), ())))
    if not verb_terms:
        return None
    # "When did Menich serve as President?": a date beside the subject may answer when it did what
    # the rest of the question names ("President"), in whatever verb; what it did, only by the verb
    when = question.lstrip().lower().startswith(("when", "and when"))
    objects = [t for t in terms(asked.predicate) if t not in verb_terms] if when else []
    for sentence in naming:
        for near in store.sentence_window(sentence.row, 1, 1):
            said = terms(without_links(near.text))
            if any(derived(v, t) for v in verb_terms for t in said) or any(o in said for o in objects):
                return None
    return asked


_IRREGULAR = {"die": ("death", "dead"), "begin": ("began", "begun", "beginning", "start"),
              "bear": ("born", "birth"), "marry": ("marriage",), "lead": ("led",), "win": ("won",),
              "lose": ("lost",), "found": ("founded", "foundation"), "build": ("built",),
              "fall": ("fell",), "write": ("wrote", "written")}
"""Forms of a verb that share no stem with it ("the death of Augustus" for "When did Augustus die?")."""


_ABOUT = re.compile(r"^\s*(?i:(?:and\s+)?what\s+(?:is|was|are|were)\s+)(?P<subject>[A-Z][^?]*?)"
                    r"\s+about\s*\?*\s*$")
"""What a named thing is about ("What was Amendment 42.1 about?")."""
_DESCRIBED = re.compile(r"^\s*(?:[,(:–-]|\s(?:is|was|are|were|means|meant|would|will|aims|aimed|proposes|"
                        r"proposed|called|calls|sets|set|says|said|seeks|sought|which|that|to|on|about)\b)")
"""What may follow a name in a sentence that says what it is: an apposition, a verb of its own."""


def undescribed(question: str, store: AnswerStore, corrected: dict[str, str] | None = None) -> str | None:
    """The subject of "What was X about?", X a proper name ("Amendment 42.1"), when the posts name X
    only in passing and no sentence naming it says what it is (X with a verb or an apposition of its
    own: "X, chaired by...", "X would..."): "Amendment 42.1", named once as the object of the NEC's
    opposition. None otherwise."""
    m = _ABOUT.match(question)
    if m is None:
        return None
    subject = m.group("subject").strip()
    if not all(w[:1].isupper() or w[:1].isdigit() for w in subject.split()):
        return None  # "the Labour pledge": a kind of thing, whose words its quoted text may not repeat
    naming = passing_mentions(subject, store, corrected or {})
    if naming is None:
        return None
    for sentence in naming:
        for found in re.finditer(re.escape(subject), sentence.text, re.IGNORECASE):
            if _DESCRIBED.match(sentence.text[found.end():]):
                return None
    return subject


_OUTCOME = re.compile(r"^\s*(?i:(?:and\s+|so\s+)?(?:(?:what|how)\s+(?:was|is|were|are|has\s+been)\s+the\s+"
                      r"(?:final\s+|eventual\s+|actual\s+)?(?P<noun>result|results|outcome|outcomes|fate|upshot|"
                      r"verdict)\s+(?:of|for|from)\s+|what\s+(?:(?:eventually|finally|actually)\s+)?"
                      r"(?:happened|became)\s+(?:with|to|of|at)\s+))"
                      r"(?P<subject>[^?]+?)\s*\?*\s*$")
"""What came of something ("What was the result of the vote on Amendment 42.1?", "What happened with
the vote on Amendment 42.1?"); not its effect, which
a sentence may give in any words ("hit the region hard")."""
_SETTLED = frozenset(terms("passed pass carried defeated rejected approved adopted won lost succeeded "
                           "failed resulted led outcome result results fell agreed happened became collapsed "
                           "closed"))
"""Stems of the words a sentence saying what came of something would use."""


def outcome_unsaid(question: str, store: AnswerStore, corrected: dict[str, str] | None = None) -> str | None:
    """The subject of "What was the result (outcome, fate, verdict...) of X?" when the posts name X
    only in passing and neither the sentences naming it nor those either side say what came of it
    (the asked noun, a word derived from it, or "passed", "defeated", "won"...): "Amendment 42.1" of
    "the vote on Amendment 42.1", named once as what the NEC opposed (the subject's first name, or the
    whole subject). None otherwise."""
    m = _OUTCOME.match(question)
    if m is None:
        return None
    subject = m.group("subject").strip()
    naming = passing_mentions(subject, store, corrected or {})
    if naming is None:
        return None
    noun = terms(m.group("noun") or "result outcome")  # "what happened with X": what came of it
    for sentence in naming:
        for near in store.sentence_window(sentence.row, 1, 1):
            said = set(terms(without_links(near.text)))
            if said & _SETTLED or any(derived(v, t) for v in noun for t in said):
                return None
    # "Amendment 42.1", not "the vote on"
    name = re.search(r"[A-Z][\w.'’-]*(?:\s+[A-Z0-9][\w.'’-]*)*", subject)
    return name.group().rstrip(".") if name else subject
