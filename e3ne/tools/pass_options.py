"""Checks a `-p` pass pipeline before xDSL builds it, so mistakes are one plain line.

xDSL raises bare `ValueError`s for an unknown pass, an unknown option or a value of the
wrong type; `check_pipeline` finds the same mistakes first and says what is wrong and what
would be right (the pass or option names, the closest one). `quote_bare_values` lets an
option value be a path without quotes (`snn-calibrate{data=calib.npz}`), which xDSL's
pipeline lexer would otherwise stop at (`.` and `/` are not in its identifiers).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Callable
from typing import Any, get_type_hints

from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import ArgSpec, _convert_arg_to_type, parse_pipeline
from xdsl.utils.exceptions import ArgSpecParseError

from e3ne.errors import E3NEError

# What xDSL's pipeline lexer reads as one NUMBER or IDENT token (xdsl/utils/arg_spec.py).
_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]*([eE][-+]?[0-9]+)?)?")
_IDENT = re.compile(r"[A-Za-z0-9_-]+")
_BARE_VALUE = re.compile(r'[^\s{}",=\[\]]+')
_FLOAT = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")


def _as_number_token(value: str) -> str:
    """`1e-3` -> `0.001`, `.5` -> `0.5`: floats xDSL's lexer would read as text, written as its NUMBER."""
    import numpy as np

    return np.format_float_positional(float(value), trim="0")


def quote_bare_values(spec: str, quote: bool = True) -> str:
    """Write float values xDSL would misread (`1e-3`, `.5`) as plain decimals, and (with `quote`)
    quote option values that are neither a number nor an identifier (paths: `calib.npz`).

    Only values right after `=` or a value-separating `,` inside `{...}` are touched;
    quoted strings and `[...]` MLIR pipelines are copied as they are.
    """
    out: list[str] = []
    depth = 0
    position = 0
    previous = ""
    while position < len(spec):
        char = spec[position]
        if char == '"':  # copy a quoted string whole
            end = position + 1
            while end < len(spec) and spec[end] != '"':
                end += 2 if spec[end] == "\\" else 1
            out.append(spec[position : end + 1])
            position, previous = end + 1, '"'
            continue
        if char == "[":
            end = spec.find("]", position)
            end = len(spec) if end < 0 else end
            out.append(spec[position : end + 1])
            position, previous = end + 1, "]"
            continue
        if depth > 0 and previous in ("=", ",") and (match := _BARE_VALUE.match(spec, position)):
            value = match.group()
            if _NUMBER.fullmatch(value):
                out.append(value)
            elif _FLOAT.fullmatch(value):
                out.append(_as_number_token(value))
            elif _IDENT.fullmatch(value) or not quote:
                out.append(value)
            else:
                out.append('"' + value.replace("\\", "\\\\") + '"')
            position, previous = match.end(), "value"
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        out.append(char)
        position += 1
        previous = char if char in "=,{}" or not char.isspace() else " "
    return "".join(out)


def with_bare_values_quoted(spec: str) -> str:
    """`spec` with floats as decimals if xDSL reads it, else with bare values quoted too if that
    reads; else `spec` as typed (so that the error shows the user's text)."""
    for candidate in (quote_bare_values(spec, quote=False), quote_bare_values(spec)):
        try:
            list(parse_pipeline(candidate))
        except ArgSpecParseError:
            continue
        return candidate
    return spec


def _closest(name: str, choices: list[str]) -> str | None:
    matches = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


def _options(pass_class: type[ModulePass]) -> list[dataclasses.Field]:
    return [f for f in dataclasses.fields(pass_class) if f.name != "name" and f.init]


def _option_name(field_name: str) -> str:
    return field_name.replace("_", "-")


def _kind_of(annotation: Any) -> str:
    text = str(annotation)
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "an integer"
    if annotation is str:
        return "a string (quote it: \"...\")"
    if "float" in text or annotation is float:
        return "a number"
    return f"of type {getattr(annotation, '__name__', text)}"


def _example(pass_name: str, options: list[dataclasses.Field]) -> str:
    shown = []
    for option in options:
        default = option.default
        if default is dataclasses.MISSING:
            default = "..."
        elif isinstance(default, bool):
            default = str(default).lower()
        shown.append(f"{_option_name(option.name)}={default}")
    return f"{pass_name}{{{' '.join(shown)}}}" if shown else pass_name


def check_pass_spec(spec: ArgSpec, pass_class: type[ModulePass]) -> None:
    """E3NEError naming the pass and option when `spec` does not fit `pass_class`'s options."""
    options = _options(pass_class)
    names = [_option_name(o.name) for o in options]
    for given in spec.parameters:
        if given.replace("-", "_") in {o.name for o in options}:
            continue
        if not options:
            raise E3NEError(f"pass {spec.name} takes no options, got '{given}'", hint=f"write just {spec.name}")
        close = _closest(given.replace("_", "-"), names)
        hint = f"did you mean '{close}'? " if close else ""
        raise E3NEError(
            f"pass {spec.name} has no option '{given}'",
            hint=f"{hint}options of {spec.name}: {', '.join(names)} (e.g. {_example(spec.name, options)})",
        )
    hints = get_type_hints(pass_class)
    normalized = spec.normalize_parameter_names().parameters
    for option in options:
        if option.name not in normalized:
            if option.default is dataclasses.MISSING and option.default_factory is dataclasses.MISSING:
                raise E3NEError(
                    f"pass {spec.name} needs option '{_option_name(option.name)}'",
                    hint=f"e.g. -p '{_example(spec.name, options)}'",
                )
            continue
        values = normalized[option.name]
        try:
            _convert_arg_to_type(values, hints[option.name])
        except ValueError:
            shown = ",".join(str(v) for v in values) if values else "(no value)"
            raise E3NEError(
                f"pass {spec.name}: option {_option_name(option.name)}={shown} must be {_kind_of(hints[option.name])}",
                hint=f"e.g. -p '{_example(spec.name, options)}'",
            ) from None


def check_pipeline(spec: str, available_passes: dict[str, Callable[[], type[ModulePass]]]) -> None:
    """E3NEError for the first pass in `spec` that is unknown or has a bad option."""
    try:
        specs = list(parse_pipeline(spec))
    except ArgSpecParseError as error:
        raise E3NEError(
            f"cannot read the pass pipeline:\n{error}",
            hint="passes are separated by ',' and options by spaces: "
            "-p 'snn-calibrate{data=calib.npz},snn-quantize{time-steps=4 weight-bits=4}'",
        ) from None
    for pass_spec in specs:
        if pass_spec.name not in available_passes:
            e3ne = sorted(name for name in available_passes if name.startswith(("snn", "lower-snn")))
            close = _closest(pass_spec.name, list(available_passes))
            hint = f"did you mean '{close}'? " if close else ""
            raise E3NEError(
                f"unknown pass '{pass_spec.name}'", hint=f"{hint}e3ne's passes: {', '.join(e3ne)}"
            )
        check_pass_spec(pass_spec, available_passes[pass_spec.name]())
