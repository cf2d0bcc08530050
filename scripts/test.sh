#!/usr/bin/env bash
# Set up everything the tests need (venv, packages, Debian's chromium for the browser tests),
# then run ruff, mypy and the whole test suite. Extra arguments go to pytest (e.g. -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
if ! command -v chromium >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests ..."
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
.venv/bin/ruff check .
.venv/bin/mypy rag
# the unit tier alone first: it fails any unit test that imports a model runtime, spaCy or Gradio
.venv/bin/python -m pytest -q -m unit
exec .venv/bin/python -m pytest "$@"
