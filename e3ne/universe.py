"""Registers e3ne's dialects, passes and targets with xDSL (the `xdsl.universe` entry point).

`e3ne-opt` and plain `xdsl-opt` both find everything through this one table; each entry
is imported lazily, so listing passes does not import torch or circt.
"""

from __future__ import annotations

from importlib import import_module

from xdsl.universe import Universe

DIALECTS = {
    "snn": "e3ne.dialects.snn:SNN",
    "snnhw": "e3ne.dialects.snnhw:SNNHW",
}

PASSES: dict[str, str] = {
    # snn level (float -> integer)
    "snn-fold-batchnorm": "e3ne.transforms.snn.fold_batchnorm:FoldBatchNormPass",
    "snn-fold-normalization": "e3ne.transforms.snn.fold_normalization:FoldNormalizationPass",
    "snn-fold-current-pooling": "e3ne.transforms.snn.fold_current_pooling:FoldCurrentPoolingPass",
    "snn-calibrate": "e3ne.transforms.snn.calibrate:CalibratePass",
    "snn-quantize": "e3ne.transforms.snn.quantize:QuantizePass",
    "snn-infer-widths": "e3ne.transforms.snn.infer_widths:InferWidthsPass",
    "snn-slice-layer": "e3ne.transforms.snn.slice_layer:SliceLayerPass",
    # hardware path (snn -> snnhw -> hw)
    "lower-snn-to-snnhw": "e3ne.lowering.snn_to_snnhw:LowerSnnToSnnhw",
    "snnhw-estimate": "e3ne.transforms.snnhw.estimate:EstimatePass",
    "lower-snnhw-to-circt": "e3ne.lowering.snnhw_to_circt:LowerSnnhwToCirct",
    "lower-snn-to-hw": "e3ne.lowering.snn_to_hw:LowerSnnToHw",
}

TARGETS: dict[str, str] = {
    "verilog": "e3ne.backend.verilog:VerilogTarget",
}


def _lazy(path: str):
    module_name, attribute = path.split(":")
    return lambda: getattr(import_module(module_name), attribute)


E3NE_UNIVERSE = Universe(
    all_dialects={name: _lazy(path) for name, path in DIALECTS.items()},
    all_passes={name: _lazy(path) for name, path in PASSES.items()},
    all_targets={name: _lazy(path) for name, path in TARGETS.items()},
)
