// RUN: %python -c "import numpy as np; np.savez('%t.npz', x=np.array([[0.25, -1.0], [0.75, 0.5], [0.5, 0.125]], dtype=np.float32))"
// RUN: e3ne-opt %s -p 'snn-calibrate{data="%t.npz"}' | filecheck %s

// Input maximum over the three rows: 0.75.
// relu1 = relu(x W1^T + B1), W1 = [[1, 1], [-1, 0]], B1 = [0, 0.5]:
//   rows: [-0.75, 0.25] -> [0, 0.25]; [1.25, -0.25] -> [1.25, 0]; [0.625, 0] -> [0.625, 0] : max 1.25
// relu2 after a linear that is all negative: max 0

// CHECK-LABEL: func.func @mlp
// CHECK-NEXT:    %0 = snn.input %x {calib_max = 7.500000e-01 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK-NEXT:    %1 = snn.linear %0
// CHECK-NEXT:    %2 = snn.relu %1 {calib_max = 1.250000e+00 : f32} : tensor<1x2xf32> -> tensor<1x2xf32>
// CHECK-NEXT:    %3 = snn.linear %2
// CHECK-NEXT:    %4 = snn.relu %3 {calib_max = 0.000000e+00 : f32} : tensor<1x1xf32> -> tensor<1x1xf32>
// CHECK-NEXT:    %5 = snn.linear %4
// CHECK-NEXT:    func.return %5 : tensor<1x1xf32>
func.func @mlp(%x: tensor<1x2xf32>) -> tensor<1x1xf32> {
  %0 = snn.input %x : tensor<1x2xf32> -> tensor<1x2xf32>
  %1 = snn.linear %0 {weight = dense<[[1.0, 1.0], [-1.0, 0.0]]> : tensor<2x2xf32>, bias = dense<[0.0, 0.5]> : tensor<2xf32>} : tensor<1x2xf32> -> tensor<1x2xf32>
  %2 = snn.relu %1 : tensor<1x2xf32> -> tensor<1x2xf32>
  %3 = snn.linear %2 {weight = dense<[[-1.0, -1.0]]> : tensor<1x2xf32>, bias = dense<-0.5> : tensor<1xf32>} : tensor<1x2xf32> -> tensor<1x1xf32>
  %4 = snn.relu %3 : tensor<1x1xf32> -> tensor<1x1xf32>
  %5 = snn.linear %4 {weight = dense<[[2.0]]> : tensor<1x1xf32>} : tensor<1x1xf32> -> tensor<1x1xf32>
  func.return %5 : tensor<1x1xf32>
}
