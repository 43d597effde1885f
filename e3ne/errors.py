"""The one exception type users see. The CLI prints it as one or two plain lines."""

from __future__ import annotations


class E3NEError(Exception):
    """A user-facing error: a bad model, bad input, or unsupported construct.

    `location` names where the problem is (``model.py:12 (layer 'fc1')``, an MLIR op,
    a file); `hint` says what to do about it.
    """

    def __init__(self, message: str, location: str | None = None, hint: str | None = None):
        self.message = message
        self.location = location
        self.hint = hint
        super().__init__(self.render())

    def __reduce__(self):  # crosses process boundaries (worker pools, Ray) whole
        return (type(self), (self.message, self.location, self.hint))

    def render(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text
