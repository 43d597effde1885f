"""Reading and writing e3ne's MLIR files with every dialect the pipeline uses."""

from __future__ import annotations

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


def parse_module(path: Path | str) -> ModuleOp:
    """Parse and verify an MLIR file; errors name the file (and line, from the parser)."""
    path = Path(path)
    if not path.is_file():
        raise E3NEError("file not found", location=str(path))
    return parse_text(path.read_text(), str(path))


def parse_text(text: str, name: str) -> ModuleOp:
    """Parse and verify MLIR text; errors name `name` (a file, or what the text is)."""
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
