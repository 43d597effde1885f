"""Transforms that stay on one IR level: `snn/` (float -> integer snn), `snnhw/` (micro-architecture).

Shared by them and the lowerings: `common.py` (the network function, op descriptions) and
`stages.py` (the grouping of snn ops into hardware stages).
"""
