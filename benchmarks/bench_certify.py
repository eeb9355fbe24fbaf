"""Certification speed and Arb against ``mpmath.iv``, measured in the same run.

Run: ``python benchmarks/bench_certify.py [--quick]``.  The measuring code is
:mod:`softproof.bench_certify`.
"""

from __future__ import annotations

import sys
from typing import Any

from softproof.bench_certify import TARGETS, arb_vs_mpmath_iv, time_certify


def run(quick: bool = False) -> dict[str, Any]:
    """Every figure of this benchmark, measured now."""
    out: dict[str, Any] = {}
    out["S1_n2_d2"] = time_certify("S1", 2, 2, 4, budget=120)
    out["E5_n3_d1"] = time_certify("E5", 3, 1, 1, budget=120)
    out["arb_vs_iv"] = arb_vs_mpmath_iv(boxes=50 if quick else 200)
    out["targets"] = dict(TARGETS)
    out["met"] = {
        "S1_n2_d2_seconds": out["S1_n2_d2"]["status"] == "certified"
        and out["S1_n2_d2"]["seconds"] < TARGETS["S1_n2_d2_seconds"],
        "iv_over_arb": out["arb_vs_iv"]["iv_over_arb"] >= TARGETS["iv_over_arb"],
    }
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    r = run(quick="--quick" in args)
    for key in ("S1_n2_d2", "E5_n3_d1"):
        c = r[key]
        check = f", checker {c['check_seconds']:.2f} s" if "check_seconds" in c else ""
        print(
            f"certify {key}: {c['status']} on {c['domain']} in {c['seconds']:.2f} s "
            f"({c['boxes']} boxes{check})"
        )
    a = r["arb_vs_iv"]
    print(
        f"same expression ({a['variables']} variables), same {a['boxes']} boxes: "
        f"Arb {1e3 * a['arb_seconds_per_box']:.3f} ms/box, mpmath.iv "
        f"{1e3 * a['iv_seconds_per_box']:.3f} ms/box, ratio iv/Arb = {a['iv_over_arb']:.1f} "
        f"(target >= {TARGETS['iv_over_arb']:.0f}); enclosures overlap: "
        f"{a['enclosures_overlap']}"
    )
    print(
        f"  the prover's endpoint intervals on Arb (numeric.boxes.Iv), same code and boxes: "
        f"{1e3 * a['endpoint_seconds_per_box']:.3f} ms/box, mpmath.iv / Iv = "
        f"{a['iv_over_endpoint']:.1f}"
    )
    print(
        f"S1 n=2 d=2 target < {TARGETS['S1_n2_d2_seconds']:.0f} s: "
        f"{'met' if r['met']['S1_n2_d2_seconds'] else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
