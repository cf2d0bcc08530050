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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np

from rag.answering.answerability import confidence, features
from rag.answering.attribution import (
    REFERENCE_BACK,
    in_first_person,
    names_person_by_name,
    speaks,
    speech_cues,
)
from rag.answering.base import Draft, DraftSection, GenerationRequest, QuoteSpan
from rag.answering.checks import REFUSAL_MESSAGE, RELEVANCE_FLOOR, Verdict, check, join_words, paraphrased
from rag.answering.comparison import COMPARISON_WORDS, compare, compared_posts, per_post
from rag.answering.compose import (
    FACT_WORDS,
    FRAGMENT_WORDS,
    SEVERAL_WORDS,
    Composer,
    Unit,
    compose_fact,
    compose_several,
    compose_summary,
    list_first,
    merge,
    words_of,
)
from rag.answering.evidence import (
    Candidate,
    QueryTerms,
    SoughtSide,
    exception_sought,
    holder_words,
    query_terms,
    quotation_introducers_in,
    score_sentences,
)
from rag.answering.post_questions import PostAnswer, answer_about_post, answer_about_posts
from rag.answering.scope import close_posts, implicit_scope, resolve_scope
from rag.answering.store import AnswerStore
from rag.lexical import terms
from rag.question import QuestionAnalysis, analyse, question_parts, read_after
from rag.settings import Settings
from rag.text import fold_whitespace
from rag.types import AnswerType, DocumentInfo, FactType, Passage, Sentence, Turn

__all__ = ["REFUSAL_MESSAGE", "Assessment", "ExtractiveBackend", "Verdict", "refusal_draft", "refusal_text"]

DEFINITION_WORDS = 100
"""Word budget of a definition: the sentence that defines, and what explains it further."""
LIST_KINDS = (AnswerType.LIST, AnswerType.REASON)
"""Answer types a list in a post can answer as a whole (see ``list_first``)."""
SUMMARY_WORDS = 135
"""Word budget of a post's summary: a fifth or so of a blog post, room for one more point than a
reason or a view takes (115 words quoted 0.385 of the eval set's summary points, 135 words 0.459,
150 words no more)."""
MAX_SUMMARISED_POSTS = 8
"""A summary of "the posts" quotes the opening claim of at most this many posts."""
PREFER_MARGIN = 0.15
"""A question about one post without naming it as a post ("the councillor", a name only one post uses)
reads all of that post; the other posts' sentences count this much less."""
AROUND_BEFORE, AROUND_AFTER = 2, 14
"""Sentences before and after the best one considered for reason, list, stance and definition answers."""
REPEAT_MARGIN = 0.1
"""A follow-up's sentences that the last answer quoted score this much lower: the follow-up asks
something new, so a close runner-up the reader has not seen yet answers it better."""


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


