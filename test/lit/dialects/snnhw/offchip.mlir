// RUN: e3ne-opt %s | e3ne-opt | filecheck %s
// An off-chip ROM and the accelerator's memory model print and parse back unchanged.
// fc1's 2 groups of 6 words stream at 32 bits a beat, latency 3: fetch = 3 + 6 = 9 cycles;
// group 0 issues from cycle 10 (fetch + ready), group 1 (fetched meanwhile) right after:
// stage = 2*12 issue + 10 stall + 12 pipeline + 2 drain = 48 cycles, overhead 24.

// CHECK-LABEL: snnhw.accelerator @tiny {time_steps = 2, axi_data_width = 32, memory_latency = 3} {
// CHECK:         snnhw.rom @fc1_weights {data = {{.*}}, word_width = 6 : i64, depth = 12 : i64, kind = "offchip", base_address = 0 : i64}
// CHECK:         snnhw.rom @fc2_weights {{{.*}}kind = "distributed"}
// CHECK:         snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 45, 17>, stage_overhead = array<i64: 21, 11>, cycles = 62 : i64}
snnhw.accelerator @tiny {time_steps = 2, axi_data_width = 32, memory_latency = 3} {
  snnhw.buffer @input {channels = 2, height = 1, width = 3, time_steps = 2, word_width = 3, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 2], [3, -1], [0, 1], [1, 0], [-1, 1], [-3, 0], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]> : tensor<12x2xsi3>, word_width = 6, depth = 12, kind = "offchip", base_address = 0}
  snnhw.linear_unit @fc1 {in_features = 6, out_features = 3, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 7, shift = 1, output_layer = 0, bias = dense<[1, -2, 3]> : tensor<3xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
  snnhw.buffer @fc1_out {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "hidden"}
  snnhw.rom @fc2_weights {data = dense<[[1, -2], [-1, 1], [2, 1]]> : tensor<3x2xsi3>, word_width = 6, depth = 3, kind = "distributed"}
  snnhw.linear_unit @fc2 {in_features = 3, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 9, shift = 0, output_layer = 1, bias = dense<[0, 5]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 9}
  snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 45, 17>, stage_overhead = array<i64: 21, 11>, cycles = 62}
}
