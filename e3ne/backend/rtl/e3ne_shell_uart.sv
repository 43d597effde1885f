// e3ne UART shell: a UART (8N1) and a small framed protocol around the AXI shell
// (e3ne_shell_axi.sv), whose staging buffer, back-to-back scheduling and result frames it
// reuses (docs/interface.md "UART shell"). The generated BUILD/rtl/<top>_uart.sv instantiates
// this module and the core; the protocol constants come from the host module's table
// (e3ne/backend/host/e3ne_uart.py), passed in as parameters.
//
// Frame (both directions): MAGIC0 MAGIC1 TYPE LEN_LO LEN_HI PAYLOAD[LEN] CRC, CRC-8 (poly 0x07,
// init 0) over TYPE, LEN and PAYLOAD.
// Host -> device: IMAGE (payload = the AXI shell's image beats, IN_BYTES little-endian bytes
// each, DEPTH of them), READ (register offset), WRITE (offset, 32-bit value little-endian).
// Device -> host: RESULT (the AXI shell's result beats as little-endian 32-bit words; the status
// word has bit 31 set and the error cause in bits 23:16 when the image frame went wrong after its
// header), REGISTER (offset, value: the reply to READ and WRITE), ERROR (cause; bytes outside a
// frame, a bad type or length, a short frame, an overrun).
//
// Image payload beats go into the AXI shell as they complete, except the last, which is held
// until the checksum: good -> it goes in with TLAST; bad (or the frame stops: timeout) -> the
// frame is ended so that the AXI shell sees a malformed stream (an early TLAST, or beat DEPTH
// without TLAST and then a TLAST beat) and answers it with an error result frame, in order.
`timescale 1ns/1ps

module e3ne_uart_rx #(parameter int CPB = 217) (
  input  logic clk,
  input  logic rst,
  input  logic rx,
  output logic valid,
  output logic [7:0] data
);
  localparam int W = $clog2(CPB + 1) + 1;
  logic [2:0] sync;                    // synchroniser; the line idles high
  logic busy;
  logic [W-1:0] count;
  logic [3:0] index;                   // 0 start bit, 1..8 data, 9 stop
  logic [7:0] shift;
  wire line = sync[2];

  always_ff @(posedge clk) begin
    valid <= 1'b0;
    if (rst) begin
      sync <= 3'b111;
      busy <= 1'b0;
      count <= '0;
      index <= '0;
    end else begin
      sync <= {sync[1:0], rx};
      if (!busy) begin
        if (!line) begin
          busy <= 1'b1;
          count <= W'(CPB / 2);        // to the middle of the start bit
          index <= '0;
        end
      end else if (count != 0) begin
        count <= count - 1'b1;
      end else begin
        count <= W'(CPB - 1);
        if (index == 0) begin
          if (line) busy <= 1'b0;      // a glitch, not a start bit
          else index <= 4'd1;
        end else if (index <= 4'd8) begin
          shift <= {line, shift[7:1]};
          index <= index + 1'b1;
        end else begin
          busy <= 1'b0;
          if (line) begin              // stop bit high; a framing error drops the byte
            valid <= 1'b1;
            data <= shift;
          end
        end
      end
    end
  end
endmodule

module e3ne_uart_tx #(parameter int CPB = 217) (
  input  logic clk,
  input  logic rst,
  input  logic valid,
  input  logic [7:0] data,
  output logic ready,
  output logic tx
);
  localparam int W = $clog2(CPB + 1) + 1;
  logic busy;
  logic [9:0] frame;                   // stop, data (LSB first), start; shifted out from bit 0
  logic [3:0] sent;
  logic [W-1:0] count;
  assign ready = !busy;
  assign tx = frame[0];

  always_ff @(posedge clk) begin
    if (rst) begin
      busy <= 1'b0;
      frame <= '1;
      sent <= '0;
      count <= '0;
    end else if (!busy) begin
      if (valid) begin
        busy <= 1'b1;
        frame <= {1'b1, data, 1'b0};
        sent <= '0;
        count <= W'(CPB - 1);
      end
    end else if (count != 0) begin
      count <= count - 1'b1;
    end else begin
      count <= W'(CPB - 1);
      if (sent == 4'd9) busy <= 1'b0;  // the stop bit has had its time
      else begin
        sent <= sent + 1'b1;
        frame <= {1'b1, frame[9:1]};
      end
    end
  end
endmodule

module e3ne_shell_uart #(
  parameter int WORD = 32,
  parameter int DEPTH = 16,
  parameter int ADDR = 4,
  parameter int IN_BYTES = 4,          // bytes per image beat
  parameter int CLASSES = 10,
  parameter int LOGIT = 16,
  parameter int LOGIT_ADDR = 4,
  parameter int FEATURES = 784,
  parameter int TIME_STEPS = 4,
  parameter int CYCLES_EXPECTED = 0,
  parameter logic [31:0] BUILD_ID = 32'h0,
  parameter int CLKS_PER_BIT = 217,    // clock / baud, rounded
  parameter int TIMEOUT_CYCLES = 250000,  // silence inside a frame that ends it
  // protocol (e3ne_uart.py PROTOCOL)
  parameter logic [7:0] MAGIC0 = 8'h0, MAGIC1 = 8'h0,
  parameter logic [7:0] T_IMAGE = 8'h0, T_READ = 8'h0, T_WRITE = 8'h0,
  parameter logic [7:0] T_RESULT = 8'h0, T_REGISTER = 8'h0, T_ERROR = 8'h0,
  parameter logic [7:0] E_MAGIC = 8'h0, E_TYPE = 8'h0, E_LENGTH = 8'h0, E_CHECKSUM = 8'h0,
  parameter logic [7:0] E_TIMEOUT = 8'h0, E_OVERRUN = 8'h0,
  // the AXI shell's register offsets and MAGIC (e3ne_axi.py REGISTERS), passed on to it
  parameter logic [7:0] REG_CTRL = 8'hFF, REG_STATUS = 8'hFF, REG_ERROR = 8'hFF, REG_IMAGES = 8'hFF, REG_CYCLES = 8'hFF,
  parameter logic [7:0] REG_BUILD_ID = 8'hFF, REG_MAGIC = 8'hFF, REG_BAD_FRAMES = 8'hFF, REG_DEPTH = 8'hFF, REG_WORD_WIDTH = 8'hFF,
  parameter logic [7:0] REG_TIME_STEPS = 8'hFF, REG_FEATURES = 8'hFF, REG_CLASSES = 8'hFF, REG_LOGIT_WIDTH = 8'hFF, REG_CYCLES_EXPECTED = 8'hFF,
  parameter logic [31:0] MAGIC_VALUE = 32'h0
) (
  input  logic clk,
  input  logic rst,
  input  logic uart_rx,
  output logic uart_tx,
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
  localparam int IN_BITS = 8 * IN_BYTES;
  localparam int COUNT = $clog2(DEPTH + 1) + 1;
  localparam int BPOS = $clog2(IN_BYTES + 1) + 1;
  localparam int TW = $clog2(TIMEOUT_CYCLES + 1) + 1;
  localparam logic [15:0] LEN_IMAGE = 16'(DEPTH * IN_BYTES);
  localparam logic [15:0] LEN_RESULT = 16'(4 * (CLASSES + 1));

  function automatic logic [7:0] crc8(input logic [7:0] crc, input logic [7:0] data);
    logic [7:0] c;
    c = crc ^ data;
    for (int i = 0; i < 8; i++) c = c[7] ? ((c << 1) ^ 8'h07) : (c << 1);
    crc8 = c;
  endfunction

  // ---- the AXI shell (RUN from reset; its AXI4-Lite port serves READ and WRITE frames)
  logic [IN_BITS-1:0] s_tdata;
  logic s_tvalid, s_tready, s_tlast;
  logic [31:0] m_tdata;
  logic m_tvalid, m_tready, m_tlast;
  logic [7:0] l_addr;
  logic [31:0] l_wdata, l_rdata;
  logic l_awvalid, l_awready, l_wready, l_bvalid, l_arvalid, l_arready, l_rvalid, irq;
  logic [1:0] l_bresp, l_rresp;

  e3ne_shell_axi #(
    .WORD(WORD), .DEPTH(DEPTH), .ADDR(ADDR), .IN_BITS(IN_BITS), .CLASSES(CLASSES), .LOGIT(LOGIT),
    .LOGIT_ADDR(LOGIT_ADDR), .FEATURES(FEATURES), .TIME_STEPS(TIME_STEPS), .CYCLES_EXPECTED(CYCLES_EXPECTED),
    .BUILD_ID(BUILD_ID), .RUN_AT_RESET(1),
    .REG_CTRL(REG_CTRL), .REG_STATUS(REG_STATUS), .REG_ERROR(REG_ERROR), .REG_IMAGES(REG_IMAGES), .REG_CYCLES(REG_CYCLES),
    .REG_BUILD_ID(REG_BUILD_ID), .REG_MAGIC(REG_MAGIC), .REG_BAD_FRAMES(REG_BAD_FRAMES), .REG_DEPTH(REG_DEPTH),
    .REG_WORD_WIDTH(REG_WORD_WIDTH), .REG_TIME_STEPS(REG_TIME_STEPS), .REG_FEATURES(REG_FEATURES), .REG_CLASSES(REG_CLASSES),
    .REG_LOGIT_WIDTH(REG_LOGIT_WIDTH), .REG_CYCLES_EXPECTED(REG_CYCLES_EXPECTED), .MAGIC_VALUE(MAGIC_VALUE)
  ) axi (
    .aclk(clk), .aresetn(!rst),
    .s_axil_awaddr(l_addr), .s_axil_awvalid(l_awvalid), .s_axil_awready(l_awready), .s_axil_wdata(l_wdata),
    .s_axil_wstrb(4'hf), .s_axil_wvalid(l_awvalid), .s_axil_wready(l_wready), .s_axil_bresp(l_bresp),
    .s_axil_bvalid(l_bvalid), .s_axil_bready(1'b1), .s_axil_araddr(l_addr), .s_axil_arvalid(l_arvalid),
    .s_axil_arready(l_arready), .s_axil_rdata(l_rdata), .s_axil_rresp(l_rresp), .s_axil_rvalid(l_rvalid),
    .s_axil_rready(1'b1),
    .s_axis_tdata(s_tdata), .s_axis_tvalid(s_tvalid), .s_axis_tready(s_tready), .s_axis_tlast(s_tlast),
    .m_axis_tdata(m_tdata), .m_axis_tvalid(m_tvalid), .m_axis_tready(m_tready), .m_axis_tlast(m_tlast),
    .irq(irq),
    .core_rst(core_rst), .core_start(core_start), .core_done(core_done), .core_in_we(core_in_we),
    .core_in_addr(core_in_addr), .core_in_data(core_in_data), .core_logit_addr(core_logit_addr),
    .core_logit_data(core_logit_data)
  );

  // ---- receiver and frame parser
  logic rx_valid;
  logic [7:0] rx_data;
  e3ne_uart_rx #(.CPB(CLKS_PER_BIT)) receiver (.clk(clk), .rst(rst), .rx(uart_rx), .valid(rx_valid), .data(rx_data));

  typedef enum logic [2:0] {HUNT0, HUNT1, TYPE, LEN0, LEN1, PAYLOAD, CHECK} rx_state_t;
  rx_state_t state;
  logic [7:0] ftype, crc, len_lo;
  logic [15:0] left;                   // payload bytes still to come
  logic quiet;                         // an error was reported: no BAD_MAGIC until the next header
  logic [IN_BITS-1:0] beat, held;
  logic [BPOS-1:0] bpos;
  logic [COUNT-1:0] issued;            // beats of this frame handed to the AXI shell
  logic [TW-1:0] idle;
  logic [7:0] reg_addr;
  logic [31:0] reg_value;
  logic pend;                          // a TLAST beat follows the current one (an aborted frame)
  logic err_pending;                   // an ERROR frame to send
  logic [7:0] err_cause;
  logic op_read, op_write;             // AXI4-Lite access of a READ/WRITE frame
  logic reply_pending;
  logic [7:0] reply_addr;
  logic [31:0] reply_value;
  // causes of aborted image frames, in the order their error results leave the AXI shell
  logic [7:0] causes [0:3];
  logic [1:0] cause_head, cause_tail;

  wire is_image = ftype == T_IMAGE;
  wire [IN_BITS-1:0] beat_next = (IN_BITS'(rx_data) << (IN_BITS - 8)) | (beat >> 8);
  wire [15:0] length = {rx_data, len_lo};
  wire [15:0] expected = ftype == T_IMAGE ? LEN_IMAGE : ftype == T_READ ? 16'd1 : 16'd5;
  wire soft_reset = l_awvalid && l_awready && {l_addr[7:2], 2'b00} == REG_CTRL && l_wdata[1];
  wire result_status = m_tvalid && m_tlast;
  logic pop_cause;
  // transmitter side (declared here: the parser clears the pending flags it takes)
  logic sending, flushing;
  logic [7:0] tx_type, tx_crc, tx_cause;
  logic [15:0] tx_len, tx_i;           // byte index in the frame
  logic [1:0] tx_b;                    // byte of the current result word
  logic [7:0] tx_addr;
  logic [31:0] tx_value;
  wire tx_takes_error = !sending && err_pending;
  wire tx_takes_reply = !sending && !err_pending && reply_pending;
  wire tx_takes_result = !sending && !err_pending && !reply_pending && m_tvalid;

  logic s_valid_q;
  assign s_tvalid = s_valid_q;
  assign l_addr = reg_addr;
  assign l_wdata = reg_value;
  assign l_awvalid = op_write;
  assign l_arvalid = op_read;

  // hand a beat to the AXI shell; `beat_busy`: the previous one is still waiting (the shell has no room)
  wire beat_busy = s_valid_q && !s_tready;

  // an error outside the in-order result stream: one ERROR frame (the first wins while one waits)
  task automatic error(input logic [7:0] cause);
    if (!err_pending || tx_takes_error) begin
      err_pending <= 1'b1;
      err_cause <= cause;
    end
  endtask

  task automatic garbage();
    if (!quiet) error(E_MAGIC);
    quiet <= 1'b1;
  endtask

  // the shell has had no room for this frame's first beat (more than two frames in flight):
  // nothing of it reached the shell, so drop it and say so out of band
  task automatic overrun();
    s_valid_q <= 1'b0;
    state <= HUNT0;
    error(E_OVERRUN);
    quiet <= 1'b1;
  endtask

  // end an image frame whose header was accepted so that the AXI shell answers it with an error result
  task automatic abort(input logic [7:0] cause);
    if (beat_busy) overrun();
    else begin
      causes[cause_tail] <= cause;
      cause_tail <= cause_tail + 1'b1;
      s_valid_q <= 1'b1;
      s_tdata <= '0;
      if (issued == COUNT'(DEPTH - 1)) begin
        s_tlast <= 1'b0;               // beat DEPTH without TLAST, then a TLAST beat
        pend <= 1'b1;
      end else begin
        s_tlast <= 1'b1;               // an early TLAST
      end
    end
  endtask

  always_ff @(posedge clk) begin
    if (rst) begin
      state <= HUNT0;
      quiet <= 1'b0;
      idle <= '0;
      s_valid_q <= 1'b0;
      s_tlast <= 1'b0;
      pend <= 1'b0;
      err_pending <= 1'b0;
      op_read <= 1'b0;
      op_write <= 1'b0;
      reply_pending <= 1'b0;
      cause_tail <= '0;
      issued <= '0;
      bpos <= '0;
    end else begin
      // the beat register empties into the AXI shell
      if (s_valid_q && s_tready) begin
        if (pend) begin
          pend <= 1'b0;
          s_tdata <= '0;
          s_tlast <= 1'b1;
        end else begin
          s_valid_q <= 1'b0;
        end
      end
      // AXI4-Lite accesses
      if (op_write && l_awready) begin
        op_write <= 1'b0;
        reply_pending <= 1'b1;
        reply_addr <= reg_addr;
        reply_value <= reg_value;
      end
      if (op_read && l_arready) op_read <= 1'b0;
      if (l_rvalid) begin  // the reply of a READ
        reply_pending <= 1'b1;
        reply_addr <= reg_addr;
        reply_value <= l_rdata;
      end
      if (tx_takes_error) err_pending <= 1'b0;
      if (tx_takes_reply) reply_pending <= 1'b0;
      if (soft_reset) cause_tail <= cause_head;

      idle <= (rx_valid || state == HUNT0) ? '0 : idle + 1'b1;
      if (state != HUNT0 && !rx_valid && idle == TW'(TIMEOUT_CYCLES)) begin
        // the line went quiet inside a frame: a short frame
        state <= HUNT0;
        quiet <= 1'b0;
        if (is_image && (state == PAYLOAD || state == CHECK)) abort(E_TIMEOUT);
        else error(E_TIMEOUT);
      end else if (rx_valid) begin
        case (state)
          HUNT0: if (rx_data == MAGIC0) state <= HUNT1; else garbage();
          HUNT1: if (rx_data == MAGIC1) state <= TYPE;
                 else if (rx_data != MAGIC0) begin state <= HUNT0; garbage(); end
          TYPE: begin
            ftype <= rx_data;
            crc <= crc8(8'h00, rx_data);
            if (rx_data == T_IMAGE || rx_data == T_READ || rx_data == T_WRITE) state <= LEN0;
            else begin
              state <= HUNT0;
              error(E_TYPE);
              quiet <= 1'b1;
            end
          end
          LEN0: begin
            len_lo <= rx_data;
            crc <= crc8(crc, rx_data);
            state <= LEN1;
          end
          LEN1: begin
            crc <= crc8(crc, rx_data);
            if (length != expected) begin
              state <= HUNT0;
              error(E_LENGTH);
              quiet <= 1'b1;
            end else begin
              state <= PAYLOAD;
              quiet <= 1'b0;
              left <= length;
              issued <= '0;
              bpos <= '0;
            end
          end
          PAYLOAD: begin
            crc <= crc8(crc, rx_data);
            left <= left - 1'b1;
            if (left == 16'd1) state <= CHECK;
            if (is_image) begin
              beat <= beat_next;
              bpos <= bpos == BPOS'(IN_BYTES - 1) ? '0 : bpos + 1'b1;
              if (bpos == BPOS'(IN_BYTES - 1)) begin
                if (issued == COUNT'(DEPTH - 1)) held <= beat_next;
                else if (beat_busy) overrun();
                else begin
                  s_valid_q <= 1'b1;
                  s_tdata <= beat_next;
                  s_tlast <= 1'b0;
                  issued <= issued + 1'b1;
                end
              end
            end else begin
              reg_addr <= left == expected ? rx_data : reg_addr;
              if (left != expected) reg_value <= {rx_data, reg_value[31:8]};
            end
          end
          CHECK: begin
            state <= HUNT0;
            quiet <= 1'b0;
            if (rx_data != crc) begin
              if (is_image) abort(E_CHECKSUM);
              else error(E_CHECKSUM);
            end else if (is_image) begin
              if (beat_busy) overrun();
              else begin
                s_valid_q <= 1'b1;
                s_tdata <= held;
                s_tlast <= 1'b1;
              end
            end else if (ftype == T_READ) op_read <= 1'b1;
            else op_write <= 1'b1;
          end
          default: state <= HUNT0;
        endcase
      end
    end
  end

  always_ff @(posedge clk) begin
    if (rst) cause_head <= '0;
    else if (soft_reset) cause_head <= cause_head;
    else if (pop_cause) cause_head <= cause_head + 1'b1;
  end

  // ---- frame builder and transmitter
  logic tx_valid, tx_ready;
  logic [7:0] tx_byte;
  e3ne_uart_tx #(.CPB(CLKS_PER_BIT)) transmitter (.clk(clk), .rst(rst), .valid(tx_valid), .data(tx_byte), .ready(tx_ready), .tx(uart_tx));

  wire [15:0] tx_p = tx_i - 16'd5;     // payload byte index
  wire tx_handshake = tx_valid && tx_ready;
  wire [31:0] status_word = m_tdata[31] ? {m_tdata[31:24], causes[cause_head], m_tdata[15:0]} : m_tdata;
  wire [31:0] result_word = flushing ? 32'h0 : (m_tlast ? status_word : m_tdata);
  assign tx_valid = sending;
  assign m_tready = sending && tx_type == T_RESULT && !flushing && tx_i >= 16'd5 && tx_i < 16'd5 + tx_len
                    && tx_b == 2'd3 && tx_handshake;
  assign pop_cause = m_tready && m_tvalid && m_tlast && m_tdata[31];

  always_comb begin
    case (tx_i)
      16'd0: tx_byte = MAGIC0;
      16'd1: tx_byte = MAGIC1;
      16'd2: tx_byte = tx_type;
      16'd3: tx_byte = tx_len[7:0];
      16'd4: tx_byte = tx_len[15:8];
      default: begin
        if (tx_i == 16'd5 + tx_len) tx_byte = tx_crc;
        else if (tx_type == T_RESULT) tx_byte = result_word[8 * tx_b +: 8];
        else if (tx_type == T_ERROR) tx_byte = tx_cause;
        else if (tx_p == 16'd0) tx_byte = tx_addr;
        else tx_byte = tx_value[8 * (tx_p[2:0] - 3'd1) +: 8];
      end
    endcase
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      sending <= 1'b0;
      flushing <= 1'b0;
    end else begin
      if (tx_takes_error || tx_takes_reply || tx_takes_result) begin
        sending <= 1'b1;
        tx_i <= '0;
        tx_b <= '0;
        tx_crc <= '0;
        flushing <= 1'b0;
        tx_type <= tx_takes_error ? T_ERROR : tx_takes_reply ? T_REGISTER : T_RESULT;
        tx_len <= tx_takes_error ? 16'd1 : tx_takes_reply ? 16'd5 : LEN_RESULT;
        tx_cause <= err_cause;
        tx_addr <= reply_addr;
        tx_value <= reply_value;
      end else if (tx_handshake) begin
        tx_i <= tx_i + 1'b1;
        if (tx_i >= 16'd2 && tx_i < 16'd5 + tx_len) tx_crc <= crc8(tx_crc, tx_byte);
        if (tx_i >= 16'd5) tx_b <= tx_b + 1'b1;
        if (tx_i == 16'd5 + tx_len) sending <= 1'b0;
      end
      // a soft reset empties the AXI shell under a result frame being sent: finish it with zeros
      if (soft_reset && sending && tx_type == T_RESULT) flushing <= 1'b1;
    end
  end
endmodule
