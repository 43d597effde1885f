"""Build directory checks (e3ne.build_checks): stale, missing, cut-off or edited files are named as such."""

import json
import os

import pytest

from e3ne.build_checks import (
    check_cycles,
    check_memory_files,
    prepare_output_dir,
    read_manifest,
    remove_stale_outputs,
)
from e3ne.errors import E3NEError

RTL = """module net_fc1_weights (input logic clk, input logic [1:0] addr, output logic [11:0] data);
  e3ne_rom_block #(.WIDTH(12), .DEPTH(3), .ADDR_WIDTH(2), .INIT_FILE("net_fc1_weights.hex")) memory (.*);
endmodule
"""
MANIFEST = {"top": "net", "time_steps": 4, "input": {}, "cycles_expected": 100, "layers": [], "logits": {}}


@pytest.fixture
def build(tmp_path):
    (tmp_path / "rtl").mkdir()
    (tmp_path / "rtl" / "net.sv").write_text(RTL)
    (tmp_path / "rtl" / "net_fc1_weights.hex").write_text("abc\n012\nfff\n")
    (tmp_path / "hardware.json").write_text(json.dumps(MANIFEST))
    (tmp_path / "snn.quant.mlir").write_text("")
    return tmp_path


def test_complete_build_passes(build):
    check_memory_files(build / "rtl")
    assert read_manifest(build)["cycles_expected"] == 100


def test_missing_memory_image(build):
    (build / "rtl" / "net_fc1_weights.hex").unlink()
    with pytest.raises(E3NEError) as error:
        check_memory_files(build / "rtl")
    assert error.value.render() == (
        f"{build / 'rtl' / 'net_fc1_weights.hex'}: memory image missing (the RTL loads it with $readmemh)\n"
        "  hint: rebuild it: e3ne compile ... -o BUILD"
    )


def test_cut_off_memory_image(build):
    (build / "rtl" / "net_fc1_weights.hex").write_text("abc\n01")
    with pytest.raises(E3NEError) as error:
        check_memory_files(build / "rtl")
    assert error.value.message == "has 2 words, the memory holds 3 (the file is cut off)"
    (build / "rtl" / "net_fc1_weights.hex").write_text("abc\n01\nfff\n")
    with pytest.raises(E3NEError) as error:
        check_memory_files(build / "rtl")
    assert error.value.message == "word 2 is '01', expected 3 hex digits (12 bits)"


def test_offchip_weight_image(build):
    manifest = dict(MANIFEST, axi={"image": "rtl/weights.hex", "beats": 2, "data_width": 8})
    (build / "rtl" / "weights.hex").write_text("00\n")
    with pytest.raises(E3NEError) as error:
        check_memory_files(build / "rtl", manifest)
    assert error.value.location == str(build / "rtl" / "weights.hex")
    assert error.value.message == "has 1 word, the memory holds 2 (the file is cut off)"


def test_manifest_missing_after_emit_snn(build):
    (build / "hardware.json").unlink()
    with pytest.raises(E3NEError) as error:
        read_manifest(build)
    assert error.value.render() == (
        f"{build}: no hardware.json: this build has no hardware (compiled with --emit snn?)\n"
        "  hint: compile without --emit snn, or simulate with --golden-only"
    )


def test_corrupted_manifest(build):
    (build / "hardware.json").write_text('{"top": "net", "cycles_expected": ')
    with pytest.raises(E3NEError) as error:
        read_manifest(build)
    assert error.value.message == "not valid JSON (line 1, column 35: Expecting value)"
    (build / "hardware.json").write_text(json.dumps({"top": "net"}))
    with pytest.raises(E3NEError) as error:
        read_manifest(build)
    assert error.value.message == "missing keys: time_steps, input, cycles_expected, layers, logits"
    (build / "hardware.json").write_text(json.dumps(dict(MANIFEST, cycles_expected="many")))
    with pytest.raises(E3NEError, match="cycles_expected must be a positive integer, got 'many'"):
        read_manifest(build)


def test_cycles_against_the_schedule():
    check_cycles(27416, 27416)
    with pytest.raises(E3NEError) as error:
        check_cycles(69534, 27416, location="build/mlp")
    assert error.value.message == (
        "the RTL took 69,534 cycles per image, the static schedule (hardware.json cycles_expected) says 27,416"
    )


def test_stale_outputs_are_removed_and_user_files_kept(build):
    (build / "notes.txt").write_text("mine")
    removed = remove_stale_outputs(build, keep={"snn.mlir", "snn.quant.mlir", "compile.json"})
    assert removed == ["hardware.json", "rtl"]
    assert sorted(p.name for p in build.iterdir()) == ["notes.txt", "snn.quant.mlir"]
    with pytest.raises(ValueError):
        remove_stale_outputs(build, keep={"notes.txt"})


def test_output_dir_is_a_file_or_unwritable(tmp_path):
    (tmp_path / "out").write_text("")
    with pytest.raises(E3NEError) as error:
        prepare_output_dir(tmp_path / "out")
    assert error.value.message == "the output path is an existing file, not a directory"
    assert prepare_output_dir(tmp_path / "new" / "build").is_dir()
    with pytest.raises(E3NEError, match="cannot create the build directory"):
        prepare_output_dir(tmp_path / "out" / "build")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(E3NEError, match="permission denied"):
            prepare_output_dir(locked)
