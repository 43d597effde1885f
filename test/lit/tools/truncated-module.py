# A quantized module cut off in the middle of a dense hex string (a copy interrupted while
# writing) is an error naming the file and line at once; xDSL's lexer alone would backtrack
# for hours on the unterminated string.
# RUN: %python %s %S/../../../examples/mlp %t
# RUN: not e3ne-opt %t.cut-in-string.mlir 2>&1 | filecheck %s --check-prefix=STRING
# RUN: not e3ne-opt %t.cut-in-block.mlir -p snn-infer-widths 2>&1 | filecheck %s --check-prefix=BLOCK
# RUN: e3ne-opt %t.whole.mlir | filecheck %s --check-prefix=WHOLE

# STRING:      error: {{.*}}cut-in-string.mlir:5: string literal is not closed before the end of its line (is the file truncated?)
# STRING-NEXT:   hint: regenerate the file (e.g. rerun `e3ne compile`) or restore it from a complete copy
# STRING-NOT:  Traceback

# BLOCK:       error: {{.*}}cut-in-block.mlir:7: the file ends inside the '{' opened at line 2 (is the file truncated?)

# WHOLE:       snn.linear %1 {weight = dense<"0x

import sys
from pathlib import Path

import numpy as np

from e3ne.frontend.loader import load_model
from e3ne.frontend import import_model
from e3ne.ir import module_text
from e3ne.transforms.snn.quantize_pipeline import quantize_module

example, out = Path(sys.argv[1]), sys.argv[2]
model = load_model(f"{example / 'model.py'}:MLP", str(example / "weights.pt"))
calibration = np.random.default_rng(0).random((8, 1, 28, 28), dtype=np.float32)
text = module_text(quantize_module(import_model(model, (1, 28, 28)), calibration))
Path(f"{out}.whole.mlir").write_text(text)
# line 5 is fc1 (`%2 = snn.linear %1 {weight = dense<"0x...`): cut 1000 hex digits into it
Path(f"{out}.cut-in-string.mlir").write_text(text[: text.index('dense<"0x') + 1000])
# six whole lines: the function and module never close
Path(f"{out}.cut-in-block.mlir").write_text("".join(text.splitlines(keepends=True)[:6]))
