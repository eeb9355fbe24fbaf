"""Time to derive and prove G5 (gradient) and G6 (Hessian), explicit and symbolic.

Usage: ``python benchmarks/bench_derive.py [--quick]``.  Prints seconds per
proof and the ratio to the smallest size measured in the same run (the
baseline), so the growth with ``n`` is visible.  Targets (2 cores): symbolic
proofs < 1 s each; G5 at (16, 8) and G6 at (6, 3) < 20 s each.
"""

from __future__ import annotations

import argparse
import time

from softproof.derivations.identities import identity, level_text, prove_relation

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
    parser.add_argument(
        "--grid",
        action="store_true",
        help="prove G5 at every (n, d) up to (16, 8) and G6 up to (6, 3); print totals",
    )
    args = parser.parse_args()
    if args.grid:
        grid()
        return
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


def grid() -> None:
    """Every explicit size up to the limits: count, failures, total and worst time."""
    for key, (top_n, top_d) in {"G5": (16, 8), "G6": (6, 3)}.items():
        total, worst, failed = 0.0, (0.0, None), []
        for n_value in range(1, top_n + 1):
            for d_value in range(1, top_d + 1):
                seconds, status = _time(key, ("explicit", n_value, d_value))
                total += seconds
                worst = max(worst, (seconds, (n_value, d_value)), key=lambda p: p[0])
                if status != "proved":
                    failed.append((n_value, d_value, status))
        count = top_n * top_d
        print(
            f"{key}: {count - len(failed)}/{count} sizes proved (every n<={top_n}, d<={top_d}), "
            f"total {total:.1f} s, slowest {worst[0]:.2f} s at n, d = {worst[1]}"
            + (f"; NOT proved: {failed}" if failed else ""),
            flush=True,
        )


if __name__ == "__main__":
    main()
