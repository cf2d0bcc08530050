"""The lexical analyser shared by the BM25 index and the extractive answerer.

Lower-cased word tokens of two or more characters (bm25s's default pattern), accents folded
("Schrödinger" matches "Schrodinger"), English stopwords removed, Snowball-stemmed. One cached
analyser: no per-call set-up at query time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def fold_accents(text: str) -> str:
    """``text`` without combining accents (NFKD decomposition, marks dropped): "café" → "cafe"."""
    if text.isascii():
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


class Analyzer:
    """Text → BM25 terms."""

    def __init__(self) -> None:
        import Stemmer
        from bm25s.stopwords import STOPWORDS_EN_PLUS

        self._stem = Stemmer.Stemmer("english").stemWords
        self._stopwords = frozenset(STOPWORDS_EN_PLUS)

    def terms(self, text: str) -> list[str]:
        return list(self._cached(text))

    @lru_cache(maxsize=65_536)  # noqa: B019 - one analyser per process; sentences recur across questions
    def _cached(self, text: str) -> tuple[str, ...]:
        words = [w for w in _TOKEN.findall(fold_accents(text.lower())) if w not in self._stopwords]
        return tuple(self._stem(words)) if words else ()

    def terms_of(self, texts: Iterable[str]) -> list[list[str]]:
        return [self.terms(t) for t in texts]


@lru_cache(maxsize=1)
def analyzer() -> Analyzer:
    return Analyzer()


def terms(text: str) -> list[str]:
    """The BM25 terms of a text."""
    return analyzer().terms(text)


def terms_of(texts: Sequence[str]) -> list[list[str]]:
    """The BM25 terms of each text."""
    return analyzer().terms_of(texts)


OTHER_NAMES: dict[str, str] = {"tory": "Conservative", "tories": "Conservatives",
                               "conservative": "Tory", "conservatives": "Tories", "labor": "Labour"}
"""A British party's other name: the Tories are the Conservatives, and "Labor" is Labour spelt the
American way. A question naming one also searches for the other, and a post quoting "the
Conservatives" gives the Tories' view."""


def with_other_names(text: str) -> str:
    """``text`` followed by the other name of each party it names ("the Tories" -> "... Conservatives")."""
    extra = dict.fromkeys(OTHER_NAMES[w.lower()] for w in _TOKEN.findall(text) if w.lower() in OTHER_NAMES)
    present = set(terms(text))
    missing = [w for w in extra if not set(terms(w)) <= present]
    return f"{text} {' '.join(missing)}" if missing else text


@lru_cache(maxsize=64)
def other_name_stems(stem: str) -> tuple[str, ...]:
    """The stems of a party's other name, for one stem of its name ("tori" -> ("conserv",))."""
    return tuple(dict.fromkeys(t for word, other in OTHER_NAMES.items() if terms(word) == [stem]
                               for t in terms(other) if t != stem))
