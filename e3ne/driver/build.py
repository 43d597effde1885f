"""`Build`: a build directory written by `e3ne.compile`, and what can be done with it.

    build = Build.open("build/mlp")
    build.manifest["cycles_expected"], build.report["fits"]
    result = build.simulate("test.npz", limit=20, golden_only=True)
    synth = build.synth()          # Yosys; needs yosys on PATH
    fpga = build.bitstream("ulx3s-85f", clock_mhz=100)   # open ECP5 flow: BUILD/fpga/
    result = build.run("test.npz", "/dev/ttyUSB0", check=True)   # a --shell uart build on a board ("sim": Verilator)
"""

from __future__ import annotations

import json
from pathlib import Path

from e3ne.driver.progress import Progress, Say
from e3ne.errors import E3NEError


class Build:
    """A build directory: snn.mlir, snn.quant.mlir and (with hardware) snnhw.mlir, rtl/,
    hardware.json, report.json; compile.json holds the settings it was made with."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    @classmethod
    def open(cls, path: str | Path) -> Build:
        if not Path(path).is_dir():
            raise E3NEError("build directory not found; run `e3ne compile ... -o DIR` first", location=str(path))
        return cls(path)

    def __repr__(self) -> str:
        return f"Build({str(self.path)!r})"

    def _json(self, name: str) -> dict | None:
        file = self.path / name
        return json.loads(file.read_text()) if file.is_file() else None

    @property
    def manifest(self) -> dict | None:
        """hardware.json (interface, cycles, per-layer numbers), or None without hardware."""
        return self._json("hardware.json")

    @property
    def report(self) -> dict | None:
        """report.json (resources, speed, fit, energy estimates), or None without hardware."""
        return self._json("report.json")

    @property
    def settings(self) -> dict | None:
        """compile.json: the settings of the compile that wrote this build."""
        return self._json("compile.json")

    def simulate(
        self,
        data,
        limit: int | None = None,
        golden_only: bool = False,
        per_layer: bool = False,
        layers: list[str] | str | None = None,
        progress: Progress | Say | None = None,
        jobs: int | None = None,
        ray: bool = False,
        cluster: str | None = None,
        shared_filesystem: bool = False,
    ):
        """Float and golden models and (unless `golden_only`) the RTL on `data` (an .npz path,
        an `(x, y)` pair or images x); writes sim/outputs.npz and sim/summary.json and returns
        a `Simulation`. `per_layer`: check each layer on its own in RTL (returns `LayerChecks`;
        `layers` picks some). RTL runs shard over `jobs` local workers (default: every core),
        or over Ray with `ray`/`cluster` (docs/scaleout.md); results equal a one-process run."""
        from e3ne.driver.simulate import simulate

        engine = {"jobs": jobs, "ray": ray, "cluster": cluster, "shared_filesystem": shared_filesystem}
        return simulate(self.path, data, limit, golden_only, per_layer, layers, progress, engine)

    def synth(self, target: str | None = None, progress: Progress | Say | None = None) -> dict:
        """Yosys synthesis for `target` (default: the compile's target); writes and returns
        synth.json (Yosys's counts beside the estimates)."""
        from e3ne.driver.synth import synth

        if target is None:
            target = (self.settings or {}).get("target") or "xc7z020"
        return synth(self.path, target, progress)

    def bitstream(
        self,
        board: str = "ulx3s-85f",
        clock_mhz: float = 100.0,
        seed: int = 1,
        pll: bool = False,
        progress: Progress | Say | None = None,
        bram_outreg: bool = True,
        max_fanout: int | None = None,
        router: str | None = None,
    ) -> dict:
        """The open ECP5 flow (Yosys synth_ecp5, nextpnr-ecp5 at `clock_mhz`, ecppack) for
        `board`; writes BUILD/fpga/ and returns fpga.json (measured Fmax, utilisation).
        `bram_outreg=False` keeps the block RAMs' read registers in the fabric (for A/B runs);
        `max_fanout` bounds each flip-flop's and LUT4's fan-out by copying it
        (e3ne/backend/ecp5_fanout.py; 0: off; default: `ecp5_fanout.MAX_FANOUT` for a design over
        `bitstream.LARGE_DESIGN_SHARE` of the part, else off); `router`: nextpnr's router1,
        router2 or auto (default: router2 for such a large design, `bitstream.chosen_router`).
        report.json/report.md are recomputed at the measured Fmax (`e3ne.backend.clock`)."""
        from e3ne.backend.bitstream import run_bitstream
        from e3ne.backend.boards import get_board
        from e3ne.driver.progress import progress_of

        chosen = get_board(board)
        if not clock_mhz > 0:
            raise E3NEError(f"--clock must be positive, got {clock_mhz}")
        if max_fanout is not None and (max_fanout < 0 or max_fanout == 1):
            raise E3NEError(f"--max-fanout must be 0 (off) or at least 2, got {max_fanout}")
        steps = progress_of(progress, 1)
        steps.step(f"open flow for {chosen.description}: yosys, nextpnr-ecp5 at {clock_mhz:g} MHz, ecppack")
        result = run_bitstream(
            self.path, chosen, clock_mhz, seed, progress=steps.say, pll=pll, bram_outreg=bram_outreg,
            max_fanout=max_fanout, router=router,
        )  # fmt: skip
        from e3ne.backend.clock import apply_measured_clock

        report = apply_measured_clock(self.path, result)  # latency and throughput at the measured Fmax
        steps.done(
            f"wrote {self.path / result['files']['bitstream']} and fpga/fpga.json"
            + (f"; report.md now at the measured {result['fmax_mhz']:.1f} MHz: {report['latency_us']:,g} us/image" if report else "")
        )
        return result

    def run(
        self,
        data,
        port: str,
        baud: int | None = None,
        check: bool = False,
        limit: int | None = None,
        progress: Progress | Say | None = None,
    ) -> dict:
        """A `--shell uart` build on a board over serial `port` (or `port="sim"`: its RTL in
        Verilator): accuracy, images/s and, with `check`, the mismatches against the golden model
        (e3ne.driver.run)."""
        from e3ne.driver.run import run_images

        return run_images(self.path, data, port, baud, check, limit, progress)
