// RUN: e3ne-opt %s | e3ne-opt | filecheck %s
// The time-stepped snn ops (docs/lif.md) print and parse back unchanged, in both forms.

// CHECK-LABEL: func.func @float_lif_mlp
// CHECK-NEXT:    %0 = snn.rate_encode %x {time_steps = 8 : i64, seed = 1 : i64} : tensor<1x4xf32> -> tensor<1x4xf32>
// CHECK-NEXT:    %1 = snn.linear %0
// CHECK-NEXT:    %2 = snn.lif %1 {time_steps = 8 : i64, beta = dense<9.000000e-01> : tensor<1xf32>, threshold = dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>, reset = "subtract", output = "spikes"} : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK-NEXT:    %3 = snn.readout %2 {time_steps = 8 : i64, reduce = "sum"} : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK-NEXT:    func.return %3 : tensor<1x2xf32>
func.func @float_lif_mlp(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %0 = snn.rate_encode %x {time_steps = 8 : i64, seed = 1 : i64} : tensor<1x4xf32> -> tensor<1x4xf32>
  %1 = snn.linear %0 {weight = dense<[[0.5, -0.25, 0.125, 1.0], [0.1, 0.2, 0.3, 0.4]]> : tensor<2x4xf32>} : tensor<1x4xf32> -> tensor<1x2xf32>
  %2 = snn.lif %1 {time_steps = 8 : i64, beta = dense<0.9> : tensor<1xf32>, threshold = dense<[1.0, 0.5]> : tensor<2xf32>, reset = "subtract", output = "spikes"} : tensor<1x2xf32> -> tensor<1x2xf32>
  %3 = snn.readout %2 {time_steps = 8 : i64, reduce = "sum"} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %3 : tensor<1x2xf32>
}

// Direct coding (snn.input every step), a conv IF layer (beta 1, reset to zero) and a membrane readout.
// CHECK-LABEL: func.func @float_if_cnn_membrane
// CHECK-NEXT:    %0 = snn.input %x : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
// CHECK-NEXT:    %1 = snn.conv2d %0
// CHECK-NEXT:    %2 = snn.lif %1 {time_steps = 4 : i64, beta = dense<1.000000e+00> : tensor<1xf32>, threshold = dense<1.000000e+00> : tensor<1xf32>, reset = "zero", output = "membrane"} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
// CHECK-NEXT:    %3 = snn.readout %2 {time_steps = 4 : i64, reduce = "last"} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
func.func @float_if_cnn_membrane(%x: tensor<1x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %0 = snn.input %x : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %1 = snn.conv2d %0 {weight = dense<0.5> : tensor<2x1x3x3xf32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x1x4x4xf32> -> tensor<1x2x4x4xf32>
  %2 = snn.lif %1 {time_steps = 4 : i64, beta = dense<1.0> : tensor<1xf32>, threshold = dense<1.0> : tensor<1xf32>, reset = "zero", output = "membrane"} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %3 = snn.readout %2 {time_steps = 4 : i64, reduce = "last"} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  func.return %3 : tensor<1x2x4x4xf32>
}

// The integer form: ui1 spikes, per-step si<W> currents, beta_q / 2^leak_bits, integer threshold.
// CHECK-LABEL: func.func @integer_lif_mlp
// CHECK-NEXT:    %0 = snn.rate_encode %x {time_steps = 8 : i64, seed = 7 : i64} : tensor<1x4xf32> -> tensor<1x4xui1>
// CHECK-NEXT:    %1 = snn.linear %0 {weight = dense<{{\[\[}}1, -2, 3, 4], [0, 1, 1, -1]]> : tensor<2x4xsi4>, bias = dense<[1, -1]> : tensor<2xsi32>, weight_scale = 2 : i64, input_scale = 0 : i64} : tensor<1x4xui1> -> tensor<1x2xsi5>
// CHECK-NEXT:    %2 = snn.lif %1 {time_steps = 8 : i64, beta = dense<230> : tensor<1xsi32>, threshold = dense<4> : tensor<1xsi32>, reset = "subtract", output = "spikes", leak_bits = 8 : i64, scale = 2 : i64} : tensor<1x2xsi5> -> tensor<1x2xui1>
// CHECK-NEXT:    %3 = snn.readout %2 {time_steps = 8 : i64, reduce = "sum"} : tensor<1x2xui1> -> tensor<1x2xsi5>
func.func @integer_lif_mlp(%x: tensor<1x4xf32>) -> tensor<1x2xsi5> {
  %0 = snn.rate_encode %x {time_steps = 8 : i64, seed = 7 : i64} : tensor<1x4xf32> -> tensor<1x4xui1>
  %1 = snn.linear %0 {weight = dense<[[1, -2, 3, 4], [0, 1, 1, -1]]> : tensor<2x4xsi4>, bias = dense<[1, -1]> : tensor<2xsi32>, weight_scale = 2 : i64, input_scale = 0 : i64} : tensor<1x4xui1> -> tensor<1x2xsi5>
  %2 = snn.lif %1 {time_steps = 8 : i64, beta = dense<230> : tensor<1xsi32>, threshold = dense<4> : tensor<1xsi32>, reset = "subtract", output = "spikes", leak_bits = 8 : i64, scale = 2 : i64} : tensor<1x2xsi5> -> tensor<1x2xui1>
  %3 = snn.readout %2 {time_steps = 8 : i64, reduce = "sum"} : tensor<1x2xui1> -> tensor<1x2xsi5>
  func.return %3 : tensor<1x2xsi5>
}
