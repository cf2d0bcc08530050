"""Evidence for the extractive answerer: the question's terms (spelling-corrected against the posts'
vocabulary), each candidate sentence's relevance, whether it holds the asked-for type of fact, and
what the posts lack (answerability).

A sentence's relevance is its cosine to the question (stored sentence vectors; the question is
embedded once) plus lexical evidence: the share of the question's BM25 idf weight found in the
sentence (and, a little, in the sentence before it, where names often are) and the share of the
question's adjacent word pairs found adjacent in it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from weakref import WeakKeyDictionary

import numpy as np

from rag.answering.attribution import REFERENCE_BACK, introduces, quotation_introducers, voiced_by
from rag.answering.instances import mentions_set, names_members, set_question
from rag.answering.predicate import LIGHT_VERBS, derived
from rag.answering.store import AnswerStore
from rag.lexical import other_name_stems, terms
from rag.question import FRAME_VERBS, STOPWORDS, QuestionAnalysis
from rag.text import without_links
from rag.types import NAMED_TYPES, AnswerType, EntitySpan, FactType, Sentence
from rag.wordclass import word_classes

LEXICAL_WEIGHT = 0.35
"""Weight of lexical evidence (share of the question's idf found in the sentence) in relevance."""
PHRASE_WEIGHT = 0.2
"""Weight of phrase evidence: the share of the question's adjacent term pairs adjacent in the sentence."""
CONTEXT_SHARE = 0.25
"""Share of the lexical evidence that may come from the sentence just before."""
BORROWED_WEIGHT = 0.5
"""A follow-up's words borrowed from the question before it ("the Commission" in "And who funded it?")
count this much: the follow-up's own words decide the answer."""
FRAME_WEIGHT = 0.3
"""Frame words ("say", "reasons", "post") count this much of their idf: they shape the question, but
the posts rarely repeat them."""
TYPE_BONUS = 0.08
"""Added to a sentence holding the type of fact the question asks for."""
TYPE_PENALTY = 0.2
"""Subtracted from a sentence lacking a number, date, sum or percentage the question asks for."""
COUNT_BONUS = 0.1
"""Added when a "how many X" question's X is counted in the sentence ("108 ... schools")."""
EXCEPTION_BONUS = 0.15
OTHER_SIDE_MARGIN = 0.05
"""Asked "for or against", the best sentence taking the other side from the best one scores this much
below it (relevance units), so it is quoted as a near tie..."""
OTHER_SIDE_REACH = 12
"""... when it is among this many best sentences."""
"""Added, for "Is X against Y altogether?", to a sentence that takes the other side in so many words
("Where there is genuine demand ... I'm all for it"): the question asks whether there is an exception."""
_EXTENT = re.compile(r"\b(altogether|entirely|completely|totally|wholly|outright|whatsoever|at all|"
                     r"in principle|across the board|any good|anything (good|positive|right|useful)|"
                     r"anything\b[^?]{0,60}\b(likes?|liked|approves?|praises?|admires?|welcomes?))\b|"
                     r"\b(concedes?|conceded|admits?|admitted|grants?|acknowledges?)\b", re.IGNORECASE)
_AGAINST = re.compile(r"\b(against|oppose[sd]?|opposed|reject[s]?|hostile|anti|sceptical|skeptical|"
                      r"dismiss(es)?|critical)\b", re.IGNORECASE)
_CONCEDES = re.compile(r"\b(concedes?|conceded|admits?|admitted|grants?|acknowledges?)\b", re.IGNORECASE)
"""A concession asks for the favourable point of a critic ("What does the writer concede is
attractive about the plan?")."""
_FAVOURS = re.compile(r"\b(support[s]?|favour[s]?|favor[s]?|in favour|for|back[s]?|welcome[s]?|keen|"
                      r"positive|good|useful|right|endorse[s]?)\b", re.IGNORECASE)
_POSITIVE = re.compile(r"\b(good|great|positive|benefit[s]?|beneficial|advantage[s]?|potential|promising|"
                       r"welcome[sd]?|in favour|all for|successful|fruitful|merit[s]?|useful|worthwhile|"
                       r"proud|enthusiastic(ally)?|valuable|a good idea|supporter|campaign(ed|s)? for|"
                       r"champion(ed|s)?)\b", re.IGNORECASE)
"""Words that speak well of something (evaluations, not verbs of helping: "set up to support")."""
_NEGATIVE = re.compile(r"\b(bad|wrong|risk[s]?|danger(s|ous)?|threat[s]?|sceptical|skeptical|suspicio(n|us)|"
                       r"cynical|cynicism|cautious|oppose[sd]?|reject(s|ed)?|resist|daft|faux|misery|worse|"
                       r"harmful|damaging|problem[s]?|concern[s]?|flaw(s|ed)?|disingenuous|ploy|stooges?|"
                       r"short of|ramshackle|false)\b", re.IGNORECASE)
"""Words that speak ill of something."""


_EITHER_SIDE = re.compile(r"\b(for or against|against or for|(support|back|favou?r)s? or (oppose|reject)s?|"
                          r"(oppose|reject)s? or (support|back|favou?r)s?|in favou?r (of [^?]{1,60}? )?or "
                          r"(not|against))\b", re.IGNORECASE)
"""A question asking which side a stance takes ("Is X for or against Y?"): both sides' words answer."""
_EVALUATIVE = re.compile(f"{_POSITIVE.pattern}|{_NEGATIVE.pattern}", re.IGNORECASE)
_NO_CUE = re.compile(r"(?!)")


@dataclass(frozen=True, slots=True)
class SoughtSide:
    """The side a question about the extent of a stance asks after, as word cues of it and of the
    other side."""

    sought: re.Pattern[str]
    other: re.Pattern[str]
    about: frozenset[str] = frozenset()  # the stems of what the stance is on: "mutual", "plan"
    cases: bool = False  # asks whether there are cases against the stance ("against Y altogether?")

    def takes(self, text: str) -> bool:
        """Whether a sentence takes the sought side on what is asked about: more of its cues than of
        the other side's ("On one level the plan seems a good idea", not "falls well short of a genuine
        mutual approach"), and a word of the asked-about thing or one built on it ("mutualist")."""
        if len(self.sought.findall(text)) <= len(self.other.findall(text)):
            return False
        return not self.about or any(t[:5] == a[:5] for t in terms(text) for a in self.about)


_STANCE_WORDS = frozenset(terms("against oppose opposed support favour favor back positive good useful right "
                                "anything altogether entirely completely totally wholly outright whatsoever "
                                "see think view like likes actually concede concedes admit grant acknowledge "
                                "attractive"))


def exception_sought(text: str, holder_words: str = "") -> SoughtSide | None:
    """The side a question about the extent of a stance asks after: "Is X against Y altogether?" and
    "Does X see anything positive at all?" ask for any favourable word, "Does X back Y entirely?" for
    any reservation; None for other questions. ``holder_words`` (the post or person holding the
    stance) are no part of what it is on. The cues are a small polarity lexicon, in the manner
    of Hu & Liu's opinion lexicon ("Mining and summarizing customer reviews", KDD 2004)."""
    if _EITHER_SIDE.search(text):  # "for or against": what speaks well of it and what speaks ill
        about = frozenset(terms(text)) - frozenset(terms(holder_words)) - _STANCE_WORDS
        return SoughtSide(_EVALUATIVE, _NO_CUE, about)
    if not _EXTENT.search(text):
        return None
    # what the stance is on: the question's words less its holder's ("the councillor who wrote...")
    about = frozenset(terms(text)) - frozenset(terms(holder_words)) - _STANCE_WORDS
    against = list(_AGAINST.finditer(text))
    if against:  # "against the coalition's mutuals plan altogether": the plan, not mutuals in general
        return SoughtSide(_POSITIVE, _NEGATIVE, _head_after(text, against[-1].end()) or about, cases=True)
    if re.search(r"\b(at all|anything|any good|whatsoever)\b", text, re.IGNORECASE) and _FAVOURS.search(text):
        return SoughtSide(_POSITIVE, _NEGATIVE, about)  # "anything positive at all": whether there is any
    if _CONCEDES.search(text) or re.search(r"\banything\b", text, re.IGNORECASE):
        return SoughtSide(_POSITIVE, _NEGATIVE, about)  # "What does X concede...", "anything X likes"
    if _FAVOURS.search(text):
        return SoughtSide(_NEGATIVE, _POSITIVE, about)  # "back it entirely": whether there are reservations
    return None


def _head_after(text: str, at: int) -> frozenset[str]:
    """The stems of the head noun of the noun phrase starting at ``at`` ("plan" of "the coalition's
    mutuals plan altogether?"): its last word before a function word, an extent word or the end."""
    words: list[str] = []
    for word in re.findall(r"[\w'’-]+", text[at:]):
        if not words and word.lower() == "to":  # "opposed to mutuals"
            continue
        if word.lower() in STOPWORDS - {"the", "a", "an"} or _EXTENT.match(word):
            break
        words.append(word)
    content = [w for w in words if w.lower() not in ("the", "a", "an")]
    return frozenset(terms(content[-1])) if content else frozenset()


def holder_words(analysis: QuestionAnalysis) -> str:
    """The words naming whoever holds a stance the question asks about: its holder and an author's
    role words ("the councillor who wrote..."). A post's name stays: its words are often the topic's
    ("Mutual suspicion" and mutuals)."""
    return f"{analysis.holder or ''} councillor writer author blogger post article piece blog wrote"


QUESTION_PENALTY = 0.1
"""Subtracted from a sentence that is itself a question (rhetorical questions rarely answer)."""
VERB_BONUS = 0.1
"""Added, for a question asking who or what did something ("Who funds it?", "Who chairs the
commission?"), to a sentence using the question's verb in any form ("Funded by...", "chaired by")."""
_SUBJECT_QUESTION = re.compile(r"^\s*(?:(?:and|but|so|then)\s+)?(?:who|what)\s+(?P<verb>[a-z]+)\b",
                               re.IGNORECASE)
MEMBERS_BONUS = 0.1
"""Added, for a question asking which members of a set there are ("What coalition decisions..."), to
a sentence that speaks of the set and names members of it (``instances.names_members``)."""
CAUSAL_BONUS = 0.1
"""Added, for "why" questions, to a sentence that gives a reason or a consequence in so many words
("because", "since", "so that", "the risk is", "would mean"...)."""
_CAUSAL = re.compile(r"\b(because|since|as a result|so that|therefore|thus|hence|due to|owing to|the reason|"
                     r"reasons?|the risk|risks|danger|in order to|leads? to|led to|would mean|means that|"
                     r"fails? to|neither|not just|rather than|instead of|if only because|otherwise|"
                     r"consequently)\b", re.IGNORECASE)

STRONG_TYPES = frozenset({FactType.DATE, FactType.NUMBER, FactType.MONEY, FactType.PERCENT})
"""Types whose absence lowers a sentence's relevance (a "when" needs a date)."""

SPELLING_MIN_LENGTH = 4

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
CALENDAR_WORD = re.compile(rf"(?:{_MONTHS}|monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
                           re.IGNORECASE)
"""A month or a weekday: a capitalised word that dates a thing rather than names it (``fullmatch``)."""
_TYPE_TEXT: dict[FactType, re.Pattern[str]] = {
    FactType.DATE: re.compile(rf"\b(1[5-9]\d\d|20\d\d|\d0s|{_MONTHS}|monday|tuesday|wednesday|thursday|"
                              r"friday|saturday|sunday|yesterday|today|tomorrow|century|decade|spring|summer|autumn|"
                              r"winter)\b", re.IGNORECASE),
    FactType.NUMBER: re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                                r"twenty|thirty|forty|fifty|hundred|hundreds|thousand|thousands|million|"
                                r"millions|billion|dozen|dozens|half|third|quarter|single|double|twice)\b",
                                re.IGNORECASE),
    FactType.MONEY: re.compile(r"[£$€¥]\s?\d|\b\d[\d,.]*\s?(pounds?|dollars?|euros?|pence|p|bn|m|k)\b|"
                               r"\b(million|billion|thousand) (pounds|dollars|euros)\b", re.IGNORECASE),
    FactType.PERCENT: re.compile(r"%|\bper ?cent\b|\b(half|a third|a quarter|two thirds|three quarters) of\b",
                                 re.IGNORECASE),
}
_EXACT_DATE = re.compile(rf"\b(1[5-9]\d\d|20\d\d|\d0s|{_MONTHS})\b", re.IGNORECASE)
"""A calendar date, month or year, for "what date" and "which year" (not "yesterday")."""
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+\b")
_NUMBER_TOKEN = re.compile(r"^(\d[\d,.½¼¾⅓⅔]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                           r"dozen|hundred|hundreds|thousand|thousands|million|millions|billion|several|"
                           r"many|some|few)$", re.IGNORECASE)


