"""`e3ne-opt`: xdsl-opt with e3ne's dialects and passes, plus `--lower-snn-to-hw`.

Dialects, passes and targets come from the `xdsl.universe` entry point
(`e3ne/universe.py`); this driver only adds the named pipeline flag, checks the `-p`
pipeline and the input file first (`pass_options`, `e3ne.ir.check_mlir_text`), and prints
errors as diagnostics instead of tracebacks.
"""

from __future__ import annotations

import argparse
import os
import sys
from io import BytesIO
from typing import IO

from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError
from xdsl.xdsl_opt_main import xDSLOptMain

from e3ne.errors import E3NEError
from e3ne.ir import check_mlir_text, decode_mlir_bytes
from e3ne.tools.pass_options import check_pipeline, with_bare_values_quoted

LOWER_SNN_TO_HW = "lower-snn-to-hw"


class E3NEOptMain(xDSLOptMain):
    def register_all_arguments(self, arg_parser: argparse.ArgumentParser):
        super().register_all_arguments(arg_parser)
        arg_parser.add_argument(
            "--lower-snn-to-hw",
            action="store_true",
            help="run the named pipeline from integer snn to CIRCT hw/comb/seq "
            "(appended after any -p passes)",
        )

    def setup_pipeline(self):
        if self.args.lower_snn_to_hw:
            self.args.passes = ",".join(p for p in (self.args.passes, LOWER_SNN_TO_HW) if p)
        self.args.passes = with_bare_values_quoted(self.args.passes)
        check_pipeline(self.args.passes, self.available_passes)
        super().setup_pipeline()

    def get_input_stream(self) -> tuple[IO[bytes], str]:
        """The input read whole and checked: present, MLIR text, no string cut off (xDSL hangs on one)."""
        name = self.args.input_file
        if name is None:
            data, extension, name = sys.stdin.buffer.read(), "mlir", "<stdin>"
        else:
            if not os.path.exists(name):
                raise E3NEError("input file not found", location=name)
            if not os.path.isfile(name):
                raise E3NEError("input is not a file", location=name, hint="give an .mlir file")
            with open(name, "rb") as file:
                data = file.read()
            extension = os.path.splitext(name)[1].lstrip(".")
        text = decode_mlir_bytes(data, name)
        if extension not in self.available_frontends and not self.args.frontend:
            raise E3NEError(
                f"e3ne-opt reads MLIR (.mlir) files, not '.{extension}'" if extension else "the input has no extension",
                location=name,
                hint="if it is MLIR text, rename it to .mlir or pass --frontend mlir",
            )
        # with --parsing-diagnostics a test may hold deliberately unbalanced IR for the parser to report
        check_mlir_text(text, name, braces=not self.args.parsing_diagnostics)
        return BytesIO(data), extension


def main(argv: list[str] | None = None) -> int:
    try:
        E3NEOptMain(description="e3ne modular optimizer driver", args=argv).run()
    except (DiagnosticException, ParseError, ArgSpecParseError) as error:
        print(str(error), file=sys.stderr)
        return 1
    except E3NEError as error:
        print(f"error: {error.render()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
