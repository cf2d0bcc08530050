"""Loading posts: every supported format, and every kind of bad file skipped with a warning.

Nothing here loads the embedding model: loading a corpus must stay cheap, because a no-op
``rag index`` does only this and a hash comparison.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from rag.corpus import content_hash, load_corpus
from rag.errors import CorpusError

SHARED_CORPUS = Path("/work/shared/corpus")


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
  <p>Second&nbsp;paragraph.<br>After a break.</p>
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
        "Second paragraph.",
        "After a break.",
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
    write(tmp_path, "latin1.txt", "café au lait".encode("latin-1"))
    write(tmp_path, "empty.txt", "")
    write(tmp_path, "blank.md", " \n\t\n")
    write(tmp_path, "bad_yaml.md", "---\ntitle: [unclosed\n---\nBody.\n")
    write(tmp_path, "unclosed.md", '---\ntitle: "No end"\nBody without a closing line.\n')
    write(tmp_path, "list_yaml.md", "---\n- a\n- b\n---\nBody.\n")
    write(tmp_path, "no_body.md", "---\ntitle: Only metadata\n---\n")
    write(tmp_path, "script.html", "<html><body><script>x()</script></body></html>")
    write(tmp_path, "paper.pdf", b"%PDF-1.4")
    write(tmp_path, "README", "no suffix")

    loaded = load_corpus(tmp_path)
    assert sorted(d.source for d in loaded.documents) == ["good.md", "plain.txt"]
    # every bad file has exactly one warning, and it starts with the file's name
    named = {w.split(":")[0] for w in loaded.warnings}
    bad = {"binary.txt", "latin1.txt", "empty.txt", "blank.md", "bad_yaml.md", "unclosed.md",
           "list_yaml.md", "no_body.md", "script.html", "paper.pdf", "README"}
    assert named == bad
    assert len(loaded.warnings) == len(bad)
    reasons = {w.split(":")[0]: w for w in loaded.warnings}
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["blank.md"]
    for name in ("bad_yaml.md", "unclosed.md", "list_yaml.md"):
        assert "malformed front matter" in reasons[name]
    assert "unsupported" in reasons["paper.pdf"] and ".pdf" in reasons["paper.pdf"]


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


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="the original posts are not available here")
def test_real_corpus_bodies_are_the_original_posts_word_for_word(corpus_dir: Path) -> None:
    docs = by_id(corpus_dir)
    originals = sorted(SHARED_CORPUS.glob("*.txt"))
    assert {p.stem for p in originals} == set(docs)
    for original in originals:
        assert docs[original.stem].text == original.read_text(encoding="utf-8"), original.name
