// e3ne-opt explains a bad command line in one or two lines (no traceback), exit 1.
// RUN: not e3ne-opt %s -p 'snn-quantize{time-step=4}' 2>&1 | filecheck %s --check-prefix=OPTION
// RUN: not e3ne-opt %s -p snn-quantise 2>&1 | filecheck %s --check-prefix=PASS
// RUN: not e3ne-opt %s -p 'snn-quantize{time-steps=abc}' 2>&1 | filecheck %s --check-prefix=TYPE
// RUN: not e3ne-opt %s -p snn-calibrate 2>&1 | filecheck %s --check-prefix=REQUIRED
// RUN: not e3ne-opt %s -p 'snn-fold-batchnorm{eps=1}' 2>&1 | filecheck %s --check-prefix=NOOPTIONS
// RUN: not e3ne-opt %t.does-not-exist.mlir -p snn-quantize 2>&1 | filecheck %s --check-prefix=MISSING
// RUN: %python -c "open('%t.pt', 'wb').write(bytes([0x50, 0x4b, 3, 4, 0, 0, 0x80, 0xff]))"
// RUN: not e3ne-opt %t.pt -p snn-quantize 2>&1 | filecheck %s --check-prefix=BINARY
// RUN: %python -c "open('%t.weights.mlir', 'wb').write(bytes([0x50, 0x4b, 3, 4, 0, 0, 0x80, 0xff]))"
// RUN: not e3ne-opt %t.weights.mlir 2>&1 | filecheck %s --check-prefix=BINARY
// RUN: %python -c "open('%t.txt', 'w').write('builtin.module {}\n')"
// RUN: not e3ne-opt %t.txt 2>&1 | filecheck %s --check-prefix=EXTENSION
// RUN: not e3ne-opt %s -p 'snn-calibrate{data=calib.npz' 2>&1 | filecheck %s --check-prefix=SYNTAX

// OPTION:      error: pass snn-quantize has no option 'time-step'
// OPTION-NEXT:   hint: did you mean 'time-steps'? options of snn-quantize: time-steps, weight-bits, sigma, input-bits, leak-bits (e.g. snn-quantize{time-steps=4 weight-bits=4 sigma=3.0 input-bits=8 leak-bits=8})
// OPTION-NOT:  Traceback

// PASS:      error: unknown pass 'snn-quantise'
// PASS-NEXT:   hint: did you mean 'snn-quantize'? e3ne's passes: lower-snn-to-hw, {{.*}}, snn-quantize, {{.*}}
// PASS-NOT:  Traceback

// TYPE:      error: pass snn-quantize: option time-steps=abc must be an integer
// TYPE-NEXT:   hint: e.g. -p 'snn-quantize{time-steps=4 weight-bits=4 sigma=3.0 input-bits=8 leak-bits=8}'

// REQUIRED:      error: pass snn-calibrate needs option 'data'
// REQUIRED-NEXT:   hint: e.g. -p 'snn-calibrate{data=...}'

// NOOPTIONS: error: pass snn-fold-batchnorm takes no options, got 'eps'

// MISSING:     error: {{.*}}does-not-exist.mlir: input file not found
// MISSING-NOT: Traceback

// BINARY:      error: {{.*}}: this is a binary file, not MLIR text
// BINARY-NEXT:   hint: a PyTorch model or weights (.pt) goes through `e3ne compile MODEL.py:Class --weights W.pt`; e3ne-opt reads .mlir files {{.*}}
// BINARY-NOT:  Traceback

// EXTENSION:      error: {{.*}}.txt: e3ne-opt reads MLIR (.mlir) files, not '.txt'
// EXTENSION-NEXT:   hint: if it is MLIR text, rename it to .mlir or pass --frontend mlir

// SYNTAX:      error: cannot read the pass pipeline:
// SYNTAX:      snn-calibrate{data=calib.npz
// SYNTAX:        hint: passes are separated by ',' and options by spaces
// SYNTAX-NOT:  Traceback

func.func @empty(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  func.return %x : tensor<1x2xf32>
}
