"""Exact identities (catalogue G1-G7) and the prover for ``lhs == rhs``.

:func:`prove_identity` decides an identity between model expressions at one of
two levels:

* ``("explicit", n, d)``: both sides are lowered to entrywise SymPy at that size
  (:func:`lowering.lower_explicit`); every ``exp(z)`` becomes an independent
  symbol (sound: an identity of rational functions in independent symbols holds
  in particular at ``U = exp(z)``); the difference is expanded as a Laurent
  polynomial in the denominators, else put over a common denominator, and each
  entry must vanish identically.
* ``"symbolic"``: both sides become their generic ``IndexedBase``/``Sum`` entry
  (:func:`lowering.lower_indexed`), valid for every ``n, d``; the difference must
  reduce to zero under :mod:`normalise`.

A difference that does not vanish is *refuted* only when it is shown non-zero
at an exact rational point, evaluated with guaranteed digits (SymPy ``evalf``
with ``strict=True``); otherwise the result is *unknown*.  Derivative nodes are
taken by ``sympy.diff`` on the lowered definitions: nothing is typed in.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import sympy as sp

from . import model
from .deadline import run_with_deadline
from .lowering import LoweringError, index_symbols, lower_explicit, lower_indexed
from .model import A, Alpha, C, Col, Diag, Dot, F, Grad, Hess, Jac, Loss, Softmax, U, b, x
from .normalise import NormaliseError, normal_terms
from .statement import Relation, Statement

__all__ = [
    "Level",
    "ProofResult",
    "prove_identity",
    "prove_with_deadline",
    "prove_relation",
    "prove_statement",
    "level_text",
    "parse_level",
    "column_index",
    "IDENTITIES",
    "MUTANTS",
    "B_REGROUPED",
    "identity",
]

Level = Literal["symbolic"] | tuple[str, int, int]
Status = Literal["proved", "refuted", "unknown"]

#: Sizes tried, in order, to refute an identity that did not normalise to zero.
REFUTATION_SIZES: tuple[tuple[int, int], ...] = ((2, 1), (2, 2), (3, 2), (4, 3))

#: A residual whose guaranteed value exceeds this in magnitude is non-zero.
_NONZERO = sp.Float("1e-20")
_DIGITS = 30


@dataclass(frozen=True)
class ProofResult:
    """The outcome of :func:`prove_identity`.

    ``status`` is ``proved``, ``refuted`` (``residual`` names a non-zero entry of
    ``lhs - rhs``, ``witness`` the exact point and sizes) or ``unknown``.
    ``spot_check`` is numerical evidence only, never part of a proof.
    """

    status: Status
    level: Level
    seconds: float
    method: str
    residual: str | None = None
    witness: dict[str, object] = field(default_factory=dict)
    spot_check: str | None = None
    #: what the proof assumes: denominators not proved non-zero, arguments of
    #: ``log``/``sqrt`` not proved in their domain ("proved where defined")
    conditions: tuple[str, ...] = ()

    @property
    def proved(self) -> bool:
        return self.status == "proved"

    @property
    def where(self) -> str:
        """``for symbolic n, d`` or ``at n=6, d=3``."""
        return level_text(self.level)

    def summary(self) -> str:
        """One line stating plainly what was shown and at which level."""
        if self.status == "proved":
            text = f"proved {self.where}"
            if self.conditions:
                text += " where both sides are defined (" + ", ".join(self.conditions[:3])
                text += ", ...)" if len(self.conditions) > 3 else ")"
        elif self.status == "refuted":
            text = f"refuted at {self.witness.get('sizes', '?')}: {self.residual}"
            if self.level == "symbolic":
                text += " (so the identity fails for some n, d)"
        elif self.method == "deadline":
            return f"unknown (deadline) {self.where}: {self.residual}"
        else:
            text = f"unknown {self.where}: not proved"
            if self.residual:
                text += f"; residual {self.residual}"
        text += f" ({self.seconds:.2f} s, {self.method})"
        if self.spot_check:
            text += f"; numerical evidence only: {self.spot_check}"
        return text

    def __str__(self) -> str:
        return self.summary()


def level_text(level: Level) -> str:
    """Human wording of a proof level."""
    if level == "symbolic":
        return "for symbolic n, d"
    _, n_value, d_value = level
    return f"at n={n_value}, d={d_value}"


def parse_level(level: Level) -> Level:
    """Validate a level: ``"symbolic"`` or ``("explicit", n, d)`` with ``n, d >= 1``."""
    if level == "symbolic":
        return level
    if (
        isinstance(level, tuple)
        and len(level) == 3
        and level[0] == "explicit"
        and all(isinstance(v, int) and v >= 1 for v in level[1:])
    ):
        return level
    raise ValueError(
        f"level must be 'symbolic' or ('explicit', n, d) with n, d >= 1, not {level!r}"
    )


# --------------------------------------------------------------------------
# The prover
# --------------------------------------------------------------------------
def prove_identity(
    lhs: sp.Basic,
    rhs: sp.Basic,
    level: Level = "symbolic",
    ranges: Mapping[sp.Symbol, tuple[float, float]] | None = None,
    refute_only: bool = False,
) -> ProofResult:
    """Decide ``lhs == rhs`` (entrywise for vectors/matrices) at ``level``.

    ``level`` is ``"symbolic"`` (every n, d) or ``("explicit", n, d)``.  ``ranges``
    bounds the values a refutation may give to some symbols (ranged parameters).
    ``refute_only`` (explicit level): only look for an exact refuting point, entry by
    entry, without trying to prove any entry (fast on a false identity; never
    ``proved``).
    """
    level = parse_level(level)
    start = time.perf_counter()
    if model.is_matrix(lhs) != model.is_matrix(rhs) or (
        model.is_matrix(lhs) and lhs.shape != rhs.shape
    ):
        raise ValueError("the two sides of an identity must have the same shape")
    ranges = dict(ranges or {})
    try:
        lhs, rhs = model.unfold_all(lhs), model.unfold_all(rhs)
        if level == "symbolic":
            outcome = _symbolic(lhs, rhs, ranges)
        else:
            outcome = _explicit(lhs, rhs, level[1], level[2], prove=not refute_only, ranges=ranges)
    except (LoweringError, NormaliseError, NotImplementedError) as exc:
        outcome = dict(status="unknown", method="lowering failed", residual=str(exc))
    except (TypeError, ValueError, ZeroDivisionError, RecursionError) as exc:
        # SymPy's own simplifications can rebuild a model node with arguments it
        # refuses (e.g. signsimp inside Abs(norm_inf(c(x)) - 1)): the prover cannot
        # decide such a claim, so it says unknown and never proved or refuted.
        outcome = dict(
            status="unknown", method="outside the prover", residual=f"{type(exc).__name__}: {exc}"
        )
    return ProofResult(level=level, seconds=time.perf_counter() - start, **outcome)


def prove_with_deadline(
    lhs: sp.Basic,
    rhs: sp.Basic,
    level: Level,
    seconds: float,
    ranges: Mapping[sp.Symbol, tuple[float, float]] | None = None,
    refute_only: bool = False,
) -> ProofResult:
    """:func:`prove_identity` in a worker killed after ``seconds``: on timeout the
    result is ``unknown`` (method ``deadline``)."""
    level = parse_level(level)
    out = run_with_deadline(prove_identity, lhs, rhs, level, ranges, refute_only, seconds=seconds)
    if out.done:
        return out.value
    if out.status == "error" and isinstance(out.error, BaseException):
        raise out.error
    what = "deadline" if out.status == "deadline" else f"worker failed: {out.error}"
    stopped = f"stopped after {seconds:.1f} s" if seconds > 0 else "no time left"
    return ProofResult("unknown", level, out.seconds, what, residual=stopped)


def prove_relation(rel: Relation, level: Level = "symbolic") -> ProofResult:
    """:func:`prove_identity` for a :class:`Relation` with ``op == '=='``."""
    if rel.op != "==":
        raise ValueError(f"only identities ('==') are proved symbolically, not '{rel.op}'")
    return prove_identity(rel.lhs, rel.rhs, level)


def prove_statement(stmt: Statement, level: Level = "symbolic") -> ProofResult:
    """Prove the claim of an identity statement (no hypotheses allowed)."""
    if stmt.hypotheses:
        raise ValueError(f"{stmt.id}: identities with hypotheses are not proved symbolically")
    return prove_relation(stmt.claim, level)


# ---------------------------------------------------------------- domains
def _real(e: sp.Expr) -> bool:
    """``e`` is proved real (SymPy's assumptions, or real parts and sums of them)."""
    if e.is_real:
        return True
    if isinstance(e, (sp.Add, sp.Mul)):
        return all(_real(a) for a in e.args)
    if isinstance(e, sp.Sum):
        return _real(e.function)
    if isinstance(e, sp.exp):
        return _real(e.args[0])
    if isinstance(e, sp.Pow):
        return _real(e.base) and e.exp.is_integer is True
    return False


def _positive(e: sp.Expr) -> bool:
    """``e > 0`` is proved: SymPy's assumptions, ``exp`` of a real, sums and
    products of positives, a non-empty ``Sum`` of positives."""
    if e.is_positive:
        return True
    if isinstance(e, sp.exp):
        return _real(e.args[0])
    if isinstance(e, (sp.Add, sp.Mul)):
        return all(_positive(a) for a in e.args)
    if isinstance(e, sp.Pow):
        return _positive(e.base) and _real(e.exp)
    if isinstance(e, sp.Sum):
        return _positive(e.function) and all(
            (hi - lo + 1).is_positive is True for _, lo, hi in e.limits
        )
    return False


def _conditions(e: sp.Expr) -> list[str]:
    """Where ``e`` may be undefined: denominators not proved non-zero, ``log`` and
    fractional-power arguments not proved in their domain."""
    out: list[str] = []
    for p in e.atoms(sp.Pow):
        base, ex = p.base, p.exp
        if ex.is_negative and not (_positive(base) or _positive(-base)):
            out.append(f"{base} != 0")
        if not ex.is_integer and not (_positive(base) or base.is_nonnegative):
            out.append(f"{base} >= 0")
    for lg in e.atoms(sp.log):
        if not _positive(lg.args[0]):
            out.append(f"{lg.args[0]} > 0")
    return sorted(set(out))


# ---------------------------------------------------------------- symbolic
def _index_ranges(e: sp.Basic) -> dict[sp.Symbol, sp.Expr]:
    """Lengths of the free entry indices of :func:`lower_indexed` for ``e``."""
    if not model.is_matrix(e):
        return {}
    row, col = index_symbols
    return {row: e.shape[0]} if e.shape[1] == 1 else {row: e.shape[0], col: e.shape[1]}


def _zero_based_columns(lhs, rhs) -> tuple[sp.Basic, sp.Basic, dict[sp.Symbol, sp.Expr]]:
    """Write each symbolic column index ``i`` of ``Col(M, i)`` (1-based) as
    ``i0 + 1`` with ``i0`` ranging over ``0..cols(M)-1``, so the normaliser knows
    the range of the lowered index ``i0``."""
    reps, ranges = {}, {}
    for node in sp.preorder_traversal(sp.Tuple(lhs, rhs)):
        if isinstance(node, Col) and isinstance(node.args[1], sp.Symbol):
            i = node.args[1]
            if i not in reps:
                i0 = sp.Symbol(f"_{i.name}0", integer=True)
                reps[i] = i0 + 1
                ranges[i0] = node.args[0].shape[1]
    return lhs.xreplace(reps), rhs.xreplace(reps), ranges


_HYPERBOLIC_EXP = {
    sp.cosh: lambda z: (sp.exp(z) + sp.exp(-z)) / 2,
    sp.sinh: lambda z: (sp.exp(z) - sp.exp(-z)) / 2,
    sp.tanh: lambda z: (sp.exp(z) - sp.exp(-z)) / (sp.exp(z) + sp.exp(-z)),
}


def exp_form(e: sp.Expr) -> sp.Expr:
    """``e`` with ``cosh``, ``sinh``, ``tanh`` written through ``exp`` (identities of
    every real argument; ``tanh``'s denominator ``exp(z) + exp(-z)`` is positive), so
    the normaliser and the explicit prover decide identities between them."""
    if not isinstance(e, sp.Basic) or not e.has(sp.cosh, sp.sinh, sp.tanh):
        return e
    return e.replace(
        lambda a: type(a) in _HYPERBOLIC_EXP, lambda a: _HYPERBOLIC_EXP[type(a)](a.args[0])
    )


def _symbolic(lhs, rhs, ranges: Mapping | None = None) -> dict:
    lhs0, rhs0, col_ranges = _zero_based_columns(lhs, rhs)
    left, right = exp_form(lower_indexed(lhs0)), exp_form(lower_indexed(rhs0))
    residual = left - right
    terms = normal_terms(residual, _index_ranges(lhs) | col_ranges)
    if not terms:
        conds = tuple(_conditions(left) + _conditions(right))
        return dict(
            status="proved",
            method="IndexedBase/Sum lowering, normal form",
            conditions=tuple(sorted(set(conds))),
        )
    for n_value, d_value in REFUTATION_SIZES:
        out = _explicit(lhs, rhs, n_value, d_value, prove=False, ranges=ranges)
        if out["status"] == "refuted":
            out["method"] = "symbolic normal form non-zero; " + out["method"]
            return out
    shown = sp.Add(*[t.to_expr() for t in terms[:2]])
    return dict(
        status="unknown",
        method="IndexedBase/Sum lowering, normal form",
        residual=f"{len(terms)} term(s) left, e.g. {shown}",
        spot_check=_spot(lhs, rhs, 3, 2),
    )


# ---------------------------------------------------------------- explicit
def column_index(e: sp.Basic) -> set[sp.Symbol]:
    """Symbols used as column indices ``i`` in ``Col(M, i)`` inside ``e``."""
    return {
        node.args[1]
        for node in sp.preorder_traversal(e)
        if isinstance(node, Col) and isinstance(node.args[1], sp.Symbol)
    }


def _index_assignments(lhs, rhs, n_value: int, d_value: int) -> list[dict]:
    """Every value (1-based) of the free column indices ``i`` of ``Col(M, i)``."""
    ranges: dict[sp.Symbol, int] = {}
    for e in (lhs, rhs):
        for node in sp.preorder_traversal(e):
            if isinstance(node, Col) and isinstance(node.args[1], sp.Symbol):
                cols = model.at_size(node.args[0].shape[1], n_value, d_value)
                ranges[node.args[1]] = int(cols)
    assignments: list[dict] = [{}]
    for sym, top in ranges.items():
        assignments = [{**a, sym: sp.Integer(v)} for a in assignments for v in range(1, top + 1)]
    return assignments


def _entries(m) -> tuple[list[sp.Expr], int]:
    if isinstance(m, sp.MatrixBase):
        return list(m), m.cols
    return [m], 1


def _explicit(
    lhs, rhs, n_value: int, d_value: int, prove: bool = True, ranges: Mapping | None = None
) -> dict:
    sizes = f"n={n_value}, d={d_value}"
    conditions: set[str] = set()
    for idx in _index_assignments(lhs, rhs, n_value, d_value):
        left = lower_explicit(lhs.xreplace(idx), n_value, d_value)
        right = lower_explicit(rhs.xreplace(idx), n_value, d_value)
        lents, cols = _entries(left)
        rents, _ = _entries(right)
        lents, rents = [exp_form(v) for v in lents], [exp_form(v) for v in rents]
        matrix = isinstance(left, sp.MatrixBase)
        for pos, (le, re_) in enumerate(zip(lents, rents, strict=True)):
            if prove:
                ok, conds = _vanishes(le - re_)
                if ok:
                    conditions.update(_conditions(le) + _conditions(re_) + conds)
                    continue
            found = _refute(le, re_, ranges or {})
            if found is not None:
                value, point = found
                where = f"entry ({pos // cols + 1}, {pos % cols + 1})" if matrix else ""
                fixed = ", ".join(f"{k}={v}" for k, v in idx.items())
                return dict(
                    status="refuted",
                    method="explicit lowering, exact point evaluated to "
                    f"{_DIGITS} guaranteed digits",
                    residual=f"lhs - rhs {where} = {sp.Float(value, 6)} "
                    f"at an exact rational point{' with ' + fixed if fixed else ''}",
                    witness={
                        "sizes": sizes,
                        "n": n_value,
                        "d": d_value,
                        "point": point,
                        "index": {str(k): int(v) for k, v in idx.items()},
                    },
                )
            if prove:
                return dict(
                    status="unknown",
                    method="explicit lowering",
                    residual=f"entry {pos} did not cancel and was not shown non-zero",
                )
    if not prove:
        return dict(status="unknown", method="explicit evaluation found no non-zero entry")
    return dict(
        status="proved",
        method="explicit lowering, exp(z) -> U, rational cancellation",
        conditions=tuple(sorted(conditions)),
    )


def _exp_symbols(e: sp.Expr, table: dict) -> sp.Expr:
    """Replace each ``exp(z)`` by a product of independent symbols (``exp`` of
    the index-free and entry-bearing parts of ``z`` separately).  A symbol is
    positive only when its ``z`` part is proved real (``exp`` of a real is > 0)."""

    def symbol_for(part: sp.Expr) -> sp.Expr:
        part = sp.expand(part)
        if part == 0:
            return sp.S.One
        content, prim = part.as_content_primitive()
        if prim.could_extract_minus_sign():
            content, prim = -content, -prim
        if prim not in table:
            name = f"_U{len(table)}"
            table[prim] = sp.Symbol(name, positive=True) if _real(prim) else sp.Symbol(name)
        return table[prim] ** content

    def convert(arg: sp.Expr) -> sp.Expr:
        if not content_is_rational(arg):
            return sp.exp(arg)
        terms = sp.Add.make_args(sp.expand(arg))
        entries = [t for t in terms if any("_{" in s.name for s in t.free_symbols)]
        others = [t for t in terms if t not in entries]
        out = symbol_for(sp.Add(*entries))
        for t in others:
            out *= symbol_for(t)
        return out

    exps = sorted(e.atoms(sp.exp), key=sp.default_sort_key)
    return e.xreplace({ex: convert(ex.args[0]) for ex in exps}) if exps else e


def content_is_rational(arg: sp.Expr) -> bool:
    """Every term of ``arg`` has a rational coefficient (so ``exp`` splits into
    integer or rational powers of independent symbols)."""
    terms = sp.Add.make_args(sp.expand(arg))
    return all(t.as_content_primitive()[0].is_Rational for t in terms)


def _vanishes(entry: sp.Expr, table: dict | None = None) -> tuple[bool, list[str]]:
    """Exact proof that a lowered entry is identically zero (see module doc), and
    the denominators the proof divides by that are not proved non-zero."""
    table = {} if table is None else table
    expr = _exp_symbols(entry, table)
    # Laurent expansion in the denominators, then a common denominator.  A
    # denominator's symbol is positive only when the denominator is proved > 0.
    dens = sorted(
        {p.base for p in expr.atoms(sp.Pow) if p.exp.is_negative and isinstance(p.base, sp.Add)},
        key=sp.default_sort_key,
    )
    names = {
        den: sp.Symbol(f"_D{m}", positive=True) if _positive(den) else sp.Symbol(f"_D{m}")
        for m, den in enumerate(dens)
    }
    if sp.expand(expr.xreplace(names)) == 0:
        return True, []
    num, den = sp.fraction(sp.together(expr))
    if sp.expand(num) != 0:
        return False, []
    inverse = {v: k for k, v in table.items()}
    back = {s: sp.exp(z) for z, s in inverse.items()}
    factors = sp.Mul.make_args(sp.factor_terms(den))
    conds = [
        f"{f.xreplace(back)} != 0"
        for f in factors
        if not (_positive(f) or _positive(-f) or f.is_number and f != 0)
    ]
    return True, conds


def _point(
    syms, seed: int = 0, scale: int = 1, ranges: Mapping | None = None
) -> dict[sp.Symbol, sp.Rational]:
    """An exact point whose coordinates are doubles (multiples of ``scale / 8``);
    symbols with a range take a double inside it, positive symbols positive values."""
    rng = random.Random(seed)
    ranges = ranges or {}
    out = {}
    for s in sorted(syms, key=lambda s: s.name):
        if s in ranges:
            lo, hi = (float(v) for v in ranges[s])
            v = min(max(lo + (hi - lo) * rng.randint(0, 8) / 8, lo), hi)
            out[s] = sp.Rational(v)
            continue
        v = sp.Rational(rng.randint(-12, 12) * scale, 8)
        if s.is_positive or s.is_nonnegative:
            v = abs(v) or sp.Rational(scale, 8)
        out[s] = v
    return out


def _real_value(e: sp.Expr, point: Mapping, digits: int = 15):
    """The value of ``e`` at ``point`` if it and every part of it is a finite real
    number (``sqrt(t) * sqrt(t - 1/2)`` at ``t = -4`` is real only through complex
    parts: no value), else None."""
    try:
        v = sp.N(e.xreplace(point), digits)
    except (ValueError, TypeError, ArithmeticError):
        return None
    if not (v.is_Number and v.is_real and v.is_finite):
        return None
    return v if _parts_real(e, point, digits) else None


def _parts_real(e: sp.Expr, point: Mapping, digits: int) -> bool:
    """Every root and power with a non-integer exponent has a non-negative base (a
    positive one for a negative exponent) and every log a positive argument at
    ``point``: the expression is defined there as a real function."""
    for node in sp.preorder_traversal(e):
        if isinstance(node, sp.Pow) and not node.exp.is_integer:
            arg, need_positive = node.base, bool(node.exp.is_negative)
        elif isinstance(node, sp.log):
            arg, need_positive = node.args[0], True
        else:
            continue
        try:
            a = sp.N(arg.xreplace(point), digits)
        except (ValueError, TypeError, ArithmeticError):
            return False
        if not (a.is_Number and a.is_real) or a < 0 or (need_positive and a == 0):
            return False
    return True


_SCALES = ((0, 1), (1, 4), (2, 16))


def _refute(le: sp.Expr, re_: sp.Expr, ranges: Mapping):
    """An exact point (doubles) where both sides are finite reals and differ by more
    than ``_NONZERO`` with ``_DIGITS`` guaranteed digits: ``(value, point)`` or None."""
    syms = (le.free_symbols | re_.free_symbols) - set()
    for seed, scale in _SCALES:
        point = _point(syms, seed, scale, ranges)
        if _real_value(le, point) is None or _real_value(re_, point) is None:
            continue
        try:
            value = sp.N((le - re_).xreplace(point), _DIGITS, strict=True)
        except (sp.core.evalf.PrecisionExhausted, ValueError, TypeError, ArithmeticError):
            continue
        if value.is_Number and value.is_real and abs(value) > _NONZERO:
            return value, {str(k): str(v) for k, v in point.items()}
    return None


def _spot(lhs, rhs, n_value: int, d_value: int) -> str | None:
    """Float evidence (mpmath, 30 digits) at one size; never a proof."""
    try:
        worst = sp.S.Zero
        for idx in _index_assignments(lhs, rhs, n_value, d_value):
            diff = lower_explicit(lhs.xreplace(idx), n_value, d_value) - lower_explicit(
                rhs.xreplace(idx), n_value, d_value
            )
            for entry in diff if isinstance(diff, sp.MatrixBase) else [diff]:
                val = sp.N(entry.xreplace(_point(entry.free_symbols, seed=1)), _DIGITS)
                worst = max(worst, abs(val))
        return f"max |lhs - rhs| = {sp.Float(worst, 3)} at n={n_value}, d={d_value}, one point"
    except (LoweringError, ValueError, TypeError, ArithmeticError):
        return None


# --------------------------------------------------------------------------
# The catalogue's identities, derivative side first (derived by diff)
# --------------------------------------------------------------------------
#: The column index of G1-G4 (1-based, ranging over 1..d).
i = sp.Symbol("i", integer=True, positive=True)

_u, _alpha, _f, _c, _L = U(A, x), Alpha(A, x), F(A, x), C(A, x, b), Loss(A, x, b)
_J = Diag(_f) - model.outer(_f, _f)
_cf = model.hadamard(_c, _f)

#: G6': ``B`` regrouped in ``b``.
B_REGROUPED = (
    Diag(model.hadamard(2 * _f - b, _f))
    - Dot(_f - b, _f) * Diag(_f)
    + Dot(3 * _f - 2 * b, _f) * model.outer(_f, _f)
    + model.outer(model.hadamard(b, _f), _f)
    + model.outer(_f, model.hadamard(b, _f))
    - 2 * (model.outer(model.hadamard(_f, _f), _f) + model.outer(_f, model.hadamard(_f, _f)))
)

#: The catalogue's exact identities: id -> (title, relation).
IDENTITIES: dict[str, tuple[str, Relation]] = {
    "G1": (
        "derivative of u",
        Relation(Col(Jac(_u, x), i), "==", model.hadamard(_u, Col(A, i))),
    ),
    "G2": ("derivative of alpha", Relation(Grad(_alpha, x), "==", A.T * _u)),
    "G3": (
        "derivative of 1/alpha",
        Relation(Grad(1 / _alpha, x), "==", -(1 / _alpha) * A.T * _f),
    ),
    "G4": (
        "derivative of f",
        Relation(
            Col(Jac(_f, x), i),
            "==",
            model.hadamard(_f, Col(A, i)) - Dot(_f, Col(A, i)) * _f,
        ),
    ),
    "G5": ("gradient of L", Relation(Grad(_L, x), "==", A.T * _J * _c)),
    "G6": (
        "Hessian of L",
        Relation(Hess(_L, x), "==", A.T * model.BMat(A, x, b) * A),
    ),
    "G6'": ("B regrouped in b", Relation(Hess(_L, x), "==", A.T * B_REGROUPED * A)),
    "G7a": (
        "f is invariant under Ax -> Ax + t 1_n",
        Relation(Softmax(A * x + model.t * model.ones(model.n)), "==", _f),
    ),
    "G7b": ("f sums to one", Relation(Dot(_f, model.ones(model.n)), "==", sp.S.One)),
    "G7c": (
        "(diag(f) - f f^T) 1_n = 0",
        Relation(_J * model.ones(model.n), "==", sp.ZeroMatrix(model.n, 1)),
    ),
}

#: Seeded wrong variants: each must be refuted.
MUTANTS: dict[str, tuple[str, Relation]] = {
    "G3-no-minus": (
        "G3 without its minus sign",
        Relation(Grad(1 / _alpha, x), "==", (1 / _alpha) * A.T * _f),
    ),
    "G5-sign": (
        "G5 with the sign of the second term flipped",
        Relation(Grad(_L, x), "==", A.T * (model.hadamard(_f, _c) + Dot(_c, _f) * _f)),
    ),
    "G6-factor-1": (
        "G6 with 1 instead of 2 in 2<c,f> f f^T",
        Relation(
            Hess(_L, x),
            "==",
            A.T
            * (
                _J * _J
                + Diag(_cf)
                - Dot(_c, _f) * Diag(_f)
                - model.outer(_cf, _f)
                - model.outer(_f, _cf)
                + Dot(_c, _f) * model.outer(_f, _f)
            )
            * A,
        ),
    ),
}


def identity(key: str) -> Relation:
    """The relation of a catalogue identity or mutant by id (``G5``, ``G5-sign``)."""
    table = {**IDENTITIES, **MUTANTS}
    if key not in table:
        raise KeyError(f"unknown identity {key!r}; known: {', '.join(table)}")
    return table[key][1]
