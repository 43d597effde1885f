// RUN: e3ne-opt %s -p lower-snnhw-to-circt | filecheck %s
// RUN: e3ne-opt %s -p lower-snnhw-to-circt -t verilog | filecheck %s --check-prefix=SV
// A 6 -> 3 -> 2 network, P = 2, T = 2: memories become tagged externs, each unit a module.

// CHECK:       hw.module.extern @tiny_input(in %port0 clk: !seq.clock, in %port1 we: i1, in %port2 waddr: i1, in %port3 wdata: i6, in %port4 raddr: i1, out rdata: i6) attributes {e3ne.primitive = "e3ne_ram_sdp", e3ne.parameters = {WIDTH = 6 : i64, DEPTH = 2 : i64, ADDR_WIDTH = 1 : i64, READ_LATENCY = 4 : i64, ADDRESS_REGISTER = 1 : i64}}
// CHECK:       hw.module.extern @tiny_fc1_weights(in %port0 clk: !seq.clock, in %port1 addr: i4, out data: i6) attributes {e3ne.primitive = "e3ne_rom_distributed", {{.*}}INIT_FILE = "tiny_fc1_weights.hex", READ_LATENCY = 4 : i64, KEEP_OUTPUT = 1 : i64}, e3ne.init = dense<{{.*}}> : tensor<12x2xsi3>}
// A weight ROM keeps its last read register bit for bit (KEEP_OUTPUT), a bias ROM does not:
// CHECK:       hw.module.extern @tiny_fc1_bias(in %port0 clk: !seq.clock, in %port1 addr: i1, out data: i14) attributes {e3ne.primitive = "e3ne_rom_distributed", {{.*}}INIT_FILE = "tiny_fc1_bias.hex", READ_LATENCY = 4 : i64}, e3ne.init

// CHECK-LABEL: hw.module @tiny_fc1(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %act_rdata: i6, in %weight_data: i6, in %bias_data: i14, out act_raddr: i1, out weight_addr: i4, out bias_addr: i1, out out_we: i1, out out_waddr: i2, out out_wdata: i2, out done: i1)
// CHECK:         %issue = comb.or %start, %running : i1
// The selected spike is registered (SPIKE_SELECT_LATENCY) and registered again (the
// broadcast register the lanes read, BROADCAST_LATENCY), the weight ROM addressed two cycles
// later to match; the registered spike selects a weight into a 3-bit pipeline register (the
// gated sum); the accumulator adds it a cycle later and doubles at each new time step.
// CHECK:         %spike = comb.extract %{{.*}} from 0 :  (i6) -> i1
// CHECK-NEXT:    %selected0_d1 = seq.compreg %spike, %clk reset %rst, %{{.*}} : i1
// CHECK-NEXT:    %selected0 = seq.compreg %selected0_d1, %clk reset %rst, %{{.*}} : i1
// CHECK-NEXT:    %weight_addr_sel_d1 = seq.compreg %{{.*}}, %clk reset %rst, %{{.*}} : i4
// CHECK-NEXT:    %weight_addr_sel = seq.compreg %weight_addr_sel_d1, %clk reset %rst, %{{.*}} : i4
// CHECK:         %acc0 = seq.compreg %{{.*}}, %clk reset %rst, %{{.*}} : i7
// CHECK-NEXT:    %acc1 = seq.compreg
// CHECK:         comb.mux %first_step1, %{{.*}}, %acc0 : i7
// CHECK:         comb.mux %selected0, %{{.*}}, %{{.*}} : i3
// CHECK:         %addend0 = seq.compreg %{{.*}}, %clk reset %rst, %{{.*}} : i3
// The bias word is held lane by lane (P = 2 lanes of 7 bits).
// CHECK:         %bias_hold0 = seq.compreg %{{.*}}, %clk reset %rst, %{{.*}} : i7
// CHECK-NEXT:    %bias_hold1 = seq.compreg %{{.*}}, %clk reset %rst, %{{.*}} : i7
// The potential acc + bias is registered before the neuron.
// CHECK:         %potential0 = seq.compreg %{{.*}} : i7
// CHECK:         %spike_shadow0 = seq.compreg %{{.*}} : i2
// CHECK:         %plane_addr = seq.compreg
// The bias ROM is addressed by the group counter delayed three cycles (ADDEND_LATENCY: the
// selected-spike, broadcast and gated-sum registers).
// CHECK:         %bias_group_d1 = seq.compreg %group, %clk
// CHECK-NEXT:    %bias_group_d2 = seq.compreg %bias_group_d1, %clk
// CHECK-NEXT:    %bias_group = seq.compreg %bias_group_d2, %clk
// CHECK:         hw.output %act_addr, %weight_addr_sel, %bias_group, %draining, %plane_addr, %{{.*}}, %{{.*}} : i1, i4, i1, i1, i2, i2, i1
// CHECK-NOT:     comb.mul

