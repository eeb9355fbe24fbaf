"""Rigorous confirmation of a counterexample (witness) to a statement.

A witness is confirmed only if, on the exact instance (fixed and derived
parameters at the statement's exact values, every ranged parameter inside its
range, the ends read as decimals),

1. every hypothesis holds for the whole Arb enclosure,
2. the claim fails for the whole enclosure (the margin ``rhs - lhs`` is
   entirely on the wrong side; for ``==`` some entry of ``lhs - rhs``
   excludes 0), and
3. an independent mpmath evaluation at ``dps`` digits (raised to the digits
   of the Arb precision reached, if that is more) agrees: hypothesis margins
   and the claim margin have the same signs.

Undecided enclosures are retried at doubled precision (``prec``, ``2 prec``,
``4 prec``).  A float64 screen artefact (for example ``y`` a few ulps from
``x``) is rejected here: the enclosure shows the claim holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from flint import arb, arb_mat, ctx

from softproof.derivations.statement import Relation, Statement

from .balls import ArbEvaluator, _ArbRun, decide, to_arb_instance
from .exprplan import execute
from .instance import validate_instance
from .mp import MpEvaluator

__all__ = ["Confirmation", "confirm", "complete_instance"]


@dataclass
class Confirmation:
    """Outcome of :func:`confirm`; margins and ratio are printed balls/numbers."""

    confirmed: bool
    hypotheses: list[bool | None] = field(default_factory=list)
    claim: bool | None = None
    claim_margin: str = ""
    mp_margin: str = ""
    ratio: str = ""
    prec: int = 0
    dps: int = 0
    reason: str = ""
    op: str = ""
    #: a ranged parameter of the instance lies outside its range (not a witness)
    outside_range: bool = False

    @property
    def undecided(self) -> bool:
        """True when no verdict was reached at the highest precision tried: no
        hypothesis fails rigorously, but a hypothesis or an inequality claim
        stayed undecided.  (For an identity, finding no entry that differs
        rigorously is a rejection of the witness, not undecided.)"""
        if self.confirmed or self.outside_range:
            return False
        if False in self.hypotheses or self.claim is True:
            return False
        if None in self.hypotheses:
            return True
        return self.claim is None and self.op != "=="


def complete_instance(
    statement: Statement,
    instance: Mapping[str, Any],
    parameters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``instance`` with the statement's parameters: fixed ones as exact numbers (a
    decimal ``0.1`` means 1/10), derived ones (``beta = exp(-R**2)``) as SymPy
    expressions that each backend evaluates itself, and ``parameters`` (values the
    caller certifies instead, e.g. ``certify(parameters=...)``) as given.

    The instance may repeat a fixed or derived parameter only with its exact value
    (``R = 4.0`` for ``R = 4``); any other value (``beta = 0.018315638888734179``
    for ``exp(-4)``) is a ``ValueError``: a rounded constant never stands in for the
    statement's own.
    """
    given = dict(parameters or {})
    out = {k: v for k, v in instance.items() if k not in given}
    exact = _exact_parameters(statement, set(given) | set(statement.ranged_parameters))
    for name in set(out) & set(exact):
        if not _same_number(out[name], exact[name]):
            raise ValueError(
                f"the instance gives {name} = {out[name]}, but {statement.id} fixes "
                f"{name} = {exact[name]}"
            )
        del out[name]
    out.update(given)
    for name, value in statement.parameters.items():
        if name in out or isinstance(value, tuple | list):
            continue
        if isinstance(value, float):
            out[name] = sp.Rational(repr(value))
        elif isinstance(value, int) or getattr(value, "is_Number", False):
            out[name] = sp.sympify(value)
    for name, expr in statement.derived_in_order(set(out)):
        out[name] = expr
    missing = [k for k in statement.ranged_parameters if k not in out]
    if missing:
        raise ValueError(f"the instance gives no value for the parameter(s) {', '.join(missing)}")
    return out


def _exact_parameters(statement: Statement, free: set[str]) -> dict[str, sp.Basic]:
    """The exact value of every fixed or derived parameter not in ``free`` (which may
    still contain the symbols of ``free`` and the sizes)."""
    out: dict[str, sp.Basic] = {}
    syms = statement.parameter_symbols
    for name, value in statement.parameters.items():
        if name in free or isinstance(value, tuple | list):
            continue
        if isinstance(value, float):
            out[name] = sp.Rational(repr(value))
        elif isinstance(value, int) or getattr(value, "is_Number", False):
            out[name] = sp.sympify(value)
    subs = {syms[k]: v for k, v in out.items()}
    for name, expr in statement.derived_in_order(set(out) | free):
        out[name] = expr.xreplace(subs)
        subs[syms[name]] = out[name]
    return out


