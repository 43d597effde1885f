"""Compile-time benchmark of the large examples: wall time and peak memory per stage.

    python tools/bench_compile.py [--models alexnet,vgg11] [--widths 0.25,0.5,1.0] [-o build/bench_compile]

For every model and width multiplier (channel and hidden-feature counts scaled, see the
`width` argument of examples/*/model.py) it compiles the network the way `e3ne compile`
does (T=6, b=6, --target xcvu13p, --offchip-weights auto, randomly initialised weights from
e3ne.random_weights, 256 synthetic calibration images) in a fresh Python process and
prints, per stage, the wall time and the peak resident memory (RSS, sampled from
/proc/self/statm every 5 ms; the last column is the process's getrusage peak over the whole
compile; CPU time in parentheses, which depends much less on other load). Stages: import (load the .pt, torch.fx, write snn.mlir), calibrate (fold batch
norm, activation statistics), quantize (quantize, infer widths, write snn.quant.mlir),
snnhw (lower-snn-to-snnhw, write snnhw.mlir), hw (lower-snnhw-to-circt, write hw.mlir),
verilog (CIRCT ExportVerilog), memory files (the .hex ROM images, testbench, manifest),
report (estimate, energy, report.md). Stage boundaries are found by wrapping the
functions `e3ne compile` calls, so the benchmark follows the real code path.

Writes OUT/bench_compile.json and prints a markdown table. The machine is shared: run
it alone for clean numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = {"alexnet": ("AlexNet", 10), "vgg11": ("VGG11", 100)}
STAGES = ["import", "calibrate", "quantize", "snnhw", "hw", "verilog", "memory files", "report"]
PAGE = os.sysconf("SC_PAGE_SIZE")


class StageRecorder:
    """Wall time and sampled peak RSS per stage; `mark(name)` ends the current stage."""

    def __init__(self, interval: float = 0.005):
        self.interval = interval
        self.results: dict[str, dict] = {}
        self.current: str | None = None
        self.started = 0.0
        self.cpu_started = 0.0
        self.peak = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * PAGE

    def _sample(self) -> None:
        while not self.stop.wait(self.interval):
            value = self.rss()
            with self.lock:
                self.peak = max(self.peak, value)

    def mark(self, name: str | None) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        with self.lock:
            if self.current is not None:
                entry = self.results.setdefault(self.current, {"seconds": 0.0, "cpu_seconds": 0.0, "peak_rss_mb": 0.0})
                entry["seconds"] += now - self.started
                entry["cpu_seconds"] += cpu - self.cpu_started
                entry["peak_rss_mb"] = max(entry["peak_rss_mb"], max(self.peak, self.rss()) / 2**20)
            self.current, self.started, self.cpu_started, self.peak = name, now, cpu, self.rss()

    def close(self) -> None:
        self.mark(None)
        self.stop.set()


def _wrap(owner, attribute: str, recorder: StageRecorder, stage: str) -> None:
    original = getattr(owner, attribute)

    def wrapped(*args, **kwargs):
        recorder.mark(stage)
        return original(*args, **kwargs)

    setattr(owner, attribute, wrapped)


def child(model_name: str, width: float, out: Path) -> dict:
    """One compile in this process; returns the per-stage numbers."""
    import numpy as np
    import torch

    sys.path.insert(0, str(ROOT / "examples" / model_name))
    from e3ne.backend import build as build_module
    from e3ne.backend.build import build_hardware
    from e3ne.backend.report import report_build
    from e3ne.datasets import synthetic
    from e3ne.frontend import import_model, load_model
    from e3ne.ir import write_module
    from e3ne.transforms.snn import quantize_pipeline as pipeline
    from e3ne.random_weights import initialize
    from e3ne.design_space import lower
    from e3ne.offchip import decide
    from e3ne.model.parts import get_part

    class_name, classes = MODELS[model_name]
    out.mkdir(parents=True, exist_ok=True)
    calibration, _ = synthetic((3, 32, 32), classes, 256, seed=0)
    model = initialize(example_class(class_name)(width=width), calibration)
    weights = out / "weights.pt"
    torch.save(model.state_dict(), weights)
    parameters = sum(p.numel() for name, p in model.named_parameters() if p.dim() > 1)
    del model

    # A tiny model file that builds the scaled network with no arguments, as `e3ne compile` needs.
    spec_file = out / "scaled_model.py"
    spec_file.write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'examples' / model_name)!r})\n"
        f"from model import {class_name} as _Base\n\n\n"
        f"class Scaled(_Base):\n    def __init__(self):\n        super().__init__(width={width!r})\n"
    )

    recorder = StageRecorder()
    _wrap(pipeline.FoldBatchNormPass, "apply", recorder, "calibrate")
    _wrap(pipeline.QuantizePass, "apply", recorder, "quantize")
    _wrap(build_module.LowerSnnhwToCirct, "apply", recorder, "hw")
    _wrap(build_module, "emit_verilog", recorder, "verilog")
    _wrap(build_module, "write_memory_files", recorder, "memory files")
    part = get_part("xcvu13p")
    began = time.perf_counter()

    recorder.mark("import")
    float_module = import_model(load_model(f"{spec_file}:Scaled", str(weights)), (3, 32, 32))
    write_module(float_module, out / "snn.mlir")
    quant = pipeline.quantize_module(float_module, calibration, time_steps=6, weight_bits=6)
    write_module(quant, out / "snn.quant.mlir")
    recorder.mark("snnhw")
    decision = decide(lower(quant, ""), part)  # what `--offchip-weights auto` streams on xcvu13p
    manifest = build_hardware(quant, out, progress=lambda text: None, offchip_weights=decision.option_text())
    recorder.mark("report")
    report_build(out, quant, calibration, part, {"model": model_name, "width": width}, decision)
    recorder.close()
    total = time.perf_counter() - began
    cpu_total = sum(entry["cpu_seconds"] for entry in recorder.results.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rtl_bytes = sum(p.stat().st_size for p in (out / "rtl").iterdir())
    return {
        "model": model_name,
        "width": width,
        "weights": parameters,
        "cycles": manifest["cycles_expected"],
        "offchip": list(decision.layers),
        "rtl_mb": rtl_bytes / 2**20,
        "stages": recorder.results,
        "total_seconds": total,
        "total_cpu_seconds": cpu_total,
        "load_average": os.getloadavg()[0],
        "peak_rss_mb": peak,
        "numpy": np.__version__,
    }


def example_class(class_name: str):
    import model  # examples/<model>/model.py, put on sys.path by `child`

    return getattr(model, class_name)


def run_child(model_name: str, width: float, out: Path) -> dict:
    command = [sys.executable, __file__, "--child", model_name, str(width), str(out)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"benchmark of {model_name} x{width} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def table(results: list[dict]) -> str:
    header = "| stage | " + " | ".join(f"{r['model']} ×{r['width']:g}" for r in results) + " |"
    lines = [header, "|" + " --- |" * (len(results) + 1)]
    lines.append("| weights | " + " | ".join(f"{r['weights'] / 1e6:.2f} M" for r in results) + " |")
    for stage in STAGES:
        cells = []
        for r in results:
            entry = r["stages"].get(stage)
            cells.append(
                "–"
                if entry is None
                else f"{entry['seconds']:.1f} s ({entry['cpu_seconds']:.1f}) / {entry['peak_rss_mb'] / 1024:.2f} GB"
            )
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    lines.append(
        "| **total** | "
        + " | ".join(
            f"**{r['total_seconds']:.1f} s ({r['total_cpu_seconds']:.1f}) / {r['peak_rss_mb'] / 1024:.2f} GB**"
            for r in results
        )
        + " |"
    )
    lines.append("| load average | " + " | ".join(f"{r['load_average']:.1f}" for r in results) + " |")
    lines.append("| RTL + .hex | " + " | ".join(f"{r['rtl_mb']:.0f} MB" for r in results) + " |")
    lines.append("| off-chip layers | " + " | ".join(", ".join(r["offchip"]) or "none" for r in results) + " |")
    return "\n".join(lines)


def growth(results: list[dict]) -> list[str]:
    """Time and memory per million weights, smallest to largest width, per model."""
    lines = []
    for name in dict.fromkeys(r["model"] for r in results):
        runs = sorted((r for r in results if r["model"] == name), key=lambda r: r["weights"])
        if len(runs) < 2:
            continue
        first, last = runs[0], runs[-1]
        ratio = last["weights"] / first["weights"]
        lines.append(
            f"{name}: weights x{ratio:.1f} ({first['weights'] / 1e6:.2f} M -> {last['weights'] / 1e6:.2f} M): "
            f"wall time x{last['total_seconds'] / first['total_seconds']:.1f}, "
            f"CPU time x{last['total_cpu_seconds'] / first['total_cpu_seconds']:.1f}, "
            f"peak memory x{last['peak_rss_mb'] / first['peak_rss_mb']:.1f}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="alexnet,vgg11")
    parser.add_argument("--widths", default="0.25,0.5,1.0")
    parser.add_argument("-o", "--output", default=str(ROOT / "build" / "bench_compile"))
    parser.add_argument("--child", nargs=3, metavar=("MODEL", "WIDTH", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        model_name, width, out = args.child
        print(json.dumps(child(model_name, float(width), Path(out))))
        return 0
    out = Path(args.output)
    results = []
    for model_name in args.models.split(","):
        if model_name not in MODELS:
            raise SystemExit(f"unknown model {model_name!r}; choose from {', '.join(MODELS)}")
        for width in (float(w) for w in args.widths.split(",")):
            print(f"compiling {model_name} x{width:g} ...", file=sys.stderr, flush=True)
            result = run_child(model_name, width, out / f"{model_name}_x{width:g}")
            print(
                f"  {result['total_seconds']:.1f} s, peak {result['peak_rss_mb'] / 1024:.2f} GB, "
                f"{result['weights'] / 1e6:.2f} M weights",
                file=sys.stderr,
                flush=True,
            )
            results.append(result)
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_compile.json").write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"wall time (CPU time) / peak RSS per stage (T=6, b=6, xcvu13p, --offchip-weights auto; {os.cpu_count()} CPUs; "
        "load average = 1-minute load when the compile ended):\n"
    )
    print(table(results))
    print()
    print("\n".join(growth(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
