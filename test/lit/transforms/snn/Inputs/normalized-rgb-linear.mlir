func.func @rgb(%x: tensor<1x3x1x2xf32>) -> tensor<1x1xf32> {
  %0 = snn.input %x : tensor<1x3x1x2xf32> -> tensor<1x3x1x2xf32>
  %1 = snn.flatten %0 : tensor<1x3x1x2xf32> -> tensor<1x6xf32>
  %2 = snn.linear %1 {weight = dense<1.0> : tensor<1x6xf32>, bias = dense<1.0> : tensor<1xf32>} : tensor<1x6xf32> -> tensor<1x1xf32>
  func.return %2 : tensor<1x1xf32>
}
