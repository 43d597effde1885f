"""`snn`-level passes: snn-fold-batchnorm, snn-calibrate, snn-quantize, snn-infer-widths, snn-slice-layer."""