@lru_cache(maxsize=65_536)
def sentence_terms(text: str) -> list[str]:
    """A sentence's analysed terms, links left out (cached: sentences recur across questions)."""
    return terms(without_links(text))


@lru_cache(maxsize=65_536)
def sentence_term_set(text: str) -> frozenset[str]:
    return frozenset(sentence_terms(text))


@lru_cache(maxsize=65_536)
def sentence_pairs(text: str) -> frozenset[tuple[str, str]]:
    """A sentence's adjacent term pairs (cached, as ``sentence_terms``)."""
    return frozenset(itertools.pairwise(sentence_terms(text)))


def has_type(sentence: Sentence, fact_type: FactType | None) -> bool:
    """Whether a sentence holds a fact of this type: an entity of the type (spaCy, at index time),
    or for numbers, dates, sums and percentages, their written forms."""
    if fact_type is None or fact_type == FactType.OTHER:
        return True
    if any(e.fact_type == fact_type for e in sentence.entities):
        return True
    if fact_type == FactType.PERSON:  # "who" is answered by people and by organisations
        return any(e.fact_type == FactType.ORGANISATION for e in sentence.entities)
    pattern = _TYPE_TEXT.get(fact_type)
    return bool(pattern and pattern.search(sentence.text))


_TERMED = re.compile(r"\b(?:called|known as|termed|named|dubbed|nicknamed)\s+[\"“'‘]?([\w'’-]+)")
"""A name given to something in so many words, whether or not it is a proper name."""


