"""Small text helpers shared by the answerers, the verifier and evaluation."""

from __future__ import annotations

import re

QUOTE_MARKS = {"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"',
               "‘": "'", "’": "'", "‚": "'", "‛": "'", "′": "'", "ʼ": "'"}
"""Typographic quotation marks, apostrophes and primes, and the straight mark each stands for."""

_FOLD = str.maketrans(QUOTE_MARKS)


def fold_quotes(text: str) -> str:
    """``text`` with typographic quotation marks and apostrophes made straight, one character for
    one, so offsets into the result are offsets into ``text``."""
    return text.translate(_FOLD)


def fold_whitespace(text: str) -> str:
    """Runs of whitespace as one space, none at either end."""
    return " ".join(text.split())


LINK = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
"""A web address written out in the text."""


def without_links(text: str) -> str:
    """``text`` with its web addresses left out, for what a sentence says: the words of a link's path
    ("…/labour-election-mutualisation-pledge") are not the sentence's words. A text that is only a
    link is kept as it is."""
    if "://" not in text and "www." not in text:
        return text
    stripped = fold_whitespace(LINK.sub(" ", text))
    return stripped or text
