"""Reading and writing e3ne's MLIR files with every dialect the pipeline uses."""

from __future__ import annotations

import re
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import DiagnosticException, ParseError

from e3ne.errors import E3NEError
from e3ne.universe import E3NE_UNIVERSE


def make_context() -> Context:
    """A context with builtin/func and every dialect registered by e3ne (loaded lazily)."""
    from xdsl.dialects import get_all_dialects

    context = Context()
    for name, factory in {**get_all_dialects(), **E3NE_UNIVERSE.all_dialects}.items():
        context.register_dialect(name, factory)
    return context


# One scan over the text: a whole string literal (escapes allowed, no newline), a comment,
# a brace, or a lone quote (a string that never closes on its line, or holds an escape MLIR
# does not have). The escapes are the lexer's: \n \t \" \\ \XX. Possessive quantifiers
# never backtrack, so the scan is linear even on a 100 MB hex string.
_MLIR_TOKENS = re.compile(r'"(?:[^"\\\n\v\f]++|\\(?:["nt\\]|[0-9A-Fa-f]{2}))*+"|//[^\n]*|[{}"]')

_TRUNCATED_HINT = "regenerate the file (e.g. rerun `e3ne compile`) or restore it from a complete copy"


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def check_mlir_text(text: str, name: str, braces: bool = True) -> None:
    """Reject text the xDSL parser would hang on or misread as a truncated file.

    xDSL's lexer backtracks exponentially on a string literal that is not closed (a file cut
    in the middle of a `dense<"0x...">` weight runs for hours), so unterminated strings are
    found here first, in linear time; with `braces`, a `{` never closed by the end of the file
    is named too. Raises E3NEError naming `name:line`.
    """
    open_braces: list[int] = []
    for match in _MLIR_TOKENS.finditer(text):
        token = match.group()
        if token == '"':
            end_of_line = text.find("\n", match.start())
            rest = text[match.start() + 1 : end_of_line if end_of_line >= 0 else len(text)]
            location = f"{name}:{_line_of(text, match.start())}"
            if '"' in rest:
                raise E3NEError(
                    "string literal holds an escape MLIR does not have (only \\n \\t \\\" \\\\ \\XX)",
                    location=location,
                )
            raise E3NEError(
                "string literal is not closed before the end of its line (is the file truncated?)",
                location=location,
                hint=_TRUNCATED_HINT,
            )
        if token == "{":
            open_braces.append(match.start())
        elif token == "}" and open_braces:
            open_braces.pop()
    if braces and open_braces:
        raise E3NEError(
            f"the file ends inside the '{{' opened at line {_line_of(text, open_braces[-1])} "
            "(is the file truncated?)",
            location=f"{name}:{_line_of(text, len(text))}",
            hint=_TRUNCATED_HINT,
        )


def read_mlir_text(path: Path | str) -> str:
    """The text of an MLIR file, checked by `check_mlir_text`; E3NEError when missing or binary."""
    path = Path(path)
    if not path.exists():
        raise E3NEError("file not found", location=str(path))
    if not path.is_file():
        raise E3NEError("not a file", location=str(path), hint="give an MLIR file (.mlir)")
    data = path.read_bytes()
    text = decode_mlir_bytes(data, str(path))
    check_mlir_text(text, str(path))
    return text


def decode_mlir_bytes(data: bytes, name: str) -> str:
    """UTF-8 text of an MLIR file; a binary file (a PyTorch .pt, an .npz) is an E3NEError."""
    if b"\0" in data[:65536]:
        raise E3NEError(
            "this is a binary file, not MLIR text",
            location=name,
            hint="a PyTorch model or weights (.pt) goes through `e3ne compile MODEL.py:Class --weights W.pt`; "
            "e3ne-opt reads .mlir files that `e3ne compile` writes (snn.mlir, snn.quant.mlir, snnhw.mlir)",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise E3NEError(
            f"not UTF-8 text at byte {error.start}: this is not an MLIR file", location=name
        ) from None


def parse_module(path: Path | str) -> ModuleOp:
    """Parse and verify an MLIR file; errors name the file (and line, from the parser)."""
    path = Path(path)
    return parse_text(read_mlir_text(path), str(path), checked=True)


def parse_text(text: str, name: str, checked: bool = False) -> ModuleOp:
    """Parse and verify MLIR text; errors name `name` (a file, or what the text is).
    `checked`: the text already passed `check_mlir_text`."""
    if not checked:
        check_mlir_text(text, name)
    try:
        module = Parser(make_context(), text, name=name).parse_module()
        module.verify()
    except ParseError as error:
        raise E3NEError(f"cannot parse MLIR:\n{error}", location=name) from None
    except DiagnosticException as error:
        raise E3NEError(f"IR does not verify:\n{error}", location=name) from None
    return module


def module_text(module: ModuleOp) -> str:
    from io import StringIO

    stream = StringIO()
    Printer(stream=stream).print_op(module)
    stream.write("\n")
    return stream.getvalue()


def write_module(module: ModuleOp, path: Path | str) -> None:
    Path(path).write_text(module_text(module))
