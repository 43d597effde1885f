"""Fit the cost model's coefficients (e3ne.model.cost.Coefficients) to Yosys counts.

    python tools/fit_cost.py [--family xc7|ecp5] [--sets fitting,examples] [--ridge 0.05]

Reads the Yosys counts of tools/bench_estimator.py (tools/data/estimator_bench.json) for
the fitting designs only (never the held-out set), and fits the LUT and flip-flop
coefficients by least squares on the relative error, each coefficient >= 0 and pulled
towards its current value by a small ridge term (few designs, many coefficients). Every
estimate is linear in the coefficients, so each coefficient's column is the change of a
design's total when that coefficient alone goes from 0 to 1. Prints the fitted values as
a `Coefficients(...)` to paste into e3ne/model/cost.py, and the fitting set's errors
before and after.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import fields, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_estimator as bench

COST_PY = bench.ROOT / "e3ne" / "model" / "cost.py"

LUT_COEFFICIENTS = (
    "hidden_lut_per_acc_bit", "hidden_lut_per_step", "hidden_lut_fixed", "output_lut_per_acc_bit",
    "tree_lut_per_input_bit", "control_lut_per_ff", "counter_lut_per_bit", "counter_lut_fixed",
    "conv_control_lut_per_address_bit", "conv_lut_per_acc_bit", "conv_tree_lut_per_bit", "conv_lut_per_row_bit", "conv_lut_per_shadow_bit",
    "conv_lut_per_assembly_bit", "conv_lut_per_select", "pool_lut_per_combine_bit", "pool_lut_per_row_bit", "pool_lut_per_row_kernel_bit",
    "pool_lut_per_address_bit", "controller_lut_per_stage", "rom_lut_per_bit_block", "block_ram_mux_lut", "bank_mux_lut",
    "lut_fixed", "bias_add_lut_per_bit", "spike_select_lut_per_lut", "linear_lut_fixed", "conv_lut_fixed", "pool_lut_fixed",
)  # fmt: skip
FF_COEFFICIENTS = (
    "ff_control", "ff_rom_read", "ff_ram_read", "ff_block_read", "ff_lane", "ff_bias_hold", "ff_conv_acc", "ff_conv_row", "ff_pool",
    "ff_fixed",
)  # fmt: skip


STRUCTURAL = (
    "shift_register_min",
    "rom_words_per_lut",
    "lutram_modes",
    "lutram_unit_cost",
    "lutram_unit_luts",
    "lutram_choice_mux",
    "mux_inputs_per_lut",
    "bram_modes",
    "bram_costs",
)


def accelerators(sets: list[str], family: str) -> list[tuple[str, object, dict]]:
    from e3ne.dialects import snnhw
    from e3ne.ir import parse_module

    data = bench.load_data()
    result = []
    for name in sets:
        for set_name, spec in bench.specs(name):
            key = bench.design_hash(spec)
            entry = data["designs"].get(key, {})
            if family not in entry:
                continue
            build = bench.compile_design(spec, bench.OUT / key)
            module = parse_module(build / "snnhw.mlir")
            accelerator = next(
                op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp)
            )
            result.append((key, accelerator, entry[family]))
    return result


def totals(accelerator, coefficients) -> dict[str, float]:
    from e3ne.transforms.snnhw.estimate import estimate_accelerator

    t = estimate_accelerator(accelerator, family=coefficients).totals
    return {"lut": t.lut, "ff": t.ff}


def columns(
    designs, base, names: tuple[str, ...], resource: str
) -> tuple[np.ndarray, np.ndarray]:
    """(f0, X): a design's `resource` is f0 + X @ c for the coefficients `names` = c."""
    zero = replace(base, **{name: 0.0 for name in names})
    f0 = np.array([totals(acc, zero)[resource] for _, acc, _ in designs])
    x = np.zeros((len(designs), len(names)))
    for j, name in enumerate(names):
        one = replace(zero, **{name: 1.0})
        x[:, j] = [totals(acc, one)[resource] for _, acc, _ in designs]
    return f0, x - f0[:, None]


