"""The regression cases of ``tests/cases``, replayed end to end with the real model and FAISS.

Each case folder is materialised in a temporary folder (its own files, the shipped posts it
lists, the symbolic links it asks for), indexed once, and every question of its ``case.json``
is asked and checked field by field; see ``tests/cases/README.md`` for the fields.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CORPUS

CASES = Path(__file__).resolve().parent / "cases"

KNOWN_FAILING: dict[str, str] = {
    # "<case folder>/q<n>": why it still fails. Expected failures (not strict): remove an entry
    # once the answering gets it right. The loader cases (03, 04, 08, 09, 12) must never be here.
}

LOADER_CASES = ("03-", "04-", "08-", "09-", "12-")


def load_spec(case: str) -> dict[str, Any]:
    return json.loads((CASES / case / "case.json").read_text(encoding="utf-8"))


def case_names() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "case.json").is_file())


def question_params() -> list[Any]:
    params = []
    for case in case_names():
        for n, _ in enumerate(load_spec(case).get("questions", ()), start=1):
            name = f"{case}/q{n}"
            known = KNOWN_FAILING.get(name)
            marks = [pytest.mark.xfail(reason=known, strict=False)] if known else []
            params.append(pytest.param(case, n - 1, id=name, marks=marks))
    return params


# --------------------------------------------------------------------------- building a case


def materialise(case: str, dest: Path) -> Path:
    """The case folder rebuilt in ``dest``: its own files, the shipped posts copied from the
    project's corpus, its links made; returns the corpus folder."""
    spec = load_spec(case)
    shutil.copytree(CASES / case, dest, ignore=shutil.ignore_patterns("CASE.md", "case.json"))
    for rel, post in spec.get("shipped", {}).items():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / post, dest / rel)
    for item in spec.get("symlinks", ()):
        (dest / item["link"]).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(item["target"], dest / item["link"])
    (dest / "corpus").mkdir(exist_ok=True)
    return dest / "corpus"


@dataclass
class Built:
    report: Any  # IndexReport
    rag: Any  # RAG

    def documents(self) -> list[Any]:
        return [self.rag.document(doc_id) for doc_id in self.rag.index.document_hashes()]


