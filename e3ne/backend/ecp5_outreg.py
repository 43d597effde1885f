"""Absorb the fabric register after a DP16KD read port into the block RAM's output register.

Yosys's ECP5 memory mapping (`memory_libmap`, share/lattice/brams_map_16kd.v) always
instantiates DP16KD with `REGMODE_A/B = "NOREG"`: the read word leaves the block RAM
through its slow unregistered clock-to-out (5.6-5.8 ns on an ECP5-6 in nextpnr's timing
database) and the generated RTL's read-stage register (`e3ne_read_stage`) sits in the
fabric right after it. This pass works on synth_ecp5's JSON netlist, between Yosys and
nextpnr: for every DP16KD read port whose used output bits each drive only plain
flip-flops on the port's clock and edge (no enable, no set/reset, power-up value 0), it
moves those flip-flops into the block RAM (`REGMODE_x = "OUTREG"`, the output-register
clock enable tied to 1), so nextpnr times the port with the registered clock-to-out.

The move keeps the cycle behaviour: the output register is clocked by the port's clock,
enabled by OCEx = 1, reset only by RSTx (required constant 0) and starts at 0, as the
flip-flops it replaces (TRELLIS_FF, CE constant 1, LSR unused, REGSET RESET). It is all or
nothing per port, so a port's word never has some bits a cycle later than others.

Ports (how nextpnr-ecp5 reads a DP16KD, ecp5/arch.cc and pack.cc): with `DATA_WIDTH_A = 36`
the RAM is in pseudo-dual-port mode (Yosys's `$__PDPW16KD_`, nextpnr's PDPW16KD): every
DOA/DOB bit is read data of port B (CLKB, OCEB, RSTB) and both REGMODE_A and REGMODE_B
govern it (nextpnr sets both from PDPW16KD's single REGMODE); otherwise port A is
DOA/CLKA/OCEA/RSTA/REGMODE_A and port B likewise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

CONSTANTS = ("0", "1", "x", "z")


def parameter(cell: dict, name: str, default: str) -> str:
    """A cell parameter from Yosys's JSON: strings as written (a trailing space marks a
    string that looks like bits, e.g. CEMUX "1 "), bit strings as they are."""
    value = cell.get("parameters", {}).get(name)
    if value is None:
        return default
    if isinstance(value, int):
        return str(value)
    return value[:-1] if value.endswith(" ") else value


def integer_parameter(cell: dict, name: str, default: int) -> int:
    value = cell.get("parameters", {}).get(name)
    if value is None:
        return default
    if isinstance(value, int):
        return value
    text = value.strip()
    return int(text, 2) if text and set(text) <= {"0", "1"} else int(text)


def connection(cell: dict, port: str):
    """The single bit on `port` (a net id or a constant string), None if unconnected."""
    bits = cell.get("connections", {}).get(port)
    return bits[0] if bits else None


@dataclass
class ReadPort:
    """One DP16KD read port: its output pins, clock, output clock enable, reset, REGMODE parameters."""

    cell: str
    name: str  # "A" or "B"
    outputs: list[str]
    clock: str
    clock_mux: str
    output_enable: str
    reset: str
    regmodes: list[str]


def read_ports(cell_name: str, cell: dict) -> list[ReadPort]:
    if integer_parameter(cell, "DATA_WIDTH_A", 18) == 36:  # pseudo-dual-port: all outputs read on B
        outputs = [f"DOA{i}" for i in range(18)] + [f"DOB{i}" for i in range(18)]
        return [ReadPort(cell_name, "B", outputs, "CLKB", "CLKBMUX", "OCEB", "RSTB", ["REGMODE_A", "REGMODE_B"])]
    return [
        ReadPort(cell_name, side, [f"DO{side}{i}" for i in range(18)], f"CLK{side}", f"CLK{side}MUX", f"OCE{side}",
                 f"RST{side}", [f"REGMODE_{side}"])
        for side in "AB"
    ]  # fmt: skip


@dataclass
class Netlist:
    """Drivers and readers of every net bit of one flattened module."""

    module: dict
    readers: dict = field(default_factory=lambda: defaultdict(list))  # bit -> [(cell, port)]

    def __post_init__(self):
        for name, cell in self.module["cells"].items():
            directions = cell.get("port_directions", {})
            for port, bits in cell.get("connections", {}).items():
                if directions.get(port, "input") != "output":
                    for bit in bits:
                        if not isinstance(bit, str):
                            self.readers[bit].append((name, port))
        for port in self.module.get("ports", {}).values():
            if port["direction"] != "input":
                for bit in port["bits"]:
                    if not isinstance(bit, str):
                        self.readers[bit].append((None, "module port"))


def active_high_constant(value, mux: str) -> str | None:
    """The constant a CE/LSR input presents after its mux ("1"/"0"), None if it is a signal."""
    if mux in ("0", "1"):
        return mux
    if value is None:
        value = "0"  # an unconnected input is tied low (nextpnr tie-offs)
    if value not in ("0", "1"):
        return None
    return value if mux != "INV" else ("1" if value == "0" else "0")


def flip_flop_problem(ff: dict, port: ReadPort, ram: dict, data_bit) -> str | None:
    """Why this TRELLIS_FF cannot become the RAM port's output register (None if it can)."""
    if ff.get("type") != "TRELLIS_FF":
        return f"drives a {ff.get('type')}"
    if connection(ff, "DI") != data_bit or any(
        data_bit in bits for p, bits in ff.get("connections", {}).items() if p != "DI"
    ):
        return "reaches a flip-flop's clock, enable or reset"
    if connection(ff, "CLK") != connection(ram, port.clock):
        return "flip-flop on another clock"
    ff_inverted = parameter(ff, "CLKMUX", "CLK") == "INV"
    ram_inverted = parameter(ram, port.clock_mux, f"CLK{port.name}") == "INV"
    if ff_inverted != ram_inverted:
        return "flip-flop on the other clock edge"
    if active_high_constant(connection(ff, "CE"), parameter(ff, "CEMUX", "CE")) != "1":
        return "flip-flop with a clock enable"
    if active_high_constant(connection(ff, "LSR"), parameter(ff, "LSRMUX", "LSR")) != "0":
        return "flip-flop with a set/reset"
    if parameter(ff, "REGSET", "RESET") != "RESET" or parameter(ff, "LSRMODE", "LSR") != "LSR":
        return "flip-flop that starts at 1"
    return None