def holds_answer(sentence: Sentence, analysis: QuestionAnalysis, context: str = "") -> bool:
    """Whether a sentence holds a fact of the asked-for type that the question does not already give:
    a person not named in the question for "who is...", a calendar date for "which year"."""
    wanted = analysis.fact_type
    if wanted is None or wanted == FactType.OTHER:
        return True
    asked = analysis.text.lower()
    if wanted == FactType.NAME:  # any proper name the question does not already give
        named = [sentence.text[e.start - sentence.start:e.end - sentence.start] for e in sentence.entities
                 if e.fact_type in NAMED_TYPES]
        named += [m.group(0) for m in _CAPITALISED.finditer(sentence.text[1:])]
        named += [m.group(1) for m in _TERMED.finditer(sentence.text)]  # "a process called chemotaxis"
        given = set(terms(asked))
        return any(any(t not in given and not _acronym_of(w, analysis.text)
                       for w in re.findall(r"[\w'’-]+", n) for t in terms(w)) for n in named)
    located = [(e.start - sentence.start, e.end - sentence.start) for e in sentence.entities
               if e.fact_type == wanted or (wanted == FactType.PERSON and e.fact_type == FactType.ORGANISATION
                                            and not analysis.strict_type)]
    if wanted == FactType.NUMBER:
        located = [(a, b) for a, b in located if counts_something(sentence.text, a, b)]
    spans = [sentence.text[a:b] for a, b in located]
    new = [s for s in spans if s.lower() not in asked]
    if wanted == FactType.DATE and analysis.exact_date:
        text = without_links(sentence.text)
        return any(m.group(0).lower() not in asked for m in _EXACT_DATE.finditer(text))
    if new:
        return True
    if wanted in (FactType.PERSON, FactType.PLACE, FactType.ORGANISATION):
        return False
    pattern = _TYPE_TEXT.get(wanted)
    return bool(pattern and any(m.group(0).lower() not in asked for m in pattern.finditer(sentence.text)
                                if wanted != FactType.NUMBER or counts_something(sentence.text, *m.span())))


