"""load_model: `model.py:Class` plus a weights file; every failure is an E3NEError naming the file."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import torch
from torch import nn

from e3ne.errors import E3NEError
from e3ne.frontend import import_model, load_model

MODEL_SOURCE = """
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, hidden=8):
        super().__init__()
        self.fc1 = nn.Linear(4, hidden)
        self.fc2 = nn.Linear(hidden, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


class NeedsArgs(nn.Module):
    def __init__(self, width):
        super().__init__()


class Broken(nn.Module):
    def __init__(self):
        super().__init__()
        raise ValueError("no GPU here")


NOT_A_MODULE = 3
"""


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(MODEL_SOURCE)
    return path


def load_error(spec: str, weights: str | None = None) -> str:
    with pytest.raises(E3NEError) as info:
        load_model(spec, weights)
    return str(info.value)


def reference_net(model_file):
    return load_model(f"{model_file}:Net", None)


def test_load_without_weights(model_file):
    model = load_model(f"{model_file}:Net", None)
    assert type(model).__name__ == "Net" and not model.training
    assert [op.name for op in import_model(model, (4,)).body.block.first_op.body.block.ops][1:4] == [
        "snn.linear", "snn.relu", "snn.linear",
    ]


def test_load_state_dict(model_file, tmp_path):
    trained = reference_net(model_file)
    torch.nn.init.constant_(trained.fc1.weight, 0.25)
    torch.save(trained.state_dict(), tmp_path / "net.pt")
    model = load_model(f"{model_file}:Net", str(tmp_path / "net.pt"))
    assert torch.equal(model.fc1.weight, trained.fc1.weight)


def test_load_checkpoint_dict_and_dataparallel_prefix(model_file, tmp_path):
    trained = reference_net(model_file)
    state = {f"module.{k}": v for k, v in trained.state_dict().items()}
    torch.save({"epoch": 3, "state_dict": state}, tmp_path / "ckpt.pt")
    model = load_model(f"{model_file}:Net", str(tmp_path / "ckpt.pt"))
    assert torch.equal(model.fc2.bias, trained.fc2.bias)


def test_load_whole_pickled_module(model_file, tmp_path):
    """A module pickled by a training script that imported the model file."""
    script = textwrap.dedent(
        f"""
        import sys, torch
        sys.path.insert(0, {str(model_file.parent)!r})
        from model import Net
        net = Net()
        torch.nn.init.constant_(net.fc2.weight, 0.5)
        torch.save(net, {str(tmp_path / 'whole.pt')!r})
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    model = load_model(f"{model_file}:Net", str(tmp_path / "whole.pt"))
    assert torch.all(model.fc2.weight == 0.5)


def test_load_module_pickled_from_main(model_file, tmp_path):
    """A module pickled by a script that defined the class itself (`__main__.Net`)."""
    script = MODEL_SOURCE + textwrap.dedent(
        f"""
        net = Net()
        torch.nn.init.constant_(net.fc1.bias, -1.0)
        torch.save(net, {str(tmp_path / 'main.pt')!r})
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    model = load_model(f"{model_file}:Net", str(tmp_path / "main.pt"))
    assert torch.all(model.fc1.bias == -1.0)


def test_bad_spec():
    assert "must look like path/to/model.py:ClassName" in load_error("model.py")


def test_missing_model_file(tmp_path):
    message = load_error(f"{tmp_path / 'nope.py'}:Net")
    assert "nope.py" in message and "model file not found" in message


def test_model_file_with_syntax_error(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("import torch\n\nclass Net(:\n    pass\n")
    message = load_error(f"{path}:Net")
    assert f"{path}:3" in message and "SyntaxError" in message


def test_model_file_raising_at_import(tmp_path):
    path = tmp_path / "raises.py"
    path.write_text("import torch\nimport not_a_real_package_e3ne\n")
    message = load_error(f"{path}:Net")
    assert "raises.py:2" in message and "ModuleNotFoundError" in message


def test_missing_class(model_file):
    message = load_error(f"{model_file}:Netz")
    assert "no class 'Netz'" in message and "model.py" in message
    assert "Broken, NeedsArgs, Net" in message


def test_not_a_module_class(model_file):
    assert "'NOT_A_MODULE' is not a torch.nn.Module class" in load_error(f"{model_file}:NOT_A_MODULE")


def test_constructor_needs_arguments(model_file):
    message = load_error(f"{model_file}:NeedsArgs")
    assert "constructing NeedsArgs() failed: TypeError" in message and "no arguments" in message


def test_constructor_raises(model_file):
    message = load_error(f"{model_file}:Broken")
    assert "constructing Broken() failed: ValueError: no GPU here" in message and "model.py:" in message


def test_missing_weights_file(model_file, tmp_path):
    message = load_error(f"{model_file}:Net", str(tmp_path / "net.pt"))
    assert "net.pt" in message and "weights file not found" in message


def test_weights_not_a_checkpoint(model_file, tmp_path):
    (tmp_path / "junk.pt").write_text("not a torch file")
    message = load_error(f"{model_file}:Net", str(tmp_path / "junk.pt"))
    assert "junk.pt" in message and "cannot read weights" in message


def test_weights_hold_something_else(model_file, tmp_path):
    torch.save([1, 2, 3], tmp_path / "list.pt")
    message = load_error(f"{model_file}:Net", str(tmp_path / "list.pt"))
    assert "holds a list, not a state_dict" in message


def test_state_dict_key_mismatch(model_file, tmp_path):
    state = nn.Sequential(nn.Linear(4, 8), nn.Linear(8, 3)).state_dict()
    torch.save(state, tmp_path / "seq.pt")
    message = load_error(f"{model_file}:Net", str(tmp_path / "seq.pt"))
    assert "seq.pt" in message and "do not match Net" in message
    assert "missing keys: fc1.bias, fc1.weight, fc2.bias, fc2.weight" in message
    assert "unexpected keys: 0.bias, 0.weight, 1.bias, 1.weight" in message


def test_state_dict_shape_mismatch(model_file, tmp_path):
    state = reference_net(model_file).state_dict()
    state["fc1.weight"] = torch.zeros(16, 4)
    torch.save(state, tmp_path / "wide.pt")
    message = load_error(f"{model_file}:Net", str(tmp_path / "wide.pt"))
    assert "shape mismatch: fc1.weight is 16x4 in the file but 8x4 in Net" in message
