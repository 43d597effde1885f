// e3ne memory primitives: small, vendor-inferable SystemVerilog (Vivado, Quartus, Yosys).
// The generated design instantiates them through one thin wrapper per memory, which fixes
// the parameters; ROM contents come from $readmemh files written next to the RTL.

// Read latency: READ_LATENCY = 1 gives the word the cycle after the address (the memory's
// read register); each further cycle adds an output register (no reset, no enable), so a
// read path never carries the block RAM's slow clock-to-out into logic. A deep block ROM
// is split into banks by its wrapper (e3ne/backend/verilog.py): each bank's word is
// registered before the bank multiplexer, and once more after it (READ_LATENCY >= 4: a
// registered multiplexer per group of banks, then the groups' multiplexer and its register).

// Simple dual-port RAM: one synchronous write port, one registered read port
// (read data appears READ_LATENCY cycles after the address). ADDRESS_REGISTER = 1 registers
// the read address first (READ_LATENCY counts it), so no path runs from the reader's address
// logic into the RAM and Yosys's read/write collision compare; the memory's read register
// and READ_LATENCY - 1 - ADDRESS_REGISTER output registers follow. A read of the address
// written in the cycle the memory is read (with ADDRESS_REGISTER, the cycle after the read
// address) returns the old word.
module e3ne_ram_sdp #(
  parameter int WIDTH = 8,
  parameter int DEPTH = 16,
  parameter int ADDR_WIDTH = 4,
  parameter int READ_LATENCY = 1,
  parameter int ADDRESS_REGISTER = 0
) (
  input  logic                  clk,
  input  logic                  we,
  input  logic [ADDR_WIDTH-1:0] waddr,
  input  logic [WIDTH-1:0]      wdata,
  input  logic [ADDR_WIDTH-1:0] raddr,
  output logic [WIDTH-1:0]      rdata
);
  logic [ADDR_WIDTH-1:0] read_address;
  generate
    if (ADDRESS_REGISTER != 0) begin : address_register
      always_ff @(posedge clk) read_address <= raddr;
    end else begin : address_direct
      assign read_address = raddr;
    end
  endgenerate
  logic [WIDTH-1:0] mem [0:DEPTH-1];
  logic [WIDTH-1:0] read_word;
  always_ff @(posedge clk) begin
    if (we) mem[waddr] <= wdata;
    read_word <= mem[read_address];
  end
  e3ne_read_stage #(.WIDTH(WIDTH), .LATENCY(READ_LATENCY - ADDRESS_REGISTER)) out_reg (.clk(clk), .d(read_word), .q(rdata));
endmodule

// The read port's output registers after the memory's own read register: LATENCY - 1 of them.
module e3ne_read_stage #(
  parameter int WIDTH = 8,
  parameter int LATENCY = 1
) (
  input  logic             clk,
  input  logic [WIDTH-1:0] d,
  output logic [WIDTH-1:0] q
);
  generate
    if (LATENCY <= 1) begin : direct
      assign q = d;
    end else if (LATENCY == 2) begin : registered
      always_ff @(posedge clk) q <= d;
    end else begin : chain
      logic [(LATENCY-1)*WIDTH-1:0] stages;
      always_ff @(posedge clk) stages <= {stages[(LATENCY-2)*WIDTH-1:0], d};
      assign q = stages[(LATENCY-1)*WIDTH-1:(LATENCY-2)*WIDTH];
    end
  endgenerate
endmodule

// Single-port ROM in block RAM, registered read, initialised from INIT_FILE (hex words).
module e3ne_rom_block #(
  parameter int WIDTH = 8,
  parameter int DEPTH = 16,
  parameter int ADDR_WIDTH = 4,
  parameter INIT_FILE = "",
  parameter int READ_LATENCY = 1
) (
  input  logic                  clk,
  input  logic [ADDR_WIDTH-1:0] addr,
  output logic [WIDTH-1:0]      data
);
  (* rom_style = "block" *) logic [WIDTH-1:0] mem [0:DEPTH-1];
  generate
    if (INIT_FILE != "") begin : init
      initial $readmemh(INIT_FILE, mem);
    end
  endgenerate
  logic [WIDTH-1:0] read_word;
  always_ff @(posedge clk) read_word <= mem[addr];
  e3ne_read_stage #(.WIDTH(WIDTH), .LATENCY(READ_LATENCY)) out_reg (.clk(clk), .d(read_word), .q(data));
