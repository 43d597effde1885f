"""`build_hardware`: integer snn module -> BUILD/{snnhw.mlir, hw.mlir, rtl/, hardware.json}.

Layout of BUILD:
  snnhw.mlir       the micro-architecture (lower-snn-to-snnhw)
  hw.mlir          CIRCT hw/comb/seq (lower-snnhw-to-circt)
  rtl/<net>.sv     the design (CIRCT ExportVerilog + memory wrappers)
  rtl/e3ne_primitives.sv, rtl/*.hex (ROM contents), rtl/tb.sv (testbench)
  rtl/weights.hex  the weight image of the off-chip ROMs (only with off-chip weights)
  hardware.json    the manifest returned here: interface layout, cycles, per-layer numbers
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from e3ne.backend.dataflow_testbench import dataflow_testbench
from e3ne.backend.testbench import testbench
from e3ne.backend.verilog import PRIMITIVES, emit_verilog, write_memory_files
from e3ne.backend.weight_image import image_layout, write_weight_image
from e3ne.dialects import snnhw
from e3ne.lowering.hw.hwbuilder import bits_for
from e3ne.lowering.snn_to_hw import infer_widths
from e3ne.lowering.snn_to_snnhw import LowerSnnToSnnhw, parse_parallelism
from e3ne.lowering.snnhw_to_circt import AXI_READ_OUTPUTS, LowerSnnhwToCirct, axi_inputs
from e3ne.model.memory import DEFAULT_AXI_DATA_WIDTH, DEFAULT_MEMORY_LATENCY


def _text(module: ModuleOp) -> str:
    from io import StringIO

    from xdsl.printer import Printer

    out = StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue() + "\n"


def _layer(stage) -> dict:
    common = {
        "name": stage.symbol,
        "cycles": stage.cycles(),
        "ideal_cycles": stage.ideal_cycles(),
        "overhead_cycles": stage.overhead_cycles(),
    }
    if stage.HAS_WEIGHTS:
        common["weights"] = stage.weight_rom().kind.data
        common["stall_cycles"] = stage.stall_cycles()
    if isinstance(stage, snnhw.LinearUnitOp):
        return {
            **common,
            "kind": "linear",
            "in_features": stage.in_features.value.data,
            "out_features": stage.out_features.value.data,
            "parallelism": stage.parallelism.value.data,
            "input_parallelism": stage.q(),
            "accumulator_width": stage.accumulator_width.value.data,
            **({"skip_zeros": True} if stage.skips_zeros() else {}),
        }
    if isinstance(stage, snnhw.ConvUnitOp):
        return {
            **common,
            "kind": "conv",
            "in_shape": list(stage.in_shape()),
            "out_shape": list(stage.out_shape()),
            "kernel": list(stage.kernel_size()),
            "stride": list(stage.strides()),
            "padding": list(stage.paddings()),
            "columns": stage.columns.value.data,
            "channels": stage.channels.value.data,
            "units": stage.units.value.data,
            "pool": None if stage.pool_mode is None else [stage.pool_mode.data, *stage.pool_size()],
            "accumulator_width": stage.accumulator_width.value.data,
            **({"skip_zeros": True} if stage.skips_zeros() else {}),
        }
    return {
        **common,
        "kind": f"{stage.mode.data}_pool",
        "channels": stage.channels.value.data,
        "kernel": list(stage.kernel_size()),
        "stride": list(stage.strides()),
    }


def _summary(layer: dict) -> str:
    if layer["kind"] == "linear":
        return f"{layer['name']} P={layer['parallelism']} ({layer['cycles']} cycles)"
    if layer["kind"] == "conv":
        return (
            f"{layer['name']} columns={layer['columns']} channels={layer['channels']} units={layer['units']} "
            f"({layer['cycles']} cycles)"
        )
    return f"{layer['name']} ({layer['cycles']} cycles)"


def describe(accelerator: snnhw.AcceleratorOp) -> dict:
    """The manifest: what the host and the testbench need to know, and the schedule."""
    schedule = accelerator.schedule()
    stages = schedule.stage_ops()
    source = stages[0].input_buffer()
    logits = stages[-1].output_buffer()
    channels, height, width, time_steps = source.shape()
    layers = [_layer(stage) for stage in stages]
    offchip = bool(accelerator.offchip_roms())
    axi = {"axi": image_layout(accelerator)} if offchip else {}
    axi_in = list(axi_inputs(accelerator.memory_model()[0])) if offchip else []
    axi_out = list(AXI_READ_OUTPUTS) if offchip else []
    manifest = {
        "top": accelerator.sym_name.data,
        "time_steps": time_steps,
        "input": {
            "features": stages[0].input_features(),
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
        "cycles_expected": schedule.cycles.value.data,
        "ideal_cycles": sum(layer["ideal_cycles"] for layer in layers),
        "layers": layers,
        "ports": {
            "in": ["clk", "rst", "start", "in_we", "in_addr", "in_data", "logit_addr", *axi_in],
            "out": ["done", "logit_data", *axi_out],
        },
        **axi,
    }
    if schedule.is_dataflow():  # docs/dataflow.md: images stream back to back
        manifest["cycles_expected"] = schedule.latency_cycles()
        manifest["schedule"] = schedule.schedule_kind().value
        manifest["interval_expected"] = schedule.interval_cycles()
        manifest["ports"]["in"].insert(manifest["ports"]["in"].index("logit_addr") + 1, "ack")
        manifest["ports"]["out"][2:2] = ["in_ready", "image_done"]
    if isinstance(logits, snnhw.LogitBufferOp):
        manifest["logits"] = {
            "count": logits.entries.value.data,
            "width": logits.word_width.value.data,
            "depth": logits.depth.value.data,
            "address_width": bits_for(logits.depth.value.data),
        }
        return manifest
    # a slice ending in a hidden layer: the host reads its bit-plane buffer (docs/interface.md)
    channels, height, width, time_steps = logits.shape()
    manifest["result"] = {
        "features": stages[-1].output_features(),
        "channels": channels,
        "height": height,
        "width": width,
        "time_steps": time_steps,
        "word_width": logits.word_width.value.data,
        "words_per_step": logits.words_per_step(),
        "depth": logits.depth.value.data,
        "address_width": bits_for(logits.depth.value.data),
    }
    renamed = {"logit_addr": "result_addr", "logit_data": "result_data"}
    manifest["ports"] = {way: [renamed.get(name, name) for name in names] for way, names in manifest["ports"].items()}
    return manifest


def lower_to_snnhw(
    quant_module: ModuleOp,
    linear_parallelism: int | list[int] | str | None = None,
    parallelism: str | None = None,
    fuse_pooling: bool = True,
    offchip_weights: str = "none",
    axi_data_width: int = DEFAULT_AXI_DATA_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
    schedule: str = "sequential",
    skip_zeros: bool = False,
) -> tuple[Context, ModuleOp, snnhw.AcceleratorOp]:
    """A copy of the integer snn module lowered to snnhw (widths inferred first if needed):
    (context, module, its accelerator). The arguments are `build_hardware`'s."""
    module = quant_module.clone()
    ctx = Context()
    infer_widths(ctx, module)
    linear = parse_parallelism(linear_parallelism)
    LowerSnnToSnnhw(
        linear_parallelism=tuple(linear or ()),
        parallelism=parallelism or "",
        fuse_pooling=fuse_pooling,
        offchip_weights=offchip_weights or "none",
        axi_data_width=axi_data_width,
        memory_latency=memory_latency,
        schedule=schedule,
    ).apply(ctx, module)
    accelerator = next(op for op in module.body.ops if isinstance(op, snnhw.AcceleratorOp))
    if skip_zeros:
        from e3ne.transforms.snnhw.skip_zeros import mark_skip_zeros

        mark_skip_zeros(accelerator)
    return ctx, module, accelerator


