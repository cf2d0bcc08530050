"""Comparisons: the best quotes for each side (a named person or party, or a post), grouped by post,
so that every side is shown; and the best quotes of each post for questions about "the posts"."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from rag.answering.checks import about, speaker_key, voices
from rag.answering.compose import SEVERAL_WORDS, Composer, Unit, compose_fact, compose_several, merge
from rag.answering.evidence import LEXICAL_WEIGHT, Candidate, QueryTerms, score_sentences
from rag.answering.scope import resolve_scope, tied_posts
from rag.answering.store import AnswerStore
from rag.lexical import terms
from rag.question import FRAME_NOUNS, QuestionAnalysis, ScopeRef, lexicon, year_of

if TYPE_CHECKING:
    from rag.embedding import QueryEmbedding

COMPARISON_WORDS = 150
"""Word budget of a comparison of named sides, shared between them: each side's view takes about as
many words as a short stance answer, as several distinct points (not one sentence and its ties)."""
_ASKED_ON = re.compile(r"\b(?:on|about|over|regarding|whether|as to|(?:agree|disagree|accept|think|believe|"
                       r"say|argue|claim|see)\s+that)\s+")
"""Where, after the last side's name, what is compared begins: "How do X and Y differ on whether a
mutual represents all its users?" compares the sides on "whether a mutual represents all its users";
"Do X and Y agree that councils are already co-operative?" on "councils are already co-operative"."""
_COMPARING = lexicon(
    "say said says think thinks thought believe believes argue argues claim claims see sees saw view views "
    "viewed feel feels regard regards consider considers describe describes describing put puts frame "
    "frames framing compare compares compared comparing contrast contrasts contrasted differ differs "
    "differed agree agrees agreed disagree disagrees disagreed")
"""Words that frame a comparison itself ("How do X and Y differ in their view of..."): the sides are
compared on the other words, not on these."""
VOICE_BONUS = 0.1
"""Added to a side's sentence in which the side itself speaks (relevance units)."""
SIDE_CANDIDATES = 6
"""Chunks searched for each side of a comparison, besides the retrieved passages."""
MAX_SIDES_POSTS = 4
"""A comparison across "the posts" quotes at most this many posts."""
POST_MARGIN = 0.2
"""A post is quoted in an answer about "the posts" if its best sentence scores within this of the best..."""
POST_LEXICAL = 0.6
"""... or one of its sentences holds this share of the question's idf weight (it speaks of the topic)."""


