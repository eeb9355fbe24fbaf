"""Time to derive and prove G5 (gradient) and G6 (Hessian), explicit and symbolic.

Usage: ``python benchmarks/bench_derive.py [--quick]``.  Prints seconds per
proof and the ratio to the smallest size measured in the same run (the
baseline), so the growth with ``n`` is visible.  Targets (2 cores): symbolic
proofs < 1 s each; G5 at (16, 8) and G6 at (6, 3) < 20 s each.
"""

from __future__ import annotations

import argparse
import time

from derivations.identities import identity, level_text, prove_relation

SIZES = {
    "G5": [(2, 1), (4, 2), (8, 2), (8, 4), (16, 4), (16, 8)],
    "G6": [(2, 1), (3, 2), (4, 2), (6, 2), (6, 3)],
}
QUICK = {"G5": [(2, 1), (4, 2), (8, 4)], "G6": [(2, 1), (3, 2)]}
TARGETS = {("G5", "symbolic"): 1.0, ("G6", "symbolic"): 1.0, ("G5", (16, 8)): 20.0}
TARGETS[("G6", (6, 3))] = 20.0


def _time(key: str, level) -> tuple[float, str]:
    start = time.perf_counter()
    result = prove_relation(identity(key), level)
    return time.perf_counter() - start, result.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    args = parser.parse_args()
    sizes = QUICK if args.quick else SIZES
    _time("G1", "symbolic")  # warm SymPy caches outside the measurements
    print(f"{'id':4} {'level':24} {'status':8} {'seconds':>8} {'x baseline':>10} {'target':>8}")
    for key, table in sizes.items():
        seconds, status = _time(key, "symbolic")
        target = TARGETS.get((key, "symbolic"))
        flag = (
            "" if target is None else f"< {target:g} s" + (" ok" if seconds < target else " MISS")
        )
        print(f"{key:4} {level_text('symbolic'):24} {status:8} {seconds:8.2f} {'':>10} {flag}")
        base = None
        for n_value, d_value in table:
            seconds, status = _time(key, ("explicit", n_value, d_value))
            base = base or seconds
            target = TARGETS.get((key, (n_value, d_value)))
            flag = (
                ""
                if target is None
                else f"< {target:g} s" + (" ok" if seconds < target else " MISS")
            )
            where = level_text(("explicit", n_value, d_value))
            print(
                f"{key:4} {where:24} {status:8} {seconds:8.2f} {seconds / base:10.1f} {flag}",
                flush=True,
            )


if __name__ == "__main__":
    main()