def _same_number(value: Any, exact: sp.Basic) -> bool:
    """``value`` (a number from an instance) is exactly ``exact``: a float by its exact
    binary value or its shortest decimal (the reading of a parameter file)."""
    if isinstance(value, sp.Basic):
        return value == exact or bool(sp.simplify(value - exact) == 0)
    if not exact.is_Rational:
        return False
    if isinstance(value, bool):
        return False
    if isinstance(value, int | np.integer):
        return sp.Integer(int(value)) == exact
    if isinstance(value, float | np.floating):
        v = float(value)
        return bool(np.isfinite(v)) and exact in (sp.Rational(v), sp.Rational(repr(v)))
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator) == exact
    return False


def _range_end(v: Any) -> Fraction:
    """An end of a parameter range: a float by its decimal (``0.1`` is 1/10)."""
    if isinstance(v, float):
        return Fraction(repr(v))
    if isinstance(v, sp.Rational):
        return Fraction(int(v.p), int(v.q))
    return Fraction(v)


def _exact_bounds(v: Any) -> tuple[Fraction, Fraction] | None:
    """Exact lower and upper ends of an instance number (a float by its exact binary
    value, an ``arb`` by its ball), or ``None`` if not a finite number."""
    if isinstance(v, arb):
        if not v.is_finite():
            return None
        ends = []
        for e in (v.lower(), v.upper()):
            man, exp = e.mid().man_exp()
            ends.append(Fraction(int(man)) * Fraction(2) ** int(exp))
        return ends[0], ends[1]
    if isinstance(v, bool):
        return None
    if isinstance(v, float | np.floating):
        return (Fraction(float(v)),) * 2 if np.isfinite(v) else None
    if isinstance(v, int | np.integer | Fraction):
        return (Fraction(v),) * 2
    if isinstance(v, sp.Rational):
        return (Fraction(int(v.p), int(v.q)),) * 2
    return None


def _outside_range(
    statement: Statement, inst: Mapping[str, Any], given: Mapping[str, Any]
) -> str | None:
    """Why a ranged parameter of ``inst`` is not in its stated range (``None`` if all
    are): the claim is only for parameters in their ranges."""
    for name, (lo, hi) in statement.ranged_parameters.items():
        if name in given:
            continue
        lo_q, hi_q = _range_end(lo), _range_end(hi)
        b = _exact_bounds(inst[name])
        if b is None or not (lo_q <= b[0] and b[1] <= hi_q):
            return f"the parameter {name} = {inst[name]} is not in its range [{lo}, {hi}]"
    return None


def _check_numeric(instance: Mapping[str, Any]) -> None:
    """Reject nan/inf and inconsistent shapes in plain float instances."""
    plain = {k: v for k, v in instance.items() if not isinstance(v, arb | arb_mat | str | sp.Basic)}
    validate_instance(plain)


class _ArbSide:
    """Both sides of a relation compiled for balls."""

    def __init__(self, rel: Relation) -> None:
        self.rel = rel
        self.lhs, self.rhs = ArbEvaluator(rel.lhs), ArbEvaluator(rel.rhs)

    def margin(self, inst: Mapping[str, Any]) -> tuple[Any, Any, Any]:
        lhs = execute(self.lhs.plan, _ArbRun(inst))
        rhs = execute(self.rhs.plan, _ArbRun(inst))
        return lhs, rhs, rhs - lhs


def _mp_margin(rel: Relation, instance: Mapping[str, Any], dps: int) -> Any:
    """``rhs - lhs`` in mpmath (a matrix of differences for ``==``)."""
    with mpmath.mp.workdps(dps):
        lhs = MpEvaluator(rel.lhs)(instance, dps)
        rhs = MpEvaluator(rel.rhs)(instance, dps)
        return rhs - lhs


def _mp_ok(op: str, m: Any) -> bool:
    return bool(m > 0) if op == "<" else bool(m >= 0)


def _fmt(a: arb) -> str:
    return a.str(15, radius=True)


