"""The generated SystemVerilog testbench (BUILD/rtl/tb.sv) and its input file format.

The testbench runs every image of one input file in a single simulation: per image it
writes the input bit-plane words through the host port, pulses `start`, counts cycles
until `done`, reads every logit through `logit_addr`/`logit_data`, and appends one line
`logit_0 ... logit_{n-1} cycles` to the output file (`+input=`, `+output=`, `+images=`).

With off-chip weights it also plays the external memory: an AXI4 slave (`axi_slave`)
holding `weights.hex`, with arready always high, the first beat of a burst
`memory_latency` cycles after its AR handshake, then one beat a cycle while rready is
high; bursts queue in AR order (several may be outstanding). `+axi_throttle=1` makes it a
slower memory (random arready and gaps between beats): same logits, more cycles.

A slice that ends in a hidden layer is read through `result_addr`/`result_data` instead: the
line holds every word of its result buffer in hex (`output_values` decodes them).
"""

from __future__ import annotations

import numpy as np

from e3ne.numerics import bitplanes


def input_words(encoded: np.ndarray, layout: dict) -> np.ndarray:
    """(N, features) activations -> (N, depth) buffer words (row + H*(channel + C*t) addressing).

    Word `j + words_per_step * t` holds, in bit w, spike[t] of feature `j * word_width + w`.
    """
    n = encoded.shape[0]
    flat = np.asarray(encoded, dtype=np.int64).reshape(n, -1)
    word_width, words_per_step = layout["word_width"], layout["words_per_step"]
    padded = np.zeros((n, word_width * words_per_step), dtype=np.int64)
    padded[:, : flat.shape[1]] = flat
    planes = bitplanes(padded, layout["time_steps"])  # (T, N, features)
    planes = planes.reshape(layout["time_steps"], n, words_per_step, word_width)
    weights = [1 << w for w in range(word_width)]
    words = np.zeros((n, layout["time_steps"], words_per_step), dtype=object)
    for w, weight in enumerate(weights):
        words = words + planes[..., w].transpose(1, 0, 2).astype(object) * weight
    return words.reshape(n, -1)


