"""One name per post, for people: its title, or a label made from what the post itself states.

Interfaces never show internal file names or ids. A post without a title is named by its site
(from its URL) and the words it opens with, e.g. ``leftfootforward.org: “The announcement by
Francis Maude yesterday…”``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

OPENING_WORDS = 7
"""Words of the post's opening quoted in a label made for a post without a title."""

_URLISH = re.compile(r"^(https?://|www\.)\S+$", re.IGNORECASE)


def site_of(url: str | None) -> str | None:
    """The host of an http(s) URL without ``www.`` (``leftfootforward.org``), or None."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    return host[4:] if host.startswith("www.") else host


def opening_words(text: str, words: int = OPENING_WORDS) -> str:
    """The first ``words`` words of the first line of text that is not a bare URL, with "…" if cut."""
    for line in text.splitlines():
        line = " ".join(line.split())
        if not line or _URLISH.match(line):
            continue
        tokens = line.split(" ")
        return " ".join(tokens[:words]) + ("…" if len(tokens) > words else "")
    return ""


def post_label(title: str | None, url: str | None, text: str | None) -> str:
    """A post's display name: its title; else its site and opening words; else what there is."""
    if title and title.strip():
        return " ".join(title.split())
    site = site_of(url)
    opening = opening_words(text or "")
    if site and opening:
        return f"{site}: “{opening}”"
    if opening:
        return f"“{opening}”"
    return site or "A post without a title"