def confirm(
    statement: Statement,
    instance: Mapping[str, Any],
    prec: int = 128,
    dps: int = 50,
    retries: int = 2,
    parameters: Mapping[str, Any] | None = None,
) -> Confirmation:
    """Confirm rigorously that ``instance`` is a counterexample to ``statement``.

    See the module docstring for the three conditions.  Raises ``ValueError``
    for a malformed instance (nan, inf, inconsistent shapes) and for an instance
    that gives a fixed or derived parameter another value than the statement's;
    ``parameters`` are values certified instead of the statement's (exact numbers
    or SymPy expressions).
    """
    inst = complete_instance(statement, instance, parameters)
    _check_numeric(inst)
    outside = _outside_range(statement, inst, parameters or {})
    if outside is not None:
        return Confirmation(False, reason=outside, op=statement.claim.op, outside_range=True)
    hyps = [_ArbSide(h) for h in statement.hypotheses]
    claim = _ArbSide(statement.claim)
    op = statement.claim.op
    for k in range(retries + 1):
        p = prec * 2**k
        with ctx.workprec(p):
            ainst = to_arb_instance(inst)
            hyp_res = [decide(h.rel.op, h.margin(ainst)[2]) for h in hyps]
            lhs, rhs, margin = claim.margin(ainst)
            claim_res = decide(op, margin)
            if op == "==":
                ents = margin.entries() if isinstance(margin, arb_mat) else [margin]
                # the entry farthest from 0 among those whose ball excludes 0
                worst = max(
                    range(len(ents)),
                    key=lambda i: (not ents[i].contains(0), abs(float(ents[i]))),
                )
                margin_str = f"entry {worst}: rhs - lhs = {_fmt(ents[worst])}"
                ratio = "n/a (identity)"
            else:
                worst = None
                margin_str = _fmt(margin)
                ratio = _fmt(lhs / rhs) if rhs > 0 else "n/a (rhs not positive)"
        decided = all(h is not None for h in hyp_res) and claim_res is not None
        if decided or any(h is False for h in hyp_res) or claim_res is True:
            break
    # the cross-check works at least at the precision the enclosure needed
    dps = max(dps, int(p * 0.30103) + 10)
    result = Confirmation(False, hyp_res, claim_res, margin_str, "", ratio, p, dps, "", op)

    for j, (h, r) in enumerate(zip(statement.hypotheses, hyp_res, strict=True)):
        if r is not True:
            how = "fails rigorously" if r is False else "is undecided"
            result.reason = (
                f"hypothesis {j + 1} ({h}) does not hold rigorously: it {how} at {p} bits"
            )
            return result
    if claim_res is True:
        result.reason = f"the claim holds rigorously at this instance (margin {margin_str})"
        return result
    if claim_res is None:
        if op == "==":
            result.reason = (
                f"no entry of the identity differs rigorously at {p} bits "
                f"(largest difference {margin_str}): not a violation"
            )
        else:
            result.reason = f"the claim is undecided at {p} bits (margin {margin_str})"
        return result

    # The Arb enclosure shows a violation: cross-check in mpmath.
    for j, h in enumerate(statement.hypotheses):
        m = _mp_margin(h, inst, dps)
        if h.op != "==" and not _mp_ok(h.op, m):
            result.reason = f"mpmath at {dps} digits disagrees on hypothesis {j + 1} ({h})"
            return result
    m = _mp_margin(statement.claim, inst, dps)
    if op == "==":
        mm = m[worst // m.cols, worst % m.cols] if isinstance(m, mpmath.matrix) else m
        result.mp_margin = f"entry {worst}: rhs - lhs = {mpmath.nstr(mm, 15)}"
        with ctx.workprec(p):
            arb_mid = float(ents[worst])
        agrees = mm != 0 and (mm > 0) == (arb_mid > 0)
    else:
        result.mp_margin = mpmath.nstr(m, 15)
        agrees = not _mp_ok(op, m)
    if not agrees:
        result.reason = f"mpmath at {dps} digits disagrees (margin {result.mp_margin})"
        return result
    result.confirmed = True
    n_h = len(statement.hypotheses)
    result.reason = (
        f"violation confirmed: {f'all {n_h} hypotheses hold and ' if n_h else ''}"
        f"the claim fails rigorously at {p} bits "
        f"(margin {margin_str}); mpmath at {dps} digits agrees (margin {result.mp_margin})"
    )
    return result
