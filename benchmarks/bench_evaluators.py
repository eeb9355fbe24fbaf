"""Speed of the generated evaluators against baselines measured in the same run.

Prints three ratios (run: ``python benchmarks/bench_evaluators.py [--quick]``);
the measuring code lives in :mod:`softproof.bench` (also ``softproof bench``):

1. toolkit float64 batch evaluation of ``f``, ``L``, ``grad L`` over 1,000
   instances at ``n = 200``, ``d = 20`` divided by hand-written numpy
   (target <= 2);
2. mpmath at 30 digits per instance divided by the toolkit's batch screen per
   instance, for S1 with its hypotheses at ``n = 7``, ``d = 4`` (target >= 500);
3. mpmath at 30 digits divided by the Arb path at 100 bits (about 30 digits),
   per instance, for ``f``, ``L``, ``grad L`` at ``n = 200``, ``d = 20`` with
   instance conversion included (target >= 10).
"""

from __future__ import annotations

import sys

from softproof.bench import run_bench
from softproof.commands.bench import format_table


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    only = ["screen_vs_numpy", "screen_vs_mpmath", "confirm_vs_mpmath"]
    print(format_table(run_bench(only=only, quick="--quick" in args, log=None)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
