"""Which of a question's words, absent from the posts, name a topic the posts lack.

A question word the posts never use is either a paraphrase ("nicknamed", "ultimately", "effort to
promote") or a topic they do not cover ("football", "pensions", "academies"). Topics are nouns:
a word that can only be a noun, or a noun-or-verb in a noun's place (after "the", a possessive, a
number or another noun). The noun of the wh-phrase ("which *month*", "what *gaps*") names the kind of
answer, not a topic; frame words misspelt ("acording") are frame words. Years are constraints the
answer must meet ("by 2015").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.question import AUXILIARIES, EVALUATIVE_NOUNS, FRAME_NOUNS, FRAME_VERBS, STOPWORDS, WH_WORDS, lexicon
from rag.text import fold_quotes
from rag.wordclass import is_base_verb, word_classes

_TOKEN = re.compile(r"[A-Za-z0-9][\w'’-]*")
_YEAR = re.compile(r"^(1[5-9]\d\d|20\d\d)s?$")
_NOUN_BEFORE = lexicon(
    "the a an this that these those his her their its our my your some any no every each of about on "
    "for in with by from between among without")
_LEXICON = FRAME_NOUNS | FRAME_VERBS | EVALUATIVE_NOUNS | STOPWORDS | WH_WORDS
MIN_TOPIC_LENGTH = 4
_PARTICLE = lexicon("to towards toward against into away back up down off")
_DETERMINER = lexicon("the a an this that these those his her their its our my your")
"""Words that make an -ing word before them a verb of motion or attitude ("warming to", "turning
against"), not a noun, unless a determiner comes before it ("the housing to let")."""


def _near_lexicon_word(word: str) -> bool:
    """A misspelt frame or function word ("acording", "wich")."""
    if len(word) < 5:
        return False
    from rapidfuzz import process
    from rapidfuzz.distance import Levenshtein

    return process.extractOne(word, _LEXICON, scorer=Levenshtein.distance, score_cutoff=1) is not None


def _wh_heads(tokens: Sequence[str]) -> set[int]:
    """Positions of the nouns heading wh-phrases: the last word of "which football club"."""
    heads: set[int] = set()
    for i, tok in enumerate(tokens):
        if tok.lower() in ("what", "which", "whose"):
            j = i + 1
            while j < len(tokens) and tokens[j].lower() not in STOPWORDS | AUXILIARIES | WH_WORDS:
                j += 1
            if j > i + 1:
                heads.add(j - 1)
    return heads


def missing_topics(question: str, unknown: Sequence[str]) -> tuple[list[str], list[str]]:
    """(topic words, years) among ``unknown`` question words (words the posts never use)."""
    if not unknown:
        return [], []
    matches = list(_TOKEN.finditer(question))
    tokens = [m.group() for m in matches]
    ends = {i for i, m in enumerate(matches) if not question[m.end():].strip()
            or question[m.end():].lstrip()[0] in ",;:?!."}
    lowered = [fold_quotes(t.lower()) for t in tokens]
    named = frozenset(i for i, t in enumerate(tokens) if i > 0 and t[:1].isupper())
    heads = _wh_heads(tokens)
    topics: list[str] = []
    years: list[str] = []
    for word in unknown:
        low = fold_quotes(word.lower())
        positions = [i for i, t in enumerate(lowered) if t == low or t.rstrip("'s") == low]
        if _YEAR.match(low):
            years.append(word)
            continue
        if len(low) < MIN_TOPIC_LENGTH or low in _LEXICON or _near_lexicon_word(low):
            continue
        if positions and all(i in heads for i in positions):
            continue
        if positions and all(_describes(lowered, i) for i in positions):
            continue  # "is no real defence against...", "in some circumstances": wording, not a topic
        classes = word_classes(low)
        if classes and "noun" not in classes:
            continue  # a verb, adjective or adverb: likely a paraphrase
        if "adv" in classes and positions and all(i in ends and not _noun_place(lowered, i, after_noun=False)
                                                  for i in positions):
            continue  # "against mutual service delivery altogether?": an adverb closing its clause
        if "verb" in classes and low.endswith("ing") and positions and all(
                i + 1 < len(lowered) and lowered[i + 1] in _PARTICLE
                and not (i > 0 and lowered[i - 1] in _DETERMINER) for i in positions):
            continue  # "the public warming to organisations": a verb and its particle, not a topic
        if len(classes) > 1 and not any(_noun_place(lowered, i)
                                        and not _verb_place(lowered, i, classes, ends, named)
                                        for i in positions):
            continue  # "look into", "pitched as", "what did the pledge promise?": used as a verb here
        topics.append(word)
    return topics, years


_COPULA = frozenset({"is", "are", "was", "were", "be", "been", "being"})
_ARTICLE = frozenset({"a", "an", "no", "any"})
_HEDGE = frozenset({"some", "any", "certain", "all", "most", "such", "many", "which", "what"})


def _describes(tokens: Sequence[str], i: int) -> bool:
    """Whether the noun at ``i`` heads a description rather than naming a topic: a predicate after
    "is a" / "be no" (adjectives between: "is no real defence", "could be a route") or the noun of a
    hedging adjunct ("in some circumstances", "in any case") or of "in" before a bare singular noun ("in
    action", "in practice")."""
    j = i - 1
    while j >= 0 and tokens[j] not in _ARTICLE and "adj" in word_classes(tokens[j]) and i - j <= 3:
        j -= 1
    if j >= 1 and tokens[j] in _ARTICLE and tokens[j - 1] in _COPULA:
        return True
    if i >= 2 and tokens[i - 1] in _HEDGE and tokens[i - 2] in ("in", "under", "on"):
        return True
    # "co-ownership in action", "mutuals in practice": "in" and a bare singular noun, an adverbial
    return i >= 1 and tokens[i - 1] == "in" and not tokens[i].endswith("s") and (
        i + 1 == len(tokens) or not ({"noun", "adj"} & word_classes(tokens[i + 1])))


def _noun_place(tokens: Sequence[str], i: int, *, after_noun: bool = True) -> bool:
    """Whether position ``i`` is where a noun goes: after a determiner, possessive, preposition,
    number or (``after_noun``) another noun, or before "of"."""
    if i > 0:
        before = tokens[i - 1]
        if before in _NOUN_BEFORE or before.endswith(("'s", "s'")) or before.isdigit():
            return True
        if after_noun and "noun" in word_classes(before) and before not in STOPWORDS | AUXILIARIES | WH_WORDS:
            return True
    return i + 1 < len(tokens) and tokens[i + 1] == "of"


_DO = frozenset({"do", "does", "did"})
_OBJECT_START = frozenset({"the", "a", "an", "their", "his", "her", "its", "our", "to", "that"})


def _verb_place(tokens: Sequence[str], i: int, classes: set[str], ends: set[int],
                named: frozenset[int] = frozenset()) -> bool:
    """Whether a word that can be a verb stands where the main verb of a do-question goes, in its base
    form: ending a clause, as in "what did the pledge promise?", before its object ("did they promise
    the staff..."), or joined to such a verb ("what did the coalition scrap or reverse, ...").
    ``ends`` holds the positions of words a punctuation mark or the question's end follows, ``named``
    those of capitalised words inside the question: a name after the word is its object ("does the
    article credit Labour with...")."""
    if "verb" not in classes or not any(t in _DO for t in tokens[:i]) or not is_base_verb(tokens[i]):
        return False
    if i > 0 and tokens[i - 1] in _OBJECT_START:  # "... the staff a pension?": a noun
        return False
    if i in ends or i == len(tokens) - 1 or tokens[i + 1] in _OBJECT_START or i + 1 in named:
        return True
    return (i + 2 < len(tokens) and tokens[i + 1] in ("or", "and") and is_base_verb(tokens[i + 2])
            and _verb_place(tokens, i + 2, {"verb"}, ends))
