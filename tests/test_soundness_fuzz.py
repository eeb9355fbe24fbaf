"""Soundness fuzzers: every verdict of the deciding paths is cross-examined.

Statements are drawn from the statement-file grammar (``fuzz_strategies``) and given
to the identity prover (symbolic and explicit levels), to certification (Arb branch
and bound, small budget) and to the search driver.  Each verdict is then checked by
an evaluator written here that shares no code with those paths: the statement's
SymPy tree is lowered to scalar entries (``lower_explicit``: derivation, not
enclosure) and interpreted below, in python-flint Arb with every constant enclosed
by Arb itself (exact rationals, ``arb.const_e()``), or in mpmath at 60 digits.

* proved identity: both sides overlap at every sampled exact point where both are
  defined (at every size for a symbolic proof);
* certified inequality: no sampled point of the hypothesis set has a margin ball
  strictly on the wrong side;
* violated: the witness satisfies the hypotheses and breaks the claim in mpmath.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import pytest
import sympy as sp
from flint import arb, ctx, fmpq
from hypothesis import HealthCheck, example, given, reject, settings

from softproof.derivations import model
from softproof.derivations.identities import prove_statement
from softproof.derivations.lowering import lower_explicit
from softproof.derivations.statement_files import StatementFileError, parse_statement_text
from softproof.numeric.boxes import DomainError
from softproof.numeric.certify import certify
from softproof.numeric.search import check
from tests.fuzz_strategies import Spec, identity_specs, inequality_specs, statements, t_points

ARB_PREC = 256
MP_DPS = 60
MP_TOL = mpmath.mpf(10) ** -50
#: every size a symbolic proof is examined at
SYMBOLIC_SIZES = ((1, 1), (2, 1), (3, 1), (1, 2), (2, 2), (3, 2))


class Undefined(Exception):
    """The expression has no real value at the point (or the interpreter cannot tell)."""


# --------------------------------------------------------------------------
# Lowering to scalar entries (the spectral norm by its closed form at d, n <= 3)
# --------------------------------------------------------------------------
def _opnorm_closed_form(m: sp.Matrix) -> sp.Expr:
    """The spectral norm of a matrix with min(rows, cols) <= 2 as a SymPy expression."""
    g = m.T * m if m.cols <= m.rows else m * m.T
    if g.shape == (1, 1):
        return sp.sqrt(g[0, 0])
    if g.shape != (2, 2):
        raise Undefined("spectral norm beyond 2 x 2 Gram matrices")
    a, b, c = g[0, 0], g[0, 1], g[1, 1]
    return sp.sqrt((a + c) / 2 + sp.sqrt(((a - c) / 2) ** 2 + b**2))


def lower_entries(e: sp.Basic, n: int, d: int) -> list[sp.Expr]:
    """Scalar SymPy entries of ``e`` at sizes ``n, d`` (row-major)."""
    reps = {}
    for node in sp.preorder_traversal(e):
        if isinstance(node, model.Norm) and node.kind == "op" and node not in reps:
            reps[node] = sp.Dummy("opnorm")
    closed = {
        sym: _opnorm_closed_form(sp.Matrix(lower_explicit(node.arg, n, d)))
        for node, sym in reps.items()
    }
    low = lower_explicit(e.xreplace(reps), n, d)
    entries = list(low) if isinstance(low, sp.MatrixBase) else [low]
    return [sp.sympify(v).xreplace(closed) for v in entries]


# --------------------------------------------------------------------------
# The interpreter: one walk, two backends (Arb balls, mpmath numbers)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Backend:
    """Arithmetic of one backend."""

    const: Callable[[Fraction], Any]
    e: Callable[[], Any]
    pi: Callable[[], Any]
    exp: Callable[[Any], Any]
    log: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    sign: Callable[[Any], int]  # -1, 0, 1; raises Undefined when unknown
    finite: Callable[[Any], bool]


def _arb_sign(v: arb) -> int:
    if v > 0:
        return 1
    if v < 0:
        return -1
    if v.is_exact() and v == 0:
        return 0
    raise Undefined("sign of a ball containing 0")


def _arb_log(v: arb) -> arb:
    if not v > 0:
        raise Undefined("log of a non-positive ball")
    return v.log()


def _arb_sqrt(v: arb) -> arb:
    if v < 0 or not (v >= 0 or v.contains(0)):
        raise Undefined("sqrt of a negative ball")
    if not v >= 0:  # a ball straddling 0: undecided domain
        raise Undefined("sqrt of a ball straddling 0")
    return v.sqrt()


ARB = Backend(
    const=lambda q: arb(fmpq(q.numerator, q.denominator)),
    e=arb.const_e,
    pi=arb.pi,
    exp=lambda v: v.exp(),
    log=_arb_log,
    sqrt=_arb_sqrt,
    sign=_arb_sign,
    finite=lambda v: v.is_finite(),
)


def _mp_sign(v: Any) -> int:
    return 0 if v == 0 else (1 if v > 0 else -1)


def _mp_log(v: Any) -> Any:
    if not v > 0:
        raise Undefined("log of a non-positive number")
    return mpmath.log(v)


def _mp_sqrt(v: Any) -> Any:
    if v < 0:
        raise Undefined("sqrt of a negative number")
    return mpmath.sqrt(v)


MP = Backend(
    const=lambda q: mpmath.mpf(q.numerator) / q.denominator,
    e=lambda: +mpmath.e,
    pi=lambda: +mpmath.pi,
    exp=mpmath.exp,
    log=_mp_log,
    sqrt=_mp_sqrt,
    sign=_mp_sign,
    finite=lambda v: mpmath.isfinite(v) and not isinstance(v, mpmath.mpc),
)


def evaluate(e: sp.Expr, env: Mapping[str, Fraction], be: Backend) -> Any:
    """The value of the scalar SymPy expression ``e`` with symbols named in ``env``."""
    v = _walk(e, env, be)
    if not be.finite(v):
        raise Undefined("not finite")
    return v


def _walk(e: sp.Basic, env: Mapping[str, Fraction], be: Backend) -> Any:
    if e.is_Rational:
        return be.const(Fraction(int(e.p), int(e.q)))
    if isinstance(e, sp.Float):
        return be.const(Fraction(sp.Rational(e).p, sp.Rational(e).q))
    if e is sp.E:
        return be.e()
    if e is sp.pi:
        return be.pi()
    if isinstance(e, sp.Symbol):
        if e.name not in env:
            raise KeyError(f"no value for {e.name}")
        return be.const(env[e.name])
    args = [_walk(a, env, be) for a in e.args] if not isinstance(e, sp.Pow) else None
    if isinstance(e, sp.Add):
        return _fold(args, lambda a, b: a + b)
    if isinstance(e, sp.Mul):
        return _fold(args, lambda a, b: a * b)
    if isinstance(e, sp.Pow):
        return _power(e, env, be)
    if isinstance(e, sp.exp):
        return be.exp(args[0])
    if isinstance(e, sp.log):
        return be.log(args[0])
    if isinstance(e, sp.Abs):
        return abs(args[0])
    if isinstance(e, sp.Max | sp.Min):
        return _extremum(args, isinstance(e, sp.Max), be)
    if isinstance(e, sp.sign):
        return be.const(Fraction(be.sign(args[0])))
    if isinstance(e, sp.Heaviside):
        s = be.sign(args[0])
        if s == 0:
            raise Undefined("Heaviside at 0")
        return be.const(Fraction(1 if s > 0 else 0))
    raise Undefined(f"no interpretation of {type(e).__name__}")


def _fold(values: Sequence[Any], op: Callable[[Any, Any], Any]) -> Any:
    out = values[0]
    for v in values[1:]:
        out = op(out, v)
    return out


def _extremum(values: Sequence[Any], is_max: bool, be: Backend) -> Any:
    out = values[0]
    for v in values[1:]:
        if be is ARB:
            out = out.max(v) if is_max else out.min(v)
        else:
            out = max(out, v) if is_max else min(out, v)
    return out


def _power(e: sp.Pow, env: Mapping[str, Fraction], be: Backend) -> Any:
    base = _walk(e.base, env, be)
    k = e.exp
    if k.is_Integer:
        if k < 0:
            if be.sign(base) == 0:
                raise Undefined("division by zero")
            return _ipow(1 / base, -int(k))
        return _ipow(base, int(k))
    if k == sp.S.Half:
        return be.sqrt(base)
    if k == -sp.S.Half:
        root = be.sqrt(base)
        if be.sign(root) == 0:
            raise Undefined("division by zero")
        return 1 / root
    expo = _walk(k, env, be)
    if be.sign(base) == 0 and k.is_positive:
        return base * 0  # 0**k = 0 for a positive real k (abs(t)**(1/4) at t = 0)
    if be.sign(base) <= 0:
        raise Undefined("real power of a non-positive base")
    return be.exp(expo * be.log(base))


def _ipow(base: Any, k: int) -> Any:
    out = base * 0 + 1
    for _ in range(k):
        out = out * base
    return out


# --------------------------------------------------------------------------
# Points
# --------------------------------------------------------------------------
def _names(n: int, d: int) -> dict[str, list[str]]:
    def matrix(name: str) -> list[str]:
        if d == 1:  # an n x 1 matrix is lowered with one index, as a vector
            return [f"{name}_{{{i + 1}}}" for i in range(n)]
        return [f"{name}_{{{i + 1},{j + 1}}}" for i in range(n) for j in range(d)]

    return {
        "A": matrix("A"),
        "At": matrix("At"),
        "x": [f"x_{{{j + 1}}}" for j in range(d)],
        "y": [f"y_{{{j + 1}}}" for j in range(d)],
        "b": [f"b_{{{i + 1}}}" for i in range(n)],
    }


def _rand_q(rng: random.Random, r: Fraction) -> Fraction:
    return Fraction(rng.randint(-64, 64), 64) * r


_UNIT = ((Fraction(3, 5), Fraction(4, 5)), (Fraction(5, 13), Fraction(12, 13)), (1, 0), (0, 1))
_UNIT3 = (
    (Fraction(1, 3), Fraction(2, 3), Fraction(2, 3)),
    (Fraction(2, 7), Fraction(3, 7), Fraction(6, 7)),
    (1, 0, 0),
)


def _unit(rng: random.Random, k: int) -> list[Fraction]:
    """A rational unit vector of length k (k <= 3), with random signs."""
    if k == 1:
        base: tuple = (1,)
    else:
        base = rng.choice(_UNIT if k == 2 else _UNIT3)
    return [Fraction(v) * rng.choice((-1, 1)) for v in base]


def _on_sphere(rng: random.Random, var: str, r: Fraction, n: int, d: int) -> list[Fraction]:
    """A vector of norm2 r, or a matrix r u v^T of spectral norm r (row-major entries)."""
    if var in ("A", "At"):
        u, v = _unit(rng, n), _unit(rng, d)
        return [r * ui * vj for ui in u for vj in v]
    return [r * e for e in _unit(rng, n if var == "b" else d)]


def points(spec: Spec, n: int, d: int, count: int, seed: str) -> Iterable[dict[str, Fraction]]:
    """Exact points: special values of t, box corners and axes, random rationals,
    every fixed parameter at its stated value, ranged ones at ends and inside."""
    rng = random.Random(zlib.crc32(seed.encode()))
    radius = dict(spec.radius)
    names = _names(n, d)
    ts = list(t_points(spec)) + [Fraction(k, 2) for k in range(-24, 25)]
    for i in range(count):
        env: dict[str, Fraction] = {name: val for name, _, val in spec.fixed}
        for name, lo, hi in spec.ranged:
            env[name] = (
                [lo, hi, (lo + hi) / 2][i % 3]
                if i < 9
                else lo + (hi - lo) * Fraction(rng.randint(0, 64), 64)
            )
        rt = radius.get("t", Fraction(12))
        t = ts[i] if i < len(ts) else _rand_q(rng, rt)
        env["t"] = t
        for var, entries in names.items():
            r = radius.get(var, Fraction(2))
            mode = i % 5
            if mode == 0:  # an axis point: one entry at +-r, the others 0
                vals = [Fraction(0)] * len(entries)
                vals[rng.randrange(len(entries))] = r * rng.choice((-1, 1))
            elif mode == 1:  # a corner
                vals = [r * rng.choice((-1, 0, 1)) for _ in entries]
            elif mode == 2:  # on the sphere of radius r: norm2 (vectors) or opnorm (r u v^T) = r
                vals = _on_sphere(rng, var, r, n, d)
            else:
                vals = [_rand_q(rng, r) for _ in entries]
            env.update(zip(entries, vals, strict=True))
        yield env


# --------------------------------------------------------------------------
# Cross-examinations
# --------------------------------------------------------------------------
def _statement(spec: Spec):
    """The parsed statement; a generated text the grammar refuses (``1/0``) is skipped."""
    try:
        return parse_statement_text(spec.toml(), "<fuzz>")
    except StatementFileError:
        reject()


def _sides(rel, n: int, d: int) -> tuple[list[sp.Expr], list[sp.Expr]]:
    return lower_entries(rel.lhs, n, d), lower_entries(rel.rhs, n, d)


def identity_disagreement(spec: Spec, rel, sizes: Iterable[tuple[int, int]]) -> str | None:
    """A point where the two sides of ``rel`` are both defined and disjoint balls."""
    sizes = list(sizes)
    count = 90 if len(sizes) == 1 else 40  # per size
    with ctx.workprec(ARB_PREC):
        for n, d in sizes:
            lhs, rhs = _sides(rel, n, d)
            for env in points(spec, n, d, count, f"{spec.claim}/{n}/{d}"):
                for k, (l_e, r_e) in enumerate(zip(lhs, rhs, strict=True)):
                    try:
                        lv, rv = evaluate(l_e, env, ARB), evaluate(r_e, env, ARB)
                    except Undefined:
                        continue
                    if not lv.overlaps(rv):
                        shown = {k2: str(v) for k2, v in env.items() if k2 in _used(l_e, r_e)}
                        return f"n={n}, d={d}, entry {k}: lhs {lv} != rhs {rv} at {shown}"
    return None


def _used(*es: sp.Expr) -> set[str]:
    return {s.name for e in es for s in e.free_symbols}


def _arb_margin(rel, env, n: int, d: int) -> arb:
    (lhs,), (rhs,) = _sides(rel, n, d)
    return evaluate(rhs, env, ARB) - evaluate(lhs, env, ARB)


def _holds_arb(rel, env, n: int, d: int) -> bool:
    """The hypothesis holds rigorously at the point."""
    m = _arb_margin(rel, env, n, d)
    return bool(m >= 0) if rel.op == "<=" else bool(m > 0)


def _fails_arb(rel, env, n: int, d: int) -> bool:
    """The inequality fails rigorously at the point."""
    m = _arb_margin(rel, env, n, d)
    return bool(m < 0) if rel.op == "<=" else bool(m <= 0)


def certified_counterexample(spec: Spec, stmt) -> str | None:
    """A sampled point of the hypothesis set where the certified claim fails in Arb."""
    n, d = spec.n, spec.d
    with ctx.workprec(ARB_PREC):
        for env in points(spec, n, d, 160, f"cert/{spec.claim}"):
            try:
                if not all(_holds_arb(h, env, n, d) for h in stmt.hypotheses):
                    continue
                if _fails_arb(stmt.claim, env, n, d):
                    m = _arb_margin(stmt.claim, env, n, d)
                    used = _used(*_sides(stmt.claim, n, d)[0], *_sides(stmt.claim, n, d)[1])
                    shown = {k: str(v) for k, v in env.items() if k in used}
                    return f"margin {m} at {shown}"
            except Undefined:
                continue
    return None


def _mp_margin(rel, env, n: int, d: int, dps: int) -> Any:
    with mpmath.workdps(dps):
        (lhs,), (rhs,) = _sides(rel, n, d)
        return evaluate(rhs, env, MP) - evaluate(lhs, env, MP)


def _mp_sign_of_margin(rel, env, n: int, d: int) -> int:
    """Sign of rhs - lhs at 60 digits; 0 only when also below 1e-140 at 160 digits."""
    m = _mp_margin(rel, env, n, d, MP_DPS)
    if abs(m) > MP_TOL:
        return 1 if m > 0 else -1
    m = _mp_margin(rel, env, n, d, 160)
    if abs(m) < mpmath.mpf(10) ** -140:
        return 0
    return 1 if m > 0 else -1


def witness_env(spec: Spec, witness: Mapping[str, Any], n: int, d: int) -> dict[str, Fraction]:
    """The exact point of a witness; fixed parameters keep the statement's values
    (a witness may not change them), ranged ones must lie in their range."""
    names = _names(n, d)
    env: dict[str, Fraction] = {}
    for key, value in witness.items():
        if key in names:
            flat = [v for row in _as_rows(value) for v in row]
            env.update(zip(names[key], (Fraction(float(v)) for v in flat), strict=True))
        else:
            env[key] = Fraction(float(value))
    for name, _, val in spec.fixed:
        env[name] = val
    for name, lo, hi in spec.ranged:
        if not lo <= env.get(name, lo - 1) <= hi:
            raise AssertionError(f"witness {name} = {env.get(name)} outside [{lo}, {hi}]")
    return env


def _as_rows(value: Any) -> list[list[Any]]:
    rows = value.tolist() if hasattr(value, "tolist") else value
    if not isinstance(rows, list):
        return [[rows]]
    return [r if isinstance(r, list) else [r] for r in rows]


def witness_problem(spec: Spec, stmt, witness: Mapping[str, Any], n: int, d: int) -> str | None:
    """Why the witness does not confirm a violation in mpmath (None when it does)."""
    env = witness_env(spec, witness, n, d)
    try:
        for k, h in enumerate(stmt.hypotheses):
            s = _mp_sign_of_margin(h, env, n, d)
            if s < 0 or (s == 0 and h.op == "<"):
                return f"hypothesis {k + 1} ({spec.hypotheses[k]}) fails at the witness {env}"
        if stmt.claim.op == "==":
            with mpmath.workdps(MP_DPS):
                lhs, rhs = _sides(stmt.claim, n, d)
                gaps = [
                    abs(evaluate(a, env, MP) - evaluate(b, env, MP))
                    for a, b in zip(lhs, rhs, strict=True)
                ]
            return None if max(gaps) > MP_TOL else f"both sides agree at the witness {env}"
        s = _mp_sign_of_margin(stmt.claim, env, n, d)
    except Undefined as exc:
        return f"undefined at the witness ({exc}): {env}"
    if s < 0 or (s == 0 and stmt.claim.op == "<"):
        return None
    return f"the claim holds at the witness (margin sign {s}): {env}"


def refutation_problem(rel, result) -> str | None:
    """Why the prover's refutation point does not show the sides differ (None if it does)."""
    sizes = dict(part.strip().split("=") for part in result.witness["sizes"].split(","))
    n, d = int(sizes["n"]), int(sizes["d"])
    env = {name: Fraction(v) for name, v in result.witness["point"].items()}
    index = {
        sp.Symbol(str(k), integer=True, positive=True): v
        for k, v in result.witness.get("index", {}).items()
    }
    lhs, rhs = (lower_entries(side.xreplace(index), n, d) for side in (rel.lhs, rel.rhs))
    with ctx.workprec(ARB_PREC):
        for l_e, r_e in zip(lhs, rhs, strict=True):
            try:  # the point fixes only the symbols left in the difference
                if not evaluate(l_e - r_e, env, ARB).contains(0):
                    return None
            except (Undefined, KeyError):
                continue
    return f"no entry differs at the refutation point {env} (n={n}, d={d})"


