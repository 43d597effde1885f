"""Which frontend a model goes through: `.nir` files (NIR), nn.Modules holding snnTorch
neurons (snnTorch), everything else the radix PyTorch importer (e3ne.frontend.fx_importer).

`import_network(model, weights, input_shape, options)` returns the float snn module;
IF/LIF networks run `options.time_steps` steps with `options.coding` input coding; average
pooling of currents stays in snn.mlir as the model has it (quantize_module folds it into the
convolution, snn-fold-current-pooling; emit.fold_average_pools is the frontend's own fold).
"""

from __future__ import annotations

from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from e3ne.errors import E3NEError


def is_nir(model) -> bool:
    return isinstance(model, str | Path) and str(model).lower().endswith(".nir")


def spiking_chain(model, weights, input_shape: tuple[int, ...] | None, options):
    """The `SpikingChain` of a .nir path or an snnTorch module, or None for a radix model."""
    from e3ne.driver.inputs import model_of
    from e3ne.frontend.spiking.nir_import import import_nir
    from e3ne.frontend.spiking.snntorch_import import import_snntorch, is_snntorch_model

    if is_nir(model):
        if weights is not None:
            raise E3NEError("--weights is for PyTorch models; a .nir file holds its own weights", location=str(model))
        chain = import_nir(model, dt=options.dt, leak=options.nir_leak)
        if input_shape is not None and tuple(input_shape) != tuple(chain.input_shape):
            raise E3NEError(
                f"--input-shape {'x'.join(map(str, input_shape))} differs from the NIR Input node's "
                f"{'x'.join(map(str, chain.input_shape))}",
                location=str(model),
            )
        return chain
    module = model_of(model, weights)
    if is_snntorch_model(module):
        if input_shape is None:
            raise E3NEError("an snnTorch model needs --input-shape")
        return import_snntorch(module, tuple(input_shape))
    return None


def import_network(model, weights, input_shape: tuple[int, ...], options) -> ModuleOp:
    """The float snn module of any supported model (radix ReLU network or IF/LIF network)."""
    from e3ne.driver.inputs import model_of
    from e3ne.frontend import import_model
    from e3ne.frontend.spiking.emit import emit_chain

    chain = spiking_chain(model, weights, input_shape, options)
    if chain is None:
        if options.coding != "direct":
            raise E3NEError(
                f"--coding {options.coding} is for IF/LIF networks (snnTorch, NIR); a ReLU network is radix-coded"
            )
        return import_model(model_of(model, weights), input_shape)
    return emit_chain(chain, options.time_steps, coding=options.coding, seed=options.rate_seed)
