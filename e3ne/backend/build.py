"""`build_hardware`: integer snn module -> BUILD/{snnhw.mlir, hw.mlir, rtl/, hardware.json}.

Layout of BUILD:
  snnhw.mlir       the micro-architecture (lower-snn-to-snnhw)
  hw.mlir          CIRCT hw/comb/seq (lower-snnhw-to-circt)
  rtl/<net>.sv     the design (CIRCT ExportVerilog + memory wrappers)
  rtl/e3ne_primitives.sv, rtl/*.hex (ROM contents), rtl/tb.sv (testbench)
  hardware.json    the manifest returned here: interface layout, cycles, per-layer numbers
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from e3ne.backend.testbench import testbench
from e3ne.backend.verilog import PRIMITIVES, emit_verilog, write_memory_files
from e3ne.dialects import snnhw
from e3ne.lowering.hwbuilder import bits_for
from e3ne.lowering.pipeline import infer_widths
from e3ne.lowering.snn_to_snnhw import LowerSnnToSnnhw, parse_parallelism
from e3ne.lowering.snnhw_to_circt import LowerSnnhwToCirct


def _text(module: ModuleOp) -> str:
    from io import StringIO

    from xdsl.printer import Printer

    out = StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue() + "\n"


def describe(accelerator: snnhw.AcceleratorOp) -> dict:
    """The manifest: what the host and the testbench need to know, and the schedule."""
    schedule = accelerator.schedule()
    stages = schedule.stage_ops()
    source = stages[0].input_buffer()
    logits = stages[-1].output_buffer()
    channels, height, width, time_steps = source.shape()
    layers = []
    for stage in stages:
        in_f, out_f = stage.in_features.value.data, stage.out_features.value.data
        layers.append(
            {
                "name": stage.symbol,
                "kind": "linear",
                "in_features": in_f,
                "out_features": out_f,
                "parallelism": stage.parallelism.value.data,
                "accumulator_width": stage.accumulator_width.value.data,
                "cycles": stage.cycles(),
                "ideal_cycles": stage.ideal_cycles(),
                "overhead_cycles": stage.overhead_cycles(),
            }
        )
    return {
        "top": accelerator.sym_name.data,
        "time_steps": time_steps,
        "input": {
            "features": stages[0].in_features.value.data,
            "channels": channels,
            "height": height,
            "width": width,
            "time_steps": time_steps,
            "word_width": source.word_width.value.data,
            "words_per_step": source.words_per_step(),
            "depth": source.depth.value.data,
            "address_width": bits_for(source.depth.value.data),
            "address": "row + height * (channel + channels * t); bit w = column w; t = 0 is the MSB plane",
        },
        "logits": {
            "count": logits.entries.value.data,
            "width": logits.word_width.value.data,
            "depth": logits.depth.value.data,
            "address_width": bits_for(logits.depth.value.data),
        },
        "cycles_expected": schedule.cycles.value.data,
        "ideal_cycles": sum(layer["ideal_cycles"] for layer in layers),
        "layers": layers,
        "ports": {
            "in": ["clk", "rst", "start", "in_we", "in_addr", "in_data", "logit_addr"],
            "out": ["done", "logit_data"],
        },
    }


def build_hardware(
    quant_module: ModuleOp,
    build_dir: Path,
    linear_parallelism: int | list[int] | str | None = None,
    progress: Callable[[str], None] = print,
) -> dict:
    build_dir = Path(build_dir)
    rtl = build_dir / "rtl"
    rtl.mkdir(parents=True, exist_ok=True)
    module = quant_module.clone()
    ctx = Context()
    infer_widths(ctx, module)
    parallelism = parse_parallelism(linear_parallelism)
    LowerSnnToSnnhw(linear_parallelism=tuple(parallelism or ())).apply(ctx, module)
    module.verify()
    (build_dir / "snnhw.mlir").write_text(_text(module))
    accelerator = next(op for op in module.body.ops if isinstance(op, snnhw.AcceleratorOp))
    manifest = describe(accelerator)
    progress(
        "snnhw: "
        + ", ".join(f"{l['name']} P={l['parallelism']} ({l['cycles']} cycles)" for l in manifest["layers"])
    )
    LowerSnnhwToCirct().apply(ctx, module)
    (build_dir / "hw.mlir").write_text(_text(module))
    top = manifest["top"]
    (rtl / f"{top}.sv").write_text(emit_verilog(module))
    shutil.copy(PRIMITIVES, rtl / PRIMITIVES.name)
    hex_files = write_memory_files(module, rtl)
    (rtl / "tb.sv").write_text(testbench(manifest))
    manifest["files"] = {
        "design": f"rtl/{top}.sv",
        "primitives": f"rtl/{PRIMITIVES.name}",
        "testbench": "rtl/tb.sv",
        "memories": [f"rtl/{p.name}" for p in hex_files],
    }
    (build_dir / "hardware.json").write_text(json.dumps(manifest, indent=2) + "\n")
    progress(f"RTL: {rtl / (top + '.sv')}, {len(hex_files)} memory files; {manifest['cycles_expected']} cycles/image")
    return manifest
