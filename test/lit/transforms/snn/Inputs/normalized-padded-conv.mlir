func.func @padded(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x3x3xf32> {
  %0 = snn.input %x : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %1 = snn.conv2d %0 {weight = dense<[[[[1.0, -1.0], [0.5, 2.0]]]]> : tensor<1x1x2x2xf32>, bias = dense<1.0> : tensor<1xf32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
  func.return %1 : tensor<1x1x3x3xf32>
}
