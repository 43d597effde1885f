func.func @unfolded(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.input %x {calib_max = 1.0 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
  %1 = snn.linear %0 {weight = dense<[[0.5, -0.25], [0.75, 0.25]]> : tensor<2x2xf32>} : tensor<1x2xf32> -> tensor<1x2xf32>
  %2 = snn.batchnorm %1 {gamma = dense<1.0> : tensor<2xf32>, beta = dense<0.0> : tensor<2xf32>, mean = dense<0.0> : tensor<2xf32>, var = dense<1.0> : tensor<2xf32>, eps = 1.0e-05 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %2 : tensor<1x2xf32>
}
