"""Boxes, domains and the rigorous box tests shared by the prover and the checker.

A statement at explicit sizes ``n, d`` is lowered to scalar SymPy expressions in
the entries of its variables (:class:`Problem`); the spectral norm, which has no
entrywise closed form, stays a placeholder symbol evaluated by a rigorous Arb
enclosure.  A *box* gives every variable entry an exact rational interval.

Everything here is deterministic and rigorous (python-flint Arb balls):

* every constant (``E``, ``pi``, rationals, decimals, ``sqrt(2)``, ``exp(1/3)``) is
  enclosed by Arb itself (:func:`constant_arb`), in the tree walk and in compiled
  code alike; :meth:`Iv.of` refuses floats;
* :func:`Evaluator` encloses a scalar expression over a box; a hypothesis
  ``E <= c`` with ``c`` constant *clamps* the enclosure of ``E`` to ``(-inf, c]``
  (sound: the claim is only required where the hypotheses hold).
* :class:`Reduction` is a sufficient condition for the claim on a box, derived
  symbolically once per statement: ``direct`` (the margin ``rhs - lhs``), the
  mean-value form for Lipschitz claims ``||G(U) - G(W)|| <= K ||U - W||``
  (``G(U) - G(W) = J (U - W)`` with ``J`` in the interval hull of the Jacobian),
  the chain rule through a linear map ``z = M u`` with ``||J_z M|| <= ||J_z|| ||M||``,
  the principal-minor form of ``||P|| <= c`` for symmetric ``P``, the
  reduction by an exact shift invariance ``z -> z + tau 1`` (softmax, G7),
  Gershgorin's row (and column) sums of ``||P|| <= c`` with the sign of every
  entry a margin (E5), and margins that are functions of one softmax entry
  ``u`` alone (G7: the entries sum to 1) taken in a new variable ``t`` ranging
  over the enclosure of ``u`` (checked by exact rational algebra in ``exp``).
* :func:`run_test` decides one margin ``g >= 0`` on a box of reduced variables
  by plain interval evaluation, the centred (mean-value) form, monotonicity with
  exact corner evaluation, or a second-order test at an exact critical point.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property, reduce
from typing import Any

import numpy as np
import sympy as sp
from flint import arb, arb_mat, ctx, fmpq, fmpz
from sympy import MatAdd, MatMul, MatrixSymbol

from softproof.derivations import lowering, model
from softproof.derivations.statement import VARIABLES, Relation, Statement

from .balls import spectral_norm_arb

__all__ = [
    "DomainError",
    "Interval",
    "Domain",
    "Problem",
    "Evaluator",
    "Iv",
    "Stage",
    "Reduction",
    "frac",
    "frac_text",
    "interval_ball",
    "arb_bounds",
    "run_test",
    "reductions",
    "stage_ranges",
    "TESTS",
]

Interval = tuple[Fraction, Fraction]


class DomainError(ValueError):
    """The statement does not give a bounded box domain (and none was given)."""


# --------------------------------------------------------------------------
# Exact numbers and balls
# --------------------------------------------------------------------------
def frac(v: Any) -> Fraction:
    """An exact rational from an int, Fraction, SymPy Rational, float (its decimal
    repr) or text ``"p/q"`` / decimal."""
    if isinstance(v, Fraction):
        return v
    if isinstance(v, sp.Rational):
        return Fraction(int(v.p), int(v.q))
    if isinstance(v, float):
        return Fraction(repr(v))
    return Fraction(v)


def frac_text(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def q_arb(q: Fraction) -> arb:
    return arb(fmpq(q.numerator, q.denominator))


def interval_ball(lo: Fraction, hi: Fraction) -> Iv:
    """An interval enclosing the exact ``[lo, hi]``."""
    return Iv(q_arb(lo).lower(), q_arb(hi).upper())


def _exact_point(a: arb) -> Fraction | None:
    if not a.is_finite():
        return None
    man, exp = a.mid().man_exp()
    man, exp = int(man), int(exp)
    if abs(exp) > MAX_EXACT_EXPONENT or man.bit_length() > MAX_EXACT_EXPONENT:
        return None
    return Fraction(man) * (Fraction(2) ** exp)


def arb_bounds(a: arb) -> tuple[Fraction, Fraction] | None:
    """Exact rational outward bounds of a ball (``None`` if not finite)."""
    if not a.is_finite():
        return None
    lo, hi = _exact_point(a.lower()), _exact_point(a.upper())
    if lo is None or hi is None:
        return None
    return lo, hi


_INF = arb("inf")
#: binary exponents beyond this are not turned into exact rationals (2**e would
#: need gigabytes); such ends count as not finite
MAX_EXACT_EXPONENT = 1 << 16
#: margins with more operations than this are not differentiated symbolically
MAX_DIFF_OPS = 2000
#: margins with more operations than this get no symbolic Hessian (second order)
MAX_HESSIAN_OPS = 300
#: exact constants with more operations than this are not simplified by SymPy
MAX_SIMPLIFY_OPS = 300
#: Gershgorin's row sums are formed for matrices with at most this many entries
MAX_GERSHGORIN_ENTRIES = 64
#: with Gershgorin's form available, principal minors only up to this size
MAX_MINORS_WITH_GERSHGORIN = 3
#: margins (as rational functions of exp) larger than this get no entry substitution
MAX_ENTRY_OPS = 4000


class Iv:
    """An interval ``[lo, hi]`` with exact Arb endpoints (inf-sup arithmetic).

    Arb balls are midpoint-radius: ``[1e-7, 1e14]`` as a ball has a negative lower
    end and products of wide balls overestimate; evaluating on endpoints (every
    operation monotone on the pieces it is applied to) keeps such ranges tight.
    Endpoint operations are rounded outward (``lower()``/``upper()`` of the ball
    result), so the enclosure is rigorous.
    """

    __slots__ = ("lo", "hi")

    def __init__(self, lo: arb, hi: arb) -> None:
        if lo.is_nan() or hi.is_nan():
            lo, hi = -_INF, _INF
        self.lo, self.hi = lo, hi

    @staticmethod
    def of(v: Any) -> Iv:
        """The interval of a ball, or of an exact number (an integer, a ``Fraction``,
        an ``fmpq`` or a SymPy ``Rational``, enclosed at the working precision).

        A float (Python, numpy, mpmath or SymPy) is refused with ``TypeError``: it is
        a rounded constant, and its exact binary value is not the number meant.
        """
        if isinstance(v, Iv):
            return v
        if not isinstance(v, arb):
            v = _exact_arb(v)
        if v.is_nan():
            return Iv(-_INF, _INF)
        return Iv(v.lower(), v.upper())

    @staticmethod
    def whole() -> Iv:
        return Iv(-_INF, _INF)

    def ball(self) -> arb:
        return self.lo.union(self.hi)

    def lower(self) -> arb:
        return self.lo

    def upper(self) -> arb:
        return self.hi

    def is_finite(self) -> bool:
        return bool(self.lo.is_finite() and self.hi.is_finite())

    def str(self, digits: int = 5, radius: bool = True) -> str:
        return f"[{self.lo.str(digits, radius=False)}, {self.hi.str(digits, radius=False)}]"

    __str__ = str

    def __repr__(self) -> str:
        return f"Iv{self.str()}"

    def union(self, o: Any) -> Iv:
        o = Iv.of(o)
        return Iv(self.lo.min(o.lo), self.hi.max(o.hi))

    def __add__(self, o: Any) -> Iv:
        o = Iv.of(o)
        lo, hi = (self.lo + o.lo).lower(), (self.hi + o.hi).upper()
        # adding a nonnegative (nonpositive) interval never lowers (raises) the other's
        # exact end: 1 + exp(-300) stays >= 1 although the rounded sum reaches below
        if o.lo >= 0:
            lo = lo.max(self.lo)
        if self.lo >= 0:
            lo = lo.max(o.lo)
        if o.hi <= 0:
            hi = hi.min(self.hi)
        if self.hi <= 0:
            hi = hi.min(o.hi)
        return Iv(lo, hi)

    __radd__ = __add__

    def __neg__(self) -> Iv:
        return Iv(-self.hi, -self.lo)

    def __sub__(self, o: Any) -> Iv:
        return self + (-Iv.of(o))

    def __rsub__(self, o: Any) -> Iv:
        return Iv.of(o) + (-self)

    def __mul__(self, o: Any) -> Iv:
        o = Iv.of(o)
        ps = [a * b for a in (self.lo, self.hi) for b in (o.lo, o.hi)]
        if any(p.is_nan() for p in ps):
            return Iv.whole()
        return Iv(
            reduce(arb.min, (p.lower() for p in ps)), reduce(arb.max, (p.upper() for p in ps))
        )

    __rmul__ = __mul__

    def recip(self) -> Iv:
        if self.lo > 0 or self.hi < 0:
            return Iv((1 / self.hi).lower(), (1 / self.lo).upper())
        return Iv.whole()

    def __truediv__(self, o: Any) -> Iv:
        return self * Iv.of(o).recip()

    def __rtruediv__(self, o: Any) -> Iv:
        return Iv.of(o) * self.recip()

    def __pow__(self, k: Any) -> Iv:
        """``self ** k`` for an exact exponent (integer or rational) or an interval."""
        if isinstance(k, bool):
            raise TypeError("a boolean is not an exponent")
        if isinstance(k, int):
            return _ipow(self, k)
        if isinstance(k, Fraction | sp.Rational):
            q = frac(k)
            return iv_rpow(self, q.numerator, q.denominator)
        if isinstance(k, Iv | arb):
            return iv_gpow(self, k)
        raise TypeError(f"no rigorous power with the exponent {type(k).__name__} {k!r}")

    def __abs__(self) -> Iv:
        if self.lo >= 0:
            return self
        if self.hi <= 0:
            return -self
        return Iv(arb(0), (-self.lo).max(self.hi))

    def mono(self, fn, increasing: bool = True) -> Iv:
        a, b = fn(self.lo), fn(self.hi)
        if not increasing:
            a, b = b, a
        return Iv(a.lower(), b.upper())

    def max(self, o: Any) -> Iv:
        o = Iv.of(o)
        return Iv(self.lo.max(o.lo), self.hi.max(o.hi))

    def min(self, o: Any) -> Iv:
        o = Iv.of(o)
        return Iv(self.lo.min(o.lo), self.hi.min(o.hi))

    def __ge__(self, o: Any) -> bool:
        return bool(self.lo >= Iv.of(o).hi)

    def __gt__(self, o: Any) -> bool:
        return bool(self.lo > Iv.of(o).hi)

    def __le__(self, o: Any) -> bool:
        return bool(self.hi <= Iv.of(o).lo)

    def __lt__(self, o: Any) -> bool:
        return bool(self.hi < Iv.of(o).lo)

    def contains_zero(self) -> bool:
        return bool(self.lo <= 0 <= self.hi)


def _exact_arb(v: Any) -> arb:
    """An Arb enclosure of an exact number: an integer exactly, a rational as a ball
    at the working precision; anything else (floats above all) is a ``TypeError``."""
    if isinstance(v, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(v, int | fmpz | np.integer):
        return arb(int(v))
    if isinstance(v, Fraction):
        return arb(fmpq(v.numerator, v.denominator))
    if isinstance(v, fmpq):
        return arb(v)
    if isinstance(v, sp.Rational):
        return arb(fmpq(int(v.p), int(v.q)))
    raise TypeError(
        f"no rigorous enclosure of the {type(v).__name__} {v!r}: give an exact number or a ball"
    )


def _ipow(b: Iv, k: int) -> Iv:
    """``b ** k`` for an integer ``k`` (monotone on each sign)."""
    if k == 0:
        return Iv.of(arb(1))
    n = abs(k)
    if n % 2 == 0:
        a = abs(b)
        p = Iv((a.lo**n).lower(), (a.hi**n).upper())
    else:
        p = Iv((b.lo**n).lower(), (b.hi**n).upper())
    return p if k > 0 else p.recip()


def constant_arb(c: sp.Basic) -> arb:
    """An Arb enclosure of a SymPy number at the working precision, computed by Arb
    itself: ``E`` and ``pi`` (and Euler's, Catalan's constant, the golden ratio) from
    Arb's constants, a rational as ``p/q``, a SymPy ``Float`` as the exact decimal it
    prints (``Float('0.01')`` is 1/100).  Anything else (infinities, ``nan``, complex
    numbers) raises ``NotImplementedError``: no constant is ever guessed."""
    if c.is_Rational:
        return _exact_arb(c)
    if c.is_Float:
        if not c.is_finite:
            raise NotImplementedError(f"no ball for the number {c}")
        return _exact_arb(sp.Rational(str(c)))
    if c is sp.E:
        return arb.const_e()
    if c is sp.pi:
        return arb.pi()
    if c is sp.EulerGamma:
        return arb.const_euler()
    if c is sp.Catalan:
        return arb.const_catalan()
    if c is sp.GoldenRatio:
        return (1 + arb(5).sqrt()) / 2
    raise NotImplementedError(f"no ball for the constant {c}")


def iv_exp(v: Any) -> Iv:
    """``exp`` (increasing)."""
    return Iv.of(v).mono(arb.exp)


def iv_cosh(v: Any) -> Iv:
    """``cosh``: decreasing on ``x <= 0``, increasing on ``x >= 0``, at least 1."""
    v = Iv.of(v)
    if v.lo >= 0:
        out = v.mono(arb.cosh)
    elif v.hi <= 0:
        out = v.mono(arb.cosh, increasing=False)
    else:
        out = Iv(arb(1), v.lo.cosh().max(v.hi.cosh()).upper())
    return Iv(out.lo.max(arb(1)), out.hi)


def iv_sinh(v: Any) -> Iv:
    """``sinh`` (increasing)."""
    return Iv.of(v).mono(arb.sinh)


def iv_tanh(v: Any) -> Iv:
    """``tanh`` (increasing, inside ``[-1, 1]``)."""
    out = Iv.of(v).mono(arb.tanh)
    return Iv(out.lo.max(arb(-1)), out.hi.min(arb(1)))


def iv_log(v: Any) -> Iv:
    """``log`` of an interval; the whole line unless it is positive (a ball reaching
    0 or below has no finite enclosure)."""
    v = Iv.of(v)
    return v.mono(arb.log) if v.lo > 0 else Iv.whole()


def iv_rpow(b: Any, p: int, q: int) -> Iv:
    """``b ** (p/q)`` (``q >= 1``): integer powers on every sign, otherwise only on
    ``b >= 0`` (``b > 0`` for ``p < 0``); the whole line where it is not real."""
    b = Iv.of(b)
    if q == 1:
        return _ipow(b, p)
    if not b.lo >= 0 or (p < 0 and not b.lo > 0):
        return Iv.whole()
    if (p, q) == (1, 2):
        return b.mono(arb.sqrt)
    if (p, q) == (-1, 2):
        return b.mono(arb.rsqrt, increasing=False)
    r = arb(fmpq(p, q))
    return b.mono(lambda a: a**r, increasing=p > 0)


def iv_gpow(b: Any, ex: Any) -> Iv:
    """``b ** ex = exp(ex log b)`` for an interval exponent (``b > 0``)."""
    b = Iv.of(b)
    if not b.lo > 0:
        return Iv.whole()
    return iv_exp(Iv.of(ex) * b.mono(arb.log))


def iv_sign(v: Any) -> Iv:
    """``sign``: ``[-1, 1]`` unless the interval excludes 0."""
    v = Iv.of(v)
    if v.lo > 0:
        return Iv.of(1)
    if v.hi < 0:
        return Iv.of(-1)
    return Iv(arb(-1), arb(1))


def _iv_max(*a: Any) -> Iv:
    return reduce(Iv.max, (Iv.of(v) for v in a))


def _iv_min(*a: Any) -> Iv:
    return reduce(Iv.min, (Iv.of(v) for v in a))


def _rationalise_floats(e: sp.Basic) -> sp.Basic:
    floats = e.atoms(sp.Float)
    if not floats:
        return e
    return e.xreplace({f: sp.Rational(str(f)) for f in floats})


# --------------------------------------------------------------------------
# The domain
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Domain:
    """A box domain: every variable entry in an exact interval, stated with the
    sizes, the parameters and the hypotheses kept as constraints."""

    names: tuple[str, ...]
    bounds: tuple[Interval, ...]
    origins: tuple[str, ...]
    sizes: dict[str, int]
    parameters: dict[str, str]
    constraints: tuple[str, ...]

    def describe(self) -> str:
        """Every variable with its interval and where it comes from (entries of one
        variable with the same interval and origin are grouped)."""
        groups: dict[tuple[str, Interval, str], list[str]] = {}
        for name, b, origin in zip(self.names, self.bounds, self.origins, strict=True):
            groups.setdefault((name.split("[")[0], b, origin), []).append(name)
        parts = []
        for (base, (lo, hi), origin), names in groups.items():
            who = names[0] if len(names) == 1 else f"{base}[..] ({len(names)} entries)"
            parts.append(f"{who} in [{frac_text(lo)}, {frac_text(hi)}] ({origin})")
        text = "; ".join(parts)
        text += f"; sizes n={self.sizes['n']}, d={self.sizes['d']}"
        if self.parameters:
            text += "; parameters " + ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        if self.constraints:
            text += "; constraints " + ", ".join(self.constraints)
        return text

    def short(self) -> str:
        """Variables grouped by name with their bounds (one line)."""
        groups: dict[str, set[tuple[Fraction, Fraction]]] = {}
        for name, b in zip(self.names, self.bounds, strict=True):
            groups.setdefault(name.split("[")[0], set()).add(b)
        items = []
        for g, bs in groups.items():
            if len(bs) == 1:
                lo, hi = next(iter(bs))
                items.append(f"{g} in [{frac_text(lo)}, {frac_text(hi)}]")
            else:
                items.append(f"{g} in a box")
        extra = f", n={self.sizes['n']}, d={self.sizes['d']}"
        if self.parameters:
            extra += ", " + ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        return "{" + ", ".join(items) + extra + "}"

    def to_json(self) -> dict[str, Any]:
        return {
            "variables": list(self.names),
            "bounds": [[frac_text(lo), frac_text(hi)] for lo, hi in self.bounds],
            "origins": list(self.origins),
            "sizes": dict(self.sizes),
            "parameters": dict(self.parameters),
            "constraints": list(self.constraints),
        }


def entry_name(sym: sp.Symbol) -> str:
    """``A_{1,2}`` -> ``A[1,2]``, ``x_{3}`` -> ``x[3]``."""
    s = sym.name
    if "_{" in s:
        base, idx = s.split("_{", 1)
        return f"{base}[{idx.rstrip('}')}]"
    return s


# --------------------------------------------------------------------------
# The statement lowered to scalars
# --------------------------------------------------------------------------
@dataclass
class Clamp:
    """Exact bounds from hypotheses on one sub-expression."""

    lo: sp.Expr | None = None
    hi: sp.Expr | None = None


class Problem:
    """A statement at sizes ``n, d`` lowered to scalar SymPy expressions.

    ``domain`` (optional) maps a variable (``"x"``), an entry (``"x[1]"``) or a
    ranged parameter to ``(low, high)``; it overrides the bounds read from the
    hypotheses.  ``deadline`` (a ``time.monotonic()`` value), when set before
    :attr:`reductions` is first read, stops the optional symbolic refinements
    once passed (the reductions derived so far are kept).
    """

    deadline: float | None = None

    def __init__(
        self,
        statement: Statement,
        n: int,
        d: int,
        parameters: Mapping[str, Any] | None = None,
        domain: Mapping[str, tuple[Any, Any]] | None = None,
        default_radius: Any = None,
    ) -> None:
        if statement.claim.op == "==" or model.is_matrix(statement.claim.lhs):
            raise DomainError("certification handles inequalities '<=' and '<', not identities")
        self.statement = statement
        self.n, self.d = int(n), int(d)
        self.explicit = {k: (frac(v[0]), frac(v[1])) for k, v in (domain or {}).items()}
        self.default_radius = None if default_radius is None else frac(default_radius)
        overrides = dict(parameters or {})
        psyms = statement.parameter_symbols
        ranged = {k: v for k, v in statement.ranged_parameters.items() if k not in overrides}
        values: dict[str, Any] = dict(overrides)
        for k in ranged:
            values[k] = psyms[k]
        subs = statement.parameter_substitution(values)
        #: parameters whose value the caller set (a witness carries them: see instance)
        self.overridden = tuple(k for k in overrides if k in statement.parameters)
        self.subs = {
            s: _rationalise_floats(model.at_size(v, self.n, self.d)) for s, v in subs.items()
        }
        self.parameter_text = {
            k: str(self.subs[psyms[k]]) for k in statement.parameters if k not in ranged
        }
        self.ranged = {psyms[k]: (frac(lo), frac(hi)) for k, (lo, hi) in ranged.items()}
        self.matrices: dict[str, sp.Matrix] = {}
        for name in statement.variables:
            v = VARIABLES[name]
            if isinstance(v, MatrixSymbol):
                self.matrices[name] = lowering.explicit_symbols(v, self.n, self.d)
        self.symbols: list[sp.Symbol] = []
        self.names: list[str] = []
        for name in statement.variables:
            if name in self.matrices:
                for s in self.matrices[name]:
                    self.symbols.append(s)
                    self.names.append(entry_name(s))
            else:
                self.symbols.append(VARIABLES[name])
                self.names.append(name)
        for s in self.ranged:
            self.symbols.append(s)
            self.names.append(s.name)
        self.placeholders: dict[sp.Symbol, sp.Matrix] = {}
        self._ph_model: dict[sp.Basic, sp.Symbol] = {}
        self.claim = self.lower_relation(statement.claim)
        self.hypotheses = [self.lower_relation(h) for h in statement.hypotheses]
        self.clamps = self._clamps()
        self.domain = self._domain()

    # ---- lowering ----------------------------------------------------------
    def placeholder_of(self, m: sp.Basic) -> sp.Symbol:
        """The symbol standing for ``||M||`` (spectral norm) of a model matrix ``M``."""
        if m not in self._ph_model:
            sym = _internal(f"opnorm{len(self._ph_model) + 1}", nonnegative=True)
            self._ph_model[m] = sym
            self.placeholders[sym] = self.lower(m)
        return self._ph_model[m]

    def lower(self, e: sp.Basic) -> sp.Basic:
        """Lower a model expression (parameters substituted, spectral norms as
        placeholders) to a scalar or a ``sympy.Matrix`` of scalars."""
        e = e.xreplace(self.subs) if self.subs else e
        norms = [
            node
            for node in sp.preorder_traversal(e)
            if isinstance(node, model.Norm) and node.kind == "op"
        ]
        if norms:
            e = e.xreplace({nd: self.placeholder_of(nd.arg) for nd in norms})
        out = lowering.lower_explicit(e, self.n, self.d)
        if isinstance(out, sp.MatrixBase):
            return out.applyfunc(_rationalise_floats)
        return _rationalise_floats(sp.sympify(out))

    def lower_relation(self, rel: Relation) -> tuple[sp.Expr, str, sp.Expr]:
        return self.lower(rel.lhs), rel.op, self.lower(rel.rhs)

    # ---- hypotheses as clamps and bounds -------------------------------------
    def _is_const(self, e: sp.Expr) -> bool:
        return not e.free_symbols

    def _clamps(self) -> dict[sp.Expr, Clamp]:
        clamps: dict[sp.Expr, Clamp] = {}
        for lhs, _op, rhs in self.hypotheses:
            if self._is_const(rhs) and not self._is_const(lhs):
                c = clamps.setdefault(lhs, Clamp())
                c.hi = rhs if c.hi is None else sp.Min(c.hi, rhs)
            elif self._is_const(lhs) and not self._is_const(rhs):
                c = clamps.setdefault(rhs, Clamp())
                c.lo = lhs if c.lo is None else sp.Max(c.lo, lhs)
        return clamps

    def _domain(self) -> Domain:
        bounds: dict[sp.Symbol, Interval] = {}
        origins: dict[sp.Symbol, str] = {}

        def tighten(sym, lo, hi, origin):
            old = bounds.get(sym)
            if old is not None:
                lo, hi = max(lo, old[0]), min(hi, old[1])
                origin = origins[sym] if (lo, hi) == old else origin
            bounds[sym] = (lo, hi)
            origins[sym] = origin

        for rel, text in zip(self.statement.hypotheses, self._hyp_texts(), strict=True):
            for sym, lo, hi in self._bounds_from(rel):
                tighten(sym, lo, hi, f"from {text}")
        for s, (lo, hi) in self.ranged.items():
            tighten(s, lo, hi, "parameter range")
        by_name = dict(zip(self.names, self.symbols, strict=True))
        for key, (lo, hi) in self.explicit.items():
            if lo > hi:
                raise DomainError(f"empty range for {key}: [{lo}, {hi}]")
            if key in by_name:
                targets = [by_name[key]]
            elif key in self.matrices:
                targets = list(self.matrices[key])
            else:
                raise DomainError(
                    f"the domain names {key!r}, which is not a variable of {self.statement.id} "
                    f"(variables: {', '.join(self.names)})"
                )
            for s in targets:
                bounds[s] = (lo, hi)
                origins[s] = "given"
        for s in self.symbols:
            if self.default_radius is not None and (
                s not in bounds or abs(bounds[s][0]) >= 10**29 or abs(bounds[s][1]) >= 10**29
            ):
                r = self.default_radius
                old = bounds.get(s, (-r, r))
                bounds[s] = (max(old[0], -r), min(old[1], r))
                origins[s] = "default radius"
        missing = [
            nm
            for nm, s in zip(self.names, self.symbols, strict=True)
            if s not in bounds or abs(bounds[s][0]) >= 10**29 or abs(bounds[s][1]) >= 10**29
        ]
        if missing:
            shown = ", ".join(missing[:6]) + (
                f" and {len(missing) - 6} more" if len(missing) > 6 else ""
            )
            raise DomainError(
                f"no bound for {shown}: the hypotheses of {self.statement.id} do not "
                "bound them; give a domain (e.g. --box x=-1:1 or --radius 1)"
            )
        return Domain(
            names=tuple(self.names),
            bounds=tuple(bounds[s] for s in self.symbols),
            origins=tuple(origins[s] for s in self.symbols),
            sizes={"n": self.n, "d": self.d},
            parameters=dict(self.parameter_text),
            constraints=tuple(self._hyp_texts()),
        )

    def _hyp_texts(self) -> list[str]:
        texts = list(self.statement.hypotheses_text)
        if len(texts) != len(self.statement.hypotheses):
            texts = [str(h) for h in self.statement.hypotheses]
        return texts

    def _const_upper(self, e: sp.Expr) -> Fraction | None:
        """An exact rational upper bound of a constant expression."""
        e = e.xreplace(self.subs)
        e = model.at_size(e, self.n, self.d)
        if e.free_symbols:
            return None
        if e.is_Rational:
            return frac(e)
        with ctx.workprec(128):
            b = arb_bounds(Evaluator(self, {})(_rationalise_floats(e)))
        return None if b is None else b[1]

    def _bounds_from(self, rel: Relation):
        """Entry bounds implied by one hypothesis ``E <= c`` (or ``c >= E``)."""
        if rel.op == "==":
            return []
        lhs, rhs = rel.lhs, rel.rhs
        out = []
        c = self._const_upper(rhs)
        if c is not None:
            if isinstance(lhs, sp.Abs) and lhs.args[0] in self.symbols:
                out.append((lhs.args[0], -c, c))
            elif isinstance(lhs, model.Norm) and isinstance(lhs.arg, MatrixSymbol):
                # every entry is at most any of the norms 1, 2, inf, op, fro
                if lhs.arg.name in self.matrices:
                    out += [(s, -c, c) for s in self.matrices[lhs.arg.name]]
            elif lhs in self.symbols and lhs.is_Symbol:
                out.append((lhs, Fraction(-(10**30)), c))  # one-sided: needs the other side
        c_lo = self._const_lower(lhs)
        if c_lo is not None and rhs in self.symbols and rhs.is_Symbol:
            out.append((rhs, c_lo, Fraction(10**30)))
        return [(s, lo, hi) for s, lo, hi in out]

    def _const_lower(self, e: sp.Expr) -> Fraction | None:
        e = model.at_size(e.xreplace(self.subs), self.n, self.d)
        if e.free_symbols:
            return None
        if e.is_Rational:
            return frac(e)
        with ctx.workprec(128):
            b = arb_bounds(Evaluator(self, {})(_rationalise_floats(e)))
        return None if b is None else b[0]

    # ---- boxes ----------------------------------------------------------------
    def env(self, box: Sequence[Interval]) -> dict[sp.Symbol, Iv]:
        """Balls for the variable entries of ``box`` (at the current precision)."""
        return {s: interval_ball(lo, hi) for s, (lo, hi) in zip(self.symbols, box, strict=True)}

    def instance(self, point: Sequence[Fraction]) -> dict[str, Any]:
        """A float instance (for :mod:`softproof.numeric.confirm`) at a point of a box, with the
        parameters the caller overrode as their exact SymPy values."""
        vals = dict(zip(self.symbols, (float(p) for p in point), strict=True))
        out: dict[str, Any] = {}
        for name in self.statement.variables:
            if name in self.matrices:
                m = self.matrices[name]
                arr = np.array([vals[s] for s in m], dtype=float).reshape(m.rows, m.cols)
                out[name] = arr[:, 0] if m.cols == 1 and name in ("x", "y", "b") else arr
            else:
                out[name] = vals[VARIABLES[name]]
        for s in self.ranged:
            out[s.name] = vals[s]
        psyms = self.statement.parameter_symbols
        for k in self.overridden:  # the values certified, not the statement's own
            out[k] = self.subs[psyms[k]]
        return out

    def hypothesis_margin(self, i: int, env: Mapping[sp.Symbol, Any]) -> Iv:
        lhs, _op, rhs = self.hypotheses[i]
        ev = Evaluator(self, env, clamp=False)
        return ev(rhs) - ev(lhs)

    @cached_property
    def reductions(self) -> list[Reduction]:
        return reductions(self)


def decide_margin(op: str, m: Iv) -> bool | None:
    """``True`` if ``m >= 0`` (``> 0`` for ``<``) on the whole ball, ``False`` if the
    opposite holds on the whole ball, else ``None``."""
    if op == "<=":
        return True if m >= 0 else (False if m < 0 else None)
    return True if m > 0 else (False if m <= 0 else None)


# --------------------------------------------------------------------------
# Arb evaluation of lowered scalar expressions
# --------------------------------------------------------------------------
#: rigorous enclosures of the hyperbolic functions
_HYPERBOLIC = {sp.cosh: iv_cosh, sp.sinh: iv_sinh, sp.tanh: iv_tanh}


class Evaluator:
    """Enclose lowered scalar expressions (:class:`Iv`) over intervals or balls for
    their symbols.

    With ``clamp=True`` a sub-expression bounded by a hypothesis is intersected
    with that bound (valid at every point where the hypotheses hold).
    """

    def __init__(
        self,
        problem: Problem | None,
        env: Mapping[sp.Symbol, Any],
        *,
        clamp: bool = True,
        norms: Mapping[sp.Symbol, sp.Matrix] | None = None,
    ) -> None:
        self.problem = problem
        self.env = env
        self.clamps = problem.clamps if (problem is not None and clamp) else {}
        self.norms = dict(problem.placeholders) if problem is not None else {}
        if norms:
            self.norms.update(norms)
        self.memo: dict[sp.Basic, Iv] = {}

    def __call__(self, e: sp.Basic) -> Iv:
        try:
            return self.memo[e]
        except KeyError:
            pass
        v = self._eval(e)
        c = self.clamps.get(e)
        if c is not None:
            lo, hi, _, _ = self._clamped(v, c)
            if lo <= hi:  # else the hypothesis fails on the whole box: keep v
                v = Iv(lo, hi)
        self.memo[e] = v
        return v

    def _clamped(self, v: Iv, c: Clamp):
        lo, hi = v.lo, v.hi
        lo_sym = hi_sym = None
        if c.lo is not None and not c.lo.free_symbols:
            b = self(c.lo)
            if lo <= b.hi:
                lo, lo_sym = b.lo, c.lo
        if c.hi is not None and not c.hi.free_symbols:
            b = self(c.hi)
            if hi >= b.lo:
                hi, hi_sym = b.hi, c.hi
        return lo, hi, lo_sym, hi_sym

    def bounds(self, e: sp.Basic) -> tuple[arb, arb, sp.Expr | None, sp.Expr | None]:
        """Exact lower and upper ends of the clamped range of ``e``, with the
        hypothesis bound as exact symbolic end where it is active."""
        v = self._eval(e)
        c = self.clamps.get(e)
        if c is None:
            return v.lo, v.hi, None, None
        lo, hi, lo_sym, hi_sym = self._clamped(v, c)
        if not lo <= hi:
            return v.lo, v.hi, None, None
        return lo, hi, lo_sym, hi_sym

    def matrix(self, m: sp.Matrix) -> arb_mat:
        return arb_mat(m.rows, m.cols, [self(e).ball() for e in m])

    def _eval(self, e: sp.Basic) -> Iv:
        if e.is_Symbol:
            if e in self.env:
                return Iv.of(self.env[e])
            if e in self.norms:
                return Iv.of(spectral_norm_arb(self.matrix(self.norms[e])))
            raise KeyError(f"no value for {e}")
        if e.is_Number or e.is_NumberSymbol:
            return Iv.of(constant_arb(e))
        if e.is_Add:
            return reduce(lambda p, q: p + q, (self(a) for a in e.args))
        if e.is_Mul:
            return reduce(lambda p, q: p * q, (self(a) for a in e.args))
        if e.is_Pow:
            return self._pow(e)
        f = e.func
        if f is sp.exp:
            return iv_exp(self(e.args[0]))
        if f in _HYPERBOLIC:
            return _HYPERBOLIC[f](self(e.args[0]))
        if f is sp.log and len(e.args) == 1:
            return iv_log(self(e.args[0]))
        if f is sp.Abs:
            return abs(self(e.args[0]))
        if f is sp.Max:
            return _iv_max(*(self(a) for a in e.args))
        if f is sp.Min:
            return _iv_min(*(self(a) for a in e.args))
        if f is sp.sign:
            return iv_sign(self(e.args[0]))
        raise NotImplementedError(f"no ball evaluation for {type(e).__name__}: {e}")

    def _pow(self, e: sp.Pow) -> Iv:
        base, ex = e.args
        b = self(base)
        if ex.is_Integer:
            return _ipow(b, int(ex))
        if ex.is_Rational:
            return iv_rpow(b, int(ex.p), int(ex.q))
        return iv_gpow(b, self(ex))


# --------------------------------------------------------------------------
# Reductions: sufficient conditions derived symbolically once per statement
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Stage:
    """A new variable whose range over a box is the enclosure of ``exprs[0]``
    (``kind='expr'``, hypotheses clamp it) or the hull of the enclosures of
    ``exprs[0]`` and ``exprs[1]`` (``kind='hull'``, a mean-value point)."""

    symbol: sp.Symbol
    kind: str
    exprs: tuple[sp.Expr, ...]


@dataclass
class Reduction:
    """``margins >= 0`` (all of them; ``> 0`` if ``strict``) over the ranges of
    ``inner`` (computed by ``stages`` from the box) implies the claim on the box.

    ``steps`` record the argument, for the certificate.  ``inner`` empty means the
    margins are in the box variables themselves (``direct``).
    """

    name: str
    steps: tuple[str, ...]
    stages: tuple[Stage, ...]
    margins: tuple[sp.Expr, ...]
    inner: tuple[sp.Symbol, ...]
    norms: dict[sp.Symbol, sp.Matrix] = field(default_factory=dict)
    strict: bool = False
    clamp: bool = False
    data: dict[str, Any] = field(default_factory=dict, repr=False)
    #: equal forms of each margin (tried by the interval test after the margin)
    alternates: tuple[tuple[sp.Expr, ...], ...] = ()

    def compiled_list(self, kind: str, k: int) -> Any:
        """Lambdified interval code for the gradient (``kind='grad'``) or the flattened
        Hessian (``'hess'``) of margin ``k`` in the inner variables, or ``None``."""
        cache = self.data.setdefault("_compiled", {})
        key = (kind, k)
        if key not in cache:
            exprs = self.gradient(k) if kind == "grad" else self.hessian(k)
            if exprs is not None and kind == "hess":
                exprs = [e for row in exprs for e in row]
            cache[key] = None if exprs is None else _compile_iv(self.inner, exprs)
        return cache[key]

    def compiled_margin(self, k: int) -> Any:
        """Margin ``k`` in the inner variables alone as a function of Arb balls
        returning ``[margin]`` (lambdified on first use; ``None`` when it involves
        anything else)."""
        cache = self.data.setdefault("_compiled", {})
        key = ("margin", k)
        if key not in cache:
            cache[key] = _compile_iv(self.inner, [self.margins[k]])
        return cache[key]

    def numpy_margin(self, k: int) -> Any:
        """Margin ``k`` lambdified for float64 (numerical minimisation only)."""
        cache = self.data.setdefault("_numpy", {})
        if k not in cache:
            cache[k] = sp.lambdify(list(self.inner), self.margins[k], "numpy")
        return cache[k]

    def gradient(self, k: int) -> list[sp.Expr] | None:
        """The gradient of margin ``k`` in the inner variables (on first use), or
        ``None`` (norms, ``Abs``/``Max``/``Min``, or more than
        :data:`MAX_DIFF_OPS` operations: SymPy differentiation is not interruptible)."""
        cache = self.data.setdefault("_gradient", {})
        if k not in cache:
            g = self.margins[k]
            if (
                g.free_symbols & set(self.norms)
                or g.has(sp.Abs, sp.Max, sp.Min)
                or sp.count_ops(g) > MAX_DIFF_OPS
            ):
                cache[k] = None
            else:
                cache[k] = [sp.diff(g, v) for v in self.inner]
        return cache[k]

    def hessian(self, k: int) -> list[list[sp.Expr]] | None:
        """The Hessian of margin ``k`` (on first use), or ``None`` (no gradient, or
        the margin has more than :data:`MAX_HESSIAN_OPS` operations)."""
        cache = self.data.setdefault("_hessian", {})
        if k not in cache:
            grad = self.gradient(k)
            if grad is None or sp.count_ops(self.margins[k]) > MAX_HESSIAN_OPS:
                cache[k] = None
            else:
                cache[k] = [[sp.diff(gi, v) for v in self.inner] for gi in grad]
        return cache[k]


def reductions(problem: Problem) -> list[Reduction]:
    """Every sufficient condition this module can derive for ``problem``'s claim."""
    lhs, op, rhs = problem.claim
    strict = op == "<"
    out = [
        Reduction(
            name="direct",
            steps=(
                "the margin rhs - lhs is enclosed over the box (hypotheses clamp "
                "sub-expressions they bound)",
            ),
            stages=(),
            margins=(rhs - lhs,),
            inner=(),
            strict=strict,
            clamp=True,
        )
    ]
    base = _base_symmetric_norm(problem, strict)
    if base is not None:
        out.extend(_refine(problem, base)[:-1])  # the base itself is 'direct'

    mv = None if _expired(problem) else _mean_value(problem, strict)
    if mv is not None:
        out.append(mv)
        chained = None if _expired(problem) else _chain(problem, mv)
        if chained is not None:
            out.extend(_refine(problem, chained))
    return out


