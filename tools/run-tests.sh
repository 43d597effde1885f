#!/usr/bin/env bash
# Set up, then run every fast test: pytest over test/unit, which includes the lit suite (test/lit).
# Slow end-to-end runs: `bash tools/run-tests.sh -m slow`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
. .venv/bin/activate
# The optional extras' tests run too (without them they are skipped): Ray scale-out (`cluster`),
# the snnTorch/NIR frontends (`snn`), the UART host's serial port (`uart`); SpikingJelly without
# its dependencies (pyproject.toml says why).
python -c "import ray, snntorch, nir, serial" 2>/dev/null || python -m pip install -q -e '.[test,cluster,snn,uart]'
python -c "import spikingjelly" 2>/dev/null || python -m pip install -q --no-deps spikingjelly==0.0.0.0.14
exec python -m pytest -q "$@"
