"""The certificate checker's own enclosures and derivations.

Nothing here uses the prover's enclosure code (:mod:`softproof.numeric.boxes` intervals,
evaluators, tests or reductions; :mod:`softproof.numeric.balls`): only python-flint Arb
and SymPy.  The checker takes the statement lowered to scalar SymPy expressions
(:class:`softproof.numeric.boxes.Problem`, derivation only) and

* encloses expressions over boxes with :class:`Enclose` (inf-sup intervals with
  Arb endpoints; every constant enclosed by Arb itself: ``e`` by
  ``arb.const_e()``, ``p/q`` by ``arb(p)/arb(q)``; a division by an interval
  containing 0, a logarithm or square root off its domain, NaN or an unknown
  function raises :class:`Reject`, so the leaf is rejected);
* re-derives every reduction by name (:func:`derive`: ``direct``,
  ``direct-norm``, ``mean-value``, then ``+chain``, ``+atoms``, ``+shift``,
  ``+minors``), each step checked symbolically here;
* re-decides every margin on an inner box (:func:`prove_margin`: interval,
  centred form, monotonicity with exact corners, second order at an exact
  critical point), with derivatives taken by SymPy here.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import reduce
from typing import Any

import sympy as sp
from flint import arb, ctx
from sympy import MatAdd, MatMul

from softproof.derivations import model

__all__ = [
    "Reject",
    "Ivl",
    "Enclose",
    "Red",
    "derive",
    "stage_ranges",
    "prove_margin",
    "opnorm_bounds",
    "q_interval",
    "REDUCTION_STEPS",
    "TESTS",
]

#: reduction steps the checker re-derives (anything else is rejected)
REDUCTION_STEPS = ("chain", "atoms", "shift", "minors", "gershgorin", "entry")
#: tests the checker re-runs
TESTS = ("interval", "monotone", "centred", "second-order")
#: expressions larger than this are not differentiated or simplified here
MAX_OPS = 2000
MAX_HESS_OPS = 300
MAX_SIMPLIFY_OPS = 300


class Reject(Exception):
    """An enclosure or a derivation step the checker cannot establish."""


# --------------------------------------------------------------------------
# Intervals with Arb endpoints
# --------------------------------------------------------------------------
class Ivl:
    """A closed interval ``[lo, hi]``; ``lo``, ``hi`` are exact Arb values (every
    operation rounds outward through ``lower()``/``upper()`` of Arb balls)."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo: arb, hi: arb) -> None:
        if lo.is_nan() or hi.is_nan() or not lo <= hi:
            raise Reject("not an interval (NaN or empty)")
        self.lo, self.hi = lo, hi

    @staticmethod
    def ball(b: arb) -> Ivl:
        if b.is_nan():
            raise Reject("NaN enclosure")
        return Ivl(b.lower(), b.upper())

    def finite(self) -> bool:
        return bool(self.lo.is_finite() and self.hi.is_finite())

    def __add__(self, o: Ivl) -> Ivl:
        lo, hi = (self.lo + o.lo).lower(), (self.hi + o.hi).upper()
        # x + y >= x when y >= 0 (and <= x when y <= 0): exact ends survive rounding
        if o.lo >= 0 and self.lo > lo:
            lo = self.lo
        if self.lo >= 0 and o.lo > lo:
            lo = o.lo
        if o.hi <= 0 and self.hi < hi:
            hi = self.hi
        if self.hi <= 0 and o.hi < hi:
            hi = o.hi
        return Ivl(lo, hi)

    def __neg__(self) -> Ivl:
        return Ivl(-self.hi, -self.lo)

    def __sub__(self, o: Ivl) -> Ivl:
        return self + (-o)

    def __mul__(self, o: Ivl) -> Ivl:
        ps = [a * b for a in (self.lo, self.hi) for b in (o.lo, o.hi)]
        if any(p.is_nan() for p in ps):  # 0 * inf
            raise Reject("product of an unbounded interval")
        return Ivl(
            reduce(arb.min, [p.lower() for p in ps]), reduce(arb.max, [p.upper() for p in ps])
        )

    def recip(self) -> Ivl:
        if not (self.lo > 0 or self.hi < 0):
            raise Reject("division by an interval containing 0")
        return Ivl((1 / self.hi).lower(), (1 / self.lo).upper())

    def absolute(self) -> Ivl:
        if self.lo >= 0:
            return self
        if self.hi <= 0:
            return -self
        return Ivl(arb(0), (-self.lo).max(self.hi))

    def mono(self, fn) -> Ivl:
        """``fn`` increasing on the interval."""
        return Ivl(fn(self.lo).lower(), fn(self.hi).upper())

    def hull(self, o: Ivl) -> Ivl:
        return Ivl(self.lo.min(o.lo), self.hi.max(o.hi))

    def nonneg(self, strict: bool) -> bool:
        return bool(self.lo > 0) if strict else bool(self.lo >= 0)

    def __repr__(self) -> str:
        return f"[{self.lo.str(6, radius=False)}, {self.hi.str(6, radius=False)}]"


def _cosh(v: Ivl) -> Ivl:
    """``cosh`` over ``v``: at least 1, its largest value at an end of ``v``."""
    if v.lo >= 0:
        lo, hi = v.lo.cosh().lower(), v.hi.cosh().upper()
    elif v.hi <= 0:
        lo, hi = v.hi.cosh().lower(), v.lo.cosh().upper()
    else:
        lo, hi = arb(1), v.lo.cosh().max(v.hi.cosh()).upper()
    return Ivl(lo.max(arb(1)), hi)


def q_interval(q: Fraction) -> Ivl:
    """An interval enclosing the exact rational ``q`` (``arb(p)/arb(q)``)."""
    b = arb(q.numerator) / arb(q.denominator)
    return Ivl(b.lower(), b.upper())


def q_range(lo: Fraction, hi: Fraction) -> Ivl:
    return Ivl(q_interval(lo).lo, q_interval(hi).hi)


def _ipow(b: Ivl, k: int) -> Ivl:
    if k == 0:
        return Ivl(arb(1), arb(1))
    n = abs(k)
    if n % 2 == 0:
        a = b.absolute()
        p = Ivl((a.lo**n).lower(), (a.hi**n).upper())
    else:
        p = Ivl((b.lo**n).lower(), (b.hi**n).upper())
    return p if k > 0 else p.recip()


