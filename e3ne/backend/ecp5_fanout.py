"""Replicate the flip-flops and LUT4s that drive many cell inputs, in synth_ecp5's netlist.

Neither Yosys nor nextpnr-ecp5 duplicates a driver, and the generated RTL broadcasts its
control (a stage's `valid1`/`first_step1`, the shadow bank's `load`/`draining`, a ROM's bank
select) to every lane: hundreds of sinks spread over the die, so that one net's routing takes
most of a clock period. Measured on Fang "fast" (docs/timing.md, "High fan-out nets"): the
critical path was `conv2.load_row` (446 sinks, 7.4 ns of routing) -> a LUT4 driving 745
sinks (3.8 ns) -> a clock enable, 15.1 ns in all (66.3 MHz).

This pass works on the JSON netlist between Yosys and nextpnr, like ecp5_outreg.py: a
TRELLIS_FF or LUT4 whose output drives more than `max_fanout` cell inputs gets copies, the
original and each copy driving a run of those inputs (ceil(n / max_fanout) runs of equal
size; a block RAM's input counts as max_fanout / BLOCK_RAMS_PER_COPY), taken in the natural order of the reading cells' names (the cells of one lane, one column, sort
together, so a copy's sinks tend to sit together). A copy has the cell's parameters and the
same inputs, so it holds the same value in every cycle: the flip-flop the same D, clock,
clock enable, set/reset and power-up value; the LUT4 the same INIT and inputs. The
netlist's behaviour is unchanged; only the drivers' fan-out is.

Copies add readers to their inputs' nets; the pass repeats until no replicable net is over
the limit (a LUT4 driving 745 sinks becomes 24 LUT4s, which its flip-flop input then drives
through copies of its own), at most ROUNDS times: in a feedback loop (a counter's flip-flop
and the LUT4 computing its next value) each split adds a reader to the other, and the equal
runs' headroom is what ends it. Module output ports stay on the original driver.
"""

from __future__ import annotations

import re
from collections import defaultdict

# cell inputs per driver after the pass (docs/timing.md, "High fan-out nets and the router"):
# 32 until the ninth pipelining step; 8 since, when a conv unit's weight word (28 columns' gates,
# under 32) had become the broadcast that limited LeNet-5 (122.5 -> 149.2 MHz, docs/timing-pipelining.md)
MAX_FANOUT = 8
# A block RAM's input counts as max_fanout / BLOCK_RAMS_PER_COPY: a wide ROM's DP16KDs sit all
# over the block-RAM rows, and one copy of its address driving 23 of them had an 8 ns route
# (Fang "fast", docs/timing-pipelining.md "Ninth step").
BLOCK_RAMS_PER_COPY = 4
REPLICABLE = ("TRELLIS_FF", "LUT4")
ROUNDS = 8  # each round can only raise the fan-out of the copies' inputs; 3-4 rounds on the examples


