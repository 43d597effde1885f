func.func @hidden_without_relu(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.input %x {calib_max = 1.0 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
  %1 = snn.linear %0 {weight = dense<[[0.5, -0.25], [0.75, 0.25]]> : tensor<2x2xf32>} : tensor<1x2xf32> -> tensor<1x2xf32>
  %2 = snn.linear %1 {weight = dense<[[0.5, -0.25], [0.75, 0.25]]> : tensor<2x2xf32>} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %2 : tensor<1x2xf32>
}
