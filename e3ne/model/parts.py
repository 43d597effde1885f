"""FPGA part presets: resource budgets, Yosys family, default clock.

Budgets are the parts' datasheet totals (AMD/Xilinx product tables): LUTs, flip-flops,
36 Kb block RAMs (one RAMB36 = two RAMB18), DSP slices.
"""

from __future__ import annotations

from dataclasses import dataclass

from e3ne.errors import E3NEError


@dataclass(frozen=True)
class Part:
    name: str
    board: str
    family: str  # the `synth_xilinx -family` value
    lut: int
    ff: int
    bram36: int
    dsp: int
    clock_mhz: float  # a clock a simple design of this kind closes timing at comfortably

    def budget(self) -> dict[str, float]:
        return {"lut": self.lut, "ff": self.ff, "bram": self.bram36, "dsp": self.dsp}


PARTS = {
    part.name: part
    for part in (
        Part("xc7z020", "PYNQ-Z2 (Zynq-7020)", "xc7", 53_200, 106_400, 140, 220, 100.0),
        Part("xczu9eg", "ZCU102 (Zynq UltraScale+ ZU9EG)", "xcup", 274_080, 548_160, 912, 2_520, 200.0),
        Part("xcvu13p", "Virtex UltraScale+ VU13P (the E3NE board)", "xcup", 1_728_000, 3_456_000, 2_688, 12_288, 200.0),
    )
}

DEFAULT_PART = "xc7z020"


def get_part(name: str) -> Part:
    try:
        return PARTS[name]
    except KeyError:
        raise E3NEError(f"unknown target part '{name}'; known parts: {', '.join(PARTS)}") from None
