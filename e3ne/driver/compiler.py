"""`e3ne.compile`: a PyTorch model to a build directory (snn IR, snnhw, RTL, report).

    build = e3ne.compile("examples/mlp/model.py:MLP", weights="examples/mlp/weights.pt",
                         input_shape=(1, 28, 28), calibration="calib.npz", output="build/mlp")

Steps: import (snn.mlir; with `input_mean/input_std` the normalisation folded into the first
layer, so it takes raw pixels), read and check the calibration set, quantize and check the
quantization's health (snn.quant.mlir); then, unless
`emit="snn"`: explore (only for parallelism `auto`), lower to snnhw once, decide which
layers stream their weights (e3ne.offchip.decide on that lowering) and move them off
chip, emit the RTL (snnhw.mlir, hw.mlir, rtl/, hardware.json), estimate and report
(report.json, report.md). BUILD/compile.json records the settings.
"""

from __future__ import annotations

import json
from pathlib import Path

from e3ne.driver.build import Build
from e3ne.driver.inputs import check_images, load_npz, model_source, model_text, shape_of
from e3ne.driver.options import CompileOptions
from e3ne.driver.progress import Progress, Say, progress_of
from e3ne.parallelism import Parallelism

# What a compile with hardware writes besides the snn IR (explore.* only with parallelism auto).
HARDWARE_OUTPUTS = {"snnhw.mlir", "hw.mlir", "hardware.json", "report.md", "report.json", "rtl"}


def compile(  # noqa: A001 (e3ne.compile, like re.compile)
    model,
    *,
    input_shape: str | tuple[int, ...],
    calibration,
    weights: str | Path | None = None,
    options: CompileOptions | None = None,
    output: str | Path = "build",
    progress: Progress | Say | None = None,
) -> Build:
    """Compile `model` (an nn.Module or `"path/model.py:Class"` with `weights`) for inputs of
    `input_shape` (without batch), calibrated on `calibration` (images (N, *input_shape) or
    an .npz path with key x), into the build directory `output`."""
    from e3ne.build_checks import prepare_output_dir, remove_stale_outputs
    from e3ne.frontend.spiking.entry import import_network
    from e3ne.ir import write_module
    from e3ne.transforms.snn.quantize_pipeline import quantize_and_check

    options = options or CompileOptions()
    build = prepare_output_dir(output)
    # An earlier compile's outputs go first (its rtl/*.hex of other layers, or hardware.json after
    # --emit snn, would otherwise be simulated as this build's); explore --compile's own stay.
    removed = remove_stale_outputs(build, keep={"explore.json", "explore.png"} if options.hardware else set())
    input_shape = shape_of(input_shape)
    auto = options.hardware and options.parallelism.auto
    steps = progress_of(progress, (5 + auto) if options.hardware else 3)
    rewritten = {"snn.mlir", "snn.quant.mlir", "compile.json"} | (HARDWARE_OUTPUTS if options.hardware else set())
    if set(removed) - rewritten:
        stale = [name for name in removed if name not in rewritten]
        steps.say(f"removed the outputs of an earlier compile in {build}: {', '.join(stale)}")

    steps.step(f"importing {model_text(model)} (input shape {'x'.join(map(str, input_shape))})")
    float_module = import_network(model, weights, input_shape, options)
    if options.normalization:
        from e3ne.transforms.snn.fold_normalization import fold_normalization

        float_module = fold_normalization(float_module.clone(), options.input_mean, options.input_std)
    write_module(float_module, build / "snn.mlir")
    steps.done(f"wrote {build / 'snn.mlir'}")

    from_file = isinstance(calibration, str | Path)
    steps.step(f"reading calibration set {calibration if from_file else '(array)'}")
    if from_file:
        calibration_x, _ = load_npz(str(calibration), input_shape, False, role="calibration", say=steps.say)
    else:
        calibration_x = check_images(calibration, input_shape, role="calibration", say=steps.say)
    steps.done(f"{len(calibration_x)} images")

    steps.step(f"quantizing ({options.quantization_text()})")
    quant_module, health = quantize_and_check(
        float_module, calibration_x, options.time_steps, options.weight_bits, options.sigma
    )
    write_module(quant_module, build / "snn.quant.mlir")
    steps.done(f"wrote {build / 'snn.quant.mlir'}")
    for warning in health.warnings:
        steps.say(f"warning: {warning}")

    settings = {
        **model_source(model, weights, input_shape, calibration, from_file, options),
        "emit": options.emit,
        "parallelism": options.parallelism.text() or None,
        "target": options.target,
        "offchip_weights": options.offchip_weights,
        "axi_width": options.axi_width,
        "memory_latency": options.memory_latency,
        **({"shell": options.shell} if options.shell != "none" else {}),
        **({"schedule": options.schedule} if options.dataflow else {}),
        **({"skip_zeros": True} if options.skip_zeros else {}),
        **({"baud": options.baud, "uart_clock_mhz": options.uart_clock_mhz} if options.shell == "uart" else {}),
    }
    if options.hardware:
        compile_hardware(quant_module, calibration_x, options, build, settings, steps, health)
    (build / "compile.json").write_text(json.dumps(settings, indent=2) + "\n")
    return Build(build)


