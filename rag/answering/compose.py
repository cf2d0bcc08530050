"""Answer composition by answer type: which sentences to quote, and how to group them.

- a fact: the best sentence holding the asked-for type (and a close runner-up if the word budget
  allows);
- a reason, list, stance or definition: several sentences that together answer, each adding a
  distinct point, chosen by maximal marginal relevance (Carbonell & Goldstein, "The Use of MMR,
  Diversity-Based Reranking for Reordering Documents and Producing Summaries", SIGIR 1998) over the
  stored sentence vectors; a list's lead-in comes with all its items, and a sentence with the one
  it leans on; quoted in the order of the post;
- a summary of a post: an extractive summary of that post, by centrality to the post's centroid
  (Radev et al., "Centroid-based summarization of multiple documents", 2004) with MMR and a spread
  over the post's beginning, middle and end;
- a comparison: the best quotes for each side, grouped by post.

Every quote is a contiguous span of whole sentences of one post, with exact offsets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.answering.attribution import quotation_introducers
from rag.answering.evidence import Candidate
from rag.answering.store import AnswerStore
from rag.types import Sentence, SentenceRole

FACT_WORDS = 70
"""Word budget of a fact answer."""
SEVERAL_WORDS = 115
"""Word budget of reason, list, stance, definition, summary and comparison answers."""
LIST_WORDS = 170
"""A list introduced by a lead-in is quoted whole up to this many words (with what comes before it)."""
RUNNER_UP_MARGIN = 0.2
"""A fact answer adds a further sentence only if it scores within this margin of the best."""
TIE_MARGIN = 0.1
"""... and a sentence of another post only if it scores within this margin: a near tie between two
posts is shown rather than decided by a score that cannot tell them apart."""
TITLE_WEIGHT = 0.2
"""How much a sentence's cosine to its post's title adds to its centrality in a summary."""
TOPIC_SENTENCE_BONUS = 0.1
"""How much more a paragraph's first sentence counts in a post's summary (on a 0–1 cosine scale)."""
QUOTED_PENALTY = 0.2
"""How much less a sentence counts in a post's summary when it lies inside a quotation the post
gives (a pledge quoted over four paragraphs): a summary is of the post's own argument."""
MMR_LAMBDA = 0.7
"""Relevance against novelty in maximal marginal relevance (1: relevance only)."""
SEVERAL_MARGIN = 0.22
"""Sentences scoring further than this below the best are not added to several-sentence answers."""
LIST_REACH = 6
"""For reasons and lists, a list whose lead-in is at most this many sentences after the best one spells
out its points and is quoted with it."""
LIST_BONUS = 0.25
"""Preference, in reason and list answers, for the items of a list next to the best sentence."""
NEIGHBOUR_COSINE = 0.3
"""... except the best one's neighbours in its post, which explain or continue it: they need only be
this close to the question in meaning."""
WINDOW = 6
FRAGMENT_WORDS = 6
"""A sentence shorter than this many words is quoted with the one before it."""
CONTINUE_WORDS = 10
"""An opening sentence of a paragraph shorter than this many words is quoted with what follows it..."""
CONTINUE_LIMIT = 70
"""... and so is one that opens a quotation, up to this many words of its paragraph."""
MAX_FORWARD = 2
"""At most this many following sentences are added to close a quotation."""
NEAR_DUPLICATE = 0.9
"""Sentences whose vectors are this similar to one already chosen add nothing."""

_DEPENDENT_START = re.compile(
    r"^[\"“'‘(]*(this|that|these|those|it|its|they|them|their|such|he|she|his|her|however|but|and|"
    r"so|also|yet|indeed|hence|thus|there|here)\b", re.IGNORECASE)


def opens_quotation(text: str) -> bool:
    """True when the text opens a quotation it does not close."""
    return text.count('"') % 2 == 1 or text.count("“") > text.count("”")


def is_fragment(text: str) -> bool:
    """A sentence that leans on the one before it ("This is...", or very short)."""
    return len(text.split()) < FRAGMENT_WORDS or bool(_DEPENDENT_START.match(text.strip()))


