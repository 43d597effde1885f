"""Per layer, the parallelism candidates explore tries, each with its cycles and cost.

Each layer's default stage is lowered once (`lower-snn-to-snnhw`); `StageModel` then
evaluates other settings of it through the hardware model (`e3ne.model.units` shapes,
`snnhw-estimate`'s cost functions) without lowering again. Across layers: a linear unit's
input-side counters are sized by the previous linear layer's output buffer (charged to the
producing layer, so per-layer sums equal the lowered design's estimate), and its input word
is that layer's P (its candidates are evaluated per previous P; `coupling` keeps the
combinations compatible).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from xdsl.context import Context

from e3ne.dialects import snnhw
from e3ne.errors import E3NEError
from e3ne.model import cost
from e3ne.model.memory import (
    DEFAULT_AXI_DATA_WIDTH,
    DEFAULT_MEMORY_LATENCY,
    MemoryModel,
    Streaming,
)
from e3ne.model.schedule import buffer_words
from e3ne.model.units import ConvShape, LinearShape
from e3ne.parallelism import KEYS_BY_KIND
from e3ne.transforms.snnhw.estimate import (
    conv_cost,
    estimate_accelerator,
    linear_cost,
    memory_cost,
    offchip_parts,
    unit_cost,
)


def powers_of_two_upto(limit: int, extra: tuple[int, ...] = ()) -> list[int]:
    values = {1 << k for k in range(limit.bit_length()) if 1 << k <= limit} | {limit}
    return sorted(values | {v for v in extra if 1 <= v <= limit})


def few_groups(count: int, groups: int = 8) -> set[int]:
    """The fewest outputs per group that split `count` into k groups, for k up to `groups`: with
    zero skipping the first group runs dense and the others skip, so 2 or 3 groups of
    ceil(count / k) can beat any power of two."""
    return {-(-count // k) for k in range(1, min(groups, count) + 1)}


def even_blocks(width: int) -> list[int]:
    """Column counts for a row of `width` computed columns: the fewest columns that cover it
    in k blocks, ceil(width / k), for every k (any other count is slower or larger than one
    of these: it needs as many blocks as the next of them, with more columns)."""
    return sorted(few_groups(width, width))


@dataclass
class Candidate:
    settings: dict[str, int]
    cycles: int
    cost: cost.Cost
    offchip: bool = False  # the layer's weights stream from external memory
    skip: bool = False  # the unit skips zeros (cycles: expected on the calibration set)
    # a linear layer after a linear layer reads words of the previous layer's P spikes: its
    # candidate holds for that P only (`input_word`); the previous layer's gives `output_word`
    input_word: int | None = None
    output_word: int | None = None


@dataclass
class LayerOptions:
    name: str
    kind: str
    candidates: list[Candidate] = field(default_factory=list)


def lower(quant_module, parallelism: str, schedule: str = "sequential") -> snnhw.AcceleratorOp:
    from e3ne.lowering.snn_to_snnhw import LowerSnnToSnnhw

    module = quant_module.clone()
    LowerSnnToSnnhw(parallelism=parallelism, schedule=schedule).apply(Context(), module)
    return next(op for op in module.walk() if isinstance(op, snnhw.AcceleratorOp))


def candidate_settings(stage, input_word: int | None = None) -> list[dict[str, int]]:
    """The settings tried for one stage (the lowering rejects or clamps the rest). A linear
    layer's Q goes up to its input word: the stage's input buffer's, or `input_word` (the
    previous linear layer's P, when it reads that layer's output)."""
    if stage.KIND == "linear":
        out_features = stage.out_features.value.data
        word = input_word or stage.input_buffer().word_width.value.data
        q_values = [1] if "Q" not in KEYS_BY_KIND["linear"] else powers_of_two_upto(min(word, 8))
        return [
            {"P": p, **({"Q": q} if q > 1 else {})}
            for p in powers_of_two_upto(out_features, (10, *few_groups(out_features)))
            for q in q_values
        ]
    if stage.KIND == "conv":
        oc = stage.out_shape()[0]
        _, computed_w = stage.computed_size()  # with fused pooling: the columns that are pooled
        return [
            {"columns": columns, "channels": channels, "units": units}
            for columns in even_blocks(computed_w)
            for channels in powers_of_two_upto(oc, tuple(few_groups(oc)))
            for units in (1, 2, 4)
            if channels * units <= oc
        ]
    return [{}]


# --------------------------------------------------------------------------- one layer, one setting
#
# The same numbers `snnhw-estimate` gives for the stage the lowering would build with these
# settings (test_explore checks it), computed from the default stage's attributes without
# lowering the network again: for AlexNet a lowering takes 0.2 s, an evaluation 0.1 ms.


@dataclass
class Evaluated:
    parallelism: dict[str, int]
    cycles: int
    logic: cost.Cost  # unit logic and bias ROM
    weights: cost.Cost  # on-chip weight ROM
    output: cost.Cost  # the buffer it writes
    output_word_depth: tuple[int, int] | None  # (word, depth) of a hidden output buffer
    streaming: Streaming | None  # the timing if the weights were off-chip
    dense_logic: cost.Cost | None = None  # with zero skipping: the logic without it (off-chip: dense)
    dense_cycles: int | None = None  # with zero skipping: the cycles without it

    def offchip_cost(self) -> cost.Cost:
        logic = self.logic if self.dense_logic is None else self.dense_logic
        return logic + cost.total(offchip_parts(self.streaming).values()) + self.output


class StageModel:
    """Evaluates parallelism settings of one stage of the default lowering: the stage's model
    shape (`e3ne.model.units`) with the settings replaced gives its cycles and streaming
    timing, the estimator's cost functions its resources."""

    def __init__(
        self, unit, axi_width: int = DEFAULT_AXI_DATA_WIDTH, memory_latency: int = DEFAULT_MEMORY_LATENCY,
        skip_values=None,
    ):
        from e3ne.dense import dense_to_numpy
        self.unit = unit
        self.skip_values = skip_values  # calibration activations at the input: explore with zero skipping
        self.memory = MemoryModel(axi_width, memory_latency)
        self.kind = unit.KIND
        self.default = unit.shape()
        self.output = memory_cost(unit.output_buffer())
        self.copies = unit.output_buffer().image_copies()  # 2 with the dataflow schedule
        self.bias = dense_to_numpy(unit.bias) if unit.HAS_WEIGHTS else None
        self._weights = None

    def weights(self):
        """The layer's integer weights: (out, in) or (OC, IC, KH, KW)."""
        if self._weights is None:
            from e3ne.dense import dense_to_numpy

            unit = self.unit
            if self.kind == "conv":
                self._weights = unit.weight_array()
            else:
                data = dense_to_numpy(unit.weight_rom().data)
                p, q, chunks = unit.parallelism.value.data, unit.q(), unit.chunks()
                assert q == 1, "the default lowering uses Q = 1"
                self._weights = data.reshape(unit.groups(), chunks, p).transpose(0, 2, 1).reshape(-1, chunks)[
                    : unit.out_features.value.data
                ]
        return self._weights

    def _rom(self, shape: LinearShape | ConvShape, pack) -> cost.Cost:
        from e3ne.lowering.snn_to_snnhw import DISTRIBUTED_ROM_BITS

        bits = shape.weight_bits
        if shape.rom_depth * shape.rom_lanes * bits <= DISTRIBUTED_ROM_BITS:
            return cost.rom(shape.word_width, shape.rom_depth, "distributed", cost.rom_bits(pack(), bits), keep_output=True)
        return cost.rom(shape.word_width, shape.rom_depth, "block")

    def evaluate(self, settings: dict[str, int], input_word_depth: tuple[int, int] | None = None) -> Evaluated | None:
        """The stage built with `settings`, or None if the lowering would reject them. A linear
        stage reads `input_word_depth` = (word, depth) of its input buffer when given (the
        previous linear layer's output buffer with its own P), else the default stage's."""
        if self.kind == "linear":
            return self._linear(settings, input_word_depth)
        if self.kind == "conv":
            return self._conv(settings)
        return Evaluated({}, self.unit.cycles(), unit_cost(self.unit), cost.Cost(), self.output, None, None)

    def _linear(self, settings: dict[str, int], input_word_depth: tuple[int, int] | None) -> Evaluated | None:
        from e3ne.lowering.snn_to_snnhw import pack_weights

        default = self.default
        if input_word_depth is not None:
            default = replace(default, input_word_width=input_word_depth[0], input_depth=input_word_depth[1])
        word, out_f = default.input_word_width, default.out_features
        p, q = settings.get("P", 16), min(settings.get("Q", 1), word)
        p = min(p, out_f)
        shape = replace(default, parallelism=p, input_parallelism=q)
        if shape.output_layer:
            p = min(p, shape.chunks * shape.time_steps)
            shape = replace(shape, parallelism=p)
        if p < 1:
            return None
        logic = linear_cost(shape, self.bias)
        weights = self._rom(shape, lambda: pack_weights(self.weights(), p, q, word))
        words = buffer_words(shape.output_depth, self.copies)
        if shape.output_layer:
            output, out_buffer = cost.ram(shape.accumulator_width, words, read_latency=1), None
        else:
            output, out_buffer = cost.ram(p, words, address_register=True), (p, shape.output_depth)
        parallelism = {"P": p, **({"Q": q} if q > 1 else {})}
        cycles, skipping = self._skipping(shape)
        dense_logic = None
        if skipping is not None:
            dense_logic, logic = logic, linear_cost(skipping, self.bias)
        return Evaluated(
            parallelism, cycles, logic, weights, output, out_buffer, shape.streaming(self.memory), dense_logic, shape.cycles()
        )

    def _skipping(self, shape):
        """(cycles, the skipping shape or None): with calibration activations and a unit that
        can skip, the expected (average) cycles of the skipping unit (e3ne.model.skipping)."""
        if self.skip_values is None or shape.groups < 2:
            return shape.cycles(), None
        if isinstance(shape, ConvShape) and shape.row_cycles != shape.blocks * shape.block_cycles:
            return shape.cycles(), None
        from e3ne.model.skipping import image_cycles

        skipping = replace(shape, skip_zeros=True)
        return int(round(float(image_cycles(skipping, self.skip_values).mean()))), skipping

    def _conv(self, settings: dict[str, int]) -> Evaluated | None:
        from e3ne.lowering.snn_to_snnhw import pack_conv_weights

        columns, channels, units = settings["columns"], settings["channels"], settings["units"]
        default = self.default
        oc, computed_w = default.out_shape[0], default.computed_size[1]
        if not (1 <= columns <= computed_w and channels >= 1 and units >= 1 and channels * units <= oc):
            return None
        shape = replace(default, columns=columns, channels=channels, units=units)
        logic = conv_cost(shape, self.bias)
        weights = self._rom(shape, lambda: pack_conv_weights(self.weights(), shape.lanes))
        parallelism = {"columns": columns, "channels": channels, "units": units}
        cycles, skipping = self._skipping(shape)
        dense_logic = None
        if skipping is not None:
            dense_logic, logic = logic, conv_cost(skipping, self.bias)
        return Evaluated(
            parallelism, cycles, logic, weights, self.output, None, shape.streaming(self.memory), dense_logic, shape.cycles()
        )


