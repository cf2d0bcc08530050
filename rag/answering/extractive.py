"""The default backend: no language model. It reads what the question asks for (``rag.question``),
finds the sentences of the posts that answer it, and quotes them word for word, composed by the
kind of answer asked for (``rag.answering.compose``); or it says plainly what the posts lack.

Steps: analyse the question; resolve a post it names ("the UNISON post") to restrict the answer to
it; score the sentences of the retrieved passages (``rag.answering.evidence``); check answerability
(names the posts never mention, a topic they never mention, a date or number they never give, weak
evidence); compose the quotes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from rag.answering.answerability import confidence, features
from rag.answering.base import Draft, DraftSection, GenerationRequest, QuoteSpan
from rag.answering.compose import (
    FACT_WORDS,
    SEVERAL_WORDS,
    Composer,
    Unit,
    compose_fact,
    compose_several,
    compose_summary,
    merge,
)
from rag.answering.evidence import (
    LEXICAL_WEIGHT,
    Candidate,
    QueryTerms,
    counts,
    mentioned,
    query_terms,
    score_sentences,
)
from rag.answering.scope import resolve_scope
from rag.answering.store import AnswerStore
from rag.answering.topics import missing_topics
from rag.lexical import terms
from rag.question import QuestionAnalysis, ScopeRef, analyse, year_of
from rag.settings import Settings
from rag.types import AnswerType, DocumentInfo, FactType, Passage, Sentence, SentenceRole

REFUSAL_MESSAGE = "The posts don't seem to answer this question."
"""The lead of a refusal when nothing more specific can be said."""

PARAPHRASE_COSINE = 0.6
"""A question word the posts never use is taken as a paraphrase (not a missing topic) only when the
best sentence is this close to the question in meaning."""
COVER_BACK = 3
"""Sentences before a typed sentence, in its paragraph, that may name the subject it speaks of."""
TYPE_CANDIDATES = 20
"""The asked-for type must be held by one of this many best sentences, about the question's subject."""
SIDE_CANDIDATES = 6
"""Chunks searched for each side of a comparison, besides the retrieved passages."""
MAX_SIDES_POSTS = 4
"""A comparison across "the posts" quotes at most this many posts."""

_TYPE_WORDS: dict[FactType, str] = {
    FactType.DATE: "date", FactType.NUMBER: "figure", FactType.MONEY: "sum of money",
    FactType.PERCENT: "percentage", FactType.PERSON: "name", FactType.PLACE: "place",
    FactType.ORGANISATION: "organisation", FactType.NAME: "name",
}
ATTRIBUTION_WINDOW = 0.25
SPEAKER_GAP = 6
"""A speech verb or quotation counts as someone's when within this many words of their name."""
_PRONOUNS = frozenset({"he", "she", "they", "it"})
"""A named person's view must be in a sentence scoring within this of the best one."""
_SPEECH = re.compile(
    r"\b(said|says|say|told|tells|tell|argued|argues|argue|believes|believed|believe|claimed|claims|announced|"
    r"announces|declared|declares|wrote|writes|warned|warns|insisted|insists|added|adds|stated|states|"
    r"suggested|suggests|called|calls|described|describes|cited|cites|pointed|points|urged|urges|predicted|"
    r"promised|pledged|accepted|admitted|agreed|agrees|backed|backs|supports|supported|opposed|opposes|"
    r"criticised|criticized|welcomed|thinks|thought|feels|felt|proposed|proposes|response|responded|"
    r"replied|according)\b", re.IGNORECASE)
_PRONOUN_START = re.compile(r"^[\"“'‘(]*(he|she|they|it|his|her|their|this|the (shadow )?(minister|"
                            r"chancellor|secretary|councillor|author|writer|leader|government|party|union))\b",
                            re.IGNORECASE)
REFERENCE_BACK = 4
"""A sentence opening with "He", "She" or "The minister" may refer to a name this many sentences back."""


