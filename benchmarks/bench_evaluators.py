"""Speed of the generated evaluators against baselines measured in the same run.

Prints three ratios (run: ``python benchmarks/bench_evaluators.py``):

1. toolkit float64 batch evaluation of ``f``, ``L``, ``grad L`` over 1,000
   instances at ``n = 200``, ``d = 20`` divided by hand-written numpy
   (target <= 2);
2. mpmath at 30 digits per instance divided by the toolkit's batch screen per
   instance, for S1 with its hypotheses at ``n = 7``, ``d = 4`` (target >= 500);
3. mpmath at 30 digits divided by the Arb path at 100 bits (about 30 digits),
   per instance, for ``f``, ``L``, ``grad L`` at ``n = 200``, ``d = 20`` with
   instance conversion included (target >= 10).

The ``measure_*`` functions return the ratio so ``softproof bench`` can reuse them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import sympy as sp

from derivations import model as m
from derivations.model import A, R, b, x, y
from derivations.statement import Relation, Statement
from numeric.balls import to_arb_instance
from numeric.exprplan import lower_many
from numeric.float64 import Screen, compile_many, execute_all
from numeric.instance import slice_instance
from numeric.mp import to_mp_instance

__all__ = [
    "measure_screen_vs_numpy",
    "measure_screen_vs_mpmath",
    "measure_confirm_vs_mpmath",
    "main",
]

FLG = [m.F(A, x), m.Loss(A, x, b), m.GradL(A, x, b)]


def _best(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best wall time of ``repeat`` calls (seconds)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _env(B: int, nn: int, dd: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(B, nn, dd)) / np.sqrt(nn)
    return {
        "A": a,
        "x": rng.normal(size=(B, dd)),
        "y": rng.normal(size=(B, dd)),
        "b": rng.dirichlet(np.ones(nn), size=B),
        "R": 4.0,
    }


def _numpy_flg(env: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hand-written numpy: softmax (D3), loss (D5), gradient (G5)."""
    a, v, w = env["A"], env["x"], env["b"]
    z = np.einsum("bij,bj->bi", a, v)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    f = e / e.sum(axis=1, keepdims=True)
    c = f - w
    loss = 0.5 * np.einsum("bi,bi->b", c, c)
    fc = f * c
    g = np.einsum("bij,bi->bj", a, fc - fc.sum(axis=1, keepdims=True) * f)
    return f, loss, g


def measure_screen_vs_numpy(B: int = 1000, nn: int = 200, dd: int = 20) -> float:
    """(toolkit float64 f, L, grad L on a batch) / (hand-written numpy); target <= 2."""
    env = _env(B, nn, dd)
    ev = compile_many(FLG)
    ours = ev(env)
    ref = _numpy_flg(env)
    for o, r in zip(ours, ref, strict=True):
        np.testing.assert_allclose(o, r, rtol=1e-10, atol=1e-14)
    return _best(lambda: ev(env)) / _best(lambda: _numpy_flg(env))


def s1_statement() -> Statement:
    """S1 with the TOML example's hypotheses."""
    return Statement(
        id="S1",
        title="f is ||A||/2-Lipschitz",
        claim=Relation(
            m.Norm("2", m.F(A, x) - m.F(A, y)), "<=", m.Norm("op", A) * m.Norm("2", x - y) / 2
        ),
        hypotheses=(
            Relation(m.Norm("op", A), "<=", R),
            Relation(m.Norm("2", x), "<=", R),
            Relation(m.Norm("2", y), "<=", R),
        ),
        parameters={"R": 4.0},
    )


def _statement_sides(st: Statement) -> list[sp.Basic]:
    return [side for r in (*st.hypotheses, st.claim) for side in (r.lhs, r.rhs)]


def _mp_per_instance(exprs: list[sp.Basic], env: dict, count: int, dps: int = 30) -> float:
    """Seconds per instance for mpmath evaluating ``exprs`` (sharing one plan)."""
    from numeric.mp import _mp, _MpRun

    plans = lower_many(exprs)
    insts = [slice_instance(env, i) for i in range(count)]

    def run() -> None:
        with _mp.workdps(dps):
            for inst in insts:
                vals = execute_all(plans[0].ops, _MpRun(to_mp_instance(inst)))
                _ = [vals[p.out] for p in plans]

    return _best(run, repeat=2) / count


def _arb_per_instance(exprs: list[sp.Basic], env: dict, count: int, prec: int = 100) -> float:
    """Seconds per instance for Arb evaluating ``exprs`` (sharing one plan)."""
    from flint import ctx

    from numeric.balls import _ArbRun

    plans = lower_many(exprs)
    insts = [slice_instance(env, i) for i in range(count)]

    def run() -> None:
        with ctx.workprec(prec):
            for inst in insts:
                vals = execute_all(plans[0].ops, _ArbRun(to_arb_instance(inst)))
                _ = [vals[p.out] for p in plans]

    return _best(run, repeat=3) / count


def measure_screen_vs_mpmath(count: int = 20, B: int = 10_000) -> float:
    """(mpmath at 30 digits per instance) / (batch screen per instance), S1 at
    n = 7, d = 4; target >= 500."""
    st = s1_statement()
    env = _env(B, 7, 4, seed=1)
    screen = Screen(st)
    per_screen = _best(lambda: screen(env)) / B
    per_mp = _mp_per_instance(_statement_sides(st), env, count)
    return per_mp / per_screen


def measure_confirm_vs_mpmath(count: int = 5, nn: int = 200, dd: int = 20) -> float:
    """(mpmath at 30 digits) / (Arb at 100 bits) per instance for f, L, grad L
    at n = 200, d = 20; target >= 10."""
    env = _env(count, nn, dd, seed=2)
    return _mp_per_instance(FLG, env, count) / _arb_per_instance(FLG, env, count)


def main() -> int:
    r1 = measure_screen_vs_numpy()
    print(
        f"float64 f, L, grad L (B=1000, n=200, d=20) / hand-written numpy: {r1:.2f}  (target <= 2)"
    )
    r2 = measure_screen_vs_mpmath()
    print(
        f"mpmath 30 digits / float64 screen, per instance (S1, n=7, d=4): {r2:.0f}  (target >= 500)"
    )
    r3 = measure_confirm_vs_mpmath()
    print(
        "mpmath 30 digits / Arb 100 bits, per instance (f, L, grad L, n=200, d=20): "
        f"{r3:.1f}  (target >= 10)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
