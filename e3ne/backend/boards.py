"""ECP5 board and part presets for `e3ne bitstream` (nextpnr-ecp5 device, package, speed, budgets).

Budgets are the Lattice ECP5 family datasheet (FPGA-DS-02012) totals: LUT4s (= flip-flops),
18 Kb block RAMs (DP16KD, "EBR"), 18x18 multipliers (MULT18X18D); the user I/O count is the
CABGA381 package's. ULX3S pins (oscillator G2, FT231X serial: ftdi_txd M1 into the FPGA,
ftdi_rxd L4 out of it) are those of the board's reference constraints,
github.com/emard/ulx3s doc/constraints/ulx3s_v20.lpf.
"""

from __future__ import annotations

from dataclasses import dataclass

from e3ne.errors import E3NEError


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    device: str  # the part, as Lattice names it
    nextpnr_device: str  # the nextpnr-ecp5 device flag without dashes: 25k, 85k, ...
    package: str
    speed: int
    lut4: int
    ff: int
    dp16kd: int
    mult18: int
    io: int  # user I/O pins of the package
    oscillator_mhz: float | None = None  # the board's clock source, when it is a board
    oscillator_pin: str | None = None
    uart_rx_pin: str | None = None  # host -> FPGA (the USB-serial chip's TXD)
    uart_tx_pin: str | None = None  # FPGA -> host (its RXD)

    def nextpnr_arguments(self) -> list[str]:
        return [f"--{self.nextpnr_device}", "--package", self.package, "--speed", str(self.speed)]


BOARDS = {
    board.name: board
    for board in (
        Board(
            "ulx3s-85f", "ULX3S 85F (Radiona), LFE5U-85F-6BG381C, 25 MHz oscillator on G2",
            "LFE5U-85F", "85k", "CABGA381", 6, 83_640, 83_640, 208, 156, 205, 25.0, "G2", "M1", "L4",
        ),
        Board(
            "ulx3s-25f", "ULX3S 25F (Radiona), LFE5U-25F-6BG381C, 25 MHz oscillator on G2",
            "LFE5U-25F", "25k", "CABGA381", 6, 24_288, 24_288, 56, 28, 197, 25.0, "G2", "M1", "L4",
        ),
        Board("lfe5u-85f", "LFE5U-85F-6BG381C (part only)", "LFE5U-85F", "85k", "CABGA381", 6, 83_640, 83_640, 208, 156, 205),
        Board("lfe5u-25f", "LFE5U-25F-6BG381C (part only)", "LFE5U-25F", "25k", "CABGA381", 6, 24_288, 24_288, 56, 28, 197),
    )
}  # fmt: skip

DEFAULT_BOARD = "ulx3s-85f"


def get_board(name: str) -> Board:
    try:
        return BOARDS[name.lower()]
    except KeyError:
        raise E3NEError(f"unknown board '{name}'; known boards: {', '.join(BOARDS)}") from None
