"""A canonical form for lowered ``IndexedBase``/``Sum`` expressions (symbolic n, d).

SymPy's ``simplify`` is unreliable on ``Sum``/``KroneckerDelta`` expressions, so
identities at symbolic size are decided here by a small normaliser of our own:

1. expand into *terms* ``coeff * prod(atom**e)`` summed over dummy indices;
   ``exp`` of a sum becomes a product of ``exp`` atoms, so ``exp(sum_k A[j,k] x[k])``
   is one atom ``U[j]``;
2. collapse ``KroneckerDelta`` against a summed dummy;
3. a dummy occurring in no factor becomes its range length (``n`` or ``d``); a
   dummy occurring in one factor only is folded into an atom ``Sum(factor, l)``,
   so ``sum_l U[l]`` is the atom ``alpha`` and cancels against ``1/alpha``;
4. rename dummies canonically (all permutations within a range, minimal key);
5. collect equal terms.

An expression is proved zero when every collected coefficient cancels.  A
non-empty result does *not* prove the expression non-zero (the form is
canonical for the polynomial/exponential expressions of the model, not for
everything SymPy can write); callers refute by evaluation at explicit sizes.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field

import sympy as sp

__all__ = ["Term", "normal_terms", "normalise", "is_zero", "NormaliseError"]

#: Permutation search is exhaustive up to this many dummies of one range.
_MAX_PERMUTED = 7


class NormaliseError(ValueError):
    """The expression has a form the normaliser does not handle."""


@dataclass
class Term:
    """``coeff * prod(atom**exp)`` summed over ``dummies`` (``(symbol, length)``)."""

    coeff: sp.Expr
    factors: dict[sp.Expr, sp.Expr] = field(default_factory=dict)
    dummies: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()

    def times(self, other: Term) -> Term:
        fac = dict(self.factors)
        for a, e in other.factors.items():
            fac[a] = fac.get(a, 0) + e
        return Term(self.coeff * other.coeff, fac, self.dummies + other.dummies)

    def to_expr(self) -> sp.Expr:
        body = self.coeff * sp.Mul(*[a**e for a, e in self.factors.items()])
        for j, length in reversed(self.dummies):
            body = sp.Sum(body, (j, 0, length - 1))
        return body


class _Normaliser:
    def __init__(self, depth: int = 0, ranges: Mapping[sp.Symbol, sp.Expr] | None = None) -> None:
        self.depth = depth
        self.fresh = 0
        #: lengths of the index ranges known here: free indices (given) and the
        #: dummies of the enclosing sums (while their bodies are normalised)
        self.scope: dict[sp.Symbol, sp.Expr] = dict(ranges or {})

    # ---------------------------------------------------------------- terms
    def dummy(self) -> sp.Symbol:
        self.fresh += 1
        return sp.Dummy(f"t{self.depth}_{self.fresh}", integer=True)

    def terms(self, e: sp.Expr) -> list[Term]:
        if e.is_Number:
            return [] if e == 0 else [Term(e)]
        if isinstance(e, sp.NumberSymbol) or (
            e.is_number and not e.free_symbols and not e.atoms(sp.Sum, sp.Derivative)
        ):
            # a constant (E, sqrt(2), exp(1)**2): a coefficient, decided by expansion
            return [] if e == 0 else [Term(e)]
        if isinstance(e, sp.Add):
            return [t for a in e.args for t in self.terms(a)]
        if isinstance(e, sp.Mul):
            out = [Term(sp.S.One)]
            for a in e.args:
                out = self.product(out, self.terms(a))
                if not out:
                    return []
            return out
        if isinstance(e, sp.Pow):
            return self.power(e.base, e.exp)
        if isinstance(e, sp.exp):
            return self.exponential(e.args[0])
        if isinstance(e, sp.Sum):
            return self.summation(e)
        if isinstance(e, sp.KroneckerDelta):
            a, b = e.args
            if a == b:
                return [Term(sp.S.One)]
            if (a - b).is_Number:
                return []
            return [Term(sp.S.One, {sp.KroneckerDelta(a, b): sp.S.One})]
        if isinstance(e, sp.Symbol) and e.name in ("n", "d") and e.is_integer:
            return [Term(e)]
        if isinstance(e, (sp.Symbol, sp.Indexed)):
            return [Term(sp.S.One, {e: sp.S.One})]
        if isinstance(e, (sp.Piecewise, sp.Derivative, sp.Integral)):
            raise NormaliseError(f"cannot normalise {type(e).__name__}: {e}")
        if isinstance(e, sp.Function):
            atom = e.func(*[self.canonical(a) for a in e.args])
            return [Term(sp.S.One, {atom: sp.S.One})]
        raise NormaliseError(f"cannot normalise {type(e).__name__}: {e}")

    def product(self, ps: list[Term], qs: list[Term]) -> list[Term]:
        out = []
        for p in ps:
            used = {j for j, _ in p.dummies}
            for q in qs:
                if any(j in used for j, _ in q.dummies):
                    q = self.refresh(q)  # the same Sum met twice: rename its dummies
                t = self.finish(p.times(q))
                if t is not None:
                    out.append(t)
        return out

    def power(self, base: sp.Expr, ex: sp.Expr) -> list[Term]:
        if ex.is_Integer and ex > 0:
            parts = self.terms(base)
            out = [Term(sp.S.One)]
            for _ in range(int(ex)):
                # a fresh copy of the dummies for each factor
                out = self.product(out, [self.refresh(t) for t in parts])
            return out
        parts = self.terms(base)
        if not parts:
            raise NormaliseError(f"zero raised to the power {ex}")
        if len(parts) == 1 and not parts[0].dummies and _splits(parts[0], ex):
            (t,) = parts
            return [Term(t.coeff**ex, {a: e * ex for a, e in t.factors.items()})]
        content = _content(parts)
        if content != 1:
            # (g B)**q = g**q B**q for a rational g > 0 and real B, so that
            # (e^z + e^-z)/2 and e^z + e^-z give the same atom
            prim = sp.Add(*[Term(t.coeff / content, t.factors, t.dummies).to_expr() for t in parts])
            return [Term(content**ex, {self.canonical(prim): ex})]
        return [Term(sp.S.One, {self.canonical(base): ex})]

    def exponential(self, arg: sp.Expr) -> list[Term]:
        """``exp(sum_m T_m) = prod_m exp(T_m)``, ``exp(q T) = exp(T)**q`` (q rational)."""
        out = Term(sp.S.One)
        for t in self.terms(arg):
            q = t.coeff if t.coeff.is_Rational else sp.S.One
            unit = Term(t.coeff / q, t.factors, t.dummies)
            atom = sp.exp(self.canonical(unit.to_expr()), evaluate=False)
            out = out.times(Term(sp.S.One, {atom: q}))
        return [out]

    def summation(self, e: sp.Sum) -> list[Term]:
        body, binders = e.function, []
        for j, lo, hi in e.limits:
            if isinstance(j, sp.Dummy) and lo == 0:
                binders.append((j, hi + 1))  # already unique; clashes renamed in product
                continue
            new = self.dummy()
            body = body.xreplace({j: new + lo})
            binders.append((new, hi - lo + 1))
        for new, length in reversed(binders):
            body = _Bound(body, new, length)
        saved = dict(self.scope)
        self.scope.update(binders)
        try:
            return self._bound_terms(body)
        finally:
            self.scope = saved

    def _bound_terms(self, b) -> list[Term]:
        if not isinstance(b, _Bound):
            return self.terms(b)
        out = []
        for t in self._bound_terms(b.body):
            t = self.finish(Term(t.coeff, t.factors, t.dummies + ((b.var, b.length),)))
            if t is not None:
                out.append(t)
        return out

    def refresh(self, t: Term) -> Term:
        """The same term with new dummy symbols."""
        if not t.dummies:
            return t
        rep = {j: self.dummy() for j, _ in t.dummies}
        return Term(
            t.coeff,
            {a.xreplace(rep): e for a, e in t.factors.items()},
            tuple((rep[j], m) for j, m in t.dummies),
        )

    # ------------------------------------------------------------- finishing
    def finish(self, t: Term) -> Term | None:
        """Collapse deltas, drop unused dummies, fold single-factor dummies."""
        if t.coeff == 0:
            return None
        t = Term(t.coeff, {a: e for a, e in t.factors.items() if e != 0}, t.dummies)
        changed = True
        while changed:
            changed = False
            dummies = dict(t.dummies)
            for a in list(t.factors):
                if not isinstance(a, sp.KroneckerDelta):
                    continue
                p, q = a.args
                if p in dummies or q in dummies:
                    old, new = (p, q) if p in dummies else (q, p)
                    # sum_old delta(old, new) g(old) = g(new) only when new lies in
                    # old's range: require a known range of the same length
                    known = dummies.get(new, self.scope.get(new))
                    if known is None or sp.simplify(known - dummies[old]) != 0:
                        continue
                    t = _substitute(t, a, old, new)
                    if t is None:
                        return None
                    changed = True
                    break
                # delta(p, q) g(p) = delta(p, q) g(q) pointwise, for free indices
                power = t.factors[a]
                if (
                    isinstance(p, sp.Symbol)
                    and isinstance(q, sp.Symbol)
                    and power.is_Integer
                    and power > 0
                ):
                    old, new = sorted((p, q), key=lambda s: s.name, reverse=True)
                    if any(old in _free(b) for b in t.factors if b != a):
                        t = _rewrite_keeping(t, a, old, new)
                        if t is None:
                            return None
                        changed = True
                        break
        # unused dummies -> their length; single-factor dummies -> fold
        changed = True
        while changed:
            changed = False
            for j, length in t.dummies:
                holders = [a for a in t.factors if j in _free(a)]
                rest = tuple(p for p in t.dummies if p[0] != j)
                if not holders:
                    t = Term(t.coeff * length, t.factors, rest)
                    changed = True
                    break
                if len(holders) == 1:
                    (a,) = holders
                    ex = t.factors[a]
                    fac = {k: v for k, v in t.factors.items() if k != a}
                    atom = self.fold(a**ex, j, length)
                    fac[atom] = fac.get(atom, 0) + 1
                    if fac[atom] == 0:
                        del fac[atom]
                    t = Term(t.coeff, fac, rest)
                    changed = True
                    break
        return t

    def fold(self, body: sp.Expr, j: sp.Symbol, length: sp.Expr) -> sp.Expr:
        # depth-free name, unique along nesting (it counts the Sums inside)
        name = f"_f{sum(1 for _ in body.atoms(sp.Sum))}"
        bound = sp.Symbol(name, integer=True)
        return sp.Sum(body.xreplace({j: bound}), (bound, 0, length - 1))

    # ------------------------------------------------------------ canonical
    def canonical(self, e: sp.Expr) -> sp.Expr:
        """A canonical SymPy expression for a sub-expression (an atom's argument)."""
        inner = _Normaliser(self.depth + 1, self.scope)
        collected = collect(inner.terms(e), prefix=f"_c{inner.depth}_")
        return sp.Add(*[t.to_expr() for t in collected])


def _content(parts: list[Term]) -> sp.Rational:
    """The positive rational gcd of the terms' coefficients (1 unless all are rational)."""
    coeffs = [t.coeff for t in parts]
    if not coeffs or not all(c.is_Rational for c in coeffs):
        return sp.S.One
    g = functools.reduce(sp.gcd, coeffs)
    return abs(g) if g else sp.S.One


def _splits(t: Term, ex: sp.Expr) -> bool:
    """``(c prod a^e)^q = c^q prod a^(e q)``: always for integer ``q``; for other
    ``q`` when ``c > 0`` and every atom is positive, or one atom to the power 1."""
    if ex.is_Integer:
        return True
    if not t.coeff.is_positive:
        return False
    if all(a.is_positive for a in t.factors):
        return True
    return len(t.factors) == 1 and next(iter(t.factors.values())) == 1


class _Bound:
    """A pending ``Sum`` binder while a ``Sum`` is converted to terms."""

    def __init__(self, body, var, length) -> None:
        self.body, self.var, self.length = body, var, length


def _replaced_factors(
    t: Term, delta: sp.Expr, old: sp.Symbol, new: sp.Expr
) -> dict[sp.Expr, sp.Expr] | None:
    """The factors of ``t`` but ``delta``, with ``old -> new``: a Kronecker delta that
    becomes ``delta(p, p)`` is 1 (dropped), one between two different numbers makes
    the term 0 (``None``)."""
    fac: dict[sp.Expr, sp.Expr] = {}
    for a, e in t.factors.items():
        if a == delta:
            continue
        a2 = a.xreplace({old: new})
        if isinstance(a2, sp.KroneckerDelta):
            p, q = a2.args
            if p == q:
                continue
            if (p - q).is_Number:
                return None
        fac[a2] = fac.get(a2, 0) + e
    return fac


def _substitute(t: Term, delta: sp.Expr, old: sp.Symbol, new: sp.Expr) -> Term | None:
    fac = _replaced_factors(t, delta, old, new)
    if fac is None:
        return None
    return Term(t.coeff, fac, tuple(p for p in t.dummies if p[0] != old))


def _rewrite_keeping(t: Term, delta: sp.Expr, old: sp.Symbol, new: sp.Symbol) -> Term | None:
    """``old -> new`` in every factor but ``delta = KroneckerDelta(old, new)`` itself."""
    fac = _replaced_factors(t, delta, old, new)
    if fac is None:
        return None
    fac[delta] = fac.get(delta, 0) + t.factors[delta]
    return Term(t.coeff, {a: e for a, e in fac.items() if e != 0}, t.dummies)


# --------------------------------------------------------------------------
# Canonical renaming and collection
# --------------------------------------------------------------------------
def _key(factors: dict[sp.Expr, sp.Expr]) -> tuple:
    return tuple(sorted((_srepr(a), _srepr(e)) for a, e in factors.items()))


@functools.lru_cache(maxsize=65536)
def _srepr(e: sp.Basic) -> str:
    return sp.srepr(e)


@functools.lru_cache(maxsize=65536)
def _free(e: sp.Basic) -> frozenset:
    return frozenset(e.free_symbols)


def canonical_term(t: Term, prefix: str = "_c0_") -> Term:
    """Rename the dummies of ``t`` to ``{prefix}{range}{index}``, choosing the
    permutation (within each range) with the smallest key."""
    if not t.dummies:
        return t
    groups: dict[str, list[tuple[sp.Symbol, sp.Expr]]] = {}
    for j, length in t.dummies:
        groups.setdefault(str(length), []).append((j, length))
    group_keys = sorted(groups)
    names = {
        g: [sp.Symbol(f"{prefix}{g}_{m}", integer=True) for m in range(len(groups[g]))]
        for g in group_keys
    }
    perms = [
        itertools.permutations(groups[g])
        if len(groups[g]) <= _MAX_PERMUTED
        else [sorted(groups[g], key=lambda p: str(p[0]))]
        for g in group_keys
    ]
    best = None
    for choice in itertools.product(*perms):
        rep = {}
        for g, order in zip(group_keys, choice, strict=True):
            for (j, _), name in zip(order, names[g], strict=True):
                rep[j] = name
        fac = {a.xreplace(rep): e for a, e in t.factors.items()}
        key = _key(fac)
        if best is None or key < best[0]:
            new_dummies = tuple(
                (names[g][m], groups[g][0][1]) for g in group_keys for m in range(len(groups[g]))
            )
            best = (key, Term(t.coeff, fac, new_dummies))
    return best[1]


def collect(parts: list[Term], prefix: str = "_c0_") -> list[Term]:
    """Canonically rename every term, add equal terms, drop those that cancel."""
    table: dict[tuple, Term] = {}
    for t in parts:
        c = canonical_term(t, prefix)
        key = (_key(c.factors), tuple(str(m) for _, m in c.dummies))
        if key in table:
            old = table[key]
            table[key] = Term(old.coeff + c.coeff, old.factors, old.dummies)
        else:
            table[key] = c
    out = []
    for key in sorted(table):
        t = table[key]
        coeff = sp.expand(t.coeff)
        if coeff != 0:
            out.append(Term(coeff, t.factors, t.dummies))
    return out


def normal_terms(e: sp.Expr, ranges: Mapping[sp.Symbol, sp.Expr] | None = None) -> list[Term]:
    """The collected canonical terms of ``e`` (empty list: ``e`` is zero).

    ``ranges`` gives the length of the range ``0..length-1`` of each free index;
    a Kronecker delta is collapsed only against an index of a known range of the
    same length."""
    norm = _Normaliser(0, ranges)
    return collect(norm.terms(sp.sympify(e)))


def normalise(e: sp.Expr, ranges: Mapping[sp.Symbol, sp.Expr] | None = None) -> sp.Expr:
    """The canonical form of ``e`` as a SymPy expression (``0`` when it cancels)."""
    return sp.Add(*[t.to_expr() for t in normal_terms(e, ranges)])


def is_zero(e: sp.Expr, ranges: Mapping[sp.Symbol, sp.Expr] | None = None) -> bool:
    """True when the normal form of ``e`` is zero: a proof that ``e == 0``."""
    return not normal_terms(e, ranges)
