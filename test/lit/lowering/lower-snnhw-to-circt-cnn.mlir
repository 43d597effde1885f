// RUN: e3ne-opt %s -p lower-snnhw-to-circt | filecheck %s
// RUN: e3ne-opt %s -p lower-snnhw-to-circt -t verilog | filecheck %s --check-prefix=SV
// The CNN of lower-snn-to-snnhw-cnn.mlir: conv1 (fused max pool, 2 column blocks), conv2,
// an avg pool unit, fc1 with Q = 2. Every stage is one module; pool units have no ROMs.

// The conv bias ROM holds Bq + 2^(shift-1) per lane in accumulator_width + 1 bits (2 x 6).
// CHECK:       hw.module.extern @net_conv1_bias(in %port0 clk: !seq.clock, in %port1 addr: i1, out data: i12)
// CHECK-LABEL: hw.module @net_conv1(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %act_rdata: i4, in %weight_data: i18, in %bias_data: i12, out act_raddr: i3, out weight_addr: i2, out bias_addr: i1, out out_we: i1, out out_waddr: i3, out out_wdata: i2, out done: i1)
// CHECK:         %issue = comb.or %start, %running : i1
// CHECK:         %acc0 = seq.compreg %{{.*}} : i5
// Column block 0 of each output row waits in an assembly bank; rows of a pooling window combine.
// CHECK:         %assembly0 = seq.compreg %{{.*}} : i2
// CHECK:         %pool_row = seq.compreg
// CHECK:         %pool_rows0 = seq.compreg %{{.*}} : i2
// CHECK:         %shadow0 = seq.compreg %{{.*}} : i2
// CHECK:         %draining = seq.compreg
// CHECK-NOT:     comb.mul
// CHECK-LABEL: hw.module @net_conv2(
// CHECK-LABEL: hw.module @net_pool1(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %act_rdata: i1, out act_raddr: i2, out out_we: i1, out out_waddr: i3, out out_wdata: i2, out done: i1)
// CHECK:         %window_rows0 = seq.compreg %{{.*}} : i4
// CHECK-NOT:     comb.divu
// CHECK-LABEL: hw.module @net_fc1(
// Q = 2: two spikes of the input word a cycle, each gating its weight into the adder tree.
// CHECK:         %spike0 = comb.extract %act_rdata from 0 :  (i2) -> i1
// CHECK:         %spike1 = comb.extract %act_rdata from 1 :  (i2) -> i1
// CHECK-LABEL: hw.module @net_controller(
// CHECK-SAME:    in %conv1_done: i1, in %conv2_done: i1, in %pool1_done: i1, in %fc1_done: i1
// CHECK-LABEL: hw.module @net(
// CHECK-SAME:    attributes {e3ne.cycles = 131 : i64, e3ne.top = "net"}
// CHECK:         hw.instance "pool1" @net_pool1(
// CHECK-NOT:     pool1_weights_rom

// SV-LABEL:    module net_conv1(
// SV-LABEL:    module net_pool1(
// SV-LABEL:    module net(
// SV:          net_pool1 pool1 (

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 1 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 8 : i64, role = "input"}
  snnhw.rom @conv1_weights {data = dense<[[-1, -1, -1, 1, 0, 1], [-1, 0, -1, -1, 0, -1], [1, 1, 0, 0, -1, 1]]> : tensor<3x6xsi3>, word_width = 18 : i64, depth = 3 : i64, kind = "distributed"}
  snnhw.conv_unit @conv1 {pool_mode = "max", pool_kernel = array<i64: 2, 2>, in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 2 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
  snnhw.buffer @conv1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
  snnhw.rom @conv2_weights {data = dense<[[0, -1, -1, -1], [1, -1, -1, 1], [-1, -1, -1, -1], [-1, 0, -1, -1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.conv_unit @conv2 {in_channels = 2 : i64, in_height = 2 : i64, in_width = 2 : i64, out_channels = 2 : i64, out_height = 1 : i64, out_width = 1 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, columns = 1 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 6 : i64, shift = 2 : i64, bias = dense<[-1, -6]> : tensor<2xsi32>, input = @conv1_out, weights = @conv2_weights, output = @conv2_out}
  snnhw.buffer @conv2_out {channels = 2 : i64, height = 1 : i64, width = 1 : i64, time_steps = 2 : i64, word_width = 1 : i64, depth = 4 : i64, role = "hidden"}
  snnhw.pool_unit @pool1 {mode = "avg", channels = 2 : i64, in_height = 1 : i64, in_width = 1 : i64, out_height = 2 : i64, out_width = 2 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, time_steps = 2 : i64, input = @conv2_out, output = @pool1_out}
  snnhw.buffer @pool1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
  snnhw.rom @fc1_weights {data = dense<[[-1, -1, 0, 0], [0, 0, 0, 1], [0, 1, -1, -1], [1, 0, 0, 1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.linear_unit @fc1 {input_parallelism = 2 : i64, in_features = 8 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[4, 1]> : tensor<2xsi32>, input = @pool1_out, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 5 : i64}
  snnhw.schedule [@conv1, @conv2, @pool1, @fc1] {stage_cycles = array<i64: 64, 21, 27, 19>, stage_overhead = array<i64: 16, 13, 11, 11>, cycles = 131 : i64}
}
