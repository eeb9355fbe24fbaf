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
from dataclasses import dataclass, field
from typing import Literal

import sympy as sp

from . import model
from .lowering import LoweringError, index_symbols, lower_explicit, lower_indexed
from .model import A, Alpha, C, Col, Diag, Dot, F, Grad, Hess, Jac, Loss, Softmax, U, b, x
from .normalise import NormaliseError, normal_terms
from .statement import Relation, Statement

__all__ = [
    "Level",
    "ProofResult",
    "prove_identity",
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
        elif self.status == "refuted":
            text = f"refuted at {self.witness.get('sizes', '?')}: {self.residual}"
            if self.level == "symbolic":
                text += " (so the identity fails for some n, d)"
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
def prove_identity(lhs: sp.Basic, rhs: sp.Basic, level: Level = "symbolic") -> ProofResult:
    """Decide ``lhs == rhs`` (entrywise for vectors/matrices) at ``level``.

    ``level`` is ``"symbolic"`` (every n, d) or ``("explicit", n, d)``.
    """
    level = parse_level(level)
    start = time.perf_counter()
    if model.is_matrix(lhs) != model.is_matrix(rhs) or (
        model.is_matrix(lhs) and lhs.shape != rhs.shape
    ):
        raise ValueError("the two sides of an identity must have the same shape")
    lhs, rhs = model.unfold_all(lhs), model.unfold_all(rhs)
    try:
        if level == "symbolic":
            outcome = _symbolic(lhs, rhs)
        else:
            outcome = _explicit(lhs, rhs, level[1], level[2])
    except (LoweringError, NormaliseError, NotImplementedError) as exc:
        outcome = dict(status="unknown", method="lowering failed", residual=str(exc))
    return ProofResult(level=level, seconds=time.perf_counter() - start, **outcome)


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


def _symbolic(lhs, rhs) -> dict:
    lhs0, rhs0, col_ranges = _zero_based_columns(lhs, rhs)
    residual = lower_indexed(lhs0) - lower_indexed(rhs0)
    terms = normal_terms(residual, _index_ranges(lhs) | col_ranges)
    if not terms:
        return dict(status="proved", method="IndexedBase/Sum lowering, normal form")
    for n_value, d_value in REFUTATION_SIZES:
        out = _explicit(lhs, rhs, n_value, d_value, prove=False)
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


def _explicit(lhs, rhs, n_value: int, d_value: int, prove: bool = True) -> dict:
    sizes = f"n={n_value}, d={d_value}"
    for idx in _index_assignments(lhs, rhs, n_value, d_value):
        left, right = lhs.xreplace(idx), rhs.xreplace(idx)
        diff = lower_explicit(left, n_value, d_value) - lower_explicit(right, n_value, d_value)
        entries = list(diff) if isinstance(diff, sp.MatrixBase) else [diff]
        cols = diff.cols if isinstance(diff, sp.MatrixBase) else 1
        for pos, entry in enumerate(entries):
            if prove and _vanishes(entry):
                continue
            value, point = _evaluate(entry)
            if value is not None and abs(value) > _NONZERO:
                where = (
                    f"entry ({pos // cols + 1}, {pos % cols + 1})"
                    if isinstance(diff, sp.MatrixBase)
                    else ""
                )
                fixed = ", ".join(f"{k}={v}" for k, v in idx.items())
                return dict(
                    status="refuted",
                    method="explicit lowering, exact point evaluated to "
                    f"{_DIGITS} guaranteed digits",
                    residual=f"lhs - rhs {where} = {sp.Float(value, 6)} "
                    f"at an exact rational point{' with ' + fixed if fixed else ''}",
                    witness={"sizes": sizes, "point": point, "index": dict(idx)},
                )
            if prove:
                return dict(
                    status="unknown",
                    method="explicit lowering",
                    residual=f"entry {pos} did not cancel and was not shown non-zero",
                )
    if not prove:
        return dict(status="unknown", method="explicit evaluation found no non-zero entry")
    return dict(status="proved", method="explicit lowering, exp(z) -> U, rational cancellation")


def _exp_symbols(e: sp.Expr, table: dict) -> sp.Expr:
    """Replace each ``exp(z)`` by a product of independent symbols (``exp`` of
    the index-free and entry-bearing parts of ``z`` separately)."""

    def symbol_for(part: sp.Expr) -> sp.Expr:
        part = sp.expand(part)
        if part == 0:
            return sp.S.One
        content, prim = part.as_content_primitive()
        if prim.could_extract_minus_sign():
            content, prim = -content, -prim
        if prim not in table:
            table[prim] = sp.Symbol(f"_U{len(table)}", positive=True)
        return table[prim] ** content

    def convert(arg: sp.Expr) -> sp.Expr:
        terms = sp.Add.make_args(sp.expand(arg))
        entries = [t for t in terms if any("_{" in s.name for s in t.free_symbols)]
        others = [t for t in terms if t not in entries]
        out = symbol_for(sp.Add(*entries))
        for t in others:
            out *= symbol_for(t)
        return out

    exps = sorted(e.atoms(sp.exp), key=sp.default_sort_key)
    return e.xreplace({ex: convert(ex.args[0]) for ex in exps}) if exps else e


def _vanishes(entry: sp.Expr, table: dict | None = None) -> bool:
    """Exact proof that a lowered entry is identically zero (see module doc)."""
    table = {} if table is None else table
    expr = _exp_symbols(entry, table)
    # Laurent expansion in the denominators, then a common denominator.
    dens = {p.base for p in expr.atoms(sp.Pow) if p.exp.is_negative and isinstance(p.base, sp.Add)}
    names = {den: sp.Symbol(f"_D{m}", positive=True) for m, den in enumerate(dens)}
    if sp.expand(expr.xreplace(names)) == 0:
        return True
    num, _ = sp.fraction(sp.together(expr))
    return sp.expand(num) == 0


def _point(entry: sp.Expr, seed: int = 0) -> dict:
    rng = random.Random(seed)
    syms = sorted(entry.free_symbols, key=lambda s: s.name)
    return {s: sp.Rational(rng.randint(-9, 9), rng.randint(4, 9)) for s in syms}


def _evaluate(entry: sp.Expr):
    """Value of ``entry`` at an exact rational point, with guaranteed digits."""
    point = _point(entry)
    try:
        value = sp.N(entry.xreplace(point), _DIGITS, strict=True)
    except (sp.core.evalf.PrecisionExhausted, ValueError, TypeError):
        return None, point
    if not value.is_Number:
        return None, point
    return value, {str(k): str(v) for k, v in point.items()}


def _spot(lhs, rhs, n_value: int, d_value: int) -> str | None:
    """Float evidence (mpmath, 30 digits) at one size; never a proof."""
    try:
        worst = sp.S.Zero
        for idx in _index_assignments(lhs, rhs, n_value, d_value):
            diff = lower_explicit(lhs.xreplace(idx), n_value, d_value) - lower_explicit(
                rhs.xreplace(idx), n_value, d_value
            )
            for entry in diff if isinstance(diff, sp.MatrixBase) else [diff]:
                val = sp.N(entry.xreplace(_point(entry, seed=1)), _DIGITS)
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
