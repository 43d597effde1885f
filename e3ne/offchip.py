"""Off-chip weights: which layers stream their weights from external memory, and where.

The user's choice (`--offchip-weights`, pass option `offchip-weights`) is parsed by
`offchip_layers` alone:

    none          every weight ROM on chip (default)
    all           every conv/linear layer's weights off chip
    fc1,fc2       those layers (hardware names: conv1.., fc1.. in network order)

`assign_base_addresses` lays the chosen ROMs out in the weight image, one after another
in layer order, each starting on a 4 KiB page (snnhw.OFFCHIP_ALIGNMENT).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from e3ne.errors import E3NEError

if TYPE_CHECKING:
    from e3ne.dialects import snnhw

DEFAULT_AXI_DATA_WIDTH = 128
DEFAULT_MEMORY_LATENCY = 16
AXI_DATA_WIDTHS = (32, 64, 128, 256, 512, 1024)  # = snnhw.AXI_DATA_WIDTHS (kept free of xDSL for the CLI)


def offchip_layers(spec: str | None, layer_names: list[str]) -> list[str]:
    """The layers (of `layer_names`, the stages with weights, in order) whose weights go off chip."""
    text = (spec or "none").strip()
    if text in ("", "none"):
        return []
    if text == "all":
        return list(layer_names)
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in layer_names]
    if unknown:
        raise E3NEError(
            f"offchip-weights names unknown layer(s) {', '.join(unknown)}; "
            f"the layers with weights are: {', '.join(layer_names)}",
            hint="use none, all, or a comma list of those layer names",
        )
    return [name for name in layer_names if name in chosen]


def check_memory_model(axi_data_width: int, memory_latency: int) -> None:
    if axi_data_width not in AXI_DATA_WIDTHS:
        raise E3NEError(f"AXI data width {axi_data_width} must be a power of two in [32, 1024]")
    if memory_latency < 1:
        raise E3NEError(f"memory latency {memory_latency} must be at least 1 cycle")


def assign_base_addresses(roms: list[snnhw.RomOp], axi_data_width: int) -> int:
    """Marks `roms` off-chip with consecutive 4 KiB-aligned base addresses; returns the
    image size in bytes."""
    from xdsl.dialects.builtin import IntegerAttr, StringAttr, i64

    from e3ne.dialects import snnhw

    address = 0
    for rom in roms:
        rom.properties["kind"] = StringAttr("offchip")
        rom.properties["base_address"] = IntegerAttr(address, i64)
        size = rom.image_bytes(axi_data_width)
        address += snnhw.ceil_div(size, snnhw.OFFCHIP_ALIGNMENT) * snnhw.OFFCHIP_ALIGNMENT
    return address
