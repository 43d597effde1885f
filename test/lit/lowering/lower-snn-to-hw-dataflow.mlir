// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{linear-parallelism=2 schedule=dataflow}' | filecheck %s
// RUN: e3ne-opt %s -p 'lower-snn-to-hw{linear-parallelism=2 schedule=dataflow}' | filecheck %s --check-prefix=HW
// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{schedule=sequential}' | filecheck %s --check-prefix=SEQ
// The dataflow schedule of the 6 -> 3 -> 2 network of lower-snn-to-snnhw.mlir (P = 2, T = 2).

// Every buffer holds two images; interval = max(34, 16), latency = 1 + 34 + 16.
// CHECK:       snnhw.buffer @input {{{.*}}depth = 4 : i64, role = "input", copies = 2 : i64}
// CHECK:       snnhw.buffer @fc1_out {{{.*}}depth = 4 : i64, role = "hidden", copies = 2 : i64}
// CHECK:       snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 9 : i64, copies = 2 : i64}
// CHECK:       snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 35, 17>, stage_overhead = array<i64: 11, 11>, cycles = 52 : i64, kind = "dataflow", interval = 35 : i64, latency = 53 : i64}

// SEQ-NOT:     copies
// SEQ:         snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 23, 17>, stage_overhead = array<i64: 11, 11>, cycles = 40 : i64}

// Two halves per RAM: the half bit on top of the image's address (depth 4 -> 4 + 4 words).
// HW:          hw.module.extern @tiny_input({{.*}}waddr: i3{{.*}}raddr: i3{{.*}}DEPTH = 8 : i64, ADDR_WIDTH = 3 : i64, READ_LATENCY = 4 : i64, ADDRESS_REGISTER = 1 : i64}}
// HW:          hw.module.extern @tiny_logits({{.*}}DEPTH = 4 : i64, ADDR_WIDTH = 2 : i64, READ_LATENCY = 1 : i64}}
// A handshake per stage: go = idle, an image in the input buffer, a free half in the output buffer.
// HW-LABEL:    hw.module @tiny_controller(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %ack: i1, in %fc1_done: i1, in %fc2_done: i1, out fc1_start: i1, out fc2_start: i1, out fc1_rsel: i1, out fc1_wsel: i1, out fc2_rsel: i1, out fc2_wsel: i1, out in_sel: i1, out out_sel: i1, out in_ready: i1, out done: i1, out image_done: i1)
// HW:            %avail0 = seq.compreg
// HW:            %occupied2 = seq.compreg
// HW:            %fc1_go = comb.and
// HW:            %fc2_go = comb.and
// HW:            %fc1_go_q = seq.compreg %fc1_go
// HW-LABEL:    hw.module @tiny(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %in_we: i1, in %in_addr: i2, in %in_data: i3, in %logit_addr: i1, in %ack: i1, out done: i1, out logit_data: i9, out in_ready: i1, out image_done: i1) attributes {e3ne.cycles = 53 : i64, e3ne.top = "tiny"}
// HW-DAG:        comb.concat %controller_fc1_rsel, %fc1_act_raddr : i1, i2
// HW-DAG:        comb.concat %controller_fc1_wsel, %fc1_out_waddr : i1, i2
// HW-DAG:        comb.concat %controller_in_sel, %in_addr : i1, i2
// HW-DAG:        comb.concat %controller_out_sel, %logit_addr : i1, i1

func.func @tiny(%x: tensor<1x1x2x3xf32>) -> tensor<1x2xsi9> {
  %0 = snn.encode %x {scale = 3, time_steps = 2} : tensor<1x1x2x3xf32> -> tensor<1x1x2x3xui2>
  %1 = snn.flatten %0 : tensor<1x1x2x3xui2> -> tensor<1x6xui2>
  %2 = snn.linear %1 {weight = dense<[[1, -2, 3, 0, 1, -1], [2, 2, -1, 1, 0, 1], [-3, 1, 1, 1, 1, 1]]> : tensor<3x6xsi3>, bias = dense<[1, -2, 3]> : tensor<3xsi32>, weight_scale = 2, input_scale = 3} : tensor<1x6xui2> -> tensor<1x3xsi7>
  %3 = snn.radix_neuron %2 {shift = 1, time_steps = 2, output_scale = 4} : tensor<1x3xsi7> -> tensor<1x3xui2>
  %4 = snn.linear %3 {weight = dense<[[1, -1, 2], [-2, 1, 1]]> : tensor<2x3xsi3>, bias = dense<[0, 5]> : tensor<2xsi32>, weight_scale = 2, input_scale = 4} : tensor<1x3xui2> -> tensor<1x2xsi9>
  func.return %4 : tensor<1x2xsi9>
}
