// e3ne memory primitives: small, vendor-inferable SystemVerilog (Vivado, Quartus, Yosys).
// The generated design instantiates them through one thin wrapper per memory, which fixes
// the parameters; ROM contents come from $readmemh files written next to the RTL.

// Simple dual-port RAM: one synchronous write port, one registered read port
// (read data appears the cycle after the address; a read of the address written in
// the same cycle returns the old word).
module e3ne_ram_sdp #(
  parameter int WIDTH = 8,
  parameter int DEPTH = 16,
  parameter int ADDR_WIDTH = 4
) (
  input  logic                  clk,
  input  logic                  we,
  input  logic [ADDR_WIDTH-1:0] waddr,
  input  logic [WIDTH-1:0]      wdata,
  input  logic [ADDR_WIDTH-1:0] raddr,
  output logic [WIDTH-1:0]      rdata
);
  logic [WIDTH-1:0] mem [0:DEPTH-1];
  always_ff @(posedge clk) begin
    if (we) mem[waddr] <= wdata;
    rdata <= mem[raddr];
  end
endmodule

// Single-port ROM in block RAM, registered read, initialised from INIT_FILE (hex words).
module e3ne_rom_block #(
  parameter int WIDTH = 8,
  parameter int DEPTH = 16,
  parameter int ADDR_WIDTH = 4,
  parameter INIT_FILE = ""
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
  always_ff @(posedge clk) data <= mem[addr];
endmodule

// Single-port ROM in LUTs (small ROMs), registered read, initialised from INIT_FILE.
module e3ne_rom_distributed #(
  parameter int WIDTH = 8,
  parameter int DEPTH = 16,
  parameter int ADDR_WIDTH = 4,
  parameter INIT_FILE = ""
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
  always_ff @(posedge clk) data <= mem[addr];
endmodule