AROUND_BEFORE, AROUND_AFTER = 2, 14
"""Sentences before and after the best one considered for reason, list, stance and definition answers."""
RELEVANCE_FLOOR = 0.35
"""Sentences scoring below this are never quoted (cosine plus lexical evidence; see evidence.py)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether the posts answer the question, and if not, what they lack."""

    answerable: bool
    lead: str = ""
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the answerer found out about a question before composing its answer."""

    analysis: QuestionAnalysis
    query: QueryTerms
    scope_id: str | None
    ranked: list[Candidate]
    verdict: Verdict
    features: dict[str, float]
    confidence: float


def _join(items: Sequence[str]) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


class ExtractiveBackend:
    """Quotes the sentences that answer, composed by answer type; refuses when the posts lack it."""

    name = "extractive"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    def run(self, request: GenerationRequest) -> Iterator[str | Draft]:
        yield self.draft(request)

    # -- the steps

    def draft(self, request: GenerationRequest) -> Draft:
        """The answer to one question (or a refusal saying what the posts lack)."""
        assessment = self.assess(request)
        if isinstance(assessment, Draft):
            return assessment
        if not assessment.verdict.answerable:
            return self._refusal(request.passages, assessment.verdict, assessment.analysis.answer_type,
                                 assessment.scope_id, assessment.confidence)
        return self.compose(request, assessment)

    def assess(self, request: GenerationRequest, *, estimate: bool = True) -> Assessment | Draft:
        """Analyse the question, score the candidate sentences and decide whether the posts answer
        it (a question about a post itself is answered here, as a ``Draft``). ``estimate=False``
        leaves out the learned confidence (for fitting it)."""
        store = request.store
        if store is None or request.query_vector is None:
            raise ValueError("the extractive backend needs the index and the question vector")
        analysis = request.analysis or analyse(request.question)
        query = query_terms(analysis, store, request.query or request.question)
        query = query.without(self._paraphrased(analysis, query))  # no evidence either way
        scope = resolve_scope(analysis.scope, store)
        scope_id = scope.doc_id if scope else None
        if analysis.answer_type == AnswerType.POST:
            return self._post_answer(analysis, store, scope_id, request.passages)
        pool = request.passages + request.more_passages
        sentences, ranks = self._candidates(pool, store, scope_id)
        scored = score_sentences(sentences, ranks, request.query_vector, analysis, query, store)
        ranked = [c for c in scored if c.sentence.role.quotable]
        verdict = self._check(analysis, query, ranked, store, scope_id)
        evidence = features(analysis, query, ranked, store)
        likely = confidence(evidence) if estimate else float("nan")
        if verdict.answerable and analysis.answer_type == AnswerType.FACT \
                and likely < self.settings.refusal_threshold:
            verdict = Verdict(False, REFUSAL_MESSAGE)  # the model is fitted on fact questions only
        return Assessment(analysis, query, scope_id, ranked, verdict, evidence, likely)

    def compose(self, request: GenerationRequest, assessment: Assessment) -> Draft:
        """The quotes that answer, composed by the kind of answer asked for."""
        store = request.store
        assert store is not None
        analysis, query, scope_id, ranked = (assessment.analysis, assessment.query, assessment.scope_id,
                                             assessment.ranked)
        kind = analysis.answer_type
        composer = Composer(store, ranked)
        floor = RELEVANCE_FLOOR
        sectioned = False
        if kind == AnswerType.SUMMARY:
            units = self._summary(analysis, store, ranked, scope_id)
        elif kind == AnswerType.COMPARISON:
            units = self._comparison(analysis, store, ranked, composer, request, query, floor)
            sectioned = True
        elif analysis.all_posts and scope_id is None and kind != AnswerType.FACT:
            units, sectioned = self._per_post(ranked, composer, floor), True
        elif analysis.wants_several:
            around = self._around(request, assessment, ranked[0]) if ranked else []
            units = compose_several(composer, ranked, floor, budget=SEVERAL_WORDS,
                                    whole_list=kind != AnswerType.DEFINITION, around=around,
                                    list_after=kind in (AnswerType.REASON, AnswerType.LIST))
        else:
            units = compose_fact(composer, ranked, floor, budget=FACT_WORDS)
        if not units:
            return self._refusal(request.passages, Verdict(False, REFUSAL_MESSAGE), kind, scope_id,
                                 assessment.confidence)
        lead = assessment.verdict.lead
        if kind == AnswerType.SUMMARY:
            info = _info(store, units[0].doc_id)
            name = (f"{info.label} ({info.date})" if info and info.date
                    else self._label(store, units[0].doc_id))
            lead = lead or f"The main points of {name}, in its own words:"
        return self._found(units, store, kind, lead, assessment.verdict.missing, scope_id,
                           assessment.confidence, sectioned)

    def _around(self, request: GenerationRequest, assessment: Assessment, anchor: Candidate
                ) -> list[Candidate]:
        """The sentences following (and just before) the best one in its post, scored like the others:
        a claim's reasons, a list's items, a view's elaboration usually come right after it."""
        store = request.store
        assert store is not None and request.query_vector is not None
        known = {c.row: c for c in assessment.ranked}
        window = [s for s in store.sentence_window(anchor.row, AROUND_BEFORE, AROUND_AFTER)
                  if s.role.quotable]
        fresh = [s for s in window if s.row not in known]
        scored = {c.row: c for c in score_sentences(fresh, {}, request.query_vector, assessment.analysis,
                                                    assessment.query, store)}
        return [known.get(s.row) or scored[s.row] for s in window if s.row != anchor.row]

    def _candidates(self, pool: Sequence[Passage], store: AnswerStore, scope_id: str | None
                    ) -> tuple[list[Sentence], dict[int, int]]:
        """The sentences of the retrieved passages (and of the whole post the question names), with
        the rank of the best passage holding each."""
        ranks: dict[int, int] = {}
        ranges = store.chunk_sentence_rows([p.row for p in pool])
        for rank, passage in enumerate(pool):
            for r in ranges.get(passage.row, ()):
                ranks.setdefault(r, rank)
        sentences = {s.row: s for s in store.sentences_at(sorted(ranks))}
        if scope_id is not None:
            sentences = {r: s for r, s in sentences.items() if s.doc_id == scope_id}
            for s in store.sentences_of_document(scope_id):
                sentences.setdefault(s.row, s)
        return sorted(sentences.values(), key=lambda s: s.row), ranks

    # -- answerability

    def _check(self, analysis: QuestionAnalysis, query: QueryTerms, ranked: Sequence[Candidate],
               store: AnswerStore, scope_id: str | None) -> Verdict:
        """Refuse when the asked-for information is absent, and say what is missing."""
        if not ranked:
            return Verdict(False, REFUSAL_MESSAGE)
        best = ranked[0]
        summary = analysis.answer_type == AnswerType.SUMMARY
        scope_terms = set(terms(analysis.scope.words)) if analysis.scope else set()
        frame_terms = set(terms(" ".join(analysis.frame)))
        # 1. names the posts never mention
        absent = [e for e in analysis.entities
                  if not (set(terms(e)) <= scope_terms | frame_terms) and not mentioned(e, store, query)]
        if absent:
            return Verdict(False, f"The posts don't mention {_join(absent)}.", tuple(absent))
        # 2. a topic (a noun) or a year the posts never use, unless the best sentence clearly means the same
        covered = {t for e in analysis.entities for t in terms(e)}
        unknown = [w for w in analysis.focus if (stems := terms(w))
                   and all(t in query.unknown for t in stems) and not set(stems) & covered]
        topics, years = missing_topics(analysis.text, unknown)
        if years:
            return Verdict(False, f"The posts don't mention {_join(years)}.", tuple(years))
        if topics and best.cosine < PARAPHRASE_COSINE and not summary:
            return Verdict(False, f"The posts don't mention {_join(topics)}.", tuple(topics))
        # 3. the asked-for fact (a date, a number, a person's name...) in a sentence about the subject
        wanted = analysis.fact_type
        if analysis.answer_type == AnswerType.FACT and wanted is not None and analysis.strict_type:
            subject = self._subject_terms(analysis, query, store)
            typed = [c for c in ranked[:TYPE_CANDIDATES] if c.typed and self._covers(store, c, subject)]
            if analysis.count_noun and wanted == FactType.NUMBER:
                typed = [c for c in typed if counts(c.sentence, analysis.count_noun)
                         or not set(terms(analysis.count_noun)) & c.terms]
            if not typed:
                named = self._subject(analysis, store, query)
                what = _TYPE_WORDS.get(wanted, "answer")
                lead = (f"The posts mention {named}, but give no {what} for it." if named
                        else f"The posts give no {what} for this.")
                return Verdict(False, lead, (what,))
        # 4. what a named person said: a sentence where they (or "he", "she" just after) say something
        if analysis.holder and not summary and not self._attributed(store, ranked, best, analysis.holder):
            holder = analysis.holder
            if mentioned(holder, store, query):
                lead = f"The posts mention {holder}, but give no view of theirs on this."
                return Verdict(False, lead, (f"{holder}'s view",))
        # 5. weak evidence (a summary of a named post needs none)
        if best.relevance < RELEVANCE_FLOOR and not (summary and scope_id):
            return Verdict(False, REFUSAL_MESSAGE)
        return Verdict(True)

    def _attributed(self, store: AnswerStore, ranked: Sequence[Candidate], best: Candidate,
                    holder: str) -> bool:
        """Whether a relevant sentence gives the holder's words or view: the holder (or "he", "she",
        "they" for them) speaks in it ("Osborne cited...", "He told...: “...”", "said Jowell")."""
        key = terms(holder)[-1:] or [""]
        for cand in ranked[:12]:
            if cand.relevance < best.relevance - ATTRIBUTION_WINDOW:
                break
            if self._about(store, cand, key[0]) and _speaks(cand.sentence.text, key[0]):
                return True
        return False

    @staticmethod
    def _paraphrased(analysis: QuestionAnalysis, query: QueryTerms) -> set[str]:
        """Question terms the posts never use that read as paraphrases (verbs, adverbs: "nicknamed"),
        not missing topics: they are no evidence either way."""
        words = [w for w in analysis.focus + analysis.frame if (stems := terms(w))
                 and all(t in query.unknown for t in stems)]
        topics, years = missing_topics(analysis.text, words)
        return {t for w in words if w not in topics and w not in years for t in terms(w)}

    @staticmethod
    def _subject_terms(analysis: QuestionAnalysis, query: QueryTerms, store: AnswerStore) -> set[str]:
        """The terms naming what the question is about: the rarest word of the first name it gives that
        the posts mention, else its rarest known content words (at most two)."""
        entity = next((e for e in analysis.entities if mentioned(e, store, query)), None)
        if entity:  # its most specific word: "Reddish" in "the Reddish Vale Co-Operative Trust"
            idf = store.term_idf(terms(entity))
            return {max(idf, key=lambda t: idf[t])} if idf else set()
        focus = [query.corrected.get(t, t) for w in analysis.focus for t in terms(w)]
        known = sorted({t for t in focus if t not in query.unknown}, key=lambda t: -query.weights.get(t, 0.0))
        return set(known[:2])

    @staticmethod
    def _covers(store: AnswerStore, cand: Candidate, subject: set[str]) -> bool:
        """Whether a sentence is about the subject: it names it, or one of the sentences just before
        it in its paragraph does ("He was crowned in 1130" after "Roger II...")."""
        if not subject or subject & cand.terms:
            return True
        before = [s for s in store.sentence_window(cand.row, COVER_BACK, 0)
                  if s.row < cand.row and s.line == cand.sentence.line]
        return any(subject & set(terms(s.text)) for s in before)

    @staticmethod
    def _subject(analysis: QuestionAnalysis, store: AnswerStore, query: QueryTerms) -> str:
        """The name the question asks about, as the question writes it ("the Commission on Ownership"),
        when the posts mention it; else ""."""
        for entity in analysis.entities:
            if mentioned(entity, store, query):
                article = re.search(rf"\bthe\s+{re.escape(entity)}", analysis.text, re.IGNORECASE)
                return f"the {entity}" if article else entity
        return ""

    # -- compositions that need the store

    def _summary(self, analysis: QuestionAnalysis, store: AnswerStore, ranked: Sequence[Candidate],
                 scope_id: str | None) -> list[Unit]:
        doc_id = scope_id or (ranked[0].doc_id if ranked else None)
        if doc_id is None:
            return []
        focus = {c.row: c.relevance for c in ranked if c.doc_id == doc_id} if analysis.focus else None
        return compose_summary(store, store.sentences_of_document(doc_id), SEVERAL_WORDS, focus)

    def _per_post(self, ranked: Sequence[Candidate], composer: Composer, floor: float) -> list[Unit]:
        """The best quotes of each post that answers (for questions about "the posts")."""
        by_doc: dict[str, list[Candidate]] = {}
        for c in ranked:
            by_doc.setdefault(c.doc_id, []).append(c)
        best = ranked[0].relevance
        docs = [d for d, cs in by_doc.items() if cs[0].relevance >= max(floor, best - 0.2)][:MAX_SIDES_POSTS]
        share = max(SEVERAL_WORDS // max(len(docs), 1), 30)
        units: list[Unit] = []
        for doc in docs:
            units += compose_fact(composer, by_doc[doc], floor, budget=share)[:1]
        return units

    def _comparison(self, analysis: QuestionAnalysis, store: AnswerStore, ranked: Sequence[Candidate],
                    composer: Composer, request: GenerationRequest, query: QueryTerms,
                    floor: float) -> list[Unit]:
        """The best quotes for each side: each named person, party or post, or each post."""
        sides = [s for s in analysis.sides if terms(s)]
        if len(sides) < 2:
            return self._per_post(ranked, composer, floor)
        share = max(SEVERAL_WORDS // len(sides), 30)
        side_terms = {t for s in sides for t in terms(s)}
        topic = {t: w for t, w in query.weights.items() if t not in side_terms}
        units: list[Unit] = []
        for side in sides:
            side_ref = _as_ref(side)
            named_post = _names_a_post(side) or side_ref.year
            as_post = resolve_scope(side_ref, store, by_text=False) if named_post else None
            mine: list[Candidate] = []
            if as_post is None:
                key = terms(side)[-1]
                mine = [c for c in ranked if self._about(store, c, key)] or [
                    c for c in self._extra(store, request, query, analysis, side, None)
                    if self._about(store, c, key)]
            if not mine:  # a post's name ("the UNISON post", "the councillor"), not a name the posts use
                as_post = as_post or resolve_scope(side_ref, store)
                if as_post is not None:
                    mine = self._extra(store, request, query, analysis, side, as_post.doc_id)
            mine = [c for c in _by_topic(mine, topic)
                    if not any(u.doc_id == c.doc_id and u.first <= c.row <= u.last for u in units)]
            if mine:
                units += compose_fact(composer, mine, -1.0, budget=share)
        return merge(units) if len({u.doc_id for u in units}) > 1 else units

    @staticmethod
    def _about(store: AnswerStore, cand: Candidate, key: str) -> bool:
        """Whether a sentence is about a side: names it, or continues a sentence that does ("He said...")."""
        if key in cand.terms:
            return True
        if not _PRONOUN_START.match(cand.sentence.text):
            return False
        before = [s for s in store.sentence_window(cand.row, REFERENCE_BACK, 0) if s.row < cand.row]
        return any(key in terms(s.text) for s in before)

    def _extra(self, store: AnswerStore, request: GenerationRequest, query: QueryTerms,
               analysis: QuestionAnalysis, side: str, doc_id: str | None) -> list[Candidate]:
        """Sentences about one side that retrieval left out, scored like the others."""
        focus = " ".join(analysis.focus)
        rows, _ = store.search_lexical(f"{side} {focus}", SIDE_CANDIDATES)
        sentences = store.sentences_in_chunks(rows.tolist())
        if doc_id is not None:
            sentences = store.sentences_of_document(doc_id)
        assert request.query_vector is not None
        scored = score_sentences(sentences, {}, request.query_vector, analysis, query, store)
        return [c for c in scored if c.sentence.role.quotable]

    # -- questions about a post itself

    def _post_answer(self, analysis: QuestionAnalysis, store: AnswerStore, scope_id: str | None,
                     passages: Sequence[Passage]) -> Draft:
        """When a post was published, its title, its author or site: from the post's own lines."""
        attribute = analysis.post_attribute or "date"
        if scope_id is None and analysis.focus:  # "What news prompted the councillor to write?"
            ref = ScopeRef(analysis.text, " ".join(analysis.focus), year_of(analysis.text))
            match = resolve_scope(ref, store)
            scope_id = match.doc_id if match else None
        if scope_id is None:
            lead = (f"No post matches “{analysis.scope.words}”." if analysis.scope
                    else "Which post do you mean? Name it by its title, site or date.")
            return self._refusal(passages, Verdict(False, lead, ("post",)), AnswerType.POST, None, 0.0)
        info = next(i for i in store.document_infos() if i.doc_id == scope_id)
        sentences = store.sentences_of_document(scope_id)
        if attribute == "occasion":  # what prompted the post: how it opens
            opening = [s for s in sentences if s.role.quotable][:2]
            if opening:
                lead = f"{info.label} opens:"
                return self._found([Unit(tuple(opening), 1.0)], store, AnswerType.POST, lead, (), scope_id,
                                   1.0, False)
        role = {"date": SentenceRole.DATELINE, "author": SentenceRole.BYLINE, "title": SentenceRole.TITLE,
                "site": SentenceRole.BOILERPLATE}[attribute]
        lines = [s for s in sentences if s.role == role]
        if attribute == "site":
            lines = [s for s in lines if re.search(r"\b(appeared|published|posted)\b", s.text, re.I)] or [
                s for s in sentences if s.role == SentenceRole.URL]
        if lines:
            unit = Unit((lines[0],), 1.0)
            lead = {"date": f"{info.label} is dated:", "author": f"{info.label} names its author:",
                    "title": "The post's title:", "site": f"Where {info.label} appeared:"}[attribute]
            return self._found([unit], store, AnswerType.POST, lead, (), scope_id, 1.0, False)
        value = {"date": info.date, "title": info.title, "site": info.url, "author": None}[attribute]
        if value:
            lead = {"date": f"{info.label} is dated {value} in its metadata; its text states no date.",
                    "title": f"The post's title is “{value}” (from its metadata).",
                    "site": f"{info.label} comes from {value}.", "author": ""}[attribute]
            return Draft(text=lead, found=True, spans=(), lead=lead, sections=(), kind=AnswerType.POST.value,
                         scope=scope_id, confidence=1.0)
        what = {"date": "when it was published", "author": "who wrote it", "title": "its title",
                "site": "where it appeared"}[attribute]
        lead = f"{info.label} doesn't say {what}."
        return self._refusal(passages, Verdict(False, lead, (what,)), AnswerType.POST, scope_id, 0.0)

    # -- drafts

    @staticmethod
    def _label(store: AnswerStore, doc_id: str) -> str:
        info = _info(store, doc_id)
        return info.label if info else "the post"

    def _found(self, units: Sequence[Unit], store: AnswerStore, kind: AnswerType, lead: str,
               missing: tuple[str, ...], scope_id: str | None, confidence: float, sectioned: bool) -> Draft:
        spans = tuple(QuoteSpan(u.doc_id, u.start, u.end, u.score) for u in units)
        docs = list(dict.fromkeys(u.doc_id for u in units))
        if sectioned or len(docs) > 1:
            sections = []
            for doc in docs:
                info = _info(store, doc)
                sections.append(DraftSection(tuple(i for i, u in enumerate(units) if u.doc_id == doc),
                                             heading=info.label if info else None, doc_id=doc,
                                             date=info.date if info else None))
            section_tuple = tuple(sections)
        else:
            section_tuple = (DraftSection(tuple(range(len(units)))),)
        return Draft(text="", found=True, spans=spans, lead=lead, sections=section_tuple, kind=kind.value,
                     missing=missing, scope=scope_id, confidence=confidence)

    @staticmethod
    def _refusal(passages: Sequence[Passage], verdict: Verdict, kind: AnswerType, scope_id: str | None,
                 confidence: float) -> Draft:
        lead = verdict.lead or REFUSAL_MESSAGE
        return Draft(text=refusal_text(lead, passages), found=False, spans=(), lead=lead, sections=(),
                     kind=kind.value, missing=verdict.missing, scope=scope_id, confidence=confidence)


def refusal_text(lead: str, passages: Sequence[Passage]) -> str:
    """The honest "not found" answer as text: what is missing, and the closest passages' posts."""
    lines = [lead]
    labels = list(dict.fromkeys(p.label for p in passages))
    if labels:
        lines.append("The closest passages come from:")
        lines += [f"- {label}" for label in labels]
    return "\n".join(lines)


def refusal_draft(passages: tuple[Passage, ...]) -> Draft:
    """The generic refusal (for callers with nothing more specific to say)."""
    return Draft(text=refusal_text(REFUSAL_MESSAGE, passages), found=False, spans=(), lead=REFUSAL_MESSAGE,
                 sections=())


def _info(store: AnswerStore, doc_id: str) -> DocumentInfo | None:
    return next((i for i in store.document_infos() if i.doc_id == doc_id), None)


def _by_topic(candidates: Sequence[Candidate], topic: dict[str, float]) -> list[Candidate]:
    """Candidates re-ranked by what a comparison is about, leaving out the names of its sides (every
    sentence of a side names it): cosine plus lexical evidence on the topic's terms only."""
    total = sum(topic.values()) or 1.0
    scored = [replace(c, relevance=c.cosine + LEXICAL_WEIGHT
                      * sum(w for t, w in topic.items() if t in c.terms) / total) for c in candidates]
    return sorted(scored, key=lambda c: (-c.relevance, c.row))


def _speaks(text: str, key: str) -> bool:
    """Whether the person whose name stems to ``key`` (or a pronoun) is the speaker of a speech or
    opinion verb, or of a quotation, in ``text``: within a few words of it."""
    words = re.findall(r"[\w'’]+|[\"“”:;]", text)
    stems = [terms(w) for w in words]
    for i, st in enumerate(stems):
        speaker = key in st or (words[i].lower() in _PRONOUNS and i < 3)
        if not speaker:
            continue
        before, after = words[max(0, i - SPEAKER_GAP):i], words[i + 1:i + 1 + SPEAKER_GAP]
        if any(_SPEECH.fullmatch(w) for w in before + after) or any(w in "\"“:" for w in after):
            return True
    return False


def _names_a_post(side: str) -> bool:
    """A side that refers to a post or its author ("the UNISON post", "the councillor")."""
    return bool(re.search(r"\b(post|article|blog|piece|entry|letter|report|author|writer|blogger|councillor|"
                          r"columnist)s?\b", side, re.IGNORECASE))


def _as_ref(side: str) -> ScopeRef:
    words = re.sub(r"^(the|this|that)\s+|\s+(post|article|blog|blog post|piece|entry|author|writer|"
                   r"blogger)s?$",
                   "", side.strip(), flags=re.IGNORECASE)
    return ScopeRef(side, words, year_of(words), False)