@dataclass(frozen=True, slots=True)
class Unit:
    """Consecutive sentences of one post, quoted as one."""

    sentences: tuple[Sentence, ...]
    score: float

    @property
    def doc_id(self) -> str:
        return self.sentences[0].doc_id

    @property
    def first(self) -> int:
        return self.sentences[0].row

    @property
    def last(self) -> int:
        return self.sentences[-1].row

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end

    @property
    def words(self) -> int:
        return sum(s.words for s in self.sentences)

    def rows(self) -> set[int]:
        return {s.row for s in self.sentences}

    def touches(self, other: Unit) -> bool:
        return self.doc_id == other.doc_id and self.first <= other.last + 1 and other.first <= self.last + 1


def _unit(sentences: Sequence[Sentence], score: float) -> Unit:
    ordered = tuple(sorted({s.row: s for s in sentences}.values(), key=lambda s: s.row))
    return Unit(ordered, score)


def runs_of(sentences: Sequence[Sentence], score: float) -> list[Unit]:
    """Sentences of one post as units of consecutive sentences (a quote never skips a sentence)."""
    runs: list[list[Sentence]] = []
    for s in sorted({s.row: s for s in sentences}.values(), key=lambda s: s.row):
        if runs and s.row == runs[-1][-1].row + 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    return [_unit(run, score) for run in runs]


def merge(units: Sequence[Unit]) -> list[Unit]:
    """Overlapping or adjacent units of one post joined, in post order (posts in first-use order)."""
    order: list[str] = []
    for u in units:
        if u.doc_id not in order:
            order.append(u.doc_id)
    out: list[Unit] = []
    for doc in order:
        for u in sorted((u for u in units if u.doc_id == doc), key=lambda u: u.first):
            if out and out[-1].touches(u):
                out[-1] = _unit([*out[-1].sentences, *u.sentences], max(out[-1].score, u.score))
            else:
                out.append(u)
    return out


def words_of(units: Sequence[Unit]) -> int:
    """Words quoted by these units, counting a shared sentence once."""
    seen: dict[tuple[str, int], int] = {}
    for u in units:
        for s in u.sentences:
            seen[(s.doc_id, s.row)] = s.words
    return sum(seen.values())