@pytest.fixture(scope="module")
def build_case(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Callable[[str], Built]:
    """Each case indexed once per module, with the session's loaded model."""
    from rag.index import Index, IndexBuilder
    from rag.pipeline import RAG
    from rag.settings import Settings

    built: dict[str, Built] = {}

    def get(case: str) -> Built:
        if case not in built:
            root = tmp_path_factory.mktemp(case[:2])
            corpus = materialise(case, root / "case")
            settings = Settings(corpus_dir=corpus, index_dir=root / "index")
            report = IndexBuilder(settings, embedder=embedder).run()
            index = Index.open(root / "index")
            built[case] = Built(report, RAG(index, index.settings, embedder=embedder))
        return built[case]

    return get


# --------------------------------------------------------------------------- checking


def norm(text: str) -> str:
    """Case, whitespace and typographic quotes ignored, as the cases compare phrases."""
    text = text.translate(str.maketrans("‘’‚‛′“”„‟″", "''''\"\"\"\"\"\""))
    return " ".join(text.lower().split())


def names(doc: Any, entry: str) -> bool:
    """An entry names a document when its id or source path contains it, ignoring case."""
    entry = entry.lower()
    return entry in doc.id.lower() or entry in (doc.source or "").lower()


def repeated_texts(texts: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for text in map(norm, texts):
        if text in seen:
            repeated.append(text[:60])
        seen.add(text)
    return repeated


def problems(spec: dict[str, Any], question: str, answer: Any, built: Built) -> list[str]:
    """What in ``answer`` breaks the expectations of ``spec`` (one question, or one alternative)."""
    out: list[str] = []
    quotes = [norm(c.quote) for c in answer.citations]
    cited = {c.doc_id: built.rag.document(c.doc_id) for c in answer.citations}
    if "expect" in spec and answer.found != (spec["expect"] == "answer"):
        out.append(f"expected {spec['expect']!r}, got found={answer.found}")
    for phrase in spec.get("quotes_contain_all", ()):
        if not any(norm(phrase) in q for q in quotes):
            out.append(f"no quote holds {phrase!r}")
    if "quotes_contain_any" in spec and not any(
            norm(p) in q for p in spec["quotes_contain_any"] for q in quotes):
        out.append(f"no quote holds any of {spec['quotes_contain_any']!r}")
    for entry in spec.get("cited_docs_all", ()):
        if not any(names(doc, entry) for doc in cited.values()):
            out.append(f"{entry!r} is not cited")
    for entry in spec.get("cited_docs_none", ()):
        if any(names(doc, entry) for doc in cited.values()):
            out.append(f"{entry!r} is cited")
    if len(cited) < spec.get("min_citing_docs", 0):
        out.append(f"quotes come from {len(cited)} documents, fewer than {spec['min_citing_docs']}")
    if spec.get("distinct_passages"):
        if twice := repeated_texts(p.text for p in answer.passages):
            out.append(f"the answer's passages repeat {twice}")
        if twice := repeated_texts(p.text for p in built.rag.retrieve(question)):
            out.append(f"retrieve() repeats {twice}")
    if "any_of" in spec:
        tried = [problems(alt, question, answer, built) for alt in spec["any_of"]]
        if all(tried):
            out.append("none of the alternatives holds: " + " / ".join("; ".join(t) for t in tried))
    return out


def describe(answer: Any) -> str:
    cites = "\n".join(f"  [{c.marker}] {c.doc_id}: {c.quote!r}" for c in answer.citations)
    return f"found={answer.found}\n{answer.text}\n{cites}"


# --------------------------------------------------------------------------- the tests


@pytest.mark.unit
def test_known_failures_name_real_questions_of_answering_cases() -> None:
    """The list of expected failures stays honest: real questions, never a loader case."""
    real = {p.id for p in question_params()}
    assert set(KNOWN_FAILING) <= real
    assert not [name for name in KNOWN_FAILING if name.startswith(LOADER_CASES)]


@pytest.mark.unit
def test_shipped_posts_exist_and_case_files_do_not_copy_them() -> None:
    posts = {p.read_bytes(): p.name for p in CORPUS.glob("*.md")}
    for case in case_names():
        for post in load_spec(case).get("shipped", {}).values():
            assert (CORPUS / post).is_file(), f"{case}: {post} is not a shipped post"
        for path in (CASES / case).rglob("*"):
            if path.is_file() and path.name not in ("CASE.md", "case.json"):
                assert path.read_bytes() not in posts, f"{path} copies {posts.get(path.read_bytes())}"


INDEX_FIELDS = {"indexed", "not_indexed", "warned"}


@pytest.mark.integration
@pytest.mark.parametrize("case", [c for c in case_names() if INDEX_FIELDS & set(load_spec(c))])
def test_case_index(case: str, build_case: Callable[[str], Built]) -> None:
    spec, built = load_spec(case), build_case(case)
    docs = built.documents()
    listing = [f"{d.id} ({d.source})" for d in docs]
    for entry in spec.get("indexed", ()):
        assert any(names(d, entry) for d in docs), f"{entry!r} is not indexed: {listing}"
    for entry in spec.get("not_indexed", ()):
        assert not any(names(d, entry) for d in docs), f"{entry!r} is indexed: {listing}"
    for entry in spec.get("warned", ()):
        assert any(entry.lower() in w.lower() for w in built.report.skipped), (
            f"no warning names {entry!r}: {built.report.skipped}")


@pytest.mark.integration
@pytest.mark.parametrize(("case", "number"), question_params())
def test_case_question(case: str, number: int, build_case: Callable[[str], Built]) -> None:
    spec = load_spec(case)["questions"][number]
    built = build_case(case)
    answer = built.rag.answer(spec["question"], history=spec.get("history"))
    for c in answer.citations:
        text = built.rag.document(c.doc_id).text
        assert text[c.start:c.end] == c.quote, f"[{c.marker}] is not the text at {c.start}:{c.end}"
    found = problems(spec, spec["question"], answer, built)
    assert not found, f"{spec['question']!r}: " + "; ".join(found) + "\n" + describe(answer)


# --------------------------------------------------------------------------- beyond case 04's files

SHARED = (
    "The council will transfer its libraries and swimming pools to a mutual owned by the staff who "
    "run them and the people who use them. Each member will have one vote at the annual meeting. "
    "The mutual will keep every branch library open for at least five more years. Any surplus will "
    "be spent on the service and never paid out to investors. The council keeps the buildings and "
    "leases them to the mutual at a nominal rent. Staff keep their pay and pension terms under the "
    "transfer rules. Users elect a third of the board each year."
)


@pytest.mark.integration
def test_the_same_paragraph_in_two_posts_takes_one_passage(tmp_path: Path, embedder: Any) -> None:
    """Two different posts quoting the same paragraph (so loading keeps both) give one passage."""
    from rag.index import Index, IndexBuilder
    from rag.pipeline import RAG
    from rag.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "plan.md").write_text(SHARED + "\n", encoding="utf-8")
    # replies too long to share a chunk with the paragraph, so that it is a chunk of its own
    more = " ".join(f"Reply number {i} said that the plan for the mutual had been discussed at great "
                    "length in the council chamber by councillors from every party, by the trade union "
                    "branch, by the friends of the libraries, by the swimming clubs and by residents at "
                    "three public meetings held in the town hall over the winter, and that the final vote "
                    "on the transfer had been postponed until the spring so that more people could say "
                    "what they thought of it." for i in range(3))
    (corpus / "reply.md").write_text(f"{SHARED}\n\n{more}\n", encoding="utf-8")
    IndexBuilder(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embedder=embedder).run()
    index = Index.open(tmp_path / "index")
    rag = RAG(index, index.settings, embedder=embedder)
    every = index.passages(list(range(index.chunk_count)), [0.0] * index.chunk_count)
    assert repeated_texts(p.text for p in every), "the setup should hold one chunk text twice"

    question = "Who will own the libraries and swimming pools after the transfer?"
    passages = rag.retrieve(question, k=3)
    assert len(passages) == 3 and not repeated_texts(p.text for p in passages)
    assert norm(passages[0].text) == norm(SHARED)
    assert not repeated_texts(p.text for p in rag.answer(question).passages)


@pytest.mark.unit
def test_distinct_passages_skips_repeats_across_batches() -> None:
    from rag.retrieval import distinct_passages
    from rag.types import Passage

    texts = ["a  b", "a b", "c", "a\nb", "c", "d", "e"]

    class Rows:
        def passages(self, rows: list[int], scores: list[float]) -> list[Passage]:
            return [Passage(doc_id=str(r), title=None, text=texts[r], start=0, end=1, score=s)
                    for r, s in zip(rows, scores, strict=True)]

    fused = [(r, 1.0 / (r + 1)) for r in range(len(texts))]
    got = distinct_passages(Rows(), fused, 3)  # type: ignore[arg-type]
    assert [p.doc_id for p in got] == ["0", "2", "5"]
    assert [p.doc_id for p in distinct_passages(Rows(), fused, 10)] == ["0", "2", "5", "6"]  # type: ignore[arg-type]
    assert distinct_passages(Rows(), fused, 0) == []  # type: ignore[arg-type]