def _expired(problem: Problem) -> bool:
    """The problem's derivation deadline (if any) has passed."""
    return problem.deadline is not None and time.monotonic() > problem.deadline


def _refine(problem: Problem, red: Reduction) -> list[Reduction]:
    """``red`` refined by linear atoms / shift invariance, then by Gershgorin's row sums
    with the softmax entries as variables (tried first) and by principal minors; the
    most refined first."""
    out = [red]
    cur = red
    for step in (_atoms, _shift):
        if _expired(problem):
            break
        nxt = step(problem, cur)
        if nxt is not None:
            cur = nxt
            out.append(cur)
    first: list[Reduction] = []
    gersh = None if _expired(problem) else _gershgorin(problem, cur)
    if gersh is not None:
        ent = None if _expired(problem) else _entry(problem, gersh)
        first.append(ent if ent is not None else gersh)
    rows = next(iter(cur.norms.values())).rows if len(cur.norms) == 1 else 0
    if not _expired(problem) and (gersh is None or rows <= MAX_MINORS_WITH_GERSHGORIN):
        mn = _minors(problem, cur)
        if mn is not None:
            first.append(mn)
    return first + out[::-1]


def _real(name: str) -> sp.Symbol:
    return _internal(name, real=True)


def _internal(name: str, **assumptions: bool) -> sp.Symbol:
    """A symbol of this module's own (a reduced variable, a placeholder): its name
    ends in ``'``, which no statement's name can (names are identifiers), so a
    parameter named ``z1`` or ``Y1`` is never taken for it."""
    return sp.Symbol(name + "'", **assumptions)