def _explicit_sizes(result, spec: Spec) -> Sequence[tuple[int, int]]:
    return SYMBOLIC_SIZES if result.level == "symbolic" else ((spec.n, spec.d),)


# --------------------------------------------------------------------------
# The fuzzers
# --------------------------------------------------------------------------
@given(identity_specs())
# known defect: the explicit prover cancels abs(t + 10)/(t + 10) to 1 (false for t < -10)
@example(Spec(claim="abs(t + 10)/(t + 10) == 1", origin="known defect"))
# found by this fuzzer, same family: sqrt(E**2) / E cancelled to 1 (false for E < 0)
@example(Spec(claim="sqrt((t - 1/2)**2) / (t - 1/2) == 1", n=2, d=2, origin="found"))
# found by this fuzzer: abs(alpha(x) - 1) / (alpha(x) - 1) proved equal to 1 at every size,
# false wherever alpha(x) < 1 (n = 1, A x < 0)
@example(Spec(claim="abs(alpha(x) - 1) / (alpha(x) - 1) == 1", n=1, d=2, origin="found"))
# found by this fuzzer: the prover raises TypeError (SymPy's Abs rebuilds the model's Norm
# node with a scalar argument) instead of answering, at both levels
@example(Spec(claim="abs(norm_inf(c(x)) - 1) == abs(norm_inf(c(x)) - 1)", n=3, d=2))
# found by this fuzzer: sqrt(E**2) == E proved at the explicit level (the denominator
# t - 1/2 is taken positive), refuted at the symbolic level
@example(Spec(claim="sqrt((1/(t - 1/2))**2) == 1/(t - 1/2)", origin="found"))
# found by this fuzzer: exp(log(0)) folds to nan and the prover raises TypeError
# ("Invalid NaN comparison") instead of answering
@example(Spec(claim="0 == exp(log(0*t))", origin="found"))
# found by this fuzzer (thorough profile): refuted at t = -4, where both roots on the left
# are imaginary and only their product is real
@example(Spec(claim="sqrt(t) * sqrt((t - 1/2)) == sqrt((t) * ((t - 1/2)))", origin="found"))
# the fuzzer's own evaluator once took 0**(1/4) as undefined (a false alarm, not a defect)
@example(Spec(claim="max(abs(t)**(1/4), 1 - abs(t)**(1/4)) == abs(t)**(1/4)"))
def test_proved_identities_agree_wherever_defined(spec: Spec) -> None:
    stmt = _statement(spec)
    for level in ("symbolic", ("explicit", spec.n, spec.d)):
        result = prove_statement(stmt, level)
        if result.proved:
            bad = identity_disagreement(spec, stmt.claim, _explicit_sizes(result, spec))
            assert bad is None, f"false proof ({result.summary()}) of {spec.claim}: {bad}"
        elif result.status == "refuted":
            bad = refutation_problem(stmt.claim, result)
            assert bad is None, f"false refutation ({result.summary()}) of {spec.claim}: {bad}"