class Composer:
    """Builds quote units from scored candidates, reading neighbours through the store."""

    def __init__(self, store: AnswerStore, candidates: Sequence[Candidate], *,
                 introduced: bool = True) -> None:
        """``introduced=False`` quotes a sentence introducing a quotation without the quotation (a
        question whose answer is a fact the introduction itself gives: "How many groups backed the
        pledge?")."""
        self.store = store
        self.candidates = candidates
        self.introduced = introduced
        self.by_row = {c.row: c for c in candidates}
        self._windows: dict[int, list[Sentence]] = {}

    # -- reading around a sentence

    def window(self, row: int) -> list[Sentence]:
        if row not in self._windows:
            self._windows[row] = self.store.sentence_window(row, WINDOW, WINDOW + 6)
        return self._windows[row]

    def _neighbour(self, sentence: Sentence, step: int) -> Sentence | None:
        return next((s for s in self.window(sentence.row) if s.row == sentence.row + step), None)

    def list_after(self, lead: Sentence, limit: int = LIST_WORDS) -> list[Sentence]:
        """The items of the list a lead-in introduces: the following list-item sentences (with their
        continuation sentences) while the words stay within ``limit``, or failing that the following
        sentences of the lead-in's line."""
        items: list[Sentence] = []
        words = lead.words
        for s in self.window(lead.row):
            if s.row <= lead.row:
                continue
            if s.role == SentenceRole.LIST_ITEM or (items and s.line == items[-1].line):
                if words + s.words > limit and items:
                    break
                items.append(s)
                words += s.words
            else:
                break
        if not items:
            after = self._neighbour(lead, +1)
            if after is not None and after.role.quotable:
                items.append(after)
        return items

    def continuation(self, sentence: Sentence) -> list[Sentence]:
        """The sentences that carry on a short opening sentence or a quotation it opens: the rest of its
        paragraph, up to ``CONTINUE_LIMIT`` words ("We want to protect frontline services." and what
        the pledge says next)."""
        more: list[Sentence] = []
        words = sentence.words
        for s in self.window(sentence.row):
            if s.row <= sentence.row:
                continue
            if s.line != sentence.line or not s.role.quotable or words + s.words > CONTINUE_LIMIT:
                break
            more.append(s)
            words += s.words
        return more

    def list_heads(self, lead: Sentence) -> list[Sentence]:
        """The first sentence of each item of the list a lead-in introduces: the list, compactly (an
        item's further sentences elaborate on it)."""
        heads: list[Sentence] = []
        for s in self.list_after(lead, limit=10**6):  # every item, however long the whole list
            if not heads or s.line != heads[-1].line:
                heads.append(s)
        return heads

    def lead_in_of(self, item: Sentence) -> Sentence | None:
        """The lead-in sentence of the list an item belongs to."""
        for s in reversed(self.window(item.row)):
            if s.row >= item.row:
                continue
            if s.role == SentenceRole.LEAD_IN:
                return s
            if s.role != SentenceRole.LIST_ITEM:
                return None
        return None

    def expand(self, sentence: Sentence, score: float, *, whole_list: bool) -> Unit:
        """The sentence widened so that it reads on its own (the largest of ``expansions``)."""
        return self.expansions(sentence, score, whole_list=whole_list)[0]

    def _closing_quotation(self, parts: list[Sentence], anchor: Sentence) -> list[Sentence]:
        """``parts`` with the sentences (up to ``MAX_FORWARD``) that close a quotation they open, so
        no quote ends inside someone's words. A quotation that does not close that soon is left out
        when it opens after ``anchor`` (a lead-in's next line opening a long quotation); one the
        anchor itself opens stays, as the anchor is what answers."""
        text = " ".join(s.text for s in parts)
        if not opens_quotation(text):
            return parts
        extra, cur = [], parts[-1]
        for _ in range(MAX_FORWARD):
            nxt = self._neighbour(cur, +1)
            if nxt is None:
                break
            extra.append(nxt)
            text += " " + nxt.text
            cur = nxt
            if not opens_quotation(text):
                return [*parts, *extra]
        kept = list(parts)
        while kept[-1].row > anchor.row and opens_quotation(" ".join(s.text for s in kept)):
            kept.pop()
        return kept if not opens_quotation(" ".join(s.text for s in kept)) else parts

    def expansions(self, sentence: Sentence, score: float, *, whole_list: bool) -> list[Unit]:
        """Ways to quote a sentence so that it reads on its own, largest first: with its whole list
        (a lead-in with all its items, or an item with its lead-in and siblings, when ``whole_list``);
        with the rest of its line (a list item's further sentences, or a lead-in's first item); and
        alone. Each also takes the sentence before when the sentence is a fragment ("This is..."),
        and the sentences that close a quotation it opens."""
        base = [sentence]
        if is_fragment(sentence.text):  # a list item leans only on its own line, not the item before
            before = self._neighbour(sentence, -1)
            if before is not None and before.role.quotable and (
                    sentence.role != SentenceRole.LIST_ITEM or before.line == sentence.line):
                base.insert(0, before)
        base = self._closing_quotation(base, sentence)
        # each way to quote it, with the sentence a quotation it leaves open may end on
        options: list[tuple[list[Sentence], Sentence]] = []
        previous = self._neighbour(sentence, -1)
        opens_paragraph = previous is None or previous.line != sentence.line
        if base[-1].row == sentence.row and (opens_quotation(sentence.text) or (
                sentence.words < CONTINUE_WORDS and opens_paragraph)):
            more = self.continuation(sentence)
            if more:
                options.append(([*base, *more], sentence))
        lead_in = sentence.role == SentenceRole.LEAD_IN or sentence.text.rstrip().endswith((":", ";"))
        first = self.list_after(sentence)[:1] if lead_in and sentence.role != SentenceRole.LIST_ITEM else []
        introduces = bool(first) and self.introduced and first[0].role != SentenceRole.LIST_ITEM \
            and opens_quotation(first[0].text)
        if introduces:
            # 'based upon a "pledge" from 115 local Labour Groups;' says whose words follow, not what
            # they are: the quotation's first paragraph is quoted with it, whether or not it closes there
            paragraph = [*first, *self.continuation(first[0])]
            options.append(([*base, *paragraph], paragraph[-1]))
        elif whole_list:
            lead = sentence if lead_in else (self.lead_in_of(sentence)
                                             if sentence.role == SentenceRole.LIST_ITEM else None)
            if lead is not None and lead.row >= sentence.row - 12:
                options.append(([*base, lead, *self.list_after(lead)], sentence))
        if sentence.role == SentenceRole.LIST_ITEM:  # the whole item: its line
            line = [s for s in self.window(sentence.row) if s.line == sentence.line]
            options.append(([*base, *line], sentence))
        elif first and not introduces:
            options.append(([*base, *first], sentence))
        options.append((base, sentence))
        units: list[Unit] = []
        for parts, anchor in options:
            unit = _unit(self._closing_quotation(parts, anchor), score)
            if not any(u.rows() == unit.rows() for u in units):
                units.append(unit)
        return units