def _base_symmetric_norm(problem: Problem, strict: bool) -> Reduction | None:
    """``||P|| <= c`` with ``P`` a spectral norm placeholder and ``c`` constant."""
    lhs, _op, rhs = problem.claim
    if lhs in problem.placeholders and not rhs.free_symbols:
        return Reduction(
            name="direct-norm",
            steps=(f"claim ||P|| <= {rhs} with P lowered entrywise",),
            stages=(),
            margins=(rhs - lhs,),
            inner=(),
            norms={lhs: problem.placeholders[lhs]},
            strict=strict,
        )
    return None


def _split_difference(L: sp.Basic) -> tuple[sp.Basic, sp.Basic | None] | None:
    """``L = U - W`` -> ``(U, W)``; a single term -> ``(L, None)``."""
    if model.is_matrix(L):
        if isinstance(L, MatAdd):
            if len(L.args) != 2:
                return None
            pos = [a for a in L.args if not (isinstance(a, MatMul) and a.args[0] == -1)]
            neg = [a for a in L.args if isinstance(a, MatMul) and a.args[0] == -1]
            if len(pos) == 1 and len(neg) == 1:
                return pos[0], MatMul(*neg[0].args[1:]).doit() if len(neg[0].args) > 2 else neg[
                    0
                ].args[1]
            return None
        return L, None
    if isinstance(L, sp.Add):
        if len(L.args) != 2:
            return None
        pos = [a for a in L.args if a.as_coeff_Mul()[0] != -1]
        neg = [a for a in L.args if a.as_coeff_Mul()[0] == -1]
        if len(pos) == 1 and len(neg) == 1:
            return pos[0], -neg[0]
        return None
    return L, None