@given(inequality_specs())
# known defect: a decimal just below e certified as an upper bound of e * |t|
@example(
    Spec(
        claim="norm2(exp(1) * t * ones(1)) <= 2.7182818284590451 * abs(t)",
        hypotheses=("abs(t) <= 1",),
        radius=(("t", Fraction(1)),),
        t_points=(Fraction(1), Fraction(-1)),
        origin="known defect",
    )
)
# found by this fuzzer, same family: the constant e entering as exp of a constant vector
@example(
    Spec(
        claim="norm2(t * exp(ones(1))) <= 2.7182818284590451 * abs(t)",
        hypotheses=("abs(t) <= 1",),
        radius=(("t", Fraction(1)),),
        t_points=(Fraction(1), Fraction(-1)),
        origin="found",
    )
)
def test_certified_inequalities_hold_on_their_domain(spec: Spec) -> None:
    stmt = _statement(spec)
    try:
        # a ranged parameter in a bound (abs(t) <= R) does not bound t for the certifier:
        # the box of the spec contains the hypothesis set, so it is a sound default
        radius = max((r for _, r in spec.radius), default=None) if spec.ranged else None
        result = certify(stmt, budget_seconds=0.4, max_boxes=3000, default_radius=radius)
    except DomainError:
        return  # an unbounded domain (or too many variables): nothing was claimed
    if result.status == "certified":
        bad = certified_counterexample(spec, stmt)
        assert bad is None, f"false certificate of {spec.claim}: {bad}"
    elif result.status == "violated":
        bad = witness_problem(spec, stmt, result.witness, spec.n, spec.d)
        assert bad is None, f"false violation of {spec.claim} (certify): {bad}"


