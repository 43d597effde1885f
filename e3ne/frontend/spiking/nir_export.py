"""`SpikingChain` -> `nir.NIRGraph`: writes the NIR file of an snnTorch model.

    python -m e3ne.frontend.spiking.nir_export MODEL.py:Class WEIGHTS.pt OUT.nir --input-shape 1,28,28

`snntorch.export_to_nir` (snntorch 1.0.0 with nir 1.0.8) fails type inference on Leaky
layers with one (scalar) beta; this writes the graph from the chain's parameters instead,
with snnTorch's conventions: dt = 1e-4 s, LIF `tau = dt/(1-beta)`, `r = tau/dt` (input
gain 1), `v_leak = 0`, `v_reset = 0`, every parameter per neuron; beta = 1 gives an IF
node with r = 1. NIR neurons reset to v_reset, so only reset to zero (or none with a
threshold never reached) has an exact NIR form: reset by subtraction is refused.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from e3ne.errors import E3NEError
from e3ne.frontend.spiking import chain as c
from e3ne.frontend.spiking.nir_import import DEFAULT_DT


def chain_to_nir(chain: c.SpikingChain, dt: float = DEFAULT_DT):
    import nir

    shapes = c.check_chain(chain)
    nodes = {"input": nir.Input(input_type={"input": np.array(chain.input_shape)})}
    names = ["input"]
    shape = tuple(chain.input_shape)
    for layer, out_shape in zip(chain.layers, shapes):
        name = layer.name.replace(".", "_")
        if isinstance(layer, c.Linear):
            weight = layer.weight.astype(np.float32)
            node = nir.Linear(weight=weight) if layer.bias is None else nir.Affine(weight=weight, bias=layer.bias)
        elif isinstance(layer, c.Conv2d):
            bias = layer.bias if layer.bias is not None else np.zeros(layer.weight.shape[0], dtype=np.float32)
            node = nir.Conv2d(input_shape=np.array(shape[1:]), weight=layer.weight, stride=np.array(layer.stride),
                              padding=np.array(layer.padding), dilation=np.array((1, 1)), groups=1, bias=bias)
        elif isinstance(layer, c.Pool2d):
            if layer.mode == "max":
                raise layer.error("is max pooling, which NIR 1.0.8 cannot express")
            pool = nir.AvgPool2d if layer.mode == "avg" else nir.SumPool2d
            node = pool(kernel_size=np.array(layer.kernel), stride=np.array(layer.stride), padding=np.array((0, 0)))
        elif isinstance(layer, c.Flatten):
            node = nir.Flatten(input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1)
        elif isinstance(layer, c.Neuron):
            node = _neuron(nir, layer, out_shape, dt)
        else:
            raise layer.error("has no NIR form")
        nodes[name] = node
        names.append(name)
        shape = out_shape
    nodes["output"] = nir.Output(output_type={"output": np.array(shape)})
    names.append("output")
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:])), type_check=False)


def _neuron(nir, layer: c.Neuron, shape: tuple[int, ...], dt: float):
    if layer.reset == "subtract":
        raise layer.error(
            "resets by subtraction; NIR's IF/LIF reset to v_reset, so only reset to zero has an exact NIR form"
        )
    beta = np.broadcast_to(layer.beta, shape).astype(np.float64)
    threshold = np.broadcast_to(layer.threshold, shape).astype(np.float32)
    zeros = np.zeros(shape, dtype=np.float32)
    if layer.reset == "none":
        raise layer.error("has no reset; NIR's IF/LIF always reset")
    if np.all(beta == 1.0):
        return nir.IF(r=np.ones(shape, dtype=np.float32), v_threshold=threshold, v_reset=zeros)
    if np.any(beta >= 1.0):
        raise layer.error("mixes beta = 1 and beta < 1 neurons, which one NIR node cannot hold")
    tau = (dt / (1.0 - beta)).astype(np.float32)
    return nir.LIF(tau=tau, r=(tau / np.float32(dt)).astype(np.float32), v_leak=zeros, v_threshold=threshold,
                   v_reset=zeros)


def write_nir(chain: c.SpikingChain, path: str | Path, dt: float = DEFAULT_DT) -> None:
    import nir

    graph = chain_to_nir(chain, dt)
    try:
        nir.write(str(path), graph)
    except Exception as error:
        raise E3NEError(f"nir.write failed: {type(error).__name__}: {error}", location=str(path)) from None


def main(argv: list[str] | None = None) -> int:
    import argparse
    import sys

    from e3ne.driver.inputs import shape_of
    from e3ne.frontend import load_model
    from e3ne.frontend.spiking.snntorch_import import import_snntorch

    parser = argparse.ArgumentParser(description="write the NIR graph of an snnTorch model")
    parser.add_argument("model", help="MODEL.py:ClassName")
    parser.add_argument("weights", help="state_dict .pt")
    parser.add_argument("output", help="OUT.nir")
    parser.add_argument("--input-shape", required=True, help="e.g. 1,28,28")
    args = parser.parse_args(argv)
    try:
        chain = import_snntorch(load_model(args.model, args.weights), shape_of(args.input_shape))
        write_nir(chain, args.output)
    except E3NEError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
