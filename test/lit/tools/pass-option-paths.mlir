// An option value may be a path without quotes (the README's form); quoted works too.
// RUN: %python -c "import numpy as np; np.savez('%t.calib.npz', x=np.array([[0.25, 0.5], [0.75, 0.125]], dtype=np.float32))"
// RUN: e3ne-opt %s -p 'snn-calibrate{data=%t.calib.npz}' | filecheck %s
// RUN: e3ne-opt %s -p 'snn-calibrate{data="%t.calib.npz"}' | filecheck %s
// RUN: e3ne-opt %s -p 'snn-fold-batchnorm,snn-calibrate{data=%t.calib.npz},snn-quantize{time-steps=4 weight-bits=4 sigma=3.0},snn-infer-widths' | filecheck %s --check-prefix=PIPELINE

// Input maximum 0.75 (both rows); relu of x W^T with W = [[1, 1]]: max 0.875.
// CHECK:      snn.input %x {calib_max = 7.500000e-01 : f32}
// CHECK:      snn.relu %1 {calib_max = 8.750000e-01 : f32}

// PIPELINE:   snn.encode %x {scale = 4 : i64, time_steps = 4 : i64}

func.func @net(%x: tensor<1x2xf32>) -> tensor<1x1xf32> {
  %0 = snn.input %x : tensor<1x2xf32> -> tensor<1x2xf32>
  %1 = snn.linear %0 {weight = dense<[[1.0, 1.0]]> : tensor<1x2xf32>} : tensor<1x2xf32> -> tensor<1x1xf32>
  %2 = snn.relu %1 : tensor<1x1xf32> -> tensor<1x1xf32>
  %3 = snn.linear %2 {weight = dense<[[2.0]]> : tensor<1x1xf32>} : tensor<1x1xf32> -> tensor<1x1xf32>
  func.return %3 : tensor<1x1xf32>
}