def _norm_arg(e: sp.Basic) -> sp.Basic | None:
    if isinstance(e, model.Norm) and e.kind == "2":
        return e.arg
    if isinstance(e, sp.Abs):
        return e.args[0]
    return None


def _entries(v: sp.Basic) -> list[sp.Expr]:
    return list(v) if isinstance(v, sp.MatrixBase) else [v]


def _mean_value(problem: Problem, strict: bool) -> Reduction | None:
    """``||G|| <= K ||U - W||`` where ``G = Phi(U, W)`` with ``Phi(w, w) = 0``:
    ``G = J (U - W)``, ``J`` in the hull of ``d Phi / d u`` (mean value theorem,
    integral form), so ``||J||_op <= K`` over the hull suffices."""
    claim = problem.statement.claim
    if strict:  # at U = W both sides vanish and '<' fails: the bound is not strict there
        return None
    G = _norm_arg(claim.lhs)
    if G is None or (model.is_matrix(G) and G.shape[1] != 1):
        return None
    factors = sp.Mul.make_args(claim.rhs)
    for i, fac in enumerate(factors):
        L = _norm_arg(fac)
        if L is None or (model.is_matrix(L) and L.shape[1] != 1):
            continue
        split = _split_difference(L)
        if split is None:
            continue
        U, W = split
        K = sp.Mul(*(factors[:i] + factors[i + 1 :]))
        red = _mean_value_form(problem, G, U, W, K, strict)
        if red is not None:
            return red
    return None


