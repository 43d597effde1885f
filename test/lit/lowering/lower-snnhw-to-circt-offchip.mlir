// RUN: e3ne-opt %s -p lower-snnhw-to-circt | filecheck %s
// RUN: e3ne-opt %s -p lower-snnhw-to-circt -t verilog | filecheck %s --check-prefix=SV
// fc1's weights are off-chip: its ROM becomes an e3ne_axi_weight_buffer extern (double buffer
// + AXI4 read master), the unit waits on `weights_ready` and reports `weight_group_end`,
// and the top has the AXI4 read port.

// CHECK:       hw.module.extern @tiny_fc2_weights(in %port0 clk: !seq.clock, in %port1 addr: i2, out data: i6) attributes {e3ne.primitive = "e3ne_rom_distributed"
// The off-chip ROM has no contents (they go to rtl/weights.hex):
// CHECK:       hw.module.extern @tiny_fc1_weights(in %port0 clk: !seq.clock, in %port1 rst: i1, in %port2 start: i1, in %port3 addr: i4, in %port4 group_end: i1, in %port5 m_axi_arready: i1, in %port6 m_axi_rdata: i32, in %port7 m_axi_rresp: i2, in %port8 m_axi_rlast: i1, in %port9 m_axi_rvalid: i1, out data: i6, out ready: i1, out m_axi_araddr: i32, out m_axi_arlen: i8, out m_axi_arsize: i3, out m_axi_arburst: i2, out m_axi_arvalid: i1, out m_axi_rready: i1) attributes {e3ne.primitive = "e3ne_axi_weight_buffer", e3ne.parameters = {WIDTH = 6 : i64, GROUP_WORDS = 6 : i64, GROUPS = 2 : i64, ADDR_WIDTH = 4 : i64, AXI_DATA_WIDTH = 32 : i64, AXI_ADDR_WIDTH = 32 : i64, BASE_ADDRESS = 0 : i64, READ_LATENCY = 4 : i64}}{{$}}

// CHECK-LABEL: hw.module @tiny_fc1(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %act_rdata: i3, in %weight_data: i6, in %weights_ready: i1, in %bias_data: i14, out act_raddr: i2, out weight_addr: i4, out bias_addr: i1, out out_we: i1, out out_waddr: i2, out out_wdata: i2, out done: i1, out weight_group_end: i1)
// CHECK:         %[[GO:.*]] = comb.or %start, %running : i1
// CHECK-NEXT:    %issue = comb.and %[[GO]], %weights_ready : i1
// CHECK:         hw.output {{.*}}, %end_of_group : i2, i4, i1, i1, i2, i2, i1, i1

// CHECK-LABEL: hw.module @tiny_fc2(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %act_rdata: i2, in %weight_data: i6, in %bias_data: i18,

// CHECK-LABEL: hw.module @tiny(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %in_we: i1, in %in_addr: i2, in %in_data: i3, in %logit_addr: i1, in %m_axi_arready: i1, in %m_axi_rdata: i32, in %m_axi_rresp: i2, in %m_axi_rlast: i1, in %m_axi_rvalid: i1, out done: i1, out logit_data: i9, out m_axi_araddr: i32, out m_axi_arlen: i8, out m_axi_arsize: i3, out m_axi_arburst: i2, out m_axi_arvalid: i1, out m_axi_rready: i1) attributes {e3ne.cycles = 62 : i64, e3ne.top = "tiny"}
// CHECK:         hw.instance "fc1_weights_buffer" @tiny_fc1_weights(clk: %clk: !seq.clock, rst: %rst: i1, start: %controller_fc1_start: i1, addr: %fc1_weight_addr: i4, group_end: %fc1_weight_group_end: i1, m_axi_arready: %m_axi_arready: i1, m_axi_rdata: %m_axi_rdata: i32, m_axi_rresp: %m_axi_rresp: i2, m_axi_rlast: %m_axi_rlast: i1, m_axi_rvalid: %m_axi_rvalid: i1)
// CHECK:         hw.instance "fc1" @tiny_fc1({{.*}}weight_data: %fc1_weights_buffer_data: i6, weights_ready: %fc1_weights_buffer_ready: i1,
// CHECK:         hw.output %controller_done, %logits_mem_rdata, %fc1_weights_buffer_m_axi_araddr, %fc1_weights_buffer_m_axi_arlen, %fc1_weights_buffer_m_axi_arsize, %fc1_weights_buffer_m_axi_arburst, %fc1_weights_buffer_m_axi_arvalid, %fc1_weights_buffer_m_axi_rready : i1, i9, i32, i8, i3, i2, i1, i1

// SV-LABEL:    module tiny(
// SV:            output [31:0] m_axi_araddr,
// SV:          module tiny_fc1_weights (
// SV:            e3ne_axi_weight_buffer #(.WIDTH(6), .GROUP_WORDS(6), .GROUPS(2), .ADDR_WIDTH(4), .AXI_DATA_WIDTH(32), .AXI_ADDR_WIDTH(32), .BASE_ADDRESS(0), .READ_LATENCY(4)) memory (.*);

snnhw.accelerator @tiny {time_steps = 2, axi_data_width = 32, memory_latency = 3} {
  snnhw.buffer @input {channels = 2, height = 1, width = 3, time_steps = 2, word_width = 3, depth = 4, role = "input"}
  snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 2], [3, -1], [0, 1], [1, 0], [-1, 1], [-3, 0], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]> : tensor<12x2xsi3>, word_width = 6, depth = 12, kind = "offchip", base_address = 0}
  snnhw.linear_unit @fc1 {in_features = 6, out_features = 3, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 7, shift = 1, output_layer = 0, bias = dense<[1, -2, 3]> : tensor<3xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
  snnhw.buffer @fc1_out {channels = 2, height = 1, width = 2, time_steps = 2, word_width = 2, depth = 4, role = "hidden"}
  snnhw.rom @fc2_weights {data = dense<[[1, -2], [-1, 1], [2, 1]]> : tensor<3x2xsi3>, word_width = 6, depth = 3, kind = "distributed"}
  snnhw.linear_unit @fc2 {in_features = 3, out_features = 2, parallelism = 2, time_steps = 2, weight_bits = 3, accumulator_width = 9, shift = 0, output_layer = 1, bias = dense<[0, 5]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
  snnhw.logit_buffer @logits {entries = 2, depth = 2, word_width = 9}
  snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 45, 17>, stage_overhead = array<i64: 21, 11>, cycles = 62}
}
