"""`e3ne-opt`: xdsl-opt with e3ne's dialects and passes, plus `--lower-snn-to-hw`.

Dialects, passes and targets come from the `xdsl.universe` entry point
(`e3ne/universe.py`); this driver only adds the named pipeline flag and prints
errors as diagnostics instead of tracebacks.
"""

from __future__ import annotations

import argparse
import sys

from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError
from xdsl.xdsl_opt_main import xDSLOptMain

from e3ne.errors import E3NEError

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
        super().setup_pipeline()


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
