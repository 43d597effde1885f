"""Loading the user's model: `path/to/model.py:ClassName` plus an optional `.pt` file.

The class is constructed with no arguments; the weights file holds a state_dict (also
inside a `{"state_dict": ...}` checkpoint) or a whole pickled module. Every failure is
an `E3NEError` that names the file and what is wrong.
"""

from __future__ import annotations

import importlib.util
import inspect
import pickle
import sys
import types
from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from e3ne.errors import E3NEError
from e3ne.frontend.tracing import display_path, user_frame_of_exception

_MAX_LISTED = 5


def load_model(spec: str, weights: str | None) -> nn.Module:
    """Import the model class from `spec`, construct it and load `weights` into it."""
    path_text, separator, class_name = spec.rpartition(":")
    if not separator or not path_text or not class_name:
        raise E3NEError(f"model spec '{spec}' must look like path/to/model.py:ClassName")
    path = Path(path_text)
    source = _import_file(path)
    model = _construct(source, class_name, path)
    if weights is not None:
        _load_weights(model, Path(weights), source)
    return model.eval()


def _import_file(path: Path) -> types.ModuleType:
    if not path.is_file():
        raise E3NEError("model file not found", location=str(path))
    module_name = f"e3ne_user_model_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise E3NEError("cannot import this file as Python (is it a .py file?)", location=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(path.resolve().parent))  # sibling imports of the model file
    try:
        spec.loader.exec_module(module)
    except BaseException as error:  # SyntaxError, ImportError, SystemExit, anything at import
        del sys.modules[module_name]
        location = f"{error.filename}:{error.lineno}" if isinstance(error, SyntaxError) else None
        raise E3NEError(
            f"importing the model file failed: {type(error).__name__}: {error}",
            location=location or user_frame_of_exception(error) or str(path),
        ) from None
    finally:
        sys.path.remove(str(path.resolve().parent))
    existing = sys.modules.get(path.stem)  # so whole-module pickles that name the file can load
    if existing is None or existing.__name__.startswith("e3ne_user_model_"):
        sys.modules[path.stem] = module
    return module


def _construct(source: types.ModuleType, class_name: str, path: Path) -> nn.Module:
    cls = getattr(source, class_name, None)
    if cls is None:
        found = sorted(
            name for name, value in vars(source).items()
            if inspect.isclass(value) and issubclass(value, nn.Module) and value.__module__ == source.__name__
        )
        raise E3NEError(
            f"no class '{class_name}' in the model file",
            location=str(path),
            hint=f"nn.Module classes defined there: {', '.join(found) or 'none'}",
        )
    if not (inspect.isclass(cls) and issubclass(cls, nn.Module)):
        raise E3NEError(f"'{class_name}' is not a torch.nn.Module class", location=str(path))
    try:
        return cls()
    except Exception as error:
        raise E3NEError(
            f"constructing {class_name}() failed: {type(error).__name__}: {error}",
            location=user_frame_of_exception(error) or str(path),
            hint="e3ne constructs the class with no arguments: give every __init__ parameter a default"
            if isinstance(error, TypeError)
            else None,
        ) from None


class _UserUnpickler(pickle.Unpickler):
    """Resolves classes pickled from `__main__` (a training script) in the model file."""

    source: types.ModuleType | None = None

    def find_class(self, module: str, name: str):
        if module == "__main__" and self.source is not None and hasattr(self.source, name):
            return getattr(self.source, name)
        return super().find_class(module, name)


def _read_weights(path: Path, source: types.ModuleType) -> object:
    if not path.is_file():
        raise E3NEError("weights file not found", location=str(path))
    if path.stat().st_size == 0:
        raise E3NEError("the weights file is empty", location=str(path), hint="save it with torch.save(model.state_dict(), path)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        pass  # a whole pickled module: needs the full unpickler (the user's own file)
    except Exception as error:
        raise E3NEError(f"cannot read weights: {type(error).__name__}: {error}", location=str(path)) from None
    unpickler = type("Unpickler", (_UserUnpickler,), {"source": source})
    pickle_module = types.SimpleNamespace(
        Unpickler=unpickler, load=lambda f, **kw: unpickler(f, **kw).load(), __name__="pickle"
    )
    try:
        return torch.load(path, map_location="cpu", weights_only=False, pickle_module=pickle_module)
    except Exception as error:
        raise E3NEError(f"cannot read weights: {type(error).__name__}: {error}", location=str(path)) from None


def _state_dict_of(loaded: object, path: Path) -> Mapping[str, torch.Tensor]:
    if isinstance(loaded, nn.Module):
        return loaded.state_dict()
    if isinstance(loaded, Mapping):
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(loaded.get(key), (Mapping, nn.Module)) and not isinstance(loaded.get(key), torch.Tensor):
                return _state_dict_of(loaded[key], path)
        if all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in loaded.items()):
            return loaded
    raise E3NEError(
        f"the weights file holds a {type(loaded).__name__}, not a state_dict or an nn.Module",
        location=str(path),
        hint="save it with torch.save(model.state_dict(), path)",
    )


def _listed(names) -> str:
    names = sorted(names)
    more = f" and {len(names) - _MAX_LISTED} more" if len(names) > _MAX_LISTED else ""
    return ", ".join(names[:_MAX_LISTED]) + more


def _load_weights(model: nn.Module, path: Path, source: types.ModuleType) -> None:
    state = dict(_state_dict_of(_read_weights(path, source), path))
    expected = model.state_dict()
    if state and all(k.startswith("module.") for k in state) and not any(k.startswith("module.") for k in expected):
        state = {k.removeprefix("module."): v for k, v in state.items()}  # saved from nn.DataParallel
    problems = []
    missing = expected.keys() - state.keys()
    unexpected = state.keys() - expected.keys()
    if missing:
        problems.append(f"missing keys: {_listed(missing)}")
    if unexpected:
        problems.append(f"unexpected keys: {_listed(unexpected)}")
    mismatched = [
        f"{key} is {'x'.join(map(str, state[key].shape))} in the file but "
        f"{'x'.join(map(str, expected[key].shape))} in {type(model).__name__}"
        for key in sorted(expected.keys() & state.keys())
        if tuple(state[key].shape) != tuple(expected[key].shape)
    ]
    if mismatched:
        problems.append("shape mismatch: " + "; ".join(mismatched[:_MAX_LISTED]))
    if problems:
        raise E3NEError(
            f"the weights do not match {type(model).__name__}: " + "; ".join(problems),
            location=display_path(str(path)),
        )
    try:
        model.load_state_dict(state, strict=True)
    except Exception as error:
        raise E3NEError(f"loading the weights failed: {error}", location=str(path)) from None
