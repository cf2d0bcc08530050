"""Check a generated answer's quotations against the passages, so only verbatim quotes are cited.

A language model is asked to quote the passages exactly and to follow each quotation with
the passage's number, ``“...” [n]``. Models misquote, paraphrase inside quotation marks and
cite the wrong number, so nothing they write is trusted: every quotation is looked up in
the passages, and only what is found becomes a ``Citation`` with exact document offsets.

The rules:

- A quotation is text in “...” or "..." quotation marks. It belongs to the first marker
  (``[n]``, ``[n, m]`` or ``[n][m]``) that follows it in the same sentence.
- It is looked up in the passages its marker names first, then in all the others in rank
  order. Matching is exact except for runs of whitespace and typographic versus straight
  quotation marks and apostrophes; it must start and end on word boundaries. Case and all
  other characters must agree.
- A quotation found elsewhere than where its marker points gets the marker of the passage
  it was found in; one with no marker at all gets a marker inserted after it.
- A quotation found nowhere is never a citation: it is listed in ``unverified`` and marked
  `` [unverified]`` in the text. (A quotation that is just a passage's title, such as a
  post's name, is left alone: it names a post, it does not quote one.)
- A marker with no quotation (a claim citing passage n) is kept only if passage n is cited
  elsewhere in the answer by a verified quotation, and then shares that quotation's
  marker. Otherwise it is dropped: every marker shown must lead to a verbatim quote, and a
  claim in the model's own words cannot be checked.
- Markers naming no passage are dropped.
- Markers are renumbered [1], [2]... by the first use of each cited passage; all the
  quotes from one passage share its marker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.text import fold_quotes
from rag.types import Citation, Passage

UNVERIFIED_MARK = " [unverified]"
"""Appended after a quotation that could not be found in any passage."""

_QUOTATION = re.compile(r"“([^“”]+)”|\"([^\"]+)\"")
_MARKER_RUN = re.compile(r"\[\d+(?:\s*,\s*\d+)*\](?:[ \t]*\[\d+(?:\s*,\s*\d+)*\])*")
_NUMBER = re.compile(r"\d+")
# a sentence ends at . ! ? or … (after any closing quote or bracket) followed by more text, or at a line break
_BOUNDARY = re.compile(r"[.!?…][\"'”’)\]]*\s+\S|\n")


@dataclass(frozen=True, slots=True)
class Verified:
    """The answer text with markers renumbered, its verified citations and its unfound quotations."""

    text: str
    citations: list[Citation]
    unverified: list[str]


@dataclass(slots=True)
class _Quote:
    start: int  # span of the quotation, marks included, in the answer text
    end: int
    content: str
    group: int | None = None  # index of the marker run it belongs to
    hint: list[int] = field(default_factory=list)  # passages named nearby, to search first
    passage: int | None = None  # 1-based passage it was found in
    span: tuple[int, int] | None = None  # offsets in that passage's text
    title: bool = False


@dataclass(slots=True)
class _Group:
    start: int
    end: int
    refs: list[int]  # valid 1-based passage numbers, in order, without repeats
    quotes: list[int] = field(default_factory=list)


def normalise(text: str) -> tuple[str, list[int]]:
    """Whitespace runs folded to one space and quote marks made straight, with each character's
    offset in ``text`` (so a match in the normalised text maps back to exact offsets)."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isspace():
            if out and out[-1] == " ":
                continue
            ch = " "
        out.append(fold_quotes(ch))
        where.append(i)
    return "".join(out), where


