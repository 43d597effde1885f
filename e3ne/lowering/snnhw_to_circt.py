"""`lower-snnhw-to-circt`: an `snnhw.accelerator` -> CIRCT `hw`/`comb`/`seq` modules.

Produces, per accelerator `@net`:

* one `hw.module.extern` per memory (`net_<buffer>`, `net_<rom>`, `net_<unit>_bias`),
  tagged with the primitive of `backend/rtl/e3ne_primitives.sv` it stands for, its
  parameters and (ROMs) its contents in `e3ne.init`, which the backend writes as `.hex`;
* one `hw.module` per stage (`net_<unit>`, see `linear_unit.py`) and the controller;
* the top `hw.module @net` that wires them (interface: docs/interface.md):

  in  clk, rst, start, in_we, in_addr, in_data   (host writes input bit-plane words)
  in  logit_addr                                (host reads logits, one cycle latency)

Every memory a unit reads (buffers, weight and bias ROMs, off-chip weight buffers) has
`READ_LATENCY = MEMORY_READ_LATENCY` (see `e3ne.model.units`: a buffer's first cycle is its
registered read address, `ADDRESS_REGISTER = 1`); the last buffer's read port, which only
the host reads, keeps one cycle.
  out done, logit_data
  AXI4 read master m_axi_ar* / m_axi_r*         (only with off-chip weights)

An off-chip ROM (`kind = "offchip"`) becomes an `e3ne_axi_weight_buffer` extern (the
double buffer and AXI read master of e3ne_primitives.sv) between its unit and the top's
AXI port; the units' AXI outputs are ORed at the top (only the running stage's buffer
drives them, stages run one after another).

A slice that ends in a hidden layer (`snn.layer_input` ... `snn.radix_neuron`) has
`result_addr`/`result_data` instead: a read port of its last bit-plane buffer.

A dataflow schedule (`kind = "dataflow"`, docs/dataflow.md) gives every buffer two halves
(the half is the address's top bit: `DEPTH = 2^bits + depth`), the dataflow controller
(`dataflow_controller.py`: a handshake per stage) instead of the sequential one, and the
top `ack` in, `in_ready` and `image_done` out: the host writes an image when `in_ready`,
pulses `start`, and reads a result when `done`, then pulses `ack`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import hw
from xdsl.dialects.builtin import IntegerAttr, IntegerType, ModuleOp, Signedness, StringAttr
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern, op_type_rewrite_pattern

from e3ne.dense import numpy_to_dense
from e3ne.dialects import snnhw
from e3ne.lowering.hw.controller import build_controller
from e3ne.lowering.hw.dataflow_controller import build_dataflow_controller, controller_ports
from e3ne.lowering.hw.hwbuilder import Memory, ModuleBuilder, Port, bits_for, extern_memory
from e3ne.lowering.hw.conv_unit import build_conv_unit
from e3ne.lowering.hw.conv_unit import unit_ports as conv_ports
from e3ne.lowering.hw.linear_unit import build_linear_unit, unit_ports
from e3ne.lowering.hw.pool_unit import build_pool_unit
from e3ne.lowering.hw.pool_unit import unit_ports as pool_ports
from e3ne.model.memory import AXI_ADDRESS_BITS
from e3ne.model.schedule import buffer_address_bits as ram_address_bits
from e3ne.model.schedule import buffer_words
from e3ne.model.units import MEMORY_READ_LATENCY
from e3ne.lowering.hw.conv_skip import conv_list_shape
from e3ne.lowering.hw.skip_list import entry_bits, list_depth, list_module
from e3ne.model.units import MEMORY_READ_LATENCY, SKIP_LIST_READ_LATENCY

RAM_PRIMITIVE = "e3ne_ram_sdp"
# Stage kind -> (module builder, port list). Convolution and pooling units add entries here;
# every stage talks to the controller by start/done and to buffers by the same RAM ports.
STAGE_LOWERINGS = {
    snnhw.LinearUnitOp: (build_linear_unit, unit_ports),
    snnhw.ConvUnitOp: (build_conv_unit, conv_ports),
    snnhw.PoolUnitOp: (build_pool_unit, pool_ports),
}
ROM_PRIMITIVES = {"block": "e3ne_rom_block", "distributed": "e3ne_rom_distributed"}
WEIGHT_BUFFER_PRIMITIVE = "e3ne_axi_weight_buffer"
AXI_ADDRESS_WIDTH = AXI_ADDRESS_BITS
AXI_READ_OUTPUTS = {"m_axi_araddr": AXI_ADDRESS_WIDTH, "m_axi_arlen": 8, "m_axi_arsize": 3, "m_axi_arburst": 2,
                    "m_axi_arvalid": 1, "m_axi_rready": 1}


def axi_inputs(axi_data_width: int) -> dict[str, int]:
    return {"m_axi_arready": 1, "m_axi_rdata": axi_data_width, "m_axi_rresp": 2, "m_axi_rlast": 1, "m_axi_rvalid": 1}


def _weight_buffer(name: str, unit, rom: snnhw.RomOp, axi_data_width: int) -> hw.HWModuleExternOp:
    """The extern of an off-chip ROM: double buffer + AXI read master, read port as a ROM's."""
    addr = bits_for(rom.depth.value.data)
    width = rom.word_width.value.data
    return extern_memory(
        name,
        {"rst": 1, "start": 1, "addr": addr, "group_end": 1, **axi_inputs(axi_data_width)},
        {"data": width, "ready": 1, **AXI_READ_OUTPUTS},
        WEIGHT_BUFFER_PRIMITIVE,
        {
            "WIDTH": width,
            "GROUP_WORDS": unit.group_words(),
            "GROUPS": unit.groups(),
            "ADDR_WIDTH": addr,
            "AXI_DATA_WIDTH": axi_data_width,
            "AXI_ADDR_WIDTH": AXI_ADDRESS_WIDTH,
            "BASE_ADDRESS": rom.base_address.value.data,
            "READ_LATENCY": MEMORY_READ_LATENCY,
        },
    )


