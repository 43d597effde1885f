// RUN: e3ne-opt %s --split-input-file --verify-diagnostics | filecheck %s
// Every verifier rule of the time-stepped snn ops (docs/lif.md), one case each; the message states the rule.

// CHECK: Operation does not verify: reset must be one of subtract, zero, none, got "hard"
func.func @bad_reset(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.lif %x {time_steps = 4 : i64, beta = dense<0.9> : tensor<1xf32>, threshold = dense<1.0> : tensor<1xf32>, reset = "hard", output = "spikes"} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: output must be one of spikes, membrane, got "both"
func.func @bad_output(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.lif %x {time_steps = 4 : i64, beta = dense<0.9> : tensor<1xf32>, threshold = dense<1.0> : tensor<1xf32>, reset = "zero", output = "both"} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: time_steps must be in [1, 32], got 0
func.func @zero_steps(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.lif %x {time_steps = 0 : i64, beta = dense<0.9> : tensor<1xf32>, threshold = dense<1.0> : tensor<1xf32>, reset = "zero", output = "spikes"} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: beta must be in [0, 1], got [1.5, 1.5]
func.func @beta_above_one(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.lif %x {time_steps = 4 : i64, beta = dense<1.5> : tensor<1xf32>, threshold = dense<1.0> : tensor<1xf32>, reset = "zero", output = "spikes"} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: threshold must be positive, got minimum 0.0
func.func @zero_threshold(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.lif %x {time_steps = 4 : i64, beta = dense<0.5> : tensor<1xf32>, threshold = dense<0.0> : tensor<1xf32>, reset = "zero", output = "spikes"} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: beta must have 1 value or one per channel (2), got shape 3
func.func @beta_per_neuron_shape(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.lif %x {time_steps = 4 : i64, beta = dense<0.5> : tensor<3xf32>, threshold = dense<1.0> : tensor<1xf32>, reset = "zero", output = "spikes"} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: leak_bits belongs to the integer form (si<W> input)
func.func @float_with_leak_bits(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.lif %x {time_steps = 4 : i64, beta = dense<0.5> : tensor<1xf32>, threshold = dense<1.0> : tensor<1xf32>, reset = "zero", output = "spikes", leak_bits = 8 : i64} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: the integer snn.lif needs leak_bits (F of beta_q / 2^F)
func.func @integer_without_leak_bits(%x: tensor<1x2xsi8>) -> tensor<1x2xui1> {
  %0 = snn.lif %x {time_steps = 4 : i64, beta = dense<5> : tensor<1xsi32>, threshold = dense<3> : tensor<1xsi32>, reset = "zero", output = "spikes"} : tensor<1x2xsi8> -> tensor<1x2xui1>
  func.return %0 : tensor<1x2xui1>
}

// -----

// CHECK: Operation does not verify: beta_q must be in [0, 2^leak_bits = 16], got [17, 17]
func.func @beta_q_above_one(%x: tensor<1x2xsi8>) -> tensor<1x2xui1> {
  %0 = snn.lif %x {time_steps = 4 : i64, beta = dense<17> : tensor<1xsi32>, threshold = dense<3> : tensor<1xsi32>, reset = "zero", output = "spikes", leak_bits = 4 : i64} : tensor<1x2xsi8> -> tensor<1x2xui1>
  func.return %0 : tensor<1x2xui1>
}

// -----

// CHECK: Operation does not verify: an integer snn.lif with output = "spikes" gives ui1, got tensor<1x2xui4>
func.func @integer_spikes_type(%x: tensor<1x2xsi8>) -> tensor<1x2xui4> {
  %0 = snn.lif %x {time_steps = 4 : i64, beta = dense<16> : tensor<1xsi32>, threshold = dense<3> : tensor<1xsi32>, reset = "zero", output = "spikes", leak_bits = 4 : i64} : tensor<1x2xsi8> -> tensor<1x2xui4>
  func.return %0 : tensor<1x2xui4>
}

// -----

// CHECK: Operation does not verify: membrane width 8 can overflow: si8 currents over 4 steps need 11 bits
func.func @membrane_too_narrow(%x: tensor<1x2xsi8>) -> tensor<1x2xsi8> {
  %0 = snn.lif %x {time_steps = 4 : i64, beta = dense<16> : tensor<1xsi32>, threshold = dense<3> : tensor<1xsi32>, reset = "subtract", output = "membrane", leak_bits = 4 : i64} : tensor<1x2xsi8> -> tensor<1x2xsi8>
  func.return %0 : tensor<1x2xsi8>
}

// -----

// CHECK: Operation does not verify: seed must be in [1, 65535] (a nonzero 16-bit LFSR state), got 0
func.func @zero_seed(%x: tensor<1x2xf32>) -> tensor<1x2xui1> {
  %0 = snn.rate_encode %x {time_steps = 4 : i64, seed = 0 : i64} : tensor<1x2xf32> -> tensor<1x2xui1>
  func.return %0 : tensor<1x2xui1>
}

// -----

// CHECK: Operation does not verify: snn.rate_encode gives f32 (float form) or ui1 spikes, got tensor<1x2xui4>
func.func @rate_type(%x: tensor<1x2xf32>) -> tensor<1x2xui4> {
  %0 = snn.rate_encode %x {time_steps = 4 : i64, seed = 3 : i64} : tensor<1x2xf32> -> tensor<1x2xui4>
  func.return %0 : tensor<1x2xui4>
}

// -----

// CHECK: Operation does not verify: reduce must be one of sum, last, got "max"
func.func @bad_reduce(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %0 = snn.readout %x {time_steps = 4 : i64, reduce = "max"} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %0 : tensor<1x2xf32>
}

// -----

// CHECK: Operation does not verify: readout width 3 is too narrow: sum needs 4 bits
func.func @readout_too_narrow(%x: tensor<1x2xui1>) -> tensor<1x2xsi3> {
  %0 = snn.readout %x {time_steps = 4 : i64, reduce = "sum"} : tensor<1x2xui1> -> tensor<1x2xsi3>
  func.return %0 : tensor<1x2xsi3>
}