def compile_hardware(
    quant_module, calibration_x, options: CompileOptions, build: Path, settings: dict, steps: Progress, health=None
):
    """snnhw (lowered once), the off-chip decision, RTL and the report of an integer module,
    estimated with the cost coefficients of the target's family."""
    from e3ne.model import cost
    from e3ne.model.parts import get_part

    with cost.for_family(get_part(options.target).family):
        _compile_hardware(quant_module, calibration_x, options, build, settings, steps, health)


def _compile_hardware(
    quant_module, calibration_x, options: CompileOptions, build: Path, settings: dict, steps: Progress, health=None
):
    from e3ne.backend.build import emit_hardware, lower_to_snnhw
    from e3ne.backend.report import report_design, summary_lines
    from e3ne.model.parts import get_part
    from e3ne.offchip import decide
    from e3ne.transforms.snnhw.estimate import estimate_accelerator
    from e3ne.transforms.snnhw.place_offchip import place_weights_offchip

    part = get_part(options.target)
    parallelism = options.parallelism
    parallelism_auto = parallelism.auto
    explored = None
    if parallelism.auto:
        steps.step(f"exploring parallelism for {part.name}")
        chosen, explored, line = explore_and_choose_design(
            quant_module, part, build, options, calibration_x, skip_chosen := [], notes := []
        )
        settings["parallelism_chosen"] = chosen.text()
        parallelism = chosen
        steps.done(line)
        for note in notes:
            steps.say(note)
    ctx, module, accelerator = lower_to_snnhw(
        quant_module, parallelism=parallelism.text() or None, schedule=options.schedule
    )
    decision = decide(  # dataflow: weights on chip (options.py refuses anything but auto/none)
        accelerator, part, "none" if options.dataflow else options.offchip_weights, options.max_utilization, options.axi_width,
        options.memory_latency,
        explored=tuple(explored) if explored is not None and options.offchip_weights == "auto" else None,
    )  # fmt: skip
    settings["offchip_chosen"] = decision.option_text()
    if decision.layers:
        steps.say(decision.reason)
    place_weights_offchip(accelerator, decision.layers, options.axi_width, options.memory_latency)
    if options.skip_zeros:
        from e3ne.transforms.snnhw.skip_zeros import mark_skip_zeros, skip_reason

        marked = mark_skip_zeros(accelerator, tuple(skip_chosen) if parallelism_auto else None)
        settings["skip_zeros_layers"] = marked
        for stage in accelerator.schedule().stage_ops():
            if stage.symbol not in marked and stage.HAS_WEIGHTS:
                reason = skip_reason(stage) or "explore found it faster within the budget without"
                steps.say(f"--skip-zeros: {stage.symbol} stays dense: {reason}")
    design = estimate_accelerator(accelerator, axi_width=decision.axi_width, memory_latency=decision.memory_latency)

    steps.step("generating hardware (snnhw, hw, SystemVerilog)")
    from e3ne.driver.inputs import input_scale

    shell = {"shell": options.shell, "input_scale": input_scale(quant_module)} if options.shell != "none" else {}
    if options.shell == "uart":
        shell.update(baud=options.baud, uart_clock_mhz=options.uart_clock_mhz)
    manifest = emit_hardware(ctx, module, accelerator, build, progress=steps.say, **shell)
    if options.shell == "axi":
        from e3ne.backend.vivado import emit_vivado

        emit_vivado(build, manifest, part)
    steps.done(f"{manifest.get('cycles_expected', '?')} cycles per image; RTL in {build / 'rtl'}")
    steps.step(f"estimating resources, speed and energy for {part.name}")
    report = report_design(build, design, quant_module, calibration_x, part, settings, decision, health=health)
    steps.done(f"wrote {build / 'report.md'} and report.json")
    for line in summary_lines(report):
        steps.say(line)


