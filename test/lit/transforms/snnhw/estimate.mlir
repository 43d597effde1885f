// RUN: e3ne-opt %s -p 'snnhw-estimate{target=xc7z020}' | filecheck %s
// RUN: e3ne-opt %s -p 'snnhw-estimate{target=xc7z020}' | e3ne-opt | filecheck %s
// snnhw-estimate annotates every memory and unit with estimated resources (units also with
// cycles) and the schedule with the design totals and the fit against the target.
//
// Hand counts: @fc2_weights is 4 words x 2 lanes of si3 = 6 output bits, of which lane 1's
// sign bit equals lane 0's bit 0 (Yosys merges them): 5 stored bits, 1 LUT each (depth <= 64)
// plus a 5-bit output register. @logits (2 x 8 bits, a RAM with a write port) is two RAM32M
// (6 bits each, 4 LUTs each) and an 8-bit read register. The schedule has the sums (and
// the controller: 3 LUT, 2 FF). The pipeline registers of each unit (P = 2 lanes, 3-bit
// weights, Q = 1, 8-bit accumulators): per lane a 3-bit registered gated sum and an 8-bit
// registered potential (2 x 11), 5 flags and the 1-bit bias group delayed once more, 2 loads
// delayed once more: 30 FF and 2 cycles (ADDEND_LATENCY + NEURON_LATENCY) per unit.

// CHECK-LABEL: snnhw.accelerator @net
// CHECK:         snnhw.buffer @input {{.*}} estimate = {lut = 4 : i64, ff = 6 : i64, carry = 0 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64}}
// CHECK-NEXT:    snnhw.rom @fc1_weights {{.*}} estimate = {lut = 6 : i64, ff = 18 : i64, carry = 0 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64}}
// CHECK-NEXT:    snnhw.linear_unit @fc1 {{.*}} estimate = {lut = 96 : i64, ff = 92 : i64, carry = 22 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64, cycles = 24 : i64}}
// CHECK-NEXT:    snnhw.buffer @fc1_out {{.*}} estimate = {lut = 4 : i64, ff = 6 : i64, carry = 0 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64}}
// CHECK-NEXT:    snnhw.rom @fc2_weights {{.*}} estimate = {lut = 5 : i64, ff = 15 : i64, carry = 0 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64}}
// CHECK-NEXT:    snnhw.linear_unit @fc2 {{.*}} estimate = {lut = 84 : i64, ff = 96 : i64, carry = 17 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64, cycles = 16 : i64}}
// CHECK-NEXT:    snnhw.logit_buffer @logits {{.*}} estimate = {lut = 8 : i64, ff = 8 : i64, carry = 0 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64}}
// CHECK-NEXT:    snnhw.schedule [@fc1, @fc2] {estimate = {lut = 210 : i64, ff = 243 : i64, carry = 39 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64, cycles = 40 : i64, target = "xc7z020", fits = 1 : i64}

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3], [1, 1], [-1, 0], [2, 2], [0, -3]]> : tensor<8x2xsi3>, word_width = 6, depth = 8, kind = "distributed"}
  snnhw.linear_unit @fc1 {in_features = 4, out_features = 4, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 1, output_layer = 0, bias = dense<[3, -3, 1, 0]> : tensor<4xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
  snnhw.buffer @fc1_out {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "hidden"}
  snnhw.rom @fc2_weights {data = dense<[[1, -1], [2, 0], [-2, 1], [0, 3]]> : tensor<4x2xsi3>, word_width = 6, depth = 4, kind = "distributed"}
  snnhw.linear_unit @fc2 {in_features = 4, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 8, shift = 0, output_layer = 1, bias = dense<[3, -3]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 8}
  snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 24, 16>, stage_overhead = array<i64: 8, 8>, cycles = 40}
}
