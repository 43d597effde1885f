"""Run independent jobs on all local cores or on a Ray cluster (docs/scaleout.md).

The long jobs (image shards of one RTL simulation, the stages of a per-layer check, the
Yosys runs of several designs) are independent: `engine(...)` picks where they run and
`Engine.map(function, tasks, shared)` runs `function(shared, task)` for every task and
returns the results in task order, whatever order they finish in.

- `LocalEngine(jobs)`: `jobs` workers on this machine (default: every core). Threads for
  jobs that wait on a subprocess (Verilator's simulator, Yosys), processes for Python work
  (building a slice). With one job, or one task, everything runs in the calling thread.
- `RayEngine(address)`: every task is a Ray task (`pip install e3ne[cluster]`). `shared`
  is put into Ray's object store once and reaches every task; a task whose worker dies is
  run again (`max_retries`), so the result is complete and the same.

A failed task is reported with its label (e.g. "images 250-374"). Ctrl-C stops every
worker, and the subprocesses they started, before the KeyboardInterrupt goes on.
"""

from __future__ import annotations

import concurrent.futures as futures
import ctypes
import multiprocessing
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from e3ne.errors import E3NEError

Progress = Callable[[str], None]
OnResult = Callable[[int, Any], None]


# --------------------------------------------------------------------------- subprocesses


_running: set[subprocess.Popen] = set()
_running_lock = threading.Lock()
_stopping = threading.Event()


def _signal_on_parent_death(number: int) -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, number)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    _signal_on_parent_death(signal.SIGKILL)


def run_subprocess(command: list[str], **popen: Any) -> tuple[int, str]:
    """Run `command` to its end; (exit code, its stdout and stderr). The process is killed
    when the engine is interrupted, or when the worker that started it dies."""
    if _stopping.is_set():
        raise KeyboardInterrupt
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=_die_with_parent if os.name == "posix" else None, **popen,
    )  # fmt: skip
    with _running_lock:
        _running.add(process)
    try:
        output, _ = process.communicate()
    finally:
        with _running_lock:
            _running.discard(process)
        if process.poll() is None:
            process.kill()
            process.wait()
    if _stopping.is_set():
        raise KeyboardInterrupt
    return process.returncode, output


def _kill_subprocesses() -> None:
    _stopping.set()
    with _running_lock:
        for process in list(_running):
            if process.poll() is None:
                process.kill()


# --------------------------------------------------------------------------- engines


def _label(labels: Sequence[str] | None, index: int) -> str:
    return labels[index] if labels else f"task {index + 1}"


def _failure(label: str, error: BaseException) -> E3NEError:
    if isinstance(error, E3NEError):
        return E3NEError(f"{label}: {error.message}", location=error.location, hint=error.hint)
    return E3NEError(f"{label} failed: {type(error).__name__}: {error}")


def _worker_process() -> None:  # pragma: no cover - runs in each worker process
    """A worker leads its own process group, so it and its subprocesses (Verilator, make,
    the compiler) are stopped together: by the engine on Ctrl-C, and when the process that
    started the pool dies."""
    os.setpgrp()
    signal.signal(signal.SIGTERM, lambda *_: os.killpg(0, signal.SIGKILL))
    _signal_on_parent_death(signal.SIGTERM)


