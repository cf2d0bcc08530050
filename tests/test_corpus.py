"""Loading posts: every supported format, and every kind of bad file skipped with a warning.

Nothing here loads the embedding model: loading a corpus must stay cheap, because a no-op
``rag index`` does only this and a hash comparison.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
import yaml

from rag.chunking import split_sentences
from rag.corpus import content_hash, load_corpus
from rag.errors import CorpusError

pytestmark = pytest.mark.unit

ORIGINALS = Path(__file__).parent / "data" / "original_posts.sha256"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def by_id(folder: Path) -> dict:
    return {d.id: d for d in load_corpus(folder).documents}


# --------------------------------------------------------------------------- formats


def test_markdown_front_matter_gives_title_date_and_url(tmp_path: Path) -> None:
    write(tmp_path, "post.md", '---\ntitle: "Mutual Benefit?"\ndate: 2010-06-04\n'
          'url: "http://example.org/mutual"\n---\nFirst line.\nSecond line.\n')
    doc = by_id(tmp_path)["post"]
    assert doc.title == "Mutual Benefit?"
    assert doc.date == "2010-06-04"  # an unquoted YAML date comes back as the same ISO text
    assert doc.url == "http://example.org/mutual"
    assert doc.text == "First line.\nSecond line."
    assert doc.source == "post.md"


def test_markdown_without_front_matter_takes_title_from_its_heading(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "# A heading\nSome text.\n")
    write(tmp_path, "b.md", "No heading here.\n")
    docs = by_id(tmp_path)
    assert docs["a"].title == "A heading"
    assert docs["a"].text == "# A heading\nSome text."
    assert docs["b"].title is None and docs["b"].date is None and docs["b"].url is None


def test_empty_front_matter_block_is_allowed(tmp_path: Path) -> None:
    write(tmp_path, "a.md", "---\n---\nJust the body.\n")
    assert by_id(tmp_path)["a"].text == "Just the body."


def test_markdown_starting_with_a_brace_line_is_text_not_json_metadata(tmp_path: Path) -> None:
    """python-frontmatter would read this as JSON front matter and crash the whole load."""
    write(tmp_path, "a.md", '{\n"title": not json\n}\nBody.\n')
    loaded = load_corpus(tmp_path)
    assert loaded.warnings == []
    assert loaded.documents[0].title is None
    assert loaded.documents[0].text == '{\n"title": not json\n}\nBody.'


def test_text_file_is_taken_verbatim(tmp_path: Path) -> None:
    text = "  Title line\r\nBody with — unicode, “quotes” and trailing space  \n\n"
    write(tmp_path, "sub/note.txt", text)
    doc = by_id(tmp_path)["sub/note"]
    assert doc.text == text
    assert doc.title is None and doc.date is None and doc.url is None
    assert doc.source == "sub/note.txt"


def test_html_gives_text_title_canonical_url_and_date(tmp_path: Path) -> None:
    write(tmp_path, "page.html", """<!doctype html>
<html><head>
  <title>  The  Page Title </title>
  <link rel="canonical" href="https://example.org/page">
  <meta property="og:url" content="https://example.org/other">
  <meta property="article:published_time" content="2012-05-03">
  <style>p { color: red }</style>
</head><body>
  <script>var hidden = "never indexed";</script>
  <h1>Heading</h1>
  <p>A sentence with <a href="/x">a link</a>, <em>emphasis</em> and <b>bold</b> words.</p>
  <p>Second&nbsp;paragraph.<br>After a break.<br><br>A new paragraph.</p>
  <ul><li>One</li><li>Two</li></ul>