# --------------------------------------------------------------------------
# Spectral norm of an interval matrix
# --------------------------------------------------------------------------
def opnorm_bounds(entries: Sequence[Sequence[Ivl]]) -> Ivl:
    """Rigorous bounds of ``||M||_2`` over every ``M`` with entries in the intervals:
    above ``min(||M||_F, sqrt(||M||_1 ||M||_inf))`` with entrywise magnitudes, below
    the largest entry magnitude (``|m_ij| <= ||M||_2``)."""
    mags = [[e.absolute() for e in row] for row in entries]
    zero = Ivl(arb(0), arb(0))
    frob = reduce(lambda p, q: p + q, (_ipow(m, 2) for row in mags for m in row), zero)
    rows = [reduce(lambda p, q: p + q, row, zero) for row in mags]
    cols = [reduce(lambda p, q: p + q, col, zero) for col in zip(*mags, strict=True)]
    n_inf = reduce(lambda p, q: Ivl(p.lo.max(q.lo), p.hi.max(q.hi)), rows)
    n_one = reduce(lambda p, q: Ivl(p.lo.max(q.lo), p.hi.max(q.hi)), cols)
    up_f = frob.hi.sqrt().upper()
    up_h = (n_one.hi * n_inf.hi).sqrt().upper()
    lo = reduce(arb.max, (m.lo for row in mags for m in row), arb(0))
    up = up_f.min(up_h)
    if up.is_nan():
        raise Reject("spectral norm bound is NaN")
    return Ivl(lo, up.max(lo))


# --------------------------------------------------------------------------
# Enclosure of lowered scalar expressions
# --------------------------------------------------------------------------
Clamps = Mapping[sp.Expr, tuple[tuple[sp.Expr, ...], tuple[sp.Expr, ...]]]


class Enclose:
    """Enclose scalar SymPy expressions over ``env`` (symbol -> :class:`Ivl`).

    ``norms`` map spectral-norm placeholders to their matrices; ``clamps`` map a
    sub-expression ``E`` to constant lower and upper bounds that hypotheses give it
    (sound where the hypotheses hold, which is all the claim needs).
    """

    def __init__(
        self,
        env: Mapping[sp.Symbol, Ivl],
        norms: Mapping[sp.Symbol, sp.Matrix] | None = None,
        clamps: Clamps | None = None,
    ) -> None:
        self.env = env
        self.norms = dict(norms or {})
        self.clamps = clamps or {}
        self.memo: dict[sp.Basic, Ivl] = {}

    def __call__(self, e: sp.Basic) -> Ivl:
        v = self.memo.get(e)
        if v is None:
            v = self.bounds(e)[0]
            self.memo[e] = v
        return v

    def bounds(self, e: sp.Basic) -> tuple[Ivl, sp.Expr | None, sp.Expr | None]:
        """The enclosure of ``e`` and the exact constant ends a hypothesis gives it."""
        v = self._eval(e)
        c = self.clamps.get(e)
        if c is None:
            return v, None, None
        lo, hi, lo_sym, hi_sym = v.lo, v.hi, None, None
        for b_expr in c[0]:
            b = self(b_expr)
            if lo <= b.hi and (lo_sym is None or b.lo > lo):
                lo, lo_sym = b.lo, b_expr
        for b_expr in c[1]:
            b = self(b_expr)
            if hi >= b.lo and (hi_sym is None or b.hi < hi):
                hi, hi_sym = b.hi, b_expr
        if not lo <= hi:  # the hypothesis fails on the whole box: keep the enclosure
            return v, None, None
        return Ivl(lo, hi), lo_sym, hi_sym

    def _eval(self, e: sp.Basic) -> Ivl:
        if e.is_Symbol:
            if e in self.env:
                return self.env[e]
            if e in self.norms:
                m = self.norms[e]
                return opnorm_bounds(
                    [[self(m[i, j]) for j in range(m.cols)] for i in range(m.rows)]
                )
            raise Reject(f"no value for {e}")
        if e.is_Integer:
            return Ivl.ball(arb(int(e)))
        if e.is_Rational:
            return Ivl.ball(arb(int(e.p)) / arb(int(e.q)))
        if e is sp.E:
            return Ivl.ball(arb.const_e())
        if e is sp.pi:
            return Ivl.ball(arb.pi())
        if e.is_Add:
            return reduce(lambda p, q: p + q, [self(a) for a in e.args])
        if e.is_Mul:
            return reduce(lambda p, q: p * q, [self(a) for a in e.args])
        if e.is_Pow:
            return self._pow(e)
        f = e.func
        if f is sp.exp:
            return self(e.args[0]).mono(arb.exp)
        if f is sp.cosh:
            return _cosh(self(e.args[0]))
        if f is sp.sinh:
            return self(e.args[0]).mono(arb.sinh)
        if f is sp.tanh:
            t = self(e.args[0]).mono(arb.tanh)
            return Ivl(t.lo.max(arb(-1)), t.hi.min(arb(1)))
        if f is sp.log:
            v = self(e.args[0])
            if not v.lo > 0:
                raise Reject("logarithm of an interval reaching 0")
            return v.mono(arb.log)
        if f is sp.Abs:
            return self(e.args[0]).absolute()
        if f is sp.Max:
            vs = [self(a) for a in e.args]
            return Ivl(reduce(arb.max, [v.lo for v in vs]), reduce(arb.max, [v.hi for v in vs]))
        if f is sp.Min:
            vs = [self(a) for a in e.args]
            return Ivl(reduce(arb.min, [v.lo for v in vs]), reduce(arb.min, [v.hi for v in vs]))
        if f is sp.sign:
            v = self(e.args[0])
            lo = arb(1) if v.lo > 0 else (arb(0) if v.lo >= 0 else arb(-1))
            hi = arb(-1) if v.hi < 0 else (arb(0) if v.hi <= 0 else arb(1))
            return Ivl(lo, hi)
        raise Reject(f"no enclosure for {type(e).__name__}")

    def _pow(self, e: sp.Pow) -> Ivl:
        base, ex = e.args
        b = self(base)
        if ex.is_Integer:
            return _ipow(b, int(ex))
        if ex == sp.S.Half:
            if not b.lo >= 0:
                raise Reject("square root of an interval reaching below 0")
            return b.mono(arb.sqrt)
        if ex == -sp.S.Half:
            if not b.lo > 0:
                raise Reject("1/sqrt of an interval reaching 0")
            return b.mono(arb.sqrt).recip()
        if not b.lo > 0:
            raise Reject("real power of an interval reaching 0")
        return (self(ex) * b.mono(arb.log)).mono(arb.exp)


