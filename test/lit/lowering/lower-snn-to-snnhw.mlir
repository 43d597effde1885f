// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{linear-parallelism=2}' | filecheck %s
// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw{linear-parallelism=3,1}' | filecheck %s --check-prefix=LIST
// RUN: e3ne-opt %s -p 'lower-snn-to-snnhw' | filecheck %s --check-prefix=FULL
// A 1x1x2x3 image (flattened to 6 features), 6 -> 3 -> 2, T = 2, 3-bit weights.

// CHECK-LABEL: snnhw.accelerator @tiny {time_steps = 2} {
// CHECK-NEXT:    snnhw.buffer @input {channels = 1 : i64, height = 2 : i64, width = 3 : i64, time_steps = 2 : i64, word_width = 3 : i64, depth = 4 : i64, role = "input"}
// Word g*in + i packs lane k = W[g*P + k, i]; the third output is padded with zeros.
// CHECK-NEXT:    snnhw.rom @fc1_weights {data = dense<{{\[\[}}1, 2], [-2, 2], [3, -1], [0, 1], [1, 0], [-1, 1], [-3, 0], [1, 0], [1, 0], [1, 0], [1, 0], [1, 0]]> : tensor<12x2xsi3>, word_width = 6 : i64, depth = 12 : i64, kind = "distributed"}
// CHECK-NEXT:    snnhw.linear_unit @fc1 {in_features = 6 : i64, out_features = 3 : i64, parallelism = 2 : i64, time_steps = 2 : i64, weight_bits = 3 : i64, accumulator_width = 7 : i64, shift = 1 : i64, output_layer = 0 : i64, bias = dense<[1, -2, 3]> : tensor<3xsi32>, input = @input, weights = @fc1_weights, output = @fc1_out}
// CHECK-NEXT:    snnhw.buffer @fc1_out {channels = 2 : i64, height = 1 : i64, width = 2 : i64, time_steps = 2 : i64, word_width = 2 : i64, depth = 4 : i64, role = "hidden"}
// CHECK-NEXT:    snnhw.rom @fc2_weights {data = dense<{{\[\[}}1, -2], [-1, 1], [2, 1]]> : tensor<3x2xsi3>, word_width = 6 : i64, depth = 3 : i64, kind = "distributed"}
// CHECK-NEXT:    snnhw.linear_unit @fc2 {{{.*}}parallelism = 2 : i64{{.*}}accumulator_width = 9 : i64, shift = 0 : i64, output_layer = 1 : i64, bias = dense<[0, 5]> : tensor<2xsi32>, input = @fc1_out, weights = @fc2_weights, output = @logits}
// CHECK-NEXT:    snnhw.logit_buffer @logits {entries = 2 : i64, depth = 2 : i64, word_width = 9 : i64}
// Stage cycles: ceil(out/P)*in*T + overhead, overhead = 9 (PIPELINE_LATENCY) + drain (T bit-planes, or P logits).
// CHECK-NEXT:    snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 35, 17>, stage_overhead = array<i64: 11, 11>, cycles = 52 : i64}
// CHECK-NEXT:  }
// CHECK-NOT:   func.func

// LIST:       snnhw.linear_unit @fc1 {{{.*}}parallelism = 3 : i64
// LIST:       snnhw.buffer @fc1_out {channels = 1 : i64, height = 1 : i64, width = 3 : i64
// LIST:       snnhw.linear_unit @fc2 {{{.*}}parallelism = 1 : i64
// LIST:       snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 23, 22>, stage_overhead = array<i64: 11, 10>, cycles = 45 : i64}

// FULL:       snnhw.schedule [@fc1, @fc2] {stage_cycles = array<i64: 23, 17>, stage_overhead = array<i64: 11, 11>, cycles = 40 : i64}

func.func @tiny(%x: tensor<1x1x2x3xf32>) -> tensor<1x2xsi9> {
  %0 = snn.encode %x {scale = 3, time_steps = 2} : tensor<1x1x2x3xf32> -> tensor<1x1x2x3xui2>
  %1 = snn.flatten %0 : tensor<1x1x2x3xui2> -> tensor<1x6xui2>
  %2 = snn.linear %1 {weight = dense<[[1, -2, 3, 0, 1, -1], [2, 2, -1, 1, 0, 1], [-3, 1, 1, 1, 1, 1]]> : tensor<3x6xsi3>, bias = dense<[1, -2, 3]> : tensor<3xsi32>, weight_scale = 2, input_scale = 3} : tensor<1x6xui2> -> tensor<1x3xsi7>
  %3 = snn.radix_neuron %2 {shift = 1, time_steps = 2, output_scale = 4} : tensor<1x3xsi7> -> tensor<1x3xui2>
  %4 = snn.linear %3 {weight = dense<[[1, -1, 2], [-2, 1, 1]]> : tensor<2x3xsi3>, bias = dense<[0, 5]> : tensor<2xsi32>, weight_scale = 2, input_scale = 4} : tensor<1x3xui2> -> tensor<1x2xsi9>
  func.return %4 : tensor<1x2xsi9>
}