endmodule

// Single-port ROM in LUTs (small ROMs), registered read, initialised from INIT_FILE.
module e3ne_rom_distributed #(
  parameter int WIDTH = 8,
  parameter int DEPTH = 16,
  parameter int ADDR_WIDTH = 4,
  parameter INIT_FILE = "",
  parameter int READ_LATENCY = 1,
  parameter int KEEP_OUTPUT = 0
) (
  input  logic                  clk,
  input  logic [ADDR_WIDTH-1:0] addr,
  output logic [WIDTH-1:0]      data
);
  // No rom_style attribute: small ROMs become LUTs in every tool (Yosys rejects a forced
  // "distributed" mapping for a ROM, Vivado infers LUTs for small ones anyway).
  logic [WIDTH-1:0] mem [0:DEPTH-1];
  generate
    if (INIT_FILE != "") begin : init
      initial $readmemh(INIT_FILE, mem);
    end
  endgenerate
  logic [WIDTH-1:0] read_word;
  always_ff @(posedge clk) read_word <= mem[addr];
  // KEEP_OUTPUT (weight ROMs): the last read register is kept bit for bit. Yosys merges output
  // bits that are copies of another (equal in every word), and a merged weight bit makes equal
  // spike gates of trees far apart, which Yosys merges too: one LUT between two distant carry
  // chains (docs/timing-pipelining.md "Ninth step"). A bias ROM lets its copies merge.
  generate
    if (KEEP_OUTPUT != 0 && READ_LATENCY >= 2) begin : kept
      logic [WIDTH-1:0] last_stage_in;
      e3ne_read_stage #(.WIDTH(WIDTH), .LATENCY(READ_LATENCY - 1)) out_reg (.clk(clk), .d(read_word), .q(last_stage_in));
      (* keep *) always_ff @(posedge clk) data <= last_stage_in;
    end else begin : merged
      e3ne_read_stage #(.WIDTH(WIDTH), .LATENCY(READ_LATENCY)) out_reg (.clk(clk), .d(read_word), .q(data));
    end
  endgenerate
endmodule

