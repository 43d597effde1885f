// RUN: e3ne-opt %s --split-input-file --verify-diagnostics | filecheck %s
// The off-chip weight rules: base_address iff off-chip, 4 KiB aligned; the memory model on the accelerator.

snnhw.accelerator @net {time_steps = 2, axi_data_width = 32, memory_latency = 3} {
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0]]> : tensor<2x2xsi3>, word_width = 6, depth = 2, kind = "offchip"}
}
// CHECK: an off-chip ROM needs base_address

// -----

snnhw.accelerator @net {time_steps = 2, axi_data_width = 32, memory_latency = 3} {
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0]]> : tensor<2x2xsi3>, word_width = 6, depth = 2, kind = "offchip", base_address = 2048}
}
// CHECK: base_address 2048 must be a non-negative multiple of 4096 (4 KiB)

// -----

snnhw.accelerator @net {time_steps = 2, axi_data_width = 32, memory_latency = 3} {
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0]]> : tensor<2x2xsi3>, word_width = 6, depth = 2, kind = "block", base_address = 0}
}
// CHECK: base_address is only for off-chip ROMs, this one is 'block'

// -----

snnhw.accelerator @net {time_steps = 2, memory_latency = 3} {
  snnhw.buffer @input {channels = 2, height = 1, width = 3, time_steps = 2, word_width = 3, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 2], [3, -1], [0, 1], [1, 0], [-1, 1], [-3, 0], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]> : tensor<12x2xsi3>, word_width = 6, depth = 12, kind = "offchip", base_address = 0}
  snnhw.linear_unit @fc1 {in_features = 6, out_features = 3, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 7, shift = 1, output_layer = 0, bias = dense<[1, -2, 3]> : tensor<3xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
  snnhw.buffer @fc1_out {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "hidden"}
  snnhw.rom @fc2_weights {data = dense<[[1, -2], [-1, 1], [2, 1]]> : tensor<3x2xsi3>, word_width = 6, depth = 3, kind = "distributed"}
  snnhw.linear_unit @fc2 {in_features = 3, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 9, shift = 0, output_layer = 1, bias = dense<[0, 5]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 9}
  snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 44, 16>, stage_overhead = array<i64: 20, 10>, cycles = 60}
}
// CHECK: ROM @fc1_weights is off-chip: the accelerator needs axi_data_width and memory_latency

// -----

snnhw.accelerator @net {time_steps = 2, axi_data_width = 48, memory_latency = 3} {
  snnhw.buffer @input {channels = 2, height = 1, width = 3, time_steps = 2, word_width = 3, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 2], [3, -1], [0, 1], [1, 0], [-1, 1], [-3, 0], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]> : tensor<12x2xsi3>, word_width = 6, depth = 12, kind = "distributed"}
  snnhw.linear_unit @fc1 {in_features = 6, out_features = 3, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 7, shift = 1, output_layer = 0, bias = dense<[1, -2, 3]> : tensor<3xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
  snnhw.buffer @fc1_out {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "hidden"}
  snnhw.rom @fc2_weights {data = dense<[[1, -2], [-1, 1], [2, 1]]> : tensor<3x2xsi3>, word_width = 6, depth = 3, kind = "distributed"}
  snnhw.linear_unit @fc2 {in_features = 3, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 9, shift = 0, output_layer = 1, bias = dense<[0, 5]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 9}
  snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 35, 17>, stage_overhead = array<i64: 11, 11>, cycles = 52}
}
// CHECK: axi_data_width 48 must be a power of two in [32, 1024]

// -----

snnhw.accelerator @net {time_steps = 2, axi_data_width = 64, memory_latency = 0} {
  snnhw.buffer @input {channels = 2, height = 1, width = 3, time_steps = 2, word_width = 3, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 2], [3, -1], [0, 1], [1, 0], [-1, 1], [-3, 0], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]> : tensor<12x2xsi3>, word_width = 6, depth = 12, kind = "distributed"}
  snnhw.linear_unit @fc1 {in_features = 6, out_features = 3, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 7, shift = 1, output_layer = 0, bias = dense<[1, -2, 3]> : tensor<3xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
  snnhw.buffer @fc1_out {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "hidden"}
  snnhw.rom @fc2_weights {data = dense<[[1, -2], [-1, 1], [2, 1]]> : tensor<3x2xsi3>, word_width = 6, depth = 3, kind = "distributed"}
  snnhw.linear_unit @fc2 {in_features = 3, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 9, shift = 0, output_layer = 1, bias = dense<[0, 5]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 9}
  snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 35, 17>, stage_overhead = array<i64: 11, 11>, cycles = 52}
}
// CHECK: memory_latency 0 must be at least 1 cycle

// -----

snnhw.accelerator @net {time_steps = 2, axi_data_width = 32, memory_latency = 3} {
  snnhw.buffer @input {channels = 2, height = 1, width = 3, time_steps = 2, word_width = 3, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 2], [3, -1], [0, 1], [1, 0], [-1, 1], [-3, 0], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]> : tensor<12x2xsi3>, word_width = 6, depth = 12, kind = "offchip", base_address = 0}
  snnhw.linear_unit @fc1 {in_features = 6, out_features = 3, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 7, shift = 1, output_layer = 0, bias = dense<[1, -2, 3]> : tensor<3xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
  snnhw.buffer @fc1_out {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "hidden"}
  snnhw.rom @fc2_weights {data = dense<[[1, -2], [-1, 1], [2, 1]]> : tensor<3x2xsi3>, word_width = 6, depth = 3, kind = "offchip", base_address = 0}
  snnhw.linear_unit @fc2 {in_features = 3, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 9, shift = 0, output_layer = 1, bias = dense<[0, 5]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 9}
  snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 45, 24>, stage_overhead = array<i64: 21, 18>, cycles = 69}
}
// CHECK: off-chip ROMs @fc1_weights and @fc2_weights overlap in the weight image (@fc2_weights starts at 0)
