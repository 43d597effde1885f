// RUN: e3ne-opt %s -p 'snn-slice-layer{stage=conv1}' | filecheck %s --check-prefix=CONV
// RUN: e3ne-opt %s -p 'snn-slice-layer{stage=conv1 fuse-pooling=false}' | filecheck %s --check-prefix=UNFUSED
// RUN: e3ne-opt %s -p 'snn-slice-layer{stage=pool1}' | filecheck %s --check-prefix=POOL
// RUN: e3ne-opt %s -p 'snn-slice-layer{stage=fc1}' | filecheck %s --check-prefix=FC1
// RUN: e3ne-opt %s -p 'snn-slice-layer{stage=fc2 row-width=2}' | filecheck %s --check-prefix=FC2
// RUN: e3ne-opt %s -p 'snn-slice-layer{stage=fc2 row-width=2}' --print-op-generic | e3ne-opt | filecheck %s --check-prefix=FC2
// RUN: not e3ne-opt %s -p 'snn-slice-layer{stage=conv9}' 2>&1 | filecheck %s --check-prefix=ERR
// RUN: not e3ne-opt %s -p 'snn-slice-layer{stage=conv2 row-width=4}' 2>&1 | filecheck %s --check-prefix=ERR-ROW
// One hardware stage cut out of an integer network: its input becomes snn.layer_input (integer
// activations), the stage's ops are kept, and it returns the stage's output. Stages as the
// hardware groups them: conv1 = conv + neuron + fused max pool, conv2, pool1 = the avg pool
// (stride 1: not fused), fc1 = flatten + linear + neuron, fc2 = the output linear.

// CONV-LABEL: func.func @net_conv1(%0: tensor<1x1x4x4xui2>) -> tensor<1x2x2x2xui2> {
// CONV-NEXT:    %1 = snn.layer_input %0 : tensor<1x1x4x4xui2> -> tensor<1x1x4x4xui2>
// CONV-NEXT:    %2 = snn.conv2d %1 {{.*}} : tensor<1x1x4x4xui2> -> tensor<1x2x4x4xsi5>
// CONV-NEXT:    %3 = snn.radix_neuron %2 {shift = 2 : i64, time_steps = 2 : i64, output_scale = 2 : i64} : tensor<1x2x4x4xsi5> -> tensor<1x2x4x4xui2>
// CONV-NEXT:    %4 = snn.max_pool2d %3 {{.*}} : tensor<1x2x4x4xui2> -> tensor<1x2x2x2xui2>
// CONV-NEXT:    func.return %4 : tensor<1x2x2x2xui2>
// CONV-NEXT:  }
// CONV-NOT:   snn.

// Without fusion the max pool is a stage of its own.
// UNFUSED-LABEL: func.func @net_conv1(%0: tensor<1x1x4x4xui2>) -> tensor<1x2x4x4xui2> {
// UNFUSED:         snn.radix_neuron
// UNFUSED-NEXT:    func.return

// POOL-LABEL: func.func @net_pool1(%0: tensor<1x2x1x1xui2>) -> tensor<1x2x2x2xui2> {
// POOL-NEXT:    %1 = snn.layer_input %0 : tensor<1x2x1x1xui2> -> tensor<1x2x1x1xui2>
// POOL-NEXT:    %2 = snn.avg_pool2d %1 {{.*}} : tensor<1x2x1x1xui2> -> tensor<1x2x2x2xui2>
// POOL-NEXT:    func.return %2 : tensor<1x2x2x2xui2>

// The flatten in front of fc1 belongs to its stage (the hardware reads the 2x2x2 buffer).
// FC1-LABEL: func.func @net_fc1(%0: tensor<1x2x2x2xui2>) -> tensor<1x3xui2> {
// FC1-NEXT:    %1 = snn.layer_input %0 : tensor<1x2x2x2xui2> -> tensor<1x2x2x2xui2>
// FC1-NEXT:    %2 = snn.flatten %1 : tensor<1x2x2x2xui2> -> tensor<1x8xui2>
// FC1-NEXT:    %3 = snn.linear %2 {{.*}} : tensor<1x8xui2> -> tensor<1x3xsi5>
// FC1-NEXT:    %4 = snn.radix_neuron %3 {{.*}} : tensor<1x3xsi5> -> tensor<1x3xui2>
// FC1-NEXT:    func.return %4 : tensor<1x3xui2>

