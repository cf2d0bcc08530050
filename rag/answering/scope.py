"""Which post a question names: "the UNISON post", "the 2012 post", "the Left Foot Forward article",
"the councillor's post", "the post about the perils of mutuals", "'Mutual Benefit?'".

Each document is scored on the naming words of the question's ``ScopeRef``: against its title,
its site (the URL's host), its date or dateline year, how its author describes themself, and (more
weakly) how often its text uses the words, through BM25. A clear winner restricts the answer to that
post; a tie or weak evidence restricts nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answering.store import AnswerStore
from rag.labels import site_of
from rag.lexical import terms
from rag.question import ScopeRef
from rag.types import DocumentInfo

TITLE_WEIGHT = 3.0
SITE_WEIGHT = 3.0
ROLE_WEIGHT = 2.0
YEAR_WEIGHT = 2.0
UNDATED_WEIGHT = 1.0
"""A post that states no year neither matches nor contradicts a year asked for: half credit when its
other evidence names it, so "the 2010 councillor" names the undated councillor's post over the
posts dated 2010 with no councillor (and "the 2011 post" names no post)."""
TEXT_WEIGHT = 1.0
MIN_SCORE = 0.9
"""A post is named only if its evidence reaches this (a full title match scores 3, a year 2)."""
MIN_MARGIN = 0.35
"""... and beats the runner-up by this much; otherwise the reference is ambiguous."""
TEXT_CANDIDATES = 40

_YEAR = re.compile(r"\b(1[5-9]\d\d|20\d\d)\b")
_AUTHOR_OF = re.compile(r"\b(?P<who>[\w-]+)(?:['’]s\s+(?:post|article|blog|blog post|piece|entry|column)\b|"
                        r"\s+who\s+(?:wrote|writes|posted|blogged))", re.IGNORECASE)
"""Who a reference names as a post's author: "the councillor's post", "the councillor who wrote..."."""


@dataclass(frozen=True, slots=True)
class ScopeMatch:
    """The post a reference resolved to, and the evidence for it."""

    doc_id: str
    score: float
    runner_up: float


def _share(wanted: set[str], have: set[str]) -> float:
    return len(wanted & have) / len(wanted) if wanted else 0.0


def _years(info: DocumentInfo) -> set[str]:
    found = set(_YEAR.findall(info.date or ""))
    found.update(_YEAR.findall(info.head[:200]))
    if info.url:
        found.update(_YEAR.findall(info.url))
    return found


def score_documents(ref: ScopeRef, infos: Sequence[DocumentInfo],
                    text_scores: dict[str, float] | None = None) -> dict[str, float]:
    """Evidence that each document is the one ``ref`` names (pure: BM25 scores come in). A year is
    scored on its own, not as one of the naming words."""
    wanted = {t for t in terms(ref.words) if not _YEAR.fullmatch(t)}
    squashed = re.sub(r"[^a-z0-9]", "", ref.words.lower())
    year = ref.year
    text_scores = text_scores or {}
    top_text = max(text_scores.values(), default=0.0)
    authors = {t for m in _AUTHOR_OF.finditer(ref.phrase) for t in terms(m.group("who"))}
    out: dict[str, float] = {}
    for info in infos:
        score = 0.0
        if info.title:
            title_terms = set(terms(info.title))
            score += TITLE_WEIGHT * _share(wanted, title_terms) * (1.0 if ref.quoted else 0.9)
        site = site_of(info.url)
        if site and squashed and len(squashed) >= 4:
            host = re.sub(r"[^a-z0-9]", "", site.split(".")[0] if site.count(".") <= 1 else site)
            if squashed in host or (host and host in squashed):
                score += SITE_WEIGHT
        if info.author_roles and wanted:
            role_terms = set(terms(" ".join(info.author_roles)))
            # "the Labour and Co-op councillor's post": the post's author, whatever else describes it
            share = 1.0 if authors & role_terms else _share(wanted, role_terms)
            score += ROLE_WEIGHT * share
        if year:
            years = _years(info)
            if year in years:
                score += YEAR_WEIGHT
            elif not years and score > 0:  # the undated post is named only by its other words
                score += UNDATED_WEIGHT
        if top_text > 0 and info.doc_id in text_scores:
            score += TEXT_WEIGHT * text_scores[info.doc_id] / top_text
        out[info.doc_id] = score
    return out


def _ranked(ref: ScopeRef, store: AnswerStore, *, by_text: bool) -> list[tuple[str, float]]:
    """Every post with its evidence of being the one ``ref`` names, best first."""
    infos = store.document_infos()
    text_scores: dict[str, float] = {}
    words = " ".join(w for w in re.findall(r"[\w'’-]+", ref.words) if not _YEAR.fullmatch(w))
    if words.strip() and by_text:
        rows, scores = store.search_lexical(words, TEXT_CANDIDATES)
        for doc, score in zip(store.chunk_doc_ids(rows.tolist()), scores.tolist(), strict=True):
            if doc:
                text_scores[doc] = text_scores.get(doc, 0.0) + float(score)
    scored = score_documents(ref, infos, text_scores)
    titles = [set(terms(info.title)) for info in infos if info.title]
    named = [n for n in _people_named(ref.phrase) if not any(set(terms(n)) <= t for t in titles)]
    if named and not ref.quoted:  # "the article attacking Francis Maude's plan": a post naming him
        naming = set.intersection(*(documents_naming(n, store) for n in named))
        if naming:
            scored = {doc: score if doc in naming else 0.0 for doc, score in scored.items()}
    return sorted(scored.items(), key=lambda kv: -kv[1])


