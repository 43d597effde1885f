"""Random-network testing counts (issue 14): generate seeded random nets, check the golden model
against the independent reference of docs/numerics.md on every net, and the RTL (Verilator)
against the golden model, with measured cycles == scheduled, on the first `--rtl` nets.

    python tools/bench_randnet.py [--nets 200] [--first 0] [--rtl 20] [--images 8] [--work /tmp/randnet]

Prints one line per refused or failing net, then the counts: generated, compiled (refused with
a clear message), golden bit-exact vs reference, RTL run, RTL bit-exact with cycles as
scheduled, failures. Exits 1 if any net failed. See e3ne/randnet/ and
test/unit/randnet/test_randnet.py (the bugs the generator found are kept there as named
regression tests).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from e3ne.randnet import check_net, generate  # noqa: E402


# What random-network testing has found so far, and what became of it (keep in step with the
# regression tests in test/unit/randnet/test_randnet.py).
FINDINGS = [
    ("seed 230 (shrunk: a linear 1 -> 1 layer)", "docs/numerics.md §3 left sigma of a single weight undefined "
     "(unbiased std of one value); e3ne takes 0", "fixed: the contract says sigma = 0; "
     "test_single_weight_layer_has_sigma_zero"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", type=int, default=200, help="how many nets (seeds first .. first+nets-1)")
    parser.add_argument("--first", type=int, default=0, help="first seed")
    parser.add_argument("--rtl", type=int, default=0, help="also run the RTL of the first N nets")
    parser.add_argument("--images", type=int, default=8, help="test images per net")
    parser.add_argument("--work", default="/tmp/e3ne-randnet", help="directory for the RTL builds")
    args = parser.parse_args(argv)
    work = Path(args.work)
    counts = dict.fromkeys(("generated", "compiled", "refused", "golden_exact", "rtl_run", "rtl_exact", "failed"), 0)
    began = time.monotonic()
    for index, seed in enumerate(range(args.first, args.first + args.nets)):
        rtl = index < args.rtl
        build = work / f"seed{seed}"
        if rtl and build.exists():
            shutil.rmtree(build)
        result = check_net(generate(seed), build, rtl=rtl, images=args.images)
        counts["generated"] += 1
        counts["compiled"] += result.compiled
        counts["refused"] += bool(result.refused)
        counts["golden_exact"] += result.golden_exact
        counts["rtl_run"] += result.rtl_run
        counts["rtl_exact"] += result.rtl_exact
        counts["failed"] += bool(result.problem)
        if result.problem or result.refused:
            print(result.line(), flush=True)
        elif rtl:
            shutil.rmtree(build, ignore_errors=True)
    seconds = time.monotonic() - began
    print(
        f"{counts['generated']} generated, {counts['compiled']} compiled ({counts['refused']} refused with a message), "
        f"{counts['golden_exact']} golden == reference (bit-exact), {counts['rtl_run']} RTL runs, "
        f"{counts['rtl_exact']} RTL == golden with cycles as scheduled, {counts['failed']} failed ({seconds:.0f} s)"
    )
    print(f"bugs found by random-network testing: {len(FINDINGS)}, fixed: {sum(f[2].startswith('fixed') for f in FINDINGS)}")
    for where, what, status in FINDINGS:
        print(f"  {where}: {what} -> {status}")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
