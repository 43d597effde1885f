"""Replicate the flip-flops and LUT4s that drive many cell inputs, in synth_ecp5's netlist.

Neither Yosys nor nextpnr-ecp5 duplicates a driver, and the generated RTL broadcasts its
control (a stage's `valid1`/`first_step1`, the shadow bank's `load`/`draining`, a ROM's bank
select) to every lane: hundreds of sinks spread over the die, so that one net's routing takes
most of a clock period. Measured on Fang "fast" (docs/timing.md, "High fan-out nets"): the
critical path was `conv2.load_row` (446 sinks, 7.4 ns of routing) -> a LUT4 driving 745
sinks (3.8 ns) -> a clock enable, 15.1 ns in all (66.3 MHz).

This pass works on the JSON netlist between Yosys and nextpnr, like ecp5_outreg.py: a
TRELLIS_FF or LUT4 whose output drives more than `max_fanout` cell inputs gets copies, the
original and each copy driving a run of those inputs (a block RAM's input counts as
max_fanout / BLOCK_RAMS_PER_COPY), taken in the natural order of the reading cells' names (the
cells of one lane, one column, sort together, so a copy's sinks tend to sit together). The runs
are as few and as equal as the limit allows, cut only between groups: the cells of one RTL
name (an accumulator's adder LUTs, `group_of`) share a run, or, over the limit, are cut into
equal pieces that each share one: no accumulator within the limit is split between two
copies (a copy serving the tail of one and the head of the next has to reach two carry chains
the placer may have put apart). A copy has the cell's parameters and the
same inputs, so it holds the same value in every cycle: the flip-flop the same D, clock,
clock enable, set/reset and power-up value; the LUT4 the same INIT and inputs. The
netlist's behaviour is unchanged; only the drivers' fan-out is.

Copies add readers to their inputs' nets; the pass repeats until no replicable net is over
the limit (a LUT4 driving 745 sinks becomes 24 LUT4s, which its flip-flop input then drives
through copies of its own), at most ROUNDS times: in a feedback loop (a counter's flip-flop
and the LUT4 computing its next value) each split adds a reader to the other, and the runs'
headroom under the limit is what ends it. Module output ports stay on the original driver.
"""

from __future__ import annotations

import bisect
import itertools
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
# where a cell name's RTL part ends: the first cell type Yosys appended, or a `$` (`$fanout`, `$abc$...`)
GROUP_END = re.compile(r"_(?:TRELLIS_FF|TRELLIS_DPR16X4|LUT4|CCU2C|PFUMX|L6MUX21|DP16KD|MULT18X18D|ALU54B)|\$")
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


def group_of(name: str) -> str:
    """The RTL name a cell of synth_ecp5's netlist was made for: Yosys names a cell after the net
    it drives and the cell types on the way (`fc2.acc9_TRELLIS_FF_Q_5_DI_CCU2C_S0_A1_LUT4_Z` is
    one of `fc2.acc9`'s adder LUTs; a copy `X$fanout2` is X's)."""
    return GROUP_END.split(name, maxsplit=1)[0]


def sink_load(sink: tuple, cells: dict, max_fanout: int) -> int:
    """What one cell input counts toward the limit: 1, a block RAM's max_fanout / BLOCK_RAMS_PER_COPY."""
    return max(1, max_fanout // BLOCK_RAMS_PER_COPY) if cells[sink[0]]["type"] == "DP16KD" else 1


def equal_runs(sinks: list, loads: list[int], count: int) -> list[tuple[list, int]]:
    """`sinks` in `count` runs of equal load, in order, each with its load; a sink whose load
    straddles two runs goes to the first."""
    total, start = sum(loads), 0
    runs, run_loads = [[] for _ in range(count)], [0] * count
    for sink, load in zip(sinks, loads):
        runs[start * count // total].append(sink)
        run_loads[start * count // total] += load
        start += load
    return [(run, load) for run, load in zip(runs, run_loads) if run]


def nearest_bound(bounds: list[int], position: int) -> int:
    """The index of the value in `bounds` (ascending) nearest to `position`, the lower on a tie."""
    upper = bisect.bisect_left(bounds, position)
    if upper == len(bounds) or (upper and position - bounds[upper - 1] <= bounds[upper] - position):
        return upper - 1
    return upper


def split_runs(sinks: list, cells: dict, max_fanout: int) -> list[list]:
    """The runs of `sinks` (sorted) that a driver and its copies take, none over `max_fanout` in
    load, as few as the groups allow and of about equal load. A group's sinks (`group_of`) stay
    in one run; a group over the limit is cut into equal pieces, each of which stays in one run
    (a run may hold several groups or pieces): a copy that served the tail of one
    accumulator's carry chain and the head of the next had to reach both (Fang default's
    critical path at a limit of 8, docs/timing-pipelining.md "Tenth step")."""
    units: list[tuple[list, int]] = []  # (sinks, load): whole groups, and equal pieces of groups over the limit
    for _, members in itertools.groupby(sinks, key=lambda sink: group_of(sink[0])):
        members = list(members)
        loads = [sink_load(sink, cells, max_fanout) for sink in members]
        units += equal_runs(members, loads, -(-sum(loads) // max_fanout))
    bounds = list(itertools.accumulate((load for _, load in units), initial=0))
    total = bounds[-1]
    for count in range(-(-total // max_fanout), len(units) + 1):
        edges = sorted({0, len(units), *(nearest_bound(bounds, total * k // count) for k in range(1, count))})
        if all(bounds[b] - bounds[a] <= max_fanout for a, b in itertools.pairwise(edges)):
            return [[sink for unit, _ in units[a:b] for sink in unit] for a, b in itertools.pairwise(edges)]
    runs, load = [[]], 0  # no count fits with the cuts snapped (units of very unequal load): pack in order
    for unit, unit_load in units:
        if runs[-1] and load + unit_load > max_fanout:  # a piece can be over the limit (a block RAM's straddle)
            runs, load = [*runs, []], 0
        runs[-1] += unit
        load += unit_load
    return runs


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
            if (bit := output_bit(cell)) is not None
            and sum(sink_load(sink, cells, max_fanout) for sink in readers.get(bit, [])) > max_fanout
        ]  # fmt: skip
        if not over:
            break
        for name in sorted(over, key=natural_key):
            cell = cells[name]
            port = output_port(cell)
            bit = cell["connections"][port][0]
            sinks = sorted(readers[bit], key=lambda r: (natural_key(group_of(r[0])), natural_key(r[0]), r[1], r[2]))
            runs = split_runs(sinks, cells, max_fanout)
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
