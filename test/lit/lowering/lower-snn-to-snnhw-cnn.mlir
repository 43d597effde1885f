// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{parallelism="conv1.channels=2,conv1.columns=2,P=2,Q=2"}' | filecheck %s
// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{parallelism="conv1.channels=2,conv1.columns=2,P=2,Q=2"}' | e3ne-opt | filecheck %s
// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{fuse-pooling=false}' | filecheck %s --check-prefix=UNFUSED
// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw' | filecheck %s --check-prefix=DEFAULT
// RUN: e3ne-opt %s -p 'lower-snn-to-hw{parallelism="conv1.channels=1"}' | filecheck %s --check-prefix=HW
// A 1x4x4 CNN at T = 2: conv3 pad 1 + max pool 2 (fused into conv1: window = stride), conv2
// (2x2 kernel), avg pool 2 stride 1 pad 1 (its own pool unit), flatten (gone: fc1 reads the
// 2x2x2 buffer in NCHW order), output linear with Q = 2.
// conv1: 2 column blocks of 2; cycles = groups*rows*row_cycles + 12 + lanes*T = 1*4*12 + 12 + 4
// (12: the pipeline of 9, a two-level adder tree for kernel_w 3 > 2 terms, the pooling's two registers).
// The ROM word (ic, ky) packs lane l, kernel column kx at l*KW + kx. fc1 (Q = 2): lane q*P + k.

// CHECK-LABEL: snnhw.accelerator @net {time_steps = 2} {
// CHECK-NEXT:    snnhw.buffer @input {channels = 1 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 8 : i64, role = "input"}
// CHECK-NEXT:    snnhw.rom @conv1_weights {data = dense<{{\[\[}}-1, -1, -1, 1, 0, 1], [-1, 0, -1, -1, 0, -1], [1, 1, 0, 0, -1, 1]]> : tensor<3x6xsi3>, word_width = 18 : i64, depth = 3 : i64, kind = "distributed"}
// CHECK-NEXT:    snnhw.conv_unit @conv1 {pool_mode = "max", pool_kernel = array<i64: 2, 2>, in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 2 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
// CHECK-NEXT:    snnhw.buffer @conv1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
// CHECK-NEXT:    snnhw.rom @conv2_weights {data = dense<{{\[\[}}0, -1, -1, -1], [1, -1, -1, 1], [-1, -1, -1, -1], [-1, 0, -1, -1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
// CHECK-NEXT:    snnhw.conv_unit @conv2 {in_channels = 2 : i64, in_height = 2 : i64, in_width = 2 : i64, out_channels = 2 : i64, out_height = 1 : i64, out_width = 1 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, columns = 1 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 6 : i64, shift = 2 : i64, bias = dense<[-1, -6]> : tensor<2xsi32>, input = @conv1_out, weights = @conv2_weights, output = @conv2_out}
// CHECK-NEXT:    snnhw.buffer @conv2_out {channels = 2 : i64, height = 1 : i64, width = 1 : i64, time_steps = 2 : i64, word_width = 1 : i64, depth = 4 : i64, role = "hidden"}
// CHECK-NEXT:    snnhw.pool_unit @pool1 {mode = "avg", channels = 2 : i64, in_height = 1 : i64, in_width = 1 : i64, out_height = 2 : i64, out_width = 2 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, time_steps = 2 : i64, input = @conv2_out, output = @pool1_out}
// CHECK-NEXT:    snnhw.buffer @pool1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
// CHECK-NEXT:    snnhw.rom @fc1_weights {data = dense<{{\[\[}}-1, -1, 0, 0], [0, 0, 0, 1], [0, 1, -1, -1], [1, 0, 0, 1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
// CHECK-NEXT:    snnhw.linear_unit @fc1 {input_parallelism = 2 : i64, in_features = 8 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[4, 1]> : tensor<2xsi32>, input = @pool1_out, weights = @fc1_weights, output = @logits}
// CHECK-NEXT:    snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 5 : i64}
// CHECK-NEXT:    snnhw.schedule [@conv1, @conv2, @pool1, @fc1] {stage_cycles = array<i64: 64, 21, 27, 19>, stage_overhead = array<i64: 16, 13, 11, 11>, cycles = 131 : i64}