def per_post(ranked: Sequence[Candidate], composer: Composer, floor: float) -> list[Unit]:
    """The best quotes of each post that answers (for questions about "the posts")."""
    by_doc: dict[str, list[Candidate]] = {}
    for c in ranked:
        by_doc.setdefault(c.doc_id, []).append(c)
    best = ranked[0].relevance
    docs = [d for d, cs in by_doc.items()
            if cs[0].relevance >= max(floor, best - POST_MARGIN) or max(c.lexical for c in cs) >= POST_LEXICAL
            ][:MAX_SIDES_POSTS]
    share = max(SEVERAL_WORDS // max(len(docs), 1), 30)
    units: list[Unit] = []
    for doc in docs:
        units += compose_fact(composer, by_doc[doc], floor, budget=share)[:1]
    return units


def compare(analysis: QuestionAnalysis, store: AnswerStore, ranked: Sequence[Candidate], composer: Composer,
            query_vector: np.ndarray, query: QueryTerms, floor: float,
            embedded: QueryEmbedding | None = None, searched: str | None = None) -> list[Unit]:
    """The best quotes for each side: each named person, party or post, or each post. Given the
    token embeddings of the ``searched`` text, each side's sentences are ranked by the question's
    tokens outside the sides' names: the whole question's vector favours sentences that merely name
    a side ("As a Councillor I have to confess...") over those on what is compared."""
    sides = [s for s in analysis.sides if terms(s)]
    if len(sides) < 2:
        return per_post(ranked, composer, floor)
    share = max(COMPARISON_WORDS // len(sides), 30)
    side_terms = {t for s in sides for t in terms(s)}
    # the focus and (down-weighted) frame words: not the sides, nor the command ("contrast X with Y")
    asked = set(terms(" ".join((*analysis.focus, *topic_frame(analysis))))) - side_terms
    topic = {t: w for t, w in query.weights.items() if t in asked}
    topic_vector = None
    if embedded is not None and searched is not None and topic:
        # the question's own words: not the other names appended for search ("... Tory")
        own = searched[:len(analysis.text)] if searched.startswith(analysis.text) else searched
        spans = outside(own, sides)
        tail = _ASKED_ON.search(own, spans[-1][0]) if spans and spans[-1][1] == len(own) else None
        if tail is not None and len(own[tail.end():].split()) >= 2:  # "...differ on whether a mutual..."
            spans = [(tail.end(), len(own))]
        topic_vector = embedded.pooled(spans)
    units: list[Unit] = []
    for side in sides:
        side_ref = as_ref(side)
        named_post = names_a_post(side) or side_ref.year
        as_post = resolve_scope(side_ref, store, by_text=False) if named_post else None
        mine: list[Candidate] = []
        if as_post is None and names_a_post(side):  # "the UNISON blogger": whoever wrote the UNISON posts
            mine = [c for doc in tied_posts(side_ref, store, by_text=True)
                    for c in extra_candidates(store, query_vector, query, analysis, side, doc)]
        if as_post is None and not mine:  # "UNISON": sentences about UNISON
            key = (terms(side_ref.words) or terms(side))[-1]
            mine = [c for c in ranked if about(store, c, key)] or [
                c for c in extra_candidates(store, query_vector, query, analysis, side, None)
                if about(store, c, key)]
        if not mine:  # a post's name ("the UNISON post", "the councillor"), not a name the posts use
            as_post = as_post or resolve_scope(side_ref, store)
            if as_post is not None:
                mine = extra_candidates(store, query_vector, query, analysis, side, as_post.doc_id)
        mine = [c for c in by_topic(mine, topic, store, topic_vector)
                if not any(u.doc_id == c.doc_id and u.first <= c.row <= u.last for u in units)]
        if as_post is None:  # a person or body: their own words are their view, more than words of them
            mine = voiced_first(mine, side, store)
        if mine:  # the side's view: its distinct points, and what continues them, within its share
            units += compose_several(composer, mine, -1.0, budget=share, whole_list=False,
                                     ceiling=round(share * 1.1))
    return merge(units) if len({u.doc_id for u in units}) > 1 else units


def voiced_first(candidates: Sequence[Candidate], side: str, store: AnswerStore) -> list[Candidate]:
    """Candidates with ``VOICE_BONUS`` for those in which the side speaks ("He told Radio 4's Today
    programme: ...", "UNISON's General Secretary was forthright in his response; ...") rather than
    is spoken of ("the Tory plans which UNISON slated"), re-ranked."""
    key = speaker_key(side)
    if not key:
        return list(candidates)
    scored = [replace(c, relevance=c.relevance + VOICE_BONUS) if voices(store, c, key) else c
              for c in candidates]
    return sorted(scored, key=lambda c: (-c.relevance, c.row))


def topic_frame(analysis: QuestionAnalysis) -> list[str]:
    """The question's frame words that are part of what is compared: "what they say mutuals offer"
    compares the sides on "offer", and "their worries" on "worries"; "differ", "view" and "idea" frame
    the comparison."""
    return [w for w in analysis.frame if w.lower() not in _COMPARING and w.lower() not in FRAME_NOUNS]


def compared_posts(analysis: QuestionAnalysis, store: AnswerStore) -> list[str]:
    """The posts a comparison with no topic of its own compares ("Compare the 2010 Mutual Benefit post
    with the 2012 perils post."): each side names a post, and the question's other words are the
    sides' own. [] otherwise."""
    sides = [s for s in analysis.sides if terms(s)]
    if len(sides) < 2:
        return []
    side_terms = {t for s in sides for t in terms(s)}
    if any(set(terms(w)) - side_terms for w in analysis.focus):
        return []  # "...approach Labour's co-operative council idea": a topic to compare them on
    posts = []
    for side in sides:
        ref = as_ref(side)
        found = resolve_scope(ref, store, by_text=False) or (resolve_scope(ref, store) if names_a_post(side)
                                                              else None)
        if found is None or found.doc_id in posts:
            return []
        posts.append(found.doc_id)
    return posts


def extra_candidates(store: AnswerStore, query_vector: np.ndarray, query: QueryTerms,
                     analysis: QuestionAnalysis, side: str, doc_id: str | None) -> list[Candidate]:
    """Sentences about one side that retrieval left out, scored like the others."""
    focus = " ".join(analysis.focus)
    rows, _ = store.search_lexical(f"{side} {focus}", SIDE_CANDIDATES)
    sentences = store.sentences_in_chunks(rows.tolist())
    if doc_id is not None:
        sentences = store.sentences_of_document(doc_id)
    scored = score_sentences(sentences, {}, query_vector, analysis, query, store)
    return [c for c in scored if c.sentence.role.quotable]


def by_topic(candidates: Sequence[Candidate], topic: dict[str, float], store: AnswerStore,
             topic_vector: np.ndarray | None = None) -> list[Candidate]:
    """Candidates re-ranked by what a comparison is about, leaving out the names of its sides (every
    sentence of a side names it): cosine (with ``topic_vector`` if given, else with the question)
    plus lexical evidence on the topic's terms only."""
    if not candidates:
        return []
    total = sum(topic.values()) or 1.0
    cosines = ([float(x) for x in store.vectors_of([c.row for c in candidates]) @ topic_vector]
               if topic_vector is not None else [c.cosine for c in candidates])
    scored = [replace(c, relevance=cosine + LEXICAL_WEIGHT
                      * sum(w for t, w in topic.items() if t in c.terms) / total)
              for c, cosine in zip(candidates, cosines, strict=True)]
    return sorted(scored, key=lambda c: (-c.relevance, c.row))


def outside(text: str, names: Sequence[str]) -> list[tuple[int, int]]:
    """The character spans of ``text`` between its mentions of ``names`` (and their possessive):
    in "How does Osborne's idea of who should run mutuals differ from the councillor's?" with the
    sides "Osborne" and "the councillor", the spans of "How does ", " idea of ... differ from " and "?"."""
    cuts = sorted((m.start(), m.end()) for name in names if name.strip()
                  for m in re.finditer(rf"{re.escape(name)}(?:'s|’s|')?", text, flags=re.IGNORECASE))
    spans, at = [], 0
    for start, end in cuts:
        if start > at:
            spans.append((at, start))
        at = max(at, end)
    if at < len(text):
        spans.append((at, len(text)))
    return spans


def names_a_post(side: str) -> bool:
    """A side that refers to a post or its author ("the UNISON post", "the councillor")."""
    return bool(re.search(r"\b(post|article|blog|piece|entry|letter|report|author|writer|blogger|councillor|"
                          r"columnist)s?\b", side, re.IGNORECASE))


def as_ref(side: str) -> ScopeRef:
    """A side named like a post ("the 2012 UNISON post") as a reference to resolve."""
    words = re.sub(r"^(the|this|that)\s+|\s+(post|article|blog|blog post|piece|entry|author|writer|"
                   r"blogger)s?$",
                   "", side.strip(), flags=re.IGNORECASE)
    return ScopeRef(side, words, year_of(words), False)