def _ram(
    name: str, width: int, depth: int, read_latency: int, copies: int = 1, address_register: bool = False
) -> hw.HWModuleExternOp:
    addr, words = ram_address_bits(depth, copies), buffer_words(depth, copies)
    parameters = {"WIDTH": width, "DEPTH": words, "ADDR_WIDTH": addr, "READ_LATENCY": read_latency}
    if address_register:
        parameters["ADDRESS_REGISTER"] = 1
    return extern_memory(name, {"we": 1, "waddr": addr, "wdata": width, "raddr": addr}, {"rdata": width}, RAM_PRIMITIVE, parameters)


def _rom(name: str, data, kind: str, width: int, depth: int, weights: bool) -> hw.HWModuleExternOp:
    """A ROM module; a distributed weight ROM keeps its last read register bit for bit
    (`KEEP_OUTPUT`, e3ne_primitives.sv; `cost.rom`)."""
    addr = bits_for(depth)
    parameters = {"WIDTH": width, "DEPTH": depth, "ADDR_WIDTH": addr, "INIT_FILE": f"{name}.hex", "READ_LATENCY": MEMORY_READ_LATENCY}  # fmt: skip
    if weights and kind == "distributed":
        parameters["KEEP_OUTPUT"] = 1
    op = extern_memory(name, {"addr": addr}, {"data": width}, ROM_PRIMITIVES[kind], parameters)
    op.attributes["e3ne.init"] = data
    return op


def _bias_data(unit: snnhw.WeightedStageOp):
    p = unit.lanes()
    values = unit.bias_values()
    bias = np.zeros(unit.groups() * p, dtype=np.int64)
    bias[: values.shape[0]] = values
    return numpy_to_dense(bias.reshape(unit.groups(), p), IntegerType(unit.bias_bits(), Signedness.SIGNED))


@dataclass
class WeightBuffer(Memory):
    """An `e3ne_axi_weight_buffer` instance: `data` is the read port, `outputs` all its results."""

    outputs: dict = None  # type: ignore[assignment]


def _weight_buffer_instance(top: ModuleBuilder, stage, rom: snnhw.RomOp, module: str, start) -> WeightBuffer:
    axi_width = rom.parent_op().memory_model()[0]
    inputs = {
        "rst": top.reset,
        "start": start,
        "addr": top.const(0, bits_for(rom.depth.value.data)),
        "group_end": top.const(0, 1),
        **{name: top.inputs[name] for name in axi_inputs(axi_width)},
    }
    outputs = {"data": rom.word_width.value.data, "ready": 1, **AXI_READ_OUTPUTS}
    results = top.instance(f"{stage.symbol}_weights_buffer", module, inputs, outputs)
    return WeightBuffer(top, top.last_instance, results["data"], results)


