"""The answerer's explicit answerability checks: refuse when the asked-for information is absent, and
say what is missing ("The posts don't mention Ed Miliband.", "The posts mention the Co-operative
Development Agency, but give no date for it.").

The checks, in order: a name the posts never mention; a topic noun or a year they never use (unless the
best sentence clearly means the same); the asked-for type of fact (a date for "when", a number for "how
many", a name for "who is") in a sentence about the question's subject; what a question asks of a
subject the posts name only in passing; members of a set for "which projects..."
(``rag.answering.instances``); a named person's own words for "what did X say"; and evidence too weak
to quote at all.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.acronyms import expansion_in
from rag.answering.attribution import TITLES, speaker_keys, speaks, voiced_by
from rag.answering.evidence import CALENDAR_WORD, Candidate, QueryTerms, counts, mentioned
from rag.answering.instances import (
    mentions_set,
    names_members,
    names_one,
    set_question,
    subset_count,
    which_one,
)
from rag.answering.predicate import derived, is_person_name, outcome_unsaid, undescribed, unsaid
from rag.answering.store import AnswerStore
from rag.answering.topics import missing_topics
from rag.lexical import terms
from rag.question import (
    AUXILIARIES,
    CALLED,
    FRAME_VERBS,
    KNOWN_CONTEXT,
    STOPWORDS,
    SUBJECT_PRONOUN,
    QuestionAnalysis,
    asked_sentence,
)
from rag.types import AnswerType, FactType, Sentence
from rag.wordclass import word_classes

REFUSAL_MESSAGE = "The posts don't seem to answer this question."
"""The lead of a refusal when nothing more specific can be said."""
NOTHING_ASKED = "The question names nothing to look for: ask about a person, a topic or a post."
"""The lead of a refusal of a question without content words ("Why?" with nothing before it)."""
_NAME_OF = re.compile(r"\bnames? of (?:the |a |an )?(?P<what>[^?,;]+)", re.IGNORECASE)
"""The thing whose name a question asks for ("What is the name of the housing estate run by...")."""
_TITLE_OF = re.compile(r"\b(?:names?|titles?) of (?:the |a |an )?(?!(?:post|article|blog|piece|entry)s?\b)"
                       r"(?P<what>[^?,;]+)", re.IGNORECASE)
"""... or its title ("the title of the Cabinet Office publication"), not a post's."""


def _phrase_words(phrase: str, *, lower_verbs_only: bool) -> list[str]:
    """The words of a noun phrase up to its first function word or, after its first word, the first
    word that can only be a verb (with ``lower_verbs_only``, only a lower-case one): the clause after
    the phrase is no part of it."""
    words: list[str] = []
    for word in re.findall(r"[\w'’-]+", phrase):
        classes = word_classes(word.lower())
        verb = "verb" in classes and "noun" not in classes and (word.islower() or not lower_verbs_only)
        if word.lower() in STOPWORDS or (words and verb):
            break
        words.append(word)
    return words


def _head_noun(phrase: str) -> str:
    """The last word of a noun phrase before its first function word, in lower case ("publication" of
    "Cabinet Office publication from March that...", "secretary" of "UNISON General Secretary"); ""
    for a name or a phrase without one."""
    words = _phrase_words(phrase, lower_verbs_only=False)  # "the homeless service taken over by..."
    if not words:
        return ""
    last = words[-1].lower()
    return last if words[-1].islower() or last in _ROLES else ""  # "the UNISON General Secretary": a role


def _names_new_person(sentence: Sentence, question: str) -> bool:
    """Whether spaCy found a person's name in the sentence that the question does not give."""
    given = set(terms(question))
    return any(e.label == "PERSON" and any(t not in given for t in terms(
        sentence.text[e.start - sentence.start:e.end - sentence.start])) for e in sentence.entities)


def _forms_of(noun: str) -> re.Pattern[str]:
    """The noun or a word built on it ("chaired" for "chair"), in any case."""
    return re.compile(rf"\b{re.escape(noun)}\w*", re.IGNORECASE)


def _speaks_of(text: str, noun: str) -> bool:
    """Whether the text uses the noun or a word built on it."""
    return _forms_of(noun).search(text) is not None


_ROLES = (TITLES - {"member"}) | {"chairwoman", "director", "head", "spokesman", "spokeswoman",
                                   "spokesperson", "founder", "editor", "officer", "official"}