</body></html>
""")
    doc = by_id(tmp_path)["page"]
    assert doc.title == "The Page Title"
    assert doc.url == "https://example.org/page"  # canonical wins over og:url
    assert doc.date == "2012-05-03"
    assert doc.text.split("\n") == [
        "Heading",
        "A sentence with a link, emphasis and bold words.",  # inline tags do not break the line
        "Second paragraph. After a break.",  # one <br> is a space; two end the paragraph
        "A new paragraph.",
        "One",
        "Two",
    ]
    assert "never indexed" not in doc.text and "color" not in doc.text


def test_html_og_url_is_used_without_canonical(tmp_path: Path) -> None:
    write(tmp_path, "p.htm", '<html><head><meta property="og:url" content="https://e.org/p"></head>'
          "<body><h1>Only heading</h1><p>Text.</p></body></html>")
    doc = by_id(tmp_path)["p"]
    assert doc.url == "https://e.org/p"
    assert doc.title == "Only heading"


def test_jsonl_gives_one_document_per_line_with_the_record_id(tmp_path: Path) -> None:
    records = [
        {"id": "alpha", "text": "First post.", "title": "Alpha", "date": "2020-01-02", "url": "http://a"},
        {"id": 7, "text": "Second post, with a line separator\u2028inside its text."},
    ]
    write(tmp_path, "posts.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n\n")
    loaded = load_corpus(tmp_path)
    assert loaded.warnings == []
    docs = {d.id: d for d in loaded.documents}
    assert list(docs) == ["alpha", "7"]
    assert docs["alpha"].title == "Alpha" and docs["alpha"].date == "2020-01-02"
    assert docs["alpha"].url == "http://a" and docs["alpha"].source == "posts.jsonl:1"
    assert docs["7"].text == records[1]["text"]
    assert docs["7"].source == "posts.jsonl:2"


def test_a_single_file_can_be_the_corpus(tmp_path: Path) -> None:
    path = write(tmp_path, "all.jsonl", '{"id": "x", "text": "X."}\n{"id": "y", "text": "Y."}\n')
    write(tmp_path, "other.txt", "Not part of it.")
    assert [d.id for d in load_corpus(path).documents] == ["x", "y"]
    assert [d.id for d in load_corpus(tmp_path / "other.txt").documents] == ["other"]


def test_hidden_files_and_folders_are_ignored(tmp_path: Path) -> None:
    write(tmp_path, ".draft.md", "Hidden.")
    write(tmp_path, ".git/notes.txt", "Hidden too.")
    write(tmp_path, "visible.txt", "Shown.")
    loaded = load_corpus(tmp_path)
    assert [d.id for d in loaded.documents] == ["visible"]
    assert loaded.warnings == []


# --------------------------------------------------------------------------- bad files


def test_bad_files_are_skipped_with_a_warning_naming_them(tmp_path: Path) -> None:
    write(tmp_path, "good.md", "---\ntitle: Good\n---\nGood text.\n")
    write(tmp_path, "plain.txt", "Plain good text.\n")
    write(tmp_path, "binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(tmp_path, "undecodable.txt", b"caf\x81\x8d au lait \xff\xfe")  # neither UTF-8 nor Windows-1252
    write(tmp_path, "empty.txt", "")
    write(tmp_path, "blank.md", " \n\t\n")
    write(tmp_path, "no_body.md", "---\ntitle: Only metadata\n---\n")
    write(tmp_path, "script.html", "<html><body><script>x()</script></body></html>")
    write(tmp_path, "paper.pdf", b"%PDF-1.4")
    write(tmp_path, "README", "no suffix")

    loaded = load_corpus(tmp_path)
    assert sorted(d.source for d in loaded.documents) == ["good.md", "plain.txt"]
    # every bad file has exactly one warning, and it starts with the file's name
    named = {w.split(":")[0] for w in loaded.warnings}
    bad = {"binary.txt", "undecodable.txt", "empty.txt", "blank.md", "no_body.md", "script.html", "paper.pdf",
           "README"}
    assert named == bad
    assert len(loaded.warnings) == len(bad)
    reasons = {w.split(":")[0]: w for w in loaded.warnings}
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["undecodable.txt"] and "Windows-1252" in reasons["undecodable.txt"]
    assert "empty file" in reasons["empty.txt"] and "empty file" in reasons["blank.md"]
    assert "unsupported" in reasons["paper.pdf"] and ".pdf" in reasons["paper.pdf"]


def test_text_that_is_not_utf8_is_read_as_windows_1252_or_by_its_byte_order_mark(tmp_path: Path) -> None:
    post = "The council\u2019s \u201cco-operative\u201d plan costs \u00a35m \u2013 a caf\u00e9 too.\n"
    write(tmp_path, "windows.txt", post.encode("cp1252"))  # as Windows software of 2010 saved it
    write(tmp_path, "notepad.md", ("# Notepad\n\n" + post.replace("too", "also")).encode("utf-16"))
    write(tmp_path, "utf8.txt", "\ufeff" + post.replace("too", "as well"))  # UTF-8 with a BOM: no warning
    loaded = load_corpus(tmp_path)
    texts = {d.source: d.text for d in loaded.documents}
    assert texts["windows.txt"] == post and texts["utf8.txt"] == post.replace("too", "as well")
    assert texts["notepad.md"].endswith(post.replace("too", "also").rstrip())
    assert sorted(loaded.warnings) == ["notepad.md: not UTF-8; read as UTF-16",
                                       "windows.txt: not UTF-8; read as Windows-1252"]


def test_duplicate_ids_keep_the_first_file(tmp_path: Path) -> None:
    write(tmp_path, "post.md", "From markdown.")
    write(tmp_path, "post.txt", "From text.")
    loaded = load_corpus(tmp_path)
    assert [d.text for d in loaded.documents] == ["From markdown."]
    assert len(loaded.warnings) == 1
    assert loaded.warnings[0].startswith("post.txt") and "post.md" in loaded.warnings[0]


def test_bad_jsonl_lines_are_skipped_with_file_and_line(tmp_path: Path) -> None:
    lines = [
        '{"id": "a", "text": "Kept."}',  # 1
        '{"id": "b", "text": "Broken',  # 2: invalid JSON
        '["not", "an", "object"]',  # 3
        '{"text": "No id."}',  # 4
        '{"id": "c"}',  # 5: no text
        '{"id": "d", "text": "   "}',  # 6: blank text
        "",  # 7: blank lines are not records
        '{"id": "a", "text": "Duplicate id."}',  # 8
        '{"id": "e", "text": "Also kept."}',  # 9
    ]
    write(tmp_path, "feed.jsonl", "\n".join(lines))
    loaded = load_corpus(tmp_path)
    assert [(d.id, d.text) for d in loaded.documents] == [("a", "Kept."), ("e", "Also kept.")]
    where = sorted(w.split(": ")[0] for w in loaded.warnings)
    assert where == ["feed.jsonl:2", "feed.jsonl:3", "feed.jsonl:4", "feed.jsonl:5", "feed.jsonl:6",
                     "feed.jsonl:8"]


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(CorpusError, match="not found") as info:
        load_corpus(missing)
    assert str(missing) in str(info.value)


def test_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="No documents") as info:
        load_corpus(tmp_path)
    assert str(tmp_path) in str(info.value) and ".md" in str(info.value)


def test_folder_of_only_bad_files_is_an_error_that_counts_them(tmp_path: Path) -> None:
    write(tmp_path, "a.txt", "")
    write(tmp_path, "b.pdf", b"%PDF")
    with pytest.raises(CorpusError, match="2 files skipped"):
        load_corpus(tmp_path)


# --------------------------------------------------------------------------- hashing


def test_content_hash_covers_text_and_metadata() -> None:
    base = content_hash("text", "Title", "2020-01-01", "http://u")
    assert base == content_hash("text", "Title", "2020-01-01", "http://u")
    others = {content_hash("text!", "Title", "2020-01-01", "http://u"),
              content_hash("text", "Title 2", "2020-01-01", "http://u"),
              content_hash("text", "Title", "2020-01-02", "http://u"),
              content_hash("text", "Title", "2020-01-01", None),
              content_hash("text", None, "2020-01-01", "http://u")}
    assert base not in others and len(others) == 5


def test_same_post_in_two_folders_has_the_same_hash(tmp_path: Path) -> None:
    for folder in ("one", "two"):
        write(tmp_path / folder, "p.md", "---\ntitle: T\n---\nSame body.\n")
    assert by_id(tmp_path / "one")["p"].content_hash == by_id(tmp_path / "two")["p"].content_hash


# --------------------------------------------------------------------------- the real corpus


def test_real_corpus_loads_without_warnings(corpus_dir: Path) -> None:
    loaded = load_corpus(corpus_dir)
    assert loaded.warnings == []
    assert len(loaded.documents) == len(list(corpus_dir.glob("*.md"))) == 5


def test_real_corpus_front_matter_holds_only_title_date_url(corpus_dir: Path) -> None:
    for path in sorted(corpus_dir.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("---\n"), path.name
        front = text.split("---\n", 2)[1]
        meta = yaml.safe_load(front)
        assert isinstance(meta, dict) and meta, path.name
        assert set(meta) <= {"title", "date", "url"}, path.name


def test_real_corpus_bodies_are_the_original_posts_word_for_word(corpus_dir: Path) -> None:
    """Each post's body hashes to its original text as published (SHA-256 of the UTF-8 text, kept in
    tests/data/original_posts.sha256 in ``sha256sum`` format)."""
    docs = by_id(corpus_dir)
    originals: dict[str, str] = {}
    for line in ORIGINALS.read_text().splitlines():
        digest, name = line.split("  ", 1)
        originals[name] = digest
    assert {Path(name).stem for name in originals} == set(docs)
    for name, digest in originals.items():
        assert hashlib.sha256(docs[Path(name).stem].text.encode("utf-8")).hexdigest() == digest, name


# --------------------------------------------------------------------------- invisible-only files

INVISIBLE = {
    "zero_width.txt": "\u200b\u200b\n\u00a0\u00a0\n",  # zero-width and no-break spaces
    "boms.md": "\ufeff\ufeff\ufeff\n",  # the first BOM is read as the encoding mark, the rest stay
    "joiners.txt": "\u2060\u200c\u200d\u00ad\n",  # word joiner, ZWNJ, ZWJ, soft hyphen
    "controls.txt": "\x0b\x0c\x1c\x7f\u0085\u2028\u2029",  # control characters and separators
    "fillers.md": "\u3164 \u2800\u3000\n",  # Hangul filler, blank Braille, ideographic space
}


@pytest.mark.parametrize("name", sorted(INVISIBLE))
def test_a_file_of_only_invisible_characters_is_skipped_as_empty(tmp_path: Path, name: str) -> None:
    write(tmp_path, "post.txt", "A post with words.")
    write(tmp_path, name, INVISIBLE[name])
    loaded = load_corpus(tmp_path)
    assert [d.id for d in loaded.documents] == ["post"]
    assert len(loaded.warnings) == 1
    assert loaded.warnings[0].startswith(f"{name}: skipped, empty file")


def test_the_empty_file_warning_names_the_invisible_characters(tmp_path: Path) -> None:
    write(tmp_path, "post.txt", "Words.")
    write(tmp_path, "blank_note.txt", "\u200b\u200b\n\u00a0\u00a0\n")
    (warning,) = load_corpus(tmp_path).warnings
    assert "U+200B" in warning and "U+00A0" in warning


def test_invisible_only_text_inside_other_formats_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "post.txt", "Words.")
    write(tmp_path, "front.md", "---\ntitle: A title\n---\n\u200b\u00a0\n")
    write(tmp_path, "page.html", "<html><head><title>T</title></head><body><p>&#8203;&nbsp;</p>"
          "<div>\ufeff</div></body></html>")
    write(tmp_path, "feed.jsonl", '{"id": "a", "text": "\\u200b\\u00a0"}\n{"id": "b", "text": "Kept."}\n'
          '{"id": "\\u200b", "text": "No real id."}\n')
    loaded = load_corpus(tmp_path)
    assert sorted(d.id for d in loaded.documents) == ["b", "post"]
    reasons = dict(w.split(": ", 1) for w in loaded.warnings)
    assert reasons["front.md"] == "skipped, no text after the front matter"
    assert reasons["page.html"] == "skipped, no text in the HTML"
    assert reasons["feed.jsonl:1"].startswith("skipped, empty 'text'")
    assert reasons["feed.jsonl:3"] == "skipped, no 'id'"


def test_invisible_characters_inside_real_text_are_kept_verbatim(tmp_path: Path) -> None:
    text = "A post\u200b with a zero-width space.\n\u200b\nAnd an invisible line between.\n"
    write(tmp_path, "post.txt", text)
    write(tmp_path, "titled.md", "---\ntitle: \"\\u200b\"\n---\nBody.\n")
    docs = by_id(tmp_path)
    assert docs["post"].text == text
    assert docs["titled"].title is None  # an invisible title is no title


def test_html_text_loses_zero_width_characters_and_invisible_lines(tmp_path: Path) -> None:
    write(tmp_path, "p.html", "<p>Co&shy;operative&#8203; council</p><p>&#8203;</p><p>Next.</p>")
    assert by_id(tmp_path)["p"].text == "Cooperative council\nNext."


def test_a_file_of_only_rules_and_punctuation_is_skipped(tmp_path: Path) -> None:
    write(tmp_path, "post.txt", "Words.")
    write(tmp_path, "rule.md", "---\n")
    write(tmp_path, "dots.txt", "...\n* * *\n")
    loaded = load_corpus(tmp_path)
    assert [d.id for d in loaded.documents] == ["post"]
    assert "dots.txt: skipped, no words in the text" in loaded.warnings
    assert "rule.md: skipped, no words in the text" in loaded.warnings


# --------------------------------------------------------------------------- duplicate content


def test_identical_files_are_indexed_once_and_the_copies_named(tmp_path: Path) -> None:
    post = "---\ntitle: Public sector mutuals\n---\nLocal libraries should be run by local people.\n"
    write(tmp_path, "002_mutuals.md", post)
    write(tmp_path, "002_mutuals_copy.md", post)
    write(tmp_path, "archive/public-sector-mutuals.md", post)
    write(tmp_path, "001_other.md", "Another post.\n")
    loaded = load_corpus(tmp_path)
    assert [d.id for d in loaded.documents] == ["001_other", "002_mutuals"]
    assert sorted(loaded.warnings) == [
        "002_mutuals_copy.md: skipped, duplicate of 002_mutuals.md (same text)",
        "archive/public-sector-mutuals.md: skipped, duplicate of 002_mutuals.md (same text)",
    ]


def test_of_duplicates_the_shallowest_path_wins_then_path_order(tmp_path: Path) -> None:
    write(tmp_path, "a_archive/2010/post.md", "The same words.")
    write(tmp_path, "b_folder/post.md", "The same words.")
    write(tmp_path, "z_post.md", "The same words.")
    loaded = load_corpus(tmp_path)
    assert [d.source for d in loaded.documents] == ["z_post.md"]  # though it sorts last
    write(tmp_path, "z_post.md", "Now different words.")
    loaded = load_corpus(tmp_path)
    assert [d.source for d in loaded.documents] == ["b_folder/post.md", "z_post.md"]
    assert loaded.warnings == ["a_archive/2010/post.md: skipped, duplicate of b_folder/post.md (same text)"]


def test_duplicates_are_found_through_bom_line_endings_whitespace_and_format(tmp_path: Path) -> None:
    body = "First line of the post.\nSecond line,  with two spaces.\n"
    write(tmp_path, "a.md", body)
    write(tmp_path, "b.txt", "\ufeff" + body.replace("\n", "\r\n") + "\n\n")  # BOM, CRLF, trailing lines
    write(tmp_path, "c.md", "---\ntitle: With front matter\n---\n" + body.replace("  ", "\u00a0"))
    write(tmp_path, "d.txt", body.replace("post", "post\u200b"))
    write(tmp_path, "e.html", "<p>First line of the post.</p><p>Second line, with two spaces.</p>")
    write(tmp_path, "f.txt", body.replace("Second", "Third"))  # a different text
    loaded = load_corpus(tmp_path)
    assert [d.id for d in loaded.documents] == ["a", "f"]
    assert sorted(w.split(":")[0] for w in loaded.warnings) == ["b.txt", "c.md", "d.txt", "e.html"]
    assert all("duplicate of a.md" in w for w in loaded.warnings)


def test_a_jsonl_record_repeating_a_post_is_a_duplicate_named_by_line(tmp_path: Path) -> None:
    write(tmp_path, "post.md", "The same words.\n")
    write(tmp_path, "feeds/feed.jsonl", '{"id": "x", "text": "Other words."}\n'
          '{"id": "y", "text": "The same words."}\n{"id": "z", "text": "Other  words."}\n')
    loaded = load_corpus(tmp_path)
    assert [d.id for d in loaded.documents] == ["x", "post"]  # path order
    assert sorted(loaded.warnings) == [
        "feeds/feed.jsonl:2: skipped, duplicate of post.md (same text)",
        "feeds/feed.jsonl:3: skipped, duplicate of feeds/feed.jsonl:1 (same text)",
    ]


def test_the_format_characters_ignored_in_duplicates_are_unicodes_cf_category() -> None:
    import unicodedata

    from rag.corpus import FORMAT_CHARACTERS

    every = "".join(map(chr, range(0x110000)))
    listed = set(FORMAT_CHARACTERS.findall(every))
    assert {ch for ch in every if unicodedata.category(ch) == "Cf"} <= listed
    # a Python with an older Unicode database knows some of them as unassigned
    assert {unicodedata.category(ch) for ch in listed} <= {"Cf", "Cn"}


# --------------------------------------------------------------------------- symbolic links


def link(path: Path, target: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink(target, path)
    except (OSError, NotImplementedError) as exc:  # e.g. Windows without the privilege
        pytest.skip(f"cannot make symbolic links here: {exc}")


def test_a_linked_folder_outside_the_corpus_is_indexed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus, "001.md", "A post.")
    write(tmp_path / "elsewhere/care", "pelham.md", "---\ntitle: Pelham\n---\nEmploys 85 nurses.\n")
    write(tmp_path / "elsewhere/care/deeper", "more.txt", "A deeper post.")
    link(corpus / "care", "../elsewhere/care")
    loaded = load_corpus(corpus)
    docs = {d.id: d for d in loaded.documents}
    assert list(docs) == ["001", "care/deeper/more", "care/pelham"]
    assert docs["care/pelham"].source == "care/pelham.md" and docs["care/pelham"].title == "Pelham"
    assert loaded.warnings == []


def test_a_broken_link_is_skipped_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "001.md", "A post.")
    link(tmp_path / "gone.md", "../elsewhere/gone.md")
    link(tmp_path / "sub/gone_folder", "/nonexistent/folder")
    loaded = load_corpus(tmp_path)
    assert [d.id for d in loaded.documents] == ["001"]
    assert sorted(loaded.warnings) == [
        "gone.md: skipped, broken symbolic link (to ../elsewhere/gone.md)",
        "sub/gone_folder: skipped, broken symbolic link (to /nonexistent/folder)",
    ]


def test_link_loops_are_skipped_with_a_warning(tmp_path: Path) -> None:
    write(tmp_path, "posts/001.md", "A post.")
    link(tmp_path / "posts/up", "..")  # to the corpus itself, from inside it
    link(tmp_path / "self", ".")
    link(tmp_path / "a", "b")  # two links to each other
    link(tmp_path / "b", "a")
    loaded = load_corpus(tmp_path)
    assert [d.id for d in loaded.documents] == ["posts/001"]
    reasons = dict(w.split(": ", 1) for w in loaded.warnings)
    assert set(reasons) == {"posts/up", "self", "a", "b"}
    assert all(r.startswith("skipped, symbolic link loop") for r in reasons.values())


def test_a_link_to_an_ancestor_outside_the_corpus_is_a_loop(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus, "001.md", "A post.")
    write(tmp_path / "outside", "other.md", "Outside post.")
    link(tmp_path / "outside/back", "../corpus")  # outside/back leads back into the corpus
    link(corpus / "parent", "..")
    link(corpus / "out", "../outside")
    loaded = load_corpus(corpus)
    assert [d.id for d in loaded.documents] == ["001", "out/other"]
    assert sorted(loaded.warnings) == [
        "out/back: skipped, symbolic link loop (to a folder holding it)",
        "parent: skipped, symbolic link loop (to a folder holding it)",
    ]


def test_a_file_reached_twice_is_indexed_once_by_its_plainest_path(tmp_path: Path) -> None:
    write(tmp_path, "posts/2012/post.md", "The post.")
    write(tmp_path / "../shared", "note.md", "A shared note.")
    link(tmp_path / "a_latest.md", "posts/2012/post.md")  # sorts before the real file
    link(tmp_path / "a_posts", "posts")  # the whole folder again
    link(tmp_path / "notes1", "../shared")
    link(tmp_path / "posts/notes2", "../../shared")
    loaded = load_corpus(tmp_path)
    assert [d.source for d in loaded.documents] == ["notes1/note.md", "posts/2012/post.md"]
    assert sorted(loaded.warnings) == [
        "a_latest.md: skipped, the same file as posts/2012/post.md (symbolic link)",
        "a_posts: skipped, the same folder as posts (symbolic link)",
        "posts/notes2: skipped, the same folder as notes1 (symbolic link)",
    ]


def test_a_linked_file_outside_the_corpus_is_indexed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    write(corpus, "001.md", "A post.")
    write(tmp_path, "elsewhere/linked.md", "Linked post.")
    link(corpus / "linked.md", "../elsewhere/linked.md")
    assert [d.id for d in load_corpus(corpus).documents] == ["001", "linked"]


def test_a_hidden_link_is_ignored(tmp_path: Path) -> None:
    write(tmp_path, "001.md", "A post.")
    link(tmp_path / ".cache", "/nonexistent")
    loaded = load_corpus(tmp_path)
    assert [d.id for d in loaded.documents] == ["001"] and loaded.warnings == []


# --------------------------------------------------------------------------- HTML tables and breaks

POOLS = """<html><head><title>Harwich pools in numbers</title></head>
<body><p>The leisure trust published visitor numbers for its pools.</p>
<table>
<tr><th>Pool</th><th>Visits per year</th><th>Opened</th></tr>
<tr><td>Dovercourt pool</td><td>120,000</td><td>1974</td></tr>
<tr><td>Quayside pool</td><td>45,000</td><td>1988</td></tr>
</table></body></html>
"""


def test_an_html_table_row_is_one_line_pairing_each_cell_with_its_header(tmp_path: Path) -> None:
    write(tmp_path, "pools.html", POOLS)
    doc = by_id(tmp_path)["pools"]
    assert doc.text.split("\n") == [
        "The leisure trust published visitor numbers for its pools.",
        "Pool: Dovercourt pool; Visits per year: 120,000; Opened: 1974",
        "Pool: Quayside pool; Visits per year: 45,000; Opened: 1988",
    ]
    # each row is one sentence, so no quote can join one row's label to another row's value
    sentences = [doc.text[s.start:s.end] for s in split_sentences(doc.text)]
    assert "Pool: Quayside pool; Visits per year: 45,000; Opened: 1988" in sentences
    assert not any("1974" in s and "Quayside" in s for s in sentences)


def test_html_table_with_thead_caption_row_headers_and_empty_cells(tmp_path: Path) -> None:
    write(tmp_path, "t.html", """<table><caption>Pools in 2011</caption>
