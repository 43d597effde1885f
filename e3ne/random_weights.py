"""Random but healthy weights for the large examples (AlexNet, VGG-11), for which no data set
can be downloaded here: `main` is the command line of `examples/*/make_weights.py` (3x32x32
inputs, T = 6, b = 6), built on the two functions below.

`initialize` draws He-normal weights (fixed seed), random batch-norm affine parameters
(gamma in [0.5, 1.5], beta in [-0.2, 0.2]) and sets every batch norm's running mean and
variance to the statistics of its input on the given images, so each batch norm is a
non-trivial affine map that folding has to get right, and the activations after it keep
a healthy spread instead of dying out layer after layer.

`activity` quantizes the model with e3ne and runs the golden model, reporting for every
spiking layer the share of neurons that spike at all and the mean spike rate (spikes per
neuron per time step), and how much the logits vary across inputs.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

BATCHNORM = (nn.BatchNorm1d, nn.BatchNorm2d)


def initialize(model: nn.Module, images: np.ndarray, seed: int = 0) -> nn.Module:
    """Randomize `model` in place (deterministic for `seed`) and return it in eval mode."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Conv2d | nn.Linear):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                if module.bias is not None:
                    module.bias.uniform_(-0.05, 0.05)
            elif isinstance(module, BATCHNORM):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.reset_running_stats()
                module.momentum = None  # cumulative average: one batch gives exactly its statistics
        # One pass in training mode records each batch norm's input statistics (dropout off).
        model.train()
        for module in model.modules():
            if isinstance(module, nn.Dropout):
                module.eval()
        model(torch.from_numpy(np.asarray(images, dtype=np.float32)))
        for module in model.modules():
            if isinstance(module, BATCHNORM):
                module.momentum = 0.1
    return model.eval()


@dataclass(frozen=True)
class LayerActivity:
    name: str
    neurons: int
    active: float  # share of (image, neuron) pairs with at least one spike
    rate: float  # spikes per neuron per time step


def activity(
    model: nn.Module,
    input_shape: tuple[int, ...],
    calibration: np.ndarray,
    images: np.ndarray,
    time_steps: int,
    weight_bits: int,
) -> tuple[list[LayerActivity], np.ndarray]:
    """Per spiking layer activity of the golden model on `images`, and its int64 logits."""
    from e3ne.dialects import snn
    from e3ne.frontend import import_model
    from e3ne.interpreters.golden import run_golden
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    quant = quantize_module(import_model(model, input_shape), calibration, time_steps, weight_bits)
    logits, outputs = run_golden(quant, images, record=True)
    layers = []
    counts = {"conv": 0, "fc": 0}
    for op, values in outputs.items():
        if isinstance(op, snn.EncodeOp):
            name = "input"
        elif isinstance(op, snn.RadixNeuronOp):
            kind = "conv" if isinstance(op.input.owner, snn.Conv2dOp) else "fc"
            counts[kind] += 1
            name = f"{kind}{counts[kind]}"
        else:
            continue
        flat = values.reshape(values.shape[0], -1)
        spikes = sum(int(((flat >> t) & 1).sum()) for t in range(time_steps))
        layers.append(LayerActivity(name, flat.shape[1], float((flat != 0).mean()), spikes / (flat.size * time_steps)))
    return layers, logits


def print_activity(layers: list[LayerActivity], logits: np.ndarray) -> None:
    for layer in layers:
        print(f"  {layer.name:<18} {layer.neurons:>7} neurons  active {layer.active:6.1%}  spike rate {layer.rate:6.1%}")
    spread = logits.std(axis=0)
    classes = len(np.unique(logits.argmax(axis=1)))
    print(
        f"  logits: std across inputs per class min {spread.min():.1f} max {spread.max():.1f}; "
        f"{classes} distinct predicted classes on {len(logits)} images"
    )


def main(model_class, classes: int, argv: list[str]) -> int:
    """The command line of examples/*/make_weights.py."""
    import argparse
    import time

    from e3ne.datasets import synthetic

    parser = argparse.ArgumentParser(description="Write randomly initialised, checked weights (a state_dict).")
    parser.add_argument("out", help="output .pt path")
    parser.add_argument("--seed", type=int, default=0, help="torch.manual_seed for the weights (default 0)")
    parser.add_argument("--no-check", action="store_true", help="skip the golden-model activity check")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    began = time.perf_counter()
    calibration, _ = synthetic((3, 32, 32), classes, 256, seed=0)
    model = initialize(model_class(), calibration, seed=args.seed)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out)
    weights = sum(p.numel() for name, p in model.named_parameters() if name.endswith("weight") and p.dim() > 1)
    print(f"wrote {out}: {weights:,} weights, seed {args.seed} ({time.perf_counter() - began:.1f} s)")
    if args.no_check:
        return 0
    images, _ = synthetic((3, 32, 32), classes, 32, seed=1)
    layers, logits = activity(model, (3, 32, 32), calibration, images, time_steps=6, weight_bits=6)
    print("golden model (T=6, b=6) on 32 synthetic images (seed 1):")
    print_activity(layers, logits)
    dead = [layer.name for layer in layers if layer.active == 0.0]
    if dead:
        print(f"error: no spikes at all in {', '.join(dead)}", file=sys.stderr)
        return 1
    if not logits.std(axis=0).any():
        print("error: the logits are the same for every input", file=sys.stderr)
        return 1
    return 0