def point_value(value: sp.Expr, strict: bool, prec: int) -> bool:
    """``value >= 0`` (``> 0`` if ``strict``) for an exact constant: Arb, and SymPy
    only to recognise an exact zero the enclosure cannot exclude."""
    if value.free_symbols:
        return False
    with ctx.workprec(max(prec, 256)):
        try:
            v = Enclose({})(value)
        except Reject:
            return False
    if v.nonneg(strict):
        return True
    if strict or v.hi < 0 or v.lo > 0:
        return False
    return is_zero(value)


def is_zero(value: sp.Expr) -> bool:
    """Exactly zero (SymPy, bounded in size)."""
    if value == 0:
        return True
    return sp.count_ops(value) <= MAX_SIMPLIFY_OPS and sp.simplify(value) == 0


# --------------------------------------------------------------------------
# Reductions, re-derived here
# --------------------------------------------------------------------------
@dataclass
class Red:
    """Margins ``>= 0`` (``> 0`` if ``strict``) over the ranges of ``inner`` (given by
    ``stages`` over the box) imply the claim on the box."""

    name: str
    stages: list[tuple[sp.Symbol, str, tuple[sp.Expr, ...]]]
    margins: list[sp.Expr]
    inner: list[sp.Symbol]
    norms: dict[sp.Symbol, sp.Matrix] = field(default_factory=dict)
    strict: bool = False
    clamp: bool = False
    forms: list[list[sp.Expr]] = field(default_factory=list)
    phi: Any = None
    cache: dict[Any, Any] = field(default_factory=dict)
    #: the statement's spectral-norm placeholders (matrices in the box variables)
    outer_norms: dict[sp.Symbol, sp.Matrix] = field(default_factory=dict)

    def all_norms(self) -> dict[sp.Symbol, sp.Matrix]:
        return {**self.outer_norms, **self.norms}

    def all_forms(self, k: int) -> list[sp.Expr]:
        return [self.margins[k]] + (self.forms[k] if self.forms else [])

    def gradient(self, k: int) -> list[sp.Expr] | None:
        key = ("grad", k)
        if key not in self.cache:
            g = self.margins[k]
            if (
                not self.inner
                or g.free_symbols & set(self.norms)
                or g.has(sp.Abs, sp.Max, sp.Min, sp.sign)
                or sp.count_ops(g) > MAX_OPS
            ):
                self.cache[key] = None
            else:
                self.cache[key] = [sp.diff(g, v) for v in self.inner]
        return self.cache[key]

    def hessian(self, k: int) -> list[list[sp.Expr]] | None:
        key = ("hess", k)
        if key not in self.cache:
            grad = self.gradient(k)
            if grad is None or sp.count_ops(self.margins[k]) > MAX_HESS_OPS:
                self.cache[key] = None
            else:
                self.cache[key] = [[sp.diff(gi, v) for v in self.inner] for gi in grad]
        return self.cache[key]


def _real(name: str) -> sp.Symbol:
    return _internal(name, real=True)


def _internal(name: str, **assumptions: bool) -> sp.Symbol:
    """A symbol of this module's own (a reduced variable, a placeholder): its name
    ends in ``'``, which no statement's name can (names are identifiers), so a
    parameter named ``z1`` or ``Y1`` is never taken for it."""
    return sp.Symbol(name + "'", **assumptions)


def _entries(v: sp.Basic) -> list[sp.Expr]:
    return list(v) if isinstance(v, sp.MatrixBase) else [v]


def derive(problem: Any, name: str) -> Red:
    """The reduction ``name`` re-derived from the problem (raises :class:`Reject`)."""
    parts = name.split("+")
    base, steps = parts[0], parts[1:]
    if any(s not in REDUCTION_STEPS for s in steps) or len(set(steps)) != len(steps):
        raise Reject(f"unknown reduction {name!r}")
    lhs, op, rhs = problem.claim
    strict = op == "<"
    if base == "direct":
        red = Red(name, [], [rhs - lhs], [], strict=strict, clamp=True)
    elif base == "direct-norm":
        if lhs not in problem.placeholders or rhs.free_symbols:
            raise Reject("direct-norm needs a claim ||P|| <= constant")
        red = Red(name, [], [rhs - lhs], [], {lhs: problem.placeholders[lhs]}, strict=strict)
    elif base == "mean-value":
        red = _mean_value(problem, strict)
    else:
        raise Reject(f"unknown reduction {name!r}")
    if base == "direct" and steps:
        raise Reject(f"unknown reduction {name!r}")
    for step in steps:
        red = {
            "chain": _chain,
            "atoms": _atoms,
            "shift": _shift,
            "minors": _minors,
            "gershgorin": _gershgorin,
            "entry": _entry,
        }[step](problem, red)
    red.name = name
    red.outer_norms = dict(problem.placeholders)
    return red


def _norm_arg(e: sp.Basic) -> sp.Basic | None:
    if isinstance(e, model.Norm) and e.kind == "2":
        return e.arg
    if isinstance(e, sp.Abs):
        return e.args[0]
    return None


