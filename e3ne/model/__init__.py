"""The hardware model as plain Python (no xDSL): what a unit's schedule takes, what its
weights cost to stream, what each generated piece of hardware costs, and the target parts.

    arith.py    ceil_div, bits_for: the integer helpers every formula uses
    kinds.py    RomKind, BufferRole, PoolMode: the enumerated choices
    units.py    LinearShape, ConvShape, PoolShape: groups, chunks, drain, cycles of each unit
    memory.py   the AXI weight memory: constants, fetch and issue cycles, `Streaming`
    cost.py     resource cost (LUT, FF, CARRY, BRAM) of each builder noun
    parts.py    FPGA part presets (resource budgets, Yosys family, clock)

The `snnhw` ops, `snnhw-estimate`, explore, the off-chip policy and the reports all ask
this model; it never imports the dialect (as snax-mlir's accelerator descriptions and
scheduler stay free of the IR they serve).
"""
