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
    ram_outputs: set = field(default_factory=set)  # every DP16KD output bit

    def __post_init__(self):
        for name, cell in self.module["cells"].items():
            directions = cell.get("port_directions", {})
            if cell.get("type") == "DP16KD":
                self.ram_outputs.update(
                    b for p, bits in cell.get("connections", {}).items() if p.startswith("DO") for b in bits
                )
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


LUT_INPUTS = ("A", "B", "C", "D")  # LUT4 INIT bit index = D*8 + C*4 + B*2 + A


@dataclass
class Move:
    """How one read-data bit gets its register: `flip_flops` (the copies on the bit, or the
    one after `lut`) go away; with a `lut` between bit and flip-flop, the LUT's other inputs
    get a new flip-flop each (forward retiming: FF(LUT(d, x)) = LUT(FF(d), FF(x)))."""

    pin: str
    bit: int
    flip_flops: list[str]
    lut: str | None = None


def bit_move(cells: dict, nets: Netlist, port: ReadPort, ram: dict, pin: str, bit, port_bits: set) -> Move | str:
    """The plan for one used read-data bit, or why the port must stay as it is."""
    readers = nets.readers[bit]
    if any(cell is None for cell, _ in readers):
        return "read data leaves the module"
    names = sorted({cell for cell, _ in readers})
    if len(names) == 1 and cells[names[0]].get("type") == "LUT4":
        return lut_move(cells, nets, port, ram, pin, bit, names[0], port_bits)
    problem = next((p for name in names if (p := flip_flop_problem(cells[name], port, ram, bit)) is not None), None)
    return "read data " + problem if problem is not None else Move(pin, bit, names)


def lut_move(cells: dict, nets: Netlist, port: ReadPort, ram: dict, pin: str, bit, lut_name: str, port_bits: set):
    """A bit read by one LUT4 whose output only feeds one plain flip-flop (Yosys's bypass
    multiplexer of a RAM read port: `collision ? bypass : DO`, then the read-stage register)."""
    lut = cells[lut_name]
    out = connection(lut, "Z")
    readers = nets.readers.get(out, []) if out is not None and not isinstance(out, str) else []
    if len(readers) != 1 or readers[0][0] is None:
        return "read data drives a LUT4 that is not followed by one flip-flop"
    ff_name = readers[0][0]
    if flip_flop_problem(cells[ff_name], port, ram, out) is not None:
        return "read data drives a LUT4 and then a flip-flop that is not plain"
    # every register starts at 0: the LUT must give 0 for its power-up inputs (as the flip-flop it replaces)
    index = 0
    for k, name in enumerate(LUT_INPUTS):
        value = connection(lut, name)
        if value in ("x", "z"):
            return "read data drives a LUT4 with an undefined input"
        if value == "1":
            index |= 1 << k
        elif value is not None and not isinstance(value, str) and value in nets.ram_outputs and value not in port_bits:
            return "read data drives a LUT4 that also reads another block-RAM port"
    init = parameter(lut, "INIT", "0" * 16)
    if init[::-1][index : index + 1] != "0":
        return "read data drives a LUT4 that is 1 at power-up"
    return Move(pin, bit, [ff_name], lut_name)


def absorb_output_registers(netlist: dict, top: str) -> dict:
    """Rewrite `netlist` (synth_ecp5's JSON, flattened) in place; return what was done:
    ports/bits absorbed, flip-flops removed and added, ports left as they were and why."""
    module = netlist["modules"][top]
    cells = module["cells"]
    nets = Netlist(module)
    summary = {"ports_absorbed": 0, "bits_absorbed": 0, "bits_through_lut": 0, "flip_flops_removed": 0,
               "flip_flops_added": 0, "ports_read": 0, "ports_kept": {}}  # fmt: skip
    replace: dict = {}  # net bit -> the bit that now carries it
    removed: set[str] = set()
    retimed: dict = {}  # net bit -> the output of the flip-flop added on it
    next_bit = 1 + max(
        (b for c in cells.values() for bits in c.get("connections", {}).values() for b in bits if not isinstance(b, str)),
        default=1,
    )
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
            port_bits = {bit for _, bit in used}
            problem = port_problem(port, ram)
            moves: list[Move] = []
            for pin, bit in used if problem is None else []:
                move = bit_move(cells, nets, port, ram, pin, bit, port_bits)
                if isinstance(move, str):
                    problem = move
                    break
                moves.append(move)
            if problem is None and any(m.lut for m in moves) and len({m.lut for m in moves if m.lut}) != sum(
                1 for m in moves if m.lut
            ):
                problem = "read data bits share a LUT4"
            if problem is not None:
                summary["ports_kept"][problem] = summary["ports_kept"].get(problem, 0) + 1
                continue
            for move in moves:
                if move.lut is None:
                    keep = connection(cells[move.flip_flops[0]], "Q")
                    ram["connections"][move.pin] = [keep]
                    replace[move.bit] = "x"  # the unregistered word has no driver and no reader any more
                    for name in move.flip_flops:
                        duplicate = connection(cells[name], "Q")
                        if duplicate != keep:
                            replace[duplicate] = keep
                else:
                    lut, ff = cells[move.lut], cells[move.flip_flops[0]]
                    replace[connection(lut, "Z")] = "x"
                    lut["connections"]["Z"] = [connection(ff, "Q")]
                    for name in LUT_INPUTS:
                        value = connection(lut, name)
                        if value is None or isinstance(value, str) or value in port_bits:
                            continue  # constants and this port's bits (registered in the RAM) stay
                        if value not in retimed:
                            retimed[value] = next_bit
                            cells[f"{move.lut}$outreg_retime{next_bit}"] = {
                                **{k: v for k, v in ff.items() if k != "connections"},
                                "parameters": dict(ff["parameters"]),
                                "connections": {**ff["connections"], "DI": [value], "Q": [next_bit]},
                            }
                            module.setdefault("netnames", {})[f"$outreg_retime{next_bit}"] = {"hide_name": 1, "bits": [next_bit], "attributes": {}}  # fmt: skip
                            next_bit += 1
                            summary["flip_flops_added"] += 1
                        lut["connections"][name] = [retimed[value]]
                    summary["bits_through_lut"] += 1
                removed.update(move.flip_flops)
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