# -- compositions


def _vector_sim(store: AnswerStore, rows: Sequence[int]) -> Callable[[int, int], float]:
    index = {r: i for i, r in enumerate(rows)}
    vectors = store.vectors_of(list(rows)) if rows else np.zeros((0, 1), np.float32)
    sims = vectors @ vectors.T if len(rows) else np.zeros((0, 0), np.float32)

    def sim(a: int, b: int) -> float:
        return float(sims[index[a], index[b]])

    return sim


def compose_fact(composer: Composer, ranked: Sequence[Candidate], floor: float,
                 budget: int = FACT_WORDS) -> list[Unit]:
    """The best sentence, and close runners-up while the word budget allows: from the same post, or
    from another post in a near tie (``TIE_MARGIN``)."""
    if not ranked:
        return []
    best = ranked[0]
    chosen: list[Unit] = [composer.expand(best.sentence, best.relevance, whole_list=False)]
    seen = {" ".join(best.sentence.text.lower().split())}
    for cand in ranked[1:6]:
        if cand.relevance < best.relevance - RUNNER_UP_MARGIN or cand.relevance < floor:
            break
        if cand.doc_id != best.doc_id and cand.relevance < best.relevance - TIE_MARGIN:
            continue  # a second sentence adds to the answer from its post; another post's is noise
        key = " ".join(cand.sentence.text.lower().split())
        if key in seen:
            continue
        unit = composer.expand(cand.sentence, cand.relevance, whole_list=False)
        if any(u.doc_id == unit.doc_id and unit.start < u.end and u.start < unit.end for u in chosen):
            continue
        if words_of([*chosen, unit]) > budget:
            continue
        seen.add(key)
        chosen.append(unit)
    return merge(chosen)


LIST_SUM_RATIO = 1.5
"""A list in a post answers a question asking for several things when the best sentences of two or
more of its items, scored on their own, add up to this many times the best single sentence's score."""


def list_first(ranked: Sequence[Candidate], composer: Composer, floor: float) -> list[Candidate]:
    """``ranked`` with the best item of a list first when the list's items together answer better than
    the best sentence does alone: a question asking for several things ("List the councillor's
    objections...") is answered by the post's list of them, though each item alone names only one
    and scores below a sentence that sums them up. Unchanged otherwise."""
    out = list(ranked)
    if not out or out[0].sentence.role == SentenceRole.LIST_ITEM:
        return out
    lists: dict[int, dict[int, Candidate]] = {}
    for c in out:
        if c.sentence.role != SentenceRole.LIST_ITEM or c.relevance < floor:
            continue
        lead = composer.lead_in_of(c.sentence)
        if lead is not None:  # each item (a line) counts once, by its best sentence
            lists.setdefault(lead.row, {}).setdefault(c.sentence.line, c)
    scored = [(sum(c.relevance for c in items.values()), items) for items in lists.values()
              if len(items) >= 2]
    if not scored:
        return out
    total, items = max(scored, key=lambda pair: pair[0])
    if total < LIST_SUM_RATIO * out[0].relevance:
        return out
    top = max(items.values(), key=lambda c: (c.relevance, -c.row))
    return [top, *(c for c in out if c is not top)]


