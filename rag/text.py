"""Small text helpers shared by the answerers, the verifier and evaluation."""

from __future__ import annotations

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
