// RUN: e3ne-opt %s --split-input-file -p 'snn-quantize{time-steps=4 weight-bits=4 sigma=3}' | filecheck %s
// RUN: not e3ne-opt %S/Inputs/uncalibrated.mlir -p snn-quantize 2>&1 | filecheck %s --check-prefix=NOCALIB
// RUN: not e3ne-opt %S/Inputs/hidden-without-relu.mlir -p snn-quantize 2>&1 | filecheck %s --check-prefix=NORELU
// RUN: not e3ne-opt %S/Inputs/unfolded-batchnorm.mlir -p snn-quantize 2>&1 | filecheck %s --check-prefix=BN

// T = 4, b = 4, r = 3, values by hand from docs/numerics.md:
// input: m = 0.75 -> s_in0 = 4 - ceil(log2 0.75) = 4
// fc1: W = [[0.5, -0.25], [0.75, 0.25]]: mu = 0.3125, sigma = sqrt(0.546875 / 3) = 0.42696,
//      |mu| + 3 sigma = 1.5934 -> s_w = 4 - 1 - ceil(log2 1.5934) = 2; Wq = round(4 W) = [[2, -1], [3, 1]]
//      Bq = round([0.1, -0.2] * 2^(2 + 4)) = round([6.4, -12.8]) = [6, -13]
// relu: m = 1.5 -> s_out = 4 - 1 = 3; shift = s_w + s_in - s_out = 2 + 4 - 3 = 3
// fc2 (output): W = [[1, -1]]: mu = 0, sigma = sqrt(2) -> 4.243 -> s_w = 3 - 3 = 0; Wq = [[1, -1]], s_in = 3

// CHECK-LABEL: func.func @mlp(%x: tensor<1x2xf32>) -> tensor<1x1xsi64>
// CHECK-NEXT:    %0 = snn.encode %x {scale = 4 : i64, time_steps = 4 : i64} : tensor<1x2xf32> -> tensor<1x2xui4>
// CHECK-NEXT:    %1 = snn.linear %0 {weight = dense<{{\[\[}}2, -1], [3, 1]]> : tensor<2x2xsi4>, bias = dense<[6, -13]> : tensor<2xsi32>, weight_scale = 2 : i64, input_scale = 4 : i64} : tensor<1x2xui4> -> tensor<1x2xsi64>
// CHECK-NEXT:    %2 = snn.radix_neuron %1 {shift = 3 : i64, time_steps = 4 : i64, output_scale = 3 : i64} : tensor<1x2xsi64> -> tensor<1x2xui4>
// CHECK-NEXT:    %3 = snn.linear %2 {weight = dense<{{\[\[}}1, -1]]> : tensor<1x2xsi4>, weight_scale = 0 : i64, input_scale = 3 : i64} : tensor<1x2xui4> -> tensor<1x1xsi64>
// CHECK-NEXT:    func.return %3 : tensor<1x1xsi64>
func.func @mlp(%x: tensor<1x2xf32>) -> tensor<1x1xf32> {
  %0 = snn.input %x {calib_max = 0.75 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
  %1 = snn.linear %0 {weight = dense<[[0.5, -0.25], [0.75, 0.25]]> : tensor<2x2xf32>, bias = dense<[0.1, -0.2]> : tensor<2xf32>} : tensor<1x2xf32> -> tensor<1x2xf32>
  %2 = snn.relu %1 {calib_max = 1.5 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
  %3 = snn.linear %2 {weight = dense<[[1.0, -1.0]]> : tensor<1x2xf32>} : tensor<1x2xf32> -> tensor<1x1xf32>
  func.return %3 : tensor<1x1xf32>
}

// -----

// input: m = 2 -> s_in0 = 4 - 1 = 3
// conv: W = 0.5 everywhere: sigma = 0, |mu| = 0.5 -> s_w = 3 - ceil(log2 0.5) = 4; 0.5 * 16 = 8 saturates to 7
// relu: m = 0 -> s_out = T = 4; shift = 4 + 3 - 4 = 3
// max pool and flatten keep s = 4 and become ui4
// fc: W = [[-0.5]] (one weight: sigma = 0) -> s_w = 4, Wq = -8; Bq = round(0.25 * 2^(4 + 4)) = 64

// CHECK-LABEL: func.func @cnn(%x: tensor<1x1x3x3xf32>) -> tensor<1x1xsi64>
// CHECK-NEXT:    %0 = snn.encode %x {scale = 3 : i64, time_steps = 4 : i64} : tensor<1x1x3x3xf32> -> tensor<1x1x3x3xui4>
// CHECK-NEXT:    %1 = snn.conv2d %0 {weight = dense<7> : tensor<1x1x2x2xsi4>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, weight_scale = 4 : i64, input_scale = 3 : i64} : tensor<1x1x3x3xui4> -> tensor<1x1x2x2xsi64>
// CHECK-NEXT:    %2 = snn.radix_neuron %1 {shift = 3 : i64, time_steps = 4 : i64, output_scale = 4 : i64} : tensor<1x1x2x2xsi64> -> tensor<1x1x2x2xui4>
// CHECK-NEXT:    %3 = snn.max_pool2d %2 {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xui4> -> tensor<1x1x1x1xui4>
// CHECK-NEXT:    %4 = snn.flatten %3 : tensor<1x1x1x1xui4> -> tensor<1x1xui4>
// CHECK-NEXT:    %5 = snn.linear %4 {weight = dense<-8> : tensor<1x1xsi4>, bias = dense<64> : tensor<1xsi32>, weight_scale = 4 : i64, input_scale = 4 : i64} : tensor<1x1xui4> -> tensor<1x1xsi64>
// CHECK-NEXT:    func.return %5 : tensor<1x1xsi64>
func.func @cnn(%x: tensor<1x1x3x3xf32>) -> tensor<1x1xf32> {
  %0 = snn.input %x {calib_max = 2.0 : f32} : tensor<1x1x3x3xf32> -> tensor<1x1x3x3xf32>
  %1 = snn.conv2d %0 {weight = dense<0.5> : tensor<1x1x2x2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x3x3xf32> -> tensor<1x1x2x2xf32>
  %2 = snn.relu %1 {calib_max = 0.0 : f32} : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %3 = snn.max_pool2d %2 {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  %4 = snn.flatten %3 : tensor<1x1x1x1xf32> -> tensor<1x1xf32>
  %5 = snn.linear %4 {weight = dense<-0.5> : tensor<1x1xf32>, bias = dense<0.25> : tensor<1xf32>} : tensor<1x1xf32> -> tensor<1x1xf32>
  func.return %5 : tensor<1x1xf32>
}

// NOCALIB: error: snn.relu #2 in @uncalibrated: no calib_max: run snn-calibrate (or calibrate()) before snn-quantize
// NORELU: error: snn.linear #1 in @hidden_without_relu: a hidden compute layer must be followed by snn.relu (only the last layer may return its values)
// BN: error: snn.batchnorm #2 in @unfolded: batch norm left in the network: run snn-fold-batchnorm first
