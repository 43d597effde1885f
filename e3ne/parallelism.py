"""Parallelism settings: the user's `--parallelism` text, parsed and checked.

A setting is a comma-separated list of `key=value` items, each optionally prefixed by a
layer name (`fc1.P=64`); unprefixed items apply to every layer of a kind that has that
key. Layer names are the hardware's: conv1, conv2, ... and fc1, fc2, ... in network order.

    P=16                         every linear unit accumulates 16 outputs in parallel
    conv1.channels=8,fc1.P=64,Q=4

Keys (see docs/architecture.md):

- linear units: `P` output neurons in parallel, `Q` input spikes per cycle (adder tree);
- convolution units: `columns` output pixels of a row in parallel, `channels` output
  channels packed side by side in one unit, `units` duplicated units on different
  output channels.

`auto` (instead of a list) asks the design-space explorer to choose.

    Parallelism.parse("fc1.P=64,Q=4").text()   # 'Q=4,fc1.P=64' (layer-independent items first)
    Parallelism.parse("auto").auto              # True
    Parallelism.parse(None).with_linear_parallelism(32).text()  # 'P=32' (--linear-parallelism 32)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from e3ne.errors import E3NEError

KEYS_BY_KIND = {
    "linear": ("P", "Q"),
    "conv": ("columns", "channels", "units"),
}
ALL_KEYS = tuple(key for keys in KEYS_BY_KIND.values() for key in keys)


@dataclass(frozen=True)
class Parallelism:
    """Global defaults and per-layer overrides, e.g. `{"P": 16}` and `{"fc1": {"P": 64}}`,
    or `auto` (the explorer chooses). Empty: the compiler's defaults."""

    defaults: dict[str, int] = field(default_factory=dict)
    layers: dict[str, dict[str, int]] = field(default_factory=dict)
    auto: bool = False

    @classmethod
    def parse(cls, text: str | None) -> Parallelism:
        """`P=16,conv1.channels=8`, `auto`, or empty/None (compiler defaults)."""
        if text is not None and text.strip() == "auto":
            return cls(auto=True)
        return parse_parallelism(text)

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

    def settings(self) -> Parallelism:
        """The settings the lowering applies (`for_layer`, `check_layers`); not for `auto`."""
        if self.auto:
            raise E3NEError("parallelism 'auto' has no settings until the explorer chooses them")
        return self

    def for_layer(self, name: str, kind: str) -> dict[str, int]:
        """The settings that apply to layer `name` of `kind` (only that kind's keys)."""
        self.settings()
        keys = KEYS_BY_KIND.get(kind, ())
        chosen = {key: value for key, value in self.defaults.items() if key in keys}
        for key, value in self.layers.get(name, {}).items():
            if key not in keys:
                raise E3NEError(
                    f"parallelism key '{key}' does not apply to {kind} layer '{name}'; "
                    f"{kind} layers take: {', '.join(keys) or 'none'}"
                )
            chosen[key] = value
        return chosen

    def check_layers(self, layer_names: list[str]) -> None:
        """Every per-layer item must name a layer of the network."""
        unknown = sorted(set(self.layers) - set(layer_names))
        if unknown:
            raise E3NEError(
                f"parallelism names unknown layer(s) {', '.join(unknown)}; "
                f"this network's layers are: {', '.join(layer_names)}"
            )

    def text(self) -> str:
        """`auto`, or `[layer.]key=value,...` (empty for the compiler's defaults)."""
        if self.auto:
            return "auto"
        items = [f"{key}={value}" for key, value in self.defaults.items()]
        items += [f"{layer}.{key}={value}" for layer, keys in self.layers.items() for key, value in keys.items()]
        return ",".join(items)

    def __str__(self) -> str:
        return self.text()

    def __bool__(self) -> bool:
        return self.auto or bool(self.defaults) or bool(self.layers)


def parse_parallelism(text: str | None) -> Parallelism:
    """Parse `P=16,conv1.channels=8`; an empty or missing text gives compiler defaults."""
    defaults: dict[str, int] = {}
    layers: dict[str, dict[str, int]] = {}
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        target, _, value_text = item.partition("=")
        layer, _, key = target.strip().rpartition(".")
        if not value_text or key not in ALL_KEYS:
            raise E3NEError(
                f"bad parallelism item '{item}': expected [layer.]key=value with key one of {', '.join(ALL_KEYS)}"
            )
        try:
            value = int(value_text)
        except ValueError:
            raise E3NEError(f"bad parallelism item '{item}': value must be an integer") from None
        if value < 1:
            raise E3NEError(f"bad parallelism item '{item}': value must be >= 1")
        (layers.setdefault(layer, {}) if layer else defaults)[key] = value
    return Parallelism(defaults, layers)
