"""Seeded random networks: a `NetSpec` (layers, input shape, T, b, parallelism, off-chip layers)
and the PyTorch model it describes.

A net is a chain the compiler supports: optional pooling of the input, conv layers (kernel 1-5,
stride 1-3, padding, bias or not, batch norm or not, each followed by ReLU and optionally by a
max/avg pooling, fused into the conv unit when window = stride and no padding), a flatten, hidden
linear layers (bias or not, batch norm or not, ReLU) and an output linear layer. About one net in
five is a plain MLP. Parallelism is drawn per hardware stage with the extremes favoured (1, all,
and random values between), and a random subset of the weighted stages keeps its weights off chip.

`generate(seed)` is deterministic: the same seed gives the same spec, model weights and data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

INPUT_WORD_BITS = 32  # a flat input is stored in words of min(features, 32) bits (docs/interface.md)


@dataclass
class NetSpec:
    seed: int
    input_shape: tuple[int, ...]  # (C, H, W) or (F,)
    layers: list[dict]
    time_steps: int
    weight_bits: int
    sigma: float = 3.0
    parallelism: str = ""
    offchip: str = "none"
    axi_width: int = 128
    memory_latency: int = 16
    calibration_images: int = 32
    pixel_scale: float = 1.0  # images are uniform in [0, pixel_scale)
    names: list[str] = field(default_factory=list)  # hardware stage names, in order

    def describe(self) -> str:
        parts = []
        for layer in self.layers:
            kind = layer["kind"]
            if kind == "conv":
                parts.append(
                    f"conv{layer['out']}k{layer['kernel']}s{layer['stride']}p{layer['padding']}"
                    + ("" if layer["bias"] else "nb") + ("+bn" if layer["bn"] else "")
                )
            elif kind == "pool":
                parts.append(f"{layer['mode']}pool{layer['kernel']}s{layer['stride']}p{layer['padding']}")
            elif kind == "linear":
                parts.append(
                    f"fc{layer['out']}" + ("" if layer["bias"] else "nb") + ("+bn" if layer["bn"] else "")
                    + ("" if layer["relu"] else "(out)")
                )
            else:
                parts.append(kind)
        shape = "x".join(map(str, self.input_shape))
        settings = f"T={self.time_steps} b={self.weight_bits} r={self.sigma:g} pixels<{self.pixel_scale:g}"
        return (
            f"seed {self.seed}: in {shape} -> {' -> '.join(parts)}; {settings}; "
            f"parallelism '{self.parallelism}'; offchip {self.offchip}"
        )

    def model(self):
        """The PyTorch model (eval mode), weights drawn from the spec's seed."""
        import torch
        from torch import nn

        torch.manual_seed(self.seed)
        modules: list = []
        channels = self.input_shape[0]
        features = self.input_shape[0] if len(self.input_shape) == 1 else None
        for layer in self.layers:
            kind = layer["kind"]
            if kind == "conv":
                modules.append(
                    nn.Conv2d(channels, layer["out"], layer["kernel"], layer["stride"], layer["padding"], bias=layer["bias"])
                )
                if layer["bn"]:
                    modules.append(nn.BatchNorm2d(layer["out"]))
                modules.append(nn.ReLU())
                channels = layer["out"]
            elif kind == "pool":
                pool = nn.MaxPool2d if layer["mode"] == "max" else nn.AvgPool2d
                modules.append(pool(layer["kernel"], layer["stride"], layer["padding"]))
            elif kind == "flatten":
                modules.append(nn.Flatten())
                features = layer["features"]
            else:
                modules.append(nn.Linear(features, layer["out"], bias=layer["bias"]))
                if layer["bn"]:
                    modules.append(nn.BatchNorm1d(layer["out"]))
                if layer["relu"]:
                    modules.append(nn.ReLU())
                features = layer["out"]
        model = nn.Sequential(*modules)
        with torch.no_grad():
            for module in model.modules():
                if isinstance(module, nn.BatchNorm1d | nn.BatchNorm2d):
                    module.running_mean.uniform_(-0.3, 0.3)
                    module.running_var.uniform_(0.3, 2.0)
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.uniform_(-0.3, 0.3)
        return model.eval()

    def data(self, count: int, offset: int = 0) -> np.ndarray:
        """`count` non-negative float32 images: uniform [0, pixel_scale) with about a third of the pixels 0."""
        rng = np.random.default_rng(self.seed * 1000 + offset)
        shape = (count, *self.input_shape)
        x = rng.random(shape, dtype=np.float32) * np.float32(self.pixel_scale)
        x[rng.random(shape) < 0.3] = 0.0
        return x

    def calibration(self) -> np.ndarray:
        return self.data(self.calibration_images, 0)

    def test_images(self, count: int = 8) -> np.ndarray:
        return self.data(count, 1)


