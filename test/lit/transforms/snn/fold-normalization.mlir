// RUN: e3ne-opt %s --split-input-file -p 'snn-fold-normalization{mean=0.5 std=0.25}' | filecheck %s
// RUN: e3ne-opt %S/Inputs/normalized-rgb-linear.mlir -p 'snn-fold-normalization{mean=0.5,0,1 std=0.5,2,0.25}' | filecheck %s --check-prefix=RGB
// RUN: not e3ne-opt %S/Inputs/normalized-padded-conv.mlir -p 'snn-fold-normalization{mean=0.5 std=0.25}' 2>&1 | filecheck %s --check-prefix=PADDED
// RUN: e3ne-opt %S/Inputs/normalized-padded-conv.mlir -p 'snn-fold-normalization{mean=0 std=0.5}' | filecheck %s --check-prefix=SCALEONLY
// RUN: not e3ne-opt %S/Inputs/normalized-rgb-linear.mlir -p 'snn-fold-normalization{mean=0.5,0 std=1}' 2>&1 | filecheck %s --check-prefix=COUNT
// RUN: not e3ne-opt %s --split-input-file -p 'snn-fold-normalization{mean=0 std=0}' 2>&1 | filecheck %s --check-prefix=STD

// conv 1 -> 1 channel, 2x2 kernel W = [[1, 2], [-1, 0.5]], bias 0.25; z = (x - 0.5) / 0.25 = 4x - 2:
//   W' = W / 0.25 = [[4, 8], [-4, 2]]
//   B' = 0.25 - sum(W) * 0.5 / 0.25 = 0.25 - 2.5 * 2 = -4.75
// CHECK-LABEL: func.func @conv
// CHECK:         snn.conv2d %0 {weight = dense<{{\[\[\[\[}}4.000000e+00, 8.000000e+00], [-4.000000e+00, 2.000000e+00]]]]> : tensor<1x1x2x2xf32>, bias = dense<-4.750000e+00> : tensor<1xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>}
func.func @conv(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x2x2xf32> {
  %0 = snn.input %x : tensor<1x1x3x3xf32> -> tensor<1x1x3x3xf32>
  %1 = snn.conv2d %0 {weight = dense<[[[[1.0, 2.0], [-1.0, 0.5]]]]> : tensor<1x1x2x2xf32>, bias = dense<0.25> : tensor<1xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>} : tensor<1x1x3x3xf32> -> tensor<1x1x2x2xf32>
  func.return %1 : tensor<1x1x2x2xf32>
}

// -----

// No bias and a max pool before the layer: maxpool commutes with (x - m) / s for s > 0.
//   W = [[1, -1], [0.5, 0.5]] -> W' = 4 W = [[4, -4], [2, 2]]; B' = 0 - [0, 1] * 2 = [0, -2]
// CHECK-LABEL: func.func @pooled_linear
// CHECK:         snn.max_pool2d
// CHECK:         snn.flatten
// CHECK:         snn.linear %2 {weight = dense<{{\[\[}}4.000000e+00, -4.000000e+00], [2.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>, bias = dense<[0.000000e+00, -2.000000e+00]> : tensor<2xf32>}
func.func @pooled_linear(%x: tensor<1x1x2x4xf32>) -> tensor<1x2xf32> {
  %0 = snn.input %x : tensor<1x1x2x4xf32> -> tensor<1x1x2x4xf32>
  %1 = snn.max_pool2d %0 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x1x2x4xf32> -> tensor<1x1x1x2xf32>
  %2 = snn.flatten %1 : tensor<1x1x1x2xf32> -> tensor<1x2xf32>
  %3 = snn.linear %2 {weight = dense<[[1.0, -1.0], [0.5, 0.5]]> : tensor<2x2xf32>} : tensor<1x2xf32> -> tensor<1x2xf32>
  func.return %3 : tensor<1x2xf32>
}

// Per channel (3 channels of 1x2 pixels, flattened: features 0-1 are channel 0, 2-3 channel 1, 4-5 channel 2):
//   std = [0.5, 2, 0.25], mean/std = [1, 0, 4]; W = [[1, 1, 1, 1, 1, 1]], B = 1
//   W' = [[2, 2, 0.5, 0.5, 4, 4]], B' = 1 - (1 + 1) * 1 - 0 - (1 + 1) * 4 = -9
// RGB:     snn.linear %1 {weight = dense<{{\[\[}}2.000000e+00, 2.000000e+00, 5.000000e-01, 5.000000e-01, 4.000000e+00, 4.000000e+00]]> : tensor<1x6xf32>, bias = dense<-9.000000e+00> : tensor<1xf32>}

// PADDED:      error: snn.conv2d #1 in @padded: cannot fold a non-zero mean into a layer that pads its input: the padding is 0 in the normalised input, which is the raw pixel value mean (0.5), not 0, so the border outputs would change
// PADDED-NEXT:   hint: pad the raw images yourself (with value `mean`) and remove the first layer's padding, or train on raw pixels (no mean subtraction; dividing by std alone folds exactly)

// Dividing by std alone keeps zero padding exact: W' = W / 0.5 = 2 W, B' = B.
// SCALEONLY:   snn.conv2d %0 {weight = dense<{{\[\[\[\[}}2.000000e+00, -2.000000e+00], [1.000000e+00, 4.000000e+00]]]]> : tensor<1x1x2x2xf32>, bias = dense<1.000000e+00> : tensor<1xf32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>}

// COUNT:      error: mean has 2 values but the input has 3 channels
// COUNT-NEXT:   hint: give one mean for all channels or one per channel (3)

// STD: error: std must be positive, got [0.0]
