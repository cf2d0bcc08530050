"""Documents and their loaders: a folder of posts in, ``Document`` records out.

Metadata comes only from the file itself (front matter, HTML head, JSONL fields); nothing
is guessed. Files that cannot be read are skipped with a warning that names them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.errors import CorpusError
from rag.types import Document

MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES


@dataclass
class CorpusLoad:
    """The documents found, and a warning for everything that was skipped."""

    documents: list[Document] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class SkipFile(Exception):
    """Raised by a loader for a file that cannot be used; the message says why."""


def content_hash(text: str, title: str | None, date: str | None, url: str | None) -> str:
    """A hash of everything that affects how a document is indexed and cited."""
    payload = json.dumps([text, title, date, url], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def make_document(
    doc_id: str,
    text: str,
    *,
    title: Any = None,
    date: Any = None,
    url: Any = None,
    source: str | None = None,
) -> Document:
    title_s, date_s, url_s = _clean(title), _clean_date(date), _clean(url)
    return Document(
        id=doc_id,
        text=text,
        title=title_s,
        date=date_s,
        url=url_s,
        source=source,
        content_hash=content_hash(text, title_s, date_s, url_s),
    )


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _clean_date(value: Any) -> str | None:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return _clean(value)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise SkipFile("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SkipFile(f"not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise SkipFile("empty file")
    return text


def _load_text(path: Path, doc_id: str, source: str) -> Iterator[Document]:
    yield make_document(doc_id, _read_text(path), source=source)


def _load_markdown(path: Path, doc_id: str, source: str) -> Iterator[Document]:
    import yaml
    from frontmatter.default_handlers import YAMLHandler

    # Only YAML front matter ("---" lines) is metadata. python-frontmatter's automatic detection
    # would also read a post starting with a lone "{" line as JSON front matter (and crash on it),
    # and it silently drops front matter that is unclosed or not a mapping.
    handler = YAMLHandler()
    text = _read_text(path).strip()
    meta: Any = {}
    body = text
    if handler.detect(text):
        try:
            front, body = handler.split(text)
        except ValueError:
            raise SkipFile("malformed front matter: no closing '---' line") from None
        try:
            meta = handler.load(front)
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
            raise SkipFile(f"malformed front matter: {first}") from None
        if meta is None:  # an empty front matter block
            meta = {}
        if not isinstance(meta, dict):
            raise SkipFile("malformed front matter: expected 'key: value' lines")
        body = body.strip()
    if not body.strip():
        raise SkipFile("no text after the front matter")
    title = meta.get("title")
    if title is None:  # a leading Markdown heading is a title the text itself states
        first_line = body.lstrip().splitlines()[0]
        if first_line.startswith("# "):
            title = first_line[2:].strip()
    yield make_document(doc_id, body, title=title, date=meta.get("date"), url=meta.get("url"),
                        source=source)


_HTML_BLOCKS = [
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul",
]


def _load_html(path: Path, doc_id: str, source: str) -> Iterator[Document]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_read_text(path), "html.parser")
    title_tag = soup.find("title") or soup.find("h1")
    title = " ".join(title_tag.get_text(" ").split()) if title_tag else None  # as a browser shows it
    url = date = None
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        url = canonical["href"]
    for meta in soup.find_all("meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        if key in {"og:url"} and not url:
            url = meta.get("content")
        elif key in {"article:published_time", "date", "dc.date"} and not date:
            date = meta.get("content")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    # Line breaks only around block elements: inline ones (<a>, <em>, <b>...) stay inside their
    # sentence, since a line break always ends a sentence for the chunker.
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [" ".join(line.split()) for line in soup.get_text().splitlines()]
    text = "\n".join(line for line in lines if line)
    if not text:
        raise SkipFile("no text in the HTML")
    yield make_document(doc_id, text, title=title, date=date, url=url, source=source)


def _load_jsonl(path: Path, _doc_id: str, source: str, warn: Callable[[str], None]) -> Iterator[Document]:
    text = _read_text(path)
    # Records end at "\n" only: str.splitlines() would also split inside a JSON string holding
    # U+2028, U+0085 or a form feed, which JSON allows unescaped.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            warn(f"{where}: skipped, not valid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            warn(f"{where}: skipped, expected a JSON object")
            continue
        rid, body = record.get("id"), record.get("text")
        if rid is None or (isinstance(rid, str) and not rid.strip()) or isinstance(rid, dict | list):
            warn(f"{where}: skipped, no 'id'")
            continue
        if not isinstance(body, str) or not body.strip():
            warn(f"{where}: skipped, no 'text'")
            continue
        yield make_document(str(rid), body, title=record.get("title"), date=record.get("date"),
                            url=record.get("url"), source=where)


def iter_files(corpus_dir: Path) -> Iterator[Path]:
    """Every file under the folder, sorted, hidden files and folders left out."""
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file():
            yield path


def load_corpus(corpus_dir: str | Path) -> CorpusLoad:
    """Load every supported file under ``corpus_dir`` (or that one file); raise ``CorpusError``
    if no document is usable."""
    root = Path(corpus_dir)
    if root.is_file():  # a single file (e.g. one JSONL of many documents) is a corpus too
        files: list[Path] = [root]
        root = root.parent
    elif root.is_dir():
        files = list(iter_files(root))
    else:
        raise CorpusError(f"Corpus folder not found: {root}. Put posts there or pass --corpus DIR.")
    result = CorpusLoad()
    seen: dict[str, str] = {}

    def add(doc: Document) -> None:
        if doc.id in seen:
            result.warnings.append(
                f"{doc.source}: skipped, document id {doc.id!r} is already used by {seen[doc.id]}"
            )
            return
        seen[doc.id] = doc.source or doc.id
        result.documents.append(doc)

    for path in files:
        rel = path.relative_to(root).as_posix()
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            result.warnings.append(f"{rel}: skipped, unsupported file type {suffix or '(none)'}")
            continue
        doc_id = rel[: -len(path.suffix)]
        try:
            if suffix in JSONL_SUFFIXES:
                docs = list(_load_jsonl(path, doc_id, rel, result.warnings.append))
            elif suffix in MARKDOWN_SUFFIXES:
                docs = list(_load_markdown(path, doc_id, rel))
            elif suffix in HTML_SUFFIXES:
                docs = list(_load_html(path, doc_id, rel))
            else:
                docs = list(_load_text(path, doc_id, rel))
        except SkipFile as exc:
            result.warnings.append(f"{rel}: skipped, {exc}")
            continue
        except OSError as exc:
            result.warnings.append(f"{rel}: skipped, unreadable ({exc.strerror or exc})")
            continue
        for doc in docs:
            add(doc)
    if not result.documents:
        detail = f" ({len(result.warnings)} files skipped)" if result.warnings else ""
        raise CorpusError(
            f"No documents to index in {root}{detail}. Supported: "
            + ", ".join(sorted(SUPPORTED_SUFFIXES))
        )
    return result
