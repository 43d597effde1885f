"""A framework-neutral chain of spiking layers: what the snnTorch, SpikingJelly and NIR
frontends read, before it becomes float `snn` IR (`emit.py`) or a NIR graph (`nir_export.py`).

Every layer keeps its name, the kind it came from (`snntorch.Leaky`, `nir.LIF`, ...) and a
source location for error messages. Parameters are float32 numpy arrays in PyTorch layout
(Linear (out, in); Conv2d (out, in, kh, kw)). A `Neuron`'s `beta` and `threshold` are
either 0-d (one value for the layer) or have the neuron shape (without the batch), and
follow snnTorch `Leaky` semantics (docs/lif.md): `mem' = beta*mem + I` with the reset of
the previous step's spike, `spike = mem' > threshold`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from e3ne.errors import E3NEError

RESETS = ("subtract", "zero", "none")


@dataclass
class Layer:
    name: str
    kind: str
    location: str | None = None

    def describe(self) -> str:
        return f"{self.kind} '{self.name}'"

    def error(self, message: str, hint: str | None = None) -> E3NEError:
        return E3NEError(f"{self.describe()} {message}", location=self.location, hint=hint)


@dataclass
class Linear(Layer):
    weight: np.ndarray = None  # (out, in)
    bias: np.ndarray | None = None


@dataclass
class Conv2d(Layer):
    weight: np.ndarray = None  # (out, in, kh, kw)
    bias: np.ndarray | None = None
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)


@dataclass
class Pool2d(Layer):
    """`avg` (the mean of the window, nn.AvgPool2d), `sum` (NIR SumPool2d) or `max` pooling of
    currents (before the neuron), no padding."""

    mode: str = "avg"
    kernel: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (2, 2)


@dataclass
class Flatten(Layer):
    pass


@dataclass
class Neuron(Layer):
    beta: np.ndarray = None  # 1.0 for IF
    threshold: np.ndarray = None
    reset: str = "subtract"
    notes: list[str] = field(default_factory=list)  # how the parameters were derived, for the IR

    @property
    def is_if(self) -> bool:
        return bool(np.all(self.beta == 1.0))


@dataclass
class SpikingChain:
    """The layers of one network from its input to its output neuron, in order."""

    layers: list[Layer]
    input_shape: tuple[int, ...]  # without the batch
    source: str  # "snntorch", "spikingjelly", "nir"
    notes: list[str] = field(default_factory=list)  # e.g. NIR's dt and leak discretisation
    readout: str = "spikes"  # the output: "spikes" (counted over T) or "membrane" (of the last step)

    @property
    def neurons(self) -> list[Neuron]:
        return [layer for layer in self.layers if isinstance(layer, Neuron)]


def output_shape(layer: Layer, shape: tuple[int, ...]) -> tuple[int, ...]:
    """The output shape (without batch) of `layer` for an input of `shape`; errors name the layer."""
    if isinstance(layer, Linear):
        if len(shape) != 1 or shape[0] != layer.weight.shape[1]:
            raise layer.error(f"expects {layer.weight.shape[1]} input features but gets shape {_text(shape)}")
        return (layer.weight.shape[0],)
    if isinstance(layer, Conv2d):
        if len(shape) != 3 or shape[0] != layer.weight.shape[1]:
            raise layer.error(f"expects {layer.weight.shape[1]} input channels (C,H,W) but gets shape {_text(shape)}")
        kh, kw = layer.weight.shape[2:]
        height = (shape[1] + 2 * layer.padding[0] - kh) // layer.stride[0] + 1
        width = (shape[2] + 2 * layer.padding[1] - kw) // layer.stride[1] + 1
        if height < 1 or width < 1:
            raise layer.error(f"gets an input {_text(shape)} smaller than its kernel {kh}x{kw}")
        return (layer.weight.shape[0], height, width)
    if isinstance(layer, Pool2d):
        if len(shape) != 3:
            raise layer.error(f"needs a (C,H,W) input but gets shape {_text(shape)}")
        height = (shape[1] - layer.kernel[0]) // layer.stride[0] + 1
        width = (shape[2] - layer.kernel[1]) // layer.stride[1] + 1
        if height < 1 or width < 1:
            raise layer.error(f"gets an input {_text(shape)} smaller than its window")
        return (shape[0], height, width)
    if isinstance(layer, Flatten):
        return (int(np.prod(shape)),)
    if isinstance(layer, Neuron):
        for what in ("beta", "threshold"):
            value = getattr(layer, what)
            if value.ndim and tuple(np.broadcast_shapes(value.shape, shape)) != tuple(shape):
                raise layer.error(f"has a {what} of shape {_text(value.shape)} that does not fit its input {_text(shape)}")
        return shape
    raise layer.error("is not a layer e3ne knows")  # a frontend bug


def check_chain(chain: SpikingChain) -> list[tuple[int, ...]]:
    """Check the structure e3ne compiles; return each layer's output shape.

    * every Linear/Conv2d is followed, after optional pooling and flatten, by exactly one
      neuron layer, and the chain ends with a neuron (the output spikes);
    * the first layer is a Linear/Conv2d (direct coding feeds the input to it every step);
    * neuron parameters are finite, 0 <= beta <= 1, threshold > 0.
    """
    if not chain.layers:
        raise E3NEError(f"the {chain.source} network has no layers")
    first = next((layer for layer in chain.layers if not isinstance(layer, Flatten)), None)
    if not isinstance(first, (Linear, Conv2d)):
        raise first.error(
            "comes first; e3ne needs a Linear/Conv2d layer first (the coded input feeds it every time step)"
        )
    shapes = []
    shape = tuple(chain.input_shape)
    pending = None  # the compute layer waiting for its neuron
    for layer in chain.layers:
        shape = output_shape(layer, shape)
        shapes.append(shape)
        if isinstance(layer, (Linear, Conv2d)):
            if pending is not None:
                raise layer.error(
                    f"follows {pending.describe()} without a spiking neuron between them; "
                    "e3ne compiles layers each followed by IF/LIF neurons"
                )
            pending = layer
        elif isinstance(layer, Neuron):
            _check_neuron(layer)
            if pending is None:
                raise layer.error("does not follow a Linear/Conv2d layer (two neuron layers in a row?)")
            pending = None
    if pending is not None or not isinstance(chain.layers[-1], Neuron):
        last = chain.layers[-1]
        raise last.error(
            "ends the network; e3ne needs the output layer to be spiking neurons (its spike counts or membrane "
            "are the output)"
        )
    return shapes


def _check_neuron(layer: Neuron) -> None:
    if layer.reset not in RESETS:
        raise layer.error(f"has reset {layer.reset!r}; e3ne supports {', '.join(RESETS)}")
    for what in ("beta", "threshold"):
        if not np.all(np.isfinite(getattr(layer, what))):
            raise layer.error(f"has a non-finite {what}")
    if np.any(layer.beta < 0) or np.any(layer.beta > 1):
        raise layer.error(f"has beta outside [0, 1] (min {layer.beta.min():g}, max {layer.beta.max():g})")
    if np.any(layer.threshold <= 0):
        raise layer.error(f"has a threshold <= 0 (min {layer.threshold.min():g}); e3ne needs positive thresholds")


def _text(shape) -> str:
    return "x".join(str(int(d)) for d in shape) or "()"