@given(statements())
# found by this fuzzer: a claim that uses the size n (or d) but no variable of that size
# makes the search driver raise KeyError "size n is unknown" (exit 4 from the CLI)
@example(
    Spec(
        claim="t * n <= 2",
        hypotheses=("abs(t) <= 1",),
        n=2,
        radius=(("t", Fraction(1)),),
        origin="found",
    )
)
# the search driver runs Hypothesis itself (hypothesis_search): a nested @given
@settings(
    suppress_health_check=[
        HealthCheck.nested_given,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ]
)
def test_search_verdicts_are_confirmed(spec: Spec) -> None:
    stmt = _statement(spec)
    result = check(stmt, budget_seconds=0.3, progress=False)
    if result.verdict == "violated":
        bad = witness_problem(spec, stmt, result.witness, spec.n, spec.d)
        assert bad is None, f"false violation of {spec.claim} (check): {bad}"
    elif result.verdict == "proved":
        sizes = SYMBOLIC_SIZES if "symbolic n, d" in result.proof else ((spec.n, spec.d),)
        bad = identity_disagreement(spec, stmt.claim, sizes)
        assert bad is None, f"false proof ({result.proof}) of {spec.claim}: {bad}"


# --------------------------------------------------------------------------
# The evaluator itself must be able to fail (checks that cannot fail are defects)
# --------------------------------------------------------------------------
def test_evaluator_finds_a_false_identity() -> None:
    spec = Spec(claim="abs(t + 10)/(t + 10) == 1")
    assert identity_disagreement(spec, _statement(spec).claim, [(1, 1)]) is not None


