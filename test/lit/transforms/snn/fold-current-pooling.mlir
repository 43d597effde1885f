// RUN: e3ne-opt %s -p snn-fold-current-pooling | filecheck %s
// Average pooling of a conv's current before snn.lif becomes one strided conv: a 1x1 kernel of 2.0,
// stride 1, under a 2x2 pool is a 2x2 kernel of 2.0/4 = 0.5 at stride 2. A pool whose result
// is not a current (no snn.lif after it) stays.

// CHECK-LABEL: func.func @pooled_current
// CHECK-NEXT:    %0 = snn.conv2d %x {weight = dense<5.000000e-01> : tensor<1x1x2x2xf32>, bias = dense<1.000000e-01> : tensor<1xf32>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
// CHECK-NEXT:    %1 = snn.lif %0
func.func @pooled_current(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %0 = snn.conv2d %x {weight = dense<2.0> : tensor<1x1x1x1xf32>, bias = dense<0.1> : tensor<1xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %1 = snn.avg_pool2d %0 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  %2 = snn.lif %1 {time_steps = 4 : i64, beta = dense<0.9> : tensor<1xf32>, threshold = dense<1.0> : tensor<1xf32>, reset = "zero", output = "spikes"} : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %3 = snn.readout %2 {time_steps = 4 : i64, reduce = "sum"} : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  func.return %3 : tensor<1x1x2x2xf32>
}

// CHECK-LABEL: func.func @pooled_activation
// CHECK:         snn.avg_pool2d
func.func @pooled_activation(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x2x2xf32> {
  %0 = snn.conv2d %x {weight = dense<2.0> : tensor<1x1x1x1xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %1 = snn.relu %0 : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %2 = snn.avg_pool2d %1 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  func.return %2 : tensor<1x1x2x2xf32>
}
