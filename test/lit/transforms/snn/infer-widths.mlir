// RUN: e3ne-opt %s --split-input-file -p snn-infer-widths | filecheck %s

// T = 4, so activations are in [0, 15]. docs/numerics.md §10, per output channel:
// fc1 Wq = [[2, -1], [3, 1]], Bq = [6, -13]:
//   channel 0: partial sums in [-1 * 15, 2 * 15] = [-15, 30], final [-9, 36]
//   channel 1: partial sums in [0, 4 * 15] = [0, 60], final [-13, 47]
//   all values in [-15, 60] -> si7 ([-64, 63]); si6 ([-32, 31]) would overflow
// fc2 Wq = [[1, -1]], no bias: [-15, 15] -> si5 ([-16, 15])

// CHECK-LABEL: func.func @mlp(%x: tensor<1x2xf32>) -> tensor<1x1xsi5>
// CHECK-NEXT:    %0 = snn.encode %x {scale = 4 : i64, time_steps = 4 : i64} : tensor<1x2xf32> -> tensor<1x2xui4>
// CHECK-NEXT:    %1 = snn.linear %0 {weight = dense<{{\[\[}}2, -1], [3, 1]]> : tensor<2x2xsi4>, bias = dense<[6, -13]> : tensor<2xsi32>, weight_scale = 2 : i64, input_scale = 4 : i64} : tensor<1x2xui4> -> tensor<1x2xsi7>
// CHECK-NEXT:    %2 = snn.radix_neuron %1 {shift = 3 : i64, time_steps = 4 : i64, output_scale = 3 : i64} : tensor<1x2xsi7> -> tensor<1x2xui4>
// CHECK-NEXT:    %3 = snn.linear %2 {weight = dense<{{\[\[}}1, -1]]> : tensor<1x2xsi4>, weight_scale = 0 : i64, input_scale = 3 : i64} : tensor<1x2xui4> -> tensor<1x1xsi5>
// CHECK-NEXT:    func.return %3 : tensor<1x1xsi5>
func.func @mlp(%x: tensor<1x2xf32>) -> tensor<1x1xsi64> {
  %0 = snn.encode %x {scale = 4 : i64, time_steps = 4 : i64} : tensor<1x2xf32> -> tensor<1x2xui4>
  %1 = snn.linear %0 {weight = dense<[[2, -1], [3, 1]]> : tensor<2x2xsi4>, bias = dense<[6, -13]> : tensor<2xsi32>, weight_scale = 2 : i64, input_scale = 4 : i64} : tensor<1x2xui4> -> tensor<1x2xsi64>
  %2 = snn.radix_neuron %1 {shift = 3 : i64, time_steps = 4 : i64, output_scale = 3 : i64} : tensor<1x2xsi64> -> tensor<1x2xui4>
  %3 = snn.linear %2 {weight = dense<[[1, -1]]> : tensor<1x2xsi4>, weight_scale = 0 : i64, input_scale = 3 : i64} : tensor<1x2xui4> -> tensor<1x1xsi64>
  func.return %3 : tensor<1x1xsi64>
}

// -----

// conv 2x2 kernel of 7s on ui2 (T = 2, a in [0, 3]): [0, 4 * 7 * 3] = [0, 84] -> si8 ([-128, 127])
// fc Wq = [[-8]], Bq = [64], T = 2: partial sums in [-24, 0], final [40, 64]; with 0 -> [-24, 64] -> si8
// A bias larger than any product decides the width: conv2 Bq = [-1000] -> [-1000, 84 - 1000] -> si11

// CHECK-LABEL: func.func @cnn(%x: tensor<1x1x3x3xf32>) -> tensor<1x1xsi8>
// CHECK-NEXT:    %0 = snn.encode %x {scale = 3 : i64, time_steps = 2 : i64} : tensor<1x1x3x3xf32> -> tensor<1x1x3x3xui2>
// CHECK-NEXT:    %1 = snn.conv2d %0 {weight = dense<7> : tensor<1x1x2x2xsi4>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, weight_scale = 4 : i64, input_scale = 3 : i64} : tensor<1x1x3x3xui2> -> tensor<1x1x2x2xsi8>
// CHECK-NEXT:    %2 = snn.conv2d %0 {weight = dense<7> : tensor<1x1x2x2xsi4>, bias = dense<-1000> : tensor<1xsi32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, weight_scale = 4 : i64, input_scale = 3 : i64} : tensor<1x1x3x3xui2> -> tensor<1x1x2x2xsi11>
// CHECK-NEXT:    %3 = snn.radix_neuron %1 {shift = 3 : i64, time_steps = 2 : i64, output_scale = 4 : i64} : tensor<1x1x2x2xsi8> -> tensor<1x1x2x2xui2>
// CHECK-NEXT:    %4 = snn.max_pool2d %3 {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xui2> -> tensor<1x1x1x1xui2>
// CHECK-NEXT:    %5 = snn.flatten %4 : tensor<1x1x1x1xui2> -> tensor<1x1xui2>
// CHECK-NEXT:    %6 = snn.linear %5 {weight = dense<-8> : tensor<1x1xsi4>, bias = dense<64> : tensor<1xsi32>, weight_scale = 4 : i64, input_scale = 4 : i64} : tensor<1x1xui2> -> tensor<1x1xsi8>
// CHECK-NEXT:    func.return %6 : tensor<1x1xsi8>
func.func @cnn(%x: tensor<1x1x3x3xf32>) -> tensor<1x1xsi64> {
  %0 = snn.encode %x {scale = 3 : i64, time_steps = 2 : i64} : tensor<1x1x3x3xf32> -> tensor<1x1x3x3xui2>
  %1 = snn.conv2d %0 {weight = dense<7> : tensor<1x1x2x2xsi4>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, weight_scale = 4 : i64, input_scale = 3 : i64} : tensor<1x1x3x3xui2> -> tensor<1x1x2x2xsi64>
  %2 = snn.conv2d %0 {weight = dense<7> : tensor<1x1x2x2xsi4>, bias = dense<-1000> : tensor<1xsi32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, weight_scale = 4 : i64, input_scale = 3 : i64} : tensor<1x1x3x3xui2> -> tensor<1x1x2x2xsi64>
  %3 = snn.radix_neuron %1 {shift = 3 : i64, time_steps = 2 : i64, output_scale = 4 : i64} : tensor<1x1x2x2xsi64> -> tensor<1x1x2x2xui2>
  %4 = snn.max_pool2d %3 {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x2x2xui2> -> tensor<1x1x1x1xui2>
  %5 = snn.flatten %4 : tensor<1x1x1x1xui2> -> tensor<1x1xui2>
  %6 = snn.linear %5 {weight = dense<-8> : tensor<1x1xsi4>, bias = dense<64> : tensor<1xsi32>, weight_scale = 4 : i64, input_scale = 4 : i64} : tensor<1x1xui2> -> tensor<1x1xsi64>
  func.return %6 : tensor<1x1xsi64>
}
