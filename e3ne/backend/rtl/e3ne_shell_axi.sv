// e3ne AXI shell: AXI4-Lite registers, an AXI4-Stream image input and an AXI4-Stream result
// output around an e3ne core (docs/interface.md "AXI shell"). The generated BUILD/rtl/<top>_axi.sv
// instantiates this module and the core with the network's constants.
//
// Images: one input beat = one input-buffer word (bit w of TDATA = bit w of the word), DEPTH beats,
// TLAST on the last. Beats go to a staging buffer while the core computes the previous image; when
// the core is done the staging buffer is copied into the core (DEPTH + 1 cycles, overlapped with the
// read-out of the previous logits) and the core starts.
// Results: one frame per input frame: CLASSES beats of sign-extended logits, then one status beat
// {error (bit 31), 15'b0, class (bits 15:0)} with TLAST. A malformed input frame (TLAST early, or
// missing at beat DEPTH: the rest is dropped up to the next TLAST) gives a frame of zero logits with
// bit 31 set, in order, and sets its cause in ERROR.
`timescale 1ns/1ps
module e3ne_shell_axi #(
  parameter int WORD = 32,             // input-buffer word width
  parameter int DEPTH = 16,            // input-buffer words per image
  parameter int ADDR = 4,              // core input address width
  parameter int IN_BITS = 32,          // s_axis TDATA width (WORD rounded up to bytes)
  parameter int CLASSES = 10,
  parameter int LOGIT = 16,            // logit width (signed), at most 32
  parameter int LOGIT_ADDR = 4,
  parameter int FEATURES = 784,
  parameter int TIME_STEPS = 4,
  parameter int CYCLES_EXPECTED = 0,
  parameter logic [31:0] BUILD_ID = 32'h0,
  parameter bit RUN_AT_RESET = 1'b0,    // CTRL.RUN after aresetn (the UART shell has no register write at start)
  // register byte offsets and the MAGIC value: passed in by the generated wrapper from the
  // host driver's REGISTERS table (e3ne_axi.py), the one place they are written
  parameter logic [7:0] REG_CTRL = 8'hFF, REG_STATUS = 8'hFF, REG_ERROR = 8'hFF, REG_IMAGES = 8'hFF, REG_CYCLES = 8'hFF,
  parameter logic [7:0] REG_BUILD_ID = 8'hFF, REG_MAGIC = 8'hFF, REG_BAD_FRAMES = 8'hFF, REG_DEPTH = 8'hFF, REG_WORD_WIDTH = 8'hFF,
  parameter logic [7:0] REG_TIME_STEPS = 8'hFF, REG_FEATURES = 8'hFF, REG_CLASSES = 8'hFF, REG_LOGIT_WIDTH = 8'hFF, REG_CYCLES_EXPECTED = 8'hFF,
  parameter logic [31:0] MAGIC_VALUE = 32'h0
) (
  input  logic aclk,
  input  logic aresetn,
  // AXI4-Lite slave (registers)
  input  logic [7:0]  s_axil_awaddr,
  input  logic        s_axil_awvalid,
  output logic        s_axil_awready,
  input  logic [31:0] s_axil_wdata,
  input  logic [3:0]  s_axil_wstrb,
  input  logic        s_axil_wvalid,
  output logic        s_axil_wready,
  output logic [1:0]  s_axil_bresp,
  output logic        s_axil_bvalid,
  input  logic        s_axil_bready,
  input  logic [7:0]  s_axil_araddr,
  input  logic        s_axil_arvalid,
  output logic        s_axil_arready,
  output logic [31:0] s_axil_rdata,
  output logic [1:0]  s_axil_rresp,
  output logic        s_axil_rvalid,
  input  logic        s_axil_rready,
  // AXI4-Stream slave (images)
  input  logic [IN_BITS-1:0] s_axis_tdata,
  input  logic               s_axis_tvalid,
  output logic               s_axis_tready,
  input  logic               s_axis_tlast,
  // AXI4-Stream master (results)
  output logic [31:0] m_axis_tdata,
  output logic        m_axis_tvalid,
  input  logic        m_axis_tready,
  output logic        m_axis_tlast,
  output logic        irq,
  // the core
  output logic                  core_rst,
  output logic                  core_start,
  input  logic                  core_done,
  output logic                  core_in_we,
  output logic [ADDR-1:0]       core_in_addr,
  output logic [WORD-1:0]       core_in_data,
  output logic [LOGIT_ADDR-1:0] core_logit_addr,
  input  logic [LOGIT-1:0]      core_logit_data
);
  localparam int COUNT = $clog2(DEPTH + 1) + 1;
  localparam int KBITS = $clog2(CLASSES + 1) + 1;

  // ---- control registers
  logic run_enable, irq_enable, soft_reset, done_flag;
  logic [2:0] error_cause;             // bit 0 TLAST early, 1 TLAST late/missing, 2 aborted by soft reset
  logic [31:0] images, bad_frames, last_cycles, cycle_count;
  wire rst = !aresetn || soft_reset;   // soft_reset: one cycle, from CTRL bit 1
  assign core_rst = rst;

  // ---- input stream -> staging buffer
  logic [WORD-1:0] stage [0:DEPTH-1];
  logic [COUNT-1:0] wcount;
  logic dropping, stage_full, stage_bad;
  assign s_axis_tready = aresetn && !soft_reset && !stage_full;
  wire beat = s_axis_tvalid && s_axis_tready;

  always_ff @(posedge aclk) begin
    if (beat && !dropping && wcount < COUNT'(DEPTH)) stage[wcount[$clog2(DEPTH+1)-1:0]] <= WORD'(s_axis_tdata);
  end

  // ---- scheduler state
  logic copying, loaded, running, armed, has_result, harvesting, out_busy;
  logic [COUNT-1:0] ccount;            // copy: next staging address to read
  logic copy_we;                       // a read issued last cycle: write it to the core now
  logic [ADDR-1:0] copy_addr;
  logic [WORD-1:0] stage_q;
  logic [KBITS-1:0] hk;                // harvest: logit address driven this cycle
  logic signed [LOGIT-1:0] res [0:CLASSES-1];
  logic signed [LOGIT-1:0] best;
  logic [15:0] best_k;
  logic res_bad;
  logic [KBITS-1:0] ok;                // output beat index

  wire take_bad = stage_full && stage_bad && !copying && !loaded && !running && !has_result && !harvesting && !out_busy;
  wire start_copy = stage_full && !stage_bad && !copying && !loaded && !running && run_enable;
  wire start_core = loaded && !running && !has_result && !harvesting;
  wire start_harvest = has_result && !harvesting && !out_busy;

  assign core_start = start_core;
  assign core_in_we = copy_we;
  assign core_in_addr = copy_addr;
  assign core_in_data = stage_q;
  assign core_logit_addr = LOGIT_ADDR'(hk);

  always_ff @(posedge aclk) stage_q <= stage[ccount[$clog2(DEPTH+1)-1:0]];

  always_ff @(posedge aclk) begin
    if (rst) begin
      wcount <= '0;
      dropping <= 1'b0;
      stage_full <= 1'b0;
      stage_bad <= 1'b0;
      copying <= 1'b0;
      copy_we <= 1'b0;
      copy_addr <= '0;
      ccount <= '0;
      loaded <= 1'b0;
      running <= 1'b0;
      armed <= 1'b0;
      has_result <= 1'b0;
      harvesting <= 1'b0;
      hk <= '0;
      out_busy <= 1'b0;
      ok <= '0;
      res_bad <= 1'b0;
      cycle_count <= '0;
    end else begin
      // input frames
      if (beat) begin
        if (dropping) begin
          if (s_axis_tlast) begin
            dropping <= 1'b0;
            stage_full <= 1'b1;
            stage_bad <= 1'b1;
            wcount <= '0;
          end
        end else if (s_axis_tlast) begin
          stage_full <= 1'b1;
          stage_bad <= wcount != COUNT'(DEPTH - 1);
          wcount <= '0;
        end else if (wcount == COUNT'(DEPTH - 1)) begin
          dropping <= 1'b1;            // beat DEPTH came without TLAST
          wcount <= '0;
        end else begin
          wcount <= wcount + 1'b1;
        end
      end
      // a malformed frame: an error result frame, in order
      if (take_bad) begin
        stage_full <= 1'b0;
        out_busy <= 1'b1;
        res_bad <= 1'b1;
        ok <= '0;
        for (int k = 0; k < CLASSES; k++) res[k] <= '0;
        best_k <= '0;
      end
      // copy staging -> core input buffer: read address ccount, write one cycle later
      copy_we <= 1'b0;
      if (start_copy) begin
        copying <= 1'b1;
        ccount <= '0;
      end else if (copying) begin
        if (ccount < COUNT'(DEPTH)) begin
          copy_we <= 1'b1;
          copy_addr <= ADDR'(ccount);
          ccount <= ccount + 1'b1;
        end else begin
          copying <= 1'b0;             // the last word is written this cycle
          loaded <= 1'b1;
          stage_full <= 1'b0;
        end
      end
      // core run
      if (start_core) begin
        loaded <= 1'b0;
        running <= 1'b1;
        armed <= 1'b0;
        cycle_count <= 32'd1;
      end else if (running) begin
        armed <= 1'b1;                 // done may still be high in the cycle after start
        if (armed && core_done) begin
          running <= 1'b0;
          has_result <= 1'b1;
        end else begin
          cycle_count <= cycle_count + 1'b1;
        end
      end
      // read the logits out of the core: address hk now, data at the next edge
      if (start_harvest) begin
        harvesting <= 1'b1;
        hk <= '0;
      end else if (harvesting) begin
        hk <= hk + 1'b1;
        if (hk != 0) begin
          res[hk - 1] <= $signed(core_logit_data);
          if (hk == 1 || $signed(core_logit_data) > best) begin
            best <= $signed(core_logit_data);
            best_k <= 16'(hk - 1);
          end
        end
        if (hk == KBITS'(CLASSES)) begin
          harvesting <= 1'b0;
          has_result <= 1'b0;
          out_busy <= 1'b1;
          res_bad <= 1'b0;
          ok <= '0;
          hk <= '0;
        end
      end
      // result frames
      if (m_axis_tvalid && m_axis_tready) begin
        if (m_axis_tlast) begin
          out_busy <= 1'b0;
          ok <= '0;
        end else begin
          ok <= ok + 1'b1;
        end
      end
    end
  end

  assign m_axis_tvalid = out_busy;
  assign m_axis_tlast = ok == KBITS'(CLASSES);
  always_comb begin
    if (ok < KBITS'(CLASSES)) m_axis_tdata = 32'($signed(res[ok[$clog2(CLASSES+1)-1:0]]));
    else m_axis_tdata = {res_bad, 15'b0, best_k};
  end

  // ---- status, counters and the AXI4-Lite slave
  wire core_finished = running && armed && core_done;
  wire frame_sent = m_axis_tvalid && m_axis_tready && m_axis_tlast;
  wire busy = running || copying || loaded || harvesting || has_result || out_busy || stage_full || wcount != 0 || dropping;
  wire aw_take = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
  assign s_axil_awready = aw_take;
  assign s_axil_wready = aw_take;
  assign s_axil_bresp = 2'b00;
  assign s_axil_rresp = 2'b00;
  assign s_axil_arready = !s_axil_rvalid;
  wire [7:0] waddr = {s_axil_awaddr[7:2], 2'b00};
  wire [7:0] raddr = {s_axil_araddr[7:2], 2'b00};

  always_ff @(posedge aclk) begin
    if (!aresetn) begin
      run_enable <= RUN_AT_RESET;
      irq_enable <= 1'b0;
      soft_reset <= 1'b0;
      done_flag <= 1'b0;
      error_cause <= '0;
      images <= '0;
      bad_frames <= '0;
      last_cycles <= '0;
      s_axil_bvalid <= 1'b0;
      s_axil_rvalid <= 1'b0;
      s_axil_rdata <= '0;
    end else begin
      soft_reset <= 1'b0;
      if (core_finished) begin
        images <= images + 1'b1;
        last_cycles <= cycle_count;
      end
      if (frame_sent) done_flag <= 1'b1;
      if (beat && !dropping && s_axis_tlast && wcount != COUNT'(DEPTH - 1)) error_cause[0] <= 1'b1;
      if (beat && !dropping && !s_axis_tlast && wcount == COUNT'(DEPTH - 1)) error_cause[1] <= 1'b1;
      if (take_bad) bad_frames <= bad_frames + 1'b1;
      if (s_axil_bvalid && s_axil_bready) s_axil_bvalid <= 1'b0;
      if (aw_take) begin
        s_axil_bvalid <= 1'b1;
        case (waddr)
          REG_CTRL: begin
            run_enable <= s_axil_wdata[0];
            irq_enable <= s_axil_wdata[2];
            if (s_axil_wdata[1]) begin
              soft_reset <= 1'b1;
              if (busy) error_cause[2] <= 1'b1;
            end
          end
          REG_STATUS: if (s_axil_wdata[1]) done_flag <= 1'b0;            // write 1 to clear DONE
          REG_ERROR: error_cause <= error_cause & ~s_axil_wdata[2:0];    // write 1 to clear
          default: ;
        endcase
      end
      if (s_axil_rvalid && s_axil_rready) s_axil_rvalid <= 1'b0;
      if (s_axil_arvalid && !s_axil_rvalid) begin
        s_axil_rvalid <= 1'b1;
        case (raddr)
          REG_CTRL: s_axil_rdata <= {29'b0, irq_enable, 1'b0, run_enable};
          REG_STATUS: s_axil_rdata <= {29'b0, error_cause != 0, done_flag, busy};
          REG_ERROR: s_axil_rdata <= {29'b0, error_cause};
          REG_IMAGES: s_axil_rdata <= images;
          REG_CYCLES: s_axil_rdata <= last_cycles;
          REG_BUILD_ID: s_axil_rdata <= BUILD_ID;
          REG_MAGIC: s_axil_rdata <= MAGIC_VALUE;
          REG_BAD_FRAMES: s_axil_rdata <= bad_frames;
          REG_DEPTH: s_axil_rdata <= 32'(DEPTH);
          REG_WORD_WIDTH: s_axil_rdata <= 32'(WORD);
          REG_TIME_STEPS: s_axil_rdata <= 32'(TIME_STEPS);
          REG_FEATURES: s_axil_rdata <= 32'(FEATURES);
          REG_CLASSES: s_axil_rdata <= 32'(CLASSES);
          REG_LOGIT_WIDTH: s_axil_rdata <= 32'(LOGIT);
          REG_CYCLES_EXPECTED: s_axil_rdata <= 32'(CYCLES_EXPECTED);
          default: s_axil_rdata <= 32'h0;
        endcase
      end
    end
  end
  assign irq = irq_enable && (done_flag || error_cause != 0);
endmodule
