"""``softproof bench``: speed of the toolkit against baselines measured in the same run.

Measures (all by default, a subset with ``--only``):

  screen_vs_numpy    float64 f, L, grad L over 1,000 instances (n=200, d=20)
                     / hand-written numpy                       (target <= 2)
  screen_vs_mpmath   mpmath 30 digits / float64 batch screen, per instance,
                     S1 at n=7, d=4                             (target >= 500)
  confirm_vs_mpmath  mpmath 30 digits / Arb 100 bits, per instance,
                     f, L, grad L at n=200, d=20                (target >= 10)
  mutant_099, mutant_0999, mutant_099999
                     seconds and evaluations of the generic search to a
                     confirmed violation of S1 with its constant times 0.99,
                     0.999, 0.99999 (n=7, d=4, R=4)             (targets 1 s, 5 s,
                     stretch 60 s); baseline: random screening alone
  mutant_099_n50, mutant_099_n200, mutant_0999_n50
                     seconds of check to a confirmed violation of S1-m099
                     (n=50 and n=200, d=20) and S1-m0999 (n=50, d=20)
                                                 (targets 10 s, 60 s, 60 s);
                     baseline: check with the finite-difference optimiser
  certify            seconds to certify S1 at n=d=2 on [-4, 4]^8 by branch
                     and bound (target < 60 s); mpmath.iv / Arb seconds per
                     box on the same expression (target >= 10)
  catalogue_load_ratio
                     seconds to load the catalogue from its statement files
                     / seconds to build the same statements from in-memory
                     texts through the grammar                  (target <= 1.2)

``--json`` prints one JSON object (figures, ``targets``, ``met``, ``baselines``,
``machine``); otherwise a table.  Progress goes to stderr.  The exit code is 0
once everything is measured, whether or not the targets are met.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

from softproof.cli import EXIT_OK, BadInput

__all__ = ["add_parser", "run", "format_table"]


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    from softproof.bench import MEASURES

    p = sub.add_parser(
        "bench",
        help="measure speed against baselines from the same run (ratios, time to violation)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and short baselines (a smoke run; ratios are noisier)",
    )
    p.add_argument(
        "--only",
        nargs="+",
        choices=MEASURES,
        metavar="KEY",
        help=f"measure only these (choose from: {', '.join(MEASURES)})",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--no-progress", action="store_true", help="no progress lines on stderr")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    from softproof.bench import log_stderr, run_bench

    if args.seed < 0:
        raise BadInput(f"--seed must be a non-negative integer, got {args.seed}")
    result = run_bench(
        only=args.only,
        quick=args.quick,
        seed=args.seed,
        log=None if args.no_progress else log_stderr,
    )
    if args.json:
        print(json.dumps(result, indent=1, allow_nan=False))
    else:
        print(format_table(result))
    sys.stdout.flush()
    return EXIT_OK


def _num(v: Any, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return (f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}") + unit


def _target_text(t: dict[str, Any], unit: str = "") -> str:
    text = f"<= {t['max']:g}{unit}" if "max" in t else f">= {t['min']:g}{unit}"
    return text + (" (stretch)" if t.get("stretch") else "")


def _mutant_baseline(base: dict[str, Any]) -> str:
    found = "found" if base["found"] else "not found"
    method = base.get("method", "random screening")
    text = f"{method}: {found} in {base['seconds']:.3g} s ({base['evals']} evals)"
    if base.get("speedup") is not None:
        bound = ">= " if base["speedup_is_lower_bound"] else ""
        text += f"; speed-up {bound}{base['speedup']:.3g}x"
    return text


def _baseline_text(key: str, result: dict[str, Any]) -> str:
    """The same-run reference figures behind the headline ``key``."""
    group = key.removesuffix("_s") if key.startswith("mutant_") else key
    if key.startswith("certify_"):
        group = "certify"
    base = result["baselines"].get(group)
    if group == "screen_vs_numpy":
        return (
            f"toolkit {base['toolkit_batch_s'] * 1e3:.3g} ms, numpy "
            f"{base['numpy_batch_s'] * 1e3:.3g} ms per batch of {base['batch']} "
            f"(n={base['n']}, d={base['d']})"
        )
    if group == "screen_vs_mpmath":
        return (
            f"mpmath {base['mpmath_per_instance_s'] * 1e3:.3g} ms, screen "
            f"{base['screen_per_instance_s'] * 1e6:.3g} us per instance "
            f"({base['statement']}, n={base['n']}, d={base['d']})"
        )
    if group == "confirm_vs_mpmath":
        return (
            f"mpmath {base['mpmath_per_instance_s'] * 1e3:.3g} ms, Arb "
            f"{base['arb_per_instance_s'] * 1e3:.3g} ms per instance (n={base['n']}, d={base['d']})"
        )
    if key == "certify_iv_over_arb":
        return (
            f"mpmath.iv {base['iv_seconds_per_box'] * 1e3:.3g} ms, Arb "
            f"{base['arb_seconds_per_box'] * 1e3:.3g} ms per box ({base['variables']} variables)"
        )
    if key == "catalogue_load_ratio":
        return (
            f"files {base['files_s'] * 1e3:.3g} ms, in-memory texts {base['texts_s'] * 1e3:.3g} ms "
            f"(best runs; {base['statements']} statements)"
        )
    if key.startswith("bound_"):
        ref = result["baselines"]["bound"]["hand_written_chain_check_s"]
        return f"hand-written P1-sharp and S1 chains checked in {ref:.3g} s"
    if key == "cosh_gradient_prove_s":
        g5 = result["baselines"]["cosh_gradient"]["g5_prove_s"]
        return f"the built-in model's G5 proved in {g5:.3g} s"
    if key == "certify_s1_n2_d2_s":
        s1 = result["details"]["certify"]["S1_n2_d2"]
        check = s1.get("check_seconds")
        checked = "" if check is None else f", certificate re-checked in {check:.3g} s"
        return f"{s1['status']} ({s1['boxes']} boxes{checked})"
    return _mutant_baseline(base) if base is not None else ""


def _rows(group: str) -> list[tuple[str, str]]:
    """(headline key, unit) of one measured group."""
    if group.startswith("mutant_"):
        return [(f"{group}_s", " s")]
    if group == "certify":
        return [("certify_s1_n2_d2_s", " s"), ("certify_iv_over_arb", "")]
    if group == "cosh_gradient":
        return [("cosh_gradient_prove_s", " s")]
    if group == "bound":
        from softproof.bench import TARGETS

        return [(k, " s") for k in TARGETS if k.startswith("bound_")]
    return [(group, "")]


def format_table(result: dict[str, Any]) -> str:
    """The result of :func:`softproof.bench.run_bench` as a readable table."""
    mach = result["machine"]
    settings = result["settings"]
    lines = [
        f"softproof bench ({'quick' if settings['quick'] else 'full'} run, seed "
        f"{settings['seed']}; {mach['cores']} cores, load {_num(mach['load_average_1min'])}, "
        f"numpy {mach['numpy']}, python-flint {mach['python-flint']})",
        f"{'measure':20} {'value':>22} {'target':>18} {'met':>4}  baseline (same run)",
    ]
    for group in settings["measures"]:
        for key, unit in _rows(group):
            value = _num(result[key], unit)
            if key.startswith("mutant_"):
                evals = result[key.removesuffix("_s") + "_evals"]
                value = f"{'not found' if result[key] is None else value} ({evals} evals)"
            target = _target_text(result["targets"][key], unit)
            ok = "yes" if result["met"][key] else "NO"
            lines.append(
                f"{key:20} {value:>22} {target:>18} {ok:>4}  {_baseline_text(key, result)}"
            )
    lines.append(f"total {result['seconds_total']:.1f} s")
    return "\n".join(lines)
