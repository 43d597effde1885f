// RUN: e3ne-opt %s --split-input-file --verify-diagnostics | filecheck %s
// The LIF attributes of an snnhw linear unit (e3ne/dialects/snnhw_lif.py), one rule each.

// CHECK: Operation does not verify: lif_reset must be one of subtract, zero, none, got "hard"
snnhw.accelerator @lif {time_steps = 4} {
  snnhw.buffer @input {channels = 1 : i64, height = 1 : i64, width = 4 : i64, time_steps = 4 : i64, word_width = 4 : i64, depth = 4 : i64, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 1], [3, -1], [4, 1]]> : tensor<4x2xsi4>, word_width = 8 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.linear_unit @fc1 {neuron = "lif", lif_leak = 256 : i64, lif_leak_bits = 8 : i64, lif_threshold = 3 : i64, lif_reset = "hard", readout = "count", in_features = 4 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 4 : i64, weight_bits = 4 : i64, accumulator_width = 7 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[0, 1]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 7 : i64}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 22>, stage_overhead = array<i64: 6>, cycles = 22 : i64}
}

// -----

// CHECK: Operation does not verify: readout ("count" or "membrane") is given exactly on the output layer
snnhw.accelerator @lif {time_steps = 4} {
  snnhw.buffer @input {channels = 1 : i64, height = 1 : i64, width = 4 : i64, time_steps = 4 : i64, word_width = 4 : i64, depth = 4 : i64, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 1], [3, -1], [4, 1]]> : tensor<4x2xsi4>, word_width = 8 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.linear_unit @fc1 {neuron = "lif", lif_leak = 256 : i64, lif_leak_bits = 8 : i64, lif_threshold = 3 : i64, lif_reset = "zero", in_features = 4 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 4 : i64, weight_bits = 4 : i64, accumulator_width = 7 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[0, 1]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 7 : i64}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 22>, stage_overhead = array<i64: 6>, cycles = 22 : i64}
}

// -----

// Membranes reach [4*(-2), 4*8] = [-8, 32] (per-step sums in [-2, 8]): 6 bits cannot hold 32.
// CHECK: Operation does not verify: accumulator width 6 can overflow: the LIF membrane needs 7 bits
snnhw.accelerator @lif {time_steps = 4} {
  snnhw.buffer @input {channels = 1 : i64, height = 1 : i64, width = 4 : i64, time_steps = 4 : i64, word_width = 4 : i64, depth = 4 : i64, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 1], [3, -1], [4, 1]]> : tensor<4x2xsi4>, word_width = 8 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.linear_unit @fc1 {neuron = "lif", lif_leak = 256 : i64, lif_leak_bits = 8 : i64, lif_threshold = 3 : i64, lif_reset = "zero", readout = "count", in_features = 4 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 4 : i64, weight_bits = 4 : i64, accumulator_width = 6 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[0, 1]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 6 : i64}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 22>, stage_overhead = array<i64: 6>, cycles = 22 : i64}
}

// -----

// CHECK: Operation does not verify: lif_* and readout attributes need neuron = "lif"
snnhw.accelerator @lif {time_steps = 4} {
  snnhw.buffer @input {channels = 1 : i64, height = 1 : i64, width = 4 : i64, time_steps = 4 : i64, word_width = 4 : i64, depth = 4 : i64, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 1], [3, -1], [4, 1]]> : tensor<4x2xsi4>, word_width = 8 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.linear_unit @fc1 {lif_leak = 256 : i64, in_features = 4 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 4 : i64, weight_bits = 4 : i64, accumulator_width = 7 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[0, 1]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 7 : i64}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 22>, stage_overhead = array<i64: 6>, cycles = 22 : i64}
}