def _mean_value_form(problem, G, U, W, K, strict) -> Reduction | None:
    G_low = _entries(problem.lower(G))
    U_low = _entries(problem.lower(U))
    W_low = _entries(problem.lower(W)) if W is not None else [sp.S.Zero] * len(U_low)
    if len(U_low) != len(W_low):
        return None
    k = len(U_low)
    u = [_real(f"u{j + 1}") for j in range(k)]
    w = [_real(f"w{j + 1}") for j in range(k)]
    xi = [_real(f"xi{j + 1}") for j in range(k)]
    rep = {}
    for j in range(k):
        if U_low[j].free_symbols:
            rep[U_low[j]] = u[j]
        if W_low[j].free_symbols:
            rep[W_low[j]] = w[j]
    if len(rep) != sum(1 for e in U_low + W_low if e.free_symbols):
        return None  # U and W share entries: not a difference of two arguments
    phi = [g.xreplace(rep) for g in G_low]
    wval = [w[j] if W_low[j].free_symbols else W_low[j] for j in range(k)]
    if not any(set(u) & p.free_symbols for p in phi):
        return None
    for p in phi:
        atw = p.xreplace(dict(zip(u, wval, strict=True)))
        if atw != 0 and sp.simplify(atw) != 0:
            return None
        bad = [
            a
            for a in sp.preorder_traversal(p)
            if (isinstance(a, (sp.Abs, sp.Max, sp.Min)) or a in problem.placeholders)
            and set(u) & a.free_symbols
        ]
        if bad:
            return None
    K_low = problem.lower(K)
    if isinstance(K_low, sp.MatrixBase) or set(u) & K_low.free_symbols:
        return None
    jac = sp.zeros(len(phi), k)
    for i, j in itertools.product(range(len(phi)), range(k)):
        if _expired(problem):
            return None
        jac[i, j] = sp.diff(phi[i], u[j])
    jac_xi = jac.xreplace(dict(zip(u, xi, strict=True)))
    stages = []
    for j in range(k):
        if U_low[j].free_symbols:
            stages.append(Stage(u[j], "expr", (U_low[j],)))
        if W_low[j].free_symbols:
            stages.append(Stage(w[j], "expr", (W_low[j],)))
        stages.append(Stage(xi[j], "hull", (u[j] if U_low[j].free_symbols else U_low[j], wval[j])))
    norms = {}
    if jac_xi.shape == (1, 1):
        margin = K_low - sp.Abs(jac_xi[0, 0])
    else:
        ph = _internal("opnormJ", nonnegative=True)
        norms[ph] = jac_xi
        margin = K_low - ph
    return Reduction(
        name="mean-value",
        steps=(
            f"mean value theorem: G(U) - G(W) = J (U - W) with J in the hull of "
            f"dPhi/du over u in hull(U, W); U = {U}, W = {W if W is not None else 0}, "
            f"Phi(w, w) = 0 checked symbolically",
            f"sufficient: ||J||_op <= K = {K} on the box",
        ),
        stages=tuple(stages),
        margins=(margin,),
        inner=tuple(xi),
        norms=norms,
        strict=strict,
        clamp=False,
        data={"phi": phi, "u": u, "xi": xi},
    )


def _linear_forms(problem: Problem, vec: list[sp.Symbol]):
    """Candidate ``(name, M, forms)``: ``forms[i] = sum_j M[i, j] vec[j]`` for each
    matrix variable ``M`` with as many columns as ``vec`` has entries."""
    for name, M in problem.matrices.items():
        if M.cols == len(vec) and M.cols > 0 and name in ("A", "At"):
            vm = sp.Matrix(vec)
            yield name, M, list(M * vm)


def _chain(problem: Problem, mv: Reduction) -> Reduction | None:
    """Chain rule through ``z = M xi``: ``J = J_z M`` and ``||J|| <= ||J_z|| ||M||``;
    with ``K = c ||M||`` it suffices that ``||J_z|| <= c``."""
    if not mv.norms:
        return None
    ((ph, jac_xi),) = mv.norms.items()
    xi = [s.symbol for s in mv.stages if s.kind == "hull"]
    K_low = mv.margins[0] + ph
    for name, M, _ in _linear_forms(problem, xi):
        ph_M = problem._ph_model.get(VARIABLES[name])
        if ph_M is None:
            continue
        c = sp.simplify(K_low / ph_M)
        if c.free_symbols:
            continue
        phi_z = _phi_through(mv, M)
        if phi_z is None:
            continue
        phi_list, z, forms = phi_z
        jz = sp.Matrix([[sp.diff(p, zj) for zj in z] for p in phi_list])
        phz = _internal("opnormJz", nonnegative=True)
        stages = tuple(mv.stages) + tuple(Stage(z[i], "expr", (forms[i],)) for i in range(len(z)))
        return Reduction(
            name="mean-value+chain",
            steps=mv.steps[:1]
            + (
                f"chain rule: Phi depends on u only through z = {name} u, so J = J_z {name} "
                "(checked symbolically) and ||J|| <= ||J_z|| ||" + name + "||",
                f"K = {c} ||{name}||: sufficient ||J_z(z)|| <= {c} for z in {name} hull(U, W)",
            ),
            stages=stages,
            margins=(c - phz,),
            inner=tuple(z),
            norms={phz: jz},
            strict=mv.strict,
        )
    return None


def _phi_through(mv: Reduction, M: sp.Matrix):
    """``Phi_z`` with ``Phi(u) = Phi_z(M u)`` exactly (checked by substituting back),
    the symbols ``z`` and the forms ``M xi``; ``None`` if ``Phi`` is not of that form."""
    phi, u, xi = mv.data.get("phi"), mv.data.get("u"), mv.data.get("xi")
    if phi is None:
        return None
    forms_u = list(M * sp.Matrix(u))
    z = [_real(f"z{i + 1}") for i in range(M.rows)]
    phi_z = [p.xreplace(dict(zip(forms_u, z, strict=True))) for p in phi]
    if any(set(u) & p.free_symbols for p in phi_z):
        return None
    back = [p.xreplace(dict(zip(z, forms_u, strict=True))) for p in phi_z]
    if any(a != b and sp.expand(a - b) != 0 for a, b in zip(back, phi, strict=True)):
        return None
    return phi_z, z, list(M * sp.Matrix(xi))


def _minors(problem: Problem, red: Reduction) -> Reduction | None:
    """``c - ||P|| >= 0`` for symmetric ``P`` <=> every principal minor of ``cI - P``
    and of ``cI + P`` is ``>= 0`` (Sylvester's criterion for semidefiniteness)."""
    if len(red.margins) != 1 or len(red.norms) != 1 or red.strict:
        return None
    ((ph, P),) = red.norms.items()
    g = red.margins[0]
    c = g + ph
    if c.free_symbols or not P.is_square or P.rows > 4:
        return None
    k = P.rows
    for i in range(k):
        for j in range(i + 1, k):
            if P[i, j] != P[j, i] and sp.simplify(P[i, j] - P[j, i]) != 0:
                return None
    P = P.applyfunc(tight_softmax)
    margins, alternates = [], []
    for sign in (-1, 1):
        Q = c * sp.eye(k) + sign * P
        for r in range(1, k + 1):
            for idx in itertools.combinations(range(k), r):
                raw = _det(Q.extract(list(idx), list(idx)))
                small = _simplify_exp_rational(raw) if k <= 2 else raw
                if sp.count_ops(small) <= 200 and small != raw:
                    margins.append(small)
                    alternates.append((raw,))
                else:
                    margins.append(raw)
                    alternates.append((small,) if small != raw else ())
    return Reduction(
        name=red.name + "+minors",
        steps=red.steps
        + (
            f"P symmetric (checked): ||P|| <= {c} iff every principal minor of {c}I -+ P is "
            ">= 0 (Sylvester)",
        ),
        stages=red.stages,
        margins=tuple(margins),
        inner=red.inner,
        strict=red.strict,
        alternates=tuple(alternates),
    )


def _sample_sign(e: sp.Expr) -> int:
    """The sign of ``e`` with every free symbol at 0 (Arb), ``1`` when unknown: only a
    guess, since the reduction proves ``sign * e >= 0`` on every box it is used on."""
    try:
        v = Evaluator(None, {s: Iv.of(0) for s in e.free_symbols}, clamp=False)(e)
    except (KeyError, NotImplementedError, ZeroDivisionError, ValueError, TypeError):
        return 1
    return -1 if v < 0 else 1


def _is_symmetric(P: sp.Matrix) -> bool:
    if not P.is_square:
        return False
    return all(
        P[i, j] == P[j, i] or sp.simplify(P[i, j] - P[j, i]) == 0
        for i in range(P.rows)
        for j in range(i + 1, P.rows)
    )


def _gershgorin(problem: Problem, red: Reduction) -> Reduction | None:
    """``c - ||P|| >= 0`` from row (and column) sums: with ``sigma_ij P_ij >= 0`` on the
    box (``sigma_ij`` a sign, proved as a margin) ``|P_ij| = sigma_ij P_ij``, and
    ``||P||_2 <= sqrt(||P||_1 ||P||_inf)``; for symmetric ``P`` (checked) the rows
    suffice (E5's argument)."""
    if len(red.margins) != 1 or len(red.norms) != 1 or red.strict:
        return None
    ((ph, P),) = red.norms.items()
    c = red.margins[0] + ph
    if c.free_symbols or P.rows * P.cols > MAX_GERSHGORIN_ENTRIES:
        return None
    sym = _is_symmetric(P)
    sigma = [
        [0 if P[i, j] == 0 else _sample_sign(P[i, j]) for j in range(P.cols)] for i in range(P.rows)
    ]
    margins = [c - sp.Add(*[sigma[i][j] * P[i, j] for j in range(P.cols)]) for i in range(P.rows)]
    if not sym:
        margins += [
            c - sp.Add(*[sigma[i][j] * P[i, j] for i in range(P.rows)]) for j in range(P.cols)
        ]
    margins += [sigma[i][j] * P[i, j] for i in range(P.rows) for j in range(P.cols) if sigma[i][j]]
    tight = [tight_softmax(g) for g in margins]
    return Reduction(
        name=red.name + "+gershgorin",
        steps=red.steps
        + (
            f"||P|| <= sqrt(||P||_1 ||P||_inf) <= {c} by Gershgorin's "
            + ("rows (P symmetric, checked)" if sym else "rows and columns")
            + "; the sign of every entry is a margin",
        ),
        stages=red.stages,
        margins=tuple(margins),
        inner=red.inner,
        strict=False,
        alternates=tuple((t,) if t != g else () for g, t in zip(margins, tight, strict=True)),
    )


