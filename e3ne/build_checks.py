"""Checks of a build directory, so a broken or stale build is named as such and not blamed on the RTL.

* `prepare_output_dir(path)`: `-o` must be a directory we can write (not an existing file).
* `remove_stale_outputs(build, keep)`: e3ne's own outputs of an earlier compile that this one
  does not rewrite (e.g. `hardware.json` and `rtl/` after `--emit snn`) are removed.
* `read_manifest(build)`: `hardware.json` present, valid JSON, with the keys simulate needs.
* `check_memory_files(rtl_dir)`: every `$readmemh` file the RTL names exists, with DEPTH words
  of WIDTH bits (a missing or cut-off `.hex` is reported as such, not as an RTL mismatch).
* `check_cycles(measured, expected)`: the RTL's cycles per image against the static schedule.
* `build_stamp(build)` / `check_build(build, manifest)`: hardware.json records the e3ne version
  and the SHA-256 of every file in rtl/ (`e3ne_version`, `checksums`); simulate, synth and
  bitstream refuse a build from another e3ne version or with an RTL file changed, missing or cut
  since `e3ne compile` wrote it (builds without the keys are not checked).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

from e3ne.errors import E3NEError

# Everything `e3ne compile` / `simulate` / `explore` write into a build directory.
BUILD_OUTPUTS = (
    "snn.mlir",
    "snn.quant.mlir",
    "snnhw.mlir",
    "hw.mlir",
    "hardware.json",
    "report.md",
    "report.json",
    "compile.json",
    "explore.json",
    "explore.png",
    "rtl",
    "sim",
)
MANIFEST_KEYS = ("top", "time_steps", "input", "cycles_expected", "layers", "logits")
REBUILD_HINT = "rebuild it: e3ne compile ... -o BUILD"


def prepare_output_dir(path: str | Path) -> Path:
    """The build directory `path`, created if needed; E3NEError if it is a file or not writable."""
    build = Path(path)
    if build.exists() and not build.is_dir():
        raise E3NEError(
            "the output path is an existing file, not a directory",
            location=str(build),
            hint="give -o a directory (new or an earlier build)",
        )
    try:
        build.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise E3NEError(f"cannot create the build directory ({error.strerror})", location=str(build)) from None
    if not os.access(build, os.W_OK | os.X_OK):
        raise E3NEError("cannot write into the build directory (permission denied)", location=str(build))
    return build


def remove_stale_outputs(build: str | Path, keep: set[str] | frozenset[str]) -> list[str]:
    """Remove e3ne's outputs in `build` other than `keep` (names from BUILD_OUTPUTS); returns what went.

    Only e3ne's own file names are touched; anything else in the directory stays.
    """
    unknown = set(keep) - set(BUILD_OUTPUTS)
    if unknown:
        raise ValueError(f"not build outputs: {sorted(unknown)}")
    removed = []
    for name in BUILD_OUTPUTS:
        path = Path(build) / name
        if name in keep or not (path.exists() or path.is_symlink()):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        removed.append(name)
    return removed


def read_manifest(build: str | Path) -> dict:
    """`hardware.json` of a build, checked; E3NEError naming what is missing or broken."""
    path = Path(build) / "hardware.json"
    if not path.is_file():
        has_snn = (Path(build) / "snn.quant.mlir").is_file()
        raise E3NEError(
            "no hardware.json: this build has no hardware"
            + (" (compiled with --emit snn?)" if has_snn else ""),
            location=str(Path(build)),
            hint="compile without --emit snn, or simulate with --golden-only",
        )
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise E3NEError(
            f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})", location=str(path), hint=REBUILD_HINT
        ) from None
    except UnicodeDecodeError:
        raise E3NEError("not a text file", location=str(path), hint=REBUILD_HINT) from None
    if not isinstance(manifest, dict):
        raise E3NEError("expected a JSON object", location=str(path), hint=REBUILD_HINT)
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if missing:
        raise E3NEError(f"missing keys: {', '.join(missing)}", location=str(path), hint=REBUILD_HINT)
    if not isinstance(manifest["cycles_expected"], int) or manifest["cycles_expected"] <= 0:
        raise E3NEError(
            f"cycles_expected must be a positive integer, got {manifest['cycles_expected']!r}",
            location=str(path),
            hint=REBUILD_HINT,
        )
    return manifest


_INIT_FILE = re.compile(r'\.INIT_FILE\("([^"]+)"\)')
_WIDTH = re.compile(r"\.WIDTH\((\d+)\)")
_DEPTH = re.compile(r"\.DEPTH\((\d+)\)")
_HEX_WORD = re.compile(r"[0-9A-Fa-f]+")


def memory_files(rtl_dir: str | Path) -> list[tuple[str, int, int]]:
    """`(file, width, depth)` of every ROM image the RTL in `rtl_dir` reads with $readmemh:
    each ROM instance (one line, `e3ne/backend/verilog.py`) names its WIDTH, DEPTH and INIT_FILE
    among its parameters (banked deep ROMs: one instance per bank file)."""
    found = []
    for source in sorted(Path(rtl_dir).glob("*.sv")):
        for line in source.read_text().splitlines():
            name, width, depth = _INIT_FILE.search(line), _WIDTH.search(line), _DEPTH.search(line)
            if name and width and depth:
                found.append((name.group(1), int(width.group(1)), int(depth.group(1))))
    return found


def check_memory_files(rtl_dir: str | Path, manifest: dict | None = None) -> None:
    """E3NEError naming a memory image that is missing, cut off or not hex words of its width.

    The ROM images are those the RTL names; with `manifest` (hardware.json) also the off-chip
    weight image (`axi.image`, `axi.beats` words of `axi.data_width` bits).
    """
    rtl = Path(rtl_dir)
    if not rtl.is_dir():
        raise E3NEError("no rtl/ directory in the build", location=str(rtl.parent), hint=REBUILD_HINT)
    images = memory_files(rtl)
    axi = (manifest or {}).get("axi")
    if axi:
        images.append((Path(axi["image"]).name, int(axi["data_width"]), int(axi["beats"])))
    for name, width, depth in images:
        path = rtl / name
        if not path.is_file():
            raise E3NEError("memory image missing (the RTL loads it with $readmemh)", location=str(path), hint=REBUILD_HINT)
        lines = path.read_text(errors="replace").split()
        digits = (width + 3) // 4
        if len(lines) != depth:
            raise E3NEError(
                f"has {len(lines)} word{'' if len(lines) == 1 else 's'}, the memory holds {depth}" + (" (the file is cut off)" if len(lines) < depth else ""),
                location=str(path),
                hint=REBUILD_HINT,
            )
        for number, word in enumerate(lines, start=1):
            if len(word) != digits or not _HEX_WORD.fullmatch(word):
                raise E3NEError(
                    f"word {number} is {word[:40]!r}, expected {digits} hex digits ({width} bits)",
                    location=str(path),
                    hint=REBUILD_HINT,
                )


def check_cycles(
    measured: int, expected: int, *, location: str | None = None, what: str = "cycles per image (hardware.json cycles_expected)"
) -> None:
    """E3NEError when the RTL's cycles per image (the slowest image) differ from the static schedule."""
    if measured != expected:
        name, _, source = what.partition(" (")
        took = f"took {measured:,} {name}" if name == "cycles per image" else f"has a {name} of {measured:,} cycles"
        raise E3NEError(
            f"the RTL {took}, the static schedule ({source.rstrip(')')}) says {expected:,}",
            location=location,
            hint="the build is inconsistent (hardware.json edited or from another compile?): " + REBUILD_HINT,
        )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_stamp(build: str | Path) -> dict:
    """`{"e3ne_version": ..., "checksums": {"rtl/NAME": sha256}}` of a build's rtl/ (for hardware.json)."""
    from e3ne import __version__

    rtl = Path(build) / "rtl"
    files = sorted(p for p in rtl.rglob("*") if p.is_file()) if rtl.is_dir() else []
    return {
        "e3ne_version": __version__,
        "checksums": {p.relative_to(build).as_posix(): _sha256(p) for p in files},
    }


def check_build(build: str | Path, manifest: dict) -> None:
    """E3NEError when the build comes from another e3ne version or an RTL file it lists is
    missing or changed since `e3ne compile` (run `check_memory_files` first: it names cut-off images)."""
    from e3ne import __version__

    build = Path(build)
    version = manifest.get("e3ne_version")
    if version is not None and version != __version__:
        raise E3NEError(
            f"this build was written by e3ne {version}; this is e3ne {__version__}, which may lay out "
            "the hardware differently",
            location=str(build / "hardware.json"),
            hint=REBUILD_HINT,
        )
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict):
        return
    for name, digest in sorted(checksums.items()):
        path = build / name
        if not path.is_file():
            raise E3NEError("missing (hardware.json lists it)", location=str(path), hint=REBUILD_HINT)
        if _sha256(path) != digest:
            raise E3NEError(
                "has changed since `e3ne compile` wrote it (its SHA-256 differs from hardware.json's); "
                "the RTL would not be the compiled network",
                location=str(path),
                hint=REBUILD_HINT,
            )
