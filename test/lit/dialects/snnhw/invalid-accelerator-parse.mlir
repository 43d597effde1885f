// RUN: not e3ne-opt %s 2>&1 | filecheck %s
// An snnhw.accelerator without time_steps is a parse error (it is never defaulted to 1).

snnhw.accelerator @net {axi_data_width = 32, memory_latency = 3} {
  snnhw.buffer @input {channels = 2, height = 1, width = 3, time_steps = 2, word_width = 3, depth = 4, role = "input"}
}
// CHECK: snnhw.accelerator @net needs time_steps (the number of spike time steps T)
