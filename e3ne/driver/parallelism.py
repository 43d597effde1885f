"""`Parallelism`: the typed parallelism setting of a compile.

Text form `[layer.]key=value,...` (parsed by `e3ne.parallelism`, keys P, Q, columns,
channels, units), or `auto` (the design-space explorer chooses). `text()` formats it
back: layer-independent items first, then per-layer items.

    Parallelism.parse("fc1.P=64,Q=4").text()   # 'Q=4,fc1.P=64'
    Parallelism.parse("auto").auto              # True
    Parallelism.of(None).with_linear_parallelism(32).text()  # 'P=32'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from e3ne import parallelism as settings_text
from e3ne.errors import E3NEError


@dataclass(frozen=True)
class Parallelism:
    """Global defaults (`{"P": 16}`) and per-layer settings (`{"fc1": {"P": 64}}`), or `auto`.
    Empty: the compiler's defaults."""

    defaults: dict[str, int] = field(default_factory=dict)
    layers: dict[str, dict[str, int]] = field(default_factory=dict)
    auto: bool = False

    @classmethod
    def parse(cls, text: str | None) -> Parallelism:
        """`P=16,conv1.channels=8`, `auto`, or empty/None (compiler defaults)."""
        if text is not None and text.strip() == "auto":
            return cls(auto=True)
        parsed = settings_text.parse_parallelism(text)
        return cls(dict(parsed.defaults), {layer: dict(keys) for layer, keys in parsed.layers.items()})

    @classmethod
    def of(cls, value: Parallelism | str | None) -> Parallelism:
        """A `Parallelism` as given, or parsed from its text."""
        if isinstance(value, Parallelism):
            return value
        if value is None or isinstance(value, str):
            return cls.parse(value)
        raise E3NEError(f"parallelism must be a Parallelism or text like 'P=16,conv1.channels=8', got {value!r}")

    def with_linear_parallelism(self, p: int | None) -> Parallelism:
        """`--linear-parallelism P`: P for every linear layer, unless a `P=` item already sets it
        (per-layer items win either way; under `auto` the explorer sets P for every layer)."""
        if p is None:
            return self
        if p < 1:
            raise E3NEError(f"--linear-parallelism must be >= 1, got {p}")
        if self.auto or "P" in self.defaults:
            return self
        return Parallelism({"P": p, **self.defaults}, self.layers)

    def settings(self) -> settings_text.Parallelism:
        """The lowering's per-layer view (`for_layer`, `check_layers`); not for `auto`."""
        if self.auto:
            raise E3NEError("parallelism 'auto' has no settings until the explorer chooses them")
        return settings_text.Parallelism(dict(self.defaults), {k: dict(v) for k, v in self.layers.items()})

    def text(self) -> str:
        """`auto`, or `[layer.]key=value,...` (empty for the compiler's defaults)."""
        return "auto" if self.auto else self.settings().text()

    def __str__(self) -> str:
        return self.text()

    def __bool__(self) -> bool:
        return self.auto or bool(self.defaults) or bool(self.layers)
