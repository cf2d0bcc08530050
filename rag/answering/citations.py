"""Turn a backend's exact quote spans into numbered citations, and a structured answer into text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rag.answering.base import QuoteSpan
from rag.types import AnswerSection, Citation, Document


def quote_citations(spans: Sequence[QuoteSpan], document: Callable[[str], Document | None]
                    ) -> list[Citation | None]:
    """One citation per span, aligned with ``spans`` (None where a span cannot be shown verbatim),
    numbered 1..n in span order; each quote is cut from the stored document text."""
    out: list[Citation | None] = []
    marker = 0
    for span in spans:
        doc = document(span.doc_id)
        if doc is None or not (0 <= span.start < span.end <= len(doc.text)):
            out.append(None)  # never cite what cannot be shown verbatim
            continue
        marker += 1
        out.append(Citation(marker=marker, quote=doc.text[span.start:span.end], doc_id=doc.id,
                            title=doc.title, date=doc.date, url=doc.url, source=doc.source,
                            start=span.start, end=span.end, score=round(span.score, 4), label=doc.label))
    return out


def quotes_text(citations: Sequence[Citation]) -> str:
    """Quotes in typographic quotation marks, each followed by its marker, a blank line apart."""
    return "\n\n".join(f"“{c.quote}” [{c.marker}]" for c in citations)


def answer_text(lead: str, sections: Sequence[AnswerSection], citations: Sequence[Citation]) -> str:
    """A structured answer as plain text: the lead, then each section (its heading, when it has one,
    as a line of its own) and its quotes."""
    by_marker = {c.marker: c for c in citations}
    blocks = [lead] if lead else []
    for section in sections:
        quotes = quotes_text([by_marker[m] for m in section.markers if m in by_marker])
        if section.heading:
            head = section.heading + (f" ({section.date})" if section.date else "")
            blocks.append(f"{head}:\n{quotes}")
        else:
            blocks.append(quotes)
    return "\n\n".join(b for b in blocks if b)
