"""NIR graph (`nir.read(path)`) -> `SpikingChain`.

Nodes: Input, Affine, Linear, Conv2d, Flatten, AvgPool2d, SumPool2d, IF, LIF, Output, in
one chain from the input to the output. Everything else (CubaLIF, CubaLI, LI, I, Delay,
Scale, Threshold, Conv1d, subgraphs, recurrent edges, branches) is refused naming the node.

Continuous-time neurons are discretised with the time step `dt` (an option, recorded in
the IR). LIF `tau dv/dt = (v_leak - v) + R*I` becomes snnTorch's `v' = beta*v + g*I` with
`beta = 1 - dt/tau` (forward Euler: snnTorch's own NIR export and import, dt = 1e-4 by
default) or `beta = exp(-dt/tau)` (`leak="exp"`, exact for a current held over the step),
and the input gain `g = R*(1 - beta)` (R*dt/tau with Euler: 1 for snnTorch's exports).
IF `dv/dt = R*I` integrates `v' = v + R*I` per step (g = R; dt does not enter). A gain is
moved into the threshold (`v > thr` with `v = g*u` is `u > thr/g`), which leaves every
spike unchanged. NIR resets to `v_reset` (reset to zero for v_reset = 0, the only one
supported); v_leak must be 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from e3ne.errors import E3NEError
from e3ne.frontend.spiking import chain as c

LEAKS = ("euler", "exp")
DEFAULT_DT = 1e-4  # snntorch.export_to_nir's dt
SUPPORTED = "NIR nodes Input, Affine, Linear, Conv2d, Flatten, AvgPool2d, SumPool2d, IF, LIF, Output in one chain"
_REFUSED = {
    "CubaLIF": "it has a synaptic current as a second state variable; e3ne's neurons have one membrane",
    "CubaLI": "it is a current-based leaky integrator without spikes",
    "LI": "it is a leaky integrator without spikes (a membrane readout); e3ne's output layer is IF/LIF",
    "I": "it is an integrator without spikes",
    "Delay": "e3ne has no synaptic delays",
    "Scale": "fold the scale into the neighbouring layer's weights",
    "Threshold": "a bare threshold without a membrane is not an e3ne neuron",
    "Conv1d": "e3ne compiles 2-D convolutions",
    "NIRGraph": "it is a subgraph (snnTorch exports recurrent RLeaky/RSynaptic this way); e3ne compiles a flat "
    "feed-forward chain",
}


def read_nir(path: str | Path):
    """`nir.read(path)` with an E3NEError for a missing or unreadable file."""
    try:
        import nir
    except ImportError:
        raise E3NEError("reading .nir files needs the nir package", hint="pip install 'e3ne[snn]'") from None
    path = Path(path)
    if not path.is_file():
        raise E3NEError("NIR file not found", location=str(path))
    try:
        return nir.read(str(path))
    except Exception as error:
        raise E3NEError(f"nir.read cannot read this file: {type(error).__name__}: {error}", location=str(path)) from None


def _arr(value) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def _pair(value, name: str, layer: c.Layer) -> tuple[int, int]:
    array = np.asarray(value).reshape(-1)
    if array.size == 1:
        return (int(array[0]), int(array[0]))
    if array.size == 2:
        return (int(array[0]), int(array[1]))
    raise layer.error(f"has {name}={value!r}; e3ne needs an int or a pair")


def _collapse(values: np.ndarray) -> np.ndarray:
    """One value when every neuron shares it (a 0-d array), else per neuron (float32)."""
    values = np.asarray(values, dtype=np.float32)
    return values.reshape(-1)[:1].reshape(()) if values.size and np.all(values == values.reshape(-1)[0]) else values


def _order(graph, location: str) -> list[str]:
    """Node names from Input to Output along the only path; errors for branches and cycles."""
    successors: dict[str, list[str]] = {name: [] for name in graph.nodes}
    predecessors: dict[str, list[str]] = {name: [] for name in graph.nodes}
    for source, target in graph.edges:
        for name in (source, target):
            if name not in graph.nodes:
                raise E3NEError(f"the NIR graph has an edge to or from a missing node '{name}'", location=location)
        successors[source].append(target)
        predecessors[target].append(source)
    inputs = [n for n, node in graph.nodes.items() if type(node).__name__ == "Input"]
    if len(inputs) != 1:
        raise E3NEError(f"the NIR graph has {len(inputs)} Input nodes; e3ne compiles graphs with exactly one",
                        location=location)
    order, name, seen = [], inputs[0], set()
    while True:
        if name in seen:
            raise E3NEError(
                f"NIR node '{name}' ({type(graph.nodes[name]).__name__}) is reached twice: the graph is recurrent; "
                "e3ne compiles feed-forward chains", location=location,
            )
        seen.add(name)
        order.append(name)
        if len(predecessors[name]) > 1:
            raise E3NEError(
                f"NIR node '{name}' ({type(graph.nodes[name]).__name__}) has {len(predecessors[name])} inputs "
                f"({', '.join(predecessors[name])}); e3ne compiles a single chain (recurrent edges or merges are "
                "not supported)", location=location,
            )
        if len(successors[name]) > 1:
            raise E3NEError(
                f"NIR node '{name}' ({type(graph.nodes[name]).__name__}) feeds {len(successors[name])} nodes "
                f"({', '.join(successors[name])}); e3ne compiles a single chain", location=location,
            )
        if not successors[name]:
            break
        name = successors[name][0]
    unused = [n for n in graph.nodes if n not in seen]
    if unused:
        raise E3NEError(f"NIR nodes {', '.join(unused)} are not on the path from the input to the output",
                        location=location)
    if type(graph.nodes[order[-1]]).__name__ != "Output":
        raise E3NEError(f"the NIR chain ends at node '{order[-1]}', not at an Output node", location=location)
    return order


def chain_from_nir(graph, dt: float = DEFAULT_DT, leak: str = "euler", location: str = "model.nir") -> c.SpikingChain:
    """The checked `SpikingChain` of a `nir.NIRGraph`, LIF discretised with `dt` and `leak`."""
    if leak not in LEAKS:
        raise E3NEError(f"NIR leak discretisation {leak!r} is not one of {', '.join(LEAKS)}")
    if not (np.isfinite(dt) and dt > 0):
        raise E3NEError(f"--dt must be a positive time step in seconds, got {dt}")
    layers: list[c.Layer] = []
    input_shape = None
    for name in _order(graph, location):
        node = graph.nodes[name]
        kind = type(node).__name__
        layer = c.Layer(name=name, kind=f"NIR {kind}", location=location)
        common = dict(name=name, kind=f"NIR {kind}", location=location)
        if kind in _REFUSED:
            raise layer.error(f"is not supported: {_REFUSED[kind]}", hint=SUPPORTED)
        if kind == "Input":
            shape = node.input_type.get("input") if isinstance(node.input_type, dict) else None
            if shape is None:
                raise layer.error("has no input shape")
            input_shape = tuple(int(d) for d in np.asarray(shape).reshape(-1))
        elif kind == "Output":
            continue
        elif kind in ("Affine", "Linear"):
            weight = np.asarray(node.weight, dtype=np.float32)
            if weight.ndim != 2:
                raise layer.error(f"has a weight of rank {weight.ndim}; e3ne needs (out, in)")
            bias = np.asarray(node.bias, dtype=np.float32) if kind == "Affine" else None
            layers.append(c.Linear(**common, weight=weight, bias=bias))
        elif kind == "Conv2d":
            if _pair(node.dilation, "dilation", layer) != (1, 1) or int(node.groups) != 1:
                raise layer.error("has dilation or groups other than 1; e3ne supports plain convolutions")
            weight = np.asarray(node.weight, dtype=np.float32)
            padding = node.padding
            if isinstance(padding, str):
                if padding == "valid":
                    padding = (0, 0)
                elif padding == "same" and weight.shape[2] % 2 and weight.shape[3] % 2:
                    padding = (weight.shape[2] // 2, weight.shape[3] // 2)
                else:
                    raise layer.error(f"has padding={padding!r}; e3ne needs symmetric padding")
            bias = np.asarray(node.bias, dtype=np.float32).reshape(-1)
            layers.append(c.Conv2d(**common, weight=weight, bias=None if not bias.any() else bias,
                                   stride=_pair(node.stride, "stride", layer), padding=_pair(padding, "padding", layer)))
        elif kind in ("AvgPool2d", "SumPool2d"):
            if _pair(node.padding, "padding", layer) != (0, 0):
                raise layer.error("has padding; e3ne pools without padding")
            kernel = _pair(node.kernel_size, "kernel_size", layer)
            layers.append(c.Pool2d(**common, mode="avg" if kind == "AvgPool2d" else "sum", kernel=kernel,
                                   stride=_pair(node.stride, "stride", layer)))
        elif kind == "Flatten":
            layers.append(_flatten(node, layer, common))
        elif kind in ("IF", "LIF"):
            layers.append(_neuron(node, kind, layer, common, dt, leak))
        else:
            raise layer.error("is not supported", hint=SUPPORTED)
    notes = [f"NIR time step dt = {dt:g} s, leak {'beta = 1 - dt/tau (forward Euler)' if leak == 'euler' else 'beta = exp(-dt/tau)'}"]
    chain = c.SpikingChain(layers=layers, input_shape=input_shape, source="nir", notes=notes)
    c.check_chain(chain)
    return chain


def _flatten(node, layer: c.Layer, common: dict) -> c.Flatten:
    """start_dim 0 (NIR's numbering without the batch) or 1 (torch.flatten(x, 1), with it), to the end."""
    start, end = int(node.start_dim), int(node.end_dim)
    if end != -1 or start not in (0, 1):
        raise layer.error(f"flattens dimensions {start}..{end}; e3ne flattens all (non-batch) dimensions")
    return c.Flatten(**common)


def _neuron(node, kind: str, layer: c.Layer, common: dict, dt: float, leak: str) -> c.Neuron:
    threshold = _arr(node.v_threshold)
    r = _arr(node.r)
    v_reset = _arr(node.v_reset) if getattr(node, "v_reset", None) is not None else np.zeros_like(threshold)
    if np.any(v_reset != 0):
        raise layer.error("has v_reset != 0; e3ne resets to zero (or by subtraction, which NIR cannot express)")
    if kind == "IF":
        beta = np.ones_like(threshold)
        gain = r
        note = "IF: v' = v + R*I per step (dt does not enter); threshold divided by R"
    else:
        tau, v_leak = _arr(node.tau), _arr(node.v_leak)
        if np.any(v_leak != 0):
            raise layer.error("has v_leak != 0 (a resting potential); e3ne's neurons leak towards 0")
        if np.any(tau <= 0):
            raise layer.error("has tau <= 0")
        beta = 1.0 - dt / tau if leak == "euler" else np.exp(-dt / tau)
        if np.any(beta < 0):
            raise layer.error(f"has tau < dt = {dt:g} s (beta = 1 - dt/tau < 0)", hint="pass the --dt it was exported with")
        gain = r * (1.0 - beta)
        note = f"LIF: beta from tau with dt = {dt:g} s ({leak}); input gain R*(1-beta) moved into the threshold"
    if np.any(gain <= 0):
        raise layer.error("has an input gain R*dt/tau <= 0 (R <= 0?)")
    neuron = c.Neuron(**common, beta=_collapse(beta), threshold=_collapse(threshold / gain), reset="zero")
    if not np.allclose(gain, 1.0):
        neuron.notes.append(note)
    neuron.notes.insert(0, f"NIR {kind}: reset to v_reset = 0")
    return neuron


def import_nir(path: str | Path, dt: float = DEFAULT_DT, leak: str = "euler") -> c.SpikingChain:
    """Read a .nir file into a checked `SpikingChain`."""
    return chain_from_nir(read_nir(path), dt=dt, leak=leak, location=str(path))
