// RUN: e3ne-opt %s -p 'snn-quantize{weight-bits=4 sigma=3},snn-infer-widths' | filecheck %s
// RUN: e3ne-opt %s -p 'snn-quantize{weight-bits=4 sigma=3 leak-bits=6},snn-infer-widths' | filecheck %s --check-prefix=F6
// snn-quantize on a rate-coded LIF MLP (docs/numerics.md §14), T = 4 from the IR.
//
// fc1: W = +-0.5, mu = 0, sigma = sqrt(1/3): |mu| + 3 sigma = 1.73 -> s_w = 4 - 1 - ceil(log2 1.73) = 2,
//      Wq = +-2, Bq = round(0.25 * 2^(2+0)) = 1 (spikes have scale 0); thr_q = round(1.0 * 2^2) = 4,
//      beta_q = round(0.9 * 2^8) = 230 (F = 6: round(57.6) = 58). Per-step sums in [-2, 3]: si3.
// fc2: W = +-1, sigma = sqrt(2): 4.24 -> s_w = 4 - 1 - 3 = 0, Wq = +-1, thr_q = 2, sums in [-1, 1]: si2.
// Readout: a count of 0..4 spikes: si4.

// CHECK:      %0 = snn.rate_encode %x {time_steps = 4 : i64, seed = 2 : i64} : tensor<1x2xf32> -> tensor<1x2xui1>
// CHECK-NEXT: %1 = snn.linear %0 {weight = dense<{{\[\[}}2, -2], [2, -2]]> : tensor<2x2xsi4>, bias = dense<1> : tensor<2xsi32>, weight_scale = 2 : i64, input_scale = 0 : i64} : tensor<1x2xui1> -> tensor<1x2xsi3>
// CHECK-NEXT: %2 = snn.lif %1 {time_steps = 4 : i64, reset = "subtract", output = "spikes", beta = dense<230> : tensor<1xsi32>, threshold = dense<4> : tensor<1xsi32>, leak_bits = 8 : i64, scale = 2 : i64} : tensor<1x2xsi3> -> tensor<1x2xui1>
// CHECK-NEXT: %3 = snn.linear %2 {weight = dense<{{\[\[}}1, -1]]> : tensor<1x2xsi4>, weight_scale = 0 : i64, input_scale = 0 : i64} : tensor<1x2xui1> -> tensor<1x1xsi2>
// CHECK-NEXT: %4 = snn.lif %3 {time_steps = 4 : i64, reset = "zero", output = "spikes", beta = dense<256> : tensor<1xsi32>, threshold = dense<2> : tensor<1xsi32>, leak_bits = 8 : i64, scale = 0 : i64} : tensor<1x1xsi2> -> tensor<1x1xui1>
// CHECK-NEXT: %5 = snn.readout %4 {time_steps = 4 : i64, reduce = "sum"} : tensor<1x1xui1> -> tensor<1x1xsi4>
// CHECK-NEXT: func.return %5 : tensor<1x1xsi4>

// F6: beta = dense<58> : tensor<1xsi32>, threshold = dense<4> : tensor<1xsi32>, leak_bits = 6 : i64
// F6: beta = dense<64> : tensor<1xsi32>, threshold = dense<2> : tensor<1xsi32>, leak_bits = 6 : i64

func.func @lif(%x: tensor<1x2xf32>) -> tensor<1x1xf32> {
  %0 = snn.rate_encode %x {time_steps = 4 : i64, seed = 2 : i64} : tensor<1x2xf32> -> tensor<1x2xf32>
  %1 = snn.linear %0 {weight = dense<[[0.5, -0.5], [0.5, -0.5]]> : tensor<2x2xf32>, bias = dense<0.25> : tensor<2xf32>} : tensor<1x2xf32> -> tensor<1x2xf32>
  %2 = snn.lif %1 {time_steps = 4 : i64, beta = dense<0.9> : tensor<1xf32>, threshold = dense<1.0> : tensor<1xf32>, reset = "subtract", output = "spikes"} : tensor<1x2xf32> -> tensor<1x2xf32>
  %3 = snn.linear %2 {weight = dense<[[1.0, -1.0]]> : tensor<1x2xf32>} : tensor<1x2xf32> -> tensor<1x1xf32>
  %4 = snn.lif %3 {time_steps = 4 : i64, beta = dense<1.0> : tensor<1xf32>, threshold = dense<2.0> : tensor<1xf32>, reset = "zero", output = "spikes"} : tensor<1x1xf32> -> tensor<1x1xf32>
  %5 = snn.readout %4 {time_steps = 4 : i64, reduce = "sum"} : tensor<1x1xf32> -> tensor<1x1xf32>
  func.return %5 : tensor<1x1xf32>
}
