// RUN: e3ne-opt %s --split-input-file --verify-diagnostics | filecheck %s
// Each snnhw verifier states its rule.

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6, depth = 4, kind = "block"}
  snnhw.linear_unit @fc1 {in_features = 4, out_features = 2, parallelism = 3, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 0, output_layer = 1, bias = dense<[3, -3]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 8}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 19>, stage_overhead = array<i64: 11>, cycles = 19}
}
// CHECK: parallelism P = 3 must be in [1, 2] (out_features)

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 8, depth = 4, kind = "block"}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 8}
}
// CHECK: word width 8 must be lanes*bits = 2*3

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6, depth = 4, kind = "block"}
  snnhw.linear_unit @fc1 {in_features = 4, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 4, shift = 0, output_layer = 1, bias = dense<[3, -3]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 4}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 19>, stage_overhead = array<i64: 11>, cycles = 19}
}
// CHECK: accumulator width 4 can overflow: values reach [-6, 12], which needs 5 bits

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6, depth = 4, kind = "block"}
  snnhw.linear_unit @fc1 {in_features = 4, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 0, output_layer = 1, bias = dense<[3, -3]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 7}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 19>, stage_overhead = array<i64: 11>, cycles = 19}
}
// CHECK: logit buffer @logits must hold 2 words of 8 bits (the accumulator width)

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6, depth = 4, kind = "block"}
  snnhw.linear_unit @fc1 {in_features = 4, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 0, output_layer = 1, bias = dense<[3, -3]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 8}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 16>, stage_overhead = array<i64: 10>, cycles = 16}
}
// CHECK: stage @fc1 takes 19 cycles, schedule says 16

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6, depth = 4, kind = "block"}
  snnhw.linear_unit @fc1 {in_features = 4, out_features = 2, parallelism = 1, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 0, output_layer = 1, bias = dense<[3, -3]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 8}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 19>, stage_overhead = array<i64: 11>, cycles = 19}
}
// CHECK: weight ROM has 2 lanes, P*Q is 1

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 6, role = "input"}
}
// CHECK: depth 6 must be channels*height*T = 4

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6, depth = 4, kind = "block"}
  snnhw.linear_unit @fc1 {in_features = 4, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 0, output_layer = 1, bias = dense<[3, -3]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @missing}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 8}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 19>, stage_overhead = array<i64: 11>, cycles = 19}
}
// CHECK: output logit buffer @missing is not defined in the accelerator