def _word_edge(text: str, i: int) -> bool:
    """True if offset ``i`` of ``text`` does not fall between two word characters."""
    return i <= 0 or i >= len(text) or not (text[i - 1].isalnum() and text[i].isalnum())


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Exact ``[start, end)`` offsets of ``quote`` in ``text``, tolerant only of whitespace and
    quote-mark differences, starting and ending on word boundaries; None if it is not there."""
    needle = normalise(quote)[0].strip()
    if not needle:
        return None
    hay, where = normalise(text)
    i = hay.find(needle)
    while i >= 0:
        j = i + len(needle)
        if _word_edge(hay, i) and _word_edge(hay, j):
            return where[i], where[j - 1] + 1
        i = hay.find(needle, i + 1)
    return None


def _masked(text: str, quotes: Sequence[_Quote]) -> str:
    """The text with quotation contents blanked out, so their punctuation ends no sentence."""
    chars = list(text)
    for q in quotes:
        chars[q.start + 1:q.end - 1] = "x" * (q.end - q.start - 2)
    return "".join(chars)


def _parse(text: str, count: int) -> tuple[list[_Quote], list[_Group]]:
    quotes = [_Quote(m.start(), m.end(), m.group(1) or m.group(2)) for m in _QUOTATION.finditer(text)
              if (m.group(1) or m.group(2)).strip()]
    groups: list[_Group] = []
    for m in _MARKER_RUN.finditer(text):
        if any(q.start <= m.start() < q.end for q in quotes):
            continue  # brackets inside a quotation are part of what is quoted
        refs: list[int] = []
        for n in (int(x) for x in _NUMBER.findall(m.group())):
            if 1 <= n <= count and n not in refs:
                refs.append(n)
        groups.append(_Group(m.start(), m.end(), refs))
    masked = _masked(text, quotes)
    for qi, q in enumerate(quotes):
        after = next((gi for gi, g in enumerate(groups) if g.start >= q.end), None)
        if after is not None and not _BOUNDARY.search(masked, q.end, groups[after].start):
            q.group = after
            groups[after].quotes.append(qi)
            continue
        before = [g for g in groups if g.end <= q.start]
        if before and not _BOUNDARY.search(masked, before[-1].end, q.start):
            q.hint = list(before[-1].refs)
    return quotes, groups


def _is_title(content: str, passages: Sequence[Passage]) -> bool:
    key = normalise(content)[0].strip().casefold()
    return any(p.title and normalise(p.title)[0].strip().casefold() == key for p in passages)


def verify_answer(text: str, passages: Sequence[Passage]) -> Verified:
    """Verify a generated answer whose [n] markers refer to ``passages[n - 1]`` (see the module
    docstring for the rules). Citation offsets are document offsets: ``passage.start + offset``."""
    quotes, groups = _parse(text, len(passages))
    for q in quotes:
        named = groups[q.group].refs if q.group is not None else q.hint
        order = list(named) + [n for n in range(1, len(passages) + 1) if n not in named]
        for n in order:
            span = locate(q.content, passages[n - 1].text)
            if span is not None:
                q.passage, q.span = n, span
                break
        else:
            q.title = _is_title(q.content, passages)
    cited = {q.passage for q in quotes if q.passage is not None}

    numbers: dict[int, int] = {}

    def markers(refs: Sequence[int]) -> str:
        for n in refs:
            numbers.setdefault(n, len(numbers) + 1)
        return "".join(f"[{numbers[n]}]" for n in refs)

    events = sorted([(q.start, "q", i) for i, q in enumerate(quotes)]
                    + [(g.start, "g", i) for i, g in enumerate(groups)])
    out: list[str] = []
    pos = 0
    for start, kind, i in events:
        if start < pos:
            continue  # a marker run inside a quotation was already copied with it
        out.append(text[pos:start])
        if kind == "q":
            q = quotes[i]
            out.append(text[q.start:q.end])
            if q.passage is None and not q.title:
                out.append(UNVERIFIED_MARK)
            elif q.passage is not None and q.group is None:
                out.append(" " + markers([q.passage]))
            pos = q.end
        else:
            g = groups[i]
            if g.quotes:
                found = [at for qi in g.quotes if (at := quotes[qi].passage) is not None]
                refs = [n for n in g.refs if n in found] + [n for n in found if n not in g.refs]
                refs = list(dict.fromkeys(refs))
            else:
                refs = [n for n in g.refs if n in cited]
            if refs:
                out.append(markers(refs))
            else:
                out[-1] = out[-1].rstrip(" \t")  # "a claim [9]." -> "a claim."
            pos = g.end
    out.append(text[pos:])

    citations: list[Citation] = []
    seen: set[tuple[int, int, int]] = set()
    for q in quotes:
        if q.passage is None or q.span is None or (q.passage, *q.span) in seen:
            continue
        seen.add((q.passage, *q.span))
        p = passages[q.passage - 1]
        a, b = q.span
        citations.append(Citation(marker=numbers[q.passage], quote=p.text[a:b], doc_id=p.doc_id,
                                  title=p.title, date=p.date, url=p.url, source=p.source,
                                  start=p.start + a, end=p.start + b, score=round(p.score, 4),
                                  label=p.label))
    citations.sort(key=lambda c: c.marker)  # stable: quotes of one passage stay in text order
    unverified = list(dict.fromkeys(q.content.strip() for q in quotes if q.passage is None and not q.title))
    return Verified(text="".join(out), citations=citations, unverified=unverified)