def _exp_monomials(inner: Sequence[sp.Symbol], ys: Sequence[sp.Symbol]):
    """``exp(c_0 + sum c_i v_i)`` (integer ``c_i``, constant ``c_0``) as
    ``exp(c_0) prod Y_i^c_i``; a function returning ``None`` for other arguments."""

    def one(e: sp.Expr) -> sp.Expr | None:
        arg = sp.expand(e.args[0])
        coeffs = [arg.coeff(v) for v in inner]
        if any(not c.is_Integer for c in coeffs):
            return None
        c0 = sp.expand(arg - sum(c * v for c, v in zip(coeffs, inner, strict=True)))
        if c0.free_symbols:
            return None
        return sp.exp(c0) * sp.Mul(*[y ** int(c) for y, c in zip(ys, coeffs, strict=True)])

    return one


def _entry_candidates(margins: Sequence[sp.Expr]) -> list[sp.Expr]:
    """The softmax-like entries ``1 / sum_j exp(b_j)`` occurring (to a negative power)
    in the margins, in a fixed order."""
    out: set[sp.Expr] = set()
    for g in margins:
        for a in sp.preorder_traversal(g):
            if a.is_Pow and a.exp.is_Integer and a.exp < 0 and _exp_sum(a.base) is not None:
                out.add(1 / a.base)
    return sorted(out, key=sp.default_sort_key)


def _solve_entry(U: sp.Expr, ys: Sequence[sp.Symbol], t: sp.Symbol):
    """For ``U = 1 / sum_j m_j(Y)`` (monomials), a ``Y_m`` occurring in one monomial
    only, with exponent +-1, and ``Y_m`` in terms of ``t = U`` and the other ``Y``."""
    base = sp.expand(1 / U)
    terms = sp.Add.make_args(base)
    for y in ys:
        having = [m for m in terms if y in m.free_symbols]
        if len(having) != 1:
            continue
        m = having[0]
        e = m.as_powers_dict().get(y)
        if e not in (1, -1):
            continue
        rest = sp.expand(base - m)
        coef = sp.cancel(m / y**e)
        if y in coef.free_symbols:
            continue
        return y, ((1 / t - rest) / coef) ** e
    return None


def _entry(problem: Problem, red: Reduction) -> Reduction | None:
    """Margins that are functions of one softmax entry ``u`` alone (G7: the entries sum
    to 1) become functions of a new variable ``t`` with range the enclosure of ``u``:
    ``g = h(u)`` is established by exact rational algebra in ``Y_i = exp(v_i)``
    (solving ``u = t`` for one ``Y_m``, cancelling, and substituting ``u`` back)."""
    inner = list(red.inner)
    if red.norms or not inner or red.strict:
        return None
    ys = [_internal(f"Yent{i + 1}", positive=True) for i in range(len(inner))]
    mono = _exp_monomials(inner, ys)
    memo: dict[sp.Expr, sp.Expr | None] = {}

    def to_y(e: sp.Expr) -> sp.Expr | None:
        rep = {}
        for a in e.atoms(sp.exp):
            if a not in memo:
                memo[a] = mono(a)
            if memo[a] is None:
                return None
            rep[a] = memo[a]
        h = e.xreplace(rep)
        return None if h.free_symbols & set(inner) else h

    tight = [tight_softmax(g) for g in red.margins]
    cands = _entry_candidates(tight)
    ts = [_real(f"t{i + 1}") for i in range(len(cands))]
    solved = []
    for u, t in zip(cands, ts, strict=True):
        U = to_y(u)
        solved.append(None if U is None else (U, _solve_entry(U, ys, t)))
    new, alts, used = [], [], []
    for g, gt in zip(red.margins, tight, strict=True):
        if _expired(problem):
            return None
        G = to_y(g)
        h = None
        if G is not None and sp.count_ops(G) <= MAX_ENTRY_OPS:
            for ci, sv in enumerate(solved):
                if sv is None or sv[1] is None:
                    continue
                U, (y, sol) = sv
                H = sp.cancel(sp.together(G.xreplace({y: sol})))
                if not H.free_symbols <= {ts[ci]}:
                    continue
                if sp.cancel(sp.together(H.xreplace({ts[ci]: U}) - G)) != 0:
                    continue
                h = (ci, H)
                break
        if h is None:  # the tight form first, the original as its alternate
            new.append(gt)
            alts.append((g,) if gt != g else ())
        else:
            ci, H = h
            if ci not in used:
                used.append(ci)
            fac = sp.factor(H)
            new.append(H)
            alts.append((fac,) if fac != H else ())
    if not used:
        return None
    used.sort()
    stages = red.stages + tuple(Stage(ts[ci], "expr", (cands[ci],)) for ci in used)
    return Reduction(
        name=red.name + "+entry",
        steps=red.steps
        + (
            "margins that are functions of one softmax entry u alone (checked by exact "
            "rational algebra in exp of the variables) are taken in t = u, t in the "
            "enclosure of u",
        ),
        stages=stages,
        margins=tuple(new),
        inner=red.inner + tuple(ts[ci] for ci in used),
        strict=False,
        alternates=tuple(alts),
    )


def _det(m: sp.Matrix) -> sp.Expr:
    """Determinant by Laplace expansion along the first row, without simplification
    (SymPy's ``det`` simplifies intermediate products, slowly and needlessly here)."""
    if m.rows == 1:
        return m[0, 0]
    return sp.Add(
        *[
            (-1) ** j * m[0, j] * _det(m.minor_submatrix(0, j))
            for j in range(m.cols)
            if m[0, j] != 0
        ]
    )


def _simplify_exp_rational(e: sp.Expr) -> sp.Expr:
    """Cancel ``e`` as a rational function of its ``exp`` atoms (exact algebra)."""
    exps = sorted(e.atoms(sp.exp), key=sp.default_sort_key)
    if not exps:
        return sp.cancel(e) if e.is_rational_function() else e
    Ys = [_internal(f"E_{i}", positive=True) for i in range(len(exps))]
    h = e.xreplace(dict(zip(exps, Ys, strict=True)))
    if not h.is_rational_function(*Ys) or h.free_symbols - set(Ys):
        return e
    h = sp.cancel(sp.together(h))
    return h.xreplace(dict(zip(Ys, exps, strict=True)))


def _exp_sum(e: sp.Expr) -> list[sp.Expr] | None:
    """The exponents ``b_j`` of ``e = sum_j c_j exp(b_j)`` (``c_j`` positive integers,
    a positive integer term counts as ``exp(0)``), or ``None``."""
    out: list[sp.Expr] = []
    for t in sp.Add.make_args(e):
        c, rest = t.as_coeff_Mul()
        if not (c.is_Integer and c > 0):
            return None
        if rest == 1:
            arg = sp.S.Zero
        elif isinstance(rest, sp.exp):
            arg = rest.args[0]
        else:
            return None
        out += [arg] * int(c)
    return out if len(out) > 1 else None


def tight_softmax(e: sp.Expr) -> sp.Expr:
    """Rewrite ``exp(k a) / (sum_j exp(b_j))^k`` as ``1 / (sum_j exp(b_j - a))^k`` (an
    exact identity): each softmax entry then has one occurrence of every variable
    with a fixed sign of monotonicity, so its enclosure is tight."""

    def fix(m: sp.Expr) -> sp.Expr:
        if not m.is_Mul:
            return m
        facs = list(m.args)
        for i, f in enumerate(facs):
            if not (f.is_Pow and f.exp.is_Integer and f.exp < 0):
                continue
            terms = _exp_sum(f.base)
            if terms is None:
                continue
            k = -int(f.exp)
            for j, g in enumerate(facs):
                if isinstance(g, sp.exp):
                    a = g.args[0] / k
                    new = sp.Add(*[sp.exp(sp.expand(b - a)) for b in terms]) ** (-k)
                    rest = [h for t, h in enumerate(facs) if t not in (i, j)]
                    return sp.Mul(*rest, new)
        return m

    return e.replace(lambda x: x.is_Mul, fix)


def _map_exprs(problem: Problem, red: Reduction, fn) -> tuple[tuple, dict] | None:
    """Apply ``fn`` to every margin and every entry of the norm matrices (``None``
    if some entry fails or the problem's deadline passes)."""
    margins = []
    for g in red.margins:
        if _expired(problem):
            return None
        h = fn(g)
        if h is None:
            return None
        margins.append(h)
    norms = {}
    for ph, P in red.norms.items():
        ents = []
        for e in P:
            if _expired(problem):
                return None
            h = fn(e)
            if h is None:
                return None
            ents.append(h)
        norms[ph] = sp.Matrix(P.rows, P.cols, ents)
    return tuple(margins), norms


def _linear_in(arg: sp.Expr, forms: list[sp.Expr], z: list[sp.Symbol]) -> sp.Expr | None:
    """``arg`` written as ``sum c_i forms_i`` (rational ``c_i``) in ``z``, or ``None``."""
    arg = sp.expand(arg)
    out = sp.S.Zero
    rest = arg
    for f, zi in zip(forms, z, strict=True):
        f = sp.expand(f)
        lead = sp.Add.make_args(f)[0]
        c = (
            sp.Poly(arg, *sorted(f.free_symbols, key=sp.default_sort_key)).coeff_monomial(lead)
            if lead.free_symbols
            else 0
        )
        c = sp.sympify(c)
        if c.free_symbols or not c.is_Rational:
            return None
        if c != 0:
            lc = lead.as_coeff_Mul()[0]
            c = c / lc
            rest = sp.expand(rest - c * f)
            out += c * zi
    return out if rest == 0 else None


def _subst_forms(
    e: sp.Expr, forms: list[sp.Expr], z: list[sp.Symbol], gone: set, memo: dict | None = None
) -> sp.Expr | None:
    """``e`` with every linear form ``forms_i`` (also inside ``exp`` arguments) replaced by
    ``z_i``; ``None`` if some symbol of ``gone`` remains.  ``memo`` caches the
    rewritten ``exp`` arguments across the entries of one reduction."""
    memo = {} if memo is None else memo
    rep = {}
    for a in e.atoms(sp.exp):
        if a.args[0].free_symbols & gone:
            if a.args[0] not in memo:
                memo[a.args[0]] = _linear_in(a.args[0], forms, z)
            lin = memo[a.args[0]]
            if lin is None:
                return None
            rep[a] = sp.exp(lin)
    h = e.xreplace(rep).xreplace(dict(zip(forms, z, strict=True)))
    return None if h.free_symbols & gone else h


