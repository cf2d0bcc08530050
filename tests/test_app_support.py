"""The real app server the app and browser tests talk to, started once per test session.

It serves an index of a copy of the corpus plus one hostile post, whose title, date, url and
text carry script and markup payloads, so the tests can check that corpus text stays inert.
This module holds no tests; test_app.py and test_browser.py share its server.
"""

from __future__ import annotations

import shutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"

XSS_FILE = "zz_hostile_post.md"
XSS_TITLE = "<script>window.__xss=1</script>Hostile <b>title</b>"
XSS_URL = "javascript:alert(1)"
XSS_IMG = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=1</script>"
XSS_POST = f"""---
title: "{XSS_TITLE}"
date: "2011-02-30"
url: "{XSS_URL}"
---
The hovercraft cooperative of Little Wobbling {XSS_IMG} runs the ferry across the duck pond \
{XSS_SCRIPT} with volunteer pilots.
A [markdown link](javascript:alert(1)) and $$\\alpha$$ and **bold** and \
<a href="javascript:alert(1)">a link</a> and ${{7*7}} and {{{{7*7}}}} were left in the text as well.
"""
XSS_QUESTION = "Who runs the ferry across the duck pond in Little Wobbling?"
XSS_SENTENCE_START = "The hovercraft cooperative of Little Wobbling"

LIBRARIES_QUESTION = "Who should control local libraries and swimming pools?"
LIBRARIES_QUOTE = "Local libraries and swimming pools should be controlled by local people"
LIBRARIES_URL = "http://www.leftfootforward.org/2010/11/public-sector-mutuals/"
UNANSWERABLE_QUESTION = "What is the boiling point of liquid nitrogen on Mars in kelvin?"


@dataclass
class AppServer:
    url: str
    rag: Any
    demo: Any
    index_dir: Path
    corpus_dir: Path


_server: AppServer | None = None
_lock = threading.Lock()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def shared_app_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                      embedder: Any) -> AppServer:
    """Build the hostile-corpus index and start ``rag.app.serve`` on a free loopback port, once.

    Call it from a session-scoped fixture; the server closes when the session ends.
    """
    global _server
    with _lock:
        if _server is None:
            from rag.app import serve
            from rag.index import Index, IndexBuilder
            from rag.pipeline import RAG
            from rag.settings import Settings

            base = tmp_path_factory.mktemp("app")
            corpus = base / "corpus"
            shutil.copytree(ROOT / "corpus", corpus)
            (corpus / XSS_FILE).write_text(XSS_POST, encoding="utf-8")
            index_dir = base / "index"
            IndexBuilder(Settings(corpus_dir=corpus, index_dir=index_dir), embedder=embedder).run()
            index = Index.open(index_dir)
            rag = RAG(index, index.settings, embedder=embedder)
            port = free_port()
            demo = serve(rag, host="127.0.0.1", port=port, block=False)
            _server = AppServer(f"http://127.0.0.1:{port}/", rag, demo, index_dir, corpus)

            def close() -> None:
                global _server
                demo.close()
                _server = None

            request.session.config.add_cleanup(close)
        return _server
