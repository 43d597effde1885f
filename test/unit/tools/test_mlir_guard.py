"""The pre-parse check of MLIR text (e3ne.ir.check_mlir_text) and the reading of MLIR files:
truncated or binary files are an E3NEError naming the file and line, before xDSL's lexer
(which backtracks for hours on an unterminated string) sees them."""

import subprocess
import sys

import pytest

from e3ne.errors import E3NEError
from e3ne.ir import check_mlir_text, parse_module

MODULE = """builtin.module {
  func.func @net(%x: tensor<1x2xf32>) -> tensor<1x1xf32> {
    // a comment with a " quote and a { brace
    %0 = snn.input %x : tensor<1x2xf32> -> tensor<1x2xf32>
    %1 = snn.linear %0 {weight = dense<"0x0000803F0000803F"> : tensor<1x2xf32>, s = "a\\"b\\\\c\\0A}"} : tensor<1x2xf32> -> tensor<1x1xf32>
    func.return %1 : tensor<1x1xf32>
  }
}
"""


def test_complete_text_passes():
    check_mlir_text(MODULE, "net.mlir")


def test_string_cut_off_names_its_line():
    cut = MODULE[: MODULE.index('"0x') + 9]
    with pytest.raises(E3NEError) as error:
        check_mlir_text(cut, "net.mlir")
    assert error.value.location == "net.mlir:5"
    assert error.value.message == "string literal is not closed before the end of its line (is the file truncated?)"
    assert error.value.hint == "regenerate the file (e.g. rerun `e3ne compile`) or restore it from a complete copy"


def test_string_running_past_its_line():
    text = MODULE.replace('"0x0000803F0000803F"', '"0x0000803F\n0000803F"')
    with pytest.raises(E3NEError) as error:
        check_mlir_text(text, "net.mlir")
    assert error.value.location == "net.mlir:5"


def test_unknown_escape_is_named_as_such():
    with pytest.raises(E3NEError) as error:
        check_mlir_text('x = "a\\qb"\n', "e.mlir")
    assert error.value.render() == 'e.mlir:1: string literal holds an escape MLIR does not have (only \\n \\t \\" \\\\ \\XX)'


def test_unclosed_block_names_where_it_opened():
    cut = "".join(MODULE.splitlines(keepends=True)[:5])
    with pytest.raises(E3NEError) as error:
        check_mlir_text(cut, "net.mlir")
    assert error.value.location == "net.mlir:6"
    assert error.value.message == "the file ends inside the '{' opened at line 2 (is the file truncated?)"


def test_parse_module_of_truncated_file_errors_at_once(tmp_path):
    """In a child process with a generous limit: without the check this parse runs for hours."""
    path = tmp_path / "snn.quant.mlir"
    path.write_text(MODULE.replace("0000803F0000803F", "00" * 2000)[: MODULE.index('"0x') + 3000])
    code = (
        "import sys\nfrom e3ne.ir import parse_module\nfrom e3ne.errors import E3NEError\n"
        f"try:\n    parse_module({str(path)!r})\nexcept E3NEError as e:\n    print(e.render())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.splitlines()[0] == (
        f"{path}:5: string literal is not closed before the end of its line (is the file truncated?)"
    )


def test_parse_module_of_binary_or_missing_file(tmp_path):
    weights = tmp_path / "weights.mlir"
    weights.write_bytes(b"PK\x03\x04\x00\x00\x80\xff")
    with pytest.raises(E3NEError) as error:
        parse_module(weights)
    assert error.value.render().startswith(f"{weights}: this is a binary file, not MLIR text\n  hint: a PyTorch")
    with pytest.raises(E3NEError) as error:
        parse_module(tmp_path / "snn.mlir")
    assert error.value.render() == f"{tmp_path / 'snn.mlir'}: file not found"


def test_latin1_text_is_not_utf8(tmp_path):
    path = tmp_path / "latin.mlir"
    path.write_bytes("// caf\xe9\n".encode("latin-1"))
    with pytest.raises(E3NEError) as error:
        parse_module(path)
    assert error.value.render() == f"{path}: not UTF-8 text at byte 6: this is not an MLIR file"