<thead><tr><th></th><th>Visits</th><th>Opened</th></tr></thead>
<tbody><tr><th scope="row">Dovercourt</th><td>120,000</td><td>1974</td></tr>
<tr><td>Quayside</td><td> </td><td>1988</td></tr></tbody></table>""")
    assert by_id(tmp_path)["t"].text.split("\n") == [
        "Pools in 2011",
        "Dovercourt; Visits: 120,000; Opened: 1974",
        "Quayside; Opened: 1988",
    ]


def test_html_table_spans_put_each_value_under_its_headers(tmp_path: Path) -> None:
    write(tmp_path, "t.html", """<table>
<tr><th rowspan="2">Pool</th><th colspan="2">Visits</th></tr><tr><th>2010</th><th>2011</th></tr>
<tr><td rowspan="2">Dovercourt</td><td>100</td><td>120</td></tr><tr><td>5</td><td>6</td></tr>
<tr><td colspan="3">Closed pools</td></tr>
<tr><td colspan="bad">Harbour</td><td rowspan="-1">7</td></tr></table>""")
    assert by_id(tmp_path)["t"].text.split("\n") == [
        "Pool: Dovercourt; Visits / 2010: 100; Visits / 2011: 120",
        "Pool: Dovercourt; Visits / 2010: 5; Visits / 2011: 6",
        "Closed pools",  # a cell across columns of different headers gets no label
        "Pool: Harbour; Visits / 2010: 7",
    ]


def test_html_table_without_header_keeps_each_row_on_one_line(tmp_path: Path) -> None:
    write(tmp_path, "t.html", "<table><tr><td>Dovercourt</td><td>1974</td></tr>"
          "<tr><td>Quayside</td><td>1988</td></tr></table>")
    assert by_id(tmp_path)["t"].text.split("\n") == ["Dovercourt | 1974", "Quayside | 1988"]


def test_html_layout_tables_keep_their_cells_as_blocks(tmp_path: Path) -> None:
    write(tmp_path, "t.html", """<table><tr>
