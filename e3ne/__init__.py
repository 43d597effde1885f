"""e3ne: a multi-level IR compiler from PyTorch to radix-encoded SNN accelerators."""

__version__ = "0.1.0"