def _difference(L: sp.Basic) -> tuple[sp.Basic, sp.Basic | None] | None:
    """``L = U - W`` as ``(U, W)``; a single term as ``(L, None)``."""
    if model.is_matrix(L):
        if not isinstance(L, MatAdd):
            return L, None
        if len(L.args) != 2:
            return None
        neg = [a for a in L.args if isinstance(a, MatMul) and a.args[0] == -1]
        pos = [a for a in L.args if a not in neg]
        if len(pos) != 1 or len(neg) != 1:
            return None
        rest = neg[0].args[1:]
        return pos[0], (rest[0] if len(rest) == 1 else MatMul(*rest).doit())
    if isinstance(L, sp.Add):
        if len(L.args) != 2:
            return None
        neg = [a for a in L.args if a.as_coeff_Mul()[0] == -1]
        pos = [a for a in L.args if a not in neg]
        if len(pos) != 1 or len(neg) != 1:
            return None
        return pos[0], -neg[0]
    return L, None


def _mean_value(problem: Any, strict: bool) -> Red:
    """``||Phi(U, W)|| <= K ||U - W||`` with ``Phi(w, w) = 0`` and ``Phi`` smooth in
    ``u``: ``Phi(U, W) = J (U - W)``, ``J`` an average of ``dPhi/du`` over the segment,
    so ``||dPhi/du (xi)|| <= K`` for ``xi`` in the hull of ``U, W`` suffices."""
    claim = problem.statement.claim
    if strict:
        raise Reject("the mean-value form does not give a strict bound")
    G = _norm_arg(claim.lhs)
    if G is None or (model.is_matrix(G) and G.shape[1] != 1):
        raise Reject("mean-value needs a claim ||G|| <= K ||U - W||")
    factors = sp.Mul.make_args(claim.rhs)
    for i, fac in enumerate(factors):
        L = _norm_arg(fac)
        if L is None or (model.is_matrix(L) and L.shape[1] != 1):
            continue
        split = _difference(L)
        if split is None:
            continue
        K = sp.Mul(*(factors[:i] + factors[i + 1 :]))
        red = _mean_value_form(problem, G, split[0], split[1], K)
        if red is not None:
            return red
    raise Reject("the claim is not of mean-value form")


def _mean_value_form(problem: Any, G, U, W, K) -> Red | None:
    G_low = _entries(problem.lower(G))
    U_low = _entries(problem.lower(U))
    W_low = _entries(problem.lower(W)) if W is not None else [sp.S.Zero] * len(U_low)
    if len(U_low) != len(W_low):
        return None
    k = len(U_low)
    u = [_real(f"cu{j + 1}") for j in range(k)]
    w = [_real(f"cw{j + 1}") for j in range(k)]
    xi = [_real(f"cxi{j + 1}") for j in range(k)]
    rep = {}
    for j in range(k):
        for expr, sym in ((U_low[j], u[j]), (W_low[j], w[j])):
            if expr.free_symbols:
                if expr in rep:
                    return None
                rep[expr] = sym
    phi = [g.xreplace(rep) for g in G_low]
    # Phi must be a function of u, w (and the other variables) only: substituting back
    # gives G, and no entry of U or W survives the substitution
    back = {sym: expr for expr, sym in rep.items()}
    for p, g in zip(phi, G_low, strict=True):
        if p.xreplace(back) != g:
            return None
    wval = [w[j] if W_low[j].free_symbols else W_low[j] for j in range(k)]
    if not any(set(u) & p.free_symbols for p in phi):
        return None
    for p in phi:
        atw = p.xreplace(dict(zip(u, wval, strict=True)))
        if not is_zero(atw):
            return None
        for a in sp.preorder_traversal(p):
            bad = isinstance(a, (sp.Abs, sp.Max, sp.Min, sp.sign)) or a in problem.placeholders
            if bad and set(u) & a.free_symbols:
                return None
    K_low = problem.lower(K)
    if isinstance(K_low, sp.MatrixBase) or set(u) & K_low.free_symbols:
        return None
    if any(sp.count_ops(p) > MAX_OPS for p in phi):
        return None
    jac = sp.Matrix([[sp.diff(p, uj) for uj in u] for p in phi])
    jac_xi = jac.xreplace(dict(zip(u, xi, strict=True)))
    stages: list[tuple[sp.Symbol, str, tuple[sp.Expr, ...]]] = []
    for j in range(k):
        if U_low[j].free_symbols:
            stages.append((u[j], "expr", (U_low[j],)))
        if W_low[j].free_symbols:
            stages.append((w[j], "expr", (W_low[j],)))
        stages.append((xi[j], "hull", (u[j] if U_low[j].free_symbols else U_low[j], wval[j])))
    norms = {}
    if jac_xi.shape == (1, 1):
        margin = K_low - sp.Abs(jac_xi[0, 0])
    else:
        ph = _internal("copnormJ", nonnegative=True)
        norms[ph] = jac_xi
        margin = K_low - ph
    return Red("mean-value", stages, [margin], xi, norms, phi=(phi, u, xi))


def _placeholder_of(problem: Any, M: sp.Matrix) -> sp.Symbol | None:
    for ph, P in problem.placeholders.items():
        if P.shape == M.shape and P == M:
            return ph
    return None


def _chain(problem: Any, red: Red) -> Red:
    """``Phi(u) = Phi_z(M u)`` exactly, so ``dPhi/du = J_z M`` and
    ``||dPhi/du|| <= ||J_z|| ||M||``; with ``K = c ||M||`` it suffices that
    ``||J_z(z)|| <= c`` for ``z`` in the range of ``M xi``."""
    if red.phi is None or len(red.norms) != 1 or red.inner == [] or red.name != "mean-value":
        raise Reject("chain applies to a mean-value reduction with a norm")
    ((ph, _jac),) = red.norms.items()
    phi, u, xi = red.phi
    K_low = red.margins[0] + ph
    for name in ("A", "At"):
        M = problem.matrices.get(name)
        if M is None or M.cols != len(xi):
            continue
        ph_M = _placeholder_of(problem, M)
        if ph_M is None:
            continue
        c = sp.simplify(K_low / ph_M)
        if c.free_symbols:
            continue
        forms_u = list(M * sp.Matrix(u))
        z = [_real(f"cz{i + 1}") for i in range(M.rows)]
        phi_z = [p.xreplace(dict(zip(forms_u, z, strict=True))) for p in phi]
        if any(set(u) & p.free_symbols for p in phi_z):
            continue
        back = [p.xreplace(dict(zip(z, forms_u, strict=True))) for p in phi_z]
        if any(a != b and sp.expand(a - b) != 0 for a, b in zip(back, phi, strict=True)):
            continue
        jz = sp.Matrix([[sp.diff(p, zj) for zj in z] for p in phi_z])
        phz = _internal("copnormJz", nonnegative=True)
        forms_xi = list(M * sp.Matrix(xi))
        stages = list(red.stages) + [(z[i], "expr", (forms_xi[i],)) for i in range(len(z))]
        return Red("chain", stages, [c - phz], z, {phz: jz}, strict=red.strict)
    raise Reject("no chain rule through A applies")