// The output layer returns the logits; row_width = fc1's P in the whole build.
// FC2-LABEL: func.func @net_fc2(%0: tensor<1x3xui2>) -> tensor<1x2xsi5> {
// FC2-NEXT:    %1 = snn.layer_input %0 {row_width = 2 : i64} : tensor<1x3xui2> -> tensor<1x3xui2>
// FC2-NEXT:    %2 = snn.linear %1 {{.*}} : tensor<1x3xui2> -> tensor<1x2xsi5>
// FC2-NEXT:    func.return %2 : tensor<1x2xsi5>

// ERR:      error: no stage 'conv9'
// ERR-NEXT:   hint: stages: conv1, conv2, pool1, fc1, fc2
// ERR-ROW:  error: row-width applies to a stage with a flat input; conv2 reads a tensor of rank 4

func.func @net(%x: tensor<1x1x4x4xf32>) -> tensor<1x2xsi5> {
  %0 = snn.encode %x {scale = 2 : i64, time_steps = 2 : i64} : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xui2>
  %1 = snn.conv2d %0 {weight = dense<[[[[-1, -1, -1], [-1, 0, -1], [1, 1, 0]]], [[[1, 0, 1], [-1, 0, -1], [0, -1, 1]]]]> : tensor<2x1x3x3xsi3>, bias = dense<4> : tensor<2xsi32>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>, weight_scale = 2 : i64, input_scale = 2 : i64} : tensor<1x1x4x4xui2> -> tensor<1x2x4x4xsi5>
  %2 = snn.radix_neuron %1 {shift = 2 : i64, time_steps = 2 : i64, output_scale = 2 : i64} : tensor<1x2x4x4xsi5> -> tensor<1x2x4x4xui2>
  %3 = snn.max_pool2d %2 {kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<1x2x4x4xui2> -> tensor<1x2x2x2xui2>
  %4 = snn.conv2d %3 {weight = dense<[[[[0, -1], [1, -1]], [[-1, -1], [-1, 0]]], [[[-1, -1], [-1, 1]], [[-1, -1], [-1, -1]]]]> : tensor<2x2x2x2xsi3>, bias = dense<[-1, -6]> : tensor<2xsi32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, weight_scale = 2 : i64, input_scale = 2 : i64} : tensor<1x2x2x2xui2> -> tensor<1x2x1x1xsi6>
  %5 = snn.radix_neuron %4 {shift = 2 : i64, time_steps = 2 : i64, output_scale = 2 : i64} : tensor<1x2x1x1xsi6> -> tensor<1x2x1x1xui2>
  %6 = snn.avg_pool2d %5 {kernel = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x2x1x1xui2> -> tensor<1x2x2x2xui2>
  %7 = snn.flatten %6 : tensor<1x2x2x2xui2> -> tensor<1x8xui2>
  %8 = snn.linear %7 {weight = dense<[[-1, 0, 0, 0, 0, -1, 1, 0], [-1, 0, 0, 1, 1, -1, 0, 1], [1, 1, 0, 0, 0, 0, 0, -1]]> : tensor<3x8xsi3>, bias = dense<[4, 1, 0]> : tensor<3xsi32>, weight_scale = 2 : i64, input_scale = 2 : i64} : tensor<1x8xui2> -> tensor<1x3xsi5>
  %9 = snn.radix_neuron %8 {shift = 1 : i64, time_steps = 2 : i64, output_scale = 2 : i64} : tensor<1x3xsi5> -> tensor<1x3xui2>
  %10 = snn.linear %9 {weight = dense<[[1, -1, 2], [-2, 1, 1]]> : tensor<2x3xsi3>, bias = dense<[0, 3]> : tensor<2xsi32>, weight_scale = 2 : i64, input_scale = 2 : i64} : tensor<1x3xui2> -> tensor<1x2xsi5>
  func.return %10 : tensor<1x2xsi5>
}
