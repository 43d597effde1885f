"""snnTorch model -> `SpikingChain`, traced with torch.fx with snnTorch neurons as leaves.

The model is the single-step module form: one `forward` call is one time step, either
with hidden state (`snn.Leaky(..., init_hidden=True)`, e.g. in an `nn.Sequential`) or
with explicit state (`forward(x, mem1, mem2)` calling `spk, mem = self.lif1(cur, mem1)`;
extra inputs are membrane states and extra outputs are ignored). The network output is
the output layer's spikes (e3ne counts them over T steps) or, when `forward` returns the
output layer's membrane first, its membrane.

Supported: nn.Linear, nn.Conv2d, nn.AvgPool2d / nn.MaxPool2d / F.avg_pool2d / F.max_pool2d
on currents, flatten, nn.Dropout / nn.Identity, and `snn.Leaky` with scalar or per-neuron
beta/threshold (learned ones too: inference uses their trained values), reset
subtract / zero / none. Refused, naming the module: other snnTorch neurons (Synaptic,
RLeaky, RSynaptic, Alpha, Lapicque, SLSTM, ...), inhibition, graded spikes, state_quant,
reset_delay=False with reset by subtraction.

SpikingJelly (activation_based) models go the same way: a copy is switched to single-step
mode (`functional.set_step_mode(net, "s")`), and `IFNode`/`LIFNode` become the same neurons
(`_spikingjelly_neuron`); its `layer.Linear`/`layer.Conv2d`/... subclass torch's layers.
"""

from __future__ import annotations

import contextlib
import io
import operator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.fx import GraphModule, Node, Tracer
from torch.fx.passes.shape_prop import ShapeProp

from e3ne.errors import E3NEError
from e3ne.frontend.spiking import chain as c
from e3ne.frontend.tracing import Origin, class_location, user_frame_of_exception

SUPPORTED = (
    "snnTorch single-step models of nn.Linear / nn.Conv2d layers each followed by snn.Leaky neurons "
    "(average or max pooling and flatten may sit between a layer and its neuron)"
)
_REFUSED_NEURONS = {
    "Synaptic": "it has a second state variable (the synaptic current); e3ne's neurons have one membrane",
    "RSynaptic": "it is recurrent and has a synaptic current; e3ne compiles feed-forward chains",
    "RLeaky": "it is recurrent (its spikes feed back through weights); e3ne compiles feed-forward chains",
    "Alpha": "it has two state variables (alpha neuron); e3ne's neurons have one membrane",
    "Lapicque": "use snn.Leaky with beta = 1 - T/(R*C) instead",
}


def _is_snntorch(module: nn.Module) -> bool:
    return type(module).__module__.split(".")[0] == "snntorch"


def _is_neuron(module: nn.Module) -> bool:
    """An snnTorch module or a SpikingJelly neuron (spikingjelly.activation_based.neuron)."""
    return _is_snntorch(module) or type(module).__module__.startswith("spikingjelly.activation_based.neuron")


_LEAF_LAYERS = (nn.Linear, nn.Conv2d, nn.AvgPool2d, nn.MaxPool2d, nn.Flatten, nn.Dropout, nn.Identity)


class _SpikingTracer(Tracer):
    """Neurons are leaves (their forward keeps Python state and branches), and so are layers
    subclassing torch's (SpikingJelly's `layer.Linear`, `layer.Conv2d`, ...)."""

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        return _is_neuron(m) or isinstance(m, _LEAF_LAYERS) or super().is_leaf_module(m, module_qualified_name)


def trace_spiking(model: nn.Module) -> GraphModule:
    model.eval()
    tracer = _SpikingTracer()
    tracer.record_stack_traces = True
    try:
        graph = tracer.trace(model)
    except Exception as error:
        raise E3NEError(
            f"torch.fx cannot trace {type(model).__name__}.forward: {type(error).__name__}: {error}",
            location=user_frame_of_exception(error) or class_location(type(model)),
            hint="give the single-step form: forward(x) (init_hidden=True) or forward(x, mem1, ...), "
            "without loops over time steps",
        ) from None
    graph_module = GraphModule(tracer.root, graph, type(model).__name__)
    graph_module.root_class = type(model)  # type: ignore[attr-defined]
    return graph_module


def is_snntorch_model(model: nn.Module) -> bool:
    """Whether `model` holds snnTorch modules or SpikingJelly neurons (the spiking frontend)."""
    return any(_is_neuron(m) for m in model.modules())