def _atoms(problem: Problem, red: Reduction) -> Reduction | None:
    """Expressions in the box variables that depend on ``(M, v)`` only through ``z = M v``
    become expressions in ``z`` (range: the enclosure of ``M v`` over the box)."""
    if red.inner:
        return None
    for vname in ("x", "y", "b"):
        if vname not in problem.matrices:
            continue
        vec = list(problem.matrices[vname])
        for name, M, forms in _linear_forms(problem, vec):
            z = [_real(f"z{i + 1}") for i in range(M.rows)]
            gone = set(vec) | set(M)
            memo: dict = {}
            mapped = _map_exprs(
                problem, red, lambda e, f=forms, z=z, g=gone, m=memo: _subst_forms(e, f, z, g, m)
            )
            if mapped is None:
                continue
            margins, norms = mapped
            return Reduction(
                name=red.name + "+atoms",
                steps=red.steps
                + (f"the claim depends on {name}, {vname} only through z = {name} {vname}",),
                stages=red.stages + tuple(Stage(z[i], "expr", (forms[i],)) for i in range(M.rows)),
                margins=margins,
                inner=tuple(z),
                norms=norms,
                strict=red.strict,
            )
    return None


def _shift(problem: Problem, red: Reduction) -> Reduction | None:
    """An exact invariance ``g(z + tau 1) = g(z)`` (checked by exact rational-function
    algebra in ``exp(z_i)``) reduces ``z`` to ``delta_i = z_i - z_k``."""
    z = list(red.inner)
    if len(z) < 2:
        return None
    zs = {s.symbol: s for s in red.stages}
    if any(v not in zs or zs[v].kind != "expr" for v in z):
        return None
    k = len(z)
    X = _internal("X_shift", positive=True)
    Y = [_internal(f"Y{i + 1}", positive=True) for i in range(k - 1)]
    delta = [_real(f"delta{i + 1}") for i in range(k - 1)]

    memo: dict[sp.Expr, sp.Expr | None] = {}

    def monomial(e: sp.Expr) -> sp.Expr | None:
        """``exp(sum c_i z_i)`` as ``X^(sum c) prod Y_i^c_i`` (rational ``c_i``)."""
        arg = sp.expand(e.args[0])
        coeffs = [arg.coeff(v) for v in z]
        rest = sp.expand(arg - sum(c * v for c, v in zip(coeffs, z, strict=True)))
        if rest != 0 or any(c.free_symbols or not c.is_Rational for c in coeffs):
            return None
        return X ** sum(coeffs) * sp.Mul(*[Y[i] ** coeffs[i] for i in range(k - 1)])

    def reduce_one(g: sp.Expr) -> sp.Expr | None:
        rep = {}
        for e in g.atoms(sp.exp):
            if e not in memo:
                memo[e] = monomial(e)
            if memo[e] is None:
                return None
            rep[e] = memo[e]
        h = g.xreplace(rep)
        if set(z) & h.free_symbols:
            return None
        if not h.is_rational_function(X, *Y):
            return None
        if X in sp.cancel(sp.together(h)).free_symbols:
            return None
        # invariant: the value at z_k = 0, in the original (unexpanded) form
        return g.xreplace({**{z[i]: delta[i] for i in range(k - 1)}, z[-1]: sp.S.Zero})

    mapped = _map_exprs(problem, red, reduce_one)
    if mapped is None:
        return None
    margins, norms = mapped
    stages = list(red.stages)
    for i in range(k - 1):
        stages.append(Stage(delta[i], "expr", (zs[z[i]].exprs[0] - zs[z[-1]].exprs[0],)))
    return Reduction(
        name=red.name + "+shift",
        steps=red.steps
        + (
            "exact invariance under z -> z + tau 1 (softmax, G7), checked by "
            "rational-function algebra: delta_i = z_i - z_k",
        ),
        stages=tuple(stages),
        margins=margins,
        inner=tuple(delta),
        norms=norms,
        strict=red.strict,
    )


# --------------------------------------------------------------------------
# Ranges of reduced variables and the box tests
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class InnerInterval:
    """An exact interval ``[lo, hi]`` of a reduced variable; ``lo_sym``/``hi_sym``,
    when set, are the exact (symbolic) endpoints the rationals enclose."""

    lo: Fraction
    hi: Fraction
    lo_sym: sp.Expr | None = None
    hi_sym: sp.Expr | None = None

    def ball(self) -> Iv:
        return interval_ball(self.lo, self.hi)

    def to_json(self) -> list[str | None]:
        """``[lo, hi, exact lo, exact hi]`` (exact ends as text, for the reader: the
        checker recomputes them)."""
        return [
            frac_text(self.lo),
            frac_text(self.hi),
            None if self.lo_sym is None else str(self.lo_sym),
            None if self.hi_sym is None else str(self.hi_sym),
        ]

    def split(self, at: Fraction) -> tuple[InnerInterval, InnerInterval]:
        return (
            InnerInterval(self.lo, at, self.lo_sym, None),
            InnerInterval(at, self.hi, None, self.hi_sym),
        )


def stage_ranges(
    problem: Problem, red: Reduction, env: Mapping[sp.Symbol, arb]
) -> tuple[dict[sp.Symbol, arb], list[InnerInterval] | None]:
    """Evaluate the stages over ``env`` (the box): the extended environment and the
    exact ranges of the inner variables (``None`` if some range is not finite).

    A range clamped by a hypothesis ``E >= c`` (active on the box) has the exact
    lower end ``c``; the hull of two ranges with the same exact end keeps it.
    """
    env = dict(env)
    ends: dict[sp.Symbol, tuple[arb, arb, sp.Expr | None, sp.Expr | None]] = {}
    for st in red.stages:
        ev = Evaluator(problem, env, clamp=True)
        if st.kind == "expr":
            ends[st.symbol] = ev.bounds(st.exprs[0])
        else:
            parts = [ends[e] if e in ends else (ev(e).lo, ev(e).hi, None, None) for e in st.exprs]
            (la, ha, sla, sha), (lb, hb, slb, shb) = parts
            lo, hi = la.min(lb), ha.max(hb)
            lo_sym = sla if (sla is not None and sla == slb) else None
            hi_sym = sha if (sha is not None and sha == shb) else None
            ends[st.symbol] = (lo, hi, lo_sym, hi_sym)
        lo, hi = ends[st.symbol][:2]
        env[st.symbol] = Iv(lo, hi)
    ranges = []
    for s in red.inner:
        lo, hi, lo_sym, hi_sym = ends[s]
        blo, bhi = _exact_point(lo), _exact_point(hi)
        if blo is None or bhi is None:
            return env, None
        ranges.append(InnerInterval(blo, bhi, lo_sym, hi_sym))
    return env, ranges


def _inner_env(env, red: Reduction, box: Sequence[InnerInterval]) -> dict:
    out = dict(env)
    for s, iv in zip(red.inner, box, strict=True):
        out[s] = iv.ball()
    return out


def _ok(m: Iv, strict: bool) -> bool:
    return bool(m > 0) if strict else bool(m >= 0)


class _IvCode:
    """Straight-line Python source for the :class:`Iv` enclosure of SymPy expressions.

    Every subexpression without free symbols other than an integer (``E``, ``pi``,
    rationals, decimals, ``sqrt(2)``, ``exp(1/3)``, ...) becomes an entry of the
    constant table ``_k``, enclosed by :class:`Evaluator` (Arb) at the precision of
    each call; integers stay Python integers (exact in Arb).  Anything without an
    enclosure rule raises ``NotImplementedError``.
    """

    def __init__(self, inner: Sequence[sp.Symbol]) -> None:
        self.names: dict[sp.Basic, str] = {s: f"v{i}" for i, s in enumerate(inner)}
        self.consts: list[sp.Expr] = []
        self._const_index: dict[sp.Expr, int] = {}

    def const(self, e: sp.Expr) -> str:
        if e.is_Integer:
            return f"({int(e)})"
        if e not in self._const_index:
            self._const_index[e] = len(self.consts)
            self.consts.append(e)
        return f"_k[{self._const_index[e]}]"

    def emit(self, e: sp.Basic) -> str:
        if e in self.names:
            return self.names[e]
        if not e.free_symbols:
            return self.const(e)
        if e.is_Symbol:
            raise NotImplementedError(f"{e} is not an argument of the compiled code")
        if e.is_Pow:
            base, ex = self.emit(e.args[0]), e.args[1]
            if ex.is_Integer:
                return f"_ipow({base}, {int(ex)})"
            if ex.is_Rational:
                return f"_rpow({base}, {int(ex.p)}, {int(ex.q)})"
            return f"_gpow({base}, {self.emit(ex)})"
        args = [self.emit(a) for a in e.args]
        if e.is_Add:
            return "(" + " + ".join(args) + ")"
        if e.is_Mul:
            return "(" + " * ".join(args) + ")"
        name = _IV_FUNCTIONS.get(e.func)
        if name is None or (e.func is sp.log and len(e.args) != 1):
            raise NotImplementedError(f"no compiled enclosure for {type(e).__name__}: {e}")
        return f"{name}({', '.join(args)})"


#: SymPy functions with an :class:`Iv` enclosure in compiled code
_IV_FUNCTIONS = {
    sp.exp: "_exp",
    sp.cosh: "_cosh",
    sp.sinh: "_sinh",
    sp.tanh: "_tanh",
    sp.log: "_log",
    sp.Abs: "abs",
    sp.sign: "_sign",
    sp.Max: "_max",
    sp.Min: "_min",
}

#: the names compiled interval code sees (nothing else: no float or mpmath constant)
_IV_NAMESPACE: dict[str, Any] = {
    "__builtins__": {"abs": abs},
    "_of": Iv.of,
    "_ipow": lambda b, k: _ipow(Iv.of(b), k),
    "_rpow": iv_rpow,
    "_gpow": iv_gpow,
    "_exp": iv_exp,
    "_cosh": iv_cosh,
    "_sinh": iv_sinh,
    "_tanh": iv_tanh,
    "_log": iv_log,
    "_sign": iv_sign,
    "_max": _iv_max,
    "_min": _iv_min,
}


class _IvFunction:
    """Compiled :class:`Iv` code of a list of expressions: called with one ball (an
    ``arb`` or :class:`Iv`) per inner variable, returns the list of enclosures.
    The constant table is enclosed in Arb at the working precision of the call."""

    def __init__(self, fn: Any, consts: Sequence[sp.Expr], source: str) -> None:
        self.fn = fn
        self.consts = tuple(consts)
        self.source = source
        self._tables: dict[int, list[Iv]] = {}

    def table(self) -> list[Iv]:
        """Enclosures of the constants at the current ``ctx.prec`` (cached)."""
        prec = ctx.prec
        if prec not in self._tables:
            ev = Evaluator(None, {})
            self._tables[prec] = [ev(c) for c in self.consts]
        return self._tables[prec]

    def __call__(self, *args: Any) -> list[Iv]:
        return self.fn(self.table(), *args)


