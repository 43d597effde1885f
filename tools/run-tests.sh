#!/usr/bin/env bash
# Set up, then run every fast test: pytest over test/unit, which includes the lit suite (test/lit).
# Slow end-to-end runs: `bash tools/run-tests.sh -m slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
# Icarus Verilog (Debian's iverilog) runs the gate-level tests of the ECP5 output-register pass
# (test/unit/backend/test_ecp5_outreg.py); without it they are skipped, so install it where we can.
if ! command -v iverilog >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    apt-get install -y -q iverilog >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q iverilog >/dev/null 2>&1; } \
        || echo "e3ne tests: could not install iverilog; the gate-level output-register tests are skipped" >&2
fi
. .venv/bin/activate
# The optional extras' tests run too (without them they are skipped): Ray scale-out (`cluster`),
# the snnTorch/NIR frontends (`snn`), the UART host's serial port (`uart`); SpikingJelly without
# its dependencies (pyproject.toml says why).
python -c "import ray, snntorch, nir, serial" 2>/dev/null || python -m pip install -q -e '.[test,cluster,snn,uart]'
python -c "import spikingjelly" 2>/dev/null || python -m pip install -q --no-deps spikingjelly==0.0.0.0.14
exec python -m pytest -q "$@"