def resolve_offchip(request, layer_names: list[str], weight_names: list[str]) -> dict[str, tuple[bool, ...]]:
    """Per layer, the weight placements explore may try: (False,) on-chip only, (True,)
    off-chip only, (False, True) both."""
    from e3ne.offchip import offchip_layers, request_text

    text = request_text(request)
    streamed = None if text == "auto" else set(offchip_layers(text, weight_names))
    result = {}
    for name in layer_names:
        if name not in weight_names:
            result[name] = (False,)
        elif streamed is None:
            result[name] = (False, True)
        else:
            result[name] = (name in streamed,)
    return result


def plan(
    quant_module,
    offchip="none",
    axi_width: int = DEFAULT_AXI_DATA_WIDTH,
    memory_latency: int = DEFAULT_MEMORY_LATENCY,
    bram_budget: float | None = None,
    schedule: str = "sequential",
    skip_inputs: dict | None = None,
) -> tuple[list[LayerOptions], cost.Cost]:
    """Per stage, every distinct candidate with its cycles and cost; plus the shared cost.

    `offchip` (`none`, `all`, `auto` or layer names): which layers may stream their weights;
    under `auto` a layer gets off-chip candidates only if no all-on-chip design fits
    `bram_budget` (BRAM36) and its on-chip weights would be in block RAM. `schedule`:
    `dataflow` costs every buffer twice (two images) and the dataflow controller, and
    allows no off-chip weights. `skip_inputs`
    ({stage name: calibration activations at its input}): the on-chip candidates of units
    that can skip zeros do, with their expected cycles (off-chip ones stay dense)."""
    from e3ne.offchip import request_text

    offchip = request_text(offchip)
    if schedule == "dataflow" and offchip not in ("none", "auto"):
        raise E3NEError("explore: the dataflow schedule needs every weight ROM on chip", hint="--offchip-weights none")
    if schedule == "dataflow":
        offchip = "none"
    default = lower(quant_module, "", schedule)
    stages = default.schedule().stage_ops()
    design = estimate_accelerator(default, offchip=())
    skip_inputs = skip_inputs or {}
    models = [
        StageModel(stage, axi_width, memory_latency, skip_inputs.get(stage.symbol) if skip_inputs else None)
        for stage in stages
    ]
    weight_names = [stage.symbol for stage in stages if stage.HAS_WEIGHTS]
    placements = resolve_offchip(offchip, [stage.symbol for stage in stages], weight_names)
    evaluated = []  # per stage: (input (word, depth) or None, result)
    for index, stage in enumerate(stages):
        previous_linear = stage.KIND == "linear" and index > 0 and stages[index - 1].KIND == "linear"
        # after a linear layer, the input word is that layer's P: one set of candidates per P
        inputs = sorted({r.output_word_depth for _, r in evaluated[-1]}) if previous_linear else [None]
        seen, items = set(), []
        for word_depth in inputs:
            for settings in candidate_settings(stage, word_depth and word_depth[0]):
                result = models[index].evaluate(settings, word_depth)
                if result is None:
                    continue  # a combination this stage cannot build
                key = (word_depth, tuple(sorted(result.parallelism.items())))
                if key in seen:
                    continue  # clamped to a setting already tried
                seen.add(key)
                items.append((word_depth, result))
        if not items:
            raise E3NEError(f"explore: no parallelism setting of {stage.symbol} could be built")
        evaluated.append(items)
    shared = cost.total(design.shared.values())
    if offchip == "auto":
        smallest = shared.bram + sum(min((r.logic + r.weights + r.output).bram for _, r in items) for items in evaluated)
        if bram_budget is None or smallest <= bram_budget:
            placements = {name: (False,) for name in placements}
    layers = []
    for index, stage in enumerate(stages):
        linear = stage.KIND == "linear"
        previous_linear = linear and index > 0 and stages[index - 1].KIND == "linear"
        next_linear = linear and index + 1 < len(stages) and stages[index + 1].KIND == "linear"
        options = LayerOptions(stage.symbol, design.layers[index].kind)
        for word_depth, result in evaluated[index]:
            adjust = cost.Cost()
            coupled = {}
            if previous_linear:  # charged to the previous layer's candidates instead
                adjust = adjust + cost.linear_input_side(*word_depth).scaled(-1)
                coupled["input_word"] = word_depth[0]
            if next_linear:
                word, depth = result.output_word_depth
                adjust = adjust + cost.linear_input_side(word, depth)
                coupled["output_word"] = word
            for streams in placements[stage.symbol]:
                if streams and result.weights.bram == 0 and offchip == "auto":
                    continue  # a LUT ROM: streaming it frees no block RAM
                if streams:
                    options.candidates.append(
                        Candidate(dict(result.parallelism), result.streaming.cycles, result.offchip_cost() + adjust, True, **coupled)
                    )
                elif result.dense_logic is not None:  # zero skipping: the unit may skip, or not
                    dense = result.dense_logic + result.weights + result.output + adjust
                    options.candidates.append(Candidate(dict(result.parallelism), result.dense_cycles, dense, **coupled))
                    on_chip = result.logic + result.weights + result.output + adjust
                    options.candidates.append(Candidate(dict(result.parallelism), result.cycles, on_chip, skip=True, **coupled))
                else:
                    on_chip = result.logic + result.weights + result.output + adjust
                    options.candidates.append(Candidate(dict(result.parallelism), result.cycles, on_chip, **coupled))
        layers.append(options)
    return layers, shared


