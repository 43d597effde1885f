"""BUILD/report.json and BUILD/report.md: resources, speed, fit and energy of a build.

The resource and cycle numbers are `snnhw-estimate`'s (e3ne/transforms/snnhw/estimate.py, cost
model e3ne/model/cost.py); `e3ne synth` puts Yosys's real counts beside them (synth.json).

Energy is an *estimate* of the arithmetic and on-chip memory energy per image, built
from the spike activity the golden model records on the calibration set and per-operation
figures from M. Horowitz, "Computing's energy problem (and what we can do about it)",
ISSCC 2014 (45 nm, 0.9 V): 8-bit integer add 0.03 pJ, 32-bit add 0.1 pJ (linear in
between), on-chip SRAM read 10 pJ per 64-bit word from an 8 KB array (0.16 pJ/bit).
It counts the spike-gated additions actually performed (sum of input spikes x fan-out),
one weight-memory word read per compute cycle, and the activation bits read. It leaves
out static power, clocking and FPGA routing overhead, which on a real FPGA dominate
(typically 10-100x these figures): use it to compare designs and models, not as a
power-meter reading.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from e3ne.backend.clock import assumed_clock
from e3ne.transforms.snnhw.estimate import DesignEstimate, fit
from e3ne.model.parts import Part, routability_warning
from e3ne.model.schedule import images_per_second

ENERGY_SOURCE = (
    "M. Horowitz, 'Computing's energy problem (and what we can do about it)', ISSCC 2014, "
    "45 nm: 8-bit add 0.03 pJ, 32-bit add 0.1 pJ, 8 KB SRAM 64-bit read 10 pJ, DRAM 64-bit read 1.3-2.6 nJ "
    "(2 nJ used for off-chip weights)"
)
ADD_8BIT_PJ, ADD_32BIT_PJ = 0.03, 0.1
SRAM_PJ_PER_BIT = 10.0 / 64
DRAM_PJ_PER_BIT = 2000.0 / 64  # Horowitz: DRAM 1.3-2.6 nJ per 64-bit access; the middle
RESOURCE_NAMES = {"lut": "LUTs (logic)", "ff": "flip-flops", "bram": "block RAMs (36 Kb)", "dsp": "DSP slices"}


def add_energy_pj(bits: int) -> float:
    """Energy of one integer addition of `bits` bits (Horowitz's 8- and 32-bit points, linear)."""
    if bits <= 8:
        return ADD_8BIT_PJ * bits / 8
    return ADD_8BIT_PJ + (ADD_32BIT_PJ - ADD_8BIT_PJ) * (bits - 8) / 24


def spike_activity(quant_module, x: np.ndarray) -> list[dict]:
    """Per compute layer (network order): mean input spikes per image and the number of
    input values, from the golden model's recorded activations on `x`."""
    from e3ne.dialects import snn
    from e3ne.interpreters.golden import run_golden

    from e3ne.transforms.common import network_function

    _, recorded = run_golden(quant_module, x, record=True)
    steps = snn.network_time_steps(network_function(quant_module))
    layers = []
    for op in quant_module.walk():
        if isinstance(op, snn.LinearOp | snn.Conv2dOp):
            source = op.input.owner
            values = recorded.get(source)
            if values is None:
                continue
            if steps is not None and snn.is_spike_tensor(source.results[0].type):
                # an IF/LIF network records (N, T, ...) 0/1 spikes per step (docs/lif.md)
                values = np.asarray(values, dtype=np.int64).reshape(len(values), steps, -1)
                layers.append({"input_spikes": float(values.sum(axis=(1, 2)).mean()), "inputs": int(values.shape[2])})
                continue
            values = np.asarray(values, dtype=np.int64).reshape(len(values), -1)
            spikes = np.zeros(len(values), dtype=np.int64)
            remaining = values.copy()
            while remaining.any():
                spikes += (remaining & 1).sum(axis=1)
                remaining >>= 1
            layers.append({"input_spikes": float(spikes.mean()), "inputs": int(values.shape[1])})
    return layers


def energy_estimate(design: DesignEstimate, activity: list[dict] | None) -> dict | None:
    compute = [layer for layer in design.layers if layer.kind in ("linear", "conv")]
    if activity is None or len(activity) != len(compute):
        return None
    layers = []
    for layer, act in zip(compute, activity):
        width = layer.accumulator_width or 16
        additions = act["input_spikes"] * layer.additions_per_spike
        add_pj = additions * add_energy_pj(width)
        busy = layer.cycles - (layer.streaming.stall_cycles if layer.offchip else 0)  # not while waiting for weights
        rom_pj = busy * layer.rom_bits_per_cycle * SRAM_PJ_PER_BIT
        act_pj = busy * SRAM_PJ_PER_BIT  # one activation bit per compute cycle
        dram_pj = layer.streaming.bytes_per_image * 8 * DRAM_PJ_PER_BIT if layer.offchip else 0.0
        layers.append(
            {
                "name": layer.name,
                "input_spikes": round(act["input_spikes"], 1),
                "spike_rate": round(act["input_spikes"] / max(1, act["inputs"] * layer.time_steps), 4),
                "additions": round(additions),
                "energy_nj": round((add_pj + rom_pj + act_pj + dram_pj) / 1000, 3),
                "additions_nj": round(add_pj / 1000, 3),
                "memory_nj": round((rom_pj + act_pj) / 1000, 3),
                "external_memory_nj": round(dram_pj / 1000, 3),
            }
        )
    total = sum(layer["energy_nj"] for layer in layers)
    return {
        "per_image_nj": round(total, 3),
        "additions": sum(layer["additions"] for layer in layers),
        "layers": layers,
        "label": "ESTIMATE: arithmetic + memory reads only (on-chip, and external DRAM for off-chip weights), "
        "45 nm ASIC figures; "
        "excludes static power, clocking and FPGA routing (real FPGA energy is typically 10-100x higher)",
        "source": ENERGY_SOURCE,
    }


def build_report(
    design: DesignEstimate,
    part: Part,
    settings: dict | None = None,
    activity: list[dict] | None = None,
    decision=None,
    clock: dict | None = None,
) -> dict:
    """`decision`: the `e3ne.offchip.OffchipDecision` the build was made with (its reason
    goes into the report); the off-chip layers themselves are `design`'s. `clock`
    (`e3ne.backend.clock`): the clock latency and throughput are computed at, by default
    the part preset's (assumed)."""
    clock = clock or assumed_clock(part)
    totals = design.totals
    seconds = design.cycles / (clock["mhz"] * 1e6)
    if design.dataflow:  # latency from start to done; a new image every `interval` cycles
        seconds = design.latency / (clock["mhz"] * 1e6)
    fitting = fit(totals, part)
    overflowing = [key for key, entry in fitting.items() if entry["overflow"] > 0]
    routability = routability_warning(part, totals.lut)
    return {
        "target": {"part": part.name, "board": part.board, "clock_mhz": clock["mhz"], "clock": clock, "family": part.family},
        "settings": settings or {},
        "layers": [
            {
                "name": layer.name,
                "kind": layer.kind,
                "shape": layer.shape,
                "time_steps": layer.time_steps,
                "weight_bits": layer.weight_bits,
                "parallelism": layer.parallelism,
                "cycles": layer.cycles,
                "weights_in": None if layer.weight_bits is None else ("external" if layer.offchip else "on-chip"),
                **layer.cost.as_dict(),
                "parts": {name: part_cost.as_dict() for name, part_cost in layer.parts.items()},
            }
            for layer in design.layers
        ],
        "shared": {name: shared.as_dict() for name, shared in design.shared.items()},
        "totals": totals.as_dict(),
        "cycles_per_image": design.latency,
        "latency_us": round(seconds * 1e6, 2),
        "throughput_images_per_s": round(1 / seconds, 1),
        **(dataflow_summary(design, clock["mhz"]) if design.dataflow else {}),
        "fit": fitting,
        "fits": not overflowing,
        "overflow": overflowing,
        "routability": routability,  # None: within the part's routability limit
        "offchip": offchip_summary(design, clock["mhz"], seconds, decision),
        "suggestions": suggestions(design, fitting, routability is not None),
        "energy": energy_estimate(design, activity),
        "estimator": f"e3ne.model.cost (Yosys {'synth_ecp5' if part.family == 'ecp5' else 'synth_xilinx'}-calibrated; "
        "see e3ne synth for real counts)",
    }


def offchip_summary(design: DesignEstimate, clock_mhz: float, seconds: float, decision=None) -> dict | None:
    """External-memory traffic and bandwidth at `clock_mhz` of the off-chip layers (None when all
    weights are on-chip)."""
    streaming = design.offchip_layers
    if not streaming and decision is None:
        return None
    traffic = design.bytes_per_image
    bus = design.axi_width / 8 * clock_mhz * 1e6
    return {
        "layers": [layer.name for layer in streaming],
        "reason": decision.reason if decision is not None else None,
        "request": decision.request if decision is not None else None,
        "onchip_bram": decision.onchip_bram if decision is not None else None,
        "axi_data_width": design.axi_width,
        "memory_latency": design.memory_latency,
        "bytes_per_image": traffic,
        "average_bandwidth_gbps": round(traffic / seconds / 1e9, 3),
        "bus_bandwidth_gbps": round(bus / 1e9, 3),
        "stall_cycles": sum(layer.streaming.stall_cycles for layer in streaming),
        "per_layer": {layer.name: layer.streaming.as_dict(clock_mhz) for layer in streaming},
    }


def suggestions(design: DesignEstimate, fitting: dict, over_routability_limit: bool = False) -> list[str]:
    """What to change, in plain words: for a design that does not fit or is over the part's
    routability limit, and what limits speed."""
    tips = []
    if over_routability_limit:
        widest = max(design.layers, key=lambda layer: layer.cost.lut)
        lut_share = widest.cost.lut / max(1.0, sum(layer.cost.lut for layer in design.layers))
        time_share = widest.cycles / max(1, design.cycles)
        tips.append(
            f"The design is over the part's routability limit (above): lower the parallelism of {widest.name} "
            f"({_parallelism_text(widest.parallelism)}), which has {lut_share:.0%} of the layers' LUTs for "
            f"{time_share:.0%} of the time, or let `--parallelism auto` pick a design within the limit."
        )
    on_chip_weights = [layer for layer in design.layers if "weights" in layer.parts and layer.parts["weights"].bram > 0]
    if fitting["bram"]["overflow"] > 0 and on_chip_weights:
        biggest = max(on_chip_weights, key=lambda layer: layer.parts["weights"].bram)
        tips.append(
            f"Block RAM overflows by {fitting['bram']['overflow']:g} blocks: the weights do not fit on chip. "
            f"Layer {biggest.name} holds the most ({biggest.parts['weights'].bram:g} blocks); "
            "use fewer weight bits (--weight-bits), a smaller model, a bigger part (--target), "
            "or stream more layers' weights from external memory (off-chip weights: --offchip-weights auto, or a list "
            "such as fc1,fc2)."
        )
    elif fitting["bram"]["overflow"] > 0:
        tips.append(
            f"Block RAM overflows by {fitting['bram']['overflow']:g} blocks although no weights are in block RAM: "
            "the activation buffers and weight double buffers need it; lower the parallelism (fewer, smaller "
            "buffers), a smaller model or a bigger part (--target)."
        )
    for key in ("lut", "ff"):
        if fitting[key]["overflow"] > 0:
            widest = max(design.layers, key=lambda layer: getattr(layer.cost, key))
            tips.append(
                f"{RESOURCE_NAMES[key]} overflow by {fitting[key]['overflow']:,.0f}: lower the parallelism of "
                f"{widest.name} ({_parallelism_text(widest.parallelism)}), which uses the most, "
                "or let `e3ne explore` / `--parallelism auto` pick a design that fits."
            )
    waiting = [layer for layer in design.offchip_layers if not layer.streaming.hides_bandwidth]
    if waiting:
        names = ", ".join(layer.name for layer in waiting)
        tips.append(
            f"{names} wait for external memory (their weights are used too few times per fetch to hide the "
            "transfer): a wider bus (--axi-width), a lower parallelism of these layers (the same speed with "
            "less logic), or keeping them on-chip if block RAM allows."
        )
    slowest = max(design.layers, key=lambda layer: layer.cycles)
    share = slowest.cycles / max(1, design.cycles)
    fits = all(entry["overflow"] == 0 for entry in fitting.values())
    bus_bound = slowest.offchip and not slowest.streaming.hides_bandwidth
    if fits and share > 0.5 and slowest.parallelism and bus_bound:
        tips.append(
            f"{slowest.name} takes {share:.0%} of the time per image and is limited by the memory bus, not by its "
            "parallelism: a wider bus (--axi-width) makes it faster; more parallelism would not."
        )
    elif fits and share > 0.5 and slowest.parallelism:
        tip = (
            f"{slowest.name} takes {share:.0%} of the time per image; raising its parallelism "
            f"({_parallelism_text(slowest.parallelism)}) is the most effective way to go faster"
        )
        busiest = max(fitting, key=lambda key: fitting[key]["utilization"])
        if fitting[busiest]["utilization"] > 0.6:
            tip += (
                f", but {RESOURCE_NAMES[busiest]} are already {fitting[busiest]['utilization']:.0%} used: "
                "a bigger part (--target) leaves room for it"
            )
        tips.append(tip + ".")
    return tips


def dataflow_summary(design: DesignEstimate, clock_mhz: float) -> dict:
    """A dataflow build's schedule: II (the slowest stage), latency, and the throughput at II
    at the report's clock (assumed or measured)."""
    slowest = max(design.layers, key=lambda layer: layer.cycles)
    return {
        "schedule": "dataflow",
        "interval_cycles": design.interval,
        "latency_cycles": design.latency,
        "throughput_images_per_s": round(images_per_second(design.interval, clock_mhz), 1),
        "bottleneck": slowest.name,
    }


def _parallelism_text(parallelism: dict[str, int]) -> str:
    return ", ".join(f"{key}={value}" for key, value in parallelism.items()) or "none"


# --------------------------------------------------------------------------- markdown


def _pct(value: float) -> str:
    return f"{value * 100:.1f}%" if value < 0.1 else f"{value * 100:.0f}%"


def _speed_line(report: dict) -> str:
    if report.get("schedule") == "dataflow":
        return (
            f"- **Speed** (dataflow: all layers at once on successive images): a new image every "
            f"{report['interval_cycles']:,} cycles (the initiation interval, set by {report['bottleneck']}), i.e. about "
            f"{report['throughput_images_per_s']:,.0f} images per second; one image takes {report['latency_cycles']:,} "
            f"cycles = {report['latency_us']:,g} µs from start to result."
        )
    return (
        f"- **Speed**: one image takes {report['cycles_per_image']:,} clock cycles = "
        f"{report['latency_us']:,g} µs, i.e. about {report['throughput_images_per_s']:,.0f} images per second "
        "(one image at a time)."
    )


def render_markdown(report: dict) -> str:
    target = report["target"]
    totals = report["totals"]
    lines = [f"# Accelerator report: {report['settings'].get('model', 'network')}", ""]
    verdict = "fits" if report["fits"] else "does NOT fit"
    lines += [
        "## Summary",
        "",
        f"- **Target**: {target['part']} ({target['board']}), clock {target['clock_mhz']:g} MHz "
        f"({clock_text(target)}).",
        f"- **Fit**: the design {verdict} on this part "
        + (
            f"(largest use: {RESOURCE_NAMES[max(report['fit'], key=lambda k: report['fit'][k]['utilization'])]} at "
            f"{_pct(max(e['utilization'] for e in report['fit'].values()))})."
            if report["fits"]
            else "(" + "; ".join(
                f"{RESOURCE_NAMES[k]}: needs {report['fit'][k]['used']:,g}, has {report['fit'][k]['available']:,}"
                for k in report["overflow"]
            ) + ")."
        ),
        _speed_line(report),
    ]
    if report.get("routability"):
        lines.append(f"- **Routability**: {report['routability']}.")
    cycles = report.get("cycles")
    if cycles and any(layer["skip_zeros"] for layer in cycles["layers"]):
        lines.append(
            f"- **Zero skipping**: {cycles['expected_cycles']:,.1f} cycles per image expected (average over "
            f"{cycles['images']} calibration images; {cycles['worst_cycles']:,} in the worst case above)."
        )
    depth = report.get("logic_depth")
    if depth:
        lines.append(depth_text(depth, target["clock"]["kind"] if "clock" in target else "assumed"))
    energy = report.get("energy")
    if energy:
        lines.append(
            f"- **Energy (rough estimate)**: about {energy['per_image_nj']:,.1f} nJ per image for the additions "
            f"and memory reads ({energy['additions']:,} spike-driven additions per image); see the energy "
            "section for what this does and does not include."
        )
    lines += ["", "## What to change", ""]
    lines += [f"- {tip}" for tip in report["suggestions"]] or ["- Nothing: the design fits and is balanced."]
    lines += [
        "",
        "## Layers",
        "",
        "Each layer is one hardware unit; they run one after another. *Parallelism* is how many "
        "outputs a unit computes at once (more = faster but bigger). "
        + (
            "*T* is the IF/LIF network's number of time steps: a layer passes one spike per neuron and "
            "step to the next, stored as a T-bit word (bit t = step t). "
            if report.get("network") == "IF/LIF"
            else "*T* is the number of time steps, which is also the number of bits of every activation. "
        )
        + "LUTs and flip-flops are the FPGA's logic; block RAMs hold the weights and the activations "
        "between layers. Resources are estimates (`e3ne synth` measures real ones).",
        "",
        "| layer | kind | shape | T | weight bits | weights in | parallelism | cycles | share of time | LUT | FF | BRAM (36 Kb) | DSP |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for layer in report["layers"]:
        share = layer["cycles"] / max(1, report["cycles_per_image"])
        lines.append(
            f"| {layer['name']} | {layer['kind']} | {layer['shape']} | {layer['time_steps']} | "
            f"{layer['weight_bits'] if layer['weight_bits'] is not None else '-'} | "
            f"{layer.get('weights_in') or '-'} | "
            f"{_parallelism_text(layer['parallelism'])} | {layer['cycles']:,} | {_pct(share)} | "
            f"{layer['lut']:,} | {layer['ff']:,} | {layer['bram']:g} | {layer['dsp']} |"
        )
    for name, shared in report["shared"].items():
        lines.append(
            f"| ({name}) | | | | | | | | | {shared['lut']:,} | {shared['ff']:,} | {shared['bram']:g} | {shared['dsp']} |"
        )
    lines.append(
        f"| **total** | | | | | | | **{report['cycles_per_image']:,}** | | **{totals['lut']:,}** | "
        f"**{totals['ff']:,}** | **{totals['bram']:g}** | **{totals['dsp']}** |"
    )
    lines += [
        "",
        (
            f"Block RAMs: {totals['bram18']} EBR (DP16KD); carry chains: {totals['carry']:,} CCU2C (LUT counts are LUT4s)."
            if target.get("family") == "ecp5"
            else f"Block RAMs: {totals['bram36']} RAMB36 + {totals['bram18']} RAMB18; carry chains: {totals['carry']:,} CARRY4."
        ),
        "",
        f"## Fit against {target['part']}",
        "",
        "| resource | used (estimate) | available | use | over by |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, entry in report["fit"].items():
        lines.append(
            f"| {RESOURCE_NAMES[key]} | {entry['used']:,.{1 if key == 'bram' else 0}f} | {entry['available']:,} | "
            f"{_pct(entry['utilization'])} | {entry['overflow']:,.{1 if key == 'bram' else 0}f} |"
        )
    lines += offchip_markdown(report)
    if energy:
        lines += [
            "",
            "## Energy per image (estimate)",
            "",
            f"**{energy['label']}.** Source: {energy['source']}. Spike counts are the golden model's "
            "averages over the calibration images.",
            "",
            "| layer | input spikes | spike rate | additions | additions (nJ) | memory reads (nJ) | external memory (nJ) | total (nJ) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for layer in energy["layers"]:
            lines.append(
                f"| {layer['name']} | {layer['input_spikes']:,.0f} | {_pct(layer['spike_rate'])} | "
                f"{layer['additions']:,} | {layer['additions_nj']:,.3f} | {layer['memory_nj']:,.3f} | "
                f"{layer.get('external_memory_nj', 0):,.3f} | {layer['energy_nj']:,.3f} |"
            )
    lines += cycles_markdown(report.get("cycles"))
    lines += [
        "",
        "## How these numbers are made",
        "",
        "- Cycles come from the compiler's static schedule (RTL simulation measures exactly these); "
        "a unit that skips zeros takes fewer, data-dependent cycles: the schedule gives its worst case, "
        "e3ne/model/skipping.py the exact count per image.",
        "- LUT/FF/BRAM come from a cost model of the generated circuits (e3ne/model/cost.py), calibrated "
        "against Yosys; run `e3ne synth BUILD` for real counts (written to synth.json).",
        _throughput_rule(report),
        f"- The clock is {clock_text(target)}"
        + (
            "; the fit table is against the target part's estimate, the Fmax is the ECP5's."
            if target.get("clock", {}).get("kind") == "measured"
            else "; `e3ne bitstream BUILD` measures the Fmax (nextpnr-ecp5) and recomputes this report at it."
        ),
        "",
    ]
    return "\n".join(lines)


CYCLES_HEADING = "## Cycles and utilisation"


def _util(value: float | None) -> str:
    return "-" if value is None else _pct(value)


def cycles_markdown(cycles: dict | None) -> list[str]:
    """The "Cycles and utilisation" section: worst case, expected and measured cycles, and
    how busy the adders are (report.json `cycles`, e3ne.backend.cycles.cycle_activity)."""
    if not cycles:
        return []
    lines = [
        "",
        CYCLES_HEADING,
        "",
        f"*Worst case* is the static schedule (every chunk or row read); *expected* is the average over "
        f"{cycles['images']} calibration images (equal to the worst case unless the unit skips zeros). "
        "*Utilisation* = spike-gated additions performed / (adder inputs x cycles): the share of the "
        "adders' capacity that does useful work (the total counts every unit over the whole image, "
        "so it also shows the units idling while other layers run).",
        "",
        "| layer | skips zeros | worst case cycles | expected cycles | additions per image | adder inputs | "
        "utilisation (worst case) | utilisation (expected) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for layer in cycles["layers"]:
        lines.append(
            f"| {layer['name']} | {'yes' if layer['skip_zeros'] else 'no'} | {layer['worst_cycles']:,} | "
            f"{layer['expected_cycles']:,.1f} | {layer['additions']:,} | {layer['adder_inputs']:,} | "
            f"{_util(layer['utilisation_worst'])} | {_util(layer['utilisation_expected'])} |"
        )
    lines.append(
        f"| **total** | | **{cycles['worst_cycles']:,}** | **{cycles['expected_cycles']:,.1f}** | "
        f"**{cycles['additions']:,}** | **{cycles['adder_inputs']:,}** | **{_util(cycles['utilisation_worst'])}** | "
        f"**{_util(cycles['utilisation_expected'])}** |"
    )
    measured = cycles.get("measured")
    if measured:
        what = (
            "cycles per image on average"
            if "interval_average" not in measured
            else f"cycles from one image's result to the next on average (dataflow completion interval; "
            f"the first image of each run: {measured['latency_average']:,.1f} cycles start to result)"
        )
        average = measured.get("interval_average", measured["average"])
        lines += [
            "",
            f"Measured by `e3ne simulate` (RTL) on {measured['images']:,} images: {average:,.1f} {what} "
            f"(min {measured['min']:,}, max {measured['max']:,}); "
            f"{measured['predicted_equal']:,} of {measured['images']:,} images took exactly the predicted count.",
        ]
    return lines


def record_measured(build: Path, measured: dict) -> None:
    """Put `e3ne simulate`'s measured cycles into report.json's `cycles` and report.md's section."""
    build = Path(build)
    path = build / "report.json"
    if not path.is_file():
        return
    report = json.loads(path.read_text())
    if not report.get("cycles"):
        return
    report["cycles"]["measured"] = measured
    path.write_text(json.dumps(report, indent=2) + "\n")
    md = build / "report.md"
    if not md.is_file():
        return
    text = md.read_text()
    start = text.find("\n" + CYCLES_HEADING)
    if start < 0:
        return
    end = text.find("\n## ", start + 1)
    section = "\n".join(cycles_markdown(report["cycles"]))
    md.write_text(text[:start] + section + (text[end:] if end >= 0 else "\n"))


def depth_text(depth: dict, clock_kind: str) -> str:
    """The summary line on Yosys's logic depth (`e3ne synth`, Xilinx)."""
    verdict = "within" if depth["within_clock"] else "NOT within"
    return (
        f"- **Logic depth** (`e3ne synth`, Yosys synth_xilinx `ltp`): the deepest register-to-register path has "
        f"{depth['lut_levels']} LUT levels, {depth['muxf_levels']} MUXF and {depth['carry_cells']} carry cells, "
        f"about {depth['estimated_ns']:g} ns by the rule of thumb ({depth['rule']}): {verdict} the "
        f"{depth['period_ns']:g} ns period of the part preset's {depth['clock_mhz']:g} MHz"
        + (" (the report's clock is the ECP5's measured one)." if clock_kind == "measured" else ".")
    )


def clock_text(target: dict) -> str:
    """Where the clock comes from (reports written before `target.clock` existed: assumed)."""
    clock = target.get("clock")
    if clock is None:
        return f"assumed: {target['part']} preset {target['clock_mhz']:g} MHz"
    return clock["source"]


def _megabytes(count: int) -> str:
    return f"{count / 1e6:,.1f} MB" if count >= 1e5 else f"{count / 1e3:,.1f} KB"


def offchip_markdown(report: dict) -> list[str]:
    """The "Weights in external memory" section, in plain words."""
    offchip = report.get("offchip")
    if not offchip:
        return []
    lines = ["", "## Weights in external memory", ""]
    if offchip.get("reason"):
        lines += [f"**Why:** {offchip['reason']}.", ""]
    if not offchip["layers"]:
        return lines
    clock = report["target"]["clock_mhz"]
    lines += [
        f"Each of these layers keeps only two banks of weights on chip: while the unit computes with one bank, "
        f"the next group of weights arrives in the other over a {offchip['axi_data_width']}-bit AXI4 read "
        f"port (bursts of up to {min(256, 4096 * 8 // offchip['axi_data_width'])} beats; {offchip['memory_latency']} cycles from request to first data "
        f"assumed). Per image the accelerator reads {_megabytes(offchip['bytes_per_image'])} of weights, "
        f"{offchip['average_bandwidth_gbps']:,.2f} GB/s on average at {clock:g} MHz. The port moves at most "
        f"{offchip['bus_bandwidth_gbps']:,.1f} GB/s; while a layer runs, the external memory must sustain the "
        "layer's average read rate below (a little more, to cover the latency), or the layer slows down. "
        f"Waiting for weights costs {offchip['stall_cycles']:,} cycles per image "
        f"({_pct(offchip['stall_cycles'] / max(1, report['cycles_per_image']))} of the time).",
        "",
        "| layer | weights per image | beats per word | compute / fetch cycles per group | average read rate while it computes | waits for memory |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in offchip["per_layer"].items():
        lines.append(
            f"| {name} | {_megabytes(entry['bytes_per_image'])} | {entry['beats_per_word']} | "
            f"{entry['compute_cycles_per_group']:,} / {entry['fetch_cycles_per_group']:,} | "
            f"{entry['bandwidth_needed_gbps']:,.2f} GB/s | "
            + ("no (only the first fill)" if entry["hides_bandwidth"] else f"yes, {entry['stall_cycles']:,} cycles")
            + " |"
        )
    return lines


def write_report(build: Path, report: dict, health=None) -> None:
    """report.json and report.md; with `health` (the quantization's HealthReport, e3ne.transforms.snn.health)
    its table is the last section of report.md and report.json's "health"."""
    build = Path(build)
    markdown = render_markdown(report)
    if health is not None:
        report = {**report, "health": health.to_json()}
        markdown = markdown.rstrip("\n") + "\n\n" + health.to_markdown()
    (build / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    (build / "report.md").write_text(markdown)


def _throughput_rule(report: dict) -> str:
    if report.get("schedule") == "dataflow":
        return (
            "- Latency = cycles / clock; throughput = clock / interval (dataflow: every layer's unit works on its own "
            "image, double-buffered; the interval is the slowest layer's cycles, docs/dataflow.md)."
        )
    return "- Latency = cycles / clock; throughput = 1 / latency (the accelerator works on one image at a time)."


def summary_lines(report: dict) -> list[str]:
    """The 3-5 lines `e3ne compile` prints."""
    totals = report["totals"]
    target = report["target"]
    lines = [
        f"{report['cycles_per_image']:,} cycles/image = {report['latency_us']:,g} us at {target['clock_mhz']:g} MHz "
        + (f"(dataflow: a new image every {report['interval_cycles']:,} cycles, " if "interval_cycles" in report else "(")
        + f"{report['throughput_images_per_s']:,.0f} images/s; clock {target.get('clock', {}).get('kind', 'assumed')})",
        f"estimated {totals['lut']:,} LUT, {totals['ff']:,} FF, {totals['bram']:g} BRAM36, {totals['dsp']} DSP: "
        + ("fits" if report["fits"] else "does NOT fit")
        + f" {target['part']}"
        + ("" if report["fits"] else f" (over: {', '.join(report['overflow'])})"),
    ]
    if report.get("routability"):
        lines.append(f"warning: {report['routability']}")
    offchip = report.get("offchip")
    if offchip and offchip["layers"]:
        lines.append(
            f"weights of {', '.join(offchip['layers'])} stream from external memory: "
            f"{_megabytes(offchip['bytes_per_image'])}/image, {offchip['average_bandwidth_gbps']:,.2f} GB/s on average"
        )
    if report.get("energy"):
        lines.append(f"energy estimate ~{report['energy']['per_image_nj']:,.1f} nJ/image (arithmetic + memory, 45 nm figures)")
    if not report["fits"] and report["suggestions"]:
        lines.append("suggestion: " + report["suggestions"][0])
    return lines


def report_build(
    build: Path, quant_module, calibration_x: np.ndarray | None, part: Part, settings: dict, decision=None
) -> dict:
    """Estimate BUILD/snnhw.mlir, measure spike activity on (up to 64) calibration images,
    and write BUILD/report.json and BUILD/report.md. `decision` (an OffchipDecision): why
    the layers that snnhw.mlir marks off-chip stream their weights."""
    from e3ne.dialects import snnhw
    from e3ne.ir import parse_module
    from e3ne.transforms.snnhw.estimate import estimate_accelerator

    module = parse_module(Path(build) / "snnhw.mlir")
    accelerator = next(op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp))
    axi = {} if decision is None else {"axi_width": decision.axi_width, "memory_latency": decision.memory_latency}
    design = estimate_accelerator(accelerator, family=part.family, **axi)
    return report_design(build, design, quant_module, calibration_x, part, settings, decision)


def _cycle_activity(snnhw_file: Path, quant_module, x: np.ndarray) -> dict | None:
    """`e3ne.backend.cycles.cycle_activity` of the build's snnhw on `x`."""
    from e3ne.backend.cycles import cycle_activity
    from e3ne.dialects import snnhw
    from e3ne.ir import parse_module

    module = parse_module(snnhw_file)
    accelerator = next((op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp)), None)
    return None if accelerator is None else cycle_activity(accelerator, quant_module, x)


def is_time_stepped(quant_module) -> bool:
    """Whether the network is an IF/LIF network (snn.lif, T' time steps) rather than a radix one."""
    from e3ne.dialects import snn
    from e3ne.transforms.common import network_function

    return snn.network_time_steps(network_function(quant_module)) is not None


def report_design(
    build: Path,
    design: DesignEstimate,
    quant_module,
    calibration_x: np.ndarray | None,
    part: Part,
    settings: dict,
    decision=None,
    health=None,
) -> dict:
    """`report_build` for a design already estimated (the driver estimates the accelerator
    it lowered, before emitting it): spike activity, BUILD/report.json and report.md (with
    `health`, the quantization health check's section)."""
    activity = None
    if calibration_x is not None and len(calibration_x):
        activity = spike_activity(quant_module, calibration_x[:64])
    report = build_report(design, part, settings, activity, decision)
    if is_time_stepped(quant_module):  # only IF/LIF builds, so that radix reports stay as they were
        report["network"] = "IF/LIF"
    if calibration_x is not None and len(calibration_x) and (Path(build) / "snnhw.mlir").is_file():
        report["cycles"] = _cycle_activity(Path(build) / "snnhw.mlir", quant_module, calibration_x[:64])
    write_report(build, report, health)
    return report
