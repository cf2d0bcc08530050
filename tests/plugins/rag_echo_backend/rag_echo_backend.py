"""An answering backend that lives outside the ``rag`` package and is found through the
``rag.backends`` entry-point group: it proves that third-party backends plug in by name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rag.answering.base import Draft, GenerationRequest

QUOTE_WORDS = 6
"""How many words of the top passage the echo quotes."""


class EchoBackend:
    """Repeats the question and quotes the opening words of the top passage, citing it as [1]."""

    name = "echo"

    def __init__(self, settings: Any = None) -> None:
        self.settings = settings

    def run(self, request: GenerationRequest) -> Iterator[str | Draft]:
        if not request.passages:
            yield Draft(text=f"Echo: {request.question}", found=False, spans=None)
            return
        words = " ".join(request.passages[0].text.split()[:QUOTE_WORDS])
        pieces = [f"Echo: {request.question} ", f"Passage 1 begins “{words}” [1]."]
        yield from pieces
        yield Draft(text="".join(pieces), found=True, spans=None)
