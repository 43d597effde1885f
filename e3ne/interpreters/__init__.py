"""Reference models that execute the snn IR: float (PyTorch numerics) and golden (integer)."""
