// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{linear-parallelism=2}' | filecheck %s
// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{linear-parallelism=2}' | e3ne-opt | filecheck %s
// RUN: not e3ne-opt %S/Inputs/lif-per-channel-threshold.mlir -p 'lower-snn-to-snnhw' 2>&1 | filecheck %s --check-prefix=PERCHANNEL
// A rate-coded LIF MLP (docs/lif.md), 8 -> 4 -> 2, T = 4: the linear units get the LIF attributes
// (absent on radix units), accumulators sized for the membrane (docs/numerics.md §16), the
// radix schedule.
//
// fc1: per-step sums with or without bias lie in [-5, 11] (row 1: -2-1-1 - 1 = -5; row 0: 1+3+4+1+1 + 1 = 11),
// reset by subtraction of thr 4: membranes in [4*(-5-4), 4*11] = [-36, 44] -> 7 bits.
// fc2: [-2, 8], reset to zero: [-8, 32] -> 7 bits (6 bits hold only up to 31).
// Cycles: fc1 2 groups x 8 inputs x 4 steps + 9 (pipeline) + 4 planes = 77; fc2 1 x 4 x 4 + 9 + 2 logits = 27.

// CHECK:      snnhw.buffer @input {channels = 1 : i64, height = 1 : i64, width = 8 : i64, time_steps = 4 : i64, word_width = 8 : i64, depth = 4 : i64, role = "input"}
// CHECK:      snnhw.linear_unit @fc1 {neuron = "lif", lif_leak = 230 : i64, lif_leak_bits = 8 : i64, lif_threshold = 4 : i64, lif_reset = "subtract", in_features = 8 : i64, out_features = 4 : i64, parallelism = 2 : i64, time_steps = 4 : i64, weight_bits = 4 : i64, accumulator_width = 7 : i64, shift = 0 : i64, output_layer = 0 : i64
// CHECK:      snnhw.linear_unit @fc2 {neuron = "lif", lif_leak = 256 : i64, lif_leak_bits = 8 : i64, lif_threshold = 3 : i64, lif_reset = "zero", readout = "count", {{.*}} accumulator_width = 7 : i64, shift = 0 : i64, output_layer = 1 : i64
// CHECK:      snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 7 : i64}
// CHECK:      snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 77, 27>

// PERCHANNEL: per-channel beta or threshold is not built in hardware yet (one value per layer is)

func.func @lif(%x: tensor<1x8xf32>) -> tensor<1x2xsi4> {
  %0 = snn.rate_encode %x {time_steps = 4 : i64, seed = 3 : i64} : tensor<1x8xf32> -> tensor<1x8xui1>
  %1 = snn.linear %0 {weight = dense<[[1, -2, 3, 4, 0, 1, 1, -1], [2, 2, -3, 1, 0, -1, 1, 1], [-1, 0, 3, 2, 1, 1, -2, 0], [3, 1, 1, -4, 2, 0, 0, 1]]> : tensor<4x8xsi4>, bias = dense<[1, -1, 2, 0]> : tensor<4xsi32>, weight_scale = 2 : i64, input_scale = 0 : i64} : tensor<1x8xui1> -> tensor<1x4xsi6>
  %2 = snn.lif %1 {time_steps = 4 : i64, beta = dense<230> : tensor<1xsi32>, threshold = dense<4> : tensor<1xsi32>, reset = "subtract", output = "spikes", leak_bits = 8 : i64, scale = 2 : i64} : tensor<1x4xsi6> -> tensor<1x4xui1>
  %3 = snn.linear %2 {weight = dense<[[1, -2, 3, 4], [2, 1, -1, 1]]> : tensor<2x4xsi4>, bias = dense<[0, 1]> : tensor<2xsi32>, weight_scale = 2 : i64, input_scale = 0 : i64} : tensor<1x4xui1> -> tensor<1x2xsi5>
  %4 = snn.lif %3 {time_steps = 4 : i64, beta = dense<256> : tensor<1xsi32>, threshold = dense<3> : tensor<1xsi32>, reset = "zero", output = "spikes", leak_bits = 8 : i64, scale = 2 : i64} : tensor<1x2xsi5> -> tensor<1x2xui1>
  %5 = snn.readout %4 {time_steps = 4 : i64, reduce = "sum"} : tensor<1x2xui1> -> tensor<1x2xsi4>
  func.return %5 : tensor<1x2xsi4>
}