def port_problem(port: ReadPort, ram: dict) -> str | None:
    if any(parameter(ram, name, "NOREG") != "NOREG" for name in port.regmodes):
        return "already registered"
    if active_high_constant(connection(ram, port.reset), "RST") != "0":
        return "read port with a reset"
    if connection(ram, port.clock) in (None, *CONSTANTS):
        return "read port without a clock"
    return None


def absorb_output_registers(netlist: dict, top: str) -> dict:
    """Rewrite `netlist` (synth_ecp5's JSON, flattened) in place; return what was done:
    ports/bits absorbed, flip-flops removed, ports left as they were and why."""
    module = netlist["modules"][top]
    cells = module["cells"]
    nets = Netlist(module)
    summary = {"ports_absorbed": 0, "bits_absorbed": 0, "flip_flops_removed": 0, "ports_read": 0, "ports_kept": {}}
    replace: dict = {}  # net bit -> the bit that now carries it
    removed: set[str] = set()
    for ram_name in sorted(n for n, c in cells.items() if c.get("type") == "DP16KD"):
        ram = cells[ram_name]
        for port in read_ports(ram_name, ram):
            used = [
                (pin, bit) for pin in port.outputs
                if (bit := connection(ram, pin)) is not None and not isinstance(bit, str) and nets.readers.get(bit)
            ]  # fmt: skip
            if not used:
                continue
            summary["ports_read"] += 1
            problem = port_problem(port, ram)
            moves = []  # (pin, old data bit, [flip-flop names])
            for pin, bit in used if problem is None else []:
                readers = nets.readers[bit]
                if any(cell is None for cell, _ in readers):
                    problem = "read data leaves the module"
                    break
                names = sorted({cell for cell, _ in readers})
                problem = next(
                    (p for name in names if (p := flip_flop_problem(cells[name], port, ram, bit)) is not None), None
                )
                if problem is not None:
                    problem = "read data " + problem if not problem.startswith("read") else problem
                    break
                moves.append((pin, bit, names))
            if problem is not None:
                summary["ports_kept"][problem] = summary["ports_kept"].get(problem, 0) + 1
                continue
            for pin, bit, names in moves:
                keep = connection(cells[names[0]], "Q")
                ram["connections"][pin] = [keep]
                replace[bit] = "x"  # the unregistered word has no driver and no reader any more
                for name in names:
                    duplicate = connection(cells[name], "Q")
                    if duplicate != keep:
                        replace[duplicate] = keep
                    removed.add(name)
                summary["bits_absorbed"] += 1
            for name in port.regmodes:
                ram["parameters"][name] = "OUTREG"
            ram["connections"][port.output_enable] = ["1"]
            summary["ports_absorbed"] += 1
    for name in removed:
        del cells[name]
    summary["flip_flops_removed"] = len(removed)
    if replace:
        rename(module, replace)
    return summary


def rename(module: dict, replace: dict) -> None:
    """Substitute net bits everywhere: cell connections, module ports, net names."""

    def swap(bits: list) -> list:
        return [replace.get(bit, bit) if not isinstance(bit, str) else bit for bit in bits]

    for cell in module["cells"].values():
        connections = cell.get("connections", {})
        for port, bits in connections.items():
            connections[port] = swap(bits)
    for port in module.get("ports", {}).values():
        port["bits"] = swap(port["bits"])
    for net in module.get("netnames", {}).values():
        net["bits"] = swap(net["bits"])


def top_module(netlist: dict) -> str:
    """The module Yosys marked as the top (attribute top = 1), else the only one."""
    tops = [name for name, module in netlist["modules"].items() if module.get("attributes", {}).get("top")]
    return tops[0] if tops else next(iter(netlist["modules"]))


def main(argv: list[str] | None = None) -> int:
    """`python -m e3ne.backend.ecp5_outreg NETLIST.json [--top NAME] [-o OUT.json]`: the pass on a
    synth_ecp5 JSON netlist (in place unless -o), as `e3ne bitstream` runs it."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("netlist")
    parser.add_argument("--top", default=None)
    parser.add_argument("-o", "--output", default=None)
    args = parser.parse_args(argv)
    netlist = json.loads(Path(args.netlist).read_text())
    summary = absorb_output_registers(netlist, args.top or top_module(netlist))
    Path(args.output or args.netlist).write_text(json.dumps(netlist))
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