def _compile_iv(inner: Sequence[sp.Symbol], exprs: Sequence[sp.Expr]) -> _IvFunction | None:
    """``exprs`` (in ``inner`` only) as one compiled function of balls returning
    :class:`Iv` enclosures (common subexpressions computed once), or ``None`` when
    an expression uses anything else or has no enclosure rule."""
    if not inner or any(sp.sympify(g).free_symbols - set(inner) for g in exprs):
        return None
    code = _IvCode(inner)
    try:
        reps, reduced = sp.cse(list(exprs), symbols=sp.numbered_symbols("cse", cls=sp.Dummy))
        lines = [f"    {code.names[s]} = _of({code.names[s]})" for s in inner]
        for j, (sym, sub) in enumerate(reps):
            rhs = code.emit(sub)
            code.names[sym] = f"c{j}"
            lines.append(f"    c{j} = {rhs}")
        outs = ", ".join(f"_of({code.emit(r)})" for r in reduced)
    except (NotImplementedError, RecursionError):
        return None
    params = ", ".join(code.names[s] for s in inner)
    source = f"def _iv_code(_k, {params}):\n" + "\n".join(lines) + f"\n    return [{outs}]\n"
    namespace = dict(_IV_NAMESPACE)
    try:
        exec(compile(source, "<compiled interval code>", "exec"), namespace)  # noqa: S102
    except (SyntaxError, RecursionError, MemoryError):  # nested too deeply for Python
        return None
    fn = _IvFunction(namespace["_iv_code"], code.consts, source)
    try:
        fn.table()  # every constant has an Arb enclosure (else: not compiled)
    except (NotImplementedError, TypeError, ValueError, ZeroDivisionError):
        return None
    return fn


def _grad_values(red, k, env, box) -> list[Iv] | None:
    fn = red.compiled_list("grad", k)
    if fn is not None:
        try:
            return [Iv.of(v) for v in fn(*[iv.ball() for iv in box])]
        except (ZeroDivisionError, ValueError, TypeError):
            return None
    grad = red.gradient(k)
    if grad is None:
        return None
    ev_b = Evaluator(None, env, clamp=False, norms=red.norms)
    return [ev_b(gi) for gi in grad]


def _test_interval(problem, red, k, env, box, record):
    fn = red.compiled_margin(k) if red.inner else None
    if fn is not None:
        # the same interval evaluation, compiled (lambdified) instead of a tree walk
        try:
            m = Iv.of(fn(*[iv.ball() for iv in box])[0])
        except (ZeroDivisionError, ValueError, TypeError):
            m = Iv.whole()
        record["enclosure"] = m.str(5, radius=True)
        if _ok(m, red.strict):
            record["form"] = "compiled"
            return True
    ev = Evaluator(problem, env, clamp=red.clamp, norms=red.norms)
    forms = (red.margins[k],) + (red.alternates[k] if red.alternates else ())
    for j, g in enumerate(forms):
        if j == 0 and fn is not None:
            continue  # evaluated above
        m = ev(g)
        record["enclosure"] = m.str(5, radius=True)
        if _ok(m, red.strict):
            if j:
                record["form"] = j
            return True
    return False


def _test_centred(problem, red, k, env, box, record):
    grad = red.gradient(k)
    if grad is None or not red.inner:
        return False
    mid = {s: q_arb((iv.lo + iv.hi) / 2) for s, iv in zip(red.inner, box, strict=True)}
    ev_c = Evaluator(problem, {**env, **mid}, clamp=False, norms=red.norms)
    dg = _grad_values(red, k, env, box)
    if dg is None:
        return False
    m = ev_c(red.margins[k])
    for d, iv in zip(dg, box, strict=True):
        half = q_arb((iv.hi - iv.lo) / 2).upper()
        m = m + d * Iv(-half, half)
    record["enclosure"] = m.str(5, radius=True)
    return _ok(m, red.strict)


def _corner_value(iv: InnerInterval, upper: bool) -> sp.Expr:
    if upper:
        return (
            iv.hi_sym if iv.hi_sym is not None else sp.Rational(iv.hi.numerator, iv.hi.denominator)
        )
    return iv.lo_sym if iv.lo_sym is not None else sp.Rational(iv.lo.numerator, iv.lo.denominator)


def _sympy_nonneg(value: sp.Expr, strict: bool, prec: int) -> bool:
    """Rigorous sign of an exact constant: an Arb enclosure, and SymPy only to
    recognise an exact zero when the enclosure contains 0."""
    if value.free_symbols:
        return False
    with ctx.workprec(max(prec, 256)):
        v = Evaluator(None, {})(value)
    if _ok(v, strict):
        return True
    if strict or v.hi < 0 or v.lo > 0:
        return False
    return value == 0 or _simplifies_to_zero(value)


def _exact_zero(value: sp.Expr, prec: int) -> bool:
    """``value == 0`` exactly (Arb excludes nonzero values cheaply first)."""
    if value == 0:
        return True
    if value.free_symbols:
        return False
    with ctx.workprec(max(prec, 256)):
        v = Evaluator(None, {})(value)
    if v.hi < 0 or v.lo > 0:
        return False
    return _simplifies_to_zero(value)


def _simplifies_to_zero(value: sp.Expr) -> bool:
    """SymPy recognises ``value == 0``; not attempted (``False``) beyond
    :data:`MAX_SIMPLIFY_OPS` operations, whose simplification has no time bound."""
    return sp.count_ops(value) <= MAX_SIMPLIFY_OPS and sp.simplify(value) == 0


def _test_monotone(problem, red, k, env, box, record):
    """Partial derivatives of one sign fix the variable at the minimising end; at a
    corner the margin is evaluated exactly (endpoints exact, e.g. a hypothesis bound)."""
    grad = red.gradient(k)
    if grad is None or not red.inner:
        return False
    dgs = _grad_values(red, k, env, box)
    if dgs is None:
        return False
    fixed: dict[sp.Symbol, sp.Expr] = {}
    ends = []
    for dg, s, iv in zip(dgs, red.inner, box, strict=True):
        if dg >= 0:
            fixed[s] = _corner_value(iv, upper=False)
            ends.append("lower")
        elif dg <= 0:
            fixed[s] = _corner_value(iv, upper=True)
            ends.append("upper")
        else:
            ends.append("free")
    if not fixed:
        return False
    g = red.margins[k]
    record["ends"] = ends
    if len(fixed) == len(red.inner) and not (g.free_symbols - set(red.inner)):
        value = g.xreplace(fixed)
        record["corner"] = [sp.srepr(v) for v in fixed.values()]
        return _sympy_nonneg(value, red.strict, ctx.prec)
    ev = Evaluator(
        problem,
        {**env, **{s: Evaluator(None, {})(v) for s, v in fixed.items()}},
        clamp=False,
        norms=red.norms,
    )
    m = ev(g)
    record["enclosure"] = m.str(5, radius=True)
    return _ok(m, red.strict)


def _critical_candidates(red: Reduction, k: int, box) -> list[tuple[Fraction, ...]]:
    """Rational points that may be exact minimisers of margin ``k``: 0 and the
    rounded numerical minimum (a bounded number of float64 L-BFGS-B steps)."""
    cands: list[tuple[Fraction, ...]] = []
    if all(iv.lo <= 0 <= iv.hi for iv in box):
        cands.append(tuple(Fraction(0) for _ in box))
    try:
        from scipy.optimize import minimize

        f = red.numpy_margin(k)
        x0 = np.array([float((iv.lo + iv.hi) / 2) for iv in box])
        bounds = [(float(iv.lo), float(iv.hi)) for iv in box]
        res = minimize(
            lambda v: float(f(*v)),
            x0,
            bounds=bounds,
            method="L-BFGS-B",
            options={"maxiter": 200, "maxfun": 2000},
        )
        p = tuple(Fraction(float(c)).limit_denominator(64) for c in res.x)
        if all(iv.lo <= c <= iv.hi for c, iv in zip(p, box, strict=True)) and p not in cands:
            cands.append(p)
    except (ValueError, TypeError, OverflowError, ZeroDivisionError, NameError):
        pass
    return cands


def _test_second_order(problem, red, k, env, box, record):
    """``g(p*) >= 0`` and ``grad g(p*) = 0`` exactly at a rational ``p*`` of the box and
    the Hessian enclosure over the box positive semidefinite (Gershgorin) => ``g >= 0``."""
    grad, hess = red.gradient(k), red.hessian(k)
    g = red.margins[k]
    if hess is None or not red.inner or red.strict or (g.free_symbols - set(red.inner)):
        return False
    kdim = len(red.inner)
    fn = red.compiled_list("hess", k)
    if fn is not None:
        try:
            flat = [Iv.of(v) for v in fn(*[iv.ball() for iv in box])]
        except (ZeroDivisionError, ValueError, TypeError):
            return False
        H = [flat[i * kdim : (i + 1) * kdim] for i in range(kdim)]
    else:
        ev_b = Evaluator(problem, env, clamp=False, norms=red.norms)
        H = [[ev_b(h) for h in row] for row in hess]
    for i, row in enumerate(H):
        off = sum((abs(h) for j, h in enumerate(row) if j != i), Iv.of(arb(0)))
        if not (row[i] - off >= 0):
            return False
    for p in _critical_candidates(red, k, box):
        sub = {
            s: sp.Rational(c.numerator, c.denominator) for s, c in zip(red.inner, p, strict=True)
        }
        if not _sympy_nonneg(g.xreplace(sub), False, ctx.prec):
            continue
        if all(_exact_zero(gi.xreplace(sub), ctx.prec) for gi in grad):
            record["point"] = [frac_text(c) for c in p]
            return True
    return False


TESTS = {
    "interval": _test_interval,
    "centred": _test_centred,
    "monotone": _test_monotone,
    "second-order": _test_second_order,
}


def run_test(
    name: str,
    problem: Problem,
    red: Reduction,
    k: int,
    env: Mapping[sp.Symbol, arb],
    box: Sequence[InnerInterval],
) -> tuple[bool, dict[str, Any]]:
    """Run test ``name`` for margin ``k`` of ``red`` on the inner ``box`` (reduced
    variables) within the box environment ``env``; returns (passed, record)."""
    record: dict[str, Any] = {"test": name, "margin": k}
    full = _inner_env(env, red, box) if red.inner else dict(env)
    try:
        ok = TESTS[name](problem, red, k, full, box, record)
    except (ZeroDivisionError, ValueError, NotImplementedError, OverflowError):
        ok = False
    return ok, record
