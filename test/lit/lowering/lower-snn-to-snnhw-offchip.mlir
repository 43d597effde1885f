// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{linear-parallelism=2 offchip-weights="fc1" axi-data-width=32 memory-latency=3}' | filecheck %s
// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{linear-parallelism=2 offchip-weights=all axi-data-width=64}' | filecheck %s --check-prefix=ALL
// RUN: not e3ne-opt %s -p 'lower-snn-to-snnhw{offchip-weights="fc1,fc9"}' 2>&1 | filecheck %s --check-prefix=UNKNOWN
// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw' | filecheck %s --check-prefix=NONE
// The chosen layers' ROMs become off-chip, 4 KiB apart in the weight image; the accelerator
// carries the memory model and the schedule the stall cycles (see offchip.mlir).

// CHECK-LABEL: snnhw.accelerator @tiny {time_steps = 2, axi_data_width = 32, memory_latency = 3} {
// CHECK:         snnhw.rom @fc1_weights {{{.*}}kind = "offchip", base_address = 0 : i64}
// CHECK:         snnhw.rom @fc2_weights {{{.*}}kind = "distributed"}
// CHECK:         snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 45, 17>, stage_overhead = array<i64: 21, 11>, cycles = 62 : i64}

// Default latency 16; fc1 (12 words of 6 bits, one 64-bit beat each) takes one 4 KiB page.
// fc1: 2 groups of 6 words, 12 issue cycles each, fetch 16 + 6 = 22: group 0 issues from
// cycle 23, group 1 (fetched by edge 44) from 45: 57 issue cycles (33 stall) + 8 pipeline + 2 drain = 67.
// fc2: one group of 3 words, fetch 16 + 3, issue from cycle 20: 6 + 20 stall + 8 + 2 = 36.
// ALL-LABEL:   snnhw.accelerator @tiny {time_steps = 2, axi_data_width = 64, memory_latency = 16} {
// ALL:           snnhw.rom @fc1_weights {{{.*}}kind = "offchip", base_address = 0 : i64}
// ALL:           snnhw.rom @fc2_weights {{{.*}}kind = "offchip", base_address = 4096 : i64}
// ALL:           snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 68, 37>, stage_overhead = array<i64: 44, 31>, cycles = 105 : i64}

// UNKNOWN: offchip-weights names unknown layer(s) fc9; the layers with weights are: fc1, fc2

// NONE:        snnhw.accelerator @tiny {time_steps = 2} {
// NONE-NOT:    offchip

func.func @tiny(%x: tensor<1x1x2x3xf32>) -> tensor<1x2xsi9> {
  %0 = snn.encode %x {scale = 3, time_steps = 2} : tensor<1x1x2x3xf32> -> tensor<1x1x2x3xui2>
  %1 = snn.flatten %0 : tensor<1x1x2x3xui2> -> tensor<1x6xui2>
  %2 = snn.linear %1 {weight = dense<[[1, -2, 3, 0, 1, -1], [2, 2, -1, 1, 0, 1], [-3, 1, 1, 1, 1, 1]]> : tensor<3x6xsi3>, bias = dense<[1, -2, 3]> : tensor<3xsi32>, weight_scale = 2, input_scale = 3} : tensor<1x6xui2> -> tensor<1x3xsi7>
  %3 = snn.radix_neuron %2 {shift = 1, time_steps = 2, output_scale = 4} : tensor<1x3xsi7> -> tensor<1x3xui2>
  %4 = snn.linear %3 {weight = dense<[[1, -1, 2], [-2, 1, 1]]> : tensor<2x3xsi3>, bias = dense<[0, 5]> : tensor<2xsi32>, weight_scale = 2, input_scale = 4} : tensor<1x3xui2> -> tensor<1x2xsi9>
  func.return %4 : tensor<1x2xsi9>
}
