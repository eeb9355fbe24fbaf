"""Benchmark: time and evaluations to a confirmed violation of the S1 mutants.

S1 (``||f(x) - f(y)|| <= ||A||/2 ||x - y||``) with its constant multiplied by
0.99, 0.999 and 0.99999, on the statement-file example's hypothesis set
``||A||, ||x||, ||y|| <= R = 4`` at ``n = 7, d = 4``.  The claims are built
through the grammar from the catalogue's S1 claim text, and searched with
:func:`numeric.search.check`, the code path of ``softproof check``.  At these
sizes the worst ratio of S1 is about ``1 - 4.5e-6``, so the 0.99999 mutant is
false by a relative margin of only ~5.5e-6.

The baseline, measured in the same run with the same budget, is random
screening alone (:func:`numeric.search.screen_search`).  Run
``python benchmarks/bench_search.py`` or ``softproof bench --json``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from derivations.catalogue import get
from derivations.grammar import parse_relation
from derivations.statement import Statement

SIZES = {"n": 7, "d": 4}
HYPOTHESES = ("opnorm(A) <= R", "norm2(x) <= R", "norm2(y) <= R")
CONSTANTS = {"099": "0.99", "0999": "0.999", "099999": "0.99999"}
BUDGETS = {"099": 10.0, "0999": 20.0, "099999": 90.0}
TARGETS = {"099": 1.0, "0999": 5.0, "099999": 60.0}


def s1_mutant(constant: str) -> Statement:
    """S1 with its constant multiplied by ``constant`` (parsed by the grammar)."""
    s1 = get("S1")
    lhs, rhs = s1.claim_text.split("<=")
    claim = f"{lhs.strip()} <= {constant}*({rhs.strip()})"
    params = {"R": 4}
    return Statement(
        id=f"S1-x{constant}",
        title=f"S1 with constant {constant}/2 (false)",
        claim=parse_relation(claim, parameters=["R"]),
        hypotheses=tuple(parse_relation(h, parameters=["R"]) for h in HYPOTHESES),
        sizes=dict(SIZES),
        parameters=params,
        expected=False,
        mutant_of="S1",
        claim_text=claim,
        hypotheses_text=HYPOTHESES,
    )


def time_to_violation(statement: Statement, budget: float, seed: int = 0) -> dict[str, Any]:
    """Seconds and evaluations of ``check`` until a confirmed violation."""
    from numeric.search import check

    t0 = time.perf_counter()
    res = check(statement, budget, seed, SIZES, progress=False)
    return {
        "found": res.verdict == "violated",
        "seconds": time.perf_counter() - t0,
        "evaluations": res.instances,
        "worst_ratio": res.worst_ratio,
    }


def baseline(statement: Statement, budget: float, seed: int = 0) -> dict[str, Any]:
    """Random screening alone with the same budget."""
    from numeric.search import screen_search

    t0 = time.perf_counter()
    res, _ = screen_search(statement, budget, seed, SIZES)
    return {
        "found": res.verdict == "violated",
        "seconds": time.perf_counter() - t0,
        "evaluations": res.instances,
        "worst_ratio": res.worst_ratio,
    }


def bench_s1_mutants(seed: int = 0, with_baseline: bool = True) -> dict[str, Any]:
    """The benchmark's figures: ``mutant_<c>_s`` (seconds to a confirmed
    violation, ``None`` if not found within the budget), ``mutant_<c>_evals``,
    targets, and the random-screening baseline with its speed-up ratio."""
    out: dict[str, Any] = {"sizes": SIZES, "R": 4, "seed": seed}
    for key, c in CONSTANTS.items():
        st = s1_mutant(c)
        r = time_to_violation(st, BUDGETS[key], seed)
        out[f"mutant_{key}_s"] = r["seconds"] if r["found"] else None
        out[f"mutant_{key}_evals"] = r["evaluations"]
        out[f"mutant_{key}_target_s"] = TARGETS[key]
        out[f"mutant_{key}_budget_s"] = BUDGETS[key]
        if with_baseline:
            b = baseline(st, BUDGETS[key] if key != "099999" else 20.0, seed)
            out[f"baseline_{key}_found"] = b["found"]
            out[f"baseline_{key}_s"] = b["seconds"]
            out[f"baseline_{key}_evals"] = b["evaluations"]
            out[f"baseline_{key}_worst_ratio"] = b["worst_ratio"]
            if r["found"]:
                # a lower bound on the speed-up when the baseline found nothing
                out[f"speedup_{key}"] = b["seconds"] / r["seconds"]
                out[f"speedup_{key}_is_lower_bound"] = not b["found"]
    return out


def run(seed: int = 0) -> dict[str, Any]:
    """Entry point for ``softproof bench``."""
    return bench_s1_mutants(seed)


if __name__ == "__main__":
    print(json.dumps(run(), indent=1))
