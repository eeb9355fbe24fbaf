"""Benchmark: time and evaluations to a confirmed violation of the S1 mutants.

S1 (``||f(x) - f(y)|| <= ||A||/2 ||x - y||``) with its constant multiplied by
0.99, 0.999 and 0.99999, on the statement-file example's hypothesis set
``||A||, ||x||, ||y|| <= R = 4`` at ``n = 7, d = 4``, searched with
:func:`softproof.numeric.search.check` (the code path of ``softproof check``).  At these
sizes the worst ratio of S1 is about ``1 - 4.5e-6``, so the 0.99999 mutant is
false by a relative margin of only ~5.5e-6.  The baseline, measured in the
same run, is random screening alone.  The measuring code lives in
:mod:`softproof.bench`; run ``python benchmarks/bench_search.py [--seed N]``
(prints JSON) or ``softproof bench --only mutant_099 ...``.
"""

from __future__ import annotations

import argparse
import json

from softproof.bench import bench_s1_mutants, log_stderr


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(json.dumps(bench_s1_mutants(args.seed, log=log_stderr), indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
