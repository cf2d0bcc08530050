#!/usr/bin/env bash
# Benchmarks (not part of the tests): ratios against floors measured in the same run, peers side by
# side (LlamaIndex, Haystack in their own venvs under benchmarks/.peers/, created when missing), and
# scale. Writes benchmarks/results/report.{json,md}. Arguments go to `python -m benchmarks.run`
# (e.g. --sections floor,peers --reps 5). The whole run takes about an hour on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False HAYSTACK_TELEMETRY_ENABLED=False
# One torch/OpenMP thread unless told otherwise: on a shared 2-core machine two threads spin-wait on
# each other (one question embedding measured 18 ms with one thread, 75–500 ms with two).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}" MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"
exec nice -n 10 .venv/bin/python -m benchmarks.run "$@"
