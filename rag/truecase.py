"""Truecasing a question typed in lower case: "what did will hutton's commission on ownership end up
recommending?" is read as "What did Will Hutton's Commission on Ownership end up recommending?".

Names, titles and parties carry much of what a question asks, and the question reading finds them by
their capitals; a question typed without them loses them. The case each word takes is read off the
posts themselves, from the sentences BM25 finds for the question: a run of one to three words takes
the form the posts mostly give it away from a sentence's start ("General Secretary", "UNISON",
"Co-operative Councils"), a word the posts mostly write in lower case stays so ("will" the verb, but
"Will Hutton"). This is the n-gram case model of Lita et al., "tRuEcasIng", ACL 2003, estimated from
the retrieved text instead of a training corpus.

A question with capitals of its own is left as typed: its writer chose them.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from rag.question import STOPWORDS
from rag.types import Sentence

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*")
SEARCHED_CHUNKS = 20
"""Chunks (BM25, on the question) whose sentences give the posts' casing."""
MAX_RUN = 3
"""Longest run of words cased as one (a three-word name: "Left Foot Forward")."""
WORD_SHARE = 0.6
"""A run of words takes a capitalised form it has in at least this share of its occurrences."""


class CaseStore(Protocol):
    """What truecasing needs of the index."""

    def search_lexical(self, text: str, n: int) -> tuple[np.ndarray, np.ndarray]: ...

    def sentences_in_chunks(self, chunk_rows: Sequence[int]) -> list[Sentence]: ...


def caseless(text: str) -> bool:
    """Whether a question was typed without capitals, its first letter included (a lone "I" aside):
    "How old are the gravestones?" is written with care, and its lower-case words are meant so."""
    words = _WORD.findall(text)
    return bool(words) and not any(ch.isupper() for w in words if w != "I" for ch in w)


def case_forms(sentences: Sequence[Sentence],
               wanted: set[tuple[str, ...]]) -> dict[tuple[str, ...], Counter[str]]:
    """{run of lower-case words: how often each written form occurs}, for the ``wanted`` runs (of one
    to ``MAX_RUN`` words) within a sentence, leaving out runs that open the sentence (capitalised
    whatever they are)."""
    forms: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    firsts = {run[0] for run in wanted}
    for sentence in sentences:
        words = _WORD.findall(sentence.text)
        lowered = [w.lower() for w in words]
        for i in range(1, len(words)):
            if lowered[i] not in firsts:
                continue
            for n in range(1, MAX_RUN + 1):
                key = tuple(lowered[i:i + n])
                if len(key) < n:
                    break
                if key in wanted:
                    forms[key][" ".join(words[i:i + n])] += 1
    return forms


def truecase(question: str, store: CaseStore) -> str:
    """The question with the posts' capitals put back (see the module's docstring); unchanged when
    the retrieved sentences give no capitalised form for its words."""
    if not caseless(question):
        return question
    matches = list(_WORD.finditer(question))
    lowered = [m.group().lower() for m in matches]
    wanted = {tuple(lowered[i:i + n]) for i in range(len(lowered)) for n in range(1, MAX_RUN + 1)
              if i + n <= len(lowered)}
    rows, _ = store.search_lexical(question, SEARCHED_CHUNKS)
    forms = case_forms(store.sentences_in_chunks([int(r) for r in rows]), wanted)
    out: list[str] = []
    last = 0
    i = 0
    while i < len(matches):
        replaced = False
        for n in range(min(MAX_RUN, len(matches) - i), 0, -1):
            run = matches[i:i + n]
            if n > 1 and any(question[a.end():b.start()] != " " for a, b in itertools.pairwise(run)):
                continue  # a run is words with one space between them, as the posts write a name
            key = tuple(lowered[i:i + n])
            if n == 1 and key[0] in STOPWORDS:
                continue
            seen = forms.get(key)
            if not seen:
                continue
            form, count = seen.most_common(1)[0]
            if form == form.lower() or count / sum(seen.values()) < WORD_SHARE:
                continue
            out.append(question[last:run[0].start()])
            out.append(form)
            last = run[-1].end()
            i += n
            replaced = True
            break
        if not replaced:
            i += 1
    out.append(question[last:])
    return "".join(out)
