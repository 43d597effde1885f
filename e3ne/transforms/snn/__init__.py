"""`snn`-level passes: snn-fold-batchnorm, snn-fold-normalization, snn-calibrate, snn-quantize, snn-infer-widths,
snn-slice-layer; the quantization health check (health.py)."""