def compose_several(composer: Composer, ranked: Sequence[Candidate], floor: float, *,
                    budget: int = SEVERAL_WORDS, whole_list: bool = True,
                    around: Sequence[Candidate] = (), list_after: bool = False,
                    ceiling: int = LIST_WORDS, all_items: bool = False) -> list[Unit]:
    """Several sentences that together answer, each adding a distinct point (maximal marginal
    relevance over the stored sentence vectors), starting from the best one. The sentences
    ``around`` the best one in its post (scored, whether retrieved or not) stay eligible further below
    the best score, since they explain or continue it. With ``list_after`` (reasons, lists), a list
    introduced within ``LIST_REACH`` sentences after the best one is quoted with it. A sentence scoring
    within ``TIE_MARGIN`` of the best may run the answer up to ``ceiling`` words: a near tie is not left
    out for its length while shorter, weaker sentences fill the budget. With ``all_items`` (a list
    question), a list too long to quote whole is quoted by each item's first sentence."""
    if not ranked:
        return []
    best = ranked[0]
    options = composer.expansions(best.sentence, best.relevance, whole_list=whole_list)
    anchor = next((u for u in options if u.words <= ceiling), options[-1])
    chosen = [anchor]
    used = anchor.words
    lead = composer.lead_in_of(best.sentence) if best.sentence.role == SentenceRole.LIST_ITEM else (
        best.sentence if best.sentence.role == SentenceRole.LEAD_IN else None)
    if whole_list and lead is not None:  # the list, compactly, when it does not fit whole
        heads = composer.list_heads(lead)
        # asked for the items themselves, and the best sentence heads one: all the items, compactly,
        # rather than the first ones in full ("List the councillor's objections...")
        cut = all_items and best.sentence in heads and not {s.line for s in heads} <= {
            s.line for s in composer.list_after(lead)}
        if options[0].words > LIST_WORDS or cut:
            compact = runs_of([lead, *heads], best.relevance)
            if sum(u.words for u in compact) <= LIST_WORDS:
                chosen, used = compact, sum(u.words for u in compact)
    if list_after:  # a list right after the best sentence spells out its points (reasons, conditions...)
        lead = next((c.sentence for c in sorted(around, key=lambda c: c.row)
                     if anchor.last < c.row <= anchor.last + LIST_REACH and c.doc_id == anchor.doc_id
                     and c.sentence.role == SentenceRole.LEAD_IN), None)
        if lead is not None:  # the whole list, or compactly: each item's first sentence
            for items in (composer.list_after(lead), composer.list_heads(lead)):
                runs = runs_of([lead, *items], best.relevance)
                words = sum(u.words for u in runs)
                if len(items) > 1 and used + words <= max(budget * 1.1, LIST_WORDS * 0.8):
                    chosen += runs
                    used += words
                    break
    if used >= budget:
        return merge(chosen)
    near = {c.row for c in around} | {s.row for s in composer.window(best.row)}
    by_row = {c.row: c for c in ranked[1:60]}
    by_row.update({c.row: c for c in around if c.row not in by_row})
    after = {c.row for c in around if c.row > best.row and c.doc_id == best.doc_id}
    pool = [c for c in by_row.values() if c.row != best.row and (
        (c.relevance >= floor and c.relevance >= best.relevance - SEVERAL_MARGIN)
        or (c.row in near and c.cosine >= NEIGHBOUR_COSINE)
        or (whole_list and c.row in after and c.sentence.role == SentenceRole.LIST_ITEM))]
    pool = [c for c in pool if not (anchor.doc_id == c.doc_id and anchor.first <= c.row <= anchor.last)]
    if not pool:
        return chosen
    rows = list(dict.fromkeys([best.row, *[c.row for c in pool]]))
    sim = _vector_sim(composer.store, rows)
    picked_rows = [best.row]
    span = max(best.relevance - min(c.relevance for c in pool), 1e-6)
    while pool and used < budget:
        def mmr(c: Candidate) -> float:
            relevance = (c.relevance - (best.relevance - span)) / span  # 0..1 within the pool
            redundancy = max(sim(c.row, r) for r in picked_rows)
            bonus = 0.15 if c.row in near and c.doc_id == best.doc_id else 0.0
            listed = c.sentence.role in (SentenceRole.LIST_ITEM, SentenceRole.LEAD_IN)
            if whole_list and c.row in near and listed:
                bonus += LIST_BONUS  # a list right by the best sentence spells out its points
            return MMR_LAMBDA * (relevance + bonus) - (1 - MMR_LAMBDA) * redundancy
        pick = max(pool, key=mmr)
        pool.remove(pick)
        if max(sim(pick.row, r) for r in picked_rows) >= NEAR_DUPLICATE:
            continue
        limit = ceiling if pick.row in near and pick.sentence.role in (
            SentenceRole.LIST_ITEM, SentenceRole.LEAD_IN) else budget * 1.1
        if pick.relevance >= best.relevance - TIE_MARGIN:  # a near tie is not left out for its length
            limit = max(limit, ceiling)
        fitting = [u for u in composer.expansions(pick.sentence, pick.relevance, whole_list=whole_list)
                   if words_of([*chosen, u]) <= limit]
        if not fitting:
            continue
        unit = fitting[0]
        if any(u.doc_id == unit.doc_id and unit.rows() <= u.rows() for u in chosen):
            continue
        grown = words_of([*chosen, unit])
        chosen.append(unit)
        picked_rows.append(pick.row)
        used = grown
        pool = [c for c in pool if not (unit.doc_id == c.doc_id and unit.first <= c.row <= unit.last)]
    return merge(chosen)


