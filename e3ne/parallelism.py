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
    """Global defaults and per-layer overrides, e.g. `{"P": 16}` and `{"fc1": {"P": 64}}`."""

    defaults: dict[str, int] = field(default_factory=dict)
    layers: dict[str, dict[str, int]] = field(default_factory=dict)

    def for_layer(self, name: str, kind: str) -> dict[str, int]:
        """The settings that apply to layer `name` of `kind` (only that kind's keys)."""
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
        items = [f"{key}={value}" for key, value in self.defaults.items()]
        items += [f"{layer}.{key}={value}" for layer, keys in self.layers.items() for key, value in keys.items()]
        return ",".join(items)


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
