// RUN: e3ne-opt %s | e3ne-opt | filecheck %s
// Both forms of the snn dialect print and parse back unchanged.

// CHECK-LABEL: func.func @float_mlp
// CHECK-NEXT:    %0 = snn.input %x {calib_max = 1.000000e+00 : f32} : tensor<1x4xf32> -> tensor<1x4xf32>
// CHECK-NEXT:    %1 = snn.linear %0 {weight = dense<{{\[\[}}5.000000e-01, -2.500000e-01, 1.250000e-01, 1.000000e+00], [1.000000e-01, 2.000000e-01, 3.000000e-01, 4.000000e-01]]> : tensor<2x4xf32>, bias = dense<[1.000000e-01, -1.000000e-01]> : tensor<2xf32>} : tensor<1x4xf32> -> tensor<1x2xf32>
// CHECK-NEXT:    %2 = snn.relu %1 : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK-NEXT:    %3 = snn.batchnorm %2 {gamma = dense<1.000000e+00> : tensor<2xf32>, beta = dense<0.000000e+00> : tensor<2xf32>, mean = dense<0.000000e+00> : tensor<2xf32>, var = dense<1.000000e+00> : tensor<2xf32>, eps = 1.000000e-05 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK-NEXT:    func.return %3 : tensor<1x2xf32>
func.func @float_mlp(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %0 = snn.input %x {calib_max = 1.0 : f32} : tensor<1x4xf32> -> tensor<1x4xf32>
  %1 = snn.linear %0 {weight = dense<[[0.5, -0.25, 0.125, 1.0], [0.1, 0.2, 0.3, 0.4]]> : tensor<2x4xf32>, bias = dense<[0.1, -0.1]> : tensor<2xf32>} : tensor<1x4xf32> -> tensor<1x2xf32>
  %2 = snn.relu %1 : tensor<1x2xf32> -> tensor<1x2xf32>
  %3 = snn.batchnorm %2 {gamma = dense<1.0> : tensor<2xf32>, beta = dense<0.0> : tensor<2xf32>, mean = dense<0.0> : tensor<2xf32>, var = dense<1.0> : tensor<2xf32>, eps = 1.0e-05 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %3 : tensor<1x2xf32>
}

// CHECK-LABEL: func.func @radix_cnn
// CHECK-NEXT:    %0 = snn.encode %x {scale = 4 : i64, time_steps = 4 : i64} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xui4>
// CHECK-NEXT:    %1 = snn.conv2d %0 {weight = dense<1> : tensor<2x1x3x3xsi4>, bias = dense<[3, -5]> : tensor<2xsi32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, weight_scale = 3 : i64, input_scale = 4 : i64} : tensor<1x1x4x4xui4> -> tensor<1x2x4x4xsi9>
// CHECK-NEXT:    %2 = snn.radix_neuron %1 {shift = 2 : i64, time_steps = 4 : i64, output_scale = 5 : i64} : tensor<1x2x4x4xsi9> -> tensor<1x2x4x4xui4>
// CHECK-NEXT:    %3 = snn.max_pool2d %2 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x4x4xui4> -> tensor<1x2x2x2xui4>
// CHECK-NEXT:    %4 = snn.avg_pool2d %3 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x2x2xui4> -> tensor<1x2x1x1xui4>
// CHECK-NEXT:    %5 = snn.flatten %4 : tensor<1x2x1x1xui4> -> tensor<1x2xui4>
// CHECK-NEXT:    %6 = snn.linear %5 {weight = dense<-2> : tensor<2x2xsi4>, weight_scale = 3 : i64, input_scale = 4 : i64} : tensor<1x2xui4> -> tensor<1x2xsi64>
// CHECK-NEXT:    func.return %6 : tensor<1x2xsi64>
func.func @radix_cnn(%x: tensor<1x1x4x4xf32>) -> tensor<1x2xsi64> {
  %0 = snn.encode %x {scale = 4, time_steps = 4} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xui4>
  %1 = snn.conv2d %0 {weight = dense<1> : tensor<2x1x3x3xsi4>, bias = dense<[3, -5]> : tensor<2xsi32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, weight_scale = 3, input_scale = 4} : tensor<1x1x4x4xui4> -> tensor<1x2x4x4xsi9>
  %2 = snn.radix_neuron %1 {shift = 2, time_steps = 4, output_scale = 5} : tensor<1x2x4x4xsi9> -> tensor<1x2x4x4xui4>
  %3 = snn.max_pool2d %2 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x4x4xui4> -> tensor<1x2x2x2xui4>
  %4 = snn.avg_pool2d %3 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x2x2xui4> -> tensor<1x2x1x1xui4>
  %5 = snn.flatten %4 : tensor<1x2x1x1xui4> -> tensor<1x2xui4>
  %6 = snn.linear %5 {weight = dense<-2> : tensor<2x2xsi4>, weight_scale = 3, input_scale = 4} : tensor<1x2xui4> -> tensor<1x2xsi64>
  func.return %6 : tensor<1x2xsi64>
}