def fit(
    designs, base, names, resource: str, ridge: float, rescale: bool = False
) -> dict[str, float]:
    """`rescale`: first scale all the prior values by one least-squares factor (another
    family's coefficients as the prior: ECP5 LUT4s are more than Xilinx LUT6s throughout)."""
    from scipy.optimize import lsq_linear

    f0, x = columns(designs, base, names, resource)
    y = np.array([real[resource] for _, _, real in designs], dtype=float)
    prior = np.array([getattr(base, name) for name in names], dtype=float)
    if rescale:
        a, b = (x @ prior) / y, (y - f0) / y
        prior = prior * float(a @ b / (a @ a))
    # the ridge pulls each coefficient towards its current value, in units of its size
    # (per-unit constants: 100 LUTs / flip-flops)
    scale = np.maximum(
        np.abs(prior), [100.0 if name.endswith("_fixed") else 1.0 for name in names]
    )
    a = np.vstack([x / y[:, None], np.sqrt(ridge) * np.diag(1 / scale)])
    b = np.concatenate([(y - f0) / y, np.sqrt(ridge) * prior / scale])
    solution = lsq_linear(a, b, bounds=(0, np.inf)).x
    return {name: round(float(value), 3) for name, value in zip(names, solution)}


def errors(designs, coefficients, resource: str) -> list[float]:
    return [
        (totals(acc, coefficients)[resource] - real[resource]) / real[resource]
        for _, acc, real in designs
    ]


def summary(label: str, errs: list[float]) -> str:
    d = bench.distribution(errs)
    return (
        f"{label}: |error| median {d['median']:.1%}, p90 {d['p90']:.1%}, worst {d['worst']:+.1%}, "
        f"within 15% {d['within15']:.0%} (n={d['n']})"
    )


def main() -> int:
    from e3ne.model import cost

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--family", default="xc7", choices=("xc7", "ecp5"))
    parser.add_argument("--sets", default="fitting,examples", help="never 'heldout'")
    parser.add_argument("--ridge", type=float, default=1.0)
    parser.add_argument(
        "--prior",
        default=None,
        help="start from this family's coefficients (e.g. xc7 for a first ECP5 fit)",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="write the fitted coefficients into e3ne/model/cost.py",
    )
    parser.add_argument(
        "--check",
        default="heldout",
        help="also print the fitted coefficients' error on these sets (not fitted on)",
    )
    args = parser.parse_args()
    sets = [s for s in args.sets.split(",") if s]
    if "heldout" in sets:
        parser.error("the held-out designs are never fitted on")
    designs = accelerators(sets, args.family)
    base = cost.family_coefficients(args.family)
    if args.prior:  # start from another family's fitted values, keeping this family's memory structure
        structure = {name: getattr(base, name) for name in STRUCTURAL}
        base = replace(
            cost.family_coefficients(args.prior), family=base.family, **structure
        )
    rescale = args.prior is not None
    fitted = {
        **fit(designs, base, LUT_COEFFICIENTS, "lut", args.ridge, rescale),
        **fit(designs, base, FF_COEFFICIENTS, "ff", args.ridge, rescale),
    }
    new = replace(base, **fitted)
    checked = accelerators([s for s in args.check.split(",") if s], args.family)
    for resource in ("lut", "ff"):
        print(
            summary(
                f"{resource.upper()} fitting set, current",
                errors(designs, base, resource),
            )
        )
        print(
            summary(
                f"{resource.upper()} fitting set, fitted ",
                errors(designs, new, resource),
            )
        )
        if checked:
            print(
                summary(
                    f"{resource.upper()} {args.check}, current",
                    errors(checked, base, resource),
                )
            )
            print(
                summary(
                    f"{resource.upper()} {args.check}, fitted ",
                    errors(checked, new, resource),
                )
            )
    text = literal(new)
    print(text, end="")
    if args.write:
        write(COST_PY, text)
        print(f"wrote {args.family.upper()} into {COST_PY}")
    return 0


def literal(coefficients) -> str:
    """`XC7 = Coefficients("xc7", ...)`: the fields that differ from the defaults."""
    from e3ne.model import cost

    defaults = cost.Coefficients(coefficients.family)
    lines = [
        f"{coefficients.family.upper()} = Coefficients(",
        f'    "{coefficients.family}",',
    ]
    for f in fields(coefficients):
        value = getattr(coefficients, f.name)
        if f.name != "family" and value != getattr(defaults, f.name):
            lines.append(f"    {f.name}={value!r},")
    return "\n".join(lines) + "\n)\n"


def write(path: Path, text: str) -> None:
    """Replace the `NAME = Coefficients(...)` block of the same name in `path`."""
    name = text.split(" ", 1)[0]
    source = path.read_text()
    pattern = re.compile(
        rf"^{name} = Coefficients\(\n.*?^\)\n", re.DOTALL | re.MULTILINE
    )
    if not pattern.search(source):
        raise SystemExit(f"no '{name} = Coefficients(' block in {path}")
    path.write_text(pattern.sub(lambda _: text, source, count=1))


if __name__ == "__main__":
    sys.exit(main())