def input_text(words: np.ndarray, word_width: int) -> list[str]:
    """The input file's lines (with their newlines): every word of every image, in hex."""
    digits = max(1, -(-word_width // 4))
    return [f"{int(word):0{digits}x}\n" for row in words for word in row]


def axi_slave(axi: dict) -> str:
    """The AXI4 read slave memory model (docs/interface.md "Off-chip weights")."""
    beat_bytes = axi["data_width"] // 8
    return f"""
  // ---- external weight memory: AXI4 read slave initialised from weights.hex
  localparam int AXI = {axi['data_width']};
  localparam int AXI_ADDR = {axi['address_width']};
  localparam longint IMAGE_BEATS = {max(1, axi['beats'])};
  localparam longint LATENCY = {axi['memory_latency']};
  logic [AXI_ADDR-1:0] m_axi_araddr;
  logic [7:0] m_axi_arlen;
  logic [2:0] m_axi_arsize;
  logic [1:0] m_axi_arburst;
  logic m_axi_arvalid, m_axi_rready;
  logic m_axi_arready = 1'b1;
  int unsigned axi_throttle;  // +axi_throttle=1: random arready and R gaps (a slower memory)
  initial if (!$value$plusargs("axi_throttle=%d", axi_throttle)) axi_throttle = 0;
  logic [AXI-1:0] m_axi_rdata = '0;
  logic [1:0] m_axi_rresp = 2'b00;
  logic m_axi_rlast = 1'b0, m_axi_rvalid = 1'b0;
  logic [AXI-1:0] weight_image [0:IMAGE_BEATS-1];
  initial $readmemh("weights.hex", weight_image);
  longint unsigned axi_edge = 0;  // number of the current rising edge
  longint unsigned burst_beat[$], burst_due[$];
  int burst_left[$];
  always @(posedge clk) begin
    axi_edge = axi_edge + 1;
    if (m_axi_rvalid && m_axi_rready) begin  // a beat handshake at this edge
      burst_beat[0] = burst_beat[0] + 1;
      burst_left[0] = burst_left[0] - 1;
      if (burst_left[0] == 0) begin
        void'(burst_beat.pop_front());
        void'(burst_due.pop_front());
        void'(burst_left.pop_front());
      end
    end
    if (m_axi_arvalid && m_axi_arready) begin  // its first beat may hand over LATENCY edges later
      if (m_axi_arburst != 2'b01 || (1 << m_axi_arsize) != {beat_bytes}) $fatal(1, "AXI: only INCR bursts of full beats");
      if ((m_axi_araddr % 4096) + (longint'(m_axi_arlen) + 1) * {beat_bytes} > 4096) $fatal(1, "AXI: burst crosses 4 KiB");
      burst_beat.push_back(longint'(m_axi_araddr) / {beat_bytes});
      burst_left.push_back(int'(m_axi_arlen) + 1);
      burst_due.push_back(axi_edge + LATENCY);
    end
    if (axi_throttle != 0) m_axi_arready <= 1'($urandom % 2);
    if (m_axi_rvalid && !m_axi_rready) begin
      // a presented beat stays until it is taken
    end else if (burst_left.size() > 0 && burst_due[0] <= axi_edge + 1 && (axi_throttle == 0 || $urandom % 3 != 0)) begin
      if (burst_beat[0] >= IMAGE_BEATS) $fatal(1, "AXI: read past the weight image (beat %0d)", burst_beat[0]);
      m_axi_rvalid <= 1'b1;
      m_axi_rdata <= weight_image[burst_beat[0]];
      m_axi_rlast <= burst_left[0] == 1;
    end else begin
      m_axi_rvalid <= 1'b0;
      m_axi_rlast <= 1'b0;
    end
  end
"""


def output_values(words: np.ndarray, layout: dict) -> np.ndarray:
    """(N, depth) words of a hidden result buffer -> (N, features) T-bit activations; the
    inverse of `input_words` (t = 0 is the most significant bit-plane)."""
    n = words.shape[0]
    word_width, words_per_step, time_steps = layout["word_width"], layout["words_per_step"], layout["time_steps"]
    words = np.asarray(words, dtype=object).reshape(n, time_steps, words_per_step)
    size = -(-word_width // 8)  # one Python conversion per word, the bits in numpy
    raw = b"".join(int(word).to_bytes(size, "little") for word in words.ravel())
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8).reshape(-1, size), axis=1, bitorder="little")
    # feature j * word_width + w of step t is bit w of word j of plane t
    planes = bits[:, :word_width].reshape(n, time_steps, words_per_step * word_width).astype(np.int64)
    weights = 1 << np.arange(time_steps - 1, -1, -1, dtype=np.int64)
    values = np.einsum("ntf,t->nf", planes, weights)
    return values[:, : layout["features"]]


def readout(manifest: dict) -> tuple[str, int, int, str, int, str]:
    """How a testbench reads a run's results: (port prefix, count, width, $fwrite format,
    address width, description). A slice ending in a hidden layer: every word of its result
    buffer, in hex; otherwise the logits."""
    if "result" in manifest:
        result = manifest["result"]
        count, width, address_width = result["depth"], result["word_width"], result["address_width"]
        return "result", count, width, '"%0h ", result_data', address_width, f"the {count} words of its result buffer (hex)"
    logits = manifest["logits"]
    count, width, address_width = logits["count"], logits["width"], logits["address_width"]
    return "logit", count, width, '"%0d ", $signed(logit_data)', address_width, f"the {count} logits"


def preamble(layout: dict, count: int, address_width: int, width: int) -> str:
    """The testbench's sizes and its clock (one edge every 5 ns)."""
    return f"""`timescale 1ns/1ps
module tb;
  localparam int DEPTH = {layout['depth']};
  localparam int WORD = {layout['word_width']};
  localparam int ADDR = {layout['address_width']};
  localparam int CLASSES = {count};
  localparam int LOGIT_ADDR = {address_width};
  localparam int LOGIT = {width};

  logic clk = 1'b0;
  always #5 clk = ~clk;
"""


# The run's arguments and files, then three cycles of reset (inside an `initial begin`).
OPEN_FILES = """    if (!$value$plusargs("input=%s", input_file)) $fatal(1, "missing +input=<file>");
    if (!$value$plusargs("output=%s", output_file)) $fatal(1, "missing +output=<file>");
    if (!$value$plusargs("images=%d", images)) $fatal(1, "missing +images=<n>");
    fin = $fopen(input_file, "r");
    fout = $fopen(output_file, "w");
    if (fin == 0 || fout == 0) $fatal(1, "cannot open the input or output file");
    repeat (3) @(negedge clk);
    rst = 1'b0;
"""


def testbench(manifest: dict) -> str:
    top = manifest["top"]
    axi = manifest.get("axi")
    axi_ports = "".join(f", .{name}({name})" for name in manifest["ports"]["in"] + manifest["ports"]["out"] if name.startswith("m_axi_"))
    read, count, width, fmt, address_width, what = readout(manifest)
    return f"""// Generated by e3ne: runs all images of +input=<file> through `{top}`, one line per image
// in +output=<file>: {what}, then the cycles from start to done.
{preamble(manifest["input"], count, address_width, width)}  logic rst = 1'b1, start = 1'b0, in_we = 1'b0, done;
  logic [ADDR-1:0] in_addr = '0;
  logic [WORD-1:0] in_data = '0;
  logic [LOGIT_ADDR-1:0] {read}_addr = '0;
  logic [LOGIT-1:0] {read}_data;
{axi_slave(axi) if axi else ""}
  {top} dut (.clk(clk), .rst(rst), .start(start), .in_we(in_we), .in_addr(in_addr), .in_data(in_data),
      .{read}_addr({read}_addr), .done(done), .{read}_data({read}_data){axi_ports});

  string input_file, output_file;
  int images, fin, fout, image, word_index, k, cycles, status;
  longint unsigned edges = 0, first_edge;
  always @(posedge clk) edges <= edges + 1;
  logic [WORD-1:0] word;

  initial begin
{OPEN_FILES}    for (image = 0; image < images; image++) begin
      for (word_index = 0; word_index < DEPTH; word_index++) begin
        status = $fscanf(fin, "%h", word);
        if (status != 1) $fatal(1, "input file ends early (image %0d)", image);
        @(negedge clk);
        in_we = 1'b1;
        in_addr = ADDR'(word_index);
        in_data = word;
      end
      @(negedge clk);
      in_we = 1'b0;
      start = 1'b1;
      first_edge = edges;  // the next rising edge ends cycle 0 of the run
      @(negedge clk);
      start = 1'b0;
      wait (done);
      @(negedge clk);
      cycles = int'(edges - first_edge);  // the first cycle in which done is high
      for (k = 0; k < CLASSES; k++) begin
        {read}_addr = LOGIT_ADDR'(k);
        @(negedge clk);
        $fwrite(fout, {fmt});
      end
      $fwrite(fout, "%0d\\n", cycles);
      if ((image + 1) % 100 == 0 || image + 1 == images) $display("e3ne-progress %0d/%0d", image + 1, images);
    end
    $fclose(fout);
    $finish;
  end
endmodule
"""