def _map(red: Red, fn) -> tuple[list[sp.Expr], dict[sp.Symbol, sp.Matrix]]:
    margins = [fn(g) for g in red.margins]
    norms = {ph: sp.Matrix(P.rows, P.cols, [fn(e) for e in P]) for ph, P in red.norms.items()}
    return margins, norms


def _linear_combination(arg: sp.Expr, forms: list[sp.Expr], z: list[sp.Symbol]) -> sp.Expr:
    """``arg = sum c_i forms_i`` with rational ``c_i`` (checked exactly) as ``sum c_i z_i``."""
    rest = sp.expand(arg)
    out = sp.S.Zero
    for f, zi in zip(forms, z, strict=True):
        f = sp.expand(f)
        lead = sp.Add.make_args(f)[0]
        lc, mono = lead.as_coeff_Mul()
        if not mono.free_symbols:
            raise Reject("a linear form without variables")
        c = rest.coeff(mono)
        if c.free_symbols or not c.is_Rational:
            raise Reject("not a rational linear combination")
        if c != 0:
            c = c / lc
            rest = sp.expand(rest - c * f)
            out += c * zi
    if rest != 0:
        raise Reject("not a linear combination of the forms")
    return out


def _atoms(problem: Any, red: Red) -> Red:
    """Margins that depend on ``(M, v)`` only through ``z = M v`` rewritten in ``z``."""
    if red.inner:
        raise Reject("atoms applies to a reduction in the box variables")
    for vname in ("x", "y", "b"):
        vec_m = problem.matrices.get(vname)
        if vec_m is None:
            continue
        vec = list(vec_m)
        for name in ("A", "At"):
            M = problem.matrices.get(name)
            if M is None or M.cols != len(vec):
                continue
            forms = list(M * sp.Matrix(vec))
            z = [_real(f"cz{i + 1}") for i in range(M.rows)]
            gone = set(vec) | set(M)

            def sub(e: sp.Expr, forms=forms, z=z, gone=gone) -> sp.Expr:
                rep = {}
                for a in e.atoms(sp.exp):
                    if a.args[0].free_symbols & gone:
                        rep[a] = sp.exp(_linear_combination(a.args[0], forms, z))
                h = e.xreplace(rep).xreplace(dict(zip(forms, z, strict=True)))
                if h.free_symbols & gone:
                    raise Reject("not a function of z alone")
                return h

            try:
                margins, norms = _map(red, sub)
            except Reject:
                continue
            stages = list(red.stages) + [(z[i], "expr", (forms[i],)) for i in range(M.rows)]
            return Red("atoms", stages, margins, z, norms, strict=red.strict)
    raise Reject("no linear atoms z = A v")


def _shift(problem: Any, red: Red) -> Red:
    """``g(z + tau 1) = g(z)`` (exact rational-function algebra in ``exp(z_i)``)
    reduces ``z`` to ``delta_i = z_i - z_k``."""
    z = list(red.inner)
    stage_of = {s: (kind, exprs) for s, kind, exprs in red.stages}
    if len(z) < 2 or any(stage_of.get(v, ("", ()))[0] != "expr" for v in z):
        raise Reject("shift needs at least two staged variables")
    k = len(z)
    X = _internal("cX", positive=True)
    Y = [_internal(f"cY{i + 1}", positive=True) for i in range(k - 1)]
    delta = [_real(f"cdelta{i + 1}") for i in range(k - 1)]

    def monomial(e: sp.Expr) -> sp.Expr:
        arg = sp.expand(e.args[0])
        coeffs = [arg.coeff(v) for v in z]
        if any(c.free_symbols or not c.is_Rational for c in coeffs):
            raise Reject("exponent not linear in z")
        if sp.expand(arg - sum(c * v for c, v in zip(coeffs, z, strict=True))) != 0:
            raise Reject("exponent not linear in z")
        return X ** sum(coeffs) * sp.Mul(*[Y[i] ** coeffs[i] for i in range(k - 1)])

    def reduce_one(g: sp.Expr) -> sp.Expr:
        h = g.xreplace({e: monomial(e) for e in g.atoms(sp.exp)})
        if set(z) & h.free_symbols or not h.is_rational_function(X, *Y):
            raise Reject("not a rational function of exp(z)")
        if X in sp.cancel(sp.together(h)).free_symbols:
            raise Reject("not invariant under z -> z + tau 1")
        return g.xreplace({**{z[i]: delta[i] for i in range(k - 1)}, z[-1]: sp.S.Zero})

    margins, norms = _map(red, reduce_one)
    stages = list(red.stages)
    for i in range(k - 1):
        stages.append((delta[i], "expr", (stage_of[z[i]][1][0] - stage_of[z[-1]][1][0],)))
    return Red("shift", stages, margins, delta, norms, strict=red.strict)