// UNFUSED:       snnhw.conv_unit @conv1 {in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 4 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
// UNFUSED:       snnhw.pool_unit @pool1 {mode = "max", channels = 2 : i64, in_height = 4 : i64, in_width = 4 : i64, out_height = 2 : i64, out_width = 2 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>, time_steps = 2 : i64, input = @conv1_out, output = @pool1_out}
// UNFUSED:       snnhw.pool_unit @pool2 {mode = "avg", channels = 2 : i64, in_height = 1 : i64, in_width = 1 : i64, out_height = 2 : i64, out_width = 2 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, time_steps = 2 : i64, input = @conv2_out, output = @pool2_out}
// UNFUSED:       snnhw.schedule [@conv1, @pool1, @conv2, @pool2, @fc1] {stage_cycles = array<i64: 38, 27, 21, 27, 27>, stage_overhead = array<i64: 14, 11, 13, 11, 11>, cycles = 140 : i64}

// DEFAULT:       snnhw.conv_unit @conv1 {pool_mode = "max", pool_kernel = array<i64: 2, 2>, in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 4 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
// DEFAULT:       snnhw.conv_unit @conv2 {in_channels = 2 : i64, in_height = 2 : i64, in_width = 2 : i64, out_channels = 2 : i64, out_height = 1 : i64, out_width = 1 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, columns = 1 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 6 : i64, shift = 2 : i64, bias = dense<[-1, -6]> : tensor<2xsi32>, input = @conv1_out, weights = @conv2_weights, output = @conv2_out}
// DEFAULT:       snnhw.linear_unit @fc1 {in_features = 8 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[4, 1]> : tensor<2xsi32>, input = @pool1_out, weights = @fc1_weights, output = @logits}
// DEFAULT:       snnhw.schedule [@conv1, @conv2, @pool1, @fc1] {stage_cycles = array<i64: 40, 21, 27, 27>, stage_overhead = array<i64: 16, 13, 11, 11>, cycles = 115 : i64}

// The named pipeline to CIRCT: conv1 62 (2 groups x 4 rows x 6 + 12 + 2) + conv2 21 + pool1 27 + fc1 27 = 137.
// HW-LABEL: hw.module @net_conv1(
// HW-LABEL: hw.module @net(
// HW-SAME:    attributes {e3ne.cycles = 137 : i64, e3ne.top = "net"}

func.func @net(%x: tensor<1x1x4x4xf32>) -> tensor<1x2xsi5> {
  %0 = snn.encode %x {scale = 2 : i64, time_steps = 2 : i64} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xui2>
  %1 = snn.conv2d %0 {weight = dense<[[[[-1, -1, -1], [-1, 0, -1], [1, 1, 0]]], [[[1, 0, 1], [-1, 0, -1], [0, -1, 1]]]]> : tensor<2x1x3x3xsi3>, bias = dense<4> : tensor<2xsi32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, weight_scale = 2 : i64, input_scale = 2 : i64} : tensor<1x1x4x4xui2> -> tensor<1x2x4x4xsi5>
  %2 = snn.radix_neuron %1 {shift = 2 : i64, time_steps = 2 : i64, output_scale = 2 : i64} : tensor<1x2x4x4xsi5> -> tensor<1x2x4x4xui2>
  %3 = snn.max_pool2d %2 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x4x4xui2> -> tensor<1x2x2x2xui2>
  %4 = snn.conv2d %3 {weight = dense<[[[[0, -1], [1, -1]], [[-1, -1], [-1, 0]]], [[[-1, -1], [-1, 1]], [[-1, -1], [-1, -1]]]]> : tensor<2x2x2x2xsi3>, bias = dense<[-1, -6]> : tensor<2xsi32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, weight_scale = 2 : i64, input_scale = 2 : i64} : tensor<1x2x2x2xui2> -> tensor<1x2x1x1xsi6>
  %5 = snn.radix_neuron %4 {shift = 2 : i64, time_steps = 2 : i64, output_scale = 2 : i64} : tensor<1x2x1x1xsi6> -> tensor<1x2x1x1xui2>
  %6 = snn.avg_pool2d %5 {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x2x1x1xui2> -> tensor<1x2x2x2xui2>
  %7 = snn.flatten %6 : tensor<1x2x2x2xui2> -> tensor<1x8xui2>
  %8 = snn.linear %7 {weight = dense<[[-1, 0, 0, 0, 0, -1, 1, 0], [-1, 0, 0, 1, 1, -1, 0, 1]]> : tensor<2x8xsi3>, bias = dense<[4, 1]> : tensor<2xsi32>, weight_scale = 2 : i64, input_scale = 2 : i64} : tensor<1x8xui2> -> tensor<1x2xsi5>
  func.return %8 : tensor<1x2xsi5>
}
