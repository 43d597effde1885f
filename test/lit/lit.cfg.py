"""lit configuration: `e3ne-opt`, `e3ne` and `python` come from the active environment."""

import os
import sys

import lit.formats

config.name = "e3ne"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".py"]
config.excludes = ["lit.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.environment["PATH"] = os.pathsep.join(
    [os.path.dirname(sys.executable), os.environ.get("PATH", "")]
)
config.environment["PYTHONHASHSEED"] = "0"
# The tools import the e3ne of the checkout these tests belong to (not whichever one is installed).
config.environment["PYTHONPATH"] = os.pathsep.join(
    p for p in [os.path.dirname(os.path.dirname(config.test_source_root)), os.environ.get("PYTHONPATH", "")] if p
)
config.substitutions.append(("%python", sys.executable))
# Test the checkout this suite sits in (a worktree or clone), not whichever copy the
# environment's editable install points at.
config.environment["PYTHONPATH"] = os.pathsep.join(
    [os.path.dirname(os.path.dirname(config.test_source_root)), os.environ.get("PYTHONPATH", "")]
)
