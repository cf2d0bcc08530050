"""The ``rag`` command: index, ask, eval, serve, status.

Only click and the standard library load at start-up; torch, sentence-transformers and
gradio are imported by the commands that need them, so ``rag --help`` and a no-op
``rag index`` stay fast.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from rag.types import MAX_PASSAGES

if TYPE_CHECKING:
    from rag.pipeline import RAG
    from rag.settings import Settings
    from rag.types import Answer, Citation

class QuestionProblem(click.ClickException):
    """An empty or too long question: said in one line, with the exit status of a usage error (2),
    but without the usage lines, which are no help here."""

    exit_code = 2


def _friendly(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the product's own errors into one clear line and a non-zero exit, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from rag.errors import RagError

        try:
            return func(*args, **kwargs)
        except RagError as exc:
            click.secho(f"Error: {exc}", fg="red", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)

    return wrapper


def _settings(**overrides: Any) -> Settings:
    from rag.errors import SettingsError
    from rag.settings import load_settings

    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None


corpus_option = click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path),
                             help="Corpus folder or file [env RAG_CORPUS_DIR; default ./corpus].")
index_option = click.option("--index", "index_dir", type=click.Path(path_type=Path),
                            help="Index folder [env RAG_INDEX_DIR; default ./index].")
backend_option = click.option("--backend", help="Answering backend (extractive, openai, or a plugin) "
                              "[env RAG_BACKEND].")
k_option = click.option("--k", type=click.IntRange(1, MAX_PASSAGES), help="Passages to retrieve [default 5].")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rag-mutuals", prog_name="rag")
def cli() -> None:
    """Ask questions about the posts; every answer quotes them word for word."""


@cli.command()
@corpus_option
@index_option
@click.option("--rebuild", is_flag=True, help="Re-embed everything instead of only what changed.")
@click.option("--store", type=click.Choice(["faiss", "qdrant"]),
              help="What holds the chunk search: faiss (FAISS + bm25s) or qdrant (needs the qdrant extra; "
              "local mode, or RAG_QDRANT_URL) [env RAG_STORE; default faiss].")
@click.option("--quiet", "-q", is_flag=True, help="Print only warnings and errors.")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Embed as a Ray Data job: on a Ray started here, or on the cluster at ADDRESS "
              "(HOST:6379). Needs pip install -e '.[ray]'.")
@_friendly
def index(corpus_dir: Path | None, index_dir: Path | None, rebuild: bool, store: str | None,
          quiet: bool, ray_address: str | None) -> None:
    """Build or update the index (only new and changed posts are embedded)."""
    from rag.index import IndexBuilder

    cfg = _settings(corpus_dir=corpus_dir, index_dir=index_dir, store=store)
    if "store" not in cfg.model_fields_set:  # not asked for: an index keeps the store it was built with
        cfg = cfg.with_overrides(store=_built_store(cfg.index_dir))

    def log(message: str) -> None:
        if not quiet or message.startswith("warning"):
            click.echo(message, err=message.startswith("warning"))

    progress = not quiet and sys.stderr.isatty()
    if ray_address is None:
        report = IndexBuilder(cfg, log=log, progress=progress).run(rebuild=rebuild)
    else:
        from rag.index.ray_embed import RayEmbedder

        embedder = RayEmbedder(cfg, ray_address)
        try:  # one Ray job for all the chunks to embed
            report = IndexBuilder(cfg, embedder=embedder, log=log, progress=False,
                                  embed_group=sys.maxsize).run(rebuild=rebuild)
        finally:
            embedder.close()
    if not quiet:
        click.echo(f"Index: {report.index_dir} ({report.chunks_total} chunks, "
                   f"{report.chunks_embedded} embedded now, {report.seconds:.2f} s)")


def _built_store(index_dir: Path) -> str | None:
    """The chunk store the index in ``index_dir`` was built with, if it has a readable manifest."""
    from rag.errors import RagError
    from rag.index.manifest import read_manifest

    try:
        manifest = read_manifest(index_dir)
    except RagError:
        return None
    return str(manifest.settings.store) if manifest else None


def _print_answer(answer: Answer) -> None:
    """The answer for a terminal, from its structure: what the posts lack or the lead, the quotes
    (grouped by post under its name when the answer is), then each quoted post once, with its
    markers, date and link."""
    if answer.notice:
        click.secho(answer.notice, fg="yellow")
    if not answer.found:
        click.echo(answer.lead or answer.text.splitlines()[0])
        if answer.passages:
            click.echo("\nClosest passages:")
            for p in answer.passages:
                snippet = " ".join(p.text.split())
                click.echo(f"- {p.label}: {snippet[:160]}{'...' if len(snippet) > 160 else ''}")
        return
    click.echo(answer.text)
    posts: dict[str, list[Citation]] = {}
    for c in answer.citations:
        posts.setdefault(c.doc_id, []).append(c)
    if posts:
        click.echo("\nSources:")
    for cited in posts.values():
        first = cited[0]
        markers = "".join(f"[{c.marker}]" for c in cited)
        click.echo(f"{markers} {' — '.join(x for x in (first.label, first.date) if x)}")
        if first.url:
            click.echo(f"    {first.url}")
    for quote in answer.unverified:
        click.secho(f"Unverified quotation (not found in the posts): {quote}", fg="yellow")


@cli.command()
@click.argument("question", nargs=-1, required=True)
@index_option
@backend_option
@k_option
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@_friendly
def ask(question: tuple[str, ...], index_dir: Path | None, backend: str | None, k: int | None,
        as_json: bool) -> None:
    """Answer QUESTION with quotes from the posts."""
    from rag.errors import QuestionError
    from rag.pipeline import clean_question

    cfg = _settings(index_dir=index_dir)
    text = " ".join(question)
    try:
        clean_question(text, cfg.max_question_chars)
    except QuestionError as exc:
        raise QuestionProblem(str(exc)) from None
    rag = _open(cfg, backend)
    answer = rag.answer(text, k=k)
    if as_json:
        click.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_answer(answer)


def _open(cfg: Settings, backend: str | None) -> RAG:
    from rag.pipeline import open_or_build

    overrides = {"backend": backend} if backend else {}
    return open_or_build(cfg, lambda message: click.echo(message, err=True), **overrides)


@cli.command(name="eval")
@click.option("--questions", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=Path("eval/questions.jsonl"), show_default=True,
              help="Question set (dev format or benchmark format).")
@index_option
@backend_option
@k_option
@click.option("--limit", type=click.IntRange(1), help="Use only the first N questions.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@_friendly
def evaluate_cmd(questions: Path, index_dir: Path | None, backend: str | None, k: int | None,
                 limit: int | None, as_json: bool) -> None:
    """Run a question set and report answer quality, retrieval and latency."""
    from rag.evaluation import evaluate, read_questions

    try:
        qs = read_questions(questions)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    qs = qs[:limit] if limit else qs
    rag = _open(_settings(index_dir=index_dir), backend)
    rag.answer(qs[0].question)  # warm up: the model load is not part of the latency
    report = evaluate(rag, qs, k=k)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo("\n".join(report.lines()))


@cli.command()
@index_option
@_friendly
def status(index_dir: Path | None) -> None:
    """Show what the index holds and how it was built."""
    from rag.index import Index

    cfg = _settings(index_dir=index_dir)
    info = Index.open(cfg.index_dir, cfg, check=False).status()
    width = max(len(field.name) for field in dataclasses.fields(info))
    for field in dataclasses.fields(info):
        if field.name != "skipped":
            click.echo(f"{field.name:>{width}}: {getattr(info, field.name)}")
    if not info.skipped:
        click.echo(f"{'skipped':>{width}}: none")
        return
    click.echo(f"{'skipped':>{width}}: {len(info.skipped)} at the last build")
    for warning in info.skipped:
        click.echo(f"{'':>{width + 2}}{warning}")


@cli.command()
@index_option
@corpus_option
@backend_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=7860, show_default=True, type=click.IntRange(1, 65535))
@click.option("--auth", help="user:password required to use the app [env RAG_AUTH].")
@click.option("--share", is_flag=True, help="Also open a public Gradio share link (off by default).")
@_friendly
def serve(index_dir: Path | None, corpus_dir: Path | None, backend: str | None, host: str, port: int,
          auth: str | None, share: bool) -> None:
    """Start the chat app in the browser (builds the index first if it is missing)."""
    from rag.app import serve as run_app

    cfg = _settings(index_dir=index_dir, corpus_dir=corpus_dir, auth=auth)
    _port_free(host, port)  # before the model loads: a busy port is said at once
    rag = _open(cfg, backend)
    try:
        run_app(rag, host=host, port=port, auth=cfg.credentials, share=share)
    except OSError as exc:  # taken meanwhile, or refused by the system
        click.secho(f"Error: cannot serve on {host}:{port}: {exc}. Pass another --port.", fg="red", err=True)
        sys.exit(1)


def _port_free(host: str, port: int) -> None:
    """Exit with a clear message when ``host:port`` is already taken (another ``rag serve``?)."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            click.secho(f"Error: port {port} on {host} is already in use (another `rag serve`?). Stop it, "
                        f"or pass another --port.", fg="red", err=True)
            sys.exit(1)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
