#!/usr/bin/env bash
# Set up, then run every fast test: pytest over test/unit, which includes the lit suite (test/lit).
# Slow end-to-end runs: `bash tools/run-tests.sh -m slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
. .venv/bin/activate
exec python -m pytest -q "$@"
