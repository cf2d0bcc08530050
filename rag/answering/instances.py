"""Questions that ask which members of a set of things there are, and whether a sentence names them.

"Which twelve pilot mutual projects did Francis Maude announce?" and "Name some of the 115 local
Labour Groups that backed the pledge" ask for the members of a set (the projects, the groups). A
sentence that speaks of the set without naming any member ("Francis Maude wheels out a selection of
a dozen pilot mutual projects...") says how many there are, or that there are some, but not which:
it is near the topic, and no answer. A sentence names members when it lists them ("primary schools,
job centres and community nursing teams", "Keck and Mithouard"), introduces them ("projects such
as...", "projects:", "two importers, Keck and..."), gives a member its name ("Lambeth Council", "the
project called..."), names a kind of them the question does not ("recent anthropological
findings"), describes one ("the fund set up by the last Labour government to support..."), or leads
into a list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rag.answering.predicate import LIGHT_VERBS
from rag.lexical import terms
from rag.question import AUXILIARIES, STOPWORDS, WH_WORDS, lexicon, unframed
from rag.types import NAMED_TYPES, Sentence, SentenceRole
from rag.wordclass import lemmas, word_classes

_WORD = re.compile(r"[A-Za-z][\w'’-]*|\d[\d,.]*")
_ABSTRACT = lexicon(
    "reasons ways things points arguments issues problems concerns objections benefits risks changes steps "
    "lessons values ideas views questions criticisms words phrases kinds types sorts examples aspects "
    "features factors aims goals principles conditions years dates days times months posts articles "
    "blogs entries pieces people persons men women others parts areas roles differences similarities "
    "advantages disadvantages strengths weaknesses dangers fears hopes claims plans policies options "
    "users members workers employees residents citizens voters customers patients volunteers activists "
    "officials officers managers staff")
"""Heads whose members are clauses or views, not named things (reasons, ways...), people a question
may mean by a description ("the group of users that would get most involved... is usually the
people with the biggest axe to grind"), or kinds that other checks handle (dates, people, posts)."""
_COUNT = lexicon("some any all few several many two three four five six seven eight nine ten eleven "
                 "twelve dozen hundred")
_VAGUE = lexicon("other such various different certain similar particular new several many numerous "
                 "selection dozen dozens hundreds thousands number")
"""Words before a noun that say how many or that there are some, not which kind."""
_NAME_OPENER = re.compile(r"^\s*(?:please\s+)?(?:name|list|identify)\s+(?:me\s+)?", re.IGNORECASE)
_ENUMERATION = re.compile(
    r"[\w'’-]+(?:\s+[\w'’-]+){0,5},\s+(?:[\w'’-]+(?:\s+[\w'’-]+){0,5},\s+)*(?:and\s+|or\s+)?"
    r"[\w'’-]+(?:\s+[\w'’-]+){0,5},?\s+(?:and|or)\s+[\w'’-]+")
"""Three or more short items: "primary schools, job centres and community nursing teams"."""


@dataclass(frozen=True, slots=True)
class SetQuestion:
    """A question asking for members of a set: the set as the question words it, and its head noun."""

    phrase: str  # "pilot mutual projects" (without the count the question gives)
    head: str  # "projects"
    singular: frozenset[str]  # "project"


_DETERMINER = lexicon("the a an his her their its our my your")
_STRANDED = lexicon("by of for with from to in on about at into against")
"""A preposition ending a question makes the question word its object ("What were X canceled by?")."""


def _run_after(tokens: list[str], start: int) -> list[str]:
    """The words of the noun phrase starting at ``start``: up to a function word, a verb ("leads"
    before "the network", "uses" before "GPS devices"), or its first plural common noun, which heads
    it ("local authorities sent..."; in "Carolina Panthers player" the name is a modifier)."""
    run: list[str] = []
    for i in range(start, len(tokens)):
        low = tokens[i].lower()
        if low in STOPWORDS or low in AUXILIARIES or low in WH_WORDS:
            break
        classes = word_classes(low)
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if run and classes and (("noun" not in classes and "adj" not in classes)
                                or ("verb" in classes and low.endswith("s") and not _ends_phrase(after)
                                    and not _named_doer(tokens[i + 1:]))):
            break
        run.append(tokens[i])
        if _plural(low) and (tokens[i][:1].islower() or not _continues(after)):
            break
    return run


def _ends_phrase(word: str) -> bool:
    """Whether a noun phrase may end before ``word``: the question ends, or a function word or a verb
    in the past comes next ("projects did...", "authorities sent..."); before a noun phrase ("uses
    GPS devices", "leads the network") an -s word is a verb."""
    low = word.lower()
    if not low or low in STOPWORDS - _DETERMINER or low in AUXILIARIES or low in WH_WORDS:
        return True
    classes = word_classes(low)
    return "verb" in classes and not low.endswith("s") and bool(lemmas(low, "verb") - {low}) \
        and low not in _DETERMINER


def _named_doer(tokens: list[str]) -> bool:
    """Whether the words open a clause of a named doer and a past verb ("Francis Maude announced"):
    the -s word before them is the noun the clause qualifies ("the projects Francis Maude
    announced"), not a verb ("uses GPS devices")."""
    names = 0
    while names < len(tokens) and tokens[names][:1].isupper():
        names += 1
    if not names or names == len(tokens):
        return False
    verb = tokens[names].lower()
    return verb not in STOPWORDS and "verb" in word_classes(verb) and _ends_phrase(verb)


def _continues(word: str) -> bool:
    """Whether a noun phrase goes on with ``word`` (a noun or an adjective: "Panthers player")."""
    low = word.lower()
    return bool(low) and low not in STOPWORDS and low not in AUXILIARIES and bool(
        {"noun", "adj"} & word_classes(low)) and not _ends_phrase(word)


def _singular(low: str) -> frozenset[str]:
    return frozenset(w for w in lemmas(low, "noun") if w != low and "noun" in word_classes(w))


def _plural(low: str) -> bool:
    return low.endswith("s") and "noun" in word_classes(low) and bool(_singular(low))


def set_question(text: str) -> SetQuestion | None:
    """The set whose members a question asks for ("Which twelve pilot mutual projects...", "Which of
    the councils...", "Name some of the 115 local Labour Groups..."), or None."""
    text = unframed(text)  # "Can you name some of..."
    tokens = _WORD.findall(text)
    if not tokens:
        return None
    run: list[str] = []
    first = tokens[0].lower()
    if first in ("which", "what"):
        start = 1
        if len(tokens) > 3 and tokens[1].lower() == "of" and tokens[2].lower() in ("the", "these", "those"):
            start = 3  # "Which of the councils..."
        elif len(tokens) > 3 and tokens[1].lower() in ("are", "were") and tokens[2].lower() == "the":
            start = 3  # "Which were the twelve pilot projects that..."
        run = _run_after(tokens, start)
        at = start + len(run)
        after = tokens[at].lower() if at < len(tokens) else ""
        if len(tokens) > at + 2 and tokens[at].lower() in ("are", "were", "is", "was") \
                and tokens[at + 1].lower() in ("among", "in", "of"):
            # "Which services were among the dozen pilot projects...": members of the projects
            among = at + 2 + (tokens[at + 2].lower() in _DETERMINER)
            while among < len(tokens) and (tokens[among].lower() in _COUNT or tokens[among][0].isdigit()):
                among += 1
            inner = _run_after(tokens, among)
            if inner and _plural(inner[-1].lower()):
                run = inner
        if start == 3 and tokens[1].lower() in ("are", "were") and tokens[-1].lower() in _STRANDED:
            return None  # "What were the national elections in 1991 canceled by?": what did it, not which
        if first == "what" and start == 1 and after not in AUXILIARIES:
            return None  # "What limits the cycle's efficiency?", "What flows between...": a verb, or a thing
    elif _NAME_OPENER.match(text):
        rest = _WORD.findall(_NAME_OPENER.sub("", text, count=1))
        i = 0
        while i < len(rest) and (rest[i].lower() in _COUNT or rest[i].lower() in ("a", "of", "the")
                                 or rest[i][0].isdigit()):
            i += 1
        run = _run_after(rest, i)
    run = [w for w in run if w.lower() not in _COUNT and not w[0].isdigit()]
    if not run:
        return None
    head = run[-1]
    low = head.lower()
    if low in _ABSTRACT or not _plural(low):
        return None  # a singular ("which council"), or not a noun's plural ("news")
    return SetQuestion(" ".join(run), head, _singular(low))


def _people(enumeration: str) -> bool:
    """Whether every item of an enumeration is a kind of people ("residents, service users, carers and
    staff"): they name who, not which things of a set."""
    items = [i.split()[-1].lower() for i in re.split(r",\s*|\s+(?:and|or)\s+", enumeration) if i.split()]
    return bool(items) and all(w in _ABSTRACT or w in _PEOPLE for w in items)


_PEOPLE = lexicon("carers parents pupils teachers nurses doctors tenants councillors taxpayers consumers "
                  "communities families")


def mentions_set(sentence_terms: frozenset[str] | set[str], asked: SetQuestion) -> bool:
    """Whether a sentence speaks of the set (uses its head noun, in any number)."""
    return bool(set(terms(asked.head)) & sentence_terms)


@lru_cache(maxsize=8192)
def _lists_things(text: str) -> bool:
    """Whether a text enumerates three or more short items other than kinds of people (cached: the
    enumeration pattern backtracks, and sentences recur across questions)."""
    return any(not _people(m.group()) for m in _ENUMERATION.finditer(text))


def names_members(sentence: Sentence, asked: SetQuestion, question: str) -> bool:
    """Whether the sentence names members of the set (see the module's docstring)."""
    text = sentence.text
    if sentence.role == SentenceRole.LEAD_IN or _lists_things(text):
        return True
    forms = "|".join(re.escape(w) for w in sorted({asked.head.lower(), *asked.singular}))
    if re.search(rf"\b(?:{forms})\b\s*(?:\([^)]*\)\s*)?,?\s*(?:such as|including|like|namely|e\.g\.|for "
                 rf"example|for instance|called|named|known as|:)", text, re.IGNORECASE):
        return True
    if re.search(rf"\b(?:{forms})\s+to\s+\w+[^.;]*?(?:,\s*(?:and\s+)?|\s+and\s+)to\s+\w+", text,
                 re.IGNORECASE):  # "the coalition's decision to axe the fund..., and to reverse...": each
        return True  # one, by its deed
    given = set(terms(question))

    def new(name: str) -> bool:
        return any(t not in given for w in name.split() for t in terms(w))

    for m in re.finditer(rf"((?:[\w'’-]+\s+){{1,3}})(?i:{forms})\b", text):
        words = m.group(1).split()
        infinitive = False
        while words and (words[0].lower() in STOPWORDS | _COUNT or words[0][0].isdigit()):
            infinitive = words[0].lower() == "to"
            words = words[1:]
        if infinitive and words and "verb" in word_classes(words[0].lower()):
            continue  # "to push local authorities": a verb and its object, not a kind of them
        kinds = [w for w in words if w.lower() not in _COUNT and w.lower() not in _VAGUE
                 and w.lower() not in STOPWORDS and not w[0].isdigit()]
        fresh = [w for w in kinds if new(w)]
        if kinds and all(w.lower() not in STOPWORDS for w in words) and fresh and not (
                m.group(0).rstrip().lower().endswith(asked.head.lower())
                and all(w[:1].isupper() for w in fresh)):
            # "recent anthropological findings": a kind of them, by what the question lacks; not a
            # plural behind a name ("Labour authorities", "Tory councils"): which side, not which ones
            return True

    singular = "|".join(re.escape(w) for w in sorted(asked.singular))
    for m in re.finditer(rf"((?:[A-Z][\w'’-]*\s+){{1,3}})(?i:{singular})\b", text):
        if new(m.group(1)):
            return True  # "Lambeth Council": a member by its name
    for m in re.finditer(rf"(?i:\bthe\s+(?:{forms})\s+((?:set up|supporting|for|to|that|which|who|run by|"
                         rf"created|established|behind|backing|helping)\b(?:\s+[\w'’-]+){{2,8}}))", text):
        if len([t for t in terms(m.group(1)) if t not in given]) >= 2:
            return True  # "the fund set up by the last Labour government to support...": one, described
    for m in re.finditer(rf"(?i:\b(?:{forms}))\s*,\s*((?:the\s+)?[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)", text):
        if new(m.group(1)):
            return True  # "two importers, Keck and Mithouard, claimed": members in apposition
    for m in re.finditer(r"(?<!^)\b([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*)\s+(?:and|or|&)\s+([A-Z][\w'’-]*)",
                         text):
        if new(m.group(1)) and new(m.group(2)):
            return True  # two members by name
    return False


_NAMING_AFTER = re.compile(
    r"^(?:\s*,\s*|\s+(?:of|in|at|called|named|known as)\s+|\s+)(?:the\s+)?[\"“'‘]?[A-Z]")
"""A name right after the noun: "the estate of Kings Park", "author Richard Lindzen"."""
_INTRODUCING = re.compile(r"^\s*,?\s*(?:such as|including|like|namely|e\.g\.|:)", re.IGNORECASE)
_UNNAMING_BEFORE = lexicon("a an one any some each every another my his her our their its your no")
"""Determiners that leave the thing unnamed ("a council", "my ward"): which one is not said."""


def _modifies(text: str, end: int, forms: Sequence[str]) -> bool:
    """Whether the name ending at ``end`` modifies one of the noun's ``forms`` right after it
    ("Labour Councils"): of which side they are, not which one."""
    after = text[end:].lstrip(" \"”'’")
    return any(after.lower().startswith(f) for f in forms)


def which_one(text: str) -> str | None:
    """The singular head noun of a question asking which one thing it is ("Which council leads the
    network?", "... and which estate is it?"), or None. Plural heads are ``set_question``'s."""
    tokens = _WORD.findall(text)
    for i, token in enumerate(tokens[:-1]):
        if token.lower() != "which" or tokens[i + 1].lower() in {"of", "one", "ones"} | AUXILIARIES:
            continue
        run = _run_after(tokens, i + 1)
        if not run:
            continue
        opening = i == 0 or (i == 1 and tokens[0].lower() in _STRANDED) \
            or tokens[i - 1].lower() in ("and", "but", "then", "than")
        if not opening and i + 1 + len(run) < len(tokens):
            continue  # "arms which exacerbated tension", "the space in which material is burned": relative
        head = run[-1].lower()
        if "noun" in word_classes(head) and not _plural(head) and head not in _ABSTRACT \
                and run[-1][:1].islower():
            return head
    return None


def names_one(sentence: Sentence, head: str, question: str) -> bool | None:
    """Whether the sentence picks out one thing of the kind ``head`` names: by a name the question
    lacks ("Orange County", "IPCC author Richard Lindzen", "the estate of Kings Park"), by a modifier
    that says which ("scorpion venom", "the 1993–94 season"), or as "the" one described. "One of the
    housing estates in my ward", "a council" and "Labour Councils" (a side, not one of them) name
    none: False. A sentence that does not use the noun itself, or only inside a name the question
    gives ("the NFL Most Valuable Player"), may name one in other words: None."""
    forms = sorted({head, *lemmas(head, "noun"), head + "s", head + "es"}, key=len, reverse=True)
    given = set(terms(question))

    def new(word: str) -> bool:
        return any(t not in given for t in terms(word))

    def unknown(name: str) -> bool:  # a name none of whose words the question gives ("TMO (Tenant...")
        return bool(terms(name)) and not set(terms(name)) & given

    text = sentence.text
    mentions = list(re.finditer(rf"\b(?:{'|'.join(re.escape(f) for f in forms)})\b", text, re.IGNORECASE))
    considered = False
    for m in mentions:
        word = m.group()
        before = [w.strip("\"“”'‘’(),") for w in text[:m.start()].split()]
        if word[:1].isupper() and before:  # in a name: "Orange County" names one; "Most Valuable Player"
            if word.lower() == head and before[-1][:1].isupper() and new(before[-1]):  # is the question's
                return True
            # "a "Co-operative Council"", "Some Labour Councils": of the kind, none named
            outer = next((w.lower() for w in reversed(before[-4:]) if not w[:1].isupper()), "")
            considered = considered or outer in _UNNAMING_BEFORE
            continue
        considered = True
        modifiers: list[str] = []
        determiner = ""
        for w in reversed(before[-4:]):
            low = w.lower()
            if low in STOPWORDS or low in _UNNAMING_BEFORE or w.endswith(("'s", "’s")):
                determiner = low
                break
            modifiers.append(w)
        at = len(before) - len(modifiers) - 1
        one_of = determiner == "the" and at >= 2 and [w.lower() for w in before[at - 2:at]] == ["one", "of"]
        if determiner in _UNNAMING_BEFORE or one_of:
            continue  # "one of the housing estates in my ward", "a council": none picked out
        if word.lower() != head:  # "councils such as Lambeth": several, named
            if _INTRODUCING.match(text[m.end():]):
                return True
            continue
        if _NAMING_AFTER.match(text[m.end():]):
            return True
        if determiner in ("the", "this", "that") or determiner.endswith(("'s", "’s")) \
                or any(new(w) for w in modifiers):
            return True
    if any(e.fact_type in NAMED_TYPES and unknown(text[e.start - sentence.start:e.end - sentence.start])
           and not _modifies(text, e.end - sentence.start, forms) for e in sentence.entities):
        return None  # "Chivas were suspended...": one named, maybe in other words than the question's
    return False if considered else None


_PARTITIVE = re.compile(r"^\s*(?:(?:and|so|but)\s+)?how many of\s+(?:the|these|those|his|her|their|its|our|"
                        r"them|[\w'’-]+['’]s)\b\s*(?P<rest>.*?)\s*\?*\s*$", re.IGNORECASE)

@dataclass(frozen=True, slots=True)
class SubsetCount:
    """A question counting the members of a set that did something ("How many of Maude's pilot
    projects succeeded?"): the set's head noun and the terms of what they did."""

    head: str  # "projects"
    predicate: str  # "succeeded", as written
    terms: tuple[str, ...]  # ("succeed",)


def _light(word: str) -> bool:
    """An auxiliary or a light verb in any form ("were", "went", "became"): it says no deed."""
    low = word.lower()
    return low in AUXILIARIES or bool(({low} | lemmas(low, "verb")) & LIGHT_VERBS)


def subset_count(text: str) -> SubsetCount | None:
    """The set and the deed of "How many of <the set> <did something>?", or None. The deed is what
    follows the last verb ("went on to become Co-operative Councils": "Co-operative Councils"), that
    verb included unless it is a light one ("succeeded", "were set up": "set up"); a relative clause
    on the set ("that signed the pledge") is part of the set, not the deed."""
    m = _PARTITIVE.match(text)
    if m is None:
        return None
    words = _WORD.findall(m.group("rest"))
    head_at = next((i for i, w in enumerate(words) if _plural(w.lower())), None)
    if head_at is None:
        return None
    after = words[head_at + 1:]
    verbs = [i for i, w in enumerate(after) if w[:1].islower() and "verb" in word_classes(w.lower())
             and w.lower() not in STOPWORDS]
    if not verbs:
        return None
    last = verbs[-1]
    deed = after[last + 1:] if _light(after[last]) else after[last:]
    kept = [w for w in deed if w.lower() not in STOPWORDS and not _light(w)]
    stems = tuple(t for w in kept for t in terms(w))
    if not stems:
        return None
    # the main verb: the first after a noun ("...the pledge went on to become..."), else all of it
    main = next((i for i in verbs if i > 0 and "noun" in word_classes(after[i - 1].lower())), 0)
    return SubsetCount(words[head_at], " ".join(after[main:]), stems)
