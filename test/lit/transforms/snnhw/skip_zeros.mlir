// RUN: e3ne-opt %s -p snnhw-skip-zeros | filecheck %s
// RUN: e3ne-opt %s -p snnhw-skip-zeros | e3ne-opt | filecheck %s
// snnhw-skip-zeros marks the linear units with on-chip weights and at least two groups
// (the first group records the skip list) with `skip_zeros`, and reschedules them at their
// worst case: the dense issue plus SKIP_GAP = 4 (memory read) + 2 (list read) cycles.
//
// Hand counts: @fc1 has 4 inputs (Q = 1: 4 chunks), T = 2, P = 2 of 4 outputs = 2 groups:
// dense 2*4*2 = 16 issue + 8 pipeline + 2 drain = 26; skipping: 26 + 6 = 32, of which
// 32 - 16 (ideal) = 16 overhead. @fc2 has one group (P = out = 2): it stays dense (18).

// CHECK:      snnhw.linear_unit @fc1 {{.*}}, skip_zeros}
// CHECK:      snnhw.linear_unit @fc2
// CHECK-NOT:  skip_zeros
// CHECK:      snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 33, 19>, stage_overhead = array<i64: 17, 11>, cycles = 52 : i64}

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3], [1, 1], [-1, 0], [2, 2], [0, -3]]> : tensor<8x2xsi3>, word_width = 6, depth = 8, kind = "distributed"}
  snnhw.linear_unit @fc1 {in_features = 4, out_features = 4, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 1, output_layer = 0, bias = dense<[3, -3, 1, 0]> : tensor<4xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
  snnhw.buffer @fc1_out {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "hidden"}
  snnhw.rom @fc2_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6, depth = 4, kind = "distributed"}
  snnhw.linear_unit @fc2 {in_features = 4, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 0, output_layer = 1, bias = dense<[3, -3]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 8}
  snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 27, 19>, stage_overhead = array<i64: 11, 11>, cycles = 46}
}
