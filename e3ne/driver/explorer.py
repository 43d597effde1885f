"""`e3ne.explore`: sweep the parallelism of a model (or of a build), the latency-resource
Pareto front, and the fastest design within a part's budget.

    result = e3ne.explore(build, options=CompileOptions(target="xczu9eg"), output="out/")
    print(result.front_table()); result.parallelism, result.offchip
    result.compile("build/fast")   # the chosen design

The sweep, search, front, plot and explore.json are `e3ne.design_space`'s; this module loads
the inputs and turns a choice into a compile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from e3ne.driver.build import Build
from e3ne.driver.inputs import check_images, load_npz, model_source, model_text, shape_of
from e3ne.driver.options import CompileOptions
from e3ne.driver.progress import Progress, Say, progress_of
from e3ne.errors import E3NEError
from e3ne.parallelism import Parallelism


@dataclass
class ExploreResult:
    """An exploration (`e3ne.design_space.Exploration`) and its choice for `part` within `budget`
    (`chosen` is None when no design fits). `source`: what a recompile needs (compile.json
    keys model, weights, input_shape, calibration, time_steps, weight_bits, sigma), or None."""

    exploration: object = field(repr=False)
    part: object
    budget: dict[str, float]
    chosen: int | None
    options: CompileOptions
    output: Path
    source: dict | None = None
    quant_module: object = field(default=None, repr=False)

    @property
    def fits(self) -> bool:
        return self.chosen is not None

    @property
    def parallelism(self) -> Parallelism | None:
        """The chosen design's parallelism (per layer), or None."""
        return None if self.chosen is None else Parallelism.parse(self.exploration.parallelism_text(self.chosen))

    @property
    def offchip(self) -> list[str]:
        """The chosen design's layers whose weights stream from external memory."""
        return [] if self.chosen is None else self.exploration.offchip_layers(self.chosen)

    @property
    def cycles(self) -> int | None:
        return None if self.chosen is None else int(self.exploration.cycles[self.chosen])

    def front_table(self) -> str:
        from e3ne.design_space import front_table

        return front_table(self.exploration, self.part, self.chosen)

    def no_fit_error(self) -> E3NEError:
        from e3ne.design_space import explain_no_fit

        return explain_no_fit(self.exploration, self.part, self.budget, self.options.max_luts)

    def routability_lines(self) -> list[str]:
        """Why the choice stays below the part's routability limit (ECP5), or a warning."""
        from e3ne.design_space import routability_lines

        return routability_lines(
            self.exploration, self.part, self.budget, self.chosen, self.options.max_utilization, self.options.max_luts
        )

    def summary_lines(self) -> list[str]:
        """The fastest design within budget: its flags, cycles, latency and resources, and the
        routability limit's lines."""
        if self.chosen is None:
            return []
        part = self.part
        totals = self.exploration.totals(self.chosen)
        cycles = self.cycles
        offchip = ",".join(self.offchip) or "none"
        dataflow = self.exploration.schedule == "dataflow"
        speed = (
            f"  interval {cycles:,} cycles = {part.clock_mhz * 1e6 / cycles:,.0f} images/s at {part.clock_mhz:g} MHz (assumed clock); "
            if dataflow
            else f"  {cycles:,} cycles = {cycles / part.clock_mhz:,.1f} us at {part.clock_mhz:g} MHz (assumed clock); "
        )
        return [
            f"fastest design within budget: --parallelism {self.exploration.parallelism_text(self.chosen)} "
            f"--offchip-weights {offchip}" + (" --schedule dataflow" if dataflow else ""),
            speed + f"~{totals['lut']:,.0f} LUT, {totals['ff']:,.0f} FF, {totals['bram']:g} BRAM36 of {part.name}'s "
            f"{part.lut:,} / {part.ff:,} / {part.bram36:,}",
            *self.routability_lines(),
        ]

    def compile_options(self) -> CompileOptions:
        """The options that compile the chosen design (quantized as the explored model was)."""
        if self.chosen is None:
            raise self.no_fit_error()
        source = self.source or {}
        return CompileOptions(
            time_steps=source.get("time_steps", self.options.time_steps),
            weight_bits=source.get("weight_bits", self.options.weight_bits),
            sigma=source.get("sigma", self.options.sigma),
            input_mean=source.get("input_mean", self.options.input_mean),
            input_std=source.get("input_std", self.options.input_std),
            coding=source.get("coding", self.options.coding),
            rate_seed=source.get("rate_seed", self.options.rate_seed),
            dt=source.get("dt", self.options.dt),
            nir_leak=source.get("nir_leak", self.options.nir_leak),
            parallelism=self.parallelism,
            target=self.part.name,
            offchip_weights=",".join(self.offchip) or "none",
            axi_width=self.options.axi_width,
            memory_latency=self.options.memory_latency,
            max_utilization=self.options.max_utilization,
            schedule=self.options.schedule,
        )

    def recompile_source(self) -> dict:
        """The model, weights, input shape and calibration set the chosen design is compiled from."""
        source = self.source
        if source is None or not source.get("calibration") or not source.get("model"):
            raise E3NEError(
                "--compile needs the model, not a build directory, to recompile",
                hint="run explore on MODEL.py:Class with --weights/--input-shape/--calibration",
            )
        return source

    def synthesize(
        self,
        count: int,
        jobs: int | None = None,
        ray: bool = False,
        cluster: str | None = None,
        progress: Progress | Say | None = None,
        choose_verified: bool = False,
    ) -> list[dict]:
        """Build and synthesize (Yosys, in parallel: `jobs` local workers or Ray) the `count`
        fastest Pareto designs within budget; their counts go beside the estimates in
        explore.json ("synthesized") and as crosses in explore.png, and are returned, one dict
        per design. `choose_verified`: the chosen design becomes the fastest of them whose
        Yosys counts fit the budget (explore.json "chosen" says `chosen_by: yosys`)."""
        from e3ne.backend.synth_designs import add_to_explore_json, best_designs, synthesize_designs
        from e3ne.design_space import plot

        steps = progress_of(progress, 1)
        steps.step(f"synthesizing the {count} fastest designs within budget (Yosys)")
        synthesized = synthesize_designs(
            self.exploration, self.quant_module, self.part, self.budget, self.output, count, self.options.axi_width,
            self.options.memory_latency, progress=steps.say, jobs=jobs, ray=ray, cluster=cluster,
        )  # fmt: skip
        points = best_designs(self.exploration, self.budget, count)  # the same designs, in the same order
        if choose_verified:
            fitting = [
                point for point, row in zip(points, synthesized)
                if all(row[key]["yosys"] <= limit for key, limit in self.budget.items() if key in row)
            ]  # fmt: skip
            if not fitting:
                raise E3NEError(
                    f"none of the {len(points)} synthesized designs fits {self.part.name}'s budget in Yosys's counts",
                    hint="synthesize more designs (--synthesize K) or lower --max-utilization",
                )
            self.chosen = fitting[0]  # the front is fastest first
        add_to_explore_json(self.output / "explore.json", synthesized, self._point(self.chosen) if choose_verified else None)
        plot(
            self.exploration, self.part, self.budget, self.chosen, self.output / "explore.png",
            [(point, row["lut"]["yosys"]) for point, row in zip(points, synthesized)],
        )  # fmt: skip
        steps.done()
        return synthesized

    def _point(self, index: int) -> dict:
        exploration = self.exploration
        return {
            "parallelism": exploration.parallelism_text(index),
            "offchip": exploration.offchip_layers(index),
            "cycles": int(exploration.cycles[index]),
            "chosen_by": "yosys",
        }

    def compile(self, output: str | Path, progress: Progress | Say | None = None) -> Build:
        """Compile the chosen design into `output` (needs the model, not only a build)."""
        from e3ne.driver.compiler import compile

        source = self.recompile_source()

        options = self.compile_options()
        return compile(
            source["model"], input_shape=tuple(source["input_shape"]), calibration=source["calibration"],
            weights=source.get("weights"), options=options, output=output, progress=progress,
        )  # fmt: skip