// Off-chip weight buffer: the weight ROM of one unit, streamed from external memory
// through an AXI4 read master into two banks of GROUP_WORDS words (ping-pong).
//
// The unit reads words of group g (addresses g*GROUP_WORDS .. +GROUP_WORDS-1, any order,
// any number of times) through `addr` -> `data` (READ_LATENCY, as a ROM) while `ready`
// is high, and pulses `group_end` in its last read cycle of the group. `start` (the stage's
// start) begins the fetch of group 0; group g+1 is fetched while group g is read, into
// the bank freed when group g-1 ends. Fetching is one group at a time: all bursts of the
// group are requested on consecutive cycles (several outstanding, INCR, at most 256 beats,
// never crossing 4 KiB), beats are always accepted (rready = fetching). A word is
// BEATS_PER_WORD whole beats in the image, lowest beat = lowest bits; group g starts at
// byte BASE_ADDRESS + g*GROUP_WORDS*BEATS_PER_WORD*AXI_DATA_WIDTH/8.
// Timing (snnhw.fetch_cycles / offchip_issue_cycles): the fetch decided at edge X (start,
// the previous group's last beat, or the group_end freeing its bank) has its first AR
// valid the next cycle and its last beat written at edge X + latency + beats; `ready`
// rises the cycle after.
module e3ne_axi_weight_buffer #(
  parameter int WIDTH = 8,
  parameter int GROUP_WORDS = 4,
  parameter int GROUPS = 1,
  parameter int ADDR_WIDTH = 4,
  parameter int AXI_DATA_WIDTH = 128,
  parameter int AXI_ADDR_WIDTH = 32,
  parameter [63:0] BASE_ADDRESS = 64'd0,
  parameter int READ_LATENCY = 1
) (
  input  logic                      clk,
  input  logic                      rst,
  input  logic                      start,
  input  logic [ADDR_WIDTH-1:0]     addr,
  input  logic                      group_end,
  output logic [WIDTH-1:0]          data,
  output logic                      ready,
  output logic [AXI_ADDR_WIDTH-1:0] m_axi_araddr,
  output logic [7:0]                m_axi_arlen,
  output logic [2:0]                m_axi_arsize,
  output logic [1:0]                m_axi_arburst,
  output logic                      m_axi_arvalid,
  input  logic                      m_axi_arready,
  input  logic [AXI_DATA_WIDTH-1:0] m_axi_rdata,
  input  logic [1:0]                m_axi_rresp,
  input  logic                      m_axi_rlast,
  input  logic                      m_axi_rvalid,
  output logic                      m_axi_rready
);
  localparam int BEATS_PER_WORD = (WIDTH + AXI_DATA_WIDTH - 1) / AXI_DATA_WIDTH;
  localparam int BEAT_BYTES = AXI_DATA_WIDTH / 8;
  localparam int BEAT_SHIFT = $clog2(BEAT_BYTES);
  localparam int PAGE_BEATS = 4096 / BEAT_BYTES;
  localparam int MAX_BURST = PAGE_BEATS < 256 ? PAGE_BEATS : 256;  // a power of two
  localparam int BURST_BITS = $clog2(MAX_BURST);
  localparam int GROUP_BEATS = GROUP_WORDS * BEATS_PER_WORD;
  localparam int BANK_ADDR = $clog2(2 * GROUP_WORDS);
  // counters sized to what they count: groups 0..GROUPS, beats of a group 0..GROUP_BEATS,
  // a burst 1..MAX_BURST beats
  localparam int GROUP_COUNT = $clog2(GROUPS + 1);
  localparam int BEAT_COUNT = $clog2(GROUP_BEATS + 1);
  localparam int BURST_COUNT = BURST_BITS + 1;
  localparam int BEAT_INDEX = AXI_ADDR_WIDTH - BEAT_SHIFT;
  localparam [BEAT_INDEX-1:0] BASE_BEAT = BASE_ADDRESS[AXI_ADDR_WIDTH-1:BEAT_SHIFT];
  localparam int WORD_BEAT_BITS = BEATS_PER_WORD > 1 ? $clog2(BEATS_PER_WORD) : 1;

  // ---- the two banks; the unit reads the bank of the group it consumes
  logic [WIDTH-1:0] mem [0:2*GROUP_WORDS-1];
  logic [ADDR_WIDTH-1:0] consume_base;  // first address of the group being read
  logic [GROUP_COUNT-1:0] consume_group;
  logic consume_bank, active;
  logic [1:0] filled;                   // bank holds a complete group not yet read to its end
  wire [ADDR_WIDTH-1:0] local_addr = addr - consume_base;
  wire [BANK_ADDR-1:0] read_index = (consume_bank ? BANK_ADDR'(GROUP_WORDS) : BANK_ADDR'(0)) + BANK_ADDR'(local_addr);
  logic [WIDTH-1:0] read_word;
  always_ff @(posedge clk) read_word <= mem[read_index];
  e3ne_read_stage #(.WIDTH(WIDTH), .LATENCY(READ_LATENCY)) out_reg (.clk(clk), .d(read_word), .q(data));
  assign ready = active && filled[consume_bank];

  // ---- the fetch engine: one group at a time
  logic fetching, fill_bank;
  logic [GROUP_COUNT-1:0] fill_group;
  logic [BEAT_COUNT-1:0] ar_left, r_left;  // beats of the group left to request / to receive
  logic [WORD_BEAT_BITS-1:0] beat_in_word;
  logic [BEAT_INDEX-1:0] ar_beat;       // image beat index of the next burst
  logic [BANK_ADDR-1:0] fill_index;
  logic [BEATS_PER_WORD*AXI_DATA_WIDTH-1:0] assembly, word_in;
  generate
    if (BEATS_PER_WORD == 1) begin : one_beat
      assign word_in = m_axi_rdata;
    end else begin : several_beats
      assign word_in = {m_axi_rdata, assembly[BEATS_PER_WORD*AXI_DATA_WIDTH-1:AXI_DATA_WIDTH]};
    end
  endgenerate

  wire beat = fetching && m_axi_rvalid;
  wire last_beat = beat && r_left == 1;
  wire [GROUP_COUNT-1:0] next_group = last_beat ? fill_group + 1 : fill_group;
  wire next_bank = next_group[0];
  wire bank_free = !filled[next_bank] || (group_end && consume_bank == next_bank);
  wire begin_fetch = active && (!fetching || last_beat) && next_group < GROUPS && bank_free;
  wire ar_done = m_axi_arvalid && m_axi_arready;

  // the next burst: from `from_beat`, `want` beats left, cut at the MAX_BURST boundary
  wire new_group = start || begin_fetch;
  wire [BEAT_INDEX-1:0] from_beat = start ? BASE_BEAT : ar_beat;
  wire [BEAT_COUNT-1:0] want = new_group ? BEAT_COUNT'(GROUP_BEATS) : ar_left;
  wire [BURST_COUNT-1:0] room = BURST_COUNT'(MAX_BURST) - BURST_COUNT'(from_beat[BURST_BITS-1:0]);
  wire [BURST_COUNT-1:0] burst = want < room ? BURST_COUNT'(want) : room;  // want < room fits

  // outputs are zero unless valid, so the top can OR the buffers of all stages together
  logic [AXI_ADDR_WIDTH-1:0] araddr;
  logic [7:0] arlen;
  assign m_axi_araddr = m_axi_arvalid ? araddr : '0;
  assign m_axi_arlen = m_axi_arvalid ? arlen : '0;
  assign m_axi_arsize = m_axi_arvalid ? 3'(BEAT_SHIFT) : 3'b000;
  assign m_axi_arburst = m_axi_arvalid ? 2'b01 : 2'b00;  // INCR
  assign m_axi_rready = fetching;

  always_ff @(posedge clk) begin
    if (rst) begin
      active <= 1'b0;
      fetching <= 1'b0;
      filled <= 2'b00;
      m_axi_arvalid <= 1'b0;
      araddr <= '0;
      arlen <= '0;
    end else begin
      if (start) begin
        active <= 1'b1;
        consume_base <= '0;
        consume_bank <= 1'b0;
        consume_group <= '0;
        filled <= 2'b00;
        fill_group <= '0;
        fill_bank <= 1'b0;
        beat_in_word <= '0;
      end else begin
        // the unit finishes reading a group: its bank is free again
        if (group_end) begin
          consume_base <= consume_base + ADDR_WIDTH'(GROUP_WORDS);
          consume_bank <= ~consume_bank;
          consume_group <= consume_group + 1;
          if (consume_group == GROUPS - 1) active <= 1'b0;
        end
        filled[0] <= (filled[0] && !(group_end && !consume_bank)) || (last_beat && !fill_bank);
        filled[1] <= (filled[1] && !(group_end && consume_bank)) || (last_beat && fill_bank);
        // R: beats of the current group, words assembled lowest beat first
        if (beat) begin
          assembly <= word_in;
          if (beat_in_word == WORD_BEAT_BITS'(BEATS_PER_WORD - 1)) begin
            mem[fill_index] <= word_in[WIDTH-1:0];
            fill_index <= fill_index + 1'b1;
            beat_in_word <= '0;
          end else begin
            beat_in_word <= beat_in_word + 1'b1;
          end
          r_left <= r_left - 1;
        end
        if (last_beat) begin
          fill_group <= fill_group + 1;
          fill_bank <= ~fill_bank;
          fetching <= 1'b0;
        end
      end
      // AR: a new group's first burst (stage start, or a bank free), or the group's next burst
      if (new_group) begin
        fetching <= 1'b1;
        r_left <= BEAT_COUNT'(GROUP_BEATS);
        fill_index <= (!start && next_bank) ? BANK_ADDR'(GROUP_WORDS) : BANK_ADDR'(0);
      end
      if (new_group || (ar_done && ar_left != 0)) begin
        m_axi_arvalid <= 1'b1;
        araddr <= AXI_ADDR_WIDTH'({from_beat, BEAT_SHIFT'(0)});
        arlen <= 8'(burst - 1);
        ar_beat <= from_beat + BEAT_INDEX'(burst);
        ar_left <= want - BEAT_COUNT'(burst);  // burst <= want
      end else if (ar_done) begin
        m_axi_arvalid <= 1'b0;
      end
    end
  end
endmodule