def _people_named(phrase: str) -> list[str]:
    """The full names of people a reference to a post gives ("Francis Maude" in "the article
    attacking Francis Maude's plan"): two or more capitalised words, the first not opening the
    phrase as a title's first word would."""
    found = re.finditer(r"(?<![\w'’])((?:[A-Z][a-z]+\s+)+[A-Z][a-z]+)(?:['’]s)?\b", phrase)
    return [m.group(1) for m in found if m.start() > 0]


def resolve_scope(ref: ScopeRef | None, store: AnswerStore, *, by_text: bool = True) -> ScopeMatch | None:
    """The one post ``ref`` names, or None when no post stands out. ``by_text=False`` accepts only
    what names a post (title, site, year, the author's self-description), not its words."""
    if ref is None or not ref.words.strip():
        return None
    scored = _ranked(ref, store, by_text=by_text)
    if not scored:
        return None
    best_id, best = scored[0]
    runner = scored[1][1] if len(scored) > 1 else 0.0
    if best < MIN_SCORE or best - runner < MIN_MARGIN:
        return None
    return ScopeMatch(best_id, best, runner)


def tied_posts(ref: ScopeRef | None, store: AnswerStore, *, by_text: bool = False) -> list[str]:
    """The posts ``ref`` could name when it names none alone ("the 2010 post", when two posts are
    from 2010): the best, scoring at least ``MIN_SCORE``, and those within ``MIN_MARGIN`` of it;
    else []. ``by_text`` counts the posts' words too ("the UNISON blogger")."""
    if ref is None or not ref.words.strip():
        return []
    scored = _ranked(ref, store, by_text=by_text)
    if not scored or scored[0][1] < MIN_SCORE:
        return []
    tied = [doc for doc, score in scored if score >= MIN_SCORE and scored[0][1] - score < MIN_MARGIN]
    return tied if len(tied) > 1 else []


def close_posts(ref: ScopeRef | None, store: AnswerStore) -> list[str]:
    """The posts a reference names no one of alone ("the UNISON post", when two posts speak of
    UNISON), best first: those within ``MIN_MARGIN`` of the best, counting the posts' words; [] when
    one post stands out or none has any evidence."""
    if ref is None or not ref.words.strip():
        return []
    scored = [(doc, score) for doc, score in _ranked(ref, store, by_text=True) if score > 0]
    close = [doc for doc, score in scored if scored[0][1] - score < MIN_MARGIN]
    return close if len(close) > 1 else []


COLLECTIVE = frozenset({"union", "party", "group", "council", "government", "committee", "branch",
                        "organisation", "organization", "team", "movement", "society", "network"})
"""An author who writes "we as a Union" is a member of it: "the union" in a question names the body."""
ENTITY_CHUNKS = 100
"""Chunks read to tell which posts use a name (more than this many and it is no post's own)."""


def documents_naming(entity: str, store: AnswerStore) -> set[str]:
    """The posts whose text (or title) holds the rarest term of a name."""
    parts = terms(entity)
    if not parts:
        return set()
    idf = store.term_idf(parts)
    rarest = max(parts, key=lambda t: idf.get(t, 0.0))
    rows, _ = store.search_lexical(rarest, ENTITY_CHUNKS)
    return {d for d in store.chunk_doc_ids(rows.tolist()) if d}


def _role_pattern(role: str) -> str:
    """A regular expression for an author's role as a question may spell it: "councillor" also as
    "councilor" (the American spelling, or a typo), a doubled letter written once."""
    words = []
    for word in role.lower().split():
        parts = [re.escape(ch) + ("?" if i and word[i - 1] == ch else "") for i, ch in enumerate(word)]
        words.append("".join(parts))
    return r"\s+".join(words)


def implicit_scope(question: str, entities: Sequence[str], store: AnswerStore) -> ScopeMatch | None:
    """The one post a question is about without naming it as a post: the post whose author describes
    themself as "the councillor" the question speaks of, or the only post that mentions every name the
    question gives ("What conditions did Osborne attach..."). None when no single post stands out."""
    infos = store.document_infos()
    low = question.lower()
    by_role = {i.doc_id for i in infos for role in i.author_roles if role.split()[-1] not in COLLECTIVE
               and re.search(rf"\bthe {_role_pattern(role)}(?:'s|’s)?\b", low)}
    if len(by_role) == 1:
        doc = next(iter(by_role))
        return ScopeMatch(doc, ROLE_WEIGHT, 0.0)
    named = [documents_naming(e, store) for e in entities]
    named = [d for d in named if d]  # a name no post uses restricts nothing (the checks say so)
    if not named:
        return None
    common = set.intersection(*named)
    if len(common) == 1:
        return ScopeMatch(next(iter(common)), 1.0, 0.0)
    return None