def _spikingjelly_neuron(module: nn.Module, origin: Origin) -> c.Neuron:
    """SpikingJelly IFNode/LIFNode (run in single-step mode) as a snnTorch-semantics neuron.

    LIF charge `H = V + (X - (V - v_reset))/tau` (decay_input) or `H = V - (V - v_reset)/tau + X`,
    IF `H = V + X`; fire `H >= v_threshold`; hard reset to v_reset = 0 (same spikes as snnTorch's
    delayed reset to zero) or soft reset `V = H - v_threshold` (IF only: with a leak, SpikingJelly
    subtracts before the decay and snnTorch after it). `beta = 1 - 1/tau`, input gain 1/tau
    (decay_input) moved into the threshold. SpikingJelly fires at equality, snnTorch above it."""
    name = type(module).__name__
    layer = c.Neuron(name=origin.name, kind=f"spikingjelly.{name}", location=origin.location)
    if name not in ("IFNode", "LIFNode"):
        raise layer.error("is not supported; of SpikingJelly's neurons e3ne compiles IFNode and LIFNode", hint=SUPPORTED)
    if module.v_reset not in (None, 0.0):
        raise layer.error(f"has v_reset={module.v_reset:g}; e3ne resets to 0 (v_reset=0.) or by subtraction (None)")
    threshold = float(module.v_threshold)
    if name == "IFNode":
        beta, gain = 1.0, 1.0
    else:
        tau = float(module.tau)
        beta, gain = 1.0 - 1.0 / tau, (1.0 / tau if module.decay_input else 1.0)
        if module.v_reset is None:
            raise layer.error(
                "has a soft reset (v_reset=None) with a leak; SpikingJelly subtracts the threshold before the decay, "
                "e3ne (snnTorch) after it", hint="use v_reset=0. (hard reset) or IFNode",
            )
    layer.reset = "subtract" if module.v_reset is None else "zero"
    layer.beta = np.asarray(beta, dtype=np.float32)
    layer.threshold = np.asarray(threshold / gain, dtype=np.float32)
    layer.notes.append("SpikingJelly fires at v >= threshold, e3ne at v > threshold (differs only at equality)")
    if gain != 1.0:
        layer.notes.append(f"input gain 1/tau = {gain:g} moved into the threshold")
    return layer


def _neuron(module: nn.Module, origin: Origin) -> c.Neuron:
    import snntorch as snn

    name = type(module).__name__
    layer = c.Neuron(name=origin.name, kind=f"snntorch.{name}", location=origin.location)
    if name in _REFUSED_NEURONS:
        raise layer.error(f"is not supported: {_REFUSED_NEURONS[name]}", hint=SUPPORTED)
    if type(module) is not snn.Leaky:
        raise layer.error("is not supported; of snnTorch's neurons e3ne compiles snn.Leaky", hint=SUPPORTED)
    if module.inhibition:
        raise layer.error("has inhibition=True (winner-take-all across the layer), which e3ne does not support")
    if module.state_quant:
        raise layer.error(
            "has state_quant (a quantized membrane); e3ne quantizes the membrane itself",
            hint="compile the model without state_quant",
        )
    graded = module.graded_spikes_factor.detach().numpy()
    if not np.all(graded == 1.0):
        raise layer.error(
            f"has graded_spikes_factor={graded.ravel()[0]:g}; e3ne's spikes are 0/1",
            hint="fold the factor into the next layer's weights and set graded_spikes_factor=1",
        )
    layer.reset = module.reset_mechanism
    if not module.reset_delay and layer.reset == "subtract":
        raise layer.error(
            "has reset_delay=False with reset by subtraction; e3ne follows the default reset_delay=True "
            "(the reset is applied at the next step)",
        )
    beta = module.beta.detach().clamp(0, 1).to(torch.float32).numpy()
    layer.beta = beta.reshape(()) if beta.size == 1 else beta
    threshold = module.threshold.detach().to(torch.float32).numpy()
    layer.threshold = threshold.reshape(()) if threshold.size == 1 else threshold
    learned = [what for what in ("beta", "threshold") if isinstance(getattr(module, what), nn.Parameter)]
    if learned:
        layer.notes.append(f"learned {' and '.join(learned)}: the trained value is used")
    if not module.reset_delay:
        layer.notes.append("reset_delay=False with reset to zero/none: the same spikes as reset_delay=True")
    return layer