<td><p>First paragraph of the post.</p><p>Second paragraph.</p></td>
<td><table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table><ul><li>Menu</li></ul></td>
</tr></table>""")
    assert by_id(tmp_path)["t"].text.split("\n") == [
        "First paragraph of the post.", "Second paragraph.", "A: 1; B: 2", "Menu"]


def test_html_br_inside_a_sentence_does_not_end_it(tmp_path: Path) -> None:
    write(tmp_path, "p.html", "<p>The trust was created by employees of the council<br>in September 2011."
          "</p><p>One.<br><br>Two.<br> <br/>\n<br>Three.</p>")
    doc = by_id(tmp_path)["p"]
    assert doc.text.split("\n") == [
        "The trust was created by employees of the council in September 2011.", "One.", "Two.", "Three."]
    assert doc.text[split_sentences(doc.text)[0].start:split_sentences(doc.text)[0].end] == (
        "The trust was created by employees of the council in September 2011.")


def test_markdown_pipe_table_rows_stay_lines_of_their_own(tmp_path: Path) -> None:
    """Markdown is taken verbatim: each table row is already one line, hence one sentence."""
    table = ("| Pool | Visits per year | Opened |\n| --- | --- | --- |\n"
             "| Dovercourt pool | 120,000 | 1974 |\n| Quayside pool | 45,000 | 1988 |")
    write(tmp_path, "pools.md", f"The trust published numbers.\n\n{table}\n")
    doc = by_id(tmp_path)["pools"]
    assert doc.text == f"The trust published numbers.\n\n{table}"
    sentences = [doc.text[s.start:s.end] for s in split_sentences(doc.text)]
    assert "| Quayside pool | 45,000 | 1988 |" in sentences


# --------------------------------------------------------------------------- front matter


BANNER = """---
**UNISON Eastfield Branch**
Branch Secretary: A. Member
---

