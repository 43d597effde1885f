"""Design-space exploration: sweep the parallelism of every layer, estimate each design,
keep the latency-resource Pareto front, and pick the fastest design that fits a budget.

Fast by construction: each layer's candidate settings are lowered (`lower-snn-to-snnhw`,
a few milliseconds) and estimated (`snnhw-estimate`'s cost functions) once; because cycles
and resources add up over layers, every combination of candidates is a sum of per-layer
numbers, evaluated with numpy (about a million designs a second). Across layers, a
linear unit's input-side counters are sized by the previous linear layer's output buffer
(charged to the producing layer, so the sums equal the estimate of the lowered design
exactly), and its input word is that layer's P (candidates per previous P, combined only
with it: `coupling`). Using the real lowering keeps explore in step with the
hardware path (fused pooling, clamping, invalid combinations are the lowering's).

Swept keys (`e3ne.parallelism.KEYS_BY_KIND`): linear P (powers of two, the output count,
and ceil(count/k) for k <= 8) and Q (1, 2, 4, 8, up to the input word; after another
linear layer the word is that layer's P, so such a layer has candidates per previous P and
the solvers take the two layers together: `coupling`); convolution columns (ceil(W/k)
over the W computed columns), channels (powers of two, ceil(count/k)) and units (1, 2, 4).

Modules: `candidates` (per-layer settings and their cost), `coupling` (chains of linear
layers joined for the solvers), `sweep` (combinations, search, Pareto front, choice),
`outputs` (table, plot, explore.json).
"""

from e3ne.design_space.candidates import (
    Candidate,
    LayerOptions,
    StageModel,
    candidate_settings,
    even_blocks,
    lower,
    plan,
    powers_of_two_upto,
    resolve_offchip,
)
from e3ne.design_space.outputs import (
    designs_text,
    explain_no_fit,
    front_table,
    plot,
    routability_lines,
    write_outputs,
)
from e3ne.design_space.sweep import (
    RESOURCE_KEYS,
    Exploration,
    budget_of,
    choose,
    pareto_front,
    search,
    sweep,
)

__all__ = [
    "RESOURCE_KEYS", "Candidate", "Exploration", "LayerOptions", "StageModel", "budget_of", "candidate_settings",
    "choose", "designs_text", "even_blocks", "explain_no_fit", "front_table", "lower", "pareto_front", "plan",
    "plot", "powers_of_two_upto", "resolve_offchip", "routability_lines", "search", "sweep",
    "write_outputs",
]  # fmt: skip