class _Importer:
    def __init__(self, graph_module: GraphModule, input_shape: tuple[int, ...]):
        self.gm = graph_module
        self.input_shape = input_shape
        self.layers: list[c.Layer] = []
        self.kind: dict[Node, tuple] = {}  # ("act",), ("state",), ("neuron", index), ("spk"/"mem", index), ("const", v)
        self.current: Node | None = None  # the node holding the chain's latest activation

    def origin(self, node: Node) -> Origin:
        return Origin.of(node, self.gm)

    def error(self, node: Node, message: str, hint: str | None = SUPPORTED) -> E3NEError:
        origin = self.origin(node)
        return E3NEError(f"{origin.describe()} {message}", location=origin.location, hint=hint)

    def propagate(self) -> None:
        placeholders = [n for n in self.gm.graph.nodes if n.op == "placeholder"]
        args = [torch.zeros((1, *self.input_shape))] + [torch.zeros(0)] * (len(placeholders) - 1)
        prop = ShapeProp(self.gm)
        try:
            with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
                prop.propagate(*args)
        except Exception as error:
            raise E3NEError(
                f"the model fails on an input of shape 1x{'x'.join(map(str, self.input_shape))}: "
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}",
                location=class_location(self.gm.root_class),
                hint="check --input-shape (without the batch)",
            ) from None
        finally:
            for module in self.gm.modules():
                if _is_snntorch(module) and hasattr(module, "reset_mem"):
                    module.reset_mem()
                elif _is_neuron(module) and hasattr(module, "reset"):
                    module.reset()

    def shape(self, node: Node) -> tuple[int, ...]:
        meta = node.meta.get("tensor_meta")
        return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else ()

    def activation(self, node: Node, arg) -> None:
        """`arg` must be the chain's latest activation (a single chain)."""
        if not isinstance(arg, Node) or self.kind.get(arg, ("",))[0] != "act":
            raise self.error(node, "does not take the network's activations (or a neuron's spikes) as its input")
        if arg is not self.current:
            raise self.error(
                node, "branches off an earlier activation; e3ne compiles a single chain of layers", hint=None
            )

    def add(self, node: Node, layer: c.Layer) -> tuple:
        self.layers.append(layer)
        self.current = node
        return ("act",)

    def run(self) -> tuple[list[c.Layer], str]:
        self.propagate()
        readout = None
        for node in self.gm.graph.nodes:
            if node.op == "placeholder":
                self.kind[node] = ("act",) if not self.kind else ("state",)
                if self.kind[node] == ("act",):
                    self.current = node
            elif node.op == "get_attr":
                raise self.error(node, "uses a model attribute as a value; e3ne imports layers only")
            elif node.op == "call_module":
                self.kind[node] = self.call_module(node)
            elif node.op == "call_function":
                self.kind[node] = self.call_function(node)
            elif node.op == "call_method":
                self.kind[node] = self.call_method(node)
            elif node.op == "output":
                readout = self.output(node)
        return self.layers, readout

    def call_module(self, node: Node) -> tuple:
        module = self.gm.get_submodule(str(node.target))
        origin = self.origin(node)
        if _is_neuron(module):
            layer = _neuron(module, origin) if _is_snntorch(module) else _spikingjelly_neuron(module, origin)
            self.activation(node, node.args[0] if node.args else None)
            if len(node.args) > 1 or node.kwargs:
                state = node.args[1] if len(node.args) > 1 else next(iter(node.kwargs.values()))
                if state is not None and self.kind.get(state, ("",))[0] != "state":
                    raise self.error(
                        node, "gets a membrane that is not an input of forward(); e3ne runs each neuron's "
                        "membrane from zero over the T steps", hint=None,
                    )
            self.layers.append(layer)
            index = len(self.layers) - 1
            returns_tuple = _is_snntorch(module) and (
                len(node.args) > 1 or node.kwargs or module.output or not module.init_hidden
            )
            if returns_tuple:
                self.current = None
                return ("neuron", index)
            self.current = node
            return ("act",)
        args = node.args
        if isinstance(module, (nn.Dropout, nn.Identity)):
            self.activation(node, args[0])
            self.current = node
            return ("act",)
        self.activation(node, args[0] if args else None)
        kind = f"nn.{type(module).__name__}" if type(module).__module__.startswith("torch.nn") else origin.kind
        common = dict(name=origin.name, kind=kind, location=origin.location)
        if isinstance(module, nn.Linear):
            return self.add(node, c.Linear(**common, weight=_np(module.weight), bias=_np_or_none(module.bias)))
        if isinstance(module, nn.Conv2d):
            if module.groups != 1 or tuple(module.dilation) != (1, 1) or module.padding_mode != "zeros":
                raise self.error(node, "has groups, dilation or non-zero padding_mode; e3ne supports plain convolutions")
            padding = module.padding
            if isinstance(padding, str):
                raise self.error(node, f"has padding='{padding}'; give the padding as numbers")
            return self.add(
                node, c.Conv2d(**common, weight=_np(module.weight), bias=_np_or_none(module.bias),
                               stride=_pair(module.stride), padding=_pair(padding)),
            )
        if isinstance(module, (nn.AvgPool2d, nn.MaxPool2d)):
            return self.pool(node, common, "avg" if isinstance(module, nn.AvgPool2d) else "max",
                             module.kernel_size, module.stride, module.padding, module.ceil_mode)
        if isinstance(module, nn.Flatten):
            return self.flatten(node, common)
        raise self.error(node, "is not supported")

    def pool(self, node, common, mode, kernel, stride, padding, ceil_mode) -> tuple:
        if _pair(padding) != (0, 0) or ceil_mode:
            raise self.error(node, "has padding or ceil_mode=True; e3ne pools without padding (floor)")
        kernel = _pair(kernel)
        stride = kernel if stride in (None, (), []) else _pair(stride)
        return self.add(node, c.Pool2d(**common, mode=mode, kernel=kernel, stride=stride))

    def flatten(self, node: Node, common) -> tuple:
        source = self.shape(node.args[0])
        result = self.shape(node)
        if result == source:
            self.current = node
            return ("act",)
        if len(source) < 2 or result != (source[0], int(np.prod(source[1:]))):
            raise self.error(node, "is a reshape other than flattening all non-batch dimensions")
        return self.add(node, c.Flatten(**common))

    def call_function(self, node: Node) -> tuple:
        target = node.target
        origin = self.origin(node)
        common = dict(name=origin.name, kind=origin.kind, location=origin.location)
        if target is operator.getitem:
            source, index = node.args
            kind = self.kind.get(source, ("",))
            if kind[0] != "neuron" or index not in (0, 1):
                raise self.error(node, "indexes something other than a neuron's (spk, mem) result")
            if index == 0:
                self.current = node
                return ("act",)
            return ("mem", kind[1])
        if target in (F.avg_pool2d, F.max_pool2d, torch._C._nn.avg_pool2d, torch.max_pool2d):
            self.activation(node, node.args[0])
            names = ("input", "kernel_size", "stride", "padding")
            v = {"stride": None, "padding": 0, **dict(zip(names, node.args)), **node.kwargs}
            mode = "max" if target in (F.max_pool2d, torch.max_pool2d) else "avg"
            return self.pool(node, common, mode, v["kernel_size"], v["stride"], v["padding"], v.get("ceil_mode", False))
        if target in (torch.flatten, torch.reshape):
            self.activation(node, node.args[0])
            return self.flatten(node, common)
        if target in (F.dropout,):
            self.activation(node, node.args[0])
            self.current = node
            return ("act",)
        if not any(isinstance(a, Node) and self.kind.get(a, ("",))[0] in ("act", "state", "neuron", "mem")
                   for a in node.args):
            return ("const",)
        raise self.error(node, "is not supported")

    def call_method(self, node: Node) -> tuple:
        method = str(node.target)
        origin = self.origin(node)
        if method in ("size", "dim"):
            return ("const",)
        if method in ("view", "reshape", "flatten"):
            self.activation(node, node.args[0])
            return self.flatten(node, dict(name=origin.name, kind=origin.kind, location=origin.location))
        if method in ("contiguous", "clone", "detach", "float"):
            self.activation(node, node.args[0])
            self.current = node
            return ("act",)
        raise self.error(node, "is not supported")

    def output(self, node: Node) -> str:
        result = node.args[0]
        first = result[0] if isinstance(result, (tuple, list)) and result else result
        last = len(self.layers) - 1
        kind = self.kind.get(first, ("",)) if isinstance(first, Node) else ("",)
        if kind[0] == "mem" and kind[1] == last:
            return "membrane"
        if kind[0] == "act" and first is self.current and self.layers:
            return "spikes"  # check_chain names a last layer that is not a neuron
        raise E3NEError(
            "forward() must return the output neuron layer's spikes (or membrane) first, e.g. "
            "`return self.lif_out(cur)` or `return spk_out, mem_out`",
            location=class_location(self.gm.root_class),
            hint=SUPPORTED,
        )


def _np(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to(torch.float32).numpy().copy()


def _np_or_none(tensor) -> np.ndarray | None:
    return None if tensor is None else _np(tensor)


def _pair(value) -> tuple[int, int]:
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    return (int(value[0]), int(value[-1]))


def import_snntorch(model: nn.Module, input_shape: tuple[int, ...]) -> c.SpikingChain:
    """Trace the single-step snnTorch `model` (or a SpikingJelly model, run in single-step
    mode on a copy) into a checked `SpikingChain`."""
    source = "snntorch"
    if any(_is_neuron(m) and not _is_snntorch(m) for m in model.modules()):
        import copy

        from spikingjelly.activation_based import functional

        model = copy.deepcopy(model)
        functional.set_step_mode(model, "s")  # one forward = one step, as e3ne's IR; same arithmetic
        functional.reset_net(model)
        source = "spikingjelly"
    graph_module = trace_spiking(model)
    layers, readout = _Importer(graph_module, tuple(input_shape)).run()
    chain = c.SpikingChain(layers=layers, input_shape=tuple(input_shape), source=source, readout=readout)
    c.check_chain(chain)
    return chain
