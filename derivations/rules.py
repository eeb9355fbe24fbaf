"""Inference rules for machine-checked proof chains.

Each rule is a function ``rule(lhs, rhs, **args) -> StepCheck`` that CHECKS
that ``lhs <= rhs`` (or ``lhs == rhs`` for the rules in :data:`EQUALITY_RULES`)
is an instance of the rule and that its side conditions hold.  A rule never
assumes the step is right: a step that is not an instance, or whose side
condition fails, gives ``StepCheck(ok=False, ...)`` with the reason.

Facts a rule relies on that are not universally true (``||A|| <= R``,
``s`` is a probability vector, ...) are returned in ``StepCheck.assumes``;
the chain that uses the step must discharge them (a hypothesis of the
statement, or a proved fact).

Expressions are the model's nodes (:mod:`softproof.derivations.model`) and plain SymPy
scalars; :class:`Sup` is the one node added here (a supremum over a bound
variable).  Numbers are compared exactly: floats are read as the decimal they
print as (``0.01 -> 1/100``, ``1.5 -> 3/2``).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sympy as sp
from sympy import HadamardProduct, MatAdd, MatMul, MatrixSymbol, OneMatrix, Transpose

from . import model
from .lowering import LoweringError, explicit_symbols, indexed_base, lower_entry, lower_explicit
from .model import Diag, Dot, Entrywise, Jac, Norm, Softmax
from .statement import Relation

__all__ = [
    "StepCheck",
    "Sup",
    "HOLE",
    "exact",
    "same",
    "polarity",
    "identity",
    "definition",
    "nonneg_certificate",
    "sup_certificate",
    "gershgorin_probability",
    "triangle",
    "homogeneity",
    "submultiplicative",
    "transpose_norm",
    "cauchy_schwarz",
    "hadamard_holder",
    "norm_comparison",
    "exp_entrywise_max",
    "exp_sum_lower",
    "softmax_simplex",
    "mean_value",
    "sup_constant",
    "sup_monotone",
    "constant_comparison",
    "entrywise_lemma",
    "SupUnit",
    "quadratic_form_norm",
    "simplex_identity",
    "weighted_max",
    "quadratic_form_bound",
    "unit_vector",
    "simplex_entry_bound",
    "simplex_oscillation",
    "nonneg_combination",
    "diag_norm",
    "segment_norm",
    "outer_norm",
    "sinh_entrywise_max",
    "cosh_entrywise_max",
    "cosh_sum_lower",
    "positive_l2_sum",
    "normalised_simplex",
    "positive_vector",
    "known_positive",
    "RULES",
    "EQUALITY_RULES",
]

#: Explicit sizes ``(n, d)`` used when an identity is not proved at symbolic size.
EXPLICIT_SIZES: tuple[tuple[int, int], ...] = ((1, 1), (2, 1), (2, 2), (3, 2))


@dataclass(frozen=True)
class StepCheck:
    """Outcome of checking one step: ``ok``, how (``method``), why (``detail``).

    ``level`` says how general the check is: ``"symbolic"`` (every n, d),
    ``"explicit n<=.."`` (only at the listed sizes), ``"exact"`` (a statement
    about numbers decided exactly).  ``assumes`` lists the facts the step
    relies on (to be discharged by the chain).
    """

    ok: bool
    method: str
    detail: str = ""
    level: str = "symbolic"
    assumes: tuple[Relation, ...] = field(default=())

    def __bool__(self) -> bool:
        return self.ok


def _fail(method: str, detail: str) -> StepCheck:
    return StepCheck(False, method, detail, level="")


# --------------------------------------------------------------------------
# The supremum node
# --------------------------------------------------------------------------
class Sup(sp.Expr):
    """``sup_{var in [lo, hi]} body``: for a vector ``var`` the segment between
    the points ``lo`` and ``hi``; for a scalar ``var`` the interval between them.
    ``var`` is bound (not free)."""

    is_commutative = True
    is_real = True

    def __new__(cls, body, var, lo, hi):
        return sp.Expr.__new__(cls, sp.sympify(body), var, sp.sympify(lo), sp.sympify(hi))

    body = property(lambda self: self.args[0])
    var = property(lambda self: self.args[1])
    lo = property(lambda self: self.args[2])
    hi = property(lambda self: self.args[3])

    @property
    def free_symbols(self):
        inner = self.body.free_symbols - self.var.free_symbols
        return inner | self.lo.free_symbols | self.hi.free_symbols

    def _eval_is_nonnegative(self):
        return self.body.is_nonnegative

    def doit(self, **hints):
        return self

    def _latex(self, printer) -> str:
        v, lo, hi = (printer._print(a) for a in (self.var, self.lo, self.hi))
        return rf"\sup_{{{v} \in [{lo}, {hi}]}} {printer._print(self.body)}"

    _paper_latex = _latex


class SupUnit(sp.Expr):
    """``sup_{||var||_2 = 1} body`` over unit vectors ``var`` (bound)."""

    is_commutative = True
    is_real = True

    def __new__(cls, body, var):
        return sp.Expr.__new__(cls, sp.sympify(body), var)

    body = property(lambda self: self.args[0])
    var = property(lambda self: self.args[1])

    @property
    def free_symbols(self):
        return self.body.free_symbols - self.var.free_symbols

    def _eval_is_nonnegative(self):
        return self.body.is_nonnegative

    def doit(self, **hints):
        return self

    def _latex(self, printer) -> str:
        v = printer._print(self.var)
        return rf"\sup_{{\|{v}\|_2 = 1}} {printer._print(self.body)}"

    _paper_latex = _latex


#: The placeholder marking the rewritten position in a step's context.
HOLE = sp.Symbol("HOLE", real=True)


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------
def exact(e: sp.Basic) -> sp.Basic:
    """Floats replaced by the rational they print as (``0.01 -> 1/100``)."""
    e = sp.sympify(e)
    floats = {f: sp.Rational(str(f)) for f in e.atoms(sp.Float)}
    return e.xreplace(floats) if floats else e


def same(a: sp.Basic, b: sp.Basic) -> bool:
    """Structural equality after exact reading of floats and one SymPy
    normalisation of scalars (model nodes are atoms)."""
    a, b = exact(a), exact(b)
    if a == b:
        return True
    if model.is_matrix(a) or model.is_matrix(b):
        return False
    table: dict[sp.Basic, sp.Symbol] = {}
    a, b = _atomize(a, table), _atomize(b, table)
    try:
        return sp.simplify(a - b) == 0
    except (TypeError, ValueError, AttributeError, NotImplementedError):
        return False


def _unfold_named(e: sp.Basic) -> sp.Basic:
    """``e`` with its named model functions (``u``, a file's definitions) unfolded
    at the top until it is not one."""
    while isinstance(e, model._Named):
        e = e.definition
    return e


def positive_vector(v: sp.Basic) -> bool:
    """Every entry of ``v`` is positive: ``exp`` or ``cosh`` entrywise (of a real
    argument), directly or as a named function (``u(x)``, a file's ``u(v)``), or a
    positive scalar times such a vector."""
    v = _unfold_named(v)
    if isinstance(v, Entrywise):
        return v.fn in ("exp", "cosh")
    if isinstance(v, MatMul):
        scal = [a for a in v.args if not model.is_matrix(a)]
        mats = [a for a in v.args if model.is_matrix(a)]
        return len(mats) == 1 and positive_vector(mats[0]) and known_positive(sp.Mul(*scal))
    return False


def _positive_node(e: sp.Basic) -> bool:
    if isinstance(e, model._Named) and not model.is_matrix(e):
        return known_positive(e.definition)
    if isinstance(e, Dot):
        p, q = e.args
        return (isinstance(q, OneMatrix) and positive_vector(p)) or (
            isinstance(p, OneMatrix) and positive_vector(q)
        )
    return False


def _positive_atoms(e: sp.Basic) -> sp.Basic:
    """``e`` with scalar model nodes known to be positive (``<u, 1>`` for a positive
    vector ``u``, a named scalar defined by one) replaced by positive symbols."""
    nodes = [
        a
        for a in sp.preorder_traversal(e)
        if isinstance(a, model._ScalarNode) and not isinstance(a, Norm) and _positive_node(a)
    ]
    return e.xreplace({a: sp.Dummy("p", positive=True) for a in dict.fromkeys(nodes)})


def known_positive(e: sp.Basic) -> bool:
    """``e > 0`` as SymPy decides it once the scalar model nodes known to be
    positive (:func:`_positive_node`) are positive symbols."""
    e = sp.sympify(e)
    if model.is_matrix(e):
        return False
    if e.is_positive:
        return True
    if _positive_node(e):
        return True
    return bool(_positive_atoms(exact(e)).is_positive)


def _atomize(e: sp.Basic, table: dict) -> sp.Basic:
    """Model scalar nodes (norms, dots, alpha, sups) replaced by symbols with
    their sign (the same node gets the same symbol)."""
    if isinstance(e, model._ScalarNode | Sup | SupUnit):
        if e not in table:
            table[e] = sp.Dummy(
                f"a{len(table)}",
                positive=bool(e.is_positive) or _positive_node(e) or None,
                nonnegative=bool(e.is_nonnegative) or None,
                real=True,
            )
        return table[e]
    if not e.args or model.is_matrix(e):
        return e
    return e.func(*[_atomize(a, table) for a in e.args])


# --------------------------------------------------------------------------
# Where an expression is defined
# --------------------------------------------------------------------------
def partial_conditions(e: sp.Basic) -> set[tuple[str, sp.Basic]]:
    """What ``e`` needs to be defined (real): ``("pos", w)`` for ``log w`` and a
    negative or symbolic power of ``w``, ``("nonneg", w)`` for ``sqrt w`` and other
    positive fractional powers, ``("nonzero", w)`` for ``1/w``; entrywise ``sqrt``/``log``
    of a vector ``v`` give ``("nonneg entries", v)`` / ``("pos entries", v)``.  The
    bodies of named and defined functions are included."""
    out: set[tuple[str, sp.Basic]] = set()
    seen: set[sp.Basic] = set()

    def walk(node: sp.Basic) -> None:
        if node in seen or not isinstance(node, sp.Basic):
            return
        seen.add(node)
        if isinstance(node, sp.Pow) and not model.is_matrix(node):
            base, ex = node.args
            if ex.is_Integer:
                if ex.is_negative:
                    out.add(("nonzero", exact(base)))
            elif ex.is_Rational and ex.is_positive:
                out.add(("nonneg", exact(base)))
            elif not (ex.is_number and base.is_number):
                out.add(("pos", exact(base)))
        elif isinstance(node, sp.log):
            out.add(("pos", exact(node.args[0])))
        elif isinstance(node, Entrywise) and node.fn in ("sqrt", "log"):
            kind = "nonneg entries" if node.fn == "sqrt" else "pos entries"
            out.add((kind, exact(node.arg)))
        if isinstance(node, model._Named):
            walk(node.definition)
        for a in node.args:
            walk(a)

    walk(sp.sympify(e))
    return out


_GIVES = {
    "pos": {"pos", "nonneg", "nonzero"},
    "nonneg": {"nonneg"},
    "nonzero": {"nonzero"},
    "pos entries": {"pos entries", "nonneg entries"},
    "nonneg entries": {"nonneg entries"},
}


def _condition_holds(kind: str, w: sp.Basic) -> bool:
    """``kind`` holds for ``w`` everywhere (decided, never assumed)."""
    if kind == "pos":
        return known_positive(w)
    if kind == "nonneg":
        return known_positive(w) or _sign(w) == 1
    if kind == "nonzero":
        return known_positive(w) or known_positive(-w) or bool(sp.sympify(w).is_nonzero)
    if kind in ("pos entries", "nonneg entries"):
        return positive_vector(w)
    return False


def domain_problem(old: sp.Basic, new: sp.Basic) -> str | None:
    """``None`` if ``new`` is defined wherever ``old`` is: every condition of
    :func:`partial_conditions` of ``new`` is one of ``old`` (or implied by one) or
    holds everywhere.  Else what ``new`` needs that ``old`` does not give (a step
    ``x == 1 - (sqrt(1 - x))**2`` holds only where ``x <= 1``)."""
    have = partial_conditions(old)
    implied = {(k2, w) for k, w in have for k2 in _GIVES[k]}
    for kind, w in sorted(partial_conditions(new) - implied, key=str):
        if not _condition_holds(kind, w):
            need = {
                "pos": "> 0",
                "nonneg": ">= 0",
                "nonzero": "!= 0",
                "pos entries": "> 0 entrywise",
                "nonneg entries": ">= 0 entrywise",
            }[kind]
            from .source import SourceError, to_source

            try:
                text = to_source(w)
            except (SourceError, TypeError, ValueError):
                text = str(w)
            return f"the new expression needs {text} {need}, which the previous one does not"
    return None


def _sign(e: sp.Basic) -> int | None:
    e = exact(e)
    if e.is_nonnegative:
        return 1
    if e.is_nonpositive:
        return -1
    p = _positive_atoms(e)
    if p != e:
        if p.is_nonnegative:
            return 1
        if p.is_nonpositive:
            return -1
    return None


def polarity(ctx: sp.Basic, hole: sp.Symbol, old: sp.Basic, new: sp.Basic) -> int | None:
    """How ``ctx`` depends on ``hole`` when ``hole`` moves between ``old`` and
    ``new``: ``+1`` nondecreasing, ``-1`` nonincreasing, ``0`` constant,
    ``None`` unknown.  Signs of subterms containing the hole are checked at
    both ends (a monotone subterm nonnegative at both ends is nonnegative in
    between)."""

    def sign_between(e: sp.Basic) -> int | None:
        if not e.has(hole):
            return _sign(e)
        s1, s2 = _sign(e.xreplace({hole: old})), _sign(e.xreplace({hole: new}))
        return s1 if s1 == s2 and polarity(e, hole, old, new) is not None else None

    if ctx == hole:
        return 1
    if not ctx.has(hole):
        return 0
    if isinstance(ctx, sp.Add):
        pols = {polarity(a, hole, old, new) for a in ctx.args} - {0}
        return pols.pop() if len(pols) == 1 else None
    if isinstance(ctx, sp.Mul):
        with_hole = [a for a in ctx.args if a.has(hole)]
        others = sp.Mul(*[a for a in ctx.args if not a.has(hole)])
        s = _sign(others)
        if s is None:
            return None
        if len(with_hole) == 1:
            p = polarity(with_hole[0], hole, old, new)
            return None if p is None else s * p
        pols = {polarity(a, hole, old, new) for a in with_hole}
        signs = {sign_between(a) for a in with_hole}
        if len(pols) == 1 and signs == {1} and None not in pols:
            return s * pols.pop()
        return None
    if isinstance(ctx, sp.Pow):
        base, ex = ctx.args
        if ex.has(hole):
            if base.has(hole) or not (exact(base) - 1).is_nonnegative:
                return None
            return polarity(ex, hole, old, new)
        p = polarity(base, hole, old, new)
        if p is None or sign_between(base) != 1:
            return None
        if ex.is_positive:
            return p
        ends = [exact(base.xreplace({hole: e})) for e in (old, new)]
        if ex.is_negative and all(known_positive(e) for e in ends):
            return -p
        return None
    if isinstance(ctx, sp.exp | sp.sinh | sp.tanh):  # increasing functions
        return polarity(ctx.args[0], hole, old, new)
    if isinstance(ctx, sp.cosh):  # increasing on [0, oo), decreasing on (-oo, 0]
        p, sgn = polarity(ctx.args[0], hole, old, new), sign_between(ctx.args[0])
        return None if p is None or sgn is None else p * sgn
    if isinstance(ctx, sp.log):
        return polarity(ctx.args[0], hole, old, new) if sign_between(ctx.args[0]) == 1 else None
    if isinstance(ctx, Sup):
        if ctx.lo.has(hole) or ctx.hi.has(hole):
            return None
        return polarity(ctx.body, hole, old, new)
    if isinstance(ctx, SupUnit):
        return polarity(ctx.body, hole, old, new)
    return None


def _get_identities() -> Callable | None:
    try:
        mod = importlib.import_module("softproof.derivations.identities")
    except ImportError:
        return None
    return getattr(mod, "prove_identity", None)


def _result_status(res) -> str:
    status = getattr(res, "status", None)
    if status is None and isinstance(res, dict):
        status = res.get("status")
    if status is None and getattr(res, "proved", None) is not None:
        return "proved" if res.proved else "undecided"
    return str(getattr(status, "value", status)).lower()


def _zero_entry(e: sp.Expr) -> bool:
    e = sp.expand(e, power_exp=True)
    if e == 0 or sp.cancel(e) == 0:
        return True
    return sp.simplify(e) == 0


def _explicit_zero(lhs: sp.Basic, rhs: sp.Basic, sizes: Sequence[tuple[int, int]]) -> str | None:
    """None if ``lhs == rhs`` at every listed size, else the first failing size."""
    for nv, dv in sizes:
        left, right = lower_explicit(lhs, nv, dv), lower_explicit(rhs, nv, dv)
        diff = left - right
        entries = list(diff) if isinstance(diff, sp.MatrixBase) else [diff]
        if not all(_zero_entry(e) for e in entries):
            return f"n={nv}, d={dv}"
    return None


# --------------------------------------------------------------------------
# Equalities
# --------------------------------------------------------------------------
def definition(lhs: sp.Basic, rhs: sp.Basic) -> StepCheck:
    """Unfolding named model functions (D1-D5 and the G5/G6 closed forms as
    defined in the model): ``lhs`` and ``rhs`` agree once unfolded."""
    if model.unfold_all(exact(lhs)) == model.unfold_all(exact(rhs)):
        return StepCheck(True, "definition unfolding")
    return _fail("definition unfolding", "the two sides differ after unfolding")


def identity(lhs: sp.Basic, rhs: sp.Basic, level: str = "symbolic") -> StepCheck:
    """``lhs == rhs`` proved, most general method first:

    1. definition unfolding (structural);
    2. scalar algebra with model nodes as atoms (``simplify(lhs - rhs) == 0``),
       valid for every n, d;
    3. ``identities.prove_identity`` at symbolic size, when available;
    4. the generic entry at symbolic size (``lower_entry`` then ``doit`` and
       ``simplify``);
    5. explicit sizes :data:`EXPLICIT_SIZES` (recorded as such).
    """
    lhs, rhs = exact(lhs), exact(rhs)
    if model.is_matrix(lhs) != model.is_matrix(rhs):
        return _fail("identity", "one side is a matrix, the other a scalar")
    if model.is_matrix(lhs) and lhs.shape != rhs.shape:
        return _fail("identity", f"shapes {lhs.shape} and {rhs.shape} differ")
    if definition(lhs, rhs).ok:
        return StepCheck(True, "SymPy identity (definition unfolding), symbolic n, d")
    if model.is_matrix(lhs) and _mat_equal(lhs, rhs):
        return StepCheck(True, "SymPy identity (matrix algebra), symbolic n, d")
    if not model.is_matrix(lhs) and same(lhs, rhs):
        return StepCheck(True, "SymPy identity (algebra, model nodes as atoms), symbolic n, d")
    prove = _get_identities()
    if prove is not None and level == "symbolic":
        try:
            res = prove(lhs, rhs, "symbolic")
            status = _result_status(res)
            if status == "proved":
                return StepCheck(True, "SymPy identity (prove_identity), symbolic n, d")
            if status == "refuted":
                return _fail("SymPy identity (prove_identity)", "refuted at symbolic size")
        except Exception:  # noqa: BLE001 - fall through to the other methods
            pass
    try:
        if model.is_matrix(lhs):
            raise NotImplementedError("generic entries of matrices are left to prove_identity")
        dl, dr = lower_entry(lhs), lower_entry(rhs)
        if sp.simplify(_canon_sums(dl.doit()) - _canon_sums(dr.doit())) == 0:
            return StepCheck(True, "SymPy identity (generic entry), symbolic n, d")
    except (LoweringError, TypeError, ValueError, NotImplementedError):
        pass
    if prove is not None:
        verdicts = []
        for nv, dv in EXPLICIT_SIZES:
            try:
                verdicts.append(_result_status(prove(lhs, rhs, ("explicit", nv, dv))))
            except Exception:  # noqa: BLE001 - use the local explicit check below
                verdicts.append("unknown")
        sizes = ", ".join(f"({a},{b})" for a, b in EXPLICIT_SIZES)
        if all(v == "proved" for v in verdicts):
            return StepCheck(
                True,
                f"SymPy identity (prove_identity), explicit sizes (n,d) in {sizes}",
                level=f"explicit {sizes}",
            )
        if "refuted" in verdicts:
            return _fail("identity", "refuted at an explicit size")
    try:
        bad = _explicit_zero(lhs, rhs, EXPLICIT_SIZES)
    except (LoweringError, TypeError, ValueError, NotImplementedError) as exc:
        return _fail("identity", f"not proved: {exc}")
    sizes = ", ".join(f"({a},{b})" for a, b in EXPLICIT_SIZES)
    if bad is None:
        return StepCheck(
            True, f"SymPy identity, explicit sizes (n,d) in {sizes}", level=f"explicit {sizes}"
        )
    return _fail("identity", f"the two sides differ at {bad}")


# --------------------------------------------------------------------------
# Polynomial certificates
# --------------------------------------------------------------------------
def _certificate_terms_ok(cert: sp.Expr, constraints: Sequence[sp.Expr]) -> str | None:
    """None if every term of ``cert`` is (positive number) x (constraints) x
    (squares), else the offending term."""
    cons = {exact(c) for c in constraints}
    for term in sp.Add.make_args(exact(cert)):
        for factor in sp.Mul.make_args(term):
            if factor.is_number and factor.is_nonnegative:
                continue
            if factor.is_Pow and factor.exp.is_integer and factor.exp.is_even:
                continue
            if factor in cons:
                continue
            if factor.is_Pow and factor.base in cons and factor.exp.is_positive:
                continue
            return str(term)
    return None


def nonneg_certificate(
    expr: sp.Expr, certificate: sp.Expr, constraints: Sequence[sp.Expr] = ()
) -> StepCheck:
    """``expr >= 0`` on ``{constraints >= 0}`` by a certificate
    ``expr = sum_k c_k g_k q_k^2`` with numbers ``c_k >= 0``, products ``g_k``
    of constraints and polynomials ``q_k``; checked by SymPy expansion (E5:
    ``1/2 - 2s(1-s) = 2(s - 1/2)^2``)."""
    bad = _certificate_terms_ok(certificate, constraints)
    if bad is not None:
        return _fail("SOS certificate", f"term {bad} is not (c>=0) x constraints x square")
    if sp.expand(exact(expr) - exact(certificate)) != 0:
        return _fail("SOS certificate", f"{expr} != {certificate}")
    return StepCheck(True, "SOS certificate (checked by expansion)", f"{expr} = {certificate}")


def sup_certificate(lhs: sp.Expr, rhs: sp.Expr, certificate: sp.Expr) -> StepCheck:
    """``sup_{s in [lo, hi]} g(s) <= c`` because ``c - g(s)`` has a
    nonnegativity certificate on ``s - lo >= 0, hi - s >= 0``."""
    if not isinstance(lhs, Sup):
        return _fail("SOS certificate", "the left side is not a supremum")
    v = lhs.var
    if v in rhs.free_symbols:
        return _fail("SOS certificate", "the bound depends on the bound variable")
    if not (sp.sympify(lhs.hi - lhs.lo).is_nonnegative):
        # an empty interval would make every certificate vacuously valid
        return _fail("SOS certificate", f"the interval [{lhs.lo}, {lhs.hi}] is not proper")
    cons = (v - lhs.lo, lhs.hi - v)
    res = nonneg_certificate(rhs - lhs.body, certificate, cons)
    return StepCheck(res.ok, res.method, res.detail, level=res.level)


def _linear_sign_on_unit_box(factor: sp.Expr) -> int | None:
    """Sign of a polynomial factor on ``[0,1]^k`` if it is affine in one variable."""
    syms = factor.free_symbols
    if not syms:
        return _sign(factor)
    if len(syms) != 1:
        return None
    (s,) = syms
    poly = sp.Poly(factor, s)
    if poly.degree() != 1:
        return None
    v0, v1 = factor.subs(s, 0), factor.subs(s, 1)
    if v0 >= 0 and v1 >= 0:  # affine: the sign in between is that of the ends
        return 1
    if v0 <= 0 and v1 <= 0:
        return -1
    return None


def _sign_on_unit_box(e: sp.Expr) -> int | None:
    """Sign of a polynomial on ``[0,1]^k`` from a factorisation into affine
    one-variable factors (None if undecided)."""
    coeff, factors = sp.factor_list(sp.expand(e))
    total = _sign(coeff)
    for base, mult in factors:
        s = _linear_sign_on_unit_box(base)
        if s is None or total is None:
            return None
        total *= s**mult
    return total


# --------------------------------------------------------------------------
# Gershgorin (E5)
# --------------------------------------------------------------------------
def gershgorin_probability(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """Gershgorin for a symmetric matrix ``M(s)`` built from a probability
    vector ``s`` (entries in [0, 1], ``sum s = 1``):
    ``||M|| = max |eigenvalue| <= max_i sum_j |M_ij|``.

    ``lhs = ||M||`` (``op``); ``rhs = Sup(r(sigma), sigma, 0, 1)``.  The row sum
    is computed for every n from the generic entries: the diagonal entry
    ``D(s_i)``, the off-diagonal ``O(s_i, s_j) = a(s_i) s_j + e(s_i)``, whose
    signs are decided on [0, 1]; ``sum_{j != i} s_j = 1 - s_i``.  For
    ``M = diag(s) - s s^T``: ``s_i(1 - s_i) + s_i(1 - s_i) = 2 s_i (1 - s_i)``.
    """
    meth = "rule: Gershgorin (symmetric), row sums for every n"
    if not (isinstance(lhs, Norm) and lhs.kind == "op"):
        return _fail(meth, "the left side is not a spectral norm")
    if not isinstance(rhs, Sup) or rhs.lo != 0 or rhs.hi != 1:
        return _fail(meth, "the right side is not a supremum over [0, 1]")
    mat = lhs.arg
    vecs = [a for a in mat.atoms(MatrixSymbol) if a.shape[1] == 1]
    if len(vecs) != 1 or mat.shape[0] != mat.shape[1]:
        return _fail(meth, "the matrix must be square and built from one vector s")
    (s,) = vecs
    i, j = sp.symbols("i j", integer=True)
    si, sj = sp.symbols("s_i s_j", real=True)
    base = indexed_base(s)
    try:
        generic = lower_entry(mat, i, j).doit()
        swapped = lower_entry(mat, j, i).doit()
    except LoweringError as exc:
        return _fail(meth, str(exc))
    kd = sp.KroneckerDelta(i, j)
    off_ij = generic.replace(lambda a: isinstance(a, sp.KroneckerDelta), lambda a: sp.S.Zero)
    off_ji = swapped.replace(lambda a: isinstance(a, sp.KroneckerDelta), lambda a: sp.S.Zero)
    if sp.expand(off_ij - off_ji) != 0:
        return _fail(meth, "the matrix is not symmetric")
    if generic.atoms(sp.Sum):
        return _fail(meth, "entries involve sums; only entrywise polynomial matrices are handled")
    gen = generic.xreplace({base[i]: si, base[j]: sj})
    diag = gen.subs(kd, 1).subs(sj, si)
    off = gen.subs(kd, 0)
    if off.free_symbols - {si, sj} or diag.free_symbols - {si}:
        return _fail(meth, "entries depend on something other than s")
    dsign = _sign_on_unit_box(diag)
    poly = sp.Poly(sp.expand(off), sj)
    if poly.degree() > 1:
        return _fail(meth, "off-diagonal entries are not affine in s_j")
    a_coef, e_coef = poly.coeff_monomial(sj), poly.coeff_monomial(1)
    osign = _sign_on_unit_box(off)
    asign, esign = _sign_on_unit_box(a_coef), _sign_on_unit_box(e_coef)
    if None in (dsign, osign, asign, esign) or (e_coef != 0 and asign * esign < 0):
        return _fail(meth, "could not decide the signs of the entries on [0, 1]")
    row = dsign * diag + osign * (a_coef * (1 - si) + (model.n - 1) * e_coef)
    sigma = rhs.var
    if sp.expand(row.subs(si, sigma) - rhs.body) != 0:
        return _fail(meth, f"the row sum is {row.subs(si, sigma)}, not {rhs.body}")
    prob = (
        Relation(Norm("1", s), "==", sp.S.One),
        Relation(Dot(s, model.ones(s.shape[0])), "==", sp.S.One),
    )
    return StepCheck(True, meth, f"row i sums to {sp.factor(row)}", assumes=prob)


# --------------------------------------------------------------------------
# Norm rules
# --------------------------------------------------------------------------
def _is_norm(e: sp.Basic, *kinds: str) -> bool:
    return isinstance(e, Norm) and (not kinds or e.kind in kinds)


def _mat_equal(p: sp.Basic, q: sp.Basic) -> bool:
    if exact(p) == exact(q):
        return True
    try:
        diff = (exact(p) - exact(q)).expand().doit()
    except (TypeError, AttributeError):
        return False
    return isinstance(diff, sp.ZeroMatrix) or diff == 0


def triangle(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """Triangle inequality ``||sum_k X_k|| <= sum_k ||X_k||`` (any norm, same
    kind on both sides) and ``|sum a_k| <= sum |a_k|``."""
    meth = "rule: triangle inequality"
    terms = sp.Add.make_args(rhs)
    if isinstance(lhs, sp.Abs) and all(isinstance(t, sp.Abs) for t in terms):
        if sp.expand(lhs.args[0] - sum(t.args[0] for t in terms)) == 0:
            return StepCheck(True, meth)
        return _fail(meth, "the terms do not add up to the left side")
    if not _is_norm(lhs) or not all(_is_norm(t, lhs.kind) for t in terms):
        return _fail(meth, "expected ||sum X_k|| <= sum ||X_k|| with one norm kind")
    total = MatAdd(*[t.arg for t in terms]) if len(terms) > 1 else terms[0].arg
    if not _mat_equal(total, lhs.arg):
        return _fail(meth, f"the terms add up to {total}, not {lhs.arg}")
    return StepCheck(True, meth)


def _split_scalar(m: sp.Basic) -> tuple[sp.Expr, sp.Basic]:
    if isinstance(m, MatMul):
        scal = [a for a in m.args if not model.is_matrix(a)]
        mats = [a for a in m.args if model.is_matrix(a)]
        return sp.Mul(*scal), (MatMul(*mats) if len(mats) > 1 else mats[0])
    return sp.S.One, m


def homogeneity(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``||c X|| = |c| ||X||`` for a scalar ``c`` (any norm); in particular
    ``||-X|| = ||X||``."""
    meth = "rule: homogeneity of norms"
    if not _is_norm(lhs):
        return _fail(meth, "the left side is not a norm")
    c, m = _split_scalar(lhs.arg)
    if isinstance(lhs.arg, MatAdd) and all(_split_scalar(a)[0] == -1 for a in lhs.arg.args):
        c, m = sp.S.NegativeOne, MatAdd(*[-a for a in lhs.arg.args])
    if same(rhs, sp.Abs(c) * Norm(lhs.kind, m)):
        return StepCheck(True, meth)
    if _is_norm(rhs, lhs.kind) and _mat_equal(lhs.arg, rhs.arg):
        return StepCheck(True, meth, "equal arguments (matrix algebra)")
    neg = Norm(lhs.kind, (-lhs.arg).expand())
    if _is_norm(rhs, lhs.kind) and _mat_equal(rhs.arg, neg.arg):
        return StepCheck(True, meth, "||-X|| = ||X||")
    return _fail(meth, f"{rhs} is not |c| times the norm of the rest")


#: (norm of the product, norm of the left factor, norm of the right factor)
_SUBMULT = {
    ("2", "op", "2"),
    ("op", "op", "op"),
    ("inf", "op", "2"),  # E2: a row of A has norm <= ||A||
    ("fro", "op", "fro"),
    ("fro", "fro", "op"),
}


def submultiplicative(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``||M N|| <= ||M|| ||N||`` for compatible norms: spectral/2-norm
    (``||Mv||_2 <= ||M|| ||v||_2``), spectral/spectral, and E2
    (``||Av||_inf <= ||A|| ||v||_2``: each entry is ``<A_i, v>`` with
    ``||A_i||_2 = ||e_i^T A|| <= ||A||``)."""
    meth = "rule: submultiplicativity"
    if not _is_norm(lhs) or not isinstance(lhs.arg, MatMul):
        return _fail(meth, "the left side is not the norm of a product")
    c, prod = _split_scalar(lhs.arg)
    if c != 1 or not isinstance(prod, MatMul):
        return _fail(meth, "scalar factors must be taken out first (homogeneity)")
    fac = sp.Mul.make_args(rhs)
    norms = [f for f in fac if _is_norm(f)]
    if len(norms) != 2 or len(fac) != 2:
        return _fail(meth, "the right side must be a product of two norms")
    for left, right in (norms, norms[::-1]):
        if (lhs.kind, left.kind, right.kind) not in _SUBMULT:
            continue
        args = prod.args
        for k in range(1, len(args)):
            p, q = MatMul(*args[:k]).doit(), MatMul(*args[k:]).doit()
            if _mat_equal(p, left.arg) and _mat_equal(q, right.arg):
                tag = " (E2)" if lhs.kind == "inf" else ""
                return StepCheck(True, meth + tag)
    return _fail(meth, f"{rhs} is not ||M|| ||N|| for a split of {prod} with compatible norms")


def transpose_norm(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``||M^T|| = ||M||`` for the spectral norm (same singular values)."""
    meth = "rule: spectral norm of a transpose"
    if (
        _is_norm(lhs, "op")
        and _is_norm(rhs, "op")
        and (_mat_equal(lhs.arg, Transpose(rhs.arg).doit()) or _mat_equal(rhs.arg, lhs.arg.T))
    ):
        return StepCheck(True, meth)
    return _fail(meth, "expected ||M^T|| = ||M||")


def cauchy_schwarz(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """Cauchy-Schwarz: ``|<v, w>| <= ||v||_2 ||w||_2``."""
    meth = "rule: Cauchy-Schwarz"
    if not (isinstance(lhs, sp.Abs) and isinstance(lhs.args[0], Dot)):
        return _fail(meth, "the left side is not |<v, w>|")
    v, w = lhs.args[0].args
    if same(rhs, Norm("2", v) * Norm("2", w)):
        return StepCheck(True, meth)
    return _fail(meth, f"expected ||{v}||_2 ||{w}||_2")


def hadamard_holder(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``||v o w||_2 <= ||v||_2 ||w||_inf`` (each entry ``|v_i w_i| <= |v_i| ||w||_inf``)."""
    meth = "rule: Hoelder for the entrywise product"
    if not (_is_norm(lhs, "2") and isinstance(lhs.arg, HadamardProduct)):
        return _fail(meth, "the left side is not ||v o w||_2")
    if len(lhs.arg.args) != 2:
        return _fail(meth, "two factors expected")
    v, w = lhs.arg.args
    for p, q in ((v, w), (w, v)):
        if same(rhs, Norm("2", p) * Norm("inf", q)):
            return StepCheck(True, meth)
    return _fail(meth, "expected ||v||_2 ||w||_inf")


def norm_comparison(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """Comparisons of vector norms on ``R^k``: ``||v||_2 <= sqrt(k) ||v||_inf``,
    ``||v||_inf <= ||v||_2``, ``||v||_2 <= ||v||_1``, ``||v||_1 <= sqrt(k) ||v||_2``."""
    meth = "rule: comparison of vector norms"
    if not _is_norm(lhs, "1", "2", "inf"):
        return _fail(meth, "the left side is not a vector norm")
    v, k = lhs.arg, lhs.arg.shape[0]
    allowed = {
        "2": [sp.sqrt(k) * Norm("inf", v), Norm("1", v)],
        "inf": [Norm("2", v), Norm("1", v)],
        "1": [sp.sqrt(k) * Norm("2", v), k * Norm("inf", v)],
    }[lhs.kind]
    if any(same(rhs, a) for a in allowed):
        return StepCheck(True, meth)
    return _fail(meth, f"{rhs} is not a valid bound for {lhs}")


def _exp_arg(e: sp.Basic) -> sp.Basic | None:
    """``v`` if ``e`` is ``exp(v)`` entrywise (directly or as ``u(A, x)``)."""
    e = _unfold_named(e)
    if isinstance(e, Entrywise) and e.fn == "exp":
        return e.arg
    return None


def exp_entrywise_max(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """Monotonicity of exp: ``||exp(v)||_inf = max_i e^{v_i} <= e^{||v||_inf}``."""
    meth = "rule: monotonicity of exp"
    v = _exp_arg(lhs.arg) if _is_norm(lhs, "inf") else None
    if v is not None and same(rhs, sp.exp(Norm("inf", v))):
        return StepCheck(True, meth)
    return _fail(meth, "expected ||exp(v)||_inf <= exp(||v||_inf)")


def exp_sum_lower(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """Monotonicity of exp: ``k e^{-||v||_inf} <= sum_i e^{v_i} = <exp(v), 1_k>``
    (E3, lower half; the upper half is ``||exp(v)||_inf`` and norm comparison)."""
    meth = "rule: monotonicity of exp"
    r = _unfold_named(rhs)
    if isinstance(r, Dot):
        p, q = r.args
        for e, one in ((p, q), (q, p)):
            v = _exp_arg(e)
            if v is not None and isinstance(one, OneMatrix):
                if same(lhs, v.shape[0] * sp.exp(-Norm("inf", v))):
                    return StepCheck(True, meth)
    return _fail(meth, "expected k exp(-||v||_inf) <= <exp(v), 1_k>")


def _entrywise_arg(e: sp.Basic, fn: str) -> sp.Basic | None:
    """``v`` if ``e`` is ``fn(v)`` entrywise (directly or as a named function)."""
    e = _unfold_named(e)
    if isinstance(e, Entrywise) and e.fn == fn:
        return e.arg
    return None


def sinh_entrywise_max(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``||sinh(v)||_inf <= sinh(||v||_inf)``: ``|sinh t| = sinh |t|`` and sinh is
    increasing."""
    meth = "rule: monotonicity of sinh"
    v = _entrywise_arg(lhs.arg, "sinh") if _is_norm(lhs, "inf") else None
    if v is not None and same(rhs, sp.sinh(Norm("inf", v))):
        return StepCheck(True, meth)
    return _fail(meth, "expected ||sinh(v)||_inf <= sinh(||v||_inf)")


def cosh_entrywise_max(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``||cosh(v)||_inf <= cosh(||v||_inf)``: cosh is even and increasing on ``[0, oo)``."""
    meth = "rule: monotonicity of cosh"
    v = _entrywise_arg(lhs.arg, "cosh") if _is_norm(lhs, "inf") else None
    if v is not None and same(rhs, sp.cosh(Norm("inf", v))):
        return StepCheck(True, meth)
    return _fail(meth, "expected ||cosh(v)||_inf <= cosh(||v||_inf)")


def cosh_sum_lower(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``cosh >= 1``: ``k <= sum_i cosh(v_i) = <cosh(v), 1_k>`` (also through a
    named scalar defined as that sum)."""
    meth = "rule: cosh >= 1"
    r = _unfold_named(rhs)
    if isinstance(r, Dot):
        p, q = r.args
        for e, one in ((p, q), (q, p)):
            v = _entrywise_arg(e, "cosh")
            if v is not None and isinstance(one, OneMatrix) and same(lhs, v.shape[0]):
                return StepCheck(True, meth)
    return _fail(meth, "expected k <= <cosh(v), 1_k>")


def positive_l2_sum(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``||u||_2 <= ||u||_1 = <u, 1>`` for a vector with positive entries (``exp``,
    ``cosh``); ``rhs`` may be a named scalar defined as ``<u, 1>``."""
    meth = "rule: 2-norm of a positive vector below its sum"
    if _is_norm(lhs, "2") and positive_vector(lhs.arg):
        u, one = lhs.arg, model.ones(lhs.arg.shape[0])
        want = {model.unfold_all(Dot(u, one)), model.unfold_all(Dot(one, u))}
        if model.unfold_all(exact(rhs)) in want:
            return StepCheck(True, meth)
    return _fail(meth, "expected ||u||_2 <= <u, 1> with u positive entrywise")


def _normalised_parts(s: sp.Basic) -> sp.Basic | None:
    """``u`` if ``s`` is ``u / <u, 1>`` (unfolding named functions) with ``u``
    positive entrywise."""
    s = _unfold_named(s)
    if not isinstance(s, MatMul):
        return None
    scal = sp.Mul(*[a for a in s.args if not model.is_matrix(a)])
    mats = [a for a in s.args if model.is_matrix(a)]
    if len(mats) != 1 or not positive_vector(mats[0]):
        return None
    u = mats[0]
    base, ex = scal.as_base_exp()
    if ex != -1:
        return None
    one = model.ones(u.shape[0])
    want = {model.unfold_all(Dot(u, one)), model.unfold_all(Dot(one, u))}
    return u if model.unfold_all(base) in want else None


def _summed_vector(e: sp.Basic) -> sp.Basic | None:
    """``s`` when ``e`` is ``<s, 1>`` (either order) or ``||s||_1``, else None."""
    if isinstance(e, Dot):
        p, q = e.args
        return p if isinstance(q, OneMatrix) else q if isinstance(p, OneMatrix) else None
    return e.arg if _is_norm(e, "1") else None


def normalised_simplex(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """A normalised positive vector ``s = u / <u, 1>`` (``u`` positive entrywise)
    is a probability vector: ``<s, 1> = 1`` and ``||s||_1 = 1``."""
    meth = "rule: a normalised positive vector lies on the simplex"
    if rhs != 1:
        return _fail(meth, "the right side must be 1")
    s = _summed_vector(lhs)
    if s is None or _normalised_parts(s) is None:
        return _fail(meth, "expected <s, 1> or ||s||_1 with s = u / <u, 1>, u positive")
    return StepCheck(True, meth)


def _canon_sums(e: sp.Basic, depth: int = 0) -> sp.Basic:
    """Bound indices of nested ``Sum`` renamed by nesting depth (alpha-equivalence)."""
    if isinstance(e, sp.Sum):
        (j, lo, hi) = e.limits[0]
        k = sp.Symbol(f"_k{depth}", integer=True)
        body = _canon_sums(e.function.xreplace({j: k}), depth + 1)
        return sp.Sum(body, (k, lo, hi))
    if not e.args:
        return e
    return e.func(*[_canon_sums(a, depth) for a in e.args])


def _softmax_parts(s: sp.Basic) -> sp.Basic | None:
    if isinstance(s, model.F):
        return s.document * s.args[1]
    if isinstance(s, Softmax):
        return s.args[0]
    return None


def softmax_simplex(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """E4 / G7 for every n: ``s = softmax(v)`` (or ``f(x)``) has entries
    ``e^{v_i} / sum_j e^{v_j} > 0``, so ``<s, 1> = 1`` and ``||s||_1 = 1``.
    The generic entry is lowered at symbolic size and matched against that
    form (numerator and denominator summand equal after renaming)."""
    meth = "rule: softmax lies on the simplex (E4, G7), symbolic n"
    if rhs != 1:
        return _fail(meth, "the right side must be 1")
    s = _summed_vector(lhs)
    if s is None or _softmax_parts(s) is None:
        return _fail(meth, "expected <s, 1> or ||s||_1 with s a softmax")
    i = sp.Symbol("i", integer=True)
    e = lower_entry(s, i, sp.S.Zero)
    num, den = sp.fraction(sp.together(e))
    if not (isinstance(den, sp.Sum) and isinstance(num, sp.exp)):
        return _fail(meth, f"the generic entry {e} is not exp(.)/sum exp(.)")
    (j, lo, hi) = den.limits[0]
    if lo != 0 or sp.simplify(hi + 1 - s.shape[0]) != 0:
        return _fail(meth, "the denominator does not run over all entries")
    if _canon_sums(den.function.xreplace({j: i})) != _canon_sums(num):
        return _fail(meth, "numerator and denominator summands differ")
    return StepCheck(True, meth, "entries exp(v_i)/sum_j exp(v_j)")


# --------------------------------------------------------------------------
# Calculus
# --------------------------------------------------------------------------
_SMOOTH_BAD = (Norm, sp.Abs, sp.Max, sp.Min, sp.sign, sp.Piecewise, Sup, SupUnit)


def _smooth(g: sp.Basic) -> bool:
    """``g`` is C^1 everywhere: built from exp (entrywise or scalar), products,
    sums, the model's softmax nodes, nonnegative integer powers and powers of
    positive quantities (``alpha^{-1}``)."""
    for node in sp.preorder_traversal(g):
        if isinstance(node, _SMOOTH_BAD) or isinstance(node, model.Grad | model.Hess | Jac):
            return False
        if isinstance(node, Entrywise) and node.fn not in ("exp", "cosh", "sinh", "tanh"):
            return False
        if isinstance(node, sp.log) and not node.args[0].is_positive:
            return False
        if isinstance(node, sp.Pow) and not (
            (node.exp.is_integer and node.exp.is_nonnegative) or known_positive(node.base)
        ):
            return False
        if isinstance(node, sp.MatPow) and not (node.exp.is_integer and node.exp.is_nonnegative):
            return False
    return True


def mean_value(lhs: sp.Expr, rhs: sp.Expr, g: sp.Basic, var: sp.Basic, p, q) -> StepCheck:
    """Mean value inequality for a C^1 map ``g``:
    ``||g(p) - g(q)||_2 <= sup_{z in [p, q]} ||J_g(z)|| ||p - q||_2`` (vector
    ``var``, spectral norm of the Jacobian ``jac(g(z), z)``), for a scalar ``g``
    of a vector ``var``: ``|g(p) - g(q)| <= sup_z ||grad g(z)||_2 ||p - q||_2``, and
    for a scalar ``var``: ``|g(p) - g(q)| <= sup_z |g'(z)| |p - q|``.  ``rhs`` must contain
    the Jacobian exactly as derived (``Jac`` node or ``sympy.diff``)."""
    meth = "rule: mean value inequality"
    if not _smooth(g):
        return _fail(meth, "g must be C^1 (exp, products, softmax; no norms, abs, log, roots)")
    gp, gq = g.xreplace({var: p}), g.xreplace({var: q})
    if model.is_matrix(var) and not model.is_matrix(g):
        # a scalar map of a vector: |g(p) - g(q)| <= sup ||grad g(z)||_2 ||p - q||_2
        z = MatrixSymbol("z", *var.shape)
        want_l = sp.Abs(gp - gq)
        want_r = Sup(Norm("2", model.Grad(g.xreplace({var: z}), z)), z, p, q) * Norm("2", p - q)
    elif model.is_matrix(var):
        z = MatrixSymbol("z", *var.shape)
        want_l = Norm("2", gp - gq)
        want_r = Sup(Norm("op", Jac(g.xreplace({var: z}), z)), z, p, q) * Norm("2", p - q)
    else:
        z = sp.Symbol("z", real=True)
        want_l = sp.Abs(gp - gq)
        want_r = Sup(sp.Abs(sp.diff(g.xreplace({var: z}), z)), z, p, q) * sp.Abs(p - q)
    if lhs != want_l:
        return _fail(meth, f"the left side is not the norm of {gp} - {gq}")
    if rhs != want_r:
        return _fail(meth, f"the right side must be {want_r}")
    return StepCheck(True, meth, "Jacobian derived by SymPy")


def sup_constant(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``sup_{z in [p, q]} h = h`` (or over unit ``z``) when ``h`` does not depend on ``z``."""
    meth = "rule: supremum of a constant"
    if isinstance(lhs, Sup | SupUnit) and not lhs.body.has(lhs.var) and lhs.body == rhs:
        return StepCheck(True, meth)
    return _fail(meth, "the body depends on the bound variable or differs")


def sup_monotone(lhs: sp.Expr, rhs: sp.Expr, bound: sp.Expr) -> StepCheck:
    """``sup_{z in [lo, hi]} h(z) <= h(delta)`` for a scalar ``z`` and ``h``
    nondecreasing on ``[-delta, delta]``, when ``|lo|, |hi| <= delta``: assumed
    ``|lo| <= delta`` and ``|hi| <= delta`` (0 is accepted without assumption)."""
    meth = "rule: monotone function on an interval"
    if not isinstance(lhs, Sup) or model.is_matrix(lhs.var):
        return _fail(meth, "the left side is not a supremum over a scalar interval")
    z = lhs.var
    # z ranges over [-bound, bound] (|lo|, |hi| <= bound): h must be nondecreasing on
    # all of it, not only between lo and the bound
    pol = polarity(lhs.body.xreplace({z: HOLE}), HOLE, -bound, bound)
    if pol != 1 or lhs.body.xreplace({z: HOLE}).free_symbols - {HOLE}:
        return _fail(meth, "the body is not nondecreasing in the bound variable")
    if rhs != lhs.body.xreplace({z: bound}):
        return _fail(meth, "the right side is not the body at the bound")
    assumes = tuple(
        Relation(sp.Abs(e), "<=", bound)
        for e in (lhs.lo, lhs.hi)
        if not (sp.Abs(e) - bound).is_nonpositive
    )
    return StepCheck(True, meth, assumes=assumes)


# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------
#: working precisions (bits) tried in turn to decide the sign of a constant
SIGN_PRECISIONS = (64, 128, 256, 512, 1024, 2048)


def constant_sign(c: sp.Basic) -> int | None:
    """The sign of a real constant, decided rigorously: exactly for a rational, else
    by an Arb enclosure that excludes 0 at one of :data:`SIGN_PRECISIONS`; 0 only
    for an exact zero (SymPy simplifies it to 0); ``None`` when undecided (never a
    guess from a few digits: ``cosh(1)**2 - sinh(1)**2 - 1 - 10**-20`` is negative)."""
    c = exact(sp.sympify(c))
    if not c.is_number:
        return None
    if c.is_Rational:
        return int(sp.sign(c))
    from flint import ctx

    from softproof.numeric.balls import evaluate_arb

    for prec in SIGN_PRECISIONS:
        try:
            with ctx.workprec(prec):
                ball = evaluate_arb(c, {}, prec)
                if ball > 0:
                    return 1
                if ball < 0:
                    return -1
        except (ValueError, ArithmeticError, TypeError, NotImplementedError):
            return None
    try:
        if sp.simplify(c) == 0:
            return 0
    except (TypeError, ValueError, RecursionError):
        pass
    return None


def _nonneg_number(c: sp.Basic) -> bool:
    """``c >= 0`` for a constant ``c``, decided rigorously (:func:`constant_sign`)."""
    sign = constant_sign(c)
    return sign is not None and sign >= 0


def _nonneg_on_box(e: sp.Expr, lows: dict[sp.Symbol, sp.Expr]) -> bool:
    """``e >= 0`` whenever every ``v >= lows[v]``: after ``v = low + s_v``
    numerator and denominator are polynomials in the ``s_v`` with
    nonnegative coefficients (and the denominator is not zero)."""
    shifts = {v: sp.Symbol(f"_s_{v}", nonnegative=True) for v in lows}
    e = sp.together(e.subs({v: lows[v] + shifts[v] for v in lows}))
    num, den = sp.fraction(e)
    gens = list(shifts.values())
    try:
        pn, pd = sp.Poly(sp.expand(num), *gens), sp.Poly(sp.expand(den), *gens)
    except sp.PolynomialError:
        return False

    def nonneg(c):
        return _nonneg_number(c) if c.is_number else False

    sign = 1 if all(nonneg(c) for c in pd.coeffs()) else -1
    if sign == -1 and not all(nonneg(-c) for c in pd.coeffs()):
        return False
    if pd.is_zero or pd.eval({g: 0 for g in gens}) == 0:
        return False  # the denominator must not vanish at the corner
    return all(nonneg(sign * c) for c in pn.coeffs())


def constant_comparison(lhs: sp.Expr, rhs: sp.Expr, lows: dict | None = None) -> StepCheck:
    """``lhs <= rhs`` for positive ``lhs, rhs`` and every ``v >= lows[v]``
    (e.g. ``R >= 4``, ``n >= 1``), decided exactly: ``h = log rhs - log lhs``
    satisfies ``h(lows) >= 0`` (a number, its sign decided by SymPy with
    certified precision) and ``dh/dv >= 0`` on the box (rational function with
    nonnegative coefficients after shifting).  With no variables: a numeric
    comparison decided exactly (``e^{1/100} <= 2``)."""
    meth = "exact comparison of constants"
    lows = {k: sp.sympify(v) for k, v in dict(lows or {}).items()}
    lhs, rhs = exact(lhs), exact(rhs)

    def positive(v: sp.Expr) -> bool:
        return constant_sign(v) == 1 if v.is_number else bool(v.is_positive)

    if not (positive(lhs) and positive(rhs)):
        return _fail(meth, "both sides must be positive (could not decide)")
    h = sp.expand_log(sp.log(rhs) - sp.log(lhs), force=True)
    extra = h.free_symbols - set(lows)
    if extra:
        return _fail(meth, f"depends on {sorted(map(str, extra))} with no lower bound given")
    h0 = h.subs(lows)
    sign = constant_sign(h0) if h0.is_number else None
    if sign is None:
        return _fail(meth, f"could not decide the sign of the log-ratio {h0} rigorously")
    if sign < 0:
        return _fail(meth, f"fails at {lows}: log-ratio {h0}")
    for v in lows:
        if not _nonneg_on_box(sp.diff(h, v), lows):
            return _fail(meth, f"could not show the log-ratio is nondecreasing in {v}")
    where = ", ".join(f"{k} >= {v}" for k, v in lows.items()) or "numbers"
    assumes = tuple(
        Relation(low, "<=", v) for v, low in lows.items() if not (v == model.n and low <= 1)
    )
    return StepCheck(True, meth, f"for all {where}", level="exact", assumes=assumes)


# --------------------------------------------------------------------------
# Lemmas applied entrywise
# --------------------------------------------------------------------------
def entrywise_lemma(
    lhs: sp.Expr, rhs: sp.Expr, claim: Relation, hyp: Relation, t: sp.Symbol = model.t
) -> StepCheck:
    """From a proved scalar lemma ``|phi(t)| <= k |t|`` for ``|t| <= delta``
    (E1: ``|e^t - 1| <= 2|t|`` for ``|t| <= 0.01``), the vector form
    ``||phi(v)||_inf <= k ||v||_inf`` if ``||v||_inf <= delta`` (assumed)."""
    meth = "rule: scalar lemma applied entrywise"
    if not (isinstance(claim.lhs, sp.Abs) and _is_norm(lhs, "inf")):
        return _fail(meth, "expected ||phi(v)||_inf on the left and |phi(t)| in the lemma")
    k = sp.simplify(claim.rhs / sp.Abs(t))
    delta = hyp.rhs
    if k.free_symbols or hyp.lhs != sp.Abs(t) or hyp.op not in ("<=", "<"):
        return _fail(meth, "the lemma must read |phi(t)| <= k |t| for |t| <= delta")
    if not (isinstance(rhs, sp.Mul) and len(rhs.args) == 2 and _is_norm(rhs.args[1], "inf")):
        return _fail(meth, "the right side must be k ||v||_inf")
    v = rhs.args[1].arg
    if not same(rhs.args[0], k):
        return _fail(meth, f"the constant {rhs.args[0]} is not the lemma's {k}")
    w = MatrixSymbol("w_", *v.shape)
    phi_vec = lhs.arg.xreplace({v: w})
    if phi_vec.has(v) or phi_vec.free_symbols - {w, model.n, model.d}:
        return _fail(meth, "the vector expression is not phi applied to v alone")
    i = sp.Symbol("i", integer=True)
    entry = lower_entry(phi_vec, i, sp.S.Zero).xreplace({sp.IndexedBase("w_", real=True)[i]: t})
    entry = entry.replace(
        lambda a: isinstance(a, sp.Indexed) and a.indices == (i,) and str(a.base) == "w_",
        lambda a: t,
    )
    if entry.has(sp.Indexed) or entry.has(sp.Sum):
        # entry i must depend on v_i alone: other entries (sums, means) break the lemma
        return _fail(meth, f"entry {entry} depends on other entries of {v}")
    if sp.simplify(sp.Abs(entry) - claim.lhs) != 0:
        return _fail(meth, f"entry {entry} is not the lemma's {claim.lhs.args[0]} (up to sign)")
    return StepCheck(True, meth, assumes=(Relation(Norm("inf", v), hyp.op, delta),))


# --------------------------------------------------------------------------
# Quadratic forms and the probability simplex (S3)
# --------------------------------------------------------------------------
#: Sizes at which identities "on the simplex" are checked (``d`` plays no role:
#: ``f(x)`` is replaced by a probability vector ``s``).
SIMPLEX_SIZES: tuple[int, ...] = (1, 2, 3, 4, 5, 6)


def quadratic_form_norm(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """For a symmetric ``M``: ``||M|| = sup_{||v|| = 1} |v^T M v|`` (spectral
    theorem).  Symmetry ``M = M^T`` is proved as an identity."""
    meth = "rule: spectral norm of a symmetric matrix as a quadratic form"
    if not (_is_norm(lhs, "op") and isinstance(rhs, SupUnit)):
        return _fail(meth, "expected ||M|| = sup_{||v||=1} |v^T M v|")
    m, v = lhs.arg, rhs.var
    if rhs.body != sp.Abs(Dot(v, m * v)):
        return _fail(meth, "the body is not |<v, M v>|")
    w = MatrixSymbol("w_sym", *v.shape)
    sym = identity(Dot(w, m * v), Dot(v, m * w))  # <w, M v> = <v, M w> for all v, w
    if not sym.ok:
        nodes = list(model.unfold_all(m, lambda e: isinstance(e, model.F)).atoms(model.F, Softmax))
        sym = simplex_identity(m, m.T, nodes[0]) if len(nodes) == 1 else identity(m, m.T)
    if not sym.ok:
        return _fail(meth, f"symmetry not proved: {sym.detail}")
    return StepCheck(True, meth, f"symmetry: {sym.method}", level=sym.level)


def _simplex_lowered(e: sp.Basic, s_node: sp.Basic, k: int):
    """``e`` at size ``n = k`` (``d = 1``) with ``s_node`` (a softmax) replaced by
    a probability vector ``s`` whose last entry is ``1 - sum of the others``."""
    s = MatrixSymbol("s", model.n, 1)
    keep = lambda node: node == s_node  # noqa: E731
    e = model.unfold_all(e, keep).xreplace({s_node: s})
    low = lower_explicit(e, k, 1)
    svars = list(explicit_symbols(s, k, 1))
    last = {svars[-1]: 1 - sum(svars[:-1])}
    return low, svars, last


def _poly_zero(e: sp.Expr) -> bool:
    """``e`` is the zero polynomial (expanded as a ``Poly`` in its symbols)."""
    gens = sorted(e.free_symbols, key=str)
    if not gens:
        return sp.expand(e) == 0
    try:
        ring, *_ = sp.ring(gens, sp.QQ)
        return ring.from_expr(e) == 0  # sparse expansion over the rationals
    except (sp.PolynomialError, ValueError, TypeError, sp.CoercionFailed):
        return sp.expand(e) == 0


def simplex_identity(lhs: sp.Basic, rhs: sp.Basic, s_node: sp.Basic) -> StepCheck:
    """An identity that uses only ``sum_i s_i = 1`` for the softmax ``s_node``
    (E4/G7): both sides with ``s_node`` replaced by a vector ``s``, the last entry
    eliminated by ``sum s = 1``, expanded to zero at ``n = 1..6`` (explicit)."""
    meth = "SymPy identity modulo sum(s) = 1"
    simplex = softmax_simplex(Dot(s_node, model.ones(s_node.shape[0])), sp.S.One)
    if not simplex.ok:
        return _fail(meth, "the replaced node is not a softmax")
    prove = _get_identities()
    if prove is not None:
        try:
            if _result_status(prove(lhs, rhs, "symbolic")) == "proved":
                return StepCheck(True, "SymPy identity (prove_identity), symbolic n, d")
        except Exception:  # noqa: BLE001 - fall back to explicit sizes
            pass
    for k in SIMPLEX_SIZES:
        left, vars_, last = _simplex_lowered(lhs, s_node, k)
        right, _, _ = _simplex_lowered(rhs, s_node, k)
        diff = left - right
        entries = list(diff) if isinstance(diff, sp.MatrixBase) else [diff]
        if not all(_poly_zero(sp.sympify(q).xreplace(last)) for q in entries):
            return _fail(meth, f"the two sides differ at n={k}")
    sizes = f"n in {SIMPLEX_SIZES[0]}..{SIMPLEX_SIZES[-1]}"
    return StepCheck(True, f"{meth}, explicit {sizes}", level=f"explicit {sizes}")


def weighted_max(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``|sum_i s_i h_i q_i| <= ||h||_inf sum_i s_i q_i`` for ``s >= 0`` (a
    softmax, E4) and ``q = w o w >= 0``."""
    meth = "rule: weighted maximum (nonnegative weights)"
    if not (isinstance(lhs, sp.Abs) and isinstance(lhs.args[0], Dot)):
        return _fail(meth, "the left side is not |<s o h, q>|")
    p, q = lhs.args[0].args
    if not (isinstance(p, HadamardProduct) and isinstance(q, HadamardProduct)):
        return _fail(meth, "expected <s o h, w o w>")
    if len(set(q.args)) != 1 or len(q.args) != 2:
        return _fail(meth, "the second factor is not a square w o w")
    for s, h in (p.args, p.args[::-1]):
        if _softmax_parts(s) is not None and same(rhs, Norm("inf", h) * Dot(s, q)):
            return StepCheck(True, meth, "weights: softmax entries (E4)")
    return _fail(meth, "expected ||h||_inf <s, w o w> with s a softmax")


def quadratic_form_bound(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``<v, M v> <= |<v, M v>| <= ||v||_2 ||M v||_2 <= ||M|| ||v||_2^2``
    (Cauchy-Schwarz and submultiplicativity)."""
    meth = "rule: quadratic form bound (Cauchy-Schwarz, submultiplicativity)"
    if isinstance(lhs, Dot) and isinstance(lhs.args[1], MatMul):
        v = lhs.args[0]
        c, m = _split_scalar(lhs.args[1])
        if c == 1 and isinstance(m, MatMul) and m.args[-1] == v:
            mat = MatMul(*m.args[:-1]).doit() if len(m.args) > 2 else m.args[0]
            if same(rhs, Norm("op", mat) * Norm("2", v) ** 2):
                return StepCheck(True, meth)
    return _fail(meth, "expected <v, M v> <= ||M|| ||v||^2")


def unit_vector(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``||v||_2 = 1`` for ``v`` bound by ``sup_{||v|| = 1}`` (the chain checks
    that ``v`` is bound there)."""
    if _is_norm(lhs, "2") and isinstance(lhs.arg, MatrixSymbol) and rhs == 1:
        return StepCheck(True, "rule: unit vector")
    return _fail("rule: unit vector", "expected ||v||_2 = 1")


def _simplex_cert_ok(expr, cert, svars, last) -> bool:
    cons = [*svars, *[1 - s for s in svars]]
    if _certificate_terms_ok(cert, cons) is not None:
        return False
    return sp.expand((expr - cert).xreplace(last)) == 0


def _generic_simplex_entry(vec: sp.Basic, s_node: sp.Basic):
    """Generic entry ``i`` of ``vec`` at symbolic ``n`` with ``s_node`` replaced
    by a vector ``s``; returns (entry, s[i], the IndexedBase of s, i)."""
    s = MatrixSymbol("s", model.n, 1)
    keep = lambda node: node == s_node  # noqa: E731
    e = model.unfold_all(vec, keep).xreplace({s_node: s})
    i = sp.Symbol("i", integer=True)
    entry = lower_entry(e, i, sp.S.Zero)
    base = indexed_base(s)
    return _canon_sums(entry), base[i], base, i


def _full_sum(summand_of, base_len) -> sp.Expr:
    """``Sum(summand_of(j), (j, 0, n - 1))`` in canonical index form."""
    j = sp.Symbol("_k0", integer=True)
    return sp.Sum(summand_of(j), (j, 0, base_len - 1))


def _entry_bound_symbolic(vec: sp.Basic, s_node: sp.Basic) -> bool:
    """Every n: entry ``i`` is ``2 s_i - Q`` with ``Q = sum_j s_j^2``; then
    ``1 - (2s_i - Q) = (1 - s_i)^2 + (Q - s_i^2)`` and ``1 + (2 s_i - Q) = 2 s_i +
    (1 - Q)``, where ``Q - s_i^2 = sum_{j != i} s_j^2 >= 0`` and ``1 - Q =
    sum_j s_j (1 - s_j) >= 0`` (``s_j in [0, 1]``, ``sum s = 1``)."""
    entry, si, base, _ = _generic_simplex_entry(vec, s_node)
    q_sum = _full_sum(lambda j: base[j] ** 2, model.n)
    sig, q = sp.Symbol("sigma"), sp.Symbol("Q")
    plain = entry.xreplace({q_sum: q, si: sig})
    if plain.free_symbols - {sig, q} or sp.expand(plain - (2 * sig - q)) != 0:
        return False
    up = sp.expand((1 - plain) - ((1 - sig) ** 2 + (q - sig**2))) == 0
    down = sp.expand((1 + plain) - (2 * sig + (1 - q))) == 0
    return up and down


def _oscillation_symbolic(vec: sp.Basic, s_node: sp.Basic) -> bool:
    """Every n: entry ``i`` is ``b_i - sum_j s_j b_j = sum_j s_j (b_i - b_j)``
    (``sum s = 1``), a convex combination, so ``|.| <= max_j |b_i - b_j|``;
    ``2(b_i^2 + b_j^2) - (b_i - b_j)^2 = (b_i + b_j)^2`` and ``b_i^2 + b_j^2 <=
    ||b||^2`` for ``j != i``."""
    entry, _, base, i = _generic_simplex_entry(vec, s_node)
    bb = indexed_base(model.b)
    want = bb[i] - _full_sum(lambda j: bb[j] * base[j], model.n)
    alt = bb[i] - _full_sum(lambda j: base[j] * bb[j], model.n)
    if entry not in (want, alt) and sp.expand(entry - want) != 0:
        return False
    p, q = sp.symbols("p q")
    return sp.expand(2 * (p**2 + q**2) - (p - q) ** 2 - (p + q) ** 2) == 0


def simplex_entry_bound(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``|2 s_i - ||s||^2| <= 1`` on the simplex: ``1 - 2s_i + ||s||^2 =
    (1 - s_i)^2 + sum_{j != i} s_j^2`` and ``1 + 2 s_i - ||s||^2 = 2 s_i +
    sum_j s_j (1 - s_j)`` (using ``sum s = 1``); certificates checked at
    ``n = 1..6`` for every ``i``."""
    meth = "SOS certificates on the simplex"
    if not (_is_norm(lhs, "inf") and rhs == 1):
        return _fail(meth, "expected ||2s - ||s||^2 1||_inf <= 1")
    nodes = [a for a in lhs.atoms(model.F, Softmax)]
    if len(nodes) != 1:
        return _fail(meth, "expected one softmax vector")
    (s_node,) = nodes
    want = 2 * s_node - Dot(s_node, s_node) * model.ones(model.n)
    if not _mat_equal(lhs.arg, want):
        return _fail(meth, f"{lhs.arg} is not 2s - <s, s> 1")
    if _entry_bound_symbolic(lhs.arg, s_node):
        return StepCheck(True, f"{meth}, symbolic n (generic entry)")
    for k in SIMPLEX_SIZES:
        low, sv, last = _simplex_lowered(lhs.arg, s_node, k)
        for i in range(k):
            hi = low[i]
            up = (1 - sv[i]) ** 2 + sum((sv[j] ** 2 for j in range(k) if j != i), sp.S.Zero)
            dn = 2 * sv[i] + sum((sv[j] * (1 - sv[j]) for j in range(k)), sp.S.Zero)
            if not (
                _simplex_cert_ok(1 - hi, up, sv, last) and _simplex_cert_ok(1 + hi, dn, sv, last)
            ):
                return _fail(meth, f"certificate fails at n={k}, i={i + 1}")
    sizes = f"n in {SIMPLEX_SIZES[0]}..{SIMPLEX_SIZES[-1]}"
    return StepCheck(True, f"{meth}, explicit {sizes}", level=f"explicit {sizes}")


def simplex_oscillation(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``|b_i - <b, s>| <= sqrt(2) ||b||_2`` for ``s`` on the simplex:
    ``b_i - <b, s> = sum_j s_j (b_i - b_j)`` (``sum s = 1``) is a convex
    combination, so at most ``max_j |b_i - b_j|``, and
    ``2||b||^2 - (b_i - b_j)^2 = (b_i + b_j)^2 + 2 sum_{k != i,j} b_k^2``.
    Identity and certificates checked at ``n = 1..6`` for every ``i, j``."""
    meth = "convex combination and SOS certificates on the simplex"
    if not (_is_norm(lhs, "inf") and same(rhs, sp.sqrt(2) * Norm("2", model.b))):
        return _fail(meth, "expected ||b - <b, s> 1||_inf <= sqrt(2) ||b||_2")
    nodes = [a for a in lhs.atoms(model.F, Softmax)]
    if len(nodes) != 1:
        return _fail(meth, "expected one softmax vector")
    (s_node,) = nodes
    want = model.b - Dot(model.b, s_node) * model.ones(model.n)
    if not _mat_equal(lhs.arg, want):
        return _fail(meth, f"{lhs.arg} is not b - <b, s> 1")
    if _oscillation_symbolic(lhs.arg, s_node):
        return StepCheck(True, f"{meth}, symbolic n (generic entry)")
    for k in SIMPLEX_SIZES:
        low, sv, last = _simplex_lowered(lhs.arg, s_node, k)
        bv = list(explicit_symbols(model.b, k, 1))
        for i in range(k):
            comb = sum((sv[j] * (bv[i] - bv[j]) for j in range(k)), sp.S.Zero)
            if sp.expand((low[i] - comb).xreplace(last)) != 0:
                return _fail(meth, f"entry {i + 1} is not the convex combination at n={k}")
            for j in range(k):
                rest = sum((bv[m] ** 2 for m in range(k) if m not in (i, j)), sp.S.Zero)
                cert = (bv[i] + bv[j]) ** 2 + 2 * rest if i != j else 2 * sum(b_**2 for b_ in bv)
                gap = 2 * sum(b_**2 for b_ in bv) - (bv[i] - bv[j]) ** 2
                if sp.expand(gap - cert) != 0:
                    return _fail(meth, f"certificate fails at n={k}, i={i + 1}, j={j + 1}")
    sizes = f"n in {SIMPLEX_SIZES[0]}..{SIMPLEX_SIZES[-1]}"
    return StepCheck(True, f"{meth}, explicit {sizes}", level=f"explicit {sizes}")


def nonneg_combination(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``lhs <= rhs`` because ``rhs - lhs``, with norms and other nonnegative
    model quantities as variables, is a polynomial with nonnegative
    coefficients (decided exactly)."""
    meth = "exact comparison (nonnegative coefficients)"
    table: dict = {}
    diff = sp.expand(_atomize(exact(rhs), table) - _atomize(exact(lhs), table))
    atoms = [v for k, v in table.items() if k.is_nonnegative]
    if diff.free_symbols - set(atoms):
        return _fail(meth, "depends on quantities of unknown sign")
    poly = sp.Poly(diff, *atoms) if atoms else sp.Poly(diff, sp.Dummy())
    if all(c.is_number and _nonneg_number(c) for c in poly.coeffs()):
        return StepCheck(True, meth, level="exact")
    return _fail(meth, f"{diff} has a negative coefficient")


def diag_norm(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``||diag(v)|| = ||v||_inf`` (the singular values are the ``|v_i|``)."""
    if _is_norm(lhs, "op") and isinstance(lhs.arg, Diag) and rhs == Norm("inf", lhs.arg.args[0]):
        return StepCheck(True, "rule: spectral norm of a diagonal matrix")
    return _fail("rule: spectral norm of a diagonal matrix", "expected ||diag(v)|| = ||v||_inf")


def outer_norm(lhs: sp.Expr, rhs: sp.Expr) -> StepCheck:
    """``||v w^T|| = ||v||_2 ||w||_2`` (a rank-one matrix: its one singular value)."""
    meth = "rule: spectral norm of an outer product"
    if _is_norm(lhs, "op") and isinstance(lhs.arg, MatMul):
        c, prod = _split_scalar(lhs.arg)
        args = prod.args if isinstance(prod, MatMul) else ()
        if c == 1 and len(args) == 2 and args[0].shape[1] == 1 and isinstance(args[1], Transpose):
            v, w = args[0], args[1].arg
            if w.shape[1] == 1 and same(rhs, Norm("2", v) * Norm("2", w)):
                return StepCheck(True, meth)
    return _fail(meth, "expected ||v w^T|| = ||v||_2 ||w||_2")


def segment_norm(lhs: sp.Expr, rhs: sp.Expr, p: sp.Basic, q: sp.Basic) -> StepCheck:
    """Convexity of the ball (any norm): ``||z|| <= r`` for ``z`` on the segment
    ``[p, q]`` when ``||p|| <= r`` and ``||q|| <= r`` (assumed); the chain
    checks that ``z`` is bound by a supremum over ``[p, q]``."""
    meth = "rule: convexity of the ball"
    if not (_is_norm(lhs, "1", "2", "inf") and isinstance(lhs.arg, MatrixSymbol)):
        return _fail(meth, "expected ||z|| <= r")
    k = lhs.kind
    return StepCheck(
        True, meth, assumes=(Relation(Norm(k, p), "<=", rhs), Relation(Norm(k, q), "<=", rhs))
    )


#: rule name -> function; names used by chains and printed in proofs.
RULES: dict[str, Callable[..., StepCheck]] = {
    "identity": identity,
    "definition": definition,
    "sup_certificate": sup_certificate,
    "gershgorin": gershgorin_probability,
    "triangle": triangle,
    "homogeneity": homogeneity,
    "submultiplicative": submultiplicative,
    "transpose_norm": transpose_norm,
    "cauchy_schwarz": cauchy_schwarz,
    "hadamard_holder": hadamard_holder,
    "norm_comparison": norm_comparison,
    "exp_entrywise_max": exp_entrywise_max,
    "exp_sum_lower": exp_sum_lower,
    "softmax_simplex": softmax_simplex,
    "mean_value": mean_value,
    "sup_constant": sup_constant,
    "sup_monotone": sup_monotone,
    "constant_comparison": constant_comparison,
    "entrywise_lemma": entrywise_lemma,
    "quadratic_form_norm": quadratic_form_norm,
    "simplex_identity": simplex_identity,
    "weighted_max": weighted_max,
    "quadratic_form_bound": quadratic_form_bound,
    "unit_vector": unit_vector,
    "simplex_entry_bound": simplex_entry_bound,
    "simplex_oscillation": simplex_oscillation,
    "nonneg_combination": nonneg_combination,
    "diag_norm": diag_norm,
    "segment_norm": segment_norm,
    "outer_norm": outer_norm,
    "sinh_entrywise_max": sinh_entrywise_max,
    "cosh_entrywise_max": cosh_entrywise_max,
    "cosh_sum_lower": cosh_sum_lower,
    "positive_l2_sum": positive_l2_sum,
    "normalised_simplex": normalised_simplex,
}

#: rules whose conclusion is an equality (the others conclude ``<=``).
EQUALITY_RULES = frozenset(
    {
        "identity",
        "definition",
        "homogeneity",
        "transpose_norm",
        "softmax_simplex",
        "sup_constant",
        "quadratic_form_norm",
        "simplex_identity",
        "unit_vector",
        "diag_norm",
        "outer_norm",
        "normalised_simplex",
    }
)
