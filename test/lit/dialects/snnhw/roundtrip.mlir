// RUN: e3ne-opt %s | e3ne-opt | filecheck %s
// snnhw prints and parses back unchanged.

// CHECK-LABEL: snnhw.accelerator @net {time_steps = 2} {
// CHECK-NEXT:    snnhw.buffer @input {channels = 2 : i64, height = 1 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 4 : i64, role = "input"}
// CHECK-NEXT:    snnhw.rom @fc1_weights {data = dense<{{\[\[}}1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6 : i64, depth = 4 : i64, kind = "block"}
// CHECK-NEXT:    snnhw.linear_unit @fc1 {in_features = 4 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 8 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[3, -3]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
// CHECK-NEXT:    snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 8 : i64}
// CHECK-NEXT:    snnhw.schedule [@fc1] {stage_cycles = array<i64: 19>, stage_overhead = array<i64: 11>, cycles = 19 : i64}
// CHECK-NEXT:  }
snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6, depth = 4, kind = "block"}
  snnhw.linear_unit @fc1 {in_features = 4, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 0, output_layer = 1, bias = dense<[3, -3]> : tensor<2xsi32>, input = @input, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 8}
  snnhw.schedule [@fc1] {stage_cycles = array<i64: 19>, stage_overhead = array<i64: 11>, cycles = 19}
}
