"""snn-level passes: fold batch norm, calibrate, quantize, infer accumulator widths."""