// CHECK-LABEL: hw.module @tiny_fc2(
// CHECK:         %logit_shadow0 = seq.compreg %{{.*}} : i9
// CHECK:         %logit_addr = seq.compreg

// CHECK-LABEL: hw.module @tiny_controller(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %fc1_done: i1, in %fc2_done: i1, out fc1_start: i1, out fc2_start: i1, out done: i1)
// CHECK-NEXT:    %0 = hw.constant false
// CHECK-NEXT:    %fc2_go = seq.compreg %fc1_done, %clk reset %rst, %0 : i1

// CHECK-LABEL: hw.module @tiny(in %clk: !seq.clock, in %rst: i1, in %start: i1, in %in_we: i1, in %in_addr: i1, in %in_data: i6, in %logit_addr: i1, out done: i1, out logit_data: i9) attributes {e3ne.cycles = 52 : i64, e3ne.top = "tiny"}
// CHECK:         hw.instance "input_mem" @tiny_input(clk: %clk: !seq.clock, we: %in_we: i1, waddr: %in_addr: i1, wdata: %in_data: i6, raddr: %fc1_act_raddr: i1) -> (rdata: i6)
// CHECK:         hw.instance "fc1_out_mem" @tiny_fc1_out(clk: %clk: !seq.clock, we: %fc1_out_we: i1, waddr: %fc1_out_waddr: i2, wdata: %fc1_out_wdata: i2, raddr: %fc2_act_raddr: i2) -> (rdata: i2)
// CHECK:         hw.instance "logits_mem" @tiny_logits(clk: %clk: !seq.clock, we: %fc2_out_we: i1, waddr: %fc2_out_waddr: i1, wdata: %fc2_out_wdata: i9, raddr: %logit_addr: i1) -> (rdata: i9)
// CHECK:         hw.instance "fc1" @tiny_fc1(clk: %clk: !seq.clock, rst: %rst: i1, start: %controller_fc1_start: i1, act_rdata: %input_mem_rdata: i6, weight_data: %fc1_weights_rom_data: i6, bias_data: %fc1_bias_rom_data: i14)
// CHECK:         hw.output %controller_done, %logits_mem_rdata : i1, i9

// SV-LABEL:    module tiny_fc1(
// SV:            reg  [6:0]  acc0;
// SV:            always_ff @(posedge clk) begin
// SV-LABEL:    module tiny(
// SV:            input        clk,
// SV:                         start,
// SV:            output       done,
// SV:            output [8:0] logit_data
// SV:            tiny_fc1 fc1 (
// SV-LABEL:    module tiny_fc1_weights (
// SV-NEXT:       input  logic clk,
// SV-NEXT:       input  logic [3:0] addr,
// SV-NEXT:       output logic [5:0] data
// SV-NEXT:     );
// SV-NEXT:       e3ne_rom_distributed #(.WIDTH(6), .DEPTH(12), .ADDR_WIDTH(4), .INIT_FILE("tiny_fc1_weights.hex"), .READ_LATENCY(4), .KEEP_OUTPUT(1)) memory (.*);
// SV-NEXT:     endmodule

builtin.module {
  snnhw.accelerator @tiny {time_steps = 2} {
    snnhw.buffer @input {channels = 1 : i64, height = 1 : i64, width = 6 : i64, time_steps = 2 : i64, word_width = 6 : i64, depth = 2 : i64, role = "input"}
    snnhw.rom @fc1_weights {data = dense<[[1, 2], [-2, 2], [3, -1], [0, 1], [1, 0], [-1, 1], [-3, 0], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]> : tensor<12x2xsi3>, word_width = 6 : i64, depth = 12 : i64, kind = "distributed"}
    snnhw.linear_unit @fc1 {in_features = 6 : i64, out_features = 3 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 7 : i64, shift = 1 : i64, output_layer = 0 : i64, bias = dense<[1, -2, 3]> : tensor<3xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
    snnhw.buffer @fc1_out {channels = 2 : i64, height = 1 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 4 : i64, role = "hidden"}
    snnhw.rom @fc2_weights {data = dense<[[1, -2], [-1, 1], [2, 1]]> : tensor<3x2xsi3>, word_width = 6 : i64, depth = 3 : i64, kind = "distributed"}
    snnhw.linear_unit @fc2 {in_features = 3 : i64, out_features = 2 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 9 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[0, 5]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
    snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 9 : i64}
    snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 35, 17>, stage_overhead = array<i64: 11, 11>, cycles = 52 : i64}
  }
}

