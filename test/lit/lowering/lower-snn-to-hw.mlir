// RUN: e3ne-opt %s --lower-snn-to-hw | filecheck %s
// RUN: e3ne-opt %s -p 'lower-snn-to-hw{linear-parallelism=1}' | filecheck %s --check-prefix=P1
// RUN: not e3ne-opt %s -t verilog 2>&1 | filecheck %s --check-prefix=ERR
// The named pipeline: integer snn (si64 accumulators: widths are inferred first) -> snnhw -> hw.

// CHECK:       hw.module.extern @tiny_input(
// CHECK:       hw.module @tiny_fc1(
// CHECK:       hw.module @tiny_fc2(
// CHECK:       hw.module @tiny_controller(
// CHECK:       hw.module @tiny(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %in_we: i1, in %in_addr: i1, in %in_data: i6, in %logit_addr: i1, out done: i1, out logit_data: i{{[0-9]+}}) attributes {e3ne.cycles = 40 : i64, e3ne.top = "tiny"}
// CHECK-NOT:   snn.
// CHECK-NOT:   snnhw.

// P1:          attributes {e3ne.cycles = 69 : i64, e3ne.top = "tiny"}

// ERR:         error: Verilog needs CIRCT hw/comb/seq IR, found func.func

func.func @tiny(%x: tensor<1x6xf32>) -> tensor<1x2xsi64> {
  %0 = snn.encode %x {scale = 3, time_steps = 2} : tensor<1x6xf32> -> tensor<1x6xui2>
  %1 = snn.linear %0 {weight = dense<[[1, -2, 3, 0, 1, -1], [2, 2, -1, 1, 0, 1], [-3, 1, 1, 1, 1, 1]]> : tensor<3x6xsi3>, bias = dense<[1, -2, 3]> : tensor<3xsi32>, weight_scale = 2, input_scale = 3} : tensor<1x6xui2> -> tensor<1x3xsi64>
  %2 = snn.radix_neuron %1 {shift = 1, time_steps = 2, output_scale = 4} : tensor<1x3xsi64> -> tensor<1x3xui2>
  %3 = snn.linear %2 {weight = dense<[[1, -1, 2], [-2, 1, 1]]> : tensor<2x3xsi3>, bias = dense<[0, 5]> : tensor<2xsi32>, weight_scale = 2, input_scale = 4} : tensor<1x3xui2> -> tensor<1x2xsi64>
  func.return %3 : tensor<1x2xsi64>
}