def _exp_ratio_zero(a: sp.Expr) -> bool:
    """``a == 0`` exactly: every ``exp(sum c_i v_i + c_0)`` (rational ``c_i`` with a
    common denominator ``L``) becomes ``exp(c_0) prod Y_i^(L c_i)`` with
    ``Y_i = exp(v_i / L)`` and the rational function in ``Y`` is cancelled; other
    forms fall back to SymPy's ``simplify``."""
    args = [e.args[0] for e in a.atoms(sp.exp)]
    syms = sorted(set().union(*[x.free_symbols for x in args]), key=sp.default_sort_key)
    ys = {v: _internal(f"cY_{v.name}", positive=True) for v in syms}
    rep = {}
    all_coeffs = {}
    for e in a.atoms(sp.exp):
        arg = sp.expand(e.args[0])
        coeffs = [arg.coeff(v) for v in syms]
        if any(not c.is_Rational for c in coeffs):
            return is_zero(a)
        all_coeffs[e] = (arg, coeffs)
    den = sp.ilcm(1, *[c.q for _, cs in all_coeffs.values() for c in cs])
    for e, (arg, coeffs) in all_coeffs.items():
        coeffs = [c * den for c in coeffs]
        const = sp.expand(arg - sum(c * v / den for c, v in zip(coeffs, syms, strict=True)))
        if const.free_symbols:
            return is_zero(a)
        rep[e] = sp.exp(const) * sp.Mul(
            *[ys[v] ** int(c) for v, c in zip(syms, coeffs, strict=True)]
        )
    h = a.xreplace(rep)
    if h.free_symbols - set(ys.values()) or not h.is_rational_function(*ys.values()):
        return is_zero(a)
    return sp.cancel(sp.together(h)) == 0


def _tight_entry(e: sp.Expr) -> sp.Expr:
    """``exp(k a) / (sum_j exp(b_j))^k`` as ``1 / (sum_j exp(b_j - a))^k`` (the same
    function: every variable then occurs once with one sign of monotonicity)."""

    def fix(m: sp.Expr) -> sp.Expr:
        facs = list(m.args)
        for i, f in enumerate(facs):
            if not (f.is_Pow and f.exp.is_Integer and f.exp < 0):
                continue
            terms = []
            for t in sp.Add.make_args(f.base):
                c, rest = t.as_coeff_Mul()
                if not (c.is_Integer and c > 0):
                    break
                if rest == 1:
                    terms += [sp.S.Zero] * int(c)
                elif isinstance(rest, sp.exp):
                    terms += [rest.args[0]] * int(c)
                else:
                    break
            else:
                if len(terms) < 2:
                    continue
                kk = -int(f.exp)
                for j, g in enumerate(facs):
                    if isinstance(g, sp.exp):
                        a = g.args[0] / kk
                        new = sp.Add(*[sp.exp(sp.expand(b - a)) for b in terms]) ** (-kk)
                        rest_f = [h for t, h in enumerate(facs) if t not in (i, j)]
                        return sp.Mul(*rest_f, new)
        return m

    out = e.replace(lambda x: x.is_Mul, fix)
    if out != e and not _exp_ratio_zero(out - e):
        return e  # not recognised as equal: keep the original
    return out


def _det(m: sp.Matrix) -> sp.Expr:
    if m.rows == 1:
        return m[0, 0]
    return sp.Add(
        *[
            (-1) ** j * m[0, j] * _det(m.minor_submatrix(0, j))
            for j in range(m.cols)
            if m[0, j] != 0
        ]
    )


def _cancel_exp(e: sp.Expr) -> sp.Expr:
    """``e`` cancelled as a rational function of its ``exp`` atoms (exact algebra)."""
    exps = sorted(e.atoms(sp.exp), key=sp.default_sort_key)
    if not exps:
        return sp.cancel(e) if e.is_rational_function() else e
    ys = [_internal(f"cE{i}", positive=True) for i in range(len(exps))]
    h = e.xreplace(dict(zip(exps, ys, strict=True)))
    if not h.is_rational_function(*ys) or h.free_symbols - set(ys):
        return e
    return sp.cancel(sp.together(h)).xreplace(dict(zip(ys, exps, strict=True)))


def _minors(problem: Any, red: Red) -> Red:
    """``||P|| <= c`` for symmetric ``P`` iff ``cI - P`` and ``cI + P`` are positive
    semidefinite iff all their principal minors are ``>= 0``."""
    if len(red.margins) != 1 or len(red.norms) != 1 or red.strict:
        raise Reject("minors needs one margin c - ||P||")
    ((ph, P),) = red.norms.items()
    c = red.margins[0] + ph
    if c.free_symbols or not P.is_square or P.rows > 4:
        raise Reject("minors needs a constant c and a small square P")
    k = P.rows
    for i in range(k):
        for j in range(i + 1, k):
            if P[i, j] != P[j, i] and not is_zero(P[i, j] - P[j, i]):
                raise Reject("P is not symmetric")
    P = P.applyfunc(_tight_entry)
    margins, forms = [], []
    for sign in (-1, 1):
        Q = c * sp.eye(k) + sign * P
        for r in range(1, k + 1):
            for idx in itertools.combinations(range(k), r):
                raw = _det(Q.extract(list(idx), list(idx)))
                small = _cancel_exp(raw) if k <= 2 else raw
                if sp.count_ops(small) <= 200 and small != raw:
                    margins.append(small)
                    forms.append([raw])
                else:
                    margins.append(raw)
                    forms.append([small] if small != raw else [])
    return Red("minors", list(red.stages), margins, list(red.inner), {}, forms=forms)


def _guess_sign(e: sp.Expr) -> int:
    """The sign of ``e`` at 0 in every variable (``1`` when unknown); the reduction
    proves ``sign * e >= 0`` as a margin, so the guess needs no trust."""
    try:
        v = Enclose({s: Ivl(arb(0), arb(0)) for s in e.free_symbols})(e)
    except (Reject, KeyError, NotImplementedError, ZeroDivisionError, ValueError, TypeError):
        return 1
    return -1 if v.hi < 0 else 1


def _gershgorin(problem: Any, red: Red) -> Red:
    """``||P||_2 <= sqrt(||P||_1 ||P||_inf)``: with ``sigma_ij P_ij >= 0`` (margins)
    the row (and, unless ``P`` is symmetric, column) sums of ``sigma P`` bound
    ``||P||``; every margin is one of these sums or signs."""
    if len(red.margins) != 1 or len(red.norms) != 1 or red.strict:
        raise Reject("gershgorin needs one margin c - ||P||")
    ((ph, P),) = red.norms.items()
    c = red.margins[0] + ph
    if c.free_symbols:
        raise Reject("gershgorin needs a constant bound")
    symmetric = P.is_square and all(
        P[i, j] == P[j, i] or is_zero(P[i, j] - P[j, i])
        for i in range(P.rows)
        for j in range(i + 1, P.cols)
    )
    sign = [
        [0 if P[i, j] == 0 else _guess_sign(P[i, j]) for j in range(P.cols)] for i in range(P.rows)
    ]
    rows = [c - sp.Add(*[sign[i][j] * P[i, j] for j in range(P.cols)]) for i in range(P.rows)]
    cols = (
        []
        if symmetric
        else [c - sp.Add(*[sign[i][j] * P[i, j] for i in range(P.rows)]) for j in range(P.cols)]
    )
    signs = [sign[i][j] * P[i, j] for i in range(P.rows) for j in range(P.cols) if sign[i][j]]
    margins = rows + cols + signs
    forms = []
    for g in margins:
        t = _tight_entry(g)
        forms.append([t] if t != g else [])
    return Red("gershgorin", list(red.stages), margins, list(red.inner), {}, forms=forms)


