// RUN: e3ne-opt %s -p 'snnhw-estimate{target=xc7z020}' | filecheck %s
// RUN: e3ne-opt %s -p 'snnhw-estimate{target=xc7z020}' | e3ne-opt | filecheck %s
// RUN: e3ne-opt %s -p 'snnhw-estimate{target=lfe5u-85f}' | filecheck %s --check-prefix=ECP5
// snnhw-estimate annotates every memory and unit with estimated resources (units also with
// cycles) and the schedule with the design totals and the fit against the target.
//
// LUT and flip-flop figures are structural counts times the target family's fitted
// coefficients (e3ne/model/cost.py, docs/estimator.md), so only the structural parts are
// pinned here: @logits (2 x 8 bits, a RAM with a write port) is two RAM32M on Xilinx (6
// bits each, 4 LUTs each) and two 16x4 TRELLIS_DPR16X4 on the ECP5 (6 LUT4s each); carry
// chains, block RAM, DSP and cycles are counted. The ECP5 budget is LFE5U-85F's.
// CHECK-LABEL: snnhw.accelerator @net
// CHECK:         snnhw.buffer @input {{.*}} estimate = {lut = {{[0-9]+}} : i64, ff = {{[0-9]+}} : i64, carry = 0 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64}}
// CHECK-NEXT:    snnhw.rom @fc1_weights {{.*}} estimate = {lut = {{[0-9]+}} : i64, ff = {{[0-9]+}} : i64, carry = 0 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64}}
// CHECK-NEXT:    snnhw.linear_unit @fc1 {{.*}} estimate = {lut = {{[0-9]+}} : i64, ff = {{[0-9]+}} : i64, carry = 22 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64, cycles = 27 : i64}}
// CHECK-NEXT:    snnhw.buffer @fc1_out {{.*}} estimate = {lut = {{[0-9]+}} : i64, ff = {{[0-9]+}} : i64, carry = 0 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64}}
// CHECK-NEXT:    snnhw.rom @fc2_weights {{.*}} estimate = {lut = {{[0-9]+}} : i64, ff = {{[0-9]+}} : i64, carry = 0 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64}}
// CHECK-NEXT:    snnhw.linear_unit @fc2 {{.*}} estimate = {lut = {{[0-9]+}} : i64, ff = {{[0-9]+}} : i64, carry = 17 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64, cycles = 19 : i64}}
// CHECK-NEXT:    snnhw.logit_buffer @logits {{.*}} estimate = {lut = 8 : i64, ff = {{[0-9]+}} : i64, carry = 0 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64}}
// CHECK-NEXT:    snnhw.schedule [@fc1, @fc2] {estimate = {lut = {{[0-9]+}} : i64, ff = {{[0-9]+}} : i64, carry = 39 : i64, bram18 = 0 : i64, bram36 = 0 : i64, dsp = 0 : i64, cycles = 46 : i64, target = "xc7z020", fits = 1 : i64}

// ECP5-LABEL: snnhw.accelerator @net
// ECP5:         snnhw.logit_buffer @logits {{.*}} estimate = {lut = 12 : i64,
// ECP5-NEXT:    snnhw.schedule [@fc1, @fc2] {estimate = {{{.*}} cycles = 46 : i64, target = "lfe5u-85f", fits = 1 : i64}

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
