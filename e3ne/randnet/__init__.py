"""Random-network testing (issue 14): seeded random PyTorch chains, an independent reference of
docs/numerics.md, and checks of the golden model and the RTL against it.

    from e3ne.randnet import generate, check_net
    spec = generate(7)                  # NetSpec: layers, T, b, parallelism, off-chip layers
    result = check_net(spec, work_dir)  # golden vs reference (and RTL vs golden with rtl=True)

`tools/randnet_bench.py` runs many seeds and prints the counts.
"""

from e3ne.randnet.generate import NetSpec, generate
from e3ne.randnet.reference import reference_logits
from e3ne.randnet.run import NetResult, check_net

__all__ = ["NetResult", "NetSpec", "check_net", "generate", "reference_logits"]