def test_evaluator_accepts_a_true_identity() -> None:
    spec = Spec(claim="max(t, 1 - t) == 1/2 + abs(t - 1/2)", n=2, d=2)
    assert identity_disagreement(spec, _statement(spec).claim, SYMBOLIC_SIZES) is None


def test_evaluator_separates_e_from_its_double() -> None:
    below = Spec(
        claim="exp(1) * abs(t) <= 2.7182818284590451 * abs(t)",
        hypotheses=("abs(t) <= 1",),
        radius=(("t", Fraction(1)),),
    )
    above = Spec(
        claim="exp(1) * abs(t) <= 2.7182818284590455 * abs(t)",
        hypotheses=("abs(t) <= 1",),
        radius=(("t", Fraction(1)),),
    )
    assert certified_counterexample(below, _statement(below)) is not None
    assert certified_counterexample(above, _statement(above)) is None


def test_evaluator_uses_the_spectral_norm_in_hypotheses() -> None:
    spec = Spec(
        claim="alpha(x) <= n * 2.7182818284590451",
        hypotheses=("opnorm(A) <= 1", "norm2(x) <= 1"),
        radius=(("A", Fraction(1)), ("x", Fraction(1))),
    )
    assert certified_counterexample(spec, _statement(spec)) is not None
    too_big = Spec(claim="alpha(x) <= 1", hypotheses=("opnorm(A) <= 1/2", "norm2(x) <= 1"))
    env = {"A_{1}": Fraction(1), "x_{1}": Fraction(1)}
    assert not _holds_arb(_statement(too_big).hypotheses[0], env, 1, 1)


