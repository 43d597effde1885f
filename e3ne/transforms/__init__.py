"""Transforms that stay on one IR level: `snn/` (float -> integer snn), `snnhw/` (micro-architecture)."""
