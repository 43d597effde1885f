// RUN: e3ne-opt %s -p snnhw-skip-zeros | filecheck %s
// RUN: e3ne-opt %s -p snnhw-skip-zeros | e3ne-opt | filecheck %s
// On a dataflow schedule snnhw-skip-zeros keeps the kind and recomputes the interval and the
// latency from the worst case (docs/dataflow.md, docs/zero-skipping.md).
//
// Hand counts (as skip_zeros.mlir): @fc1 26 dense -> 26 + SKIP_GAP 6 = 32 skipping; @fc2 one
// group, dense 18. interval = the slowest stage = 32; latency = 1 (input hand-off) + 32 + 18 = 51.

// CHECK:      snnhw.linear_unit @fc1 {{.*}}, skip_zeros}
// CHECK:      snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 33, 19>, stage_overhead = array<i64: 17, 11>, cycles = 52 : i64, kind = "dataflow", interval = 33 : i64, latency = 53 : i64}

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input", copies = 2}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3], [1, 1], [-1, 0], [2, 2], [0, -3]]> : tensor<8x2xsi3>, word_width = 6, depth = 8, kind = "distributed"}
  snnhw.linear_unit @fc1 {in_features = 4, out_features = 4, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 1, output_layer = 0, bias = dense<[3, -3, 1, 0]> : tensor<4xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
  snnhw.buffer @fc1_out {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "hidden", copies = 2}
  snnhw.rom @fc2_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6, depth = 4, kind = "distributed"}
  snnhw.linear_unit @fc2 {in_features = 4, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 0, output_layer = 1, bias = dense<[3, -3]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 8, copies = 2}
  snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 27, 19>, stage_overhead = array<i64: 11, 11>, cycles = 46, kind = "dataflow", interval = 27, latency = 47}
}
