"""Certification speed and Arb against ``mpmath.iv`` (used by ``softproof bench``
and ``benchmarks/bench_certify.py``).

1. the time to certify S1 at ``n = 2, d = 2`` on ``[-4, 4]^8`` (target < 60 s),
   S1 at ``n = 3, d = 2`` on ``[-4, 4]^10`` and E5 at ``n = 4`` (``d = 1``,
   ``[-1, 1]^5``) (targets <= 120 s) and E5 at ``n = 3``, each followed by the
   time of the independent certificate checker;
2. the same lowered expression (``||f(x) - f(y)||_2`` at ``n = 7, d = 4``, 36
   variables) evaluated over the same random boxes by python-flint Arb balls
   and by ``mpmath.iv`` intervals, both at 128 bits and through the same
   lambdified code: seconds per box and the ratio (target: Arb >= 10x faster);
   also the prover's own endpoint intervals (:class:`softproof.numeric.boxes.Iv`).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import sympy as sp

TARGETS = {
    "S1_n2_d2_seconds": 60.0,
    "iv_over_arb": 10.0,
    "E5_n4_d1_seconds": 120.0,
    "S1_n3_d2_seconds": 120.0,
}


def time_certify(sid: str, n: int, d: int, radius: float | None, budget: float) -> dict[str, Any]:
    """Certify ``sid`` and re-check its certificate; seconds of both and the outcome."""
    from softproof.derivations.catalogue import get
    from softproof.numeric.certificate import check_certificate
    from softproof.numeric.certify import certify

    stmt = get(sid)
    t0 = time.perf_counter()
    res = certify(stmt, sizes={"n": n, "d": d}, default_radius=radius, budget_seconds=budget)
    seconds = time.perf_counter() - t0
    out = {
        "status": res.status,
        "seconds": seconds,
        "boxes": res.boxes,
        "domain": res.domain.short(),
    }
    if res.certificate is not None:
        t1 = time.perf_counter()
        out["checked"] = check_certificate(stmt, res.certificate)
        out["check_seconds"] = time.perf_counter() - t1
    return out


def _expression(n: int, d: int) -> tuple[list[sp.Symbol], sp.Expr]:
    from softproof.derivations import model
    from softproof.derivations.statement import Relation, Statement
    from softproof.numeric.boxes import Problem

    rel = Relation(
        model.Norm("2", model.F(model.A, model.x) - model.F(model.A, model.y)), "<=", sp.Integer(1)
    )
    prob = Problem(Statement(id="bench", title="bench", claim=rel), n, d, default_radius=1)
    return prob.symbols, prob.claim[0]


def arb_vs_mpmath_iv(
    boxes: int = 200, n: int = 7, d: int = 4, width: float = 1e-3, seed: int = 0, prec: int = 128
) -> dict[str, Any]:
    """Seconds per box of Arb and of ``mpmath.iv`` on the same expression and boxes."""
    from flint import arb, ctx
    from mpmath import iv

    syms, expr = _expression(n, d)
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-1, 1, size=(boxes, len(syms)))
    mods_arb = [{"exp": arb.exp, "sqrt": arb.sqrt, "mpf": arb}, "mpmath"]
    mods_iv = [{"exp": iv.exp, "sqrt": iv.sqrt, "mpf": iv.mpf}, "mpmath"]
    f_arb = sp.lambdify(syms, expr, modules=mods_arb)
    f_iv = sp.lambdify(syms, expr, modules=mods_iv)
    h = width / 2
    with ctx.workprec(prec):
        args = [[arb(float(c), h) for c in row] for row in centres]
        t0 = time.perf_counter()
        vals_arb = [f_arb(*a) for a in args]
        t_arb = (time.perf_counter() - t0) / boxes
    old = iv.prec
    iv.prec = prec
    try:
        args = [[iv.mpf([float(c) - h, float(c) + h]) for c in row] for row in centres]
        t0 = time.perf_counter()
        vals_iv = [f_iv(*a) for a in args]
        t_iv = (time.perf_counter() - t0) / boxes
    finally:
        iv.prec = old
    # the prover's own inf-sup intervals on Arb endpoints (softproof.numeric.boxes.Iv), same code
    from softproof.numeric.boxes import _compile_iv, interval_ball

    f_ends = _compile_iv(syms, [expr])
    with ctx.workprec(prec):
        from fractions import Fraction

        args = [
            [interval_ball(Fraction(float(c) - h), Fraction(float(c) + h)) for c in row]
            for row in centres
        ]
        t0 = time.perf_counter()
        for a in args:
            f_ends(*a)
        t_ends = (time.perf_counter() - t0) / boxes
    # the two enclosures must overlap (both contain the true range)
    agree = all(
        float(a.upper()) >= float(b.a) and float(b.b) >= float(a.lower())
        for a, b in zip(vals_arb, vals_iv, strict=True)
    )
    return {
        "boxes": boxes,
        "variables": len(syms),
        "arb_seconds_per_box": t_arb,
        "iv_seconds_per_box": t_iv,
        "iv_over_arb": t_iv / t_arb,
        "enclosures_overlap": agree,
        "endpoint_seconds_per_box": t_ends,
        "iv_over_endpoint": t_iv / t_ends,
    }