def lower_accelerator(accelerator: snnhw.AcceleratorOp) -> list:
    net = accelerator.sym_name.data
    schedule = accelerator.schedule()
    stages = schedule.stage_ops()
    ops: list = []
    buffers = {}
    offchip = bool(accelerator.offchip_roms())
    axi_width = accelerator.memory_model()[0] if offchip else 0
    read_by_units = {stage.input.root_reference.data for stage in stages}
    for op in accelerator.body.ops:
        if isinstance(op, snnhw.BufferOp | snnhw.LogitBufferOp):
            buffers[op.symbol] = op
            by_unit = op.symbol in read_by_units  # else only the host reads it: one cycle
            latency = MEMORY_READ_LATENCY if by_unit else 1
            ops.append(
                _ram(
                    f"{net}_{op.symbol}", op.word_width.value.data, op.depth.value.data, latency, op.image_copies(), by_unit
                )
            )
        elif isinstance(op, snnhw.RomOp) and not op.is_offchip():
            ops.append(
                _rom(f"{net}_{op.symbol}", op.data, op.kind.data, op.word_width.value.data, op.depth.value.data, weights=True)
            )
    for stage in stages:
        if stage.is_offchip():
            rom = stage.weight_rom()
            ops.append(_weight_buffer(f"{net}_{rom.symbol}", stage, rom, axi_width))
    for stage in stages:
        if stage.HAS_WEIGHTS:
            bias = _bias_data(stage)
            groups, p = bias.get_shape()
            ops.append(
                _rom(f"{net}_{stage.symbol}_bias", bias, "distributed", p * stage.bias_bits(), groups, weights=False)
            )
        if isinstance(stage, snnhw.LinearUnitOp | snnhw.ConvUnitOp) and stage.skips_zeros():
            bits, depth = (
                conv_list_shape(stage) if isinstance(stage, snnhw.ConvUnitOp) else (entry_bits(stage), list_depth(stage))
            )
            ops.append(_ram(list_module(f"{net}_{stage.symbol}"), bits, depth, SKIP_LIST_READ_LATENCY))
        build_stage, _ = STAGE_LOWERINGS[type(stage)]
        ops.append(build_stage(stage, f"{net}_{stage.symbol}"))
    names = [s.symbol for s in stages]
    dataflow = schedule.is_dataflow()
    ops.append((build_dataflow_controller if dataflow else build_controller)(f"{net}_controller", names))

    source = stages[0].input_buffer()
    logits = stages[-1].output_buffer()
    logit_bits = logits.word_width.value.data
    # a slice ending in a hidden layer: the host reads its bit-plane buffer instead of logits
    read = "logit" if isinstance(logits, snnhw.LogitBufferOp) else "result"
    top = ModuleBuilder(
        net,
        [
            Port("start", 1),
            Port("in_we", 1),
            Port("in_addr", bits_for(source.depth.value.data)),
            Port("in_data", source.word_width.value.data),
            Port(f"{read}_addr", bits_for(logits.depth.value.data)),
            *([Port("ack", 1)] if dataflow else []),
            *([Port(name, bits) for name, bits in axi_inputs(axi_width).items()] if offchip else []),
        ],
        [
            Port("done", 1),
            Port(f"{read}_data", logit_bits),
            *([Port("in_ready", 1), Port("image_done", 1)] if dataflow else []),
            *([Port(name, bits) for name, bits in AXI_READ_OUTPUTS.items()] if offchip else []),
        ],
    )
    axi_drivers: dict[str, list] = {name: [] for name in AXI_READ_OUTPUTS}
    # memories first: their inputs are connected once the units exist
    memories = {
        symbol: top.ram(
            f"{symbol}_mem",
            f"{net}_{symbol}",
            ram_address_bits(b.depth.value.data, b.image_copies()),
            b.word_width.value.data,
        )
        for symbol, b in buffers.items()
    }
    if dataflow:
        controller_in, controller_out = controller_ports(names)
        controller = top.instance(
            "controller",
            f"{net}_controller",
            {"rst": top.reset, **{p.name: top.inputs.get(p.name, top.const(0, 1)) for p in controller_in}},
            {p.name: p.width for p in controller_out},
        )
    else:
        controller = top.instance(
            "controller",
            f"{net}_controller",
            {"rst": top.reset, "start": top.inputs["start"], **{f"{n}_done": top.const(0, 1) for n in names}},
            {**{f"{n}_start": 1 for n in names}, "done": 1},
        )
    controller_op = top.last_instance

    def half(address, select: str):
        """A buffer address in the half `controller[select]` (dataflow), or as is."""
        return top.concat(controller[select], address) if dataflow else address

    for stage in stages:
        inputs, outputs = STAGE_LOWERINGS[type(stage)][1](stage)
        source_mem = memories[stage.input.root_reference.data]
        target_mem = memories[stage.output.root_reference.data]
        unit_inputs = {"rst": top.reset, "start": controller[f"{stage.symbol}_start"], "act_rdata": source_mem.data}
        if stage.HAS_WEIGHTS:
            rom = stage.weight_rom()
            if rom.is_offchip():
                weights = _weight_buffer_instance(top, stage, rom, f"{net}_{rom.symbol}", controller[f"{stage.symbol}_start"])
                for name in AXI_READ_OUTPUTS:
                    axi_drivers[name].append(weights.outputs[name])
                unit_inputs["weights_ready"] = weights.outputs["ready"]
            else:
                weights = top.rom(
                    f"{stage.symbol}_weights_rom",
                    f"{net}_{rom.symbol}",
                    bits_for(rom.depth.value.data),
                    rom.word_width.value.data,
                )
            bias = top.rom(
                f"{stage.symbol}_bias_rom",
                f"{net}_{stage.symbol}_bias",
                bits_for(stage.groups()),
                stage.lanes() * stage.bias_bits(),
            )
            unit_inputs.update(weight_data=weights.data, bias_data=bias.data)
        unit_inputs = {"rst": unit_inputs["rst"], **{p.name: unit_inputs[p.name] for p in inputs}}  # port order
        unit = top.instance(stage.symbol, f"{net}_{stage.symbol}", unit_inputs, {p.name: p.width for p in outputs})
        source_mem.connect(raddr=half(unit["act_raddr"], f"{stage.symbol}_rsel"))
        if stage.HAS_WEIGHTS:
            weights.connect(addr=unit["weight_addr"])
            if stage.weight_rom().is_offchip():
                weights.connect(group_end=unit["weight_group_end"])
            bias.connect(addr=unit["bias_addr"])
        target_mem.connect(
            we=unit["out_we"], waddr=half(unit["out_waddr"], f"{stage.symbol}_wsel"), wdata=unit["out_wdata"]
        )
        top.connect(controller_op, f"{stage.symbol}_done", unit["done"])
    memories[source.symbol].connect(
        we=top.inputs["in_we"], waddr=half(top.inputs["in_addr"], "in_sel"), wdata=top.inputs["in_data"]
    )
    logit_mem = memories[logits.symbol]
    logit_mem.connect(raddr=half(top.inputs[f"{read}_addr"], "out_sel"))
    axi = {name: top.or_(*drivers) for name, drivers in axi_drivers.items() if drivers}
    handshake = {"in_ready": controller["in_ready"], "image_done": controller["image_done"]} if dataflow else {}
    module = top.finish({"done": controller["done"], f"{read}_data": logit_mem.data, **axi, **handshake})
    module.attributes["e3ne.cycles"] = IntegerAttr(schedule.latency_cycles(), 64)
    module.attributes["e3ne.top"] = StringAttr(net)
    ops.append(module)
    return ops


class LowerAccelerator(RewritePattern):
    """Replaces an `snnhw.accelerator` with its memories, stage modules, controller and top."""

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: snnhw.AcceleratorOp, rewriter: PatternRewriter) -> None:
        rewriter.replace(op, lower_accelerator(op), [])


@dataclass(frozen=True)
class LowerSnnhwToCirct(ModulePass):
    name = "lower-snnhw-to-circt"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(LowerAccelerator(), apply_recursively=False).rewrite_module(op)