def compose_summary(store: AnswerStore, doc_sentences: Sequence[Sentence], budget: int = SEVERAL_WORDS,
                    relevance: dict[int, float] | None = None, *, opening: bool = False) -> list[Unit]:
    """An extractive summary of one post: the sentences most central to it (cosine to the centroid
    of its sentence vectors; Radev et al. 2004) and closest to its title (``TITLE_WEIGHT`` × cosine:
    the title method of Edmundson 1969), a paragraph's first sentence counting
    ``TOPIC_SENTENCE_BONUS`` more (topic sentences lead paragraphs: Edmundson's location method)
    and a sentence inside a quotation of others' words ``QUOTED_PENALTY`` less, chosen by
    maximal marginal relevance while the word budget allows; quoted in post order.
    With ``opening``, the post's first body sentence (its opening claim, the lead baseline of news
    summarisation) comes first. ``relevance`` (sentence row → score) tilts the choice towards what a
    question asks about."""
    body = [s for s in doc_sentences if s.role.quotable and s.words >= FRAGMENT_WORDS]
    if not body:
        return []
    vectors = store.vectors_of([s.row for s in body])
    centroid = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centroid)) or 1.0
    central = vectors @ (centroid / norm)
    title = next((s for s in doc_sentences if s.role == SentenceRole.TITLE), None)
    if title is not None:  # the title method: a title names what its post is about
        central = central + TITLE_WEIGHT * (vectors @ store.vectors_of([title.row])[0])
    leads = [i == 0 or body[i - 1].line != s.line for i, s in enumerate(body)]
    central = central + np.array([TOPIC_SENTENCE_BONUS if lead else 0.0 for lead in leads], np.float32)
    if relevance:
        central = central + np.array([0.5 * relevance.get(s.row, 0.0) for s in body], np.float32)
    quoted = quotation_introducers(doc_sentences)  # inside a quotation the post gives of others' words
    central = central - np.array([QUOTED_PENALTY if s.row in quoted else 0.0 for s in body], np.float32)
    sims = vectors @ vectors.T
    n = len(body)
    picked: list[int] = []
    used = 0
    if opening:  # the claim
        picked, used = [0], body[0].words

    def mmr(i: int) -> float:
        redundancy = max((float(sims[i, j]) for j in picked), default=0.0)
        return MMR_LAMBDA * float(central[i]) - (1 - MMR_LAMBDA) * redundancy

    while used < budget:
        options = [i for i in range(n) if i not in picked and used + body[i].words <= budget * 1.1]
        if not options:
            break
        i = max(options, key=mmr)
        picked.append(i)
        used += body[i].words
    return merge([_unit([body[i]], float(central[i])) for i in sorted(picked)])
