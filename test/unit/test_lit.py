"""Runs the lit + FileCheck suite (test/lit) so that one pytest run covers every test."""

import os
import subprocess
import sys
from pathlib import Path

LIT_DIR = Path(__file__).resolve().parents[1] / "lit"


def test_lit_suite():
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lit"), "-v", str(LIT_DIR)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, f"lit failed:\n{result.stdout}\n{result.stderr}"