def explore(
    model,
    *,
    input_shape: str | tuple[int, ...] | None = None,
    calibration=None,
    weights: str | Path | None = None,
    options: CompileOptions | None = None,
    output: str | Path | None = None,
    progress: Progress | Say | None = None,
) -> ExploreResult:
    """Sweep `model`: a `Build` or build directory (its snn.quant.mlir), an nn.Module or
    `"path/model.py:Class"` (imported and quantized with `options`; needs `input_shape` and
    `calibration`). Writes explore.png and explore.json to `output` (default: the build
    directory, or the current directory)."""
    from e3ne.design_space import budget_of, choose, designs_text, sweep, write_outputs
    from e3ne.model import cost
    from e3ne.model.parts import get_part

    options = options or CompileOptions()
    part = get_part(options.target)
    steps = progress_of(progress, 3)
    steps.step(f"loading {model.path if isinstance(model, Build) else model_text(model)}")
    quant_module, source, default_output = _quantized(model, input_shape, calibration, weights, options, steps.say)
    out_dir = Path(output) if output else default_output
    steps.done()

    budget = budget_of(part, options.max_utilization, options.max_luts)
    limited = options.max_luts is None and part.routability_binds(budget)
    steps.step(
        f"sweeping parallelism (target {part.name}, {options.max_utilization:.0%} of its resources"
        + (f"; LUT4 within the routability limit, {part.routable_lut:.0%})" if limited else ")")
    )
    with cost.for_family(part.family):
        exploration = sweep(
            quant_module, offchip=options.offchip_weights, budget=budget, axi_width=options.axi_width,
            memory_latency=options.memory_latency, **({"schedule": options.schedule} if options.dataflow else {}),
        )  # fmt: skip
    chosen = choose(exploration, budget)
    steps.done(
        f"{designs_text(exploration)} in {exploration.seconds:.2f} s, {len(exploration.front)} on the Pareto front"
    )
    steps.step("writing the Pareto front")
    write_outputs(exploration, part, budget, chosen, out_dir)
    steps.done(f"wrote {out_dir / 'explore.png'} and {out_dir / 'explore.json'}")
    return ExploreResult(exploration, part, budget, chosen, options, out_dir, source, quant_module)


