"""Numbered progress steps with their durations: `[2/5] quantizing ...`, `done in 1.2 s`.

The library reports through a callable (`progress=print`, or the CLI's stderr printer);
`None` keeps it quiet. A caller that numbers steps across several calls (the CLI's
`explore --compile`) passes its own `Progress`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

Say = Callable[[str], None]


def to_stderr(text: str) -> None:
    """The CLI's progress line: `e3ne: ...` on stderr (stdout stays clean for results)."""
    print(f"e3ne: {text}", file=sys.stderr, flush=True)


class Progress:
    """Numbered steps with their durations, reported to `say` (nothing if it is None)."""

    def __init__(self, steps: int, say: Say | None = None):
        self.steps = steps
        self.index = 0
        self.report = say
        self.started = 0.0

    @property
    def quiet(self) -> bool:
        return self.report is None

    def step(self, text: str) -> None:
        self.index += 1
        self.started = time.perf_counter()
        self.say(f"[{self.index}/{self.steps}] {text}")

    def done(self, detail: str = "") -> None:
        elapsed = time.perf_counter() - self.started
        self.say(f"      done in {elapsed:.1f} s{'; ' + detail if detail else ''}")

    def say(self, text: str) -> None:
        if self.report is not None:
            self.report(text)


def progress_of(progress: Progress | Say | None, steps: int) -> Progress:
    """The `Progress` for a library call: the caller's own, or a new one of `steps` steps."""
    return progress if isinstance(progress, Progress) else Progress(steps, progress)
