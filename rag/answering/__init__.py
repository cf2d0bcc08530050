"""Answering backends: the protocol, the registry of backends by name, and quote verification.

Built-in backends are registered here; third-party ones plug in through the
``rag.backends`` entry-point group (``name = "package.module:Factory"``), where the factory
takes a ``Settings`` and returns an ``AnswerBackend``.
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from rag.answering.base import AnswerBackend, BackendFactory, Draft, GenerationRequest, QuoteSpan
from rag.errors import UnknownBackendError

if TYPE_CHECKING:
    from rag.settings import Settings

ENTRY_POINT_GROUP = "rag.backends"

log = logging.getLogger(__name__)

BUILTIN_BACKENDS: dict[str, str] = {
    "extractive": "rag.answering.extractive:ExtractiveBackend",
    "openai": "rag.answering.openai:OpenAIBackend",
}

__all__ = [
    "BUILTIN_BACKENDS",
    "ENTRY_POINT_GROUP",
    "AnswerBackend",
    "BackendFactory",
    "BackendStatus",
    "Draft",
    "GenerationRequest",
    "QuoteSpan",
    "available_backends",
    "backend_statuses",
    "create_backend",
]


def _import(target: str) -> BackendFactory:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def available_backends() -> dict[str, str]:
    """Backend names mapped to where they come from (built-ins first, then entry points)."""
    found = dict(BUILTIN_BACKENDS)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def create_backend(name: str, settings: Settings) -> AnswerBackend:
    """Make the backend registered under ``name``; an unknown name lists the known ones."""
    key = (name or "").strip().lower()
    if key in BUILTIN_BACKENDS:
        return _import(BUILTIN_BACKENDS[key])(settings)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name.lower() == key:
            return ep.load()(settings)
    known = ", ".join(sorted(available_backends()))
    raise UnknownBackendError(f"Unknown answering backend {name!r}. Available backends: {known}.")


@dataclass(frozen=True, slots=True)
class BackendStatus:
    """Whether a backend can answer with the given settings, and if not, what to set."""

    name: str
    usable: bool
    hint: str = ""


def backend_statuses(settings: Settings) -> list[BackendStatus]:
    """Every registered backend, asked whether it can answer with ``settings``.

    A backend may define ``unavailable() -> str | None`` (what to set, or None when usable); one
    without it counts as usable. Nothing is contacted: this only reads configuration, so the app
    can list what works here and say what the others need."""
    statuses = []
    for name in available_backends():
        try:
            backend = create_backend(name, settings)
        except Exception:
            log.exception("answering backend %r could not be loaded", name)
            statuses.append(BackendStatus(name, False, "could not be loaded (see the server log)"))
            continue
        check = getattr(backend, "unavailable", None)
        hint = check() if callable(check) else None
        statuses.append(BackendStatus(name, not hint, hint or ""))
    return statuses