def test_refutation_check_rejects_a_false_refutation() -> None:
    from softproof.derivations.identities import ProofResult

    rel = _statement(Spec(claim="norm2(f(x)) == 1", n=2)).claim
    true_point = {"sizes": "n=1, d=1", "point": {"A_{1}": "3/7", "x_{1}": "1"}, "index": {}}
    false_point = {"sizes": "n=2, d=1", "point": {"A_{1}": "3/7", "A_{2}": "-4/3", "x_{1}": "1"}}

    def result(w):
        return ProofResult("refuted", "symbolic", 0.0, "test", witness=w)

    assert refutation_problem(rel, result(true_point)) is not None
    assert refutation_problem(rel, result(false_point)) is None


def test_witness_check_rejects_a_non_violation() -> None:
    spec = Spec(claim="t <= 1", hypotheses=("abs(t) <= 2",), fixed=())
    stmt = _statement(spec)
    assert witness_problem(spec, stmt, {"t": 1.5}, 1, 1) is None
    assert witness_problem(spec, stmt, {"t": 1.0}, 1, 1) is not None
    assert witness_problem(spec, stmt, {"t": 3.0}, 1, 1) is not None  # hypothesis fails
    strict = Spec(claim="t < 1", hypotheses=("abs(t) <= 2",))
    assert witness_problem(strict, _statement(strict), {"t": 1.0}, 1, 1) is None


def test_witness_check_keeps_the_statements_parameters() -> None:
    spec = Spec(claim="t <= R", hypotheses=("abs(t) <= 2",), fixed=(("R", "1", Fraction(1)),))
    stmt = _statement(spec)
    # a witness that lowers R to make the claim fail is not a witness of this statement
    assert witness_problem(spec, stmt, {"t": 0.5, "R": 0.25}, 1, 1) is not None


@pytest.mark.parametrize("text", ["sqrt(-1 - t**2)", "log(-abs(t) - 1)", "1/(t - 1/3)"])
def test_evaluator_reports_undefined(text: str) -> None:
    e = parse_statement_text(f'id = "u"\nclaim = "{text} <= 1"\n').claim.lhs
    with pytest.raises(Undefined), ctx.workprec(ARB_PREC):
        evaluate(lower_entries(e, 1, 1)[0], {"t": Fraction(1, 3)}, ARB)
