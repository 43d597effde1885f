// RUN: e3ne-opt %s -p snn-fold-batchnorm | filecheck %s
// RUN: not e3ne-opt %S/Inputs/batchnorm-after-relu.mlir -p snn-fold-batchnorm 2>&1 | filecheck %s --check-prefix=ERR

// docs/numerics.md §1: g = gamma / sqrt(var + eps), W' = W * g per output channel, B' = (B - mean) * g + beta.
// conv: g = [3 / sqrt(3 + 1), 0.5 / sqrt(0 + 1)] = [1.5, 0.5]
//   W' = [1 * 1.5, 2 * 0.5] = [1.5, 1.0]
//   B' = [(0.5 - 0.5) * 1.5 + 0.25, (-1 - 1) * 0.5 + 0] = [0.25, -1.0]

// CHECK-LABEL: func.func @conv_bn
// CHECK-NEXT:    %0 = snn.input %x : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
// CHECK-NEXT:    %1 = snn.conv2d %0 {weight = dense<{{\[\[\[\[}}1.500000e+00]]], {{\[\[\[}}1.000000e+00]]]]> : tensor<2x1x1x1xf32>, bias = dense<[2.500000e-01, -1.000000e+00]> : tensor<2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32> -> tensor<1x2x2x2xf32>
// CHECK-NEXT:    %2 = snn.relu %1 : tensor<1x2x2x2xf32> -> tensor<1x2x2x2xf32>
// CHECK-NEXT:    func.return %2 : tensor<1x2x2x2xf32>
// CHECK-NOT:     snn.batchnorm
func.func @conv_bn(%x: tensor<1x1x2x2xf32>) -> tensor<1x2x2x2xf32> {
  %0 = snn.input %x : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %1 = snn.conv2d %0 {weight = dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>, bias = dense<[0.5, -1.0]> : tensor<2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xf32> -> tensor<1x2x2x2xf32>
  %2 = snn.batchnorm %1 {gamma = dense<[3.0, 0.5]> : tensor<2xf32>, beta = dense<[0.25, 0.0]> : tensor<2xf32>, mean = dense<[0.5, 1.0]> : tensor<2xf32>, var = dense<[3.0, 0.0]> : tensor<2xf32>, eps = 1.0 : f32} : tensor<1x2x2x2xf32> -> tensor<1x2x2x2xf32>
  %3 = snn.relu %2 : tensor<1x2x2x2xf32> -> tensor<1x2x2x2xf32>
  func.return %3 : tensor<1x2x2x2xf32>
}

// Without a bias (B = 0): g = [1 / sqrt(0 + 1), 1 / sqrt(15 + 1)] = [1, 0.25]
//   W' = [[1, -2], [0.5 * 0.25, 4 * 0.25]] = [[1, -2], [0.125, 1]]
//   B' = [(0 - 1) * 1 + 0.5, (0 - 2) * 0.25 - 0.5] = [-0.5, -1.0]

// CHECK-LABEL: func.func @linear_bn_no_bias
// CHECK-NEXT:    %0 = snn.input %x : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK-NEXT:    %1 = snn.linear %0 {weight = dense<{{\[\[}}1.000000e+00, -2.000000e+00], [1.250000e-01, 1.000000e+00]]> : tensor<2x2xf32>, bias = dense<[-5.000000e-01, -1.000000e+00]> : tensor<2xf32>} : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK-NEXT:    func.return %1 : tensor<1x2xf32>
func.func @linear_bn_no_bias(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.input %x : tensor<1x2xf32> -> tensor<1x2xf32>
  %1 = snn.linear %0 {weight = dense<[[1.0, -2.0], [0.5, 4.0]]> : tensor<2x2xf32>} : tensor<1x2xf32> -> tensor<1x2xf32>
  %2 = snn.batchnorm %1 {gamma = dense<1.0> : tensor<2xf32>, beta = dense<[0.5, -0.5]> : tensor<2xf32>, mean = dense<[1.0, 2.0]> : tensor<2xf32>, var = dense<[0.0, 15.0]> : tensor<2xf32>, eps = 1.0 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %2 : tensor<1x2xf32>
}

// ERR: error: snn.batchnorm #2 in @bn_after_relu: batch norm must directly follow snn.conv2d or snn.linear to be folded, but its input comes from snn.relu
