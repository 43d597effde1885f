"""The e3ne library driver: compile, explore, and work with build directories.

    import e3ne
    build = e3ne.compile("model.py:Net", weights="net.pt", input_shape=(1, 28, 28),
                         calibration="calib.npz", output="build/net")
    result = build.simulate("test.npz", limit=20, golden_only=True)

`e3ne/cli.py` is argument parsing over this package. Modules: options (CompileOptions),
inputs (shapes, .npz, models), compiler (e3ne.compile),
build (Build), simulate, synth, explorer (e3ne.explore), progress.
"""

from e3ne.driver.build import Build
from e3ne.driver.compiler import compile
from e3ne.driver.explorer import ExploreResult, explore
from e3ne.driver.options import CompileOptions
from e3ne.driver.simulate import LayerChecks, Simulation
from e3ne.parallelism import Parallelism

__all__ = [
    "Build",
    "CompileOptions",
    "ExploreResult",
    "LayerChecks",
    "Parallelism",
    "Simulation",
    "compile",
    "explore",
]