def _out(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def _extreme(rng: random.Random, high: int) -> int:
    """1, `high`, or a value between, each about a third of the time."""
    choice = rng.random()
    if choice < 0.35 or high == 1:
        return 1
    if choice < 0.7:
        return high
    return rng.randint(1, high)


def _pool(rng: random.Random, h: int, w: int) -> dict | None:
    for _ in range(8):
        kernel = rng.randint(2, 3)
        stride = kernel if rng.random() < 0.6 else rng.randint(1, kernel)
        padding = 0 if rng.random() < 0.7 else rng.randint(0, kernel // 2)
        if min(_out(h, kernel, stride, padding), _out(w, kernel, stride, padding)) >= 1:
            return {"kind": "pool", "mode": rng.choice(["max", "avg"]), "kernel": kernel, "stride": stride,
                    "padding": padding}  # fmt: skip
    return None


def generate(seed: int) -> NetSpec:
    """A random net (layers, T, b, parallelism, off-chip layers) from `seed`."""
    from e3ne.model.units import chunk_count

    rng = random.Random(seed)
    layers: list[dict] = []
    settings: list[str] = []
    names: list[str] = []
    weighted: list[str] = []
    counts = {"conv": 0, "pool": 0, "fc": 0}
    time_steps = rng.randint(2, 8)

    def name(prefix: str) -> str:
        counts[prefix] += 1
        names.append(f"{prefix}{counts[prefix]}")
        return names[-1]

    mlp = rng.random() < 0.2
    if mlp:
        input_shape: tuple[int, ...] = (rng.choice([1, 3, 7, 16, 32, 33, 40, 70]),)
        features = input_shape[0]
        word = min(features, INPUT_WORD_BITS)
    else:
        channels = rng.randint(1, 3)
        h = rng.randint(3, 12)
        w = h if rng.random() < 0.7 else rng.randint(3, 12)
        input_shape = (channels, h, w)
        if rng.random() < 0.1 and (pool := _pool(rng, h, w)) is not None:
            layers.append(pool)
            name("pool")
            h, w = _out(h, pool["kernel"], pool["stride"], pool["padding"]), _out(w, pool["kernel"], pool["stride"], pool["padding"])
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            kernel = rng.randint(1, 5)
            stride = rng.randint(1, 3)
            padding = rng.randint(0, kernel // 2)
            oh, ow = _out(h, kernel, stride, padding), _out(w, kernel, stride, padding)
            if min(oh, ow) < 1:
                continue
            out = rng.randint(1, 6)
            layers.append({"kind": "conv", "out": out, "kernel": kernel, "stride": stride, "padding": padding,
                           "bias": rng.random() < 0.7, "bn": rng.random() < 0.4})  # fmt: skip
            conv = name("conv")
            weighted.append(conv)
            h, w, channels = oh, ow, out
            pool = _pool(rng, h, w) if rng.random() < 0.4 else None
            fused = pool is not None and pool["kernel"] == pool["stride"] and pool["padding"] == 0
            if pool is not None:
                layers.append(pool)
                if not fused:
                    name("pool")
            # columns: up to the pooled row's width in whole windows; channels x units <= out
            written = (_out(w, pool["kernel"], pool["stride"], 0) * pool["kernel"]) if fused else w
            if rng.random() < 0.8:
                settings.append(f"{conv}.columns={_extreme(rng, written)}")
            if rng.random() < 0.8:
                lanes = _extreme(rng, out)
                units = _extreme(rng, lanes) if rng.random() < 0.5 else 1
                settings.append(f"{conv}.channels={max(1, lanes // units)},{conv}.units={units}")
            if pool is not None:
                h, w = _out(h, pool["kernel"], pool["stride"], pool["padding"]), _out(w, pool["kernel"], pool["stride"], pool["padding"])
        features = channels * h * w
        word = w
        layers.append({"kind": "flatten", "features": features})
    hidden = rng.choice([0, 1, 1, 2])
    for index in range(hidden + 1):
        last = index == hidden
        out = rng.randint(2, 10) if last else rng.randint(1, 24)
        layers.append({"kind": "linear", "out": out, "bias": rng.random() < 0.7, "bn": (not last) and rng.random() < 0.3,
                       "relu": not last})  # fmt: skip
        fc = name("fc")
        weighted.append(fc)
        q = _extreme(rng, 64) if rng.random() < 0.6 else 1
        p_high = out
        if last:
            p_high = min(out, chunk_count(features, word, min(q, word)) * time_steps)
        p = _extreme(rng, p_high) if rng.random() < 0.8 else None
        if q > 1:
            settings.append(f"{fc}.Q={q}")
        if p is not None:
            settings.append(f"{fc}.P={p}")
        word = min(p if p is not None else 16, out)
        features = out
    choice = rng.random()
    offchip = "none" if choice < 0.5 else "all" if choice < 0.65 else ",".join(
        sorted(rng.sample(weighted, rng.randint(1, len(weighted))), key=weighted.index)
    )
    weight_bits, axi_width, memory_latency = rng.randint(2, 8), rng.choice([32, 64, 128]), rng.choice([1, 4, 16])
    # drawn last, so the nets of earlier seeds keep their layers and settings
    sigma = rng.choice([3.0, 3.0, 1.0, 2.0, 4.5])
    pixel_scale = rng.choice([1.0, 1.0, 1.0, 0.05, 40.0])
    return NetSpec(
        seed=seed,
        input_shape=input_shape,
        layers=layers,
        time_steps=time_steps,
        weight_bits=weight_bits,
        sigma=sigma,
        parallelism=",".join(settings),
        offchip=offchip,
        axi_width=axi_width,
        memory_latency=memory_latency,
        pixel_scale=pixel_scale,
        names=names,
    )