def _exp_sum_base(b: sp.Expr) -> bool:
    """``b = sum_j c_j exp(a_j)`` with positive integer ``c_j`` (an integer term is
    ``c exp(0)``) and at least two terms counted with multiplicity."""
    count = 0
    for t in sp.Add.make_args(b):
        c, rest = t.as_coeff_Mul()
        if not (c.is_Integer and c > 0) or not (rest == 1 or isinstance(rest, sp.exp)):
            return False
        count += int(c)
    return count > 1


def _entry(problem: Any, red: Red) -> Red:
    """Margins equal to ``h(u)`` for a softmax entry ``u`` (checked: ``h(U(Y)) - G(Y)``
    cancels to 0 as a rational function of ``Y_i = exp(v_i)``) taken in ``t = u``."""
    inner = list(red.inner)
    if red.norms or not inner or red.strict:
        raise Reject("entry needs margins in reduced variables")
    ys = [_internal(f"cYe{i + 1}", positive=True) for i in range(len(inner))]

    def in_y(e: sp.Expr) -> sp.Expr | None:
        rep = {}
        for a in e.atoms(sp.exp):
            arg = sp.expand(a.args[0])
            cs = [arg.coeff(v) for v in inner]
            if not all(c.is_Integer for c in cs):
                return None
            c0 = sp.expand(arg - sum(c * v for c, v in zip(cs, inner, strict=True)))
            if c0.free_symbols:
                return None
            rep[a] = sp.exp(c0) * sp.Mul(*[y ** int(c) for y, c in zip(ys, cs, strict=True)])
        h = e.xreplace(rep)
        return None if h.free_symbols & set(inner) else h

    tight = [_tight_entry(g) for g in red.margins]
    found: set[sp.Expr] = set()
    for g in tight:
        for a in sp.preorder_traversal(g):
            if a.is_Pow and a.exp.is_Integer and a.exp < 0 and _exp_sum_base(a.base):
                found.add(1 / a.base)
    cands = sorted(found, key=sp.default_sort_key)
    ts = [_real(f"ct{i + 1}") for i in range(len(cands))]
    solutions = []
    for u, t in zip(cands, ts, strict=True):
        U = in_y(u)
        sol = None
        if U is not None:
            denom = sp.expand(1 / U)
            for y in ys:
                terms = [m for m in sp.Add.make_args(denom) if y in m.free_symbols]
                if len(terms) != 1:
                    continue
                e = terms[0].as_powers_dict().get(y)
                coef = sp.cancel(terms[0] / y**e) if e in (1, -1) else None
                if coef is None or y in coef.free_symbols:
                    continue
                sol = (y, ((1 / t - sp.expand(denom - terms[0])) / coef) ** e)
                break
        solutions.append((U, sol))
    margins, forms, used = [], [], set()
    for g, gt in zip(red.margins, tight, strict=True):
        G = in_y(g)
        done = False
        if G is not None and sp.count_ops(G) <= 4 * MAX_OPS:
            for i, (U, sol) in enumerate(solutions):
                if sol is None:
                    continue
                H = sp.cancel(sp.together(G.xreplace({sol[0]: sol[1]})))
                if not H.free_symbols <= {ts[i]}:
                    continue
                # the identity g = h(u), by exact rational-function algebra
                if sp.cancel(sp.together(H.xreplace({ts[i]: U}) - G)) != 0:
                    continue
                f = sp.factor(H)
                margins.append(H)
                forms.append([f] if f != H else [])
                used.add(i)
                done = True
                break
        if not done:
            margins.append(gt)
            forms.append([g] if gt != g else [])
    if not used:
        raise Reject("no margin is a function of one softmax entry")
    order = sorted(used)
    stages = list(red.stages) + [(ts[i], "expr", (cands[i],)) for i in order]
    return Red("entry", stages, margins, inner + [ts[i] for i in order], {}, forms=forms)


# --------------------------------------------------------------------------
# Ranges of the reduced variables
# --------------------------------------------------------------------------
def stage_ranges(
    red: Red, env: Mapping[sp.Symbol, Ivl], norms: Mapping[sp.Symbol, sp.Matrix], clamps: Clamps
) -> tuple[dict[sp.Symbol, Ivl], list[tuple[Ivl, sp.Expr | None, sp.Expr | None]]]:
    """The environment extended by the stages over the box, and for each inner
    variable its enclosure with the exact ends hypotheses give it."""
    env = dict(env)
    ends: dict[sp.Symbol, tuple[Ivl, sp.Expr | None, sp.Expr | None]] = {}
    for sym, kind, exprs in red.stages:
        ev = Enclose(env, norms, clamps)
        if kind == "expr":
            ends[sym] = ev.bounds(exprs[0])
        else:
            a, b = (ends[e] if e in ends else (ev(e), None, None) for e in exprs)
            lo_sym = a[1] if a[1] is not None and a[1] == b[1] else None
            hi_sym = a[2] if a[2] is not None and a[2] == b[2] else None
            ends[sym] = (a[0].hull(b[0]), lo_sym, hi_sym)
        env[sym] = ends[sym][0]
    return env, [ends[s] for s in red.inner]


