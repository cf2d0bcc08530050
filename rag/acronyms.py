"""Acronyms in a question that the posts never use but spell out: "When did the Conservatives abolish
the CDA?" over posts that say "the Co-operative Development Agency".

An all-capital word of two to six letters that is not in the index's vocabulary is looked for among
the sentences that BM25 finds for the rest of the question: a run of capitalised words (with "of",
"for", "and", "the", "on" between them) whose initials spell it is its expansion. The question is then
read with the expansion in place of the acronym, so retrieval, the name checks and the refusals all
see the posts' own name. Acronym definitions are usually found
this way from the text itself (Schwartz & Hearst, "A simple algorithm for identifying abbreviation
definitions in biomedical text", PSB 2003).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from rag.lexical import terms, with_other_names
from rag.types import Sentence

_ACRONYM = re.compile(r"\b[A-Z]{2,6}s?\b")
_INNER = frozenset({"of", "for", "and", "the", "on", "in", "to"})
_CAPITALISED = re.compile(r"[A-Z][\w'’]*(?:-[\w'’]+)*")
SEARCHED_CHUNKS = 20
"""Chunks (BM25, on the rest of the question) searched for an acronym's expansion."""


class AcronymStore(Protocol):
    """What spelling out needs of the index."""

    def vocabulary(self) -> Mapping[str, int]: ...

    def search_lexical(self, text: str, n: int) -> tuple[np.ndarray, np.ndarray]: ...

    def sentences_in_chunks(self, chunk_rows: Sequence[int]) -> list[Sentence]: ...


def expansion_in(text: str, acronym: str) -> str | None:
    """The first run of capitalised words in ``text`` whose initials spell ``acronym``
    ("Co-operative Development Agency" for "CDA"), or None."""
    letters = acronym.rstrip("s").upper()
    words = re.findall(r"[\w'’-]+", text)
    for i, word in enumerate(words):
        if not _CAPITALISED.fullmatch(word) or word[0] != letters[0]:
            continue
        run: list[str] = []
        initials = ""
        for w in words[i:]:
            if _CAPITALISED.fullmatch(w) and not w.isupper():
                run.append(w)
                initials += w[0]
            elif w.lower() in _INNER and run:
                run.append(w)
            else:
                break
            if initials == letters:
                return " ".join(run)
            if not letters.startswith(initials):
                break
    return None


def spell_out(question: str, store: AcronymStore) -> str:
    """The question with each acronym the posts spell out but never use replaced by its expansion;
    the question unchanged otherwise."""
    vocabulary = store.vocabulary()
    acronyms = [a for a in dict.fromkeys(_ACRONYM.findall(question))
                if not all(t in vocabulary for t in terms(a))]
    if not acronyms:
        return question
    rest = with_other_names(_ACRONYM.sub(" ", question))  # "the Conservatives" also finds "the Tories"
    rows, _ = store.search_lexical(rest, SEARCHED_CHUNKS)
    sentences = store.sentences_in_chunks([int(r) for r in rows])
    for acronym in acronyms:
        found = next((e for s in sentences if (e := expansion_in(s.text, acronym))), None)
        if found:
            question = re.sub(rf"\b{re.escape(acronym)}\b", found, question)
    return question
