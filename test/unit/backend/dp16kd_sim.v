// Test-only behavioural model of the ECP5 DP16KD block RAM, for gate-level simulation of
// synth_ecp5 netlists (Yosys's share/ecp5/cells_sim.v has DP16KD as a blackbox only).
//
// It models what Yosys's memory_libmap mapping (share/lattice/brams_16kd.txt,
// brams_map_16kd.v) relies on, plus the output register:
// * contents: INITVAL_00..3F, each 16 rows of 20 bits of which the low 18 are data (Yosys's
//   init_slice); the 1024 x 18 rows form one bit array, indexed like libmap's INIT with
//   `byte 9`: a 9- or 18-bit word w at bit 9*w or 18*w, a 36-bit word at 36*w, and a
//   1/2/4-bit word at (w*W/8)*9 + (w*W)%8 (narrow words skip every 9th bit);
// * addresses: ADx[13:0] is the bit address (word w of width W at ADx = w*W for W < 9,
//   ADx[13:4] for 18, [13:3] for 9, [13:5] for 36); ADx[1:0] are the byte enables at width
//   18, ADA[3:0] at width 36;
// * DATA_WIDTH_A = 36 is pseudo-dual-port (Yosys's $__PDPW16KD_): writes on A (CLKA, CEA,
//   WEA, ADA), reads on B (CLKB, CEB, OCEB, RSTB) with DO[17:0] on DOA and DO[35:18] on DOB,
//   or a narrower read word on DOB;
// * a read port latches mem[address] at its clock edge when CE is high (the RAM's own read
//   latch, NOREG); WRITEMODE NORMAL keeps the output while the port writes, WRITETHROUGH
//   shows the new word, READBEFOREWRITE the old one; RST (synchronous) clears the latch;
// * REGMODE "OUTREG" adds the output register: it takes the latch at the next edge when OCE
//   is high (cleared by RST), so the word appears one cycle later. Both start at 0.
// CSDECODE and the chip-select pins are ignored (Yosys ties them to 0 = selected).
module DP16KD(
  input DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0,
  input ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0,
  input CEA, OCEA, CLKA, WEA, RSTA,
  input CSA2, CSA1, CSA0,
  output DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0,
  input DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0,
  input ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0,
  input CEB, OCEB, CLKB, WEB, RSTB,
  input CSB2, CSB1, CSB0,
  output DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0
);
  parameter DATA_WIDTH_A = 18;
  parameter DATA_WIDTH_B = 18;
  parameter REGMODE_A = "NOREG";
  parameter REGMODE_B = "NOREG";
  parameter RESETMODE = "SYNC";
  parameter ASYNC_RESET_RELEASE = "SYNC";
  parameter CSDECODE_A = "0b000";
  parameter CSDECODE_B = "0b000";
  parameter WRITEMODE_A = "NORMAL";
  parameter WRITEMODE_B = "NORMAL";
  parameter CLKAMUX = "CLKA";
  parameter CLKBMUX = "CLKB";
  parameter GSR = "ENABLED";
  parameter WID = 0;
  parameter INIT_DATA = "STATIC";
  parameter INITVAL_00 = 320'h0; parameter INITVAL_01 = 320'h0; parameter INITVAL_02 = 320'h0; parameter INITVAL_03 = 320'h0;
  parameter INITVAL_04 = 320'h0; parameter INITVAL_05 = 320'h0; parameter INITVAL_06 = 320'h0; parameter INITVAL_07 = 320'h0;
  parameter INITVAL_08 = 320'h0; parameter INITVAL_09 = 320'h0; parameter INITVAL_0A = 320'h0; parameter INITVAL_0B = 320'h0;
  parameter INITVAL_0C = 320'h0; parameter INITVAL_0D = 320'h0; parameter INITVAL_0E = 320'h0; parameter INITVAL_0F = 320'h0;
  parameter INITVAL_10 = 320'h0; parameter INITVAL_11 = 320'h0; parameter INITVAL_12 = 320'h0; parameter INITVAL_13 = 320'h0;
  parameter INITVAL_14 = 320'h0; parameter INITVAL_15 = 320'h0; parameter INITVAL_16 = 320'h0; parameter INITVAL_17 = 320'h0;
  parameter INITVAL_18 = 320'h0; parameter INITVAL_19 = 320'h0; parameter INITVAL_1A = 320'h0; parameter INITVAL_1B = 320'h0;
  parameter INITVAL_1C = 320'h0; parameter INITVAL_1D = 320'h0; parameter INITVAL_1E = 320'h0; parameter INITVAL_1F = 320'h0;
  parameter INITVAL_20 = 320'h0; parameter INITVAL_21 = 320'h0; parameter INITVAL_22 = 320'h0; parameter INITVAL_23 = 320'h0;
  parameter INITVAL_24 = 320'h0; parameter INITVAL_25 = 320'h0; parameter INITVAL_26 = 320'h0; parameter INITVAL_27 = 320'h0;
  parameter INITVAL_28 = 320'h0; parameter INITVAL_29 = 320'h0; parameter INITVAL_2A = 320'h0; parameter INITVAL_2B = 320'h0;
  parameter INITVAL_2C = 320'h0; parameter INITVAL_2D = 320'h0; parameter INITVAL_2E = 320'h0; parameter INITVAL_2F = 320'h0;
  parameter INITVAL_30 = 320'h0; parameter INITVAL_31 = 320'h0; parameter INITVAL_32 = 320'h0; parameter INITVAL_33 = 320'h0;
  parameter INITVAL_34 = 320'h0; parameter INITVAL_35 = 320'h0; parameter INITVAL_36 = 320'h0; parameter INITVAL_37 = 320'h0;
  parameter INITVAL_38 = 320'h0; parameter INITVAL_39 = 320'h0; parameter INITVAL_3A = 320'h0; parameter INITVAL_3B = 320'h0;
  parameter INITVAL_3C = 320'h0; parameter INITVAL_3D = 320'h0; parameter INITVAL_3E = 320'h0; parameter INITVAL_3F = 320'h0;

  localparam PDP = DATA_WIDTH_A == 36;
  // nextpnr sets REGMODE_A and REGMODE_B from a PDPW16KD's one REGMODE: they must agree
  initial if (PDP && REGMODE_A != REGMODE_B) $fatal(1, "DP16KD: pseudo-dual-port with REGMODE_A != REGMODE_B");
  wire [13:0] ada = {ADA13, ADA12, ADA11, ADA10, ADA9, ADA8, ADA7, ADA6, ADA5, ADA4, ADA3, ADA2, ADA1, ADA0};
  wire [13:0] adb = {ADB13, ADB12, ADB11, ADB10, ADB9, ADB8, ADB7, ADB6, ADB5, ADB4, ADB3, ADB2, ADB1, ADB0};
  wire [17:0] dia = {DIA17, DIA16, DIA15, DIA14, DIA13, DIA12, DIA11, DIA10, DIA9, DIA8, DIA7, DIA6, DIA5, DIA4, DIA3, DIA2, DIA1, DIA0};
  wire [17:0] dib = {DIB17, DIB16, DIB15, DIB14, DIB13, DIB12, DIB11, DIB10, DIB9, DIB8, DIB7, DIB6, DIB5, DIB4, DIB3, DIB2, DIB1, DIB0};
  wire clka = CLKAMUX == "INV" ? ~CLKA : CLKA;
  wire clkb = CLKBMUX == "INV" ? ~CLKB : CLKB;

  reg [18431:0] mem;
  reg [319:0] initval [0:63];
  integer row, slot;
  initial begin
    initval[8'h00] = INITVAL_00; initval[8'h01] = INITVAL_01; initval[8'h02] = INITVAL_02; initval[8'h03] = INITVAL_03;
    initval[8'h04] = INITVAL_04; initval[8'h05] = INITVAL_05; initval[8'h06] = INITVAL_06; initval[8'h07] = INITVAL_07;
    initval[8'h08] = INITVAL_08; initval[8'h09] = INITVAL_09; initval[8'h0A] = INITVAL_0A; initval[8'h0B] = INITVAL_0B;
    initval[8'h0C] = INITVAL_0C; initval[8'h0D] = INITVAL_0D; initval[8'h0E] = INITVAL_0E; initval[8'h0F] = INITVAL_0F;
    initval[8'h10] = INITVAL_10; initval[8'h11] = INITVAL_11; initval[8'h12] = INITVAL_12; initval[8'h13] = INITVAL_13;
    initval[8'h14] = INITVAL_14; initval[8'h15] = INITVAL_15; initval[8'h16] = INITVAL_16; initval[8'h17] = INITVAL_17;
    initval[8'h18] = INITVAL_18; initval[8'h19] = INITVAL_19; initval[8'h1A] = INITVAL_1A; initval[8'h1B] = INITVAL_1B;
    initval[8'h1C] = INITVAL_1C; initval[8'h1D] = INITVAL_1D; initval[8'h1E] = INITVAL_1E; initval[8'h1F] = INITVAL_1F;
    initval[8'h20] = INITVAL_20; initval[8'h21] = INITVAL_21; initval[8'h22] = INITVAL_22; initval[8'h23] = INITVAL_23;
    initval[8'h24] = INITVAL_24; initval[8'h25] = INITVAL_25; initval[8'h26] = INITVAL_26; initval[8'h27] = INITVAL_27;
    initval[8'h28] = INITVAL_28; initval[8'h29] = INITVAL_29; initval[8'h2A] = INITVAL_2A; initval[8'h2B] = INITVAL_2B;
    initval[8'h2C] = INITVAL_2C; initval[8'h2D] = INITVAL_2D; initval[8'h2E] = INITVAL_2E; initval[8'h2F] = INITVAL_2F;
    initval[8'h30] = INITVAL_30; initval[8'h31] = INITVAL_31; initval[8'h32] = INITVAL_32; initval[8'h33] = INITVAL_33;
    initval[8'h34] = INITVAL_34; initval[8'h35] = INITVAL_35; initval[8'h36] = INITVAL_36; initval[8'h37] = INITVAL_37;
    initval[8'h38] = INITVAL_38; initval[8'h39] = INITVAL_39; initval[8'h3A] = INITVAL_3A; initval[8'h3B] = INITVAL_3B;
    initval[8'h3C] = INITVAL_3C; initval[8'h3D] = INITVAL_3D; initval[8'h3E] = INITVAL_3E; initval[8'h3F] = INITVAL_3F;
    for (row = 0; row < 64; row = row + 1)
      for (slot = 0; slot < 16; slot = slot + 1)
        mem[(row * 16 + slot) * 18 +: 18] = initval[row][slot * 20 +: 18];
  end

  // bit position of the word at address `address` of width `width`
  function integer position(input integer width, input [13:0] address);
    integer bits;
    begin
      if (width == 36) position = 36 * address[13:5];
      else if (width == 18) position = 18 * address[13:4];
      else if (width == 9) position = 9 * address[13:3];
      else begin
        bits = address;  // ADx = w * W for W < 9
        position = (bits / 8) * 9 + bits % 8;
      end
    end
  endfunction

  function [35:0] read_word(input integer width, input [13:0] address);
    integer p, i;
    begin
      p = position(width, address);
      read_word = 36'b0;
      for (i = 0; i < width; i = i + 1) read_word[i] = mem[p + i];
    end
  endfunction

  // port A: write (both modes) and read (true dual-port only)
  reg [17:0] latch_a = 18'b0, out_a = 18'b0;
  reg [35:0] latch_pdp = 36'b0, out_pdp = 36'b0;
  reg [17:0] latch_b = 18'b0, out_b = 18'b0;
  integer i, p;
  always @(posedge clka) begin
    if (CEA) begin
      if (!PDP && !WEA) latch_a <= read_word(DATA_WIDTH_A, ada);
      else if (!PDP && WRITEMODE_A == "WRITETHROUGH") latch_a <= dia;
      else if (!PDP && WRITEMODE_A == "READBEFOREWRITE") latch_a <= read_word(DATA_WIDTH_A, ada);
      if (WEA) begin
        p = position(DATA_WIDTH_A, ada);
        for (i = 0; i < DATA_WIDTH_A; i = i + 1)
          if (DATA_WIDTH_A == 36 ? ada[i / 9] : DATA_WIDTH_A == 18 ? ada[i / 9] : 1'b1)
            mem[p + i] <= (i < 18) ? dia[i] : dib[i - 18];
      end
    end
    if (RSTA && !PDP) latch_a <= 18'b0;  // ungated by CE (brams_16kd.txt: rdsrst zero ungated)
  end
  always @(posedge clka) if (!PDP) begin
    if (RSTA) out_a <= 18'b0;
    else if (OCEA) out_a <= latch_a;
  end

  // port B: the pseudo-dual-port read port, or the second true dual-port port
  always @(posedge clkb) begin
    if (CEB) begin
      if (PDP) latch_pdp <= read_word(DATA_WIDTH_B, adb);
      else begin
        if (!WEB) latch_b <= read_word(DATA_WIDTH_B, adb);
        else if (WRITEMODE_B == "WRITETHROUGH") latch_b <= dib;
        else if (WRITEMODE_B == "READBEFOREWRITE") latch_b <= read_word(DATA_WIDTH_B, adb);
        if (WEB) begin
          p = position(DATA_WIDTH_B, adb);
          for (i = 0; i < DATA_WIDTH_B; i = i + 1)
            if (DATA_WIDTH_B == 18 ? adb[i / 9] : 1'b1) mem[p + i] <= dib[i];
        end
      end
    end
    if (RSTB) begin
      latch_pdp <= 36'b0;
      latch_b <= 18'b0;
    end
  end
  always @(posedge clkb) begin
    if (RSTB) begin
      out_pdp <= 36'b0;
      out_b <= 18'b0;
    end else if (OCEB) begin
      out_pdp <= latch_pdp;
      out_b <= latch_b;
    end
  end

  wire [35:0] pdp_word = REGMODE_B == "OUTREG" ? out_pdp : latch_pdp;
  wire [17:0] a_word = REGMODE_A == "OUTREG" ? out_a : latch_a;
  wire [17:0] b_word = REGMODE_B == "OUTREG" ? out_b : latch_b;
  wire [17:0] doa = PDP ? (DATA_WIDTH_B == 36 ? pdp_word[17:0] : 18'b0) : a_word;
  wire [17:0] dob = PDP ? (DATA_WIDTH_B == 36 ? pdp_word[35:18] : pdp_word[17:0]) : b_word;
  assign {DOA17, DOA16, DOA15, DOA14, DOA13, DOA12, DOA11, DOA10, DOA9, DOA8, DOA7, DOA6, DOA5, DOA4, DOA3, DOA2, DOA1, DOA0} = doa;
  assign {DOB17, DOB16, DOB15, DOB14, DOB13, DOB12, DOB11, DOB10, DOB9, DOB8, DOB7, DOB6, DOB5, DOB4, DOB3, DOB2, DOB1, DOB0} = dob;
endmodule
