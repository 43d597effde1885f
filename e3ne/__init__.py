"""e3ne: a multi-level IR compiler from PyTorch to radix-encoded SNN accelerators.

Python API (e3ne/driver/, loaded on first use, so `import e3ne` stays light):
`e3ne.compile(model, ...) -> Build`, `Build.open(path)`, `Build.simulate(...)`,
`Build.synth(...)`, `e3ne.explore(...)`, `CompileOptions`, `Parallelism`.
"""

__version__ = "0.1.0"

_DRIVER = ("compile", "explore", "Build", "CompileOptions", "Parallelism")

__all__ = ["__version__", *_DRIVER]


def __getattr__(name: str):
    if name in _DRIVER:
        from e3ne import driver

        return getattr(driver, name)
    raise AttributeError(f"module 'e3ne' has no attribute {name!r}")
