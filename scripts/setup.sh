#!/usr/bin/env bash
# Creates .venv in the checkout and installs the project into it. Idempotent: a second run
# with an unchanged pyproject.toml does nothing. Usage: scripts/setup.sh [test]
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"

if [ ! -x .venv/bin/python ]; then
  echo "Creating .venv ..."
  "$python" -m venv .venv
fi
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)${extras:+-$extras}"
if [ ! -f "$stamp" ]; then
  echo "Installing into .venv (torch 2.13.0 CPU build, sentence-transformers, faiss, gradio ...)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  # torch is pinned in the same command as everything else: otherwise pip would pick a newer
  # CUDA build with several GB of nvidia packages.
  .venv/bin/python -m pip install -q --disable-pip-version-check "torch==2.13.0" -e ".${extras:+[$extras]}"
  if .venv/bin/python -m pip list 2>/dev/null | grep -qi '^nvidia-'; then
    echo "error: a CUDA package was installed; expected the CPU build of torch" >&2
    exit 1
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
# the test suite's example plugin backend (found through the rag.backends entry point)
[ "$extras" != test ] || .venv/bin/python -c "import rag_echo_backend" 2>/dev/null || .venv/bin/python -m pip install -q --disable-pip-version-check -e tests/plugins/rag_echo_backend
