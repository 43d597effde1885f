// RUN: e3ne-opt %s --split-input-file --verify-diagnostics | filecheck %s
// Enum-valued properties (IRDL constraints): ROM kind, buffer role, pool mode.

snnhw.accelerator @net {time_steps = 2} {
  snnhw.buffer @input {channels = 2, height = 1, width = 3, time_steps = 2, word_width = 3, depth = 4, role = "output"}
}
// CHECK: BufferRole must be one of 'input', 'hidden', got 'output'

// -----

snnhw.accelerator @net {time_steps = 2} {
  snnhw.rom @w {data = dense<[[1, -1]]> : tensor<1x2xsi3>, word_width = 6, depth = 1, kind = "flash"}
}
// CHECK: RomKind must be one of 'block', 'distributed', 'offchip', got 'flash'
