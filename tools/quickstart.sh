#!/usr/bin/env bash
# Set up, then compile the bundled MNIST MLP to SystemVerilog and co-simulate it on 200 real images.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/setup.sh
. .venv/bin/activate
mkdir -p build/data
python -m e3ne.datasets calib build/data/calib.npz
python -m e3ne.datasets test build/data/test.npz --limit 200
e3ne compile examples/mlp/model.py:MLP --weights examples/mlp/weights.pt \
    --input-shape 1,28,28 --calibration build/data/calib.npz -o build/mlp
e3ne simulate build/mlp --data build/data/test.npz