def build_hardware(
    quant_module: ModuleOp,
    build_dir: Path,
    linear_parallelism: int | list[int] | str | None = None,
    progress: Callable[[str], None] = print,
    parallelism: str | None = None,
    fuse_pooling: bool = True,
    offchip_weights: str = "none",
    axi_data_width: int = DEFAULT_AXI_DATA_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
    schedule: str = "sequential",
    skip_zeros: bool = False,
) -> dict:
    """Lower, emit and describe. `parallelism` is an `e3ne.parallelism` setting
    (`[layer.]key=value,...`); `linear_parallelism` (P for every linear layer, or one per
    layer) is the older spelling of `P=`. `offchip_weights` (`none`, `all`, or layer
    names, see `e3ne.offchip`) streams those layers' weights through the AXI port, from
    external memory holding rtl/weights.hex. `skip_zeros` marks the eligible linear units
    to skip all-zero input chunks (`snnhw-skip-zeros`)."""
    ctx, module, accelerator = lower_to_snnhw(
        quant_module, linear_parallelism, parallelism, fuse_pooling, offchip_weights, axi_data_width, memory_latency,
        schedule,
        skip_zeros,
    )
    return emit_hardware(ctx, module, accelerator, build_dir, progress)


def emit_hardware(
    ctx: Context,
    module: ModuleOp,
    accelerator: snnhw.AcceleratorOp,
    build_dir: Path,
    progress: Callable[[str], None] = print,
    shell: str = "none",
    input_scale: int = 0,
    baud: int = 115_200,
    uart_clock_mhz: float = 25.0,
) -> dict:
    """Write snnhw.mlir, lower `module` (from `lower_to_snnhw`) on to CIRCT in place, emit
    the RTL and write hardware.json; returns the manifest. `module` is consumed: estimate
    `accelerator` before calling this. `shell="axi"` also writes the AXI shell and the host
    driver (e3ne.backend.shell; `input_scale` is the snn.encode scale the driver encodes with)."""
    build_dir = Path(build_dir)
    rtl = build_dir / "rtl"
    rtl.mkdir(parents=True, exist_ok=True)
    module.verify()
    (build_dir / "snnhw.mlir").write_text(_text(module))
    manifest = describe(accelerator)
    progress(
        "snnhw: "
        + ", ".join(_summary(layer) for layer in manifest["layers"])
    )
    image = None
    if accelerator.offchip_roms():
        image = rtl / "weights.hex"
        progress(f"weight image: {manifest['axi']['bytes']} bytes for {len(manifest['axi']['layers'])} off-chip layers")
        write_weight_image(accelerator, image)
    elif (rtl / "weights.hex").exists():
        (rtl / "weights.hex").unlink()
    LowerSnnhwToCirct().apply(ctx, module)
    (build_dir / "hw.mlir").write_text(_text(module))
    top = manifest["top"]
    (rtl / f"{top}.sv").write_text(emit_verilog(module))
    shutil.copy(PRIMITIVES, rtl / PRIMITIVES.name)
    hex_files = write_memory_files(module, rtl)
    (rtl / "tb.sv").write_text(dataflow_testbench(manifest) if manifest.get("schedule") == "dataflow" else testbench(manifest))
    manifest["files"] = {
        "design": f"rtl/{top}.sv",
        "primitives": f"rtl/{PRIMITIVES.name}",
        "testbench": "rtl/tb.sv",
        "memories": [f"rtl/{p.name}" for p in hex_files],
        **({"weight_image": "rtl/weights.hex"} if image else {}),
    }
    if shell == "axi":
        from e3ne.backend.shell import emit_axi_shell

        manifest["shell"] = emit_axi_shell(build_dir, manifest, input_scale)
        progress(f"AXI shell: rtl/{manifest['shell']['top']}.sv, host driver in {build_dir / 'driver'}")
    elif shell == "uart":
        from e3ne.backend.shell_uart import emit_uart_shell

        manifest["shell"] = emit_uart_shell(build_dir, manifest, input_scale, baud, uart_clock_mhz)
        uart = manifest["shell"]
        progress(
            f"UART shell: rtl/{uart['top']}.sv, {baud} baud at {uart_clock_mhz:g} MHz = {uart['clks_per_bit']} clocks "
            f"per bit ({100 * uart['baud_error']:+.3f}%), host driver in {build_dir / 'driver'}"
        )
    from e3ne.build_checks import build_stamp

    manifest.update(build_stamp(build_dir))  # e3ne version and rtl/ checksums, checked before simulate/synth
    (build_dir / "hardware.json").write_text(json.dumps(manifest, indent=2) + "\n")
    # With zero skipping the schedule's counts are the dense worst case; each image's own count is data-dependent.
    worst = " (worst case: zero skipping)" if any(layer.get("skip_zeros") for layer in manifest["layers"]) else ""
    interval = f", a new image every {manifest['interval_expected']}" if "interval_expected" in manifest else ""
    progress(
        f"RTL: {rtl / (top + '.sv')}, {len(hex_files)} memory files; "
        f"{manifest['cycles_expected']} cycles/image{interval}{worst}"
    )
    return manifest
