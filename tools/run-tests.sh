#!/usr/bin/env bash
# Set up, then run every fast test: pytest over test/unit, which includes the lit suite (test/lit).
# Slow end-to-end runs: `bash tools/run-tests.sh -m slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
. .venv/bin/activate
# The scale-out tests also run on Ray (the optional `cluster` extra; without it they are skipped).
python -c "import ray" 2>/dev/null || python -m pip install -q -e '.[test,cluster]'
exec python -m pytest -q "$@"
