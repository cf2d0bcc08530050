"""The chat app over the real index: real answers of every kind rendered with each quote once and
its own source, and the real server: the ``/answer`` endpoint works with the official gradio_client,
also under concurrency, and the server exposes nothing else."""

from __future__ import annotations

import html
import json
import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from rag import app
from tests.test_app import _as_shown, _assert_inert, _parse, _quote_blocks, _run, _unescaped
from tests.test_app_support import (
    LIBRARIES_QUESTION,
    LIBRARIES_QUOTE,
    LIBRARIES_URL,
    ROOT,
    XSS_FILE,
    XSS_IMG,
    XSS_QUESTION,
    XSS_SCRIPT,
    XSS_TITLE,
    AppServer,
    shared_app_server,
)

pytestmark = pytest.mark.integration

# the first eight keys since the first release, the structured answer's since
ANSWER_KEYS = {"question", "text", "found", "backend", "citations", "passages", "unverified", "notice",
               "kind", "lead", "sections", "missing", "scope", "confidence"}


@pytest.fixture(scope="session")
def app_server(request, tmp_path_factory, embedder) -> AppServer:
    return shared_app_server(request, tmp_path_factory, embedder)


@pytest.fixture(scope="session")
def client(app_server):
    from gradio_client import Client

    return Client(app_server.url, verbose=False)


# -- real answers from the real index


READER_QUESTIONS = [
    "How many co-operative trust schools were set up?",
    LIBRARIES_QUESTION,
    "What did the Labour pledge say about protecting frontline services?",
    "Which council's approach was nicknamed EasyCouncil?",
    "Why are some councillors sceptical about mutualisation?",
    "What are the perils of mutuals?",
    "What is co-production?",
    "Who is Francis Maude?",
    "What did George Osborne say about public sector workers?",
    "Compare the Conservative and Labour views on mutuals.",
    "Summarise the post Mutual suspicion.",
    "What did Tessa Jowell say?",
    "What did Ed Miliband say about mutuals?",
    "When was the post about the perils of mutuals published?",
    "How many NHS Foundation Trusts did Labour establish?",
    "What is a Tenant Management Organisation?",
    "Why do unions oppose mutualisation?",
    "What is the boiling point of liquid nitrogen on Mars in kelvin?",
]


@pytest.mark.parametrize("question", READER_QUESTIONS)
def test_real_answers_show_each_quote_once_in_order_with_its_own_source(rag_obj, question):
    answer = rag_obj.answer(question)
    out = app.answer_markdown(answer, 1)
    view = app.sources_html(answer, 1, rag_obj.document)
    _assert_inert(view)
    blocks = _quote_blocks(out)
    assert len(blocks) == len(answer.citations)  # no quote shown twice, none left out
    for c in answer.citations:
        assert blocks.get(c.marker) == _as_shown(c.quote)  # whole, paragraph breaks and all
        assert f'id="{app.source_anchor(1, c.marker)}"' in view
        assert f"<mark>{html.escape(c.quote, quote=True)}</mark>" in view
    order = [m for s in app._sections(answer) for m in s.markers]
    assert list(blocks) == order
    shown = _unescaped(out)
    ids = rag_obj.current_index().document_ids()
    assert not any(doc_id in out or doc_id in view for doc_id in ids)
    assert ".md" not in shown and ".md" not in "".join(_parse(view).text)
    if not answer.found:
        assert "No answer found in the posts." in out and ("rag-not-found" in view or not answer.passages)


def test_an_unreachable_language_model_falls_back_and_says_so(rag_obj, built_index, embedder):
    from rag.index import Index
    from rag.pipeline import RAG

    index = Index.open(built_index)
    settings = index.settings.with_overrides(llm_base_url="http://127.0.0.1:9/v1", llm_model="m",
                                             llm_max_retries=0, llm_timeout=5)
    rag = RAG(index, settings, embedder=embedder)
    chat, *_ = _run(rag, LIBRARIES_QUESTION, backend="openai")[-1]
    assert chat[1]["content"].startswith("ℹ️ ") and "extractive answer" in chat[1]["content"]
    assert LIBRARIES_QUOTE in chat[1]["content"] and "rag-sources" in chat[2]["content"]


# -- the real server, through the official client


