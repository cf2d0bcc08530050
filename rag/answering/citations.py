"""Turn a backend's exact quote spans into numbered citations and the answer text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rag.answering.base import QuoteSpan
from rag.types import Citation, Document


def quote_citations(spans: Sequence[QuoteSpan], document: Callable[[str], Document | None]
                    ) -> list[Citation]:
    """Citations numbered 1..n in span order; each quote is cut from the stored document text."""
    out: list[Citation] = []
    for span in spans:
        doc = document(span.doc_id)
        if doc is None or not (0 <= span.start < span.end <= len(doc.text)):
            continue  # never cite what cannot be shown verbatim
        out.append(Citation(marker=len(out) + 1, quote=doc.text[span.start:span.end], doc_id=doc.id,
                            title=doc.title, date=doc.date, url=doc.url, source=doc.source,
                            start=span.start, end=span.end, score=round(span.score, 4), label=doc.label))
    return out


def quotes_text(citations: Sequence[Citation]) -> str:
    """The extractive answer: each quote in typographic quotation marks, followed by its marker."""
    return "\n\n".join(f"“{c.quote}” [{c.marker}]" for c in citations)