class ExtractiveBackend:
    """Quotes the sentences that answer, composed by answer type; refuses when the posts lack it."""

    name = "extractive"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    def run(self, request: GenerationRequest) -> Iterator[str | Draft]:
        yield self.draft(request)

    # -- the steps

    def draft(self, request: GenerationRequest) -> Draft:
        """The answer to one question (or a refusal saying what the posts lack). A compound question
        ("Who chairs it and when will it report?") is answered part by part, over the same passages,
        and a part the posts do not answer is named in the lead; when neither part is answered, the
        question is refused with what each part lacks."""
        analysis = request.analysis or analyse(request.question)
        # split as read, with the capitals the posts give its names ("will hutton's commission...")
        parts = question_parts(analysis.text if request.analysis else request.question)
        if len(parts) == 2 and analysis.answer_type != AnswerType.COMPARISON and not analysis.follow_up:
            first = self._draft_one(replace(request, question=parts[0], analysis=analyse(parts[0]),
                                            query=parts[0], query_vector=_part(request, 0)))
            query, second_analysis = read_after(parts[1], parts[0])
            posts = {span.doc_id for span in first.spans or ()}
            # "...and where was it reported?": "it" is what the first answer's post is about
            prefer = posts.pop() if second_analysis.follow_up and len(posts) == 1 else None
            second = self._draft_one(replace(request, question=parts[1], analysis=second_analysis,
                                             query=query, query_vector=_part(request, 1)),
                                     prefer=prefer)
            if first.found or second.found:
                return _joined(first, second, parts)
            # neither part is answered: each says what the posts lack
            lead = " ".join(f"On “{part}”: {d.lead}" for part, d in zip(parts, (first, second), strict=True))
            verdict = Verdict(False, lead, tuple(dict.fromkeys(first.missing + second.missing)))
            return self._refusal(request.passages, verdict, analysis.answer_type, first.scope,
                                 min(first.confidence or 0.0, second.confidence or 0.0))
        return self._draft_one(request)

    def _draft_one(self, request: GenerationRequest, prefer: str | None = None) -> Draft:
        assessment = self.assess(request, prefer=prefer)
        if isinstance(assessment, Draft):
            return assessment
        if not assessment.verdict.answerable:
            return self._refusal(request.passages, assessment.verdict, assessment.analysis.answer_type,
                                 assessment.scope_id, assessment.confidence)
        return self.compose(request, assessment)

    def assess(self, request: GenerationRequest, *, estimate: bool = True,
               prefer: str | None = None) -> Assessment | Draft:
        """Analyse the question, score the candidate sentences and decide whether the posts answer
        it (a question about a post itself is answered here, as a ``Draft``). ``estimate=False``
        leaves out the learned confidence (for fitting it); ``prefer`` names a post whose sentences
        lead, as for a question about one post that does not name it as a post."""
        store = request.store
        if store is None or request.query_vector is None:
            raise ValueError("the extractive backend needs the index and the question vector")
        analysis = request.analysis or analyse(request.question)
        query = query_terms(analysis, store, request.query or request.question)
        query = query.without(paraphrased(analysis, query))  # no evidence either way
        scope = resolve_scope(analysis.scope, store)
        scope_id = scope.doc_id if scope else None
        preferred = prefer if scope is None else None
        if preferred is None and scope is None and not analysis.all_posts and analysis.answer_type not in (
                AnswerType.COMPARISON, AnswerType.POST):
            implicit = implicit_scope(analysis.text, analysis.entities, store)
            asked = _previous_question(request.history) if analysis.follow_up else ""
            if implicit is None and asked:  # "What else worries him?" after "...the councillor..."
                implicit = implicit_scope(asked, analysis.entities, store)
            preferred = implicit.doc_id if implicit else None
        if analysis.answer_type == AnswerType.POST and analysis.all_posts and scope_id is None:
            return self._about_post(answer_about_posts(analysis, store), store, request.passages)
        if analysis.answer_type == AnswerType.POST:
            answer = answer_about_post(analysis, store, scope_id)
            if answer.scope_id is not None or analysis.scope is not None:
                return self._about_post(answer, store, request.passages)
            analysis = replace(analysis, answer_type=AnswerType.FACT)  # "Who wrote about the plague?": a fact
        pool = request.passages + request.more_passages
        sentences, ranks = self._candidates(pool, store, scope_id or preferred)
        if preferred is not None:  # the other posts' sentences stay, a step behind
            sentences = sorted({s.row: s for s in [*sentences, *self._pool_sentences(pool, store)]}.values(),
                               key=lambda s: s.row)
        scored = score_sentences(sentences, ranks, request.query_vector, analysis, query, store)
        if preferred is not None:
            scored = _demoted(scored, lambda c: c.doc_id != preferred, PREFER_MARGIN)
        if analysis.wants_more:  # "What else?", "Tell me more": what no answer so far has quoted
            said = _said(request.history)
            last = _previous_answer(request.history)
            sources = {c.doc_id for c in scored if last and _quoted_in(c.sentence.text, last)}
            scored = [c for c in scored if not _quoted_in(c.sentence.text, said)]
            if len(sources) == 1 and preferred is None and scope_id is None:  # more from the same post
                scored = _demoted(scored, lambda c: c.doc_id not in sources, PREFER_MARGIN)
        evidenced = scored  # what the confidence model weighs: a repeat's demotion is no evidence
        if not analysis.wants_more and analysis.follow_up and (last := _previous_answer(request.history)):
            # "And what will it investigate?" asks something new
            scored = _demoted(scored, lambda c: _quoted_in(c.sentence.text, last), REPEAT_MARGIN)
        if analysis.follow_up and _WHO_SAID.match(analysis.text):  # "Who said that?"
            speaker = self._speaker_of_last_answer(request, scored, store)
            if isinstance(speaker, Draft):
                return speaker
            if speaker is not None:
                top = max((c.relevance for c in scored), default=0.0)
                scored = [replace(speaker, relevance=top + 1.0), *(c for c in scored if c.row != speaker.row)]
        ranked = [c for c in scored if c.sentence.role.quotable]
        verdict = check(analysis, query, ranked, store, scope_id)
        evidence = features(analysis, query, [c for c in evidenced if c.sentence.role.quotable], store)
        likely = confidence(evidence) if estimate else float("nan")
        if verdict.answerable and analysis.answer_type == AnswerType.FACT and not analysis.wants_more \
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
        # a typed fact ("How many groups backed the pledge?") is in a quotation's introduction itself
        introduced = not (kind == AnswerType.FACT and analysis.fact_type not in (None, FactType.OTHER))
        composer = Composer(store, ranked, introduced=introduced)
        floor = RELEVANCE_FLOOR
        # "What else?": nothing an earlier answer quoted, not even as the context of a new quote
        said = _said(request.history) if analysis.wants_more else ""
        sectioned = False
        if kind == AnswerType.SUMMARY or (kind == AnswerType.COMPARISON and analysis.all_posts
                                          and not analysis.focus and scope_id is None):
            # "Compare the posts."
            units, sectioned = self._summary(analysis, store, ranked, scope_id, said), True
        elif kind == AnswerType.COMPARISON and (posts := compared_posts(analysis, store)):
            share = COMPARISON_WORDS // len(posts)  # each post's main points, side by side
            units = [u for doc in posts
                     for u in compose_summary(store, store.sentences_of_document(doc), share)]
            sectioned = True
        elif kind == AnswerType.COMPARISON:
            assert request.query_vector is not None
            units = compare(analysis, store, ranked, composer, request.query_vector, query, floor,
                            embedded=request.query_embedding, searched=request.query)
            sectioned = True
        elif analysis.all_posts and scope_id is None and kind != AnswerType.FACT:
            units, sectioned = per_post(ranked, composer, floor), True
        elif kind == AnswerType.DEFINITION:  # the defining sentence, and what explains it further
            around = self._around(request, assessment, ranked[0]) if ranked else []
            units = compose_several(composer, ranked, floor, budget=DEFINITION_WORDS, whole_list=False,
                                    around=around)
        elif analysis.wants_several:
            around = self._around(request, assessment, ranked[0]) if ranked else []
            if analysis.holder and ranked:  # "What did X say...": not the words of someone X is not
                foreign = _foreign_quotations(store, [*ranked, *around], analysis.holder)
                ranked = [ranked[0], *(c for c in ranked[1:] if c.row not in foreign)]
                around = [c for c in around if c.row not in foreign]
                composer = Composer(store, ranked, introduced=introduced)
            if kind in LIST_KINDS:  # "List the councillor's objections": the post's list of them
                ranked = list_first(ranked, composer, floor)
                composer = Composer(store, ranked, introduced=introduced)
            units = compose_several(composer, ranked, floor, budget=SEVERAL_WORDS, whole_list=True,
                                    around=around, list_after=kind in (AnswerType.REASON, AnswerType.LIST),
                                    all_items=kind == AnswerType.LIST)
            side = exception_sought(analysis.text, holder_words(analysis))
            if side is not None and units:  # "Is X against Y altogether?": the stance, and any exception
                assert request.query_vector is not None
                units = _with_exception(units, side, [*ranked, *around], composer, request.query_vector)
        else:
            units = compose_fact(composer, ranked, floor, budget=FACT_WORDS)
        if said:
            units = _without_said(units, said)
        if not units:
            return self._refusal(request.passages, Verdict(False, REFUSAL_MESSAGE), kind, scope_id,
                                 assessment.confidence)
        lead = assessment.verdict.lead
        last = _previous_answer(request.history) if analysis.follow_up and not analysis.wants_more else ""
        repeated = bool(last) and all(_quoted_in(s.text, last) for u in units for s in u.sentences)
        if repeated and kind != AnswerType.FACT:
            # "And why?" answered by what the last answer already quoted: say so, not repeat silently
            # (a fact found there, "how many of those schools...", is simply the answer)
            lead = lead or "The posts say no more on this than the passages already quoted:"
        if kind == AnswerType.SUMMARY or (kind == AnswerType.COMPARISON and not analysis.focus
                                          and scope_id is None):
            several = len({u.doc_id for u in units}) > 1
            lead = lead or ("Each post's opening claim, in its own words:" if several
                            else "The post's main points, in its own words:")
            if kind == AnswerType.SUMMARY and not several and scope_id is None and analysis.scope is not None:
                # "the UNISON post", which two posts fit: say which is summarised, and what else fits
                tied = close_posts(analysis.scope, store)  # [] unless several posts fit
                shown = units[0].doc_id
                if shown in tied:
                    others = join_words([self._label(store, d) for d in tied if d != shown])
                    fits = "fits" if len(tied) == 2 else "fit"
                    lead = (f"“{analysis.scope.phrase}” fits more than one post. This is "
                            f"{self._label(store, shown)}, the closest match ({others} {fits} too). {lead}")
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

    @staticmethod
    def _pool_sentences(pool: Sequence[Passage], store: AnswerStore) -> list[Sentence]:
        ranges = store.chunk_sentence_rows([p.row for p in pool])
        return store.sentences_at(sorted({r for rows in ranges.values() for r in rows}))

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

    def _speaker_of_last_answer(self, request: GenerationRequest, scored: Sequence[Candidate],
                                store: AnswerStore) -> Candidate | Draft | None:
        """Whose words the last answer's first quote gives: the sentence naming them (the quote
        itself, or the nearest sentence before it, within ``REFERENCE_BACK``, naming a person:
        "Tessa Jowell said..." before "“When a public service is mutually owned...,” she said."),
        or, for the author's own words (in the first person, or "Who wrote that?"), the answer about
        the post's author ("Mutual suspicion doesn't say who wrote it."). None when the last answer
        quoted none of these sentences, or the quote says itself whose words it gives."""
        said = _previous_answer(request.history)
        quoted = [c for c in scored if _quoted_in(c.sentence.text, said)]
        if not quoted:
            return None
        first = min(quoted, key=lambda c: said.find(fold_whitespace(c.sentence.text)))
        wrote = bool(re.search(r"\b(wrote|writes)\b", request.question, re.IGNORECASE))
        quoting = first.row in quotation_introducers_in(store, [first.doc_id])  # "“We want...": the pledge's
        # someone else's words: a quotation, "he said", or a person named as speaking in the sentence
        text = first.sentence.text
        voiced = (quoting or any(speech_cues(text)) or bool(_QUOTATION.search(text))
                  or _names_speaker(first.sentence))
        window = store.sentence_window(first.row, REFERENCE_BACK, 0) if voiced and not wrote else []
        by_row = {c.row: c for c in scored}
        for sentence in reversed(window):
            if names_person_by_name(sentence):
                known = by_row.get(sentence.row)
                return known or Candidate(sentence, 0.0, 0.0, 0.0, 0.0, True, 0)
        if voiced and not wrote and not (in_first_person(first.sentence.text) and not quoting):
            return None  # "UNISON's General Secretary was forthright...": the quote itself says whose
        # the author's own words: "As a Councillor I...", or "Mr Maude misses the point..." (of him)
        author = replace(analyse("Who wrote the post?"), post_attribute="author")  # the author's own words
        return self._about_post(answer_about_post(author, store, first.doc_id), store, request.passages)

    # -- compositions that need the store

    def _summary(self, analysis: QuestionAnalysis, store: AnswerStore, ranked: Sequence[Candidate],
                 scope_id: str | None, said: str = "") -> list[Unit]:
        if scope_id is None and analysis.all_posts:  # "Summarise the posts": each post's claim
            infos = store.document_infos()[:MAX_SUMMARISED_POSTS]
            share = max(SEVERAL_WORDS // max(len(infos), 1), FRAGMENT_WORDS * 4)
            units: list[Unit] = []
            for info in infos:
                units += compose_summary(store, store.sentences_of_document(info.doc_id), share,
                                         opening=True)[:1]
            return units
        doc_id = scope_id or (ranked[0].doc_id if ranked else None)
        if doc_id is None:
            return []
        focus = {c.row: c.relevance for c in ranked if c.doc_id == doc_id} if analysis.focus else None
        # after "What else?": the next points
        sentences = [s for s in store.sentences_of_document(doc_id)
                     if not (said and _quoted_in(s.text, said))]
        return compose_summary(store, sentences, SUMMARY_WORDS, focus)

    # -- drafts

    def _about_post(self, answer: PostAnswer, store: AnswerStore, passages: Sequence[Passage]) -> Draft:
        if answer.verdict is not None:
            return self._refusal(passages, answer.verdict, AnswerType.POST, answer.scope_id, 0.0)
        if not answer.units:  # answered from the post's metadata: a lead, no quote
            return Draft(text=answer.lead, found=True, spans=(), lead=answer.lead, sections=(),
                         kind=AnswerType.POST.value, scope=answer.scope_id, confidence=1.0)
        return self._found(list(answer.units), store, AnswerType.POST, answer.lead, (), answer.scope_id, 1.0,
                           answer.scope_id is None)

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


def _part(request: GenerationRequest, i: int) -> np.ndarray | None:
    """The vector of part ``i`` of a compound question, if the pipeline embedded its parts; else the
    whole question's."""
    return request.part_vectors[i] if len(request.part_vectors) > i else request.query_vector


def _joined(first: Draft, second: Draft, parts: Sequence[str]) -> Draft:
    """One answer from the answers to a compound question's two parts (at least one found): the
    quotes of each, in order, each quote once; a part not answered says so in the lead."""
    found = [d for d in (first, second) if d.found]
    spans: list[QuoteSpan] = []
    sections: list[DraftSection] = []
    for draft in found:
        own = draft.spans or ()
        at: list[int] = []
        for span in own:  # a quote inside one already given is that one
            same = next((i for i, s in enumerate(spans) if s.doc_id == span.doc_id and s.start <= span.start
                         and span.end <= s.end), None)
            if same is None:
                spans.append(span)
            at.append(len(spans) - 1 if same is None else same)
        for section in draft.sections or (DraftSection(tuple(range(len(own)))),):
            picked = tuple(i for i in dict.fromkeys(at[j] for j in section.spans)
                           if not any(i in s.spans for s in sections))
            if picked:
                sections.append(replace(section, spans=picked))
    unanswered = [(part, d) for part, d in zip(parts, (first, second), strict=True) if not d.found]
    # what is missing first: a found part's lead may end with a colon that introduces its quotes
    leads = [f"On “{part}”: {d.lead}" for part, d in unanswered] + [d.lead for d in found if d.lead]
    lead = " ".join(leads)
    confidences = [d.confidence for d in found if d.confidence is not None]
    return Draft(text="" if spans else lead, found=True, spans=tuple(spans), lead=lead,
                 sections=tuple(sections), kind=found[0].kind,
                 missing=tuple(m for _, d in unanswered for m in d.missing), scope=found[0].scope,
                 confidence=min(confidences) if confidences else None)


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




def _demoted(scored: Sequence[Candidate], lower: Callable[[Candidate], bool],
             margin: float) -> list[Candidate]:
    """The candidates with those ``lower`` picks scoring ``margin`` less, best first again."""
    return sorted((replace(c, relevance=c.relevance - margin) if lower(c) else c for c in scored),
                  key=lambda c: (-c.relevance, c.row))


def _previous_answer(history: Sequence[Turn]) -> str:
    """The last answer of the conversation, whitespace folded ("" if there is none)."""
    last = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    return fold_whitespace(last)


_WHO_SAID = re.compile(r"^\s*(?:and\s+|so\s+|but\s+)?who\s+(?:said|says|wrote|writes|is saying|was saying|"
                       r"made|argued|argues|claimed|claims|thinks|believes)\s+(?:that|this|it|so|those|these)\b",
                       re.IGNORECASE)
"""A follow-up asking whose words the last answer quoted."""


def _previous_question(history: Sequence[Turn]) -> str:
    """The last question of the conversation ("" if there is none)."""
    return next((t.content for t in reversed(history) if t.role == "user"), "")


def _said(history: Sequence[Turn]) -> str:
    """Everything the answers so far have said, whitespace folded (for ``_quoted_in``)."""
    return " ".join(fold_whitespace(t.content) for t in history if t.role == "assistant")


def _without_said(units: Sequence[Unit], said: str) -> list[Unit]:
    """The units less the sentences an earlier answer quoted, each split where one is left out."""
    out: list[Unit] = []
    for unit in units:
        run: list[Sentence] = []
        for sentence in (*unit.sentences, None):
            if sentence is not None and not _quoted_in(sentence.text, said):
                run.append(sentence)
            elif run:
                out.append(Unit(tuple(run), unit.score))
                run = []
    return out


def _quoted_in(sentence: str, said: str) -> bool:
    """Whether a sentence (of a few words at least) was quoted in ``said``."""
    text = fold_whitespace(sentence)
    return len(text) >= 20 and text in said


_QUOTATION = re.compile(r"[\"“][^\"”]{25,}")
"""Words quoted in a sentence, longer than a scare-quoted term ("mutualisation")."""


def _names_speaker(sentence: Sentence) -> bool:
    """Whether a person the sentence names by name speaks in it ("Osborne cited...", "said Jowell")."""
    for span in sentence.entities:
        if span.label != "PERSON":
            continue
        stems = terms(sentence.text[span.start - sentence.start:span.end - sentence.start])
        if stems and speaks(sentence.text, stems[-1]):
            return True
    return False


EXCEPTION_WORDS = 150
"""An answer to "Is X against Y altogether?" runs to this many words with its exception."""


_CONDITIONAL = re.compile(r"^\s*(?:but\s+|and\s+)?(?:where|when|if|provided|as long as|so long as|unless|"
                          r"in (?:some|certain) (?:cases|circumstances)|sometimes)\b", re.IGNORECASE)
"""A sentence opening on the cases it holds for ("Where there is genuine demand for a mutual solution
... I'm all for it"): what "Is X against Y altogether?" asks after."""


def _with_exception(units: list[Unit], side: SoughtSide, candidates: Sequence[Candidate],
                    composer: Composer, query_vector: np.ndarray) -> list[Unit]:
    """``units`` with the best sentence of their first post that takes the side the question asks
    after ("Where there is genuine demand ... I'm all for it" for "Is the councillor against mutuals
    altogether?"): for a question asking whether there are such cases, one naming the cases it holds
    for (``_CONDITIONAL``) unless the answer has one; else, when none of the units takes that side,
    any (``_taking_side``); in place of the last unit if the answer would run past
    ``EXCEPTION_WORDS``."""
    taking = [s for u in units for s in u.sentences if side.takes(s.text)]
    if taking and (not side.cases or any(_CONDITIONAL.match(s.text) for s in taking)):
        return units
    taken = {r for u in units for r in u.rows()}
    found = _taking_side(side, units[0].doc_id, taken, candidates, composer.store, query_vector,
                         conditional=True)
    if found is None and not taking:
        found = _taking_side(side, units[0].doc_id, taken, candidates, composer.store, query_vector,
                             conditional=False)
    if found is None:
        return units
    sentence, score = found
    unit = composer.expand(sentence, score, whole_list=False)
    kept = list(units)
    while len(kept) > 1 and words_of([*kept, unit]) > EXCEPTION_WORDS:
        kept.pop()
    return merge([*kept, unit])


def _taking_side(side: SoughtSide, doc: str, taken: set[int], candidates: Sequence[Candidate],
                 store: AnswerStore, query_vector: np.ndarray, *, conditional: bool
                 ) -> tuple[Sentence, float] | None:
    """The best sentence of post ``doc`` (outside the rows ``taken``) that takes ``side`` (and, with
    ``conditional``, opens on the cases it holds for), with its score: the best scored candidate,
    else the post's sentence closest to the question in meaning; None if there is none."""
    def fits(text: str) -> bool:
        return side.takes(text) and (not conditional or bool(_CONDITIONAL.match(text)))

    best = max((c for c in candidates if c.doc_id == doc and c.row not in taken and c.sentence.role.quotable
                and fits(c.sentence.text)), key=lambda c: c.relevance, default=None)
    if best is not None:
        return best.sentence, best.relevance
    others = [s for s in store.sentences_of_document(doc)  # not retrieved: the post's own sentences
              if s.row not in taken and s.role.quotable and fits(s.text)]
    if not others:
        return None
    cosines = store.vectors_of([s.row for s in others]) @ np.asarray(query_vector, np.float32)
    at = int(np.argmax(cosines))
    return others[at], float(cosines[at])


def _foreign_quotations(store: AnswerStore, candidates: Sequence[Candidate], holder: str) -> set[int]:
    """The rows of candidates inside a quotation that its introducing sentence gives as someone
    else's words than the holder's (the Labour pledge, quoted over four paragraphs, when the question
    asks what UNISON's General Secretary said): they are near the holder's words, not theirs."""
    key = terms(holder)[-1:] or [""]
    introducers = quotation_introducers_in(store, {c.doc_id for c in candidates})
    return {c.row for c in candidates if (intro := introducers.get(c.row)) is not None
            and key[0] not in terms(intro.text) and key[0] not in c.terms}

