"""Documents and their loaders: a folder of posts in, ``Document`` records out.

Metadata comes only from the file itself (front matter, HTML head, JSONL fields); nothing
is guessed. Files that cannot be read are skipped with a warning that names them; files that
are read in a way their author may not expect (a ``---`` banner read as text) are kept, with a
warning saying so.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import heapq
import json
import os
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import CorpusError
from rag.types import Document

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

MARKDOWN_SUFFIXES = {".md", ".markdown"}
TEXT_SUFFIXES = {".txt"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES

Warn = Callable[[str], None]


@dataclass
class CorpusLoad:
    """The documents found, and a warning for everything that was skipped or read specially."""

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
    return text if has_visible_text(text) else None


def _clean_date(value: Any) -> str | None:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return _clean(value)


# --------------------------------------------------------------------------- invisible text

_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"}
"""Controls, format characters (zero-width spaces and joiners, BOM, soft hyphen), unassigned
code points, spaces and lone combining marks: none of them shows anything on its own."""
_BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
"""Hangul fillers and the blank Braille pattern: letters by category that draw nothing."""
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u00ad"))
"""Removed from text extracted from HTML: zero-width space, word joiner, BOM, soft hyphen."""


def _invisible(ch: str) -> bool:
    return ch.isspace() or ch in _BLANK_LETTERS or unicodedata.category(ch) in _INVISIBLE_CATEGORIES


def has_visible_text(text: str) -> bool:
    """True if some character of ``text`` would show; ``str.strip`` alone keeps zero-width
    spaces, BOMs and the like, which would make a blank document."""
    return not all(_invisible(ch) for ch in text)


def _what_is_invisible(text: str) -> str:
    """'empty file', naming the invisible characters when there are any besides plain whitespace."""
    shown = sorted({ch for ch in text if ch not in " \t\r\n"})
    if not shown:
        return "empty file"
    codes = ", ".join(f"U+{ord(ch):04X}" for ch in shown[:6]) + (", ..." if len(shown) > 6 else "")
    return f"empty file (only invisible characters: {codes})"


# --------------------------------------------------------------------------- duplicates


FORMAT_CHARACTERS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]")
"""Unicode 15's format characters (category Cf: soft hyphen, zero-width spaces and joiners,
direction marks, BOM...), listed so that removing them is one regex pass, not a lookup per
character (a no-op ``rag index`` computes this for every document)."""


def text_key(text: str) -> str:
    """What makes two texts the same document: equal after Unicode NFC, without format
    characters (BOM, zero-width spaces), with every run of whitespace (line endings, tabs,
    no-break spaces) read as one space."""
    text = FORMAT_CHARACTERS.sub("", unicodedata.normalize("NFC", text))
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def _drop_duplicates(docs: list[tuple[Document, int]], warn: Warn) -> list[Document]:
    """Index each text once. Of documents with the same text, the one at the shallowest path
    wins (a post over its copy in ``archive/``), then the first in path order (JSONL: line
    order); the others are skipped with a warning naming the one kept."""
    groups: dict[str, list[int]] = {}
    for i, (doc, _depth) in enumerate(docs):
        groups.setdefault(text_key(doc.text), []).append(i)
    keep_of: dict[int, int] = {}
    for members in groups.values():
        keep = min(members, key=lambda i: (docs[i][1], i))
        for i in members:
            keep_of[i] = keep
    kept = []
    for i, (doc, _depth) in enumerate(docs):
        if keep_of[i] == i:
            kept.append(doc)
        else:
            winner = docs[keep_of[i]][0]
            warn(f"{doc.source}: skipped, duplicate of {winner.source} (same text)")
    return kept


# --------------------------------------------------------------------------- plain text


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
FALLBACK_ENCODING = "cp1252"
"""Text that is not UTF-8 (and has no byte-order mark) is read as Windows-1252, the encoding
Windows software of the posts' time saved Western European text in ("£", curly quotes as single
bytes); a file that is not valid Windows-1252 either is skipped. Statistical charset detection is
not used: on a short English post it often picks a Central European code page and garbles "é"."""


def decode_text(data: bytes) -> tuple[str, str | None]:
    """The text of a file's bytes, and the encoding used when it was not UTF-8 (None for UTF-8):
    UTF-8, else the Unicode encoding its byte-order mark names, else ``FALLBACK_ENCODING``.
    ``SkipFile`` for binary data or bytes no encoding here reads."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), None if encoding == "utf-8-sig" else encoding.upper()
            except UnicodeDecodeError as exc:
                raise SkipFile(f"not {encoding.upper()} text despite its byte-order mark "
                               f"(byte {exc.start})") from None
    if b"\x00" in data[:8192]:
        raise SkipFile("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        return data.decode(FALLBACK_ENCODING), "Windows-1252"
    except UnicodeDecodeError:
        raise SkipFile(f"not UTF-8 text (byte {first_bad}), nor Windows-1252") from None


def _read_text(path: Path, warn: Warn, source: str) -> str:
    text, encoding = decode_text(path.read_bytes())
    if not has_visible_text(text):
        raise SkipFile(_what_is_invisible(text))
    if encoding is not None:
        warn(f"{source}: not UTF-8; read as {encoding}")
    return text


def _load_text(path: Path, doc_id: str, source: str, warn: Warn) -> Iterator[Document]:
    yield make_document(doc_id, _read_text(path, warn, source), source=source)


# --------------------------------------------------------------------------- Markdown

FRONT_MATTER_KEYS = {
    "title", "date", "url", "author", "authors", "tags", "categories", "category", "layout",
    "description", "summary", "slug", "draft", "permalink", "lang", "language", "keywords",
    "published", "updated", "modified", "link", "canonical_url", "excerpt", "image", "type",
    "weight", "id", "aliases", "series", "source",
}
"""Keys that mark a ``---`` block as front matter: a block of only other keys ("Branch
Secretary: A. Member") is more likely a banner between two rules than metadata."""

_KEY_VALUE = re.compile(r"^\s*([A-Za-z][\w .-]{0,40}?)\s*:(?:\s+(.*))?$")


def _key_value_lines(front: str) -> dict[str, str] | None:
    """``key: value`` lines split on the first colon, for front matter that is not valid YAML
    (``title: Mutuals: the next step``); None if some line is not of that form."""
    meta: dict[str, str] = {}
    for line in front.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _KEY_VALUE.match(line)
        if not match:
            return None
        value = (match.group(2) or "").strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        meta.setdefault(match.group(1).strip().lower(), value)
    return meta


def _front_matter(text: str, where: str, warn: Warn, first_line: int = 1) -> tuple[dict[str, Any], str]:
    """(metadata, body) of a Markdown text. A ``---`` block is front matter only if it reads as
    ``key: value`` pairs naming some front matter key; otherwise the ``---`` lines are horizontal
    rules (as in CommonMark) and the whole text is the body, with a warning."""
    import yaml  # type: ignore[import-untyped]
    from frontmatter.default_handlers import YAMLHandler

    # Only YAML front matter ("---" lines) is metadata. python-frontmatter's automatic detection
    # would also read a post starting with a lone "{" line as JSON front matter (and crash on it),
    # and it silently drops front matter that is unclosed or not a mapping.
    handler = YAMLHandler()
    if not handler.detect(text):
        return {}, text
    try:
        front, body = handler.split(text)
    except ValueError:
        warn(f"{where}: the opening '---' has no closing '---' line; read as text, without front matter")
        return {}, text
    try:
        meta: Any = handler.load(front)
        problem = None
    except yaml.YAMLError as exc:
        meta = None
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or (str(exc).splitlines() or ["invalid YAML"])[0]
        # the block starts with the rest of the '---' line: its line 0 is the file's first_line
        problem = (mark.line + first_line if mark is not None else None, reason)
    if problem is None and meta is None:  # an empty front matter block
        return {}, body
    if isinstance(meta, dict):
        keyed: dict[str, Any] = {}
        for key, value in meta.items():  # 'Title:' is 'title:'; the first spelling wins
            keyed.setdefault(str(key).strip().lower(), value)
        if keyed.keys() & FRONT_MATTER_KEYS:
            return keyed, body
        keys = ", ".join(repr(str(k)) for k in meta)
        warn(f"{where}: front matter has no known key ({keys}); read as text")
        return {}, text
    if problem is not None:
        recovered = _key_value_lines(front)
        line, reason = problem
        at = f"{where}:{line}" if line else where
        if recovered and recovered.keys() & FRONT_MATTER_KEYS:
            warn(f"{at}: front matter is not valid YAML ({reason}); read line by line as 'key: value'")
            return recovered, body
        warn(f"{at}: front matter is not key: value pairs ({reason}); read as text")
        return {}, text
    warn(f"{where}: front matter is not key: value pairs; read as text")
    return {}, text


def _load_markdown(path: Path, doc_id: str, source: str, warn: Warn) -> Iterator[Document]:
    raw = _read_text(path, warn, source)
    text = raw.strip()
    first_line = raw[: len(raw) - len(raw.lstrip())].count("\n") + 1  # the file line the text starts on
    meta, body = _front_matter(text, source, warn, first_line)
    body = body.strip()
    if not has_visible_text(body):
        raise SkipFile("no text after the front matter")
    title = meta.get("title")
    if title is None:  # a leading Markdown heading is a title the text itself states
        first = body.lstrip().splitlines()[0]
        if first.startswith("# "):
            title = first[2:].strip()
    yield make_document(doc_id, body, title=title, date=meta.get("date"), url=meta.get("url"),
                        source=source)


# --------------------------------------------------------------------------- HTML

_HTML_BLOCKS = [
    "address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "summary", "table", "td", "th", "tr", "ul",
]
_LAYOUT_IN_CELL = ["address", "article", "blockquote", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "ol",
                   "pre", "section", "table", "ul"]
_PARAGRAPHS = ["div", "p"]
"""A table whose cells hold headings, lists or several paragraphs is page layout, not data: its
cells stay separate blocks. (One paragraph in a cell is how some editors write any cell.)"""


def _layout_cell(cell: Tag) -> bool:
    return cell.find(_LAYOUT_IN_CELL) is not None or len(cell.find_all(_PARAGRAPHS)) > 1


def _cell_text(cell: Tag) -> str:
    return " ".join(cell.get_text(" ").translate(_ZERO_WIDTH).split())


def _span(cell: Tag, name: str, limit: int) -> int:
    try:
        return max(1, min(int(str(cell.get(name) or 1)), limit))
    except ValueError:
        return 1


def _table_grid(rows: list[Tag]) -> list[list[tuple[int, str, bool]]]:
    """Rows of (cell id, text, is header) with colspan and rowspan spread over the columns
    they cover, so that every value sits under its own column's header."""
    grid: list[list[tuple[int, str, bool]]] = []
    pending: dict[int, tuple[int, tuple[int, str, bool]]] = {}  # column -> (rows left, cell)
    for tr in rows:
        cells = tr.find_all(["td", "th"], recursive=False)
        out: list[tuple[int, str, bool]] = []
        col = i = 0
        while i < len(cells) or any(c >= col for c in pending):
            if col in pending:
                left, value = pending.pop(col)
                if left > 1:
                    pending[col] = (left - 1, value)
                out.append(value)
            elif i < len(cells):
                cell = cells[i]
                i += 1
                value = (id(cell), _cell_text(cell), cell.name == "th")
                down = _span(cell, "rowspan", 1000)
                for _ in range(_span(cell, "colspan", 100)):
                    if down > 1:
                        pending[col] = (down - 1, value)
                    out.append(value)
                    col += 1
                continue
            else:
                out.append((0, "", False))
            col += 1
        grid.append(out)
    return grid


def _table_lines(table: Tag) -> list[str] | None:
    """A data table as lines of text, one per row, each pairing the header with the cell
    (``Pool: Quayside pool; Visits per year: 45,000; Opened: 1988``), so that a row quoted on
    its own still says what its values are; None for a layout table."""
    if table.get("role") in ("presentation", "none") or table.find("table"):
        return None
    rows = [tr for tr in table.find_all("tr") if tr.find_parent("table") is table]
    if not rows or any(_layout_cell(cell) for tr in rows for cell in tr.find_all(["td", "th"])):
        return None
    grid = _table_grid(rows)
    if max(len(r) for r in grid) < 2:
        return None
    n_head = 0
    for tr, row in zip(rows, grid, strict=True):
        in_thead = tr.find_parent("thead") is not None
        if not (in_thead or (row and all(h for _, _, h in row))) or n_head == len(rows) - 1:
            break
        n_head += 1
    width = max(len(r) for r in grid)
    header = [""] * width
    for row in grid[:n_head]:
        for col, (_, text, _) in enumerate(row):
            if text and text not in header[col].split(" / "):
                header[col] = f"{header[col]} / {text}" if header[col] else text
    lines = []
    caption = table.find("caption")
    if caption and _cell_text(caption):
        lines.append(_cell_text(caption))
        caption.decompose()
    for row in grid[n_head:]:
        columns: dict[int, list[int]] = {}  # cell -> the columns it covers
        for col, (cell_id, _, _) in enumerate(row):
            columns.setdefault(cell_id or -col - 1, []).append(col)
        parts = []
        for cols in columns.values():
            text = row[cols[0]][1]
            labels = {header[c] for c in cols}
            label = labels.pop() if len(labels) == 1 else ""  # a cell across columns has no one label
            if text:
                parts.append(f"{label}: {text}" if label and label != text else text)
        if parts:
            lines.append(("; " if n_head else " | ").join(parts))
    if not lines and n_head:  # a header and no data rows
        lines.append(" | ".join(h for h in header if h))
    return lines


def _html_breaks(soup: BeautifulSoup) -> None:
    """A single ``<br>`` is a line break inside a sentence: a space. Two or more in a row
    (blank line) end the paragraph."""
    from bs4 import NavigableString, PageElement

    for br in soup.find_all("br"):
        if br.parent is None:  # already replaced as part of a run
            continue
        run: list[PageElement] = [br]
        node = br.next_sibling
        while node is not None and (getattr(node, "name", None) == "br" or (
                isinstance(node, NavigableString) and not has_visible_text(str(node)))):
            if getattr(node, "name", None) == "br":
                run.append(node)
            node = node.next_sibling
        br.replace_with("\n" if len(run) > 1 else " ")
        for extra in run[1:]:
            extra.decompose()


def _load_html(path: Path, doc_id: str, source: str, warn: Warn) -> Iterator[Document]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_read_text(path, warn, source), "html.parser")
    title_tag = soup.find("title") or soup.find("h1")
    title = " ".join(title_tag.get_text(" ").split()) if title_tag else None  # as a browser shows it
    url = date = None
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        url = canonical["href"]
    for meta in soup.find_all("meta"):
        key = str(meta.get("property") or meta.get("name") or "").lower()
        if key in {"og:url"} and not url:
            url = meta.get("content")
        elif key in {"article:published_time", "date", "dc.date"} and not date:
            date = meta.get("content")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    _html_breaks(soup)
    # Data tables become one line per row; layout tables (those holding a table, among others)
    # fall through to the block handling below. Decided before any table is replaced.
    tables = [(table, _table_lines(table)) for table in soup.find_all("table")]
    for table, lines in tables:
        if lines is not None:
            table.replace_with("\n" + "\n".join(lines) + "\n")
    # Line breaks only around block elements: inline ones (<a>, <em>, <b>...) stay inside their
    # sentence, since a line break always ends a sentence for the chunker.
    for tag in soup.find_all(_HTML_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = [" ".join(line.translate(_ZERO_WIDTH).split()) for line in soup.get_text().splitlines()]
    text = "\n".join(line for line in lines if has_visible_text(line))
    if not text:
        raise SkipFile("no text in the HTML")
    yield make_document(doc_id, text, title=title, date=date, url=url, source=source)


# --------------------------------------------------------------------------- JSONL


def _load_jsonl(path: Path, _doc_id: str, source: str, warn: Warn) -> Iterator[Document]:
    text = _read_text(path, warn, source)
    # Records end at "\n" only: str.splitlines() would also split inside a JSON string holding
    # U+2028, U+0085 or a form feed, which JSON allows unescaped.
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not has_visible_text(line):
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
        if rid is None or isinstance(rid, dict | list) or not has_visible_text(str(rid)):
            warn(f"{where}: skipped, no 'id'")
            continue
        if not isinstance(body, str):
            warn(f"{where}: skipped, no 'text'")
            continue
        if not has_visible_text(body):
            warn(f"{where}: skipped, empty 'text'" + _what_is_invisible(body)[len("empty file"):])
            continue
        yield make_document(str(rid), body, title=record.get("title"), date=record.get("date"),
                            url=record.get("url"), source=where)


# --------------------------------------------------------------------------- finding files


def _resolve_link(path: str) -> tuple[Path | None, str]:
    """(real path, '') for a symbolic link that leads somewhere, else (None, why not)."""
    try:
        return Path(path).resolve(strict=True), ""
    except FileNotFoundError:
        return None, "broken symbolic link"
    except RuntimeError:  # Python < 3.13 reports a loop this way
        return None, "symbolic link loop"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, "symbolic link loop"
        return None, f"unreadable symbolic link ({exc.strerror or exc})"


def _link_target(path: str) -> str:
    try:
        return f" (to {os.readlink(path)})"
    except OSError:
        return ""


def _walk(root: Path, warn: Warn) -> list[tuple[Path, int]]:
    """Every file under ``root`` as (path, depth), in path order, following symbolic links to
    files and folders wherever they point. Each real file and folder is read once: through the
    path with the fewest links, then the shallowest, then the first in path order. A link to a
    folder holding it (an ancestor, or itself) is a loop and is skipped, like a broken link."""
    # (links followed, depth, path parts, real folders on the way) of folders still to read
    todo: list[tuple[int, int, tuple[str, ...], tuple[Path, ...]]] = [(0, 0, (), (root.resolve(),))]
    read: dict[Path, str] = {}
    files: dict[Path, list[tuple[int, int, tuple[str, ...]]]] = {}  # real file -> ways to it
    while todo:
        links, depth, parts, chain = heapq.heappop(todo)
        rel = "/".join(parts) or "."
        if chain[-1] in read:
            warn(f"{rel}: skipped, the same folder as {read[chain[-1]]} (symbolic link)")
            continue
        read[chain[-1]] = rel
        try:
            entries = sorted(os.scandir(root.joinpath(*parts)), key=lambda e: e.name)
        except OSError as exc:
            warn(f"{rel}: skipped, unreadable folder ({exc.strerror or exc})")
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            sub, sub_rel = (*parts, entry.name), "/".join((*parts, entry.name))
            is_link = entry.is_symlink()
            if is_link:
                real, why = _resolve_link(entry.path)
                if real is None:
                    warn(f"{sub_rel}: skipped, {why}{_link_target(entry.path)}")
                    continue
            else:
                real = Path(entry.path).resolve()
            try:
                is_dir, is_file = real.is_dir(), real.is_file()
            except OSError as exc:
                warn(f"{sub_rel}: skipped, unreadable ({exc.strerror or exc})")
                continue
            if is_dir:
                if real in chain or chain[-1].is_relative_to(real):
                    warn(f"{sub_rel}: skipped, symbolic link loop (to a folder holding it)")
                    continue
                heapq.heappush(todo, (links + is_link, depth + 1, sub, (*chain, real)))
            elif is_file:
                files.setdefault(real, []).append((links + is_link, depth + 1, sub))
            else:
                warn(f"{sub_rel}: skipped, not a regular file")
    found = []
    for reached in files.values():
        best, *others = sorted(reached)
        for other in others:
            warn(f"{'/'.join(other[2])}: skipped, the same file as {'/'.join(best[2])} (symbolic link)")
        found.append((best[2], best[1]))
    return [(root.joinpath(*parts), depth) for parts, depth in sorted(found)]


def iter_files(corpus_dir: Path, warn: Warn | None = None) -> Iterator[Path]:
    """Every file under the folder, in path order, hidden files and folders left out, symbolic
    links followed (see ``_walk``); ``warn`` hears about broken links, loops and files reached twice."""
    for path, _depth in _walk(corpus_dir, warn or (lambda _msg: None)):
        yield path


# --------------------------------------------------------------------------- the corpus

_LOADERS: dict[str, Callable[[Path, str, str, Warn], Iterator[Document]]] = {
    **dict.fromkeys(JSONL_SUFFIXES, _load_jsonl),
    **dict.fromkeys(MARKDOWN_SUFFIXES, _load_markdown),
    **dict.fromkeys(HTML_SUFFIXES, _load_html),
    **dict.fromkeys(TEXT_SUFFIXES, _load_text),
}


def load_corpus(corpus_dir: str | Path) -> CorpusLoad:
    """Load every supported file under ``corpus_dir`` (or that one file); raise ``CorpusError``
    if no document is usable."""
    root = Path(corpus_dir)
    result = CorpusLoad()
    if root.is_file():  # a single file (e.g. one JSONL of many documents) is a corpus too
        files: list[tuple[Path, int]] = [(root, 1)]
        root = root.parent
    elif root.is_dir():
        files = _walk(root, result.warnings.append)
    else:
        raise CorpusError(f"Corpus folder not found: {root}. Put posts there or pass --corpus DIR.")
    found: list[tuple[Document, int]] = []
    seen: dict[str, str] = {}
    for path, depth in files:
        rel = path.relative_to(root).as_posix()
        suffix = path.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            result.warnings.append(f"{rel}: skipped, unsupported file type {suffix or '(none)'}")
            continue
        doc_id = rel[: -len(path.suffix)]
        try:
            docs = list(_LOADERS[suffix](path, doc_id, rel, result.warnings.append))
        except SkipFile as exc:
            result.warnings.append(f"{rel}: skipped, {exc}")
            continue
        except OSError as exc:
            result.warnings.append(f"{rel}: skipped, unreadable ({exc.strerror or exc})")
            continue
        for doc in docs:
            if not any(ch.isalnum() for ch in doc.text):  # e.g. a file holding only a '---' rule
                result.warnings.append(f"{doc.source}: skipped, no words in the text")
                continue
            if doc.id in seen:
                result.warnings.append(
                    f"{doc.source}: skipped, document id {doc.id!r} is already used by {seen[doc.id]}")
                continue
            seen[doc.id] = doc.source or doc.id
            found.append((doc, depth))
    result.documents = _drop_duplicates(found, result.warnings.append)
    if not result.documents:
        detail = f" ({len(result.warnings)} files skipped)" if result.warnings else ""
        raise CorpusError(
            f"No documents to index in {root}{detail}. Supported: "
            + ", ".join(sorted(SUPPORTED_SUFFIXES))
        )
    return result
