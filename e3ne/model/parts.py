"""FPGA part presets: resource budgets, Yosys family, default clock.

Budgets are the parts' datasheet totals (AMD/Xilinx product tables): LUTs, flip-flops,
36 Kb block RAMs (one RAMB36 = two RAMB18), DSP slices.

Lattice ECP5 parts (family `ecp5`, Yosys `synth_ecp5`; datasheet FPGA-DS-02012): `lut` is
LUT4s (a CCU2C carry cell takes two, a TRELLIS_DPR16X4 LUTRAM six), `ff` flip-flops,
`bram36` half the 18 Kb EBR count (a DP16KD is an 18 Kb block: the estimator counts it as a
RAMB18 with the same aspect ratios), `dsp` the 18x18 multipliers (MULT18X18D).

Routability limit (`routable_lut`, ECP5 parts): the share of the part's LUT4s that
`--parallelism auto` / `e3ne explore` may fill, below `--max-utilization`, because nextpnr-ecp5
does not route much fuller designs in reasonable time (measured on the LFE5U-85F,
docs/timing.md "Routability limit"). `--max-luts N` replaces it; an explicit `--parallelism`
above it compiles with a warning (`routability_warning`).
"""

from __future__ import annotations

from dataclasses import dataclass

from e3ne.errors import E3NEError


@dataclass(frozen=True)
class Part:
    name: str
    board: str
    family: str  # the `synth_xilinx -family` value, or `ecp5` (synth_ecp5)
    lut: int
    ff: int
    bram36: int
    dsp: int
    clock_mhz: float  # a clock a simple design of this kind closes timing at comfortably
    routable_lut: float | None = None  # share of `lut` the automatic pick may fill (None: no limit)

    def budget(self) -> dict[str, float]:
        return {"lut": self.lut, "ff": self.ff, "bram": self.bram36, "dsp": self.dsp}

    @property
    def routable_luts(self) -> float | None:
        """The LUTs the automatic pick may use on this part (`routable_lut` of `lut`), or None."""
        return None if self.routable_lut is None else self.lut * self.routable_lut

    def routability_binds(self, budget: dict[str, float]) -> bool:
        """Whether `budget`'s LUT bound is this part's routability limit (not the part, not --max-luts)."""
        return self.routable_luts is not None and budget["lut"] == self.routable_luts

    def routability_text(self) -> str:
        """`30% of lfe5u-85f's 83,640 LUT4 = 25,092` (a part with a routability limit)."""
        return f"{self.routable_lut:.0%} of {self.name}'s {self.lut:,} LUT4 = {self.routable_luts:,.0f}"

    @property
    def lattice(self) -> bool:
        return self.family == "ecp5"


# ECP5: the share of LUT4s nextpnr-ecp5 routed here in ~25 min; measured on the LFE5U-85F
# (docs/timing.md "Routability limit": 26% and 29.8% routed in 16 and 25 min, 36% in 67 min of
# mostly congestion, ~63% not in 2.5 h), applied to the 25F and 45F as a density (not measured).
ECP5_ROUTABLE_LUT = 0.30

PARTS = {
    part.name: part
    for part in (
        Part("xc7z020", "PYNQ-Z2 (Zynq-7020)", "xc7", 53_200, 106_400, 140, 220, 100.0),
        Part("xczu9eg", "ZCU102 (Zynq UltraScale+ ZU9EG)", "xcup", 274_080, 548_160, 912, 2_520, 200.0),
        Part("xcvu13p", "Virtex UltraScale+ VU13P (the E3NE board)", "xcup", 1_728_000, 3_456_000, 2_688, 12_288, 200.0),
        # ECP5: LUT4 = FF count; EBR (DP16KD) 56 / 108 / 208 -> bram36 = EBR / 2; MULT18X18D 28 / 72 / 156
        Part("lfe5u-25f", "Lattice ECP5 LFE5U-25F (ULX3S 25F)", "ecp5", 24_288, 24_288, 28, 28, 100.0, ECP5_ROUTABLE_LUT),
        Part("lfe5u-45f", "Lattice ECP5 LFE5U-45F", "ecp5", 43_848, 43_848, 54, 72, 100.0, ECP5_ROUTABLE_LUT),
        Part("lfe5u-85f", "Lattice ECP5 LFE5U-85F (ULX3S 85F)", "ecp5", 83_640, 83_640, 104, 156, 100.0, ECP5_ROUTABLE_LUT),
    )
}

DEFAULT_PART = "xc7z020"


def routability_warning(part: Part, lut: float) -> str | None:
    """A warning when an estimated `lut` is above `part`'s routability limit but within the
    part (None otherwise: no limit, within it, or the design does not fit at all)."""
    limit = part.routable_luts
    if limit is None or lut <= limit or lut > part.lut:
        return None
    return (
        f"~{lut:,.0f} LUT4 ({lut / part.lut:.0%}) is above {part.name}'s routability limit "
        f"({part.routability_text()}): it fits the part, but nextpnr may not route it "
        "(docs/timing.md \"Routability limit\"); --parallelism auto keeps within the limit"
    )


def get_part(name: str) -> Part:
    try:
        return PARTS[name.lower()]
    except KeyError:
        raise E3NEError(f"unknown target part '{name}'; known parts: {', '.join(PARTS)}") from None