"""Roles whose holder a post names beside the role ("UNISON's General Secretary, Dave Prentis"): a
sentence elsewhere with some other name does not name them."""
_NAMING_WORDS = frozenset({"called", "named", "termed", "dubbed", "nicknamed", "known", "entitled", "titled"})
NAME_BESIDE_WORDS = 6
"""How near (in words, before or after the noun) a thing's name stands to it ("The Quasiturbine is a
uniflow rotary steam engine")."""


_TITLE_REST = re.compile(r"(?:\s+(?:of|for)(?:\s+the)?(?:\s+[A-Z][\w'’-]*(?:\s+(?:of|for|and))?)+)"
                         r"(?:\s+(?:is|was))?")
"""What follows a title and belongs to it: "of the Board of Trustees", "for the Cabinet Office"."""


def _named_beside(text: str, noun: str, question: str) -> bool:
    """Whether a name the question does not give stands beside ``noun`` in the sentence: capitalised
    or quoted words just after it ("the estate, Woodberry Down,", "a publication called 'Our
    Future'"), any word it is called ("a process called chemotaxis"), or capitalised words just
    before it ("the Woodberry Down estate", "The Quasiturbine is a ... engine"); a word built on the
    noun counts as the noun ("chaired by Will Hutton"), and the spelt-out form of an acronym the
    question gives is no new name ("Tenant Management Organisation" for "TMO")."""
    given = set(terms(question))
    for acronym in re.findall(r"\b[A-Z]{2,6}\b", question):
        given |= set(terms(expansion_in(text, acronym) or ""))
    for m in _forms_of(noun).finditer(text):
        # the rest of its title is no name of its own: "the Chairman of the Board of Trustees is
        # Andrew Alper" names him after "of the Board of Trustees"
        rest = _TITLE_REST.match(text, m.end())
        end = rest.end() if rest and all(t in given for t in terms(rest.group())) else m.end()
        after = re.findall(r"[\w'’-]+|[\"“‘]", text[end:])[:NAME_BESIDE_WORDS]
        before = re.findall(r"[\w'’-]+", text[:m.start()])[-NAME_BESIDE_WORDS:]
        if any(w.lower() in _NAMING_WORDS for w in after[:3]):
            return True  # "a process called chemotaxis": named, in whatever case
        if any(w in "\"“‘" for w in after[:2]):
            return True  # a quoted name right after it: the publication "Our Future"
        for word in [*after, *before]:
            if word[:1].isupper() and not CALENDAR_WORD.fullmatch(word) and any(
                    t not in given for t in terms(word)):
                return True
    return False


def _named_thing(phrase: str, query: QueryTerms) -> list[str]:
    """The terms of the title whose holder's name is asked for, up to its first function word ("UNISON
    General Secretary" of "UNISON General Secretary who called..."; "Minister" of "Minister for the
    Cabinet Office"), its head last; none when the phrase does not end in a capitalised title."""
    words = _phrase_words(phrase, lower_verbs_only=True)  # "UNISON General Secretary quoted in..."
    # a title ("General Secretary", "Minister"), not a kind of thing: a book is often named without
    # the word "book"; "the man who chairs...": the clause says who
    if not words or not words[-1][:1].isupper() or words[-1].lower() in _ANYONE:
        return []
    return [query.corrected.get(t, t) for t in terms(" ".join(words))]


_WHO_IS = re.compile(r"^\s*(?i:who(?: is|'s| was)\s+(?:the\s+)?)(?P<title>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)"
                     r"(?:\s+(?:of|for|at)\s+(?:the\s+)?(?P<body>[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*))?"
                     r"(?:\s*,?\s+(?i:at the time|at that time|then|back then|in (?:19|20)\d\d))?"
                     r"(?:\s*,?\s+(?i:who|that|whose)\b.*)?\s*\??\s*$")
"""A title's holder asked for by the title ("Who is the General Secretary of UNISON?", "Who was the
UNISON General Secretary who said...?")."""
_ANYONE = frozenset({"person", "persons", "people", "man", "men", "woman", "women", "one", "ones", "group",
                     "groups", "body", "bodies", "organisation", "organisations", "organization",
                     "organizations", "thing", "things", "place", "places", "individual", "individuals"})
