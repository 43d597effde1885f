// RUN: e3ne-opt %s -p 'snn-slice-layer{stage=fc1},lower-snn-to-snnhw{linear-parallelism=2}' | filecheck %s
// RUN: e3ne-opt %s -p 'snn-slice-layer{stage=fc1},lower-snn-to-hw{linear-parallelism=2}' | filecheck %s --check-prefix=HW
// RUN: e3ne-opt %s -p 'snn-slice-layer{stage=fc1},lower-snn-to-hw{linear-parallelism=2}' -t verilog | filecheck %s --check-prefix=SV
// RUN: e3ne-opt %s -p 'snn-slice-layer{stage=fc2 row-width=2},lower-snn-to-snnhw{linear-parallelism=2}' | filecheck %s --check-prefix=OUT
// A slice that ends in a hidden layer (fc1 of the network below) is an accelerator of one
// stage whose last buffer is hidden; the top reads it through result_addr/result_data
// instead of logit_addr/logit_data (docs/interface.md). The slice's input buffer is the
// 2x2x2 buffer fc1 reads in the whole network.

// CHECK-LABEL: snnhw.accelerator @net_fc1 {time_steps = 2} {
// CHECK-NEXT:    snnhw.buffer @input {channels = 2 : i64, height = 2 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 8 : i64, role = "input"}
// CHECK-NEXT:    snnhw.rom @fc1_weights
// CHECK-NEXT:    snnhw.linear_unit @fc1 {{{.*}}parallelism = 2 : i64{{.*}}output_layer = 0 : i64{{.*}}input = @input, weights = @fc1_weights, output = @fc1_out}
// CHECK-NEXT:    snnhw.buffer @fc1_out {channels = 2 : i64, height = 1 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 4 : i64, role = "hidden"}
// CHECK-NEXT:    snnhw.schedule [@fc1] {stage_cycles = array<i64: 43>, stage_overhead = array<i64: 11>, cycles = 43 : i64}
// CHECK-NEXT:  }

// HW-LABEL: hw.module @net_fc1(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %in_we: i1, in %in_addr: i3, in %in_data: i2, in %result_addr: i2, out done: i1, out result_data: i2)
// HW:         %fc1_out_mem_rdata = hw.instance "fc1_out_mem" @net_fc1_fc1_out({{.*}}raddr: %result_addr: i2) -> (rdata: i2)
// HW:         hw.output %controller_done, %fc1_out_mem_rdata : i1, i2

// SV-LABEL: module net_fc1(
// SV:         result_addr,
// SV-NEXT:    output       done,
// SV-NEXT:    output [1:0] result_data

// The output layer's slice reads rows of fc1's P = 2 outputs (row_width), as in the whole build.
// OUT-LABEL: snnhw.accelerator @net_fc2 {time_steps = 2} {
// OUT-NEXT:    snnhw.buffer @input {channels = 2 : i64, height = 1 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 4 : i64, role = "input"}
// OUT:         snnhw.logit_buffer @logits

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