class LocalEngine:
    """`jobs` workers on this machine (None: one per core)."""

    def __init__(self, jobs: int | None = None):
        if jobs is not None and jobs < 1:
            raise E3NEError(f"--jobs must be at least 1, got {jobs}")
        self.jobs = jobs or os.cpu_count() or 1

    def describe(self) -> str:
        return f"{self.jobs} local job{'s' if self.jobs != 1 else ''}"

    def workers(self) -> int:
        return self.jobs

    def map(
        self,
        function: Callable[[Any, Any], Any],
        tasks: Sequence[Any],
        shared: Any = None,
        labels: Sequence[str] | None = None,
        on_result: OnResult | None = None,
        processes: bool = False,
    ) -> list:
        """`function(shared, task)` for every task, results in task order. `processes`: run
        in worker processes (Python-heavy work) instead of threads (subprocess waits)."""
        results: list = [None] * len(tasks)
        if self.jobs == 1 or len(tasks) <= 1:
            for index, task in enumerate(tasks):
                try:
                    results[index] = function(shared, task)
                except Exception as error:  # noqa: BLE001  (named like a failed worker task)
                    raise _failure(_label(labels, index), error) from None
                if on_result:
                    on_result(index, results[index])
            return results
        workers = min(self.jobs, len(tasks))
        if processes:
            pool: futures.Executor = futures.ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_process
            )
        else:
            _stopping.clear()
            pool = futures.ThreadPoolExecutor(workers, thread_name_prefix="e3ne-shard")
        pending = {pool.submit(function, shared, task): index for index, task in enumerate(tasks)}
        try:
            while pending:
                done, _ = futures.wait(pending, timeout=0.5, return_when=futures.FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    error = future.exception()
                    if error is not None:
                        raise _failure(_label(labels, index), error)
                    results[index] = future.result()
                    if on_result:
                        on_result(index, results[index])
        except BaseException:  # a failed task or Ctrl-C: stop every worker, then report
            self._stop(pool, processes)
            raise
        pool.shutdown()
        return results

    @staticmethod
    def _stop(pool: futures.Executor, processes: bool) -> None:
        if processes:
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                # Each worker leads its own group (its subprocesses too) once its initializer
                # ran; one still starting has no group yet, so it is killed by pid as well.
                # A worker left alive would wait forever on the call queue's lock, which a
                # killed sibling may hold, and shutdown(wait=True) would hang on it.
                for kill, target in ((os.killpg, process.pid), (os.kill, process.pid)):
                    try:
                        kill(target, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
        else:
            _kill_subprocesses()
        pool.shutdown(wait=True, cancel_futures=True)
        _stopping.clear()


class RayEngine:
    """Tasks on a Ray cluster: `address` ("HOST:PORT", "ray://...", or "auto" for the
    cluster `ray start` runs on this machine), else RAY_ADDRESS, else a new Ray instance of
    this machine's cores (never a leftover cluster that Ray would find on its own). `max_retries`: how often a
    task whose worker died is run again."""

    def __init__(self, address: str | None = None, max_retries: int = 3):
        import ray  # noqa: F401  (ImportError: the caller falls back or reports it)

        self.address = address or os.environ.get("RAY_ADDRESS") or None  # None: a new local instance
        self.max_retries = max_retries

    def describe(self) -> str:
        return f"Ray ({self.address})" if self.address else "Ray"

    def _connect(self) -> None:
        """Connect to the cluster, or start a Ray instance of this machine's cores (it
        stays up for later runs in this process; Ray stops it when the process ends)."""
        import ray

        if ray.is_initialized():
            return
        try:
            ray.init(address=self.address or "local", log_to_driver=False, include_dashboard=False)
        except (ConnectionError, RuntimeError, ValueError) as error:
            raise E3NEError(
                f"cannot connect to the Ray cluster at {self.address}: {error}",
                hint="start it with `ray start --head` or check --cluster / RAY_ADDRESS",
            ) from None

    def workers(self) -> int:
        import ray

        self._connect()
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def map(
        self,
        function: Callable[[Any, Any], Any],
        tasks: Sequence[Any],
        shared: Any = None,
        labels: Sequence[str] | None = None,
        on_result: OnResult | None = None,
        processes: bool = False,
    ) -> list:
        import ray

        self._connect()
        remote = ray.remote(max_retries=self.max_retries, retry_exceptions=False, num_cpus=1)(function)
        shared_ref = ray.put(shared)
        refs = [remote.remote(shared_ref, task) for task in tasks]
        index_of = {ref: index for index, ref in enumerate(refs)}
        results: list = [None] * len(tasks)
        waiting = list(refs)
        try:
            while waiting:
                done, waiting = ray.wait(waiting, num_returns=1, timeout=1.0)
                for ref in done:
                    index = index_of[ref]
                    try:
                        results[index] = ray.get(ref)
                    except ray.exceptions.RayTaskError as error:
                        cause = error.cause if getattr(error, "cause", None) is not None else error
                        raise _failure(_label(labels, index), cause) from None
                    except ray.exceptions.RayError as error:
                        raise _failure(_label(labels, index), error) from None
                    if on_result:
                        on_result(index, results[index])
        except BaseException:
            for ref in waiting:
                ray.cancel(ref, force=True)
            raise
        return results


Engine = LocalEngine | RayEngine


def engine(
    jobs: int | None = None,
    ray: bool = False,
    cluster: str | None = None,
    max_retries: int = 3,
    progress: Progress = print,
) -> Engine:
    """Where long jobs run: Ray when `ray` or `cluster` (an address) is given, else `jobs`
    local workers (None: every core). `ray` without an address honours RAY_ADDRESS. Without
    Ray installed, `ray=True` falls back to the local workers (same results); an explicit
    `cluster` is an error."""
    if ray or cluster:
        try:
            return RayEngine(cluster, max_retries=max_retries)
        except ImportError:
            if cluster:
                raise E3NEError(
                    f"--cluster {cluster} needs Ray, which is not installed", hint="pip install 'e3ne[cluster]'"
                ) from None
            progress("Ray is not installed (pip install 'e3ne[cluster]'); using local workers")
    return LocalEngine(jobs)


class Counter:
    """One progress line for all workers, `text` with {done} and {total} filled in as
    results come in: at most one line a second, and always the last one."""

    def __init__(self, total: int, text: str, progress: Progress, every: float = 1.0):
        self.total, self.text, self.progress, self.every = total, text, progress, every
        self.done = 0
        self.last = float("-inf")  # the first result always shows

    def add(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self.done >= self.total or now - self.last >= self.every:
            self.last = now
            self.progress(self.text.format(done=self.done, total=self.total))