PARAPHRASE_COSINE = 0.6
"""A question word the posts never use is taken as a paraphrase (not a missing topic) only when the
best sentence is this close to the question in meaning."""
COVER_BACK = 3
"""Sentences before a typed sentence, in its paragraph, that may name the subject it speaks of."""
TYPE_CANDIDATES = 20
"""The asked-for type must be held by one of this many best sentences, about the question's subject."""
_TYPE_WORDS: dict[FactType, str] = {
    FactType.DATE: "date", FactType.NUMBER: "figure", FactType.MONEY: "sum of money",
    FactType.PERCENT: "percentage", FactType.PERSON: "name", FactType.PLACE: "place",
    FactType.ORGANISATION: "organisation", FactType.NAME: "name",
}
_NOW = re.compile(r"\b(now|nowadays|today|currently|at present|these days|at the moment|still)\b\s*\??\s*$|"
                  r"\b(nowadays|currently|at present|these days|at the moment|as of today)\b", re.IGNORECASE)
"""A question about the present ("...now?", "currently"), which posts dated years ago cannot answer..."""
_PAST = re.compile(r"\b(did|was|were|had|said|wrote)\b", re.IGNORECASE)
"""... unless it asks in the past tense what the posts said ("What did X say about today?")."""
STALE_YEARS = 1
"""Posts whose latest date is more than this many years before today cannot say what is true now."""
SET_WINDOW = 0.35
"""A sentence naming members of an asked-for set must score within this of the best one."""
_COUNTED = frozenset({FactType.DATE, FactType.NUMBER, FactType.MONEY, FactType.PERCENT, FactType.PERSON})
ATTRIBUTION_WINDOW = 0.25
"""A named person's view must be in a sentence scoring within this of the best one..."""
ATTRIBUTION_FLOOR = 0.6
"""... or at least this much: a follow-up's best sentence may be another person's ("And what did the
General Secretary say?" after the Head of Education's words)."""
_PRONOUN_START = re.compile(r"^[\"“'‘(]*(he|she|they|it|his|her|their|this|the (shadow )?(minister|"
                            r"chancellor|secretary|councillor|author|writer|leader|government|party|union))\b",
                            re.IGNORECASE)
REFERENCE_BACK = 4
"""A sentence opening with "He", "She" or "The minister" may refer to a name this many sentences back."""

RELEVANCE_FLOOR = 0.35
"""Sentences scoring below this are never quoted (cosine plus lexical evidence; see evidence.py)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the posts answer the question, and if not, what they lack."""

    answerable: bool
    lead: str = ""
    missing: tuple[str, ...] = ()


