// RUN: e3ne-opt %s | e3ne-opt | filecheck %s
// A dataflow schedule: every buffer holds two images (copies = 2); interval = the slowest
// stage (34), latency = 1 + the sum of the stage cycles (1 + 34 + 16).

// CHECK:       snnhw.buffer @input {{{.*}}role = "input", copies = 2 : i64}
// CHECK:       snnhw.buffer @fc1_out {{{.*}}role = "hidden", copies = 2 : i64}
// CHECK:       snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 9 : i64, copies = 2 : i64}
// CHECK:       snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 35, 17>, stage_overhead = array<i64: 11, 11>, cycles = 52 : i64, kind = "dataflow", interval = 35 : i64, latency = 53 : i64}
snnhw.accelerator @tiny {time_steps = 2} {
  snnhw.buffer @input {channels = 1, height = 2, width = 3, time_steps = 2, word_width = 3, depth = 4, role = "input", copies = 2}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 2], [3, -1], [0, 1], [1, 0], [-1, 1], [-3, 0], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]> : tensor<12x2xsi3>, word_width = 6, depth = 12, kind = "distributed"}
  snnhw.linear_unit @fc1 {in_features = 6, out_features = 3, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 7, shift = 1, output_layer = 0, bias = dense<[1, -2, 3]> : tensor<3xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
  snnhw.buffer @fc1_out {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "hidden", copies = 2}
  snnhw.rom @fc2_weights {data = dense<[[1, -2], [-1, 1], [2, 1]]> : tensor<3x2xsi3>, word_width = 6, depth = 3, kind = "distributed"}
  snnhw.linear_unit @fc2 {in_features = 3, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 9, shift = 0, output_layer = 1, bias = dense<[0, 5]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 9, copies = 2}
  snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 35, 17>, stage_overhead = array<i64: 11, 11>, cycles = 52, kind = "dataflow", interval = 35, latency = 53}
}