def test_api_answer_returns_the_answer_as_json(client, app_server):
    result = client.predict(LIBRARIES_QUESTION, api_name="/answer")
    assert set(result) == ANSWER_KEYS
    json.dumps(result)  # plain JSON all the way down
    assert result["question"] == LIBRARIES_QUESTION and result["found"] is True
    assert result["backend"] == "extractive" and result["unverified"] == [] and result["notice"] is None
    assert result["citations"] and result["passages"]
    first = result["citations"][0]
    assert LIBRARIES_QUOTE in first["quote"] and first["url"] == LIBRARIES_URL
    for c in result["citations"]:
        assert app_server.rag.document(c["doc_id"]).text[c["start"]:c["end"]] == c["quote"]
        assert f"[{c['marker']}]" in result["text"]


def test_api_answer_matches_the_core(client, app_server):
    assert client.predict(XSS_QUESTION, api_name="/answer") == app_server.rag.answer(XSS_QUESTION).to_dict()


def test_api_keeps_corpus_text_as_data(client):
    result = client.predict(XSS_QUESTION, api_name="/answer")
    cited = result["citations"][0]
    assert cited["source"] == XSS_FILE and cited["title"] == XSS_TITLE
    assert XSS_IMG in cited["quote"] and XSS_SCRIPT in cited["quote"]  # verbatim, not stripped


def test_eight_concurrent_clients_are_all_answered_correctly(app_server):
    from gradio_client import Client

    questions = [LIBRARIES_QUESTION, XSS_QUESTION,
                 "What did the Labour pledge say about protecting frontline services?",
                 "Why are some councillors sceptical about mutualisation?"] * 2
    expected = {q: app_server.rag.answer(q).to_dict() for q in set(questions)}

    def ask(question: str) -> dict:
        return Client(app_server.url, verbose=False).predict(question, api_name="/answer")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(ask, questions))
    assert results == [expected[q] for q in questions]


def test_api_empty_question_is_a_clear_error_and_the_app_keeps_working(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="the question is empty"):
        client.predict("   ", api_name="/answer")
    assert client.predict(LIBRARIES_QUESTION, api_name="/answer")["found"] is True


def test_api_refuses_a_question_over_the_limit_instead_of_cutting_it(client, app_server):
    from gradio_client.exceptions import AppError

    limit = app_server.rag.settings.max_question_chars
    question = " ".join([LIBRARIES_QUESTION] * (limit // len(LIBRARIES_QUESTION) + 1))
    refusal = rf"too long \({len(question):,} characters\): please ask it in at most {limit:,} characters"
    with pytest.raises(AppError, match=refusal):
        client.predict(question, api_name="/answer")


def test_api_user_errors_are_logged_as_one_line_without_a_traceback(client, caplog, capfd):
    from gradio_client.exceptions import AppError

    capfd.readouterr()
    with caplog.at_level(logging.WARNING, logger="rag.app"):
        for question in ("   ", "x" * 5000):
            with pytest.raises(AppError):
                client.predict(question, api_name="/answer")
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    lines = [r for r in caplog.records if r.name == "rag.app"]
    assert [r.levelno for r in lines] == [logging.WARNING] * 2 and not any(r.exc_info for r in lines)
    assert "the question is empty" in lines[0].getMessage() and "(5,000 characters)" in lines[1].getMessage()
    assert all("\n" not in r.getMessage() for r in lines)


def test_only_the_answer_endpoint_is_public(client):
    info = client.view_api(print_info=False, return_format="dict")
    assert list(info["named_endpoints"]) == ["/answer"] and not info["unnamed_endpoints"]


def test_no_file_outside_the_app_can_be_fetched(app_server):
    import httpx

    targets = ["/etc/passwd", str(app_server.index_dir / "manifest.json"),
               str(app_server.corpus_dir / XSS_FILE), str(ROOT / "pyproject.toml")]
    with httpx.Client(base_url=app_server.url, timeout=30) as http:
        for target in targets:
            for path in (f"gradio_api/file={target}", f"file={target}"):
                response = http.get(path)
                assert response.status_code != 200, path
                assert "root:" not in response.text and "[project]" not in response.text


def test_server_listens_on_loopback_without_a_share_link(app_server):
    assert app_server.demo.local_url.startswith("http://127.0.0.1:")
    assert app_server.demo.share_url is None
    assert app_server.demo.server_name == "127.0.0.1"