def join_words(items: Sequence[str], conjunction: str = "or") -> str:
    """"a", "a or b", "a, b or c" (or with another conjunction: "a, b and c")."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def _modifier_used(question: str, word: str, best: Candidate) -> bool:
    """Whether a noun the posts never use heads a compound whose modifier the best sentence uses
    ("the expenses scandal" beside "post-expenses Britain"): the posts speak of the thing and only
    name it otherwise. A question word or function word before it modifies nothing, and a possessor
    ("workers' pensions") owns the thing rather than naming it."""
    words = re.findall(r"[\w'’-]+", question)
    low = word.lower()
    for before, this in itertools.pairwise(words):
        if this.lower() != low or before.lower() in STOPWORDS or before.lower() in AUXILIARIES:
            continue
        if before.endswith(("'", "’", "'s", "’s")):
            continue
        stems = terms(before)
        if stems and all(t in best.terms for t in stems):
            return True
    return False


def check(analysis: QuestionAnalysis, query: QueryTerms, ranked: Sequence[Candidate],
           store: AnswerStore, scope_id: str | None) -> Verdict:
    """Refuse when the asked-for information is absent, and say what is missing."""
    if not ranked:
        return Verdict(False, REFUSAL_MESSAGE)
    best = ranked[0]
    summary = analysis.answer_type == AnswerType.SUMMARY
    overview = analysis.all_posts and analysis.answer_type in (AnswerType.SUMMARY, AnswerType.COMPARISON)
    if not (analysis.focus or analysis.entities or analysis.scope or overview):
        return Verdict(False, NOTHING_ASKED)
    scope_terms = set(terms(analysis.scope.words)) if analysis.scope else set()
    frame_terms = set(terms(" ".join(analysis.frame)))
    # 1. names the posts never mention
    absent = [e for e in analysis.entities
              if not (set(terms(e)) <= scope_terms | frame_terms) and not mentioned(e, store, query)]
    if absent:
        vocabulary = store.vocabulary()
        surnames = [a.split()[-1] for a in absent if is_person_name(a) and all(
            t in vocabulary for t in terms(a.split()[-1]))]
        if len(absent) == 1 and surnames:  # "Clegg" in "Cameron and Clegg's ramshackle regime"
            return Verdict(False, f"The posts never mention {absent[0]}; they name a “{surnames[0]}” by "
                                  f"surname only.",
                           tuple(absent))
        return Verdict(False, f"The posts don't mention {join_words(absent)}.", tuple(absent))
    # 2. a topic (a noun) or a year the posts never use, unless the best sentence clearly means the same
    covered = {t for e in analysis.entities for t in terms(e)} | context_only(analysis)
    unknown = [w for w in analysis.focus if (stems := terms(w))
               and all(t in query.unknown for t in stems) and not set(stems) & covered]
    topics, years = missing_topics(analysis.text, unknown)
    if years:
        return Verdict(False, f"The posts don't mention {join_words(years)}.", tuple(years))
    # a comparison of sides the posts name is carried by its sides: "Osborne's framing of mutuals as
    # a handover to workers" paraphrases what it compares
    vocabulary = store.vocabulary()
    compared = analysis.answer_type == AnswerType.COMPARISON and len(analysis.sides) >= 2 and all(
        any(t in vocabulary for t in terms(side)) for side in analysis.sides)
    topics = [t for t in topics if not _modifier_used(analysis.text, t, best)]
    if topics and best.cosine < PARAPHRASE_COSINE and not summary and not compared:
        # a common word is named as a word ("the word “current”"), so the message reads as meant
        word = "word" if len(topics) == 1 else "words"
        return Verdict(False, f"The posts don't use the {word} {join_words([f'“{t}”' for t in topics])}.",
                       tuple(topics))
    # 2b. what is true now, asked of posts dated years ago ("Who is the Mayor of Hackney now?")
    now = _NOW.search(analysis.text) and not _PAST.search(analysis.text) and not (summary or overview)
    if now and (dated := dated_until(store)) is not None:
        return Verdict(False, f"The posts are dated up to {dated}; they can't say what is true now.",
                       ("now",))
    # 3. the asked-for fact (a date, a number, a person's name...) in a sentence about the subject
    wanted = analysis.fact_type
    if analysis.answer_type == AnswerType.FACT and wanted is not None and analysis.strict_type:
        subject = subject_terms(analysis, query, store)
        typed = [c for c in ranked[:TYPE_CANDIDATES] if c.typed and covers(store, c, subject)]
        noun = qualified_noun(analysis, store, query)
        if noun:  # "How big was the Labour fund...": a figure by the fund, not by anything Labour
            typed = [c for c in typed if covers(store, c, noun, prefix=True)]
        named_what = _NAME_OF.search(analysis.text) if wanted in (FactType.NAME, FactType.PERSON) else None
        head = _named_thing(named_what.group("what"), query) if named_what else []
        if head:  # "the name of the UNISON General Secretary": a name in a sentence about him
            typed = [c for c in typed
                     if head[-1] in c.terms and 2 * sum(t in c.terms for t in head) >= len(head)]
        called_what = (CALLED.search(analysis.text) or _TITLE_OF.search(analysis.text)) if wanted in (
            FactType.NAME, FactType.PERSON) else None
        kind = _head_noun(called_what.group("what")) if called_what else ""
        if kind:  # "What was the publication called?": a sentence speaking of it gives its name beside it
            typed = [c for c in typed if _named_beside(c.sentence.text, kind, analysis.text) or (
                not _speaks_of(c.sentence.text, kind) and (kind not in _ROLES or _names_new_person(
                    c.sentence, analysis.text)))]
        title_of = _WHO_IS.match(analysis.text) if wanted == FactType.PERSON and not head else None
        title = _named_thing(title_of.group("title"), query) if title_of else []
        if title_of and title:  # "Who is the General Secretary of UNISON?": a name beside the whole title
            body = [query.corrected.get(t, t) for t in terms(title_of.group("body") or "")]
            typed = [c for c in typed if all(t in c.terms for t in title)
                     and 2 * sum(t in c.terms for t in body) >= len(body)]
        if analysis.count_noun and wanted == FactType.NUMBER:
            typed = [c for c in typed if counts(c.sentence, analysis.count_noun)
                     or not set(terms(analysis.count_noun)) & c.terms]
        subset = subset_count(analysis.text) if wanted == FactType.NUMBER else None
        if subset is not None and typed:  # "How many of Maude's pilot projects succeeded?"
            counted = [c for c in ranked[:TYPE_CANDIDATES] if counts(c.sentence, subset.head)]
            if counted and not any(derived(p, t) for c in counted for p in subset.terms for t in c.terms):
                return Verdict(False, f"The posts give a number of {subset.head.lower()}, but not how many "
                                      f"of them {subset.predicate}.", (f"how many {subset.predicate}",))
        if not typed:
            named = subject_name(analysis, store, query)
            what = _TYPE_WORDS.get(wanted, "answer")
            called = CALLED.search(analysis.text) if wanted == FactType.NAME else None
            if called:  # "What is the estate called that...": the estate, not a name of the clause
                named = f"{called.group('the').strip()} {called.group('what')}"
            elif kind and called_what is not None:  # "the title of the Cabinet Office publication..."
                what = called_what.group("what").strip()  # "UNISON's General Secretary": no "the"
                named = what if re.match(r"[\w-]+['’]s\b", what) else f"the {what}"
            if named and (wanted == FactType.PERSON or kind in _ROLES):  # a role, whose holder goes unnamed
                lead = f"The posts mention {named}, but don't say who."
            else:
                lead = (f"The posts mention {named}, but give no {what} for it." if named
                        else f"The posts give no {what} for this.")
            return Verdict(False, lead, (what,))
    # 3b. what an open question asks of a subject the posts name only in passing
    if analysis.answer_type in (AnswerType.FACT, AnswerType.REASON, AnswerType.STANCE) and wanted in (
            None, FactType.OTHER, FactType.DATE):  # a view ("How did X react...") only when asked yes or no
        asked = unsaid(_pronoun_resolved(analysis), store, query.corrected,
                       yes_no_only=analysis.answer_type == AnswerType.STANCE)
        if asked is not None:
            return Verdict(False, f"The posts mention {asked.subject} only in passing, and say nothing on "
                                  f"“{asked.predicate}”.", (asked.predicate,))
        outcome = outcome_unsaid(analysis.text, store, query.corrected)
        if outcome is not None:
            return Verdict(False, f"The posts mention {outcome} only in passing, and don't say what came of "
                                  f"it.", (f"what came of {outcome}",))
        thing = undescribed(analysis.text, store, query.corrected)
        if thing is not None:
            return Verdict(False, f"The posts mention {thing} only in passing, and don't say what it is "
                                  f"about.", (f"what {thing} is about",))
    # 3c. which members of a set ("Which twelve pilot projects..."), when the best sentence speaks of
    # the set and no sentence near it names a member
    listed = analysis.answer_type in (AnswerType.FACT, AnswerType.LIST) and wanted not in _COUNTED
    asked_set = set_question(analysis.text) if listed else None
    if asked_set is not None and mentions_set(best.terms, asked_set):
        near = max(best.relevance - SET_WINDOW, RELEVANCE_FLOOR)
        window = [c for c in ranked[:TYPE_CANDIDATES] if c.relevance >= near]
        if not any(names_members(c.sentence, asked_set, analysis.text) for c in window):
            return Verdict(False, f"The posts mention {asked_set.phrase}, but don't say which.",
                           (f"which {asked_set.phrase}",))
    # 3d. which one thing ("Which council leads the network?", "which estate is it?"), when the best
    # sentence speaks of such a thing and no sentence near it that does picks one out
    one = which_one(analysis.text) if listed and asked_set is None else None
    if one is not None and set(terms(one)) & best.terms:
        near = max(best.relevance - SET_WINDOW, RELEVANCE_FLOOR)
        window = [c for c in ranked[:TYPE_CANDIDATES] if c.relevance >= near and set(terms(one)) & c.terms]
        given = " ".join((analysis.text, *analysis.context))  # "...the TMO, and which estate is it?"
        picked = {names_one(c.sentence, one, given) for c in window}
        if True not in picked and False in picked:
            return Verdict(False, f"The posts don't say which {one} it is.", (f"which {one}",))
    # 4. what a named person said: a sentence where they (or "he", "she" just after) say something
    holder = analysis.holder
    if holder and not summary:
        voiced = attributed(store, ranked, best, holder, query)
        if not voiced and mentioned(holder, store, query) and not _names_site(holder, store):
            the = "the " if re.search(rf"\bthe\s+{re.escape(holder)}", analysis.text, re.IGNORECASE) or (
                re.search(r"\s(?:on|of|for)\s", holder) and not is_person_name(holder)) else ""
            lead = f"The posts mention {the}{holder}, but give no view of theirs on this."
            return Verdict(False, lead, (f"{holder}'s view",))
        # 4b. ... of another person ("What did Tessa Jowell think of George Osborne's plan?"): the
        # holder's words, or those just around them, name that person
        unnamed = unvoiced_names(analysis, holder, voiced, store, query) if (
            voiced and analysis.answer_type == AnswerType.STANCE) else []
        if unnamed:
            return Verdict(False, f"The posts give {holder}'s views, but none on {unnamed[0]}.",
                           (f"{holder}'s view of {unnamed[0]}",))
    # 5. weak evidence (a summary of a named post, or of all of them, or a comparison of named posts with
    # no topic of its own, needs none; nor does "What else?", which asks for more of the same)
    compared_posts = analysis.answer_type == AnswerType.COMPARISON and _compares_posts(analysis, store)
    if best.relevance < RELEVANCE_FLOOR and not (summary and scope_id) and not overview \
            and not analysis.wants_more and not compared_posts:
        return Verdict(False, REFUSAL_MESSAGE)
    return Verdict(True)


def _pronoun_resolved(analysis: QuestionAnalysis) -> str:
    """A follow-up's question with its subject pronoun read as the name the conversation is about
    ("And when will it report?" after a question on the Commission on Ownership: "And when will
    the Commission on Ownership report?"); the question as it stands otherwise."""
    m = SUBJECT_PRONOUN.match(analysis.text)
    if not (analysis.follow_up and m and analysis.entities):
        return KNOWN_CONTEXT.sub("", analysis.text)  # "I know X, but did Y...?" asks "did Y...?"
    name = analysis.entities[0]
    the = "" if is_person_name(name) or re.search(r"\d$", name) else "the "  # "Amendment 42.1"
    return f"{m.group('head')}{the}{name}{analysis.text[m.end():]}"


def _names_site(holder: str, store: AnswerStore) -> bool:
    """Whether the "holder" is a post's site ("What does Left Foot Forward say about Ed Balls?"): the
    post itself is the voice, as for "the UNISON post"."""
    from rag.answering.scope import resolve_scope
    from rag.question import ScopeRef

    return resolve_scope(ScopeRef(holder, holder, None, False), store, by_text=False) is not None


def _compares_posts(analysis: QuestionAnalysis, store: AnswerStore) -> bool:
    from rag.answering.comparison import compared_posts  # comparison.py reads this module's about()

    return bool(compared_posts(analysis, store))


def attributed(store: AnswerStore, ranked: Sequence[Candidate], best: Candidate, holder: str,
               query: QueryTerms) -> list[Sentence]:
    """The relevant sentences that give the holder's words or view (empty when none does): the holder
    (or "he", "she", "they" for them) speaks in them ("Osborne cited...", "He told...: “...”",
    "said Jowell")."""
    key = speaker_key(holder)
    key = query.corrected.get(key, key)
    found: list[Sentence] = []
    for cand in ranked[:12]:
        if cand.relevance < min(best.relevance - ATTRIBUTION_WINDOW, ATTRIBUTION_FLOOR):
            break
        if voices(store, cand, key):
            found.append(cand.sentence)
    return found


def speaker_key(name: str) -> str:
    """The stem a name speaks by: the last word of its head ("osborn" of "George Osborne", "commiss"
    of "Commission on Ownership"); "" for a name without one."""
    head = re.split(r"\s+(?:of|on|for|in|at)\s+", name, maxsplit=1)[0]
    stems = terms(head)
    return stems[-1] if stems else ""


def voices(store: AnswerStore, cand: Candidate, key: str) -> bool:
    """Whether the one whose name stems to ``key`` speaks in the sentence: named and speaking
    ("Osborne cited...", "said Jowell"), or as "he", "she" or a quotation right after being named
    ("..., she said, adding that...")."""
    if not key:
        return False

    def earlier(sentence: Sentence) -> list[Sentence]:
        return [s for s in store.sentence_window(sentence.row, REFERENCE_BACK, 0) if s.row < sentence.row]

    return any((about(store, cand, k) and speaks(cand.sentence.text, k))
               or voiced_by(cand.sentence, k, earlier) for k in speaker_keys(key))


def unvoiced_names(analysis: QuestionAnalysis, holder: str, voiced: Sequence[Sentence], store: AnswerStore,
                   query: QueryTerms) -> list[str]:
    """The other people the question names (full names: "George Osborne") that none of the holder's
    sentences, nor the sentence either side of one, names by surname: the holder's view of them is
    not in the posts, however close their other words are."""
    own = {query.corrected.get(t, t) for t in terms(holder)}
    out = []
    for name in analysis.entities:
        if name == holder or not is_person_name(name):
            continue
        surname = [query.corrected.get(t, t) for t in terms(name.split()[-1])]
        if not surname or surname[-1] in own:
            continue
        near = (s for v in voiced for s in store.sentence_window(v.row, 1, 1))
        if not any(surname[-1] in terms(s.text) for s in near):
            out.append(name)
    return out


def paraphrased(analysis: QuestionAnalysis, query: QueryTerms) -> set[str]:
    """Question terms the posts never use that read as paraphrases (verbs, adverbs: "nicknamed"),
    not missing topics, or that only the question's context sentences use ("I'm writing an
    essay..."): they are no evidence either way."""
    words = [w for w in analysis.focus + analysis.frame if (stems := terms(w))
             and all(t in query.unknown for t in stems)]
    topics, years = missing_topics(analysis.text, words)
    context = context_only(analysis)
    return {t for w in words if (w not in topics and w not in years) or set(terms(w)) <= context
            for t in terms(w)}


def context_only(analysis: QuestionAnalysis) -> set[str]:
    """Terms only the sentences before the one that asks use ("essay" in "I'm writing an essay on
    the coalition. What did Francis Maude announce?"): the asker's framing, not what is asked."""
    asked = asked_sentence(analysis.text)
    if asked == analysis.text:
        return set()
    return set(terms(analysis.text[: len(analysis.text) - len(asked)])) - set(terms(asked))

def subject_terms(analysis: QuestionAnalysis, query: QueryTerms, store: AnswerStore) -> set[str]:
    """The terms naming what the question is about: the rarest word of the names it gives that the
    posts mention ("agenc" in "When did the Conservatives abolish the Co-operative Development
    Agency?"), else its rarest known content words (at most two)."""
    entity = most_specific_name(analysis, store, query)
    if entity:  # its most specific word: "Reddish" in "the Reddish Vale Co-Operative Trust"
        idf = store.term_idf(terms(entity))
        return {max(idf, key=lambda t: idf[t])} if idf else set()
    focus = [query.corrected.get(t, t) for w in analysis.focus for t in terms(w)]
    # in question order before the stable sort: a tie in weight never depends on set order (hash seed)
    known = sorted(dict.fromkeys(t for t in focus if t not in query.unknown),
                   key=lambda t: -query.weights.get(t, 0.0))
    return set(known[:2])

def covers(store: AnswerStore, cand: Candidate, subject: set[str], *, prefix: bool = False) -> bool:
    """Whether a sentence is about the subject: it names it, or one of the sentences just before
    it in its paragraph does ("He was crowned in 1130" after "Roger II..."). With ``prefix``, a word
    sharing a subject term's first five letters counts ("commentary" for "commentators")."""
    def named(have: set[str] | frozenset[str]) -> bool:
        return bool(subject & have) or (prefix and any(derived(s, t) for s in subject for t in have))

    if not subject or named(cand.terms):
        return True
    before = [s for s in store.sentence_window(cand.row, COVER_BACK, 0)
              if s.row < cand.row and s.line == cand.sentence.line]
    return any(named(set(terms(s.text))) for s in before)


def qualified_noun(analysis: QuestionAnalysis, store: AnswerStore, query: QueryTerms) -> set[str]:
    """The terms of the noun the question's most specific name qualifies ("fund" in "the Labour
    fund"), when the posts use it; an adverb ("France today") qualifies nothing."""
    entity = most_specific_name(analysis, store, query)
    noun = _modifies(entity, analysis.text) if entity else ""
    if not noun or "adv" in word_classes(noun):
        return set()
    held = {query.corrected.get(t, t) for t in terms(noun)}
    vocabulary = store.vocabulary()
    return held if held and all(t in vocabulary for t in held) else set()


def dated_until(store: AnswerStore) -> str | None:
    """The latest year the posts are dated, when it is over ``STALE_YEARS`` before this year; None
    when it is recent or no post gives a date (text with no date, like an encyclopedia's, speaks of
    its own present)."""
    years = [int(m.group(0)) for info in store.document_infos() if info.date
             for m in [re.search(r"\b(19|20)\d\d\b", info.date)] if m]
    if not years or max(years) >= datetime.date.today().year - STALE_YEARS:
        return None
    return str(max(years))


def most_specific_name(analysis: QuestionAnalysis, store: AnswerStore, query: QueryTerms) -> str | None:
    """Of the names the question gives that the posts mention, the one holding the rarest word in the
    posts (the Co-operative Development Agency, not the Conservatives, in "When did the Conservatives
    abolish the Co-operative Development Agency?"); the first on a tie; None when there is none. A name
    that only says which post is meant ("according to the Left Foot Forward piece") is no subject."""
    names = [e for e in analysis.entities if mentioned(e, store, query)]
    if analysis.scope is not None:  # the post's own sentences seldom name its site or its author
        scope = set(terms(analysis.scope.words))
        names = [e for e in names if not set(terms(e)) <= scope]
    if len(names) <= 1:
        return names[0] if names else None
    idf = store.term_idf([t for e in names for t in terms(e)])
    return max(names, key=lambda e: max((idf.get(t, 0.0) for t in terms(e)), default=0.0))


def subject_name(analysis: QuestionAnalysis, store: AnswerStore, query: QueryTerms) -> str:
    """The name the question asks about, as the question writes it ("the Commission on Ownership"),
    with the noun it qualifies ("the UNISON meeting", "the Labour fund"), when the posts mention it;
    else ""."""
    entity = most_specific_name(analysis, store, query)
    if entity is None:
        return ""
    found = re.search(rf"(\bthe\s+|\b[A-Z][\w-]*['’]s\s+)?{re.escape(entity)}", analysis.text)
    if found is None:
        found = re.search(rf"(\bthe\s+)?{re.escape(entity)}", analysis.text, re.IGNORECASE)
    opener = (found.group(1) or "") if found else ""
    if opener and opener.strip().lower() != "the":
        the = opener  # "UNISON's General Secretary", as the question writes it
    elif opener or entity.split()[-1].lower() in _ROLES:
        the = "the "  # "the Commission on Ownership"; a title alone takes "the"
    else:
        the = ""
    noun = _modifies(entity, analysis.text)
    return f"{the}{entity} {noun}" if noun else f"{the}{entity}"


_DO_SUPPORT = re.compile(r"\b(did|does|do|can|could|will|would|should|may|might|must|shall)\b", re.IGNORECASE)


def _modifies(entity: str, question: str) -> str:
    """The noun a name qualifies in the question ("meeting" in "the UNISON meeting"), or "": after
    "did", "can"... the word after the name is the question's verb ("did Von Miller get")."""
    after = re.search(rf"(\bthe\s+)?\b{re.escape(entity)}\s+([a-z]+)(\s+(?:up|out|off|down|over|back)\b)?",
                      question)
    if after is None or _DO_SUPPORT.search(question[:after.start()]) or after.group(3):
        return ""  # "did Von Miller get", "was the Trust set up": the question's verb
    if after.group(2).endswith("ing") and not after.group(1):  # "is Sky going", not "the UNISON meeting"
        return ""
    return after.group(2) if _names_a_noun_after(after.group(2)) else ""


def _names_a_noun_after(word: str | None) -> bool:
    """Whether the word after "the <name>" carries on its noun phrase ("the UNISON meeting": "the"
    is the meeting's, so the name alone is "UNISON"), rather than starting the rest of the question
    ("the Labour Party have")."""
    if not word or word.lower() in STOPWORDS or word.lower() in AUXILIARIES or word.lower() in FRAME_VERBS:
        return False
    return "noun" in word_classes(word)


def about(store: AnswerStore, cand: Candidate, key: str) -> bool:
    """Whether a sentence is about a side: names it, or continues a sentence that does ("He said..."),
    the pronoun standing for the first person named in the nearest sentence before that names one
    (the subject, usually: a crude form of centering, Grosz, Joshi and Weinstein 1995)."""
    if key in cand.terms:
        return True
    if not _PRONOUN_START.match(cand.sentence.text):
        return False
    before = [s for s in store.sentence_window(cand.row, REFERENCE_BACK, 0) if s.row < cand.row]
    for s in reversed(before):  # nearest first: the pronoun stands for the first person it names
        people = [s.text[e.start - s.start:e.end - s.start] for e in s.entities if e.label == "PERSON"]
        if people:  # "Tessa Jowell said ... chaired by Will Hutton. She also announced...": Jowell
            return key in terms(people[0])
        if key in terms(s.text):
            return True
    return False