def _quantized(model, input_shape, calibration, weights, options: CompileOptions, say: Say | None = None):
    """(integer snn module, recompile source or None, default output directory)."""
    from e3ne.ir import parse_module

    if isinstance(model, Build) or (isinstance(model, str | Path) and Path(model).is_dir()):
        build = model.path if isinstance(model, Build) else Path(model)
        if not (build / "snn.quant.mlir").is_file():
            raise E3NEError("no snn.quant.mlir here; run `e3ne compile` first", location=str(build))
        settings = Build(build).settings
        return parse_module(build / "snn.quant.mlir"), settings, build
    from e3ne.frontend.spiking.entry import import_network
    from e3ne.transforms.snn.quantize_pipeline import quantize_module

    if not input_shape or calibration is None:
        raise E3NEError("explore MODEL.py:Class needs --input-shape and --calibration (or give a build directory)")
    shape = shape_of(input_shape)
    from_file = isinstance(calibration, str | Path)
    if from_file:
        calibration_x, _ = load_npz(str(calibration), shape, False, role="calibration", say=say)
    else:
        calibration_x = check_images(calibration, shape, role="calibration", say=say)
    float_module = import_network(model, weights, shape, options)
    if options.normalization:
        from e3ne.transforms.snn.fold_normalization import fold_normalization

        float_module = fold_normalization(float_module.clone(), options.input_mean, options.input_std)
    quant_module = quantize_module(
        float_module, calibration_x, options.time_steps, options.weight_bits, options.sigma
    )
    return quant_module, model_source(model, weights, shape, calibration, from_file, options), Path(".")
