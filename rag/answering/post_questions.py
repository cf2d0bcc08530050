"""Questions about a post itself: when it was published, its title, its author, where it appeared, what
prompted it. They are answered from the post's own lines (its dateline, title line, byline, the line
saying where it first appeared, its opening), or from its metadata, never from another post.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rag.answering.checks import Verdict, join_words
from rag.answering.compose import Unit
from rag.answering.evidence import sentence_terms
from rag.answering.scope import resolve_scope, tied_posts
from rag.answering.store import AnswerStore
from rag.lexical import other_name_stems, terms
from rag.question import MENTIONS, UNDATED, QuestionAnalysis, ScopeRef, year_of
from rag.types import DocumentInfo, EntitySpan, Sentence, SentenceRole
from rag.wordclass import word_classes

_DATED_PATH = re.compile(r"/(19|20)\d\d/(0?[1-9]|1[0-2])/")


@dataclass(frozen=True, slots=True)
class PostAnswer:
    """The quotes and lead answering a question about a post, or the verdict refusing it."""

    scope_id: str | None
    lead: str = ""
    units: tuple[Unit, ...] = ()
    verdict: Verdict | None = None  # set for a refusal

    @property
    def found(self) -> bool:
        return self.verdict is None


def answer_about_posts(analysis: QuestionAnalysis, store: AnswerStore) -> PostAnswer:
    """A question about the whole collection ("Which post came first?", "List the posts.", "How many
    posts are there?"): the line of each post that answers it, in index order, grouped by post; the
    lead counts them and, for dates, names the earliest and the latest dated post. A year in the
    question ("Which posts were published in 2010?") keeps the posts whose own date line gives it."""
    attribute = analysis.post_attribute or "title"
    if attribute == "mention":
        return _posts_mentioning(analysis, store)
    year = year_of(analysis.text) if attribute == "date" else None
    if attribute == "date" and UNDATED.search(analysis.text):
        return _undated_posts(analysis, store)
    infos = store.document_infos()
    units: list[Unit] = []
    answered: list[DocumentInfo] = []
    stated = 0  # posts that state a date at all
    for info in infos:
        answer = answer_about_post(replace(analysis, post_attribute=attribute), store, info.doc_id)
        if year and answer.found:
            stated += bool(answer.units)
            answer = replace(answer, units=tuple(u for u in answer.units if _gives_year(u, year)))
        if answer.found and answer.units:
            units.extend(answer.units)
            answered.append(info)
        elif attribute == "title":  # no title line: its opening names it
            opening = [s for s in store.sentences_of_document(info.doc_id) if s.role.quotable][:1]
            units.extend(Unit((s,), 1.0) for s in opening)
            answered.extend(info for _ in opening)
    what = {"date": "dates", "author": "authors", "title": "titles", "site": "sites", "url": "addresses",
            "occasion": "openings"}.get(attribute, "details")
    total = _posts(len(infos))
    if year:
        if not units:
            undated = f" ({len(infos) - stated} state no date)" if stated < len(infos) else ""
            return PostAnswer(None, verdict=Verdict(False, f"None of the {total} is dated {year}{undated}.",
                                                    (year,)))
        named = join_words([f"{i.label} ({i.date})" if i.date else i.label for i in answered], "and")
        one = len(answered) == 1
        lead = (f"{len(answered)} of the {total} {'is' if one else 'are'} dated {year}: "
                f"{named}. {'Its own line' if one else 'Their own lines'}:")
        return PostAnswer(None, lead, tuple(units))
    if not units:
        return PostAnswer(None, verdict=Verdict(False, f"The posts state no {what}.", (what,)))
    if attribute == "title":
        lead = f"There are {total}; each is named by its own title line or, without one, its opening:"
    elif attribute == "date":
        dated = sorted((i for i in answered if i.date), key=lambda i: i.date or "")
        lead = f"{len(answered)} of the {total} state a date"
        if len(dated) > 1:
            first, last = dated[0], dated[-1]
            lead += f": the earliest is {first.label} ({first.date}), the latest {last.label} ({last.date})"
        lead += ". Its own line:" if len(units) == 1 else ". Their own lines:"
    else:
        lead = f"{len(answered)} of the {total} state their {what[:-1] if what.endswith('s') else what}:"
    return PostAnswer(None, lead, tuple(units))


MENTION_CHUNKS = 200
"""BM25 hits read for "Which posts mention X?": every post among them that names X is listed."""


def _posts_mentioning(analysis: QuestionAnalysis, store: AnswerStore) -> PostAnswer:
    """"Which posts mention UNISON?": every post with a sentence holding all the words of the subject
    (each also under a party's other name: "the Tories" are the Conservatives), found among the
    ``MENTION_CHUNKS`` best BM25 hits for it; each post's first such sentence is quoted, posts in index
    order. The lead counts and names them; none is a refusal naming the subject."""
    match = MENTIONS.search(analysis.text)
    subject = match.group("subject").strip() if match else ""  # as written: "the Green Party"
    wanted = [{t, *other_name_stems(t)} for t in dict.fromkeys(terms(subject))]
    total = _posts(len(store.document_infos()))
    if not wanted:
        return PostAnswer(None, verdict=Verdict(False, "Which posts should mention what? Name it, as in "
                                                       "\"Which posts mention UNISON?\"."))
    rows, _ = store.search_lexical(" ".join(t for alts in wanted for t in alts), MENTION_CHUNKS)
    words = re.findall(r"[\w'’-]+", re.sub(r"^(the|a|an)\s+", "", subject, flags=re.IGNORECASE))
    # "David Cameron" may be named by his surname alone; "the Green Party" is not named by "Party"
    person_like = len(words) >= 2 and all(w[:1].isupper() for w in words) and not word_classes(words[-1])
    first: dict[str, tuple[int, Sentence]] = {}  # per post: (how it names the subject, sentence)
    for sentence in store.sentences_in_chunks(rows.tolist()):
        if not sentence.role.quotable:
            continue
        seq = sentence_terms(sentence.text)
        if all(alts & set(seq) for alts in wanted):
            how = 0 if _holds_in_order(seq, wanted) else 1  # "co-operative councils" as a phrase first
        elif person_like and any(_last_term(sentence, e) in wanted[-1] for e in sentence.entities):
            how = 2  # a name by its last word alone ("Cameron and Clegg's ramshackle regime")
        else:
            continue
        known = first.get(sentence.doc_id)
        if known is None or (how, sentence.row) < (known[0], known[1].row):
            first[sentence.doc_id] = (how, sentence)
    order = {info.doc_id: (i, info) for i, info in enumerate(store.document_infos()) if info.doc_id in first}
    if not order:
        return PostAnswer(None, verdict=Verdict(False, f"None of the {total} mentions {subject}.",
                                                (subject,)))
    posts = [info for _, info in sorted(order.values(), key=lambda pair: pair[0])]
    one = len(posts) == 1
    lead = (f"{len(posts)} of the {total} {'mentions' if one else 'mention'} {subject}: "
            f"{join_words([i.label for i in posts], 'and')}. {'Its' if one else 'Each one’s'} first mention:")
    return PostAnswer(None, lead, tuple(Unit((first[i.doc_id][1],), 1.0) for i in posts))


def _last_term(sentence: Sentence, entity: EntitySpan) -> str:
    """The last analysed term of a named entity of the sentence ("" if none)."""
    found = terms(sentence.text[entity.start - sentence.start:entity.end - sentence.start])
    return found[-1] if found else ""


def _holds_in_order(seq: list[str], wanted: list[set[str]]) -> bool:
    """Whether the terms ``seq`` hold the wanted terms next to each other, in order (the phrase)."""
    n = len(wanted)
    return any(all(seq[i + j] in wanted[j] for j in range(n)) for i in range(len(seq) - n + 1))


def _posts(n: int) -> str:
    return f"{n} post{'s' if n != 1 else ''}"


def _undated_posts(analysis: QuestionAnalysis, store: AnswerStore) -> PostAnswer:
    """"Which posts have no date?": the posts whose own lines give none (no dateline, no dated link)."""
    infos = store.document_infos()
    undated = [i for i in infos
               if not answer_about_post(replace(analysis, post_attribute="date"), store, i.doc_id).units]
    total = _posts(len(infos))
    if not undated:
        return PostAnswer(None, f"Every one of the {total} states its date.")
    titles = [u for i in undated
              for u in answer_about_post(replace(analysis, post_attribute="title"), store, i.doc_id).units]
    lead = f"{len(undated)} of the {total} state no date: {join_words([i.label for i in undated], 'and')}."
    return PostAnswer(None, lead + (" Their titles:" if titles else ""), tuple(titles))


def _gives_year(unit: Unit, year: str) -> bool:
    """Whether a date line names the year: as a word ("Friday, June 04, 2010") or a dated link's
    path ("/2010/11/")."""
    return any(re.search(rf"(?<![\d]){year}(?![\d])", s.text) for s in unit.sentences)


def answer_about_post(analysis: QuestionAnalysis, store: AnswerStore, scope_id: str | None) -> PostAnswer:
    """When a post was published, its title, its author or site: from the post's own lines."""
    attribute = analysis.post_attribute or "date"
    if scope_id is None and (analysis.focus or analysis.entities):  # "What news prompted the councillor
        # to write?"; a title named whole ("Who wrote Mutual Benefit?") even when a word of it is no focus
        words = " ".join(dict.fromkeys([*analysis.entities, *analysis.focus]))
        ref = ScopeRef(analysis.text, words, year_of(analysis.text))
        match = resolve_scope(ref, store)
        scope_id = match.doc_id if match else None
    if scope_id is None:
        tied = tied_posts(analysis.scope, store)
        if analysis.scope is None:
            lead = "Which post do you mean? Name it by its title, site or date."
        elif tied:
            labels = {i.doc_id: i.label for i in store.document_infos()}
            lead = (f"Several posts match “{analysis.scope.words}”: {'; '.join(labels[d] for d in tied)}. "
                    "Which one do you mean?")
        else:
            lead = f"No post matches “{analysis.scope.words}”."
        return PostAnswer(None, verdict=Verdict(False, lead, ("post",)))
    info = next(i for i in store.document_infos() if i.doc_id == scope_id)
    sentences = store.sentences_of_document(scope_id)
    if attribute == "occasion":  # what prompted the post: how it opens
        opening = [s for s in sentences if s.role.quotable][:2]
        if opening:
            lead = f"{info.label} opens:"
            return PostAnswer(scope_id, lead, (Unit(tuple(opening), 1.0),))
    role = {"date": SentenceRole.DATELINE, "author": SentenceRole.BYLINE, "title": SentenceRole.TITLE,
            "site": SentenceRole.BOILERPLATE, "url": SentenceRole.URL}[attribute]
    lines = [s for s in sentences if s.role == role]
    if attribute == "site":
        lines = [s for s in lines if re.search(r"\b(appeared|published|posted)\b", s.text, re.I)] or [
            s for s in sentences if s.role == SentenceRole.URL]
    if lines:
        lead = {"date": f"{info.label} is dated:", "author": f"{info.label} names its author:",
                "title": "The post's title:", "site": f"Where {info.label} appeared:",
                "url": f"The address of {info.label}:"}[attribute]
        return PostAnswer(scope_id, lead, (Unit((lines[0],), 1.0),))
    dated_links = [s for s in sentences if s.role == SentenceRole.URL and _DATED_PATH.search(s.text)]
    if attribute == "date" and dated_links:  # ".../2010/11/..." in the post's own link
        lead = f"{info.label} gives no date, but its address holds the year and month:"
        return PostAnswer(scope_id, lead, (Unit((dated_links[0],), 1.0),))
    value = {"date": info.date, "title": info.title, "site": info.url, "url": info.url,
             "author": None}[attribute]
    if value:
        lead = {"date": f"{info.label} is dated {value} in its metadata; its text states no date.",
                "title": f"The post's title is “{value}” (from its metadata).",
                "site": f"{info.label} comes from {value}.", "url": f"{info.label} is at {value}.",
                "author": ""}[attribute]
        return PostAnswer(scope_id, lead)
    what = {"date": "when it was published", "author": "who wrote it", "title": "its title",
            "site": "where it appeared", "url": "its address"}[attribute]
    lead = f"{info.label} doesn't say {what}."
    return PostAnswer(scope_id, verdict=Verdict(False, lead, (what,)))
