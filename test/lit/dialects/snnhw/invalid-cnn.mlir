// RUN: e3ne-opt %s --split-input-file --verify-diagnostics | filecheck %s
// Conv and pool unit verifiers, and inconsistent parallelism attributes.

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 1 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 8 : i64, role = "input"}
  snnhw.rom @conv1_weights {data = dense<[[-1, -1, -1, 1, 0, 1], [-1, 0, -1, -1, 0, -1], [1, 1, 0, 0, -1, 1]]> : tensor<3x6xsi3>, word_width = 18 : i64, depth = 3 : i64, kind = "distributed"}
  snnhw.conv_unit @conv1 {pool_mode = "max", pool_kernel = array<i64: 2, 2>, in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 5 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
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
// CHECK: columns = 5 must be in [1, 4] (out_width)

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 1 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 8 : i64, role = "input"}
  snnhw.rom @conv1_weights {data = dense<[[-1, -1, -1, 1, 0, 1], [-1, 0, -1, -1, 0, -1], [1, 1, 0, 0, -1, 1]]> : tensor<3x6xsi3>, word_width = 18 : i64, depth = 3 : i64, kind = "distributed"}
  snnhw.conv_unit @conv1 {pool_mode = "max", pool_kernel = array<i64: 2, 2>, in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 2 : i64, channels = 2 : i64, units = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
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
// CHECK: channels x units = 2x2 must be in [1, 2] (out_channels)

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 1 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 8 : i64, role = "input"}
  snnhw.rom @conv1_weights {data = dense<[[-1, -1, -1, 1, 0, 1], [-1, 0, -1, -1, 0, -1], [1, 1, 0, 0, -1, 1]]> : tensor<3x6xsi3>, word_width = 18 : i64, depth = 3 : i64, kind = "distributed"}
  snnhw.conv_unit @conv1 {pool_mode = "max", pool_kernel = array<i64: 2, 2>, in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 2 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
  snnhw.buffer @conv1_out {channels = 2 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 16 : i64, role = "hidden"}
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
// CHECK: output buffer @conv1_out must be 2x2x2x2 (CxHxWxT), got 2x4x4x2

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 1 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 8 : i64, role = "input"}
  snnhw.rom @conv1_weights {data = dense<[[-1, -1, -1, 1, 0, 1], [-1, 0, -1, -1, 0, -1], [1, 1, 0, 0, -1, 1]]> : tensor<3x6xsi3>, word_width = 18 : i64, depth = 3 : i64, kind = "distributed"}
  snnhw.conv_unit @conv1 {pool_mode = "max", pool_kernel = array<i64: 2, 2>, in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 2 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
  snnhw.buffer @conv1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
  snnhw.rom @conv2_weights {data = dense<[[0, -1, -1, -1], [1, -1, -1, 1], [-1, -1, -1, -1], [-1, 0, -1, -1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.conv_unit @conv2 {in_channels = 2 : i64, in_height = 2 : i64, in_width = 2 : i64, out_channels = 2 : i64, out_height = 1 : i64, out_width = 1 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, columns = 1 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 6 : i64, shift = 2 : i64, bias = dense<[-1, -6]> : tensor<2xsi32>, input = @conv1_out, weights = @conv2_weights, output = @conv2_out}
  snnhw.buffer @conv2_out {channels = 2 : i64, height = 1 : i64, width = 1 : i64, time_steps = 2 : i64, word_width = 1 : i64, depth = 4 : i64, role = "hidden"}
  snnhw.pool_unit @pool1 {mode = "min", channels = 2 : i64, in_height = 1 : i64, in_width = 1 : i64, out_height = 2 : i64, out_width = 2 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, time_steps = 2 : i64, input = @conv2_out, output = @pool1_out}
  snnhw.buffer @pool1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
  snnhw.rom @fc1_weights {data = dense<[[-1, -1, 0, 0], [0, 0, 0, 1], [0, 1, -1, -1], [1, 0, 0, 1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.linear_unit @fc1 {input_parallelism = 2 : i64, in_features = 8 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[4, 1]> : tensor<2xsi32>, input = @pool1_out, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 5 : i64}
  snnhw.schedule [@conv1, @conv2, @pool1, @fc1] {stage_cycles = array<i64: 64, 21, 27, 19>, stage_overhead = array<i64: 16, 13, 11, 11>, cycles = 131 : i64}
}
// CHECK: PoolMode must be one of 'max', 'avg', got 'min'

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 1 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 8 : i64, role = "input"}
  snnhw.rom @conv1_weights {data = dense<[[-1, -1, -1, 1, 0, 1], [-1, 0, -1, -1, 0, -1], [1, 1, 0, 0, -1, 1]]> : tensor<3x6xsi3>, word_width = 18 : i64, depth = 3 : i64, kind = "distributed"}
  snnhw.conv_unit @conv1 {pool_mode = "max", in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 2 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
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
// CHECK: fused pooling needs both pool_mode and pool_kernel

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 1 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 8 : i64, role = "input"}
  snnhw.rom @conv1_weights {data = dense<[[-1, -1, -1, 1, 0, 1], [-1, 0, -1, -1, 0, -1], [1, 1, 0, 0, -1, 1]]> : tensor<3x6xsi3>, word_width = 18 : i64, depth = 3 : i64, kind = "distributed"}
  snnhw.conv_unit @conv1 {pool_mode = "max", pool_kernel = array<i64: 2, 2>, in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 2 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
  snnhw.buffer @conv1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
  snnhw.rom @conv2_weights {data = dense<[[0, -1, -1, -1], [1, -1, -1, 1], [-1, -1, -1, -1], [-1, 0, -1, -1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.conv_unit @conv2 {in_channels = 2 : i64, in_height = 2 : i64, in_width = 2 : i64, out_channels = 2 : i64, out_height = 1 : i64, out_width = 1 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, columns = 1 : i64, channels = 1 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 6 : i64, shift = 2 : i64, bias = dense<[-1, -6]> : tensor<2xsi32>, input = @conv1_out, weights = @conv2_weights, output = @conv2_out}
  snnhw.buffer @conv2_out {channels = 2 : i64, height = 1 : i64, width = 1 : i64, time_steps = 2 : i64, word_width = 1 : i64, depth = 4 : i64, role = "hidden"}
  snnhw.pool_unit @pool1 {mode = "avg", channels = 2 : i64, in_height = 1 : i64, in_width = 1 : i64, out_height = 2 : i64, out_width = 2 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, time_steps = 2 : i64, input = @conv2_out, output = @pool1_out}
  snnhw.buffer @pool1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
  snnhw.rom @fc1_weights {data = dense<[[-1, -1, 0, 0], [0, 0, 0, 1], [0, 1, -1, -1], [1, 0, 0, 1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.linear_unit @fc1 {input_parallelism = 2 : i64, in_features = 8 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[4, 1]> : tensor<2xsi32>, input = @pool1_out, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 5 : i64}
  snnhw.schedule [@conv1, @conv2, @pool1, @fc1] {stage_cycles = array<i64: 64, 21, 27, 19>, stage_overhead = array<i64: 16, 13, 11, 11>, cycles = 131 : i64}
}
// CHECK: weight ROM has 4 lanes, channels*units*kernel_w is 2

// -----

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
  snnhw.schedule [@conv1, @conv2, @pool1, @fc1] {stage_cycles = array<i64: 56, 20, 26, 18>, stage_overhead = array<i64: 13, 12, 10, 10>, cycles = 125 : i64}
}
// CHECK: stage @conv1 takes 64 cycles, schedule says 56

// -----

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
  snnhw.linear_unit @fc1 {input_parallelism = 3 : i64, in_features = 8 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[4, 1]> : tensor<2xsi32>, input = @pool1_out, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 5 : i64}
  snnhw.schedule [@conv1, @conv2, @pool1, @fc1] {stage_cycles = array<i64: 64, 21, 27, 19>, stage_overhead = array<i64: 16, 13, 11, 11>, cycles = 131 : i64}
}
// CHECK: input parallelism Q = 3 must be in [1, 2] (the input word width)

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 1 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 8 : i64, role = "input"}
  snnhw.rom @conv1_weights {data = dense<[[-1, -1, -1, 1, 0, 1], [-1, 0, -1, -1, 0, -1], [1, 1, 0, 0, -1, 1]]> : tensor<3x6xsi3>, word_width = 18 : i64, depth = 3 : i64, kind = "distributed"}
  snnhw.conv_unit @conv1 {pool_mode = "max", pool_kernel = array<i64: 2, 2>, in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 2 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
  snnhw.buffer @conv1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
  snnhw.rom @conv2_weights {data = dense<[[0, -1, -1, -1], [1, -1, -1, 1], [-1, -1, -1, -1], [-1, 0, -1, -1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.conv_unit @conv2 {in_channels = 2 : i64, in_height = 2 : i64, in_width = 2 : i64, out_channels = 2 : i64, out_height = 2 : i64, out_width = 1 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, columns = 1 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 6 : i64, shift = 2 : i64, bias = dense<[-1, -6]> : tensor<2xsi32>, input = @conv1_out, weights = @conv2_weights, output = @conv2_out}
  snnhw.buffer @conv2_out {channels = 2 : i64, height = 1 : i64, width = 1 : i64, time_steps = 2 : i64, word_width = 1 : i64, depth = 4 : i64, role = "hidden"}
  snnhw.pool_unit @pool1 {mode = "avg", channels = 2 : i64, in_height = 1 : i64, in_width = 1 : i64, out_height = 2 : i64, out_width = 2 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, time_steps = 2 : i64, input = @conv2_out, output = @pool1_out}
  snnhw.buffer @pool1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
  snnhw.rom @fc1_weights {data = dense<[[-1, -1, 0, 0], [0, 0, 0, 1], [0, 1, -1, -1], [1, 0, 0, 1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.linear_unit @fc1 {input_parallelism = 2 : i64, in_features = 8 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[4, 1]> : tensor<2xsi32>, input = @pool1_out, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 5 : i64}
  snnhw.schedule [@conv1, @conv2, @pool1, @fc1] {stage_cycles = array<i64: 64, 21, 27, 19>, stage_overhead = array<i64: 16, 13, 11, 11>, cycles = 131 : i64}
}
// CHECK: output 2x1 must be 1x1 for this kernel, stride and padding

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 1 : i64, height = 4 : i64, width = 4 : i64, time_steps = 2 : i64, word_width = 4 : i64, depth = 8 : i64, role = "input"}
  snnhw.rom @conv1_weights {data = dense<[[-1, -1, -1, 1, 0, 1], [-1, 0, -1, -1, 0, -1], [1, 1, 0, 0, -1, 1]]> : tensor<3x6xsi3>, word_width = 18 : i64, depth = 3 : i64, kind = "distributed"}
  snnhw.conv_unit @conv1 {pool_mode = "max", pool_kernel = array<i64: 2, 2>, in_channels = 1 : i64, in_height = 4 : i64, in_width = 4 : i64, out_channels = 2 : i64, out_height = 4 : i64, out_width = 4 : i64, kernel = array<i64: 3, 3>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, columns = 2 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 2 : i64, bias = dense<4> : tensor<2xsi32>, input = @input, weights = @conv1_weights, output = @conv1_out}
  snnhw.buffer @conv1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
  snnhw.rom @conv2_weights {data = dense<[[0, -1, -1, -1], [1, -1, -1, 1], [-1, -1, -1, -1], [-1, 0, -1, -1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.conv_unit @conv2 {in_channels = 2 : i64, in_height = 2 : i64, in_width = 2 : i64, out_channels = 2 : i64, out_height = 1 : i64, out_width = 1 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, columns = 1 : i64, channels = 2 : i64, units = 1 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 4 : i64, shift = 2 : i64, bias = dense<[-1, -6]> : tensor<2xsi32>, input = @conv1_out, weights = @conv2_weights, output = @conv2_out}
  snnhw.buffer @conv2_out {channels = 2 : i64, height = 1 : i64, width = 1 : i64, time_steps = 2 : i64, word_width = 1 : i64, depth = 4 : i64, role = "hidden"}
  snnhw.pool_unit @pool1 {mode = "avg", channels = 2 : i64, in_height = 1 : i64, in_width = 1 : i64, out_height = 2 : i64, out_width = 2 : i64, kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, time_steps = 2 : i64, input = @conv2_out, output = @pool1_out}
  snnhw.buffer @pool1_out {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "hidden"}
  snnhw.rom @fc1_weights {data = dense<[[-1, -1, 0, 0], [0, 0, 0, 1], [0, 1, -1, -1], [1, 0, 0, 1]]> : tensor<4x4xsi3>, word_width = 12 : i64, depth = 4 : i64, kind = "distributed"}
  snnhw.linear_unit @fc1 {input_parallelism = 2 : i64, in_features = 8 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 5 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[4, 1]> : tensor<2xsi32>, input = @pool1_out, weights = @fc1_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 5 : i64}
  snnhw.schedule [@conv1, @conv2, @pool1, @fc1] {stage_cycles = array<i64: 64, 21, 27, 19>, stage_overhead = array<i64: 16, 13, 11, 11>, cycles = 131 : i64}
}
// CHECK: accumulator width 4 can overflow