# --------------------------------------------------------------------------
# The tests on an inner box
# --------------------------------------------------------------------------
@dataclass
class InnerBox:
    """Exact rational ranges of the inner variables with the exact constant ends
    (``lo_sym``/``hi_sym``) known to bound the variable where the hypotheses hold."""

    lo: list[Fraction]
    hi: list[Fraction]
    lo_sym: list[sp.Expr | None]
    hi_sym: list[sp.Expr | None]

    def intervals(self) -> list[Ivl]:
        return [q_range(a, b) for a, b in zip(self.lo, self.hi, strict=True)]


def prove_margin(
    test: str,
    red: Red,
    k: int,
    env: Mapping[sp.Symbol, Ivl],
    box: InnerBox,
    clamps: Clamps,
    record: Mapping[str, Any],
    prec: int,
) -> bool:
    """Margin ``k`` of ``red`` is ``>= 0`` (``> 0``) on the inner ``box`` by ``test``."""
    full = dict(env)
    full.update(zip(red.inner, box.intervals(), strict=True))
    try:
        if test == "interval":
            return _interval(red, k, full, clamps)
        if test == "centred":
            return _centred(red, k, full, box)
        if test == "monotone":
            return _monotone(red, k, full, box, prec)
        if test == "second-order":
            return _second_order(red, k, full, box, record, prec)
    except RecursionError:
        raise
    except Exception:  # noqa: BLE001 - a test that cannot run proves nothing
        return False
    return False


def _interval(red: Red, k: int, env, clamps: Clamps) -> bool:
    ev = Enclose(env, red.all_norms(), clamps if red.clamp else None)
    for g in red.all_forms(k):
        try:
            if ev(g).nonneg(red.strict):
                return True
        except Reject:
            continue
    return False


def _centred(red: Red, k: int, env, box: InnerBox) -> bool:
    grad = red.gradient(k)
    if grad is None:
        return False
    mids = [(a + b) / 2 for a, b in zip(box.lo, box.hi, strict=True)]
    at_mid = dict(env)
    at_mid.update({s: q_interval(m) for s, m in zip(red.inner, mids, strict=True)})
    m = Enclose(at_mid, red.all_norms())(red.margins[k])
    ev = Enclose(env, red.all_norms())
    for gi, a, b in zip(grad, box.lo, box.hi, strict=True):
        half = q_interval((b - a) / 2).hi
        m = m + ev(gi) * Ivl(-half, half)
    return m.nonneg(red.strict)


def _monotone(red: Red, k: int, env, box: InnerBox, prec: int) -> bool:
    grad = red.gradient(k)
    if grad is None:
        return False
    ev = Enclose(env, red.all_norms())
    g = red.margins[k]
    choices: list[list[sp.Expr]] = []
    fixed_any = False
    for gi, j in zip(grad, range(len(red.inner)), strict=True):
        d = ev(gi)
        if d.lo >= 0:
            ends = [_q(box.lo[j])] + ([box.lo_sym[j]] if box.lo_sym[j] is not None else [])
        elif d.hi <= 0:
            ends = [_q(box.hi[j])] + ([box.hi_sym[j]] if box.hi_sym[j] is not None else [])
        else:
            ends = [None]
        fixed_any = fixed_any or ends != [None]
        choices.append(ends)
    if not fixed_any:
        return False
    for corner in itertools.product(*choices):
        fixed = {s: v for s, v in zip(red.inner, corner, strict=True) if v is not None}
        if not _corner_ok(red, g, fixed, env, box, prec):
            continue
        return True
    return False


def _corner_ok(red: Red, g, fixed, env, box: InnerBox, prec: int) -> bool:
    """The margin with the variables ``fixed`` at exact ends is ``>= 0`` over the rest
    (an exact end from a hypothesis must lie in the inner box: checked)."""
    for j, s in enumerate(red.inner):
        v = fixed.get(s)
        if v is None or v.is_Rational:
            continue
        with ctx.workprec(max(prec, 256)):
            c = Enclose({})(v)
        # the exact end must not lie beyond the rational box ends
        if not (q_interval(box.lo[j]).hi <= c.lo and c.hi <= q_interval(box.hi[j]).lo):
            return False
    if len(fixed) == len(red.inner) and not (g.free_symbols - set(red.inner)):
        return point_value(g.xreplace(fixed), red.strict, prec)
    with ctx.workprec(max(prec, 256)):
        pts = {s: Enclose({})(v) for s, v in fixed.items()}
    return Enclose({**env, **pts}, red.all_norms())(g).nonneg(red.strict)


def _q(q: Fraction) -> sp.Rational:
    return sp.Rational(q.numerator, q.denominator)


def _second_order(red: Red, k: int, env, box: InnerBox, record, prec: int) -> bool:
    """Hessian diagonally dominant with nonnegative diagonal on the box (convex), the
    gradient exactly 0 and the margin ``>= 0`` at the recorded rational point."""
    g = red.margins[k]
    hess = red.hessian(k)
    if hess is None or red.strict or (g.free_symbols - set(red.inner)):
        return False
    point = record.get("point")
    if not isinstance(point, list) or len(point) != len(red.inner):
        return False
    p = [_rational_text(t) for t in point]
    if any(v is None or not lo <= v <= hi for v, lo, hi in zip(p, box.lo, box.hi, strict=True)):
        return False
    ev = Enclose(env, red.all_norms())
    for i, row in enumerate(hess):
        off = Ivl(arb(0), arb(0))
        for j, h in enumerate(row):
            if j != i:
                off = off + ev(h).absolute()
        if not (ev(row[i]) - off).lo >= 0:
            return False
    sub = {s: _q(v) for s, v in zip(red.inner, p, strict=True)}
    if not point_value(g.xreplace(sub), False, prec):
        return False
    grad = red.gradient(k) or []
    return all(_exact_zero(gi.xreplace(sub), prec) for gi in grad)


def _exact_zero(value: sp.Expr, prec: int) -> bool:
    if value == 0:
        return True
    if value.free_symbols:
        return False
    with ctx.workprec(max(prec, 256)):
        try:
            v = Enclose({})(value)
        except Reject:
            return False
    if v.hi < 0 or v.lo > 0:
        return False
    return is_zero(value)


def _rational_text(t: Any) -> Fraction | None:
    from .certificate import parse_rational

    try:
        return parse_rational(t, "point")
    except ValueError:
        return None