_NOT_A_COUNT_BEFORE = frozenset({"on", "no", "any", "every", "each", "this", "that", "which", "the", "at"})


def counts_something(text: str, start: int, end: int) -> bool:
    """Whether the number word at ``text[start:end]`` counts something: "one" in "one of the housing
    estates", "on one level" or "the one" picks a thing out, it says how many there are of nothing."""
    word = text[start:end].strip().lower()
    if word != "one":
        return True
    after = text[end:].lstrip().lower()
    before = text[:start].split()
    return not (after.startswith("of ") or (before and before[-1].lower() in _NOT_A_COUNT_BEFORE))


def _acronym_of(name: str, text: str) -> bool:
    """Whether ``name`` is the initials of words in ``text`` ("TMO" for "Tenant Management Organisation")."""
    if not (name.isupper() and 2 <= len(name) <= 6):
        return False
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z][\w'’-]*", text) if w[0].isupper()).upper()
    initials_all = "".join(w[0] for w in re.findall(r"[A-Za-z][\w'’-]*", text)).upper()
    return name in initials or name in initials_all


def counts(sentence: Sentence, noun: str | None) -> bool:
    """Whether the sentence puts a number right before the counted noun ("108 co-operative trust
    schools" for "how many co-operative trust schools")."""
    if not noun:
        return False
    head = terms(noun.split()[-1])
    if not head:
        return False
    words = re.findall(r"[\w'’.,-]+", sentence.text)
    stems = [terms(w) for w in words]
    for i, st in enumerate(stems):
        if head[0] in st:
            for j in range(max(0, i - 4), i):
                if _NUMBER_TOKEN.match(words[j].strip(",.")):
                    return True
    return False


def correct_spelling(term: str, vocab: Mapping[str, int], cache: dict[str, str | None]) -> str | None:
    """The posts' term closest to an unknown question term (edit distance 1, or 2 for terms of eight
    letters or more), or None. The distance is optimal string alignment (Damerau-Levenshtein without
    repeated edits of a substring), so a swap of two letters ("todya") is one edit, as typists make
    it. Uses rapidfuzz (https://github.com/rapidfuzz/RapidFuzz)."""
    if term in cache:
        return cache[term]
    best: str | None = None
    if len(term) >= SPELLING_MIN_LENGTH and not term.isdigit():
        from rapidfuzz import process
        from rapidfuzz.distance import OSA

        limit = 2 if len(term) >= 8 else 1
        match = process.extractOne(term, vocab.keys(), scorer=OSA.distance, score_cutoff=limit)
        if match is not None and abs(len(match[0]) - len(term)) <= limit:
            best = match[0]
    cache[term] = best
    return best


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def correct_word(word: str, vocab: Mapping[str, int], cache: dict[str, str | None]) -> str | None:
    """The posts' term for a misspelt word one edit away from a word whose stem the posts use
    ("Educaton" -> "education" -> "educ"), when the misspelling's own stem is too far from the
    posts' stem to match (``correct_spelling``). Edits are deletions, swaps of neighbours,
    substitutions and insertions (Norvig, "How to Write a Spelling Corrector", 2007); the first
    candidate in alphabetical order wins, so the result does not depend on the vocabulary's order."""
    key = "word:" + word
    if key in cache:
        return cache[key]
    low = word.lower()
    found: str | None = None
    if len(low) >= SPELLING_MIN_LENGTH and low.isalpha():
        splits = [(low[:i], low[i:]) for i in range(len(low) + 1)]
        edits = ({a + b[1:] for a, b in splits if b}
                 | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
                 | {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
                 | {a + c + b for a, b in splits for c in _LETTERS})
        for candidate in sorted(edits - {low}):
            stems = terms(candidate)
            if len(stems) == 1 and stems[0] in vocab:
                found = stems[0]
                break
    cache[key] = found
    return found


@dataclass(slots=True)
class QueryTerms:
    """The question's analysed terms, corrected for spelling, with their idf weights."""

    terms: list[str]  # in question order, corrected
    weights: dict[str, float]  # idf, frame words down-weighted
    unknown: list[str]  # terms absent from the posts even after correction
    corrected: dict[str, str] = field(default_factory=dict)  # typed term -> the posts' term

    @property
    def total(self) -> float:
        return sum(self.weights.values())

    def without(self, dropped: set[str]) -> QueryTerms:
        """The same terms less ``dropped`` (question words that are no evidence either way)."""
        if not dropped:
            return self
        return QueryTerms([t for t in self.terms if t not in dropped],
                          {t: w for t, w in self.weights.items() if t not in dropped},
                          [t for t in self.unknown if t not in dropped], self.corrected)

    @property
    def pairs(self) -> set[tuple[str, str]]:
        return set(itertools.pairwise(self.terms))


_spelling_cache: dict[int, dict[str, str | None]] = {}


def query_terms(analysis: QuestionAnalysis, store: AnswerStore, text: str | None = None) -> QueryTerms:
    """Terms of the question (or ``text``), corrected against the posts' vocabulary."""
    vocab = store.vocabulary()
    cache = _spelling_cache.setdefault(id(vocab), {})
    if len(_spelling_cache) > 8:
        _spelling_cache.clear()
        cache = _spelling_cache.setdefault(id(vocab), {})
    raw = terms(text if text is not None else analysis.text)
    frame = set(terms(" ".join(analysis.frame)))
    out: list[str] = []
    unknown: list[str] = []
    corrected: dict[str, str] = {}
    typed = {stem: word for word in re.findall(r"[^\W_]+", text if text is not None else analysis.text)
             for stem in terms(word)}
    joined = joined_words(text if text is not None else analysis.text, vocab)
    for t in raw:
        if t in joined:  # "Lib Dems" for the posts' "LibDems": one term, once
            if joined[t] not in out:
                out.append(joined[t])
            corrected[t] = joined[t]
            continue
        if t in vocab:
            out.append(t)
            continue
        # an English word is no misspelling ("sort" is not "short"); a name or a typo is not one
        word = typed.get(t, t)
        fixed = None if word_classes(word) else (correct_spelling(t, vocab, cache)
                                                 or correct_word(word, vocab, cache))
        if fixed is not None:
            corrected[t] = fixed
            out.append(fixed)
        else:
            out.append(t)
            unknown.append(t)
    idf = store.term_idf(list(dict.fromkeys(out)))
    own = set(terms(analysis.text))
    borrowed = set(terms(" ".join(analysis.context))) - own
    weights = {t: w * (FRAME_WEIGHT if t in frame else BORROWED_WEIGHT if t in borrowed else 1.0)
               for t, w in idf.items()}
    return QueryTerms(out, weights, unknown, corrected)


def joined_words(text: str, vocab: Mapping[str, int]) -> dict[str, str]:
    """Pairs of adjacent words the posts never use that the posts write as one word ("Lib Dems" for
    "LibDems", "co op" for "coop"): {stem of either word: stem of the joined word}."""
    words = re.findall(r"[^\W_]+", text)
    out: dict[str, str] = {}
    for first, second in itertools.pairwise(words):
        a, b, both = terms(first), terms(second), terms(first + second)
        if len(a) == 1 and len(b) == 1 and len(both) == 1 and both[0] in vocab \
                and a[0] not in vocab and b[0] not in vocab:
            out[a[0]] = out[b[0]] = both[0]
    return out


@dataclass(slots=True)
class Candidate:
    """A sentence considered for the answer, with its evidence."""

    sentence: Sentence
    cosine: float
    lexical: float
    phrase: float
    relevance: float
    typed: bool  # holds the asked-for type of fact
    rank: int  # rank of the best retrieved passage holding it (0 = top); large for whole-post sentences
    terms: frozenset[str] = frozenset()

    @property
    def row(self) -> int:
        return self.sentence.row

    @property
    def doc_id(self) -> str:
        return self.sentence.doc_id


def score_sentences(sentences: Sequence[Sentence], ranks: Mapping[int, int], query_vector: np.ndarray,
                    analysis: QuestionAnalysis, query: QueryTerms, store: AnswerStore) -> list[Candidate]:
    """Every sentence scored for relevance to the question, best first (ties by position)."""
    if not sentences:
        return []
    vectors = store.vectors_of([s.row for s in sentences])
    cosines = vectors @ np.asarray(query_vector, np.float32)
    term_sets = [sentence_term_set(s.text) for s in sentences]
    by_row = {s.row: t for s, t in zip(sentences, term_sets, strict=True)}
    total = query.total
    q_pairs = query.pairs
    wanted = analysis.fact_type if analysis.answer_type in (AnswerType.FACT, AnswerType.LIST) else None
    reason = analysis.answer_type == AnswerType.REASON
    exception = exception_sought(analysis.text, holder_words(analysis)) if analysis.answer_type in (
        AnswerType.STANCE, AnswerType.FACT) else None

    def coverage(have: frozenset[str]) -> float:
        return sum(w for t, w in query.weights.items() if t in have) / total if total else 0.0

    asked_set = set_question(analysis.text) if analysis.answer_type == AnswerType.LIST else None
    verb = _asked_verb(analysis)
    introducers = quotation_introducers_in(store, {s.doc_id for s in sentences})
    speakers = _speakers(analysis, query)
    if speakers:
        by_sentence = {s.row: s for s in sentences}

        def earlier(sentence: Sentence) -> list[Sentence]:
            rows = range(sentence.row - REFERENCE_BACK, sentence.row)
            near = [by_sentence.get(r) for r in rows]
            if all(s is not None and s.doc_id == sentence.doc_id for s in near):
                return [s for s in near if s is not None]
            return [s for s in store.sentence_window(sentence.row, REFERENCE_BACK, 0) if s.row < sentence.row]

        for i, sent in enumerate(sentences):
            intro = introducers.get(sent.row)
            voiced = {t for key, name in speakers.items()
                      if key not in term_sets[i] and (voiced_by(sent, key, earlier)
                                                      or (intro is not None and introduces(intro, key)))
                      for t in name}
            if voiced:
                term_sets[i] = term_sets[i] | voiced
                by_row[sent.row] = term_sets[i]

    out: list[Candidate] = []
    for sent, cosine, have in zip(sentences, cosines, term_sets, strict=True):
        introducer = introducers.get(sent.row)
        if introducer is not None and introducer.text.rstrip().endswith((":", ";")):
            # 'based upon a "pledge" from 115 local Labour Groups;' frames what follows and says no more:
            # the words it introduces are the pledge's as much as it is
            have = have | sentence_term_set(introducer.text)
        own = coverage(have)
        around = have | by_row.get(sent.row - 1, frozenset())
        if introducer is not None:  # a quoted sentence is read with what introduces the quotation
            around = around | frozenset(sentence_terms(introducer.text))
        context = coverage(around)
        lexical = (1 - CONTEXT_SHARE) * own + CONTEXT_SHARE * context
        phrase = len(q_pairs & sentence_pairs(sent.text)) / len(q_pairs) if q_pairs else 0.0
        relevance = float(cosine) + LEXICAL_WEIGHT * lexical + PHRASE_WEIGHT * phrase
        typed = holds_answer(sent, analysis) if wanted is not None else True
        if wanted is not None and wanted != FactType.OTHER:
            if typed:
                relevance += TYPE_BONUS
            elif wanted in STRONG_TYPES:
                relevance -= TYPE_PENALTY
        if analysis.count_noun and counts(sent, analysis.count_noun):
            relevance += COUNT_BONUS
        if sent.text.rstrip().endswith("?"):
            relevance -= QUESTION_PENALTY
        if reason and _CAUSAL.search(sent.text):
            relevance += CAUSAL_BONUS
        if verb and any(derived(verb, t) for t in have):
            relevance += VERB_BONUS
        if asked_set is not None and mentions_set(have, asked_set) and names_members(sent, asked_set,
                                                                                   analysis.text):
            relevance += MEMBERS_BONUS
        if exception is not None and exception.takes(sent.text):
            relevance += EXCEPTION_BONUS
        out.append(Candidate(sent, float(cosine), lexical, phrase, relevance, typed,
                             ranks.get(sent.row, 10_000), have))
    out.sort(key=lambda c: (-c.relevance, c.row))
    if exception is not None and exception.sought is _EVALUATIVE and out:
        out = _both_sides(out, exception)
    return out


def _both_sides(ranked: list[Candidate], sought: SoughtSide) -> list[Candidate]:
    """For "Is X for or against Y?": the best sentence that speaks the other way from the best one
    (well of Y where it speaks ill, or ill where well) rises to just below it, so both sides are
    quoted."""
    def polarity(text: str) -> int:
        return len(_POSITIVE.findall(text)) - len(_NEGATIVE.findall(text))

    top = ranked[0]
    lean = polarity(top.sentence.text)
    if lean == 0:
        return ranked
    other = next((c for c in ranked[1:OTHER_SIDE_REACH] if polarity(c.sentence.text) * lean < 0
                  and sought.takes(c.sentence.text)
                  and (c.doc_id, c.sentence.line) != (top.doc_id, top.sentence.line)), None)
    if other is None or other.relevance >= top.relevance - OTHER_SIDE_MARGIN:
        return ranked
    lifted = replace(other, relevance=top.relevance - OTHER_SIDE_MARGIN)
    return sorted((lifted if c is other else c for c in ranked), key=lambda c: (-c.relevance, c.row))


def _asked_verb(analysis: QuestionAnalysis) -> str:
    """The stem of the verb a fact question asks who or what did ("fund" in "And who funds it?"), or
    ""; auxiliaries, frame verbs ("say") and light verbs ("make") ask nothing of their own."""
    if analysis.answer_type != AnswerType.FACT:
        return ""
    m = _SUBJECT_QUESTION.match(analysis.text)
    if m is None:
        return ""
    word = m.group("verb").lower()
    if word in STOPWORDS or word in FRAME_VERBS or word in LIGHT_VERBS or "verb" not in word_classes(word):
        return ""
    stems = terms(word)
    return stems[0] if stems else ""


_introducers: WeakKeyDictionary[AnswerStore, dict[str, dict[int, Sentence]]] = WeakKeyDictionary()


def quotation_introducers_in(store: AnswerStore, doc_ids: Iterable[str]) -> dict[int, Sentence]:
    """``attribution.quotation_introducers`` over whole posts, kept per store (posts do not change
    within an index generation): {row of a quoted sentence: the sentence introducing its quotation}."""
    try:
        known = _introducers.setdefault(store, {})
    except TypeError:  # a store that cannot be weakly referenced: computed afresh
        known = {}
    out: dict[int, Sentence] = {}
    for doc_id in doc_ids:
        if doc_id not in known:
            known[doc_id] = quotation_introducers(store.sentences_of_document(doc_id))
        out.update(known[doc_id])
    return out


def _speakers(analysis: QuestionAnalysis, query: QueryTerms) -> dict[str, frozenset[str]]:
    """The people the question names, as {surname stem: their name's stems}, for those the posts
    know: a sentence giving their words without naming them counts as naming them."""
    out: dict[str, frozenset[str]] = {}
    for name in [*analysis.entities, *([analysis.holder] if analysis.holder else [])]:
        stems = [query.corrected.get(t, t) for t in terms(name)]
        if stems and stems[-1] in query.weights and stems[-1] not in query.unknown:
            out[stems[-1]] = frozenset(t for t in stems if t in query.weights)
    return out


def entity_terms(entity: str) -> list[str]:
    return terms(entity)


def mentioned(entity: str, store: AnswerStore, query: QueryTerms) -> bool:
    """Whether the posts mention a name: every term of it is in the posts' vocabulary (after spelling
    correction). "Tony Blair" is not mentioned by posts that only say "Blairite"."""
    parts = terms(entity)
    if not parts:
        return True
    vocab = store.vocabulary()
    if all(query.corrected.get(t, t) in vocab or any(o in vocab for o in other_name_stems(t)) for t in parts):
        return True  # also under a party's other name ("Labor" is Labour)
    words = re.findall(r"[^\W_]+", entity)  # written as one word in the posts ("LibDems")
    return len(words) > 1 and all(t in vocab for t in terms("".join(words)))


def entity_types(sentence: Sentence) -> set[FactType]:
    return {t for t in (e.fact_type for e in sentence.entities) if t is not None}


def spans_of_type(sentence: Sentence, fact_type: FactType) -> list[EntitySpan]:
    return [e for e in sentence.entities if e.fact_type == fact_type]
