// RUN: e3ne-opt %s --split-input-file --verify-diagnostics | filecheck %s
// Every snn verifier rule, one case each; the message states the rule.
// CHECK: Operation does not verify: kernel 3x3 does not fit input 2x2 (padding 0x0)
func.func @kernel_does_not_fit(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32> {
  %0 = snn.conv2d %x {weight = dense<1.0> : tensor<1x1x3x3xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  func.return %0 : tensor<1x1x1x1xf32>
}

// -----

// CHECK: Operation does not verify: result shape 1x2x3x3 should be 1x2x2x2
func.func @conv_result_shape(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x3x3xf32> {
  %0 = snn.conv2d %x {weight = dense<1.0> : tensor<2x1x3x3xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x2x3x3xf32>
  func.return %0 : tensor<1x2x3x3xf32>
}

// -----

// CHECK: Operation does not verify: weight expects 3 input channels, input has 1
func.func @conv_input_channels(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = snn.conv2d %x {weight = dense<1.0> : tensor<2x3x3x3xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}

// -----

// CHECK: Operation does not verify: input must have rank 4, got shape 1x16
func.func @conv_input_rank(%x: tensor<1x16xf32>) -> tensor<1x2x2x2xf32> {
  %0 = snn.conv2d %x {weight = dense<1.0> : tensor<2x1x3x3xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x16xf32> -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}

// -----

// CHECK: Operation does not verify: weight must have rank 4, got shape 2x9
func.func @conv_weight_rank(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = snn.conv2d %x {weight = dense<1.0> : tensor<2x9xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}

// -----

// CHECK: Operation does not verify: stride must be >= 1, got [0, 1]
func.func @conv_zero_stride(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = snn.conv2d %x {weight = dense<1.0> : tensor<2x1x3x3xf32>, stride = array<i64: 0, 1>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}

// -----

// CHECK: Operation does not verify: stride must have 2 values (height, width), got 1
func.func @conv_stride_pair(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %0 = snn.conv2d %x {weight = dense<1.0> : tensor<2x1x3x3xf32>, stride = array<i64: 1>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x2x2x2xf32>
  func.return %0 : tensor<1x2x2x2xf32>
}

// -----

// CHECK: Operation does not verify: bias shape 3 does not match 2 output channels
func.func @bias_shape(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %0 = snn.linear %x {weight = dense<1.0> : tensor<2x4xf32>, bias = dense<0.0> : tensor<3xf32>} : tensor<1x4xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: weight expects 3 input features, input has 4
func.func @linear_features(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %0 = snn.linear %x {weight = dense<1.0> : tensor<2x3xf32>} : tensor<1x4xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: result shape 1x3 should be 1x2
func.func @linear_result_shape(%x: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %0 = snn.linear %x {weight = dense<1.0> : tensor<2x4xf32>} : tensor<1x4xf32> -> tensor<1x3xf32>
  func.return %0 : tensor<1x3xf32>
}

// -----

// CHECK: Operation does not verify: a float layer needs f32 weights and an f32 result
func.func @float_layer_integer_weights(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %0 = snn.linear %x {weight = dense<1> : tensor<2x4xsi4>} : tensor<1x4xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: a float layer needs an f32 bias
func.func @float_layer_integer_bias(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %0 = snn.linear %x {weight = dense<1.0> : tensor<2x4xf32>, bias = dense<1> : tensor<2xsi32>} : tensor<1x4xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: weight_scale/input_scale belong to the quantized form (integer input)
func.func @float_layer_with_scales(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %0 = snn.linear %x {weight = dense<1.0> : tensor<2x4xf32>, weight_scale = 1, input_scale = 1} : tensor<1x4xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: input must be f32 or unsigned T-bit activations (ui<T>), got tensor<1x4xsi4>
func.func @signed_input(%x: tensor<1x4xsi4>) -> tensor<1x2xsi16> {
  %0 = snn.linear %x {weight = dense<1> : tensor<2x4xsi4>, weight_scale = 1, input_scale = 1} : tensor<1x4xsi4> -> tensor<1x2xsi16>
  func.return %0 : tensor<1x2xsi16>
}

// -----

// CHECK: Operation does not verify: time_steps must be in [1, 16], got 17
func.func @too_many_time_steps(%x: tensor<1x4xui17>) -> tensor<1x2xsi32> {
  %0 = snn.linear %x {weight = dense<1> : tensor<2x4xsi4>, weight_scale = 1, input_scale = 1} : tensor<1x4xui17> -> tensor<1x2xsi32>
  func.return %0 : tensor<1x2xsi32>
}

// -----

// CHECK: Operation does not verify: quantized weights must be signed integers (si<b>), got ui4
func.func @unsigned_weights(%x: tensor<1x4xui4>) -> tensor<1x2xsi16> {
  %0 = snn.linear %x {weight = dense<1> : tensor<2x4xui4>, weight_scale = 1, input_scale = 1} : tensor<1x4xui4> -> tensor<1x2xsi16>
  func.return %0 : tensor<1x2xsi16>
}

// -----

// CHECK: Operation does not verify: weight bits must be in [2, 16], got 1
func.func @weight_bits_range(%x: tensor<1x4xui4>) -> tensor<1x2xsi16> {
  %0 = snn.linear %x {weight = dense<-1> : tensor<2x4xsi1>, weight_scale = 1, input_scale = 1} : tensor<1x4xui4> -> tensor<1x2xsi16>
  func.return %0 : tensor<1x2xsi16>
}

// -----

// CHECK: Operation does not verify: quantized bias must be si32, got si16
func.func @bias_not_si32(%x: tensor<1x4xui4>) -> tensor<1x2xsi16> {
  %0 = snn.linear %x {weight = dense<1> : tensor<2x4xsi4>, bias = dense<1> : tensor<2xsi16>, weight_scale = 1, input_scale = 1} : tensor<1x4xui4> -> tensor<1x2xsi16>
  func.return %0 : tensor<1x2xsi16>
}

// -----

// CHECK: Operation does not verify: the quantized form needs weight_scale (s_w) and input_scale (s_in)
func.func @missing_scales(%x: tensor<1x4xui4>) -> tensor<1x2xsi16> {
  %0 = snn.linear %x {weight = dense<1> : tensor<2x4xsi4>, weight_scale = 1} : tensor<1x4xui4> -> tensor<1x2xsi16>
  func.return %0 : tensor<1x2xsi16>
}

// -----

// CHECK: Operation does not verify: result must hold signed accumulator values (si<W>), got tensor<1x2xui16>
func.func @unsigned_accumulator(%x: tensor<1x4xui4>) -> tensor<1x2xui16> {
  %0 = snn.linear %x {weight = dense<1> : tensor<2x4xsi4>, weight_scale = 1, input_scale = 1} : tensor<1x4xui4> -> tensor<1x2xui16>
  func.return %0 : tensor<1x2xui16>
}

// -----

// CHECK: Operation does not verify: accumulator width 65 exceeds 64 bits
func.func @accumulator_too_wide(%x: tensor<1x4xui4>) -> tensor<1x2xsi65> {
  %0 = snn.linear %x {weight = dense<1> : tensor<2x4xsi4>, weight_scale = 1, input_scale = 1} : tensor<1x4xui4> -> tensor<1x2xsi65>
  func.return %0 : tensor<1x2xsi65>
}

// -----

// CHECK: Operation does not verify: accumulator width 10 can overflow: values reach [0, 520], which needs 11 bits
func.func @accumulator_overflow(%x: tensor<1x4xui4>) -> tensor<1x2xsi10> {
  %0 = snn.linear %x {weight = dense<7> : tensor<2x4xsi4>, bias = dense<100> : tensor<2xsi32>, weight_scale = 1, input_scale = 1} : tensor<1x4xui4> -> tensor<1x2xsi10>
  func.return %0 : tensor<1x2xsi10>
}

// -----

// CHECK: Operation does not verify: time_steps must be in [1, 16], got 0
func.func @encode_time_steps(%x: tensor<1x2xf32>) -> tensor<1x2xui4> {
  %0 = snn.encode %x {scale = 4, time_steps = 0} : tensor<1x2xf32> -> tensor<1x2xui4>
  func.return %0 : tensor<1x2xui4>
}

// -----

// CHECK: Operation does not verify: snn.encode takes f32 input, got tensor<1x2xui4>
func.func @encode_integer_input(%x: tensor<1x2xui4>) -> tensor<1x2xui4> {
  %0 = snn.encode %x {scale = 4, time_steps = 4} : tensor<1x2xui4> -> tensor<1x2xui4>
  func.return %0 : tensor<1x2xui4>
}

// -----

// CHECK: Operation does not verify: result must be ui4 activations for time_steps = 4
func.func @encode_result_width(%x: tensor<1x2xf32>) -> tensor<1x2xui8> {
  %0 = snn.encode %x {scale = 4, time_steps = 4} : tensor<1x2xf32> -> tensor<1x2xui8>
  func.return %0 : tensor<1x2xui8>
}

// -----

// CHECK: Operation does not verify: result shape 1x3 must equal input shape 1x2
func.func @encode_shape(%x: tensor<1x2xf32>) -> tensor<1x3xui4> {
  %0 = snn.encode %x {scale = 4, time_steps = 4} : tensor<1x2xf32> -> tensor<1x3xui4>
  func.return %0 : tensor<1x3xui4>
}

// -----

// CHECK: Operation does not verify: gamma must have 3 values, got shape 2
func.func @batchnorm_params(%x: tensor<1x3xf32>) -> tensor<1x3xf32> {
  %0 = snn.batchnorm %x {gamma = dense<1.0> : tensor<2xf32>, beta = dense<0.0> : tensor<2xf32>, mean = dense<0.0> : tensor<2xf32>, var = dense<1.0> : tensor<2xf32>, eps = 1.0e-05 : f32} : tensor<1x3xf32> -> tensor<1x3xf32>
  func.return %0 : tensor<1x3xf32>
}

// -----

// CHECK: Operation does not verify: eps must be positive, got 0.0
func.func @batchnorm_eps(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.batchnorm %x {gamma = dense<1.0> : tensor<2xf32>, beta = dense<0.0> : tensor<2xf32>, mean = dense<0.0> : tensor<2xf32>, var = dense<1.0> : tensor<2xf32>, eps = 0.0 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: batchnorm input must be NC or NCHW, got shape 1x2x3
func.func @batchnorm_rank(%x: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  %0 = snn.batchnorm %x {gamma = dense<1.0> : tensor<2xf32>, beta = dense<0.0> : tensor<2xf32>, mean = dense<0.0> : tensor<2xf32>, var = dense<1.0> : tensor<2xf32>, eps = 1.0e-05 : f32} : tensor<1x2x3xf32> -> tensor<1x2x3xf32>
  func.return %0 : tensor<1x2x3xf32>
}

// -----

// CHECK: Operation does not verify: snn.relu works on f32 tensors, got tensor<1x2xsi8>
func.func @relu_integer(%x: tensor<1x2xsi8>) -> tensor<1x2xsi8> {
  %0 = snn.relu %x : tensor<1x2xsi8> -> tensor<1x2xsi8>
  func.return %0 : tensor<1x2xsi8>
}

// -----

// CHECK: Operation does not verify: result shape 2x2 must equal input shape 1x2
func.func @input_shape(%x: tensor<1x2xf32>) -> tensor<2x2xf32> {
  %0 = snn.input %x : tensor<1x2xf32> -> tensor<2x2xf32>
  func.return %0 : tensor<2x2xf32>
}

// -----

// CHECK: Operation does not verify: snn.radix_neuron takes signed accumulator values, got tensor<1x2xui8>
func.func @neuron_unsigned_input(%x: tensor<1x2xui8>) -> tensor<1x2xui4> {
  %0 = snn.radix_neuron %x {shift = 1, time_steps = 4, output_scale = 4} : tensor<1x2xui8> -> tensor<1x2xui4>
  func.return %0 : tensor<1x2xui4>
}

// -----

// CHECK: Operation does not verify: result must be ui4 activations for time_steps = 4
func.func @neuron_result_width(%x: tensor<1x2xsi8>) -> tensor<1x2xui3> {
  %0 = snn.radix_neuron %x {shift = 1, time_steps = 4, output_scale = 4} : tensor<1x2xsi8> -> tensor<1x2xui3>
  func.return %0 : tensor<1x2xui3>
}

// -----

// CHECK: Operation does not verify: shift 63 is out of range [-62, 62]
func.func @neuron_shift_range(%x: tensor<1x2xsi8>) -> tensor<1x2xui4> {
  %0 = snn.radix_neuron %x {shift = 63, time_steps = 4, output_scale = 4} : tensor<1x2xsi8> -> tensor<1x2xui4>
  func.return %0 : tensor<1x2xui4>
}

// -----

// CHECK: Operation does not verify: time_steps must be in [1, 16], got 20
func.func @neuron_time_steps(%x: tensor<1x2xsi8>) -> tensor<1x2xui20> {
  %0 = snn.radix_neuron %x {shift = 1, time_steps = 20, output_scale = 4} : tensor<1x2xsi8> -> tensor<1x2xui20>
  func.return %0 : tensor<1x2xui20>
}

// -----

// CHECK: Operation does not verify: pool window 3x3 does not fit input 2x2 (padding 0x0)
func.func @pool_window_does_not_fit(%x: tensor<1x1x2x2xui4>) -> tensor<1x1x1x1xui4> {
  %0 = snn.max_pool2d %x {kernel = array<i64: 3, 3>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xui4> -> tensor<1x1x1x1xui4>
  func.return %0 : tensor<1x1x1x1xui4>
}

// -----

// CHECK: Operation does not verify: padding 2x2 must be at most half the kernel 2x2
func.func @pool_padding(%x: tensor<1x1x4x4xui4>) -> tensor<1x1x4x4xui4> {
  %0 = snn.avg_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 2, 2>} : tensor<1x1x4x4xui4> -> tensor<1x1x4x4xui4>
  func.return %0 : tensor<1x1x4x4xui4>
}

// -----

// CHECK: Operation does not verify: pooling keeps the element type
func.func @pool_element_type(%x: tensor<1x1x4x4xui4>) -> tensor<1x1x2x2xui8> {
  %0 = snn.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xui4> -> tensor<1x1x2x2xui8>
  func.return %0 : tensor<1x1x2x2xui8>
}

// -----

// CHECK: Operation does not verify: pooling takes f32 or ui<T> activations, got tensor<1x1x4x4xsi8>
func.func @pool_signed(%x: tensor<1x1x4x4xsi8>) -> tensor<1x1x2x2xsi8> {
  %0 = snn.max_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xsi8> -> tensor<1x1x2x2xsi8>
  func.return %0 : tensor<1x1x2x2xsi8>
}

// -----

// CHECK: Operation does not verify: result shape 1x1x3x3 should be 1x1x2x2
func.func @pool_result_shape(%x: tensor<1x1x4x4xui4>) -> tensor<1x1x3x3xui4> {
  %0 = snn.avg_pool2d %x {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xui4> -> tensor<1x1x3x3xui4>
  func.return %0 : tensor<1x1x3x3xui4>
}

// -----

// CHECK: Operation does not verify: kernel must be >= 1, got [0, 2]
func.func @pool_kernel_zero(%x: tensor<1x1x4x4xui4>) -> tensor<1x1x2x2xui4> {
  %0 = snn.max_pool2d %x {kernel = array<i64: 0, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xui4> -> tensor<1x1x2x2xui4>
  func.return %0 : tensor<1x1x2x2xui4>
}

// -----

// CHECK: Operation does not verify: result shape 1x8 should be 1x16
func.func @flatten_shape(%x: tensor<1x1x4x4xui4>) -> tensor<1x8xui4> {
  %0 = snn.flatten %x : tensor<1x1x4x4xui4> -> tensor<1x8xui4>
  func.return %0 : tensor<1x8xui4>
}

// -----

// CHECK: Operation does not verify: flatten keeps the element type
func.func @flatten_element_type(%x: tensor<1x1x4x4xui4>) -> tensor<1x16xf32> {
  %0 = snn.flatten %x : tensor<1x1x4x4xui4> -> tensor<1x16xf32>
  func.return %0 : tensor<1x16xf32>
}

// -----

// CHECK: Operation does not verify: snn.layer_input takes unsigned T-bit activations (ui<T>), got tensor<1x4xf32>
func.func @layer_input_float(%x: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = snn.layer_input %x : tensor<1x4xf32> -> tensor<1x4xf32>
  func.return %0 : tensor<1x4xf32>
}

// -----

// CHECK: Operation does not verify: result type tensor<1x4xui3> must equal the input type tensor<1x4xui2>
func.func @layer_input_type(%x: tensor<1x4xui2>) -> tensor<1x4xui3> {
  %0 = snn.layer_input %x : tensor<1x4xui2> -> tensor<1x4xui3>
  func.return %0 : tensor<1x4xui3>
}

// -----

// CHECK: Operation does not verify: row_width applies to flat (N, F) inputs, got shape 1x1x2x2
func.func @layer_input_row_width(%x: tensor<1x1x2x2xui2>) -> tensor<1x1x2x2xui2> {
  %0 = snn.layer_input %x {row_width = 2 : i64} : tensor<1x1x2x2xui2> -> tensor<1x1x2x2xui2>
  func.return %0 : tensor<1x1x2x2xui2>
}