def _skip_inputs(quant_module, options: CompileOptions, calibration_x) -> dict | None:
    """{stage name: calibration activations at its input} for explore with zero skipping."""
    if not options.skip_zeros or calibration_x is None or not len(calibration_x):
        return None
    from e3ne.backend.layerwise import golden_layers

    return {layer.stage.name: layer.inputs for layer in golden_layers(quant_module, calibration_x[:64])}


def explore_and_choose_design(
    quant_module,
    part,
    out_dir,
    options: CompileOptions,
    calibration_x=None,
    skip_chosen: list | None = None,
    notes: list | None = None,
) -> tuple[Parallelism, list[str], str]:
    """Parallelism `auto`: the fastest design within the budget; writes explore.png and
    explore.json to `out_dir`. Returns (its parallelism, its off-chip layers, one-line summary).
    With `options.skip_zeros`, designs are ranked by their expected cycles on (64 of)
    `calibration_x` with zero skipping, each unit skipping or not (those that do are
    appended to `skip_chosen`). `notes` gets the lines on the part's routability limit
    (`e3ne.design_space.routability_lines`: why a faster, bigger design was not chosen)."""
    from e3ne.design_space import (
        budget_of,
        choose,
        designs_text,
        explain_no_fit,
        routability_lines,
        sweep,
        write_outputs,
    )

    budget = budget_of(part, options.max_utilization, options.max_luts)
    exploration = sweep(
        quant_module, offchip=options.offchip_weights, budget=budget, axi_width=options.axi_width,
        memory_latency=options.memory_latency, **({"schedule": options.schedule} if options.dataflow else {}),
        skip_inputs=_skip_inputs(quant_module, options, calibration_x),
    )  # fmt: skip
    chosen = choose(exploration, budget)
    if chosen is None:
        raise explain_no_fit(exploration, part, budget, options.max_luts)
    write_outputs(exploration, part, budget, chosen, out_dir)
    totals = exploration.totals(chosen)
    offchip_layers = exploration.offchip_layers(chosen)
    if skip_chosen is not None:
        skip_chosen.extend(exploration.skip_layers(chosen))
    if notes is not None:
        notes.extend(routability_lines(exploration, part, budget, chosen, options.max_utilization, options.max_luts))
    text = exploration.parallelism_text(chosen)
    line = (
        f"{designs_text(exploration)} in {exploration.seconds:.1f} s; chose "
        f"{text} ({int(exploration.cycles[chosen]):,} cycles, ~{totals['lut']:,.0f} LUT"
        + (f"; weights of {', '.join(offchip_layers)} off-chip" if offchip_layers else "")
        + ")"
    )
    return Parallelism.parse(text), offchip_layers, line
