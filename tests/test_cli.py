"""The rag command: ask (text and JSON), friendly errors, and a light start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

RAG = Path(sys.executable).with_name("rag")


def run(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(RAG), *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})


def test_help_does_not_import_torch_or_gradio():
    code = ("import sys\nfrom rag.cli import cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = ('torch', 'sentence_transformers', 'gradio', 'faiss', 'spacy')\n"
            "print(sorted(m for m in heavy if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_ask_prints_the_answer_and_its_sources(built_index):
    out = run("ask", "--index", str(built_index), "Who chairs the independent Commission on Ownership?")
    assert out.returncode == 0, out.stderr
    assert "Will Hutton" in out.stdout
    assert "Sources:" in out.stdout and "[1] Conservatives express support" in out.stdout


def test_ask_groups_sources_by_post_and_names_posts_not_files(built_index):
    out = run("ask", "--index", str(built_index), "Summarise the Left Foot Forward article.")
    assert out.returncode == 0, out.stderr
    sources = out.stdout.split("Sources:")[1].strip().splitlines()
    assert sources[0].startswith("[1][2]") and "leftfootforward.org" in sources[0]
    assert sources[1].strip() == "http://www.leftfootforward.org/2010/11/public-sector-mutuals/"
    assert ".md" not in out.stdout and "002_9aeafe8f51407061" not in out.stdout


def test_a_refusal_says_what_is_missing_then_the_closest_passages(built_index):
    out = run("ask", "--index", str(built_index), "What did Ed Miliband say about mutuals?")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "The posts don't mention Ed Miliband."
    assert "Closest passages:" in lines and out.stdout.count("The posts don't mention") == 1
    assert ".md" not in out.stdout


def test_ask_json_prints_answer_to_dict(built_index):
    out = run("ask", "--json", "--k", "3", "--index", str(built_index), "Who funds the commission?")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["found"] is True and len(data["passages"]) >= 3
    assert data["citations"][0]["quote"] in Path("corpus", data["citations"][0]["source"]).read_text()


@pytest.mark.parametrize("question", ["", "   "])
def test_ask_an_empty_question_is_a_friendly_message(built_index, question):
    out = run("ask", "--index", str(built_index), question)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "question is empty" in out.stderr
    assert "Usage:" not in out.stderr  # one line, not the command's usage


def test_ask_a_too_long_question_says_the_limit_in_one_line(built_index):
    out = run("ask", "--index", str(built_index), "why " * 1500)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "too long" in out.stderr and "2,000 characters" in out.stderr and "Usage:" not in out.stderr


def test_ask_without_an_index_offers_to_build_it_and_a_bad_corpus_is_a_clear_error(tmp_path):
    out = run("ask", "--index", str(tmp_path / "idx"), "anything",
              env={"RAG_CORPUS_DIR": str(tmp_path / "no-corpus")})
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "Corpus folder not found" in out.stderr


def test_ask_with_a_file_or_another_folder_as_the_index_says_so_and_writes_nothing(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes", encoding="utf-8")
    for index in (folder, folder / "notes.txt"):
        out = run("ask", "--index", str(index), "Who chairs the commission?")
        assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
        assert "give a new or empty folder" in out.stderr or "is a file" in out.stderr
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]


def test_status_of_a_folder_that_cannot_hold_an_index_does_not_suggest_building_there(tmp_path):
    """`rag index --index X` would be refused there, so `rag status` says why instead of suggesting it."""
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "notes.txt").write_text("my notes", encoding="utf-8")
    for index, why in ((folder, "holds other files"), (folder / "notes.txt", "is a file")):
        out = run("status", "--index", str(index))
        assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
        assert why in out.stderr and "Build it with" not in out.stderr, out.stderr
    out = run("status", "--index", str(tmp_path / "new"))
    assert out.returncode == 1 and f"rag index --index {tmp_path / 'new'}" in out.stderr
    assert [p.name for p in folder.iterdir()] == ["notes.txt"] and not (tmp_path / "new").exists()


def test_unknown_backend_is_a_clear_error(built_index):
    out = run("ask", "--backend", "nope", "--index", str(built_index), "Who funds the commission?")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "Available backends" in out.stderr


def test_invalid_setting_from_the_environment_is_a_usage_error(built_index):
    out = run("ask", "--index", str(built_index), "question", env={"RAG_K": "zero"})
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert "Invalid setting: RAG_K (k):" in out.stderr  # the variable, as the user set it


def test_eval_reports_on_the_dev_set(built_index, tmp_path):
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        '{"question": "Who should control local libraries and swimming pools?", "answerable": true, '
        '"source": "002_9aeafe8f51407061.txt", "expected_any": ["controlled by local people"]}\n'
        '{"question": "What is the tallest mountain in Africa?", "answerable": false}\n')
    out = run("eval", "--index", str(built_index), "--questions", str(questions), "--json")
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)["metrics"]
    assert metrics["expected phrase quoted"] == 1.0 and metrics["unanswerable refused"] == 1.0
    assert metrics["quotes verbatim"] == 1.0 and metrics["latency p50 ms"] > 0


def test_eval_reads_the_benchmark_format(built_index, tmp_path):
    questions = tmp_path / "b.jsonl"
    questions.write_text(json.dumps({"id": "1", "question": "Who chairs the Commission on Ownership?",
                                     "answers": ["Will Hutton"], "doc_ids": ["004_ed1ab547c62872da"]}) + "\n")
    out = run("eval", "--index", str(built_index), "--questions", str(questions), "--json")
    assert out.returncode == 0, out.stderr
    metrics = json.loads(out.stdout)["metrics"]
    assert metrics["recall@1"] == 1.0 and metrics["nDCG@10"] == 1.0
    assert metrics["gold answer in quotes"] == 1.0


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_serve_refuses_a_malformed_login_before_starting(how, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from rag.cli import cli

    args = ["serve", "--index", str(tmp_path / "idx")]
    if how == "flag":
        args += ["--auth", "secret-without-colon"]
    else:
        monkeypatch.setenv("RAG_AUTH", "secret-without-colon")
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2 and "user:password" in result.output
    assert "secret-without-colon" not in result.output and not (tmp_path / "idx").exists()


def test_serve_on_a_busy_port_says_so_before_loading_anything(tmp_path):
    """A second `rag serve` on a port in use: one clear line naming --port, no traceback, no index
    built."""
    import socket

    from click.testing import CliRunner

    from rag.cli import cli

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["serve", "--index", str(tmp_path / "idx"), "--port", str(port)])
    assert result.exit_code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.output and "--port" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "idx").exists()