Dear Councillor,

The branch will oppose the transfer of the Eastfield home care service.
"""


def test_a_post_opening_with_a_banner_between_rules_is_read_as_text(tmp_path: Path) -> None:
    write(tmp_path, "letter.md", BANNER)
    loaded = load_corpus(tmp_path)
    (doc,) = loaded.documents
    assert doc.text == BANNER.strip() and doc.title is None
    assert loaded.warnings == [
        "letter.md:2: front matter is not key: value pairs (did not find expected alphabetic or "
        "numeric character); read as text"]


@pytest.mark.parametrize(("block", "why"), [
    ("Branch Secretary: A. Member", "no known key ('Branch Secretary')"),  # valid YAML, but no metadata
    ("- first point\n- second point", "not key: value pairs"),  # a list
    ("Just a line of prose between two rules.", "not key: value pairs"),  # a string
    ("A banner: with: colons\n[and brackets", "not key: value pairs"),  # not YAML, not key: value
])
def test_a_dashed_block_that_is_not_metadata_stays_in_the_text(tmp_path: Path, block: str, why: str) -> None:
    text = f"---\n{block}\n---\nThe body.\n"
    write(tmp_path, "post.md", text)
    loaded = load_corpus(tmp_path)
    assert [d.text for d in loaded.documents] == [text.strip()]
    (warning,) = loaded.warnings
    assert warning.startswith("post.md") and why in warning and warning.endswith("read as text")


def test_an_unclosed_dashed_line_is_a_rule_not_front_matter(tmp_path: Path) -> None:
    text = '---\ntitle: "No end"\nBody without a closing line.\n'
    write(tmp_path, "post.md", text)
    loaded = load_corpus(tmp_path)
    assert [d.text for d in loaded.documents] == [text.strip()]
    assert loaded.warnings == ["post.md: the opening '---' has no closing '---' line; "
                               "read as text, without front matter"]


def test_front_matter_that_is_not_yaml_is_read_line_by_line(tmp_path: Path) -> None:
    write(tmp_path, "post.md", "\n---\ntitle: Mutuals: the next step\ndate: 2012-01-05\n"
          "url: 'http://example.org/next'\n---\nThe body.\n")
    loaded = load_corpus(tmp_path)
    (doc,) = loaded.documents
    assert (doc.title, doc.date, doc.url, doc.text) == (
        "Mutuals: the next step", "2012-01-05", "http://example.org/next", "The body.")
    (warning,) = loaded.warnings
    assert warning.startswith("post.md:3: front matter is not valid YAML")  # the file's line 3
    assert warning.endswith("read line by line as 'key: value'")


def test_front_matter_keys_are_read_whatever_their_case(tmp_path: Path) -> None:
    write(tmp_path, "post.md", "---\nTitle: Capital Title\nDate: 2011-02-03\nURL: http://e.org/caps\n"
          "title: second spelling\n---\nThe body.\n")
    loaded = load_corpus(tmp_path)
    (doc,) = loaded.documents
    assert (doc.title, doc.date, doc.url) == ("Capital Title", "2011-02-03", "http://e.org/caps")
    assert loaded.warnings == []


def test_quoted_colons_in_front_matter_need_no_recovery(tmp_path: Path) -> None:
    write(tmp_path, "post.md", "---\ntitle: 'Mutuals: the next step'\n---\nThe body.\n")
    loaded = load_corpus(tmp_path)
    assert loaded.documents[0].title == "Mutuals: the next step" and loaded.warnings == []