def natural_key(name: str) -> list:
    """`lane2` before `lane10`: digits compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def output_port(cell: dict) -> str | None:
    return {"TRELLIS_FF": "Q", "LUT4": "Z"}.get(cell.get("type"))


def output_bit(cell: dict):
    """The net bit a replicable cell drives, None for other cells and constant outputs."""
    port = output_port(cell)
    bits = cell.get("connections", {}).get(port) if port else None
    return bits[0] if bits and not isinstance(bits[0], str) else None


def readers_of(module: dict) -> dict:
    """net bit -> [(cell name, port, index)] of every cell input reading it."""
    readers: dict = defaultdict(list)
    for name, cell in module["cells"].items():
        directions = cell.get("port_directions", {})
        for port, bits in cell.get("connections", {}).items():
            if directions.get(port, "input") != "output":
                for index, bit in enumerate(bits):
                    if not isinstance(bit, str):
                        readers[bit].append((name, port, index))
    return readers


def largest_fanout(module: dict, readers: dict) -> int:
    """The most cell inputs a replicable driver (TRELLIS_FF, LUT4) drives."""
    bits = [output_bit(cell) for cell in module["cells"].values()]
    return max((len(readers.get(bit, ())) for bit in bits if bit is not None), default=0)


def weighted(sinks: list, cells: dict, max_fanout: int) -> list:
    """`sinks` with each block-RAM input repeated to count as max_fanout / BLOCK_RAMS_PER_COPY
    inputs (at least one): the load the runs are split by."""
    weight = max(1, max_fanout // BLOCK_RAMS_PER_COPY)
    return [sink for sink in sinks for _ in range(weight if cells[sink[0]]["type"] == "DP16KD" else 1)]


def replicate_high_fanout(netlist: dict, top: str, max_fanout: int = MAX_FANOUT) -> dict:
    """Rewrite `netlist` (synth_ecp5's JSON, flattened) in place; return what was done:
    nets split, copies added per cell type, the largest fan-out before and after."""
    if max_fanout < 2:
        raise ValueError(f"max_fanout must be at least 2, got {max_fanout}")
    module = netlist["modules"][top]
    cells = module["cells"]
    netnames = module.setdefault("netnames", {})
    # a copy's net carries its original's attributes (`src`: nextpnr's report names the RTL lines)
    attributes: dict = {}
    for entry in netnames.values():
        for bit in entry.get("bits", []):
            if not isinstance(bit, str):
                attributes.setdefault(bit, entry.get("attributes", {}))
    next_bit = 1 + max(
        (b for c in cells.values() for bits in c.get("connections", {}).values() for b in bits if not isinstance(b, str)),
        default=1,
    )
    summary = {"max_fanout": max_fanout, "nets_split": 0, "copies": {kind: 0 for kind in REPLICABLE},
               "largest_before": 0, "largest_after": 0}  # fmt: skip
    copies: dict[str, int] = defaultdict(int)
    for round_ in range(ROUNDS):
        readers = readers_of(module)
        if round_ == 0:
            summary["largest_before"] = largest_fanout(module, readers)
        over = [
            name for name, cell in cells.items()
            if (bit := output_bit(cell)) is not None and len(weighted(readers.get(bit, []), cells, max_fanout)) > max_fanout
        ]  # fmt: skip
        if not over:
            break
        for name in sorted(over, key=natural_key):
            cell = cells[name]
            port = output_port(cell)
            bit = cell["connections"][port][0]
            load = weighted(sorted(readers[bit], key=lambda r: (natural_key(r[0]), r[1], r[2])), cells, max_fanout)
            count = -(-len(load) // max_fanout)  # drivers needed; runs of equal load leave headroom
            runs = [list(dict.fromkeys(load[len(load) * k // count : len(load) * (k + 1) // count])) for k in range(count)]
            # a block RAM's input repeated over two runs stays in the first
            runs = [[sink for sink in run if sink not in runs[k - 1]] if k else run for k, run in enumerate(runs)]
            for run in runs[1:]:
                copies[name] += 1  # numbered on from the copies of earlier rounds (or runs)
                while f"{name}$fanout{copies[name]}" in cells:
                    copies[name] += 1
                copy_name = f"{name}$fanout{copies[name]}"
                cells[copy_name] = {
                    **{k: v for k, v in cell.items() if k not in ("connections", "parameters", "attributes")},
                    "parameters": dict(cell.get("parameters", {})),
                    "attributes": dict(cell.get("attributes", {})),
                    "connections": {**{p: list(b) for p, b in cell["connections"].items()}, port: [next_bit]},
                }
                attributes[next_bit] = dict(attributes.get(bit, {}))
                netnames[f"{copy_name}$net"] = {"hide_name": 0, "bits": [next_bit], "attributes": attributes[next_bit]}
                for reader, reader_port, index in run:
                    cells[reader]["connections"][reader_port][index] = next_bit
                next_bit += 1
                summary["copies"][cell["type"]] += 1
            summary["nets_split"] += 1
    summary["largest_after"] = largest_fanout(module, readers_of(module))
    summary["rounds"] = round_ + 1
    return summary


def main(argv: list[str] | None = None) -> int:
    """`python -m e3ne.backend.ecp5_fanout NETLIST.json [--top NAME] [--max-fanout N] [-o OUT.json]`:
    the pass on a synth_ecp5 JSON netlist (in place unless -o), as `e3ne bitstream` runs it."""
    import argparse
    import json
    from pathlib import Path

    from e3ne.backend.ecp5_outreg import top_module

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("netlist")
    parser.add_argument("--top", default=None)
    parser.add_argument("--max-fanout", type=int, default=MAX_FANOUT)
    parser.add_argument("-o", "--output", default=None)
    args = parser.parse_args(argv)
    netlist = json.loads(Path(args.netlist).read_text())
    summary = replicate_high_fanout(netlist, args.top or top_module(netlist), args.max_fanout)
    Path(args.output or args.netlist).write_text(json.dumps(netlist))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
