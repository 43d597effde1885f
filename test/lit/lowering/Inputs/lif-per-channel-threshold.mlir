func.func @lif(%x: tensor<1x8xf32>) -> tensor<1x2xsi4> {
  %0 = snn.rate_encode %x {time_steps = 4 : i64, seed = 3 : i64} : tensor<1x8xf32> -> tensor<1x8xui1>
  %1 = snn.linear %0 {weight = dense<[[1, -2, 3, 4, 0, 1, 1, -1], [2, 2, -3, 1, 0, -1, 1, 1], [-1, 0, 3, 2, 1, 1, -2, 0], [3, 1, 1, -4, 2, 0, 0, 1]]> : tensor<4x8xsi4>, bias = dense<[1, -1, 2, 0]> : tensor<4xsi32>, weight_scale = 2 : i64, input_scale = 0 : i64} : tensor<1x8xui1> -> tensor<1x4xsi6>
  %2 = snn.lif %1 {time_steps = 4 : i64, beta = dense<230> : tensor<1xsi32>, threshold = dense<4> : tensor<1xsi32>, reset = "subtract", output = "spikes", leak_bits = 8 : i64, scale = 2 : i64} : tensor<1x4xsi6> -> tensor<1x4xui1>
  %3 = snn.linear %2 {weight = dense<[[1, -2, 3, 4], [2, 1, -1, 1]]> : tensor<2x4xsi4>, bias = dense<[0, 1]> : tensor<2xsi32>, weight_scale = 2 : i64, input_scale = 0 : i64} : tensor<1x4xui1> -> tensor<1x2xsi5>
  %4 = snn.lif %3 {time_steps = 4 : i64, beta = dense<256> : tensor<1xsi32>, threshold = dense<[3, 4]> : tensor<2xsi32>, reset = "zero", output = "spikes", leak_bits = 8 : i64, scale = 2 : i64} : tensor<1x2xsi5> -> tensor<1x2xui1>
  %5 = snn.readout %4 {time_steps = 4 : i64, reduce = "sum"} : tensor<1x2xui1> -> tensor<1x2xsi4>
  func.return %5 : tensor<1x2xsi4>
}
