#!/usr/bin/env bash
# Set up everything, then start the chat app (building the index first if it is missing).
# Extra arguments go to `rag serve` (e.g. --port 8000 --backend openai).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False
exec .venv/bin/rag serve "$@"
