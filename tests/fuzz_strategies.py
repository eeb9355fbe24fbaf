"""Hypothesis strategies for the soundness fuzzers (a helper module, not collected).

:func:`statements` draws a :class:`Spec`: the TOML text of a statement file from the
statement-file grammar (tiny sizes ``n <= 3``, ``d <= 2``) together with what the
independent evaluator of ``test_soundness_fuzz.py`` needs to sample it: the exact
value of every fixed parameter, a box that contains the hypothesis set, and the
special points (kinks, near-zero denominators, equality points) of the claim.

Nothing here decides anything: the deciding paths of the toolkit are given the text,
the evaluator is given the text and this metadata.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

import mpmath
from hypothesis import strategies as st

__all__ = [
    "Spec",
    "NEAR_CONSTANTS",
    "identity_specs",
    "inequality_specs",
    "statements",
    "spec_text",
]


@dataclass(frozen=True)
class Spec:
    """A generated statement: its parts as text plus sampling metadata."""

    claim: str
    hypotheses: tuple[str, ...] = ()
    n: int = 1
    d: int = 1
    #: fixed parameters: name -> (TOML text of the value, exact value)
    fixed: tuple[tuple[str, str, Fraction], ...] = ()
    #: ranged parameters: name -> (low, high), exact
    ranged: tuple[tuple[str, Fraction, Fraction], ...] = ()
    #: variable -> radius r of a box [-r, r] (per entry) containing the hypothesis set
    radius: tuple[tuple[str, Fraction], ...] = ()
    #: values of t worth sampling (kinks, poles, equality points)
    t_points: tuple[Fraction, ...] = ()
    #: the template that produced the claim (for failure messages)
    origin: str = ""

    @property
    def is_identity(self) -> bool:
        return " == " in self.claim

    def toml(self, sid: str = "fuzz") -> str:
        """The statement file."""
        return spec_text(self, sid)


def spec_text(spec: Spec, sid: str = "fuzz") -> str:
    """The statement file of ``spec`` (every string as a TOML basic string)."""
    lines = [f'id = "{sid}"', f"sizes = {{ n = {spec.n}, d = {spec.d} }}"]
    params = [f"{name} = {text}" for name, text, _ in spec.fixed]
    params += [f"{name} = [{_num(lo)}, {_num(hi)}]" for name, lo, hi in spec.ranged]
    if params:
        lines.append("parameters = { " + ", ".join(params) + " }")
    if spec.hypotheses:
        lines.append("hypotheses = [" + ", ".join(_q(h) for h in spec.hypotheses) + "]")
    lines.append(f"claim = {_q(spec.claim)}")
    return "\n".join(lines) + "\n"


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _num(v: Fraction) -> str:
    """A TOML number whose decimal text is exactly ``v`` (v has a finite decimal)."""
    if v.denominator == 1:
        return str(v.numerator)
    return repr(float(v)) if Fraction(float(v)) == v and Fraction(repr(float(v))) == v else "0"


# --------------------------------------------------------------------------
# Literals near irrational constants: nearest doubles on each side, truncations
# --------------------------------------------------------------------------
def _near_literals(value: mpmath.mpf) -> list[str]:
    """Decimal texts just below and just above ``value``: the nearest doubles on each
    side (as 17 significant digits and as Python's shortest repr) and truncations."""
    with mpmath.workdps(60):
        exact = Fraction(mpmath.nstr(value, 50, strip_zeros=False))
    d = float(value)
    below = d if Fraction(d) < exact else math.nextafter(d, -math.inf)
    above = math.nextafter(below, math.inf)
    texts = {repr(below), repr(above), f"{below:.17g}", f"{above:.17g}", f"{below:.16g}"}
    digits = mpmath.nstr(value, 25, strip_zeros=False)
    for k in (12, 16, 17, 18, 20):
        head = digits[: k + 1]  # truncation: below
        texts.add(head)
        last = int(head[-1]) + 1
        if last < 10:
            texts.add(head[:-1] + str(last))  # one unit up in the last digit: above
    return sorted(texts)


#: (expression text of an irrational constant, decimal literals just below/above it)
NEAR_CONSTANTS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (text, tuple(_near_literals(v)))
    for text, v in (
        ("exp(1)", mpmath.e),
        ("sqrt(2)", mpmath.sqrt(2)),
        ("exp(1/3)", mpmath.exp(mpmath.mpf(1) / 3)),
    )
)

# --------------------------------------------------------------------------
# Random scalar expression trees in t (and model scalars)
# --------------------------------------------------------------------------
_T_LEAVES = ("t", "t", "(t - 1/2)", "(t + 10)", "(t - 1e-12)", "(1 - t)", "2", "1/3", "0")
_MODEL_SCALARS = (
    "alpha(x)",
    "L(x)",
    "dot(f(x), ones(n))",
    "norm2(f(x))",
    "norm1(u(x))",
    "norm_inf(c(x))",
    "dot(x, x)",
    "norm2(A @ x)",
    "dot(col(A, 1), f(x))",
)


def scalar_trees(model: bool = False, max_leaves: int = 6) -> st.SearchStrategy[str]:
    """Random scalar expressions over ``t`` (and model scalars when ``model``)."""
    leaves = st.sampled_from(_T_LEAVES + (_MODEL_SCALARS if model else ()))
    constants = st.sampled_from([lit for _, lits in NEAR_CONSTANTS for lit in lits[:2]])
    leaf = st.one_of(leaves, leaves, constants)

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        unary = st.tuples(
            st.sampled_from(
                [
                    "abs({})",
                    "sqrt(abs({}))",
                    "exp(-abs({}))",
                    "log(1 + abs({}))",
                    "-({})",
                    "({})**2",
                    "exp({}/4)",
                ]
            ),
            inner,
        ).map(lambda p: p[0].format(p[1]))
        binary = st.tuples(
            st.sampled_from(
                ["({} + {})", "({} - {})", "({} * {})", "({} / {})", "max({}, {})", "min({}, {})"]
            ),
            inner,
            inner,
        ).map(lambda p: p[0].format(p[1], p[2]))
        return st.one_of(unary, binary)

    return st.recursive(leaf, extend, max_leaves=max_leaves)


# --------------------------------------------------------------------------
# Identities
# --------------------------------------------------------------------------
#: (lhs, rhs) templates in E and F; some hold everywhere, some only where defined,
#: some are false (the prover must never prove those).
_IDENTITY_TEMPLATES = (
    ("abs({E})/({E})", "1"),
    ("sqrt(({E})**2)", "abs({E})"),
    ("sqrt(({E})**2)", "{E}"),
    ("max({E}, {F}) + min({E}, {F})", "{E} + {F}"),
    ("max({E}, {F})", "({E} + {F} + abs({E} - {F}))/2"),
    ("max({E}, {F})", "({E} + {F} + ({E} - {F}))/2"),
    ("({E}) * ({E} - 1e-12) / ({E} - 1e-12)", "{E}"),
    ("({E} - 1e-12) / ({E} - 1e-12)", "1"),
    ("log(exp({E}))", "{E}"),
    ("exp(log({E}))", "{E}"),
    ("({E} + 3)**2", "({E})**2 + 6*({E}) + 9"),
    ("({E} + 3)**2", "({E})**2 + 9"),
    ("abs({E}) * abs({F})", "abs(({E}) * ({F}))"),
    ("abs({E} + {F})", "abs({E}) + abs({F})"),
    ("exp({E}) * exp({F})", "exp({E} + {F})"),
    ("sqrt({E}) * sqrt({F})", "sqrt(({E}) * ({F}))"),
    ("sqrt(({E})**2) / ({E})", "1"),
    ("min({E}, {F})", "-max(-({E}), -({F}))"),
    ("abs({E})**2", "({E})**2"),
    ("max({E}, 1 - ({E}))", "1/2 + abs({E} - 1/2)"),
    ("max({E}, 1 - ({E}))", "{E}"),
)

#: model identities (vector and scalar), some true for every n, d, some only at d = 1
_MODEL_IDENTITIES = (
    ("alpha(x) * f(x)", "u(x)"),
    ("dot(f(x), ones(n))", "1"),
    ("softmax(A @ x)", "f(x)"),
    ("softmax(A @ x + t * ones(n))", "f(x)"),
    ("norm2(x)**2", "dot(x, x)"),
    ("norm2(x)", "norm1(x)"),
    ("norm_inf(x)", "norm2(x)"),
    ("f(x) - b", "c(x)"),
    ("u(x) / alpha(x)", "softmax(A @ x)"),
    ("abs(alpha(x) - 1) / (alpha(x) - 1)", "1"),
    ("grad(alpha(x), x)", "A.T @ u(x)"),
    ("grad(1/alpha(x), x)", "A.T @ f(x) / alpha(x)"),
    ("exp(log(alpha(x)))", "alpha(x)"),
    ("sqrt(alpha(x) * alpha(x))", "alpha(x)"),
    ("norm1(f(x))", "1"),
)

_SPECIAL_T = tuple(
    Fraction(v) for v in ("0", "1/2", "-10", "1e-12", "1", "-1", "-3", "-1/2", "3/2", "-11", "-9")
)


#: identities of the catalogue (claim texts), Hessians left out to keep examples fast
_CATALOGUE_IDENTITIES = (
    "jac(u(x), x) == diag(u(x)) @ A",
    "grad(alpha(x), x) == A.T @ u(x)",
    "grad(1/alpha(x), x) == -(A.T @ f(x)) / alpha(x)",
    "jac(f(x), x) == (diag(f(x)) - outer(f(x), f(x))) @ A",
    "grad(L(x), x) == A.T @ (diag(f(x)) - outer(f(x), f(x))) @ c(x)",
    "grad(L(x), x) == grad_L(x)",
    "(diag(f(x)) - outer(f(x), f(x))) @ ones(n) == 0 * ones(n)",
    "c(y) == c(x, b + f(x) - f(y))",
    "c(At, x) == c(A, x, b + f(A, x) - f(At, x))",
    "norm1(f(x)) == dot(f(x), ones(n))",
    "L(x) == norm2(c(x))**2 / 2",
)


def _mutate(draw, text: str) -> str:
    """One small edit of an identity: a sign, a model function, a tiny factor, or none."""
    lhs, rhs = text.split(" == ")
    op = draw(st.integers(0, 5))
    if op == 1 and (" - " in rhs or " + " in rhs):
        k = draw(st.integers(0, rhs.count(" - ") + rhs.count(" + ") - 1))
        parts = re.split(r" (?=[+-] )", rhs)  # each part after the first starts with a sign
        sign = parts[k + 1][0]
        parts[k + 1] = ("-" if sign == "+" else "+") + parts[k + 1][1:]
        rhs = " ".join(parts)
    elif op == 2 and "f(x)" in rhs:
        rhs = rhs.replace("f(x)", draw(st.sampled_from(["u(x)", "f(y)", "softmax(A @ x)"])), 1)
    elif op == 3:
        rhs = f"({rhs}) * (1 + {draw(st.sampled_from(['1e-12', '1e-30', '0']))})"
    elif op == 4:
        rhs = f"{rhs} + ({draw(st.sampled_from(['0', '1e-30', 't - t']))}) * {lhs}"
    return f"{lhs} == {rhs}"


@st.composite
def identity_specs(draw) -> Spec:
    """An identity claim (no hypotheses) at tiny sizes."""
    n, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    if draw(st.integers(0, 4)) == 0:
        claim = _mutate(draw, draw(st.sampled_from(_CATALOGUE_IDENTITIES)))
        return Spec(claim=claim, n=min(n, 2), d=d, t_points=_SPECIAL_T, origin="catalogue")
    if draw(st.integers(0, 3)) == 0:
        lhs, rhs = draw(st.sampled_from(_MODEL_IDENTITIES))
        origin = "model identity"
    else:
        lt, rt = draw(st.sampled_from(_IDENTITY_TEMPLATES))
        model = draw(st.booleans())
        e = draw(scalar_trees(model, max_leaves=3))
        f = draw(scalar_trees(model, max_leaves=3))
        lhs, rhs = lt.format(E=e, F=f), rt.format(E=e, F=f)
        origin = f"template {lt} == {rt}"
    if draw(st.booleans()):
        lhs, rhs = rhs, lhs
    return Spec(claim=f"{lhs} == {rhs}", n=n, d=d, t_points=_SPECIAL_T, origin=origin)


# --------------------------------------------------------------------------
# Inequalities
# --------------------------------------------------------------------------
def _t_hypothesis(draw) -> tuple[tuple[str, ...], tuple, tuple, Fraction]:
    """``abs(t) <= r`` (r a literal, a fixed parameter R, or a ranged one)."""
    r = draw(st.sampled_from([Fraction(1), Fraction(1, 2), Fraction(2), Fraction(11)]))
    how = draw(st.sampled_from(["literal", "literal", "fixed", "ranged"]))
    if how == "literal":
        return (f"abs(t) <= {_num(r)}",), (), (), r
    if how == "fixed":
        return ("abs(t) <= R",), (("R", _num(r), r),), (), r
    return ("abs(t) <= R",), (), (("R", r / 2, r),), r


def _constant_claim(draw) -> tuple[str, tuple[Fraction, ...]]:
    """An irrational constant against a literal just below or above it."""
    irr, lits = draw(st.sampled_from(NEAR_CONSTANTS))
    lit = draw(st.sampled_from(lits))
    form = draw(
        st.sampled_from(
            [
                "norm2({I} * t * ones(1)) <= {L} * abs(t)",
                "norm2({I} * t * ones(n)) <= {L} * sqrt(n) * abs(t)",
                "norm2(t * {I} * exp(ones(1) - ones(1))) <= {L} * abs(t)",
                "norm1({I} * t * ones(1)) <= {L} * abs(t)",
                "{I} * abs(t) <= {L} * abs(t)",
                "{L} * abs(t) <= {I} * abs(t)",
                "{I} * t**2 <= {L} * t**2",
                "{L} * t**2 <= {I} * t**2",
                "{I} + t <= {L} + t",
                "{L} + t <= {I} + t",
                "{I} + t < {L} + t",
                "{I} * (1 + t**2) <= {L} * (1 + t**2)",
                "norm2({I} * t * ones(2)) <= {L} * sqrt(2) * abs(t)",
            ]
        )
    )
    return form.format(I=irr, L=lit), (Fraction(1), Fraction(-1), Fraction(1, 2))


_KINK_CLAIMS = (
    ("1/2 <= max(t, 1 - t)", ("1/2",)),
    ("1/2 < max(t, 1 - t)", ("1/2",)),
    ("min(t, 1 - t) <= 1/2", ("1/2",)),
    ("min(t, 1 - t) < 1/2", ("1/2",)),
    ("0 <= abs(t)", ("0",)),
    ("0 < abs(t)", ("0",)),
    ("t <= abs(t)", ("0",)),
    ("abs(t) <= sqrt(t**2)", ("0",)),
    ("sqrt(t**2 + 1e-24) <= abs(t) + 1e-12", ("0",)),
    ("sqrt(t**2 + 1e-24) <= abs(t) + 9.99e-13", ("0",)),
    ("abs(t + 10)/(t + 10) <= 1", ("-10", "-10.5", "-9.5")),
    ("1 <= abs(t + 10)/(t + 10)", ("-10", "-10.5", "-9.5")),
    ("abs(t - 1e-12) <= abs(t) + 1e-12", ("1e-12", "0")),
    ("abs(t - 1e-12) < abs(t) + 1e-12", ("1e-12", "0")),
    ("abs(t) - abs(t - 1e-12) <= 1e-12", ("1e-12", "1")),
    ("abs(t) - abs(t - 1e-12) < 1e-12", ("1e-12", "1")),
    ("(t**2 - 1e-24)/(t - 1e-12) <= t + 1e-12", ("1e-12",)),
    ("t/(t - 1e-12) <= 2", ("1e-12", "2e-12")),
    ("max(t, 1 - t) - abs(t - 1/2) <= 1/2", ("1/2",)),
    ("max(t, 1 - t) - abs(t - 1/2) < 1/2", ("1/2",)),
    ("exp(abs(t)) >= 1 + abs(t)", ("0",)),
    ("exp(abs(t)) > 1 + abs(t)", ("0",)),
    ("log(1 + abs(t)) <= abs(t)", ("0",)),
    ("log(1 + abs(t)) < abs(t)", ("0",)),
)


#: claims in t and the bound R of abs(t) <= R (fixed or ranged); some fail at t = +-R
_PARAMETER_CLAIMS = (
    "t <= R",
    "t < R",
    "abs(t) <= R - 1e-12",
    "t * R <= R**2",
    "exp(t) <= exp(R)",
    "exp(t) < exp(R)",
    "t**2 <= R**2",
    "t**2 < R * R",
    "log(1 + R - t) >= 0",
    "log(1 + R - t) > 0",
    "sqrt(R - abs(t)) >= 0",
    "1/(R + 1e-12 - t) <= 1e12",
)


@st.composite
def _t_inequality(draw) -> Spec:
    hyps, fixed, ranged, r = _t_hypothesis(draw)
    kind = draw(st.sampled_from(["constant", "kink", "kink", "random", "perturbed", "parameter"]))
    points: tuple[Fraction, ...] = ()
    if kind == "parameter" and (fixed or ranged):
        claim = draw(st.sampled_from(_PARAMETER_CLAIMS))
        points = (r, -r, r / 2, -r / 2)
    elif kind == "parameter":
        claim = draw(st.sampled_from(_PARAMETER_CLAIMS)).replace("R", f"({_num(r)})")
        points = (r, -r)
    elif kind == "constant":
        claim, points = _constant_claim(draw)
    elif kind == "kink":
        claim, texts = draw(st.sampled_from(_KINK_CLAIMS))
        points = tuple(Fraction(p) for p in texts)
    elif kind == "random":
        a, b = draw(scalar_trees()), draw(scalar_trees())
        claim = f"{a} {draw(st.sampled_from(['<=', '<']))} {b}"
    else:
        a = draw(scalar_trees())
        eps = draw(st.sampled_from(("0", "1e-12", "-1e-12", "1e-30", "-1e-30")))
        claim = f"{a} {draw(st.sampled_from(['<=', '<']))} {a} + {eps}"
    n, d = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    return Spec(
        claim=claim,
        hypotheses=hyps,
        n=n,
        d=d,
        fixed=fixed,
        ranged=ranged,
        radius=(("t", r),),
        t_points=points + _SPECIAL_T,
        origin=kind,
    )


_MODEL_CLAIMS = (
    "norm1(f(x)) <= 1",
    "norm1(f(x)) < 1",
    "norm2(f(x)) <= 1",
    "norm_inf(f(x)) <= 1",
    "dot(f(x), ones(n)) <= 1",
    "1 <= dot(f(x), ones(n))",
    "alpha(x) <= n * exp(1)",
    "alpha(x) <= n * {L}",
    "n * exp(-1) <= alpha(x)",
    "n * {Linv} <= alpha(x)",
    "norm2(A @ x) <= norm2(x)",
    "norm2(A @ x) < norm2(x)",
    "norm2(A @ x) <= fro(A) * norm2(x)",
    "norm_inf(A @ x) <= 1",
    "norm_inf(A @ x) < 1",
    "abs(dot(col(A, 1), f(x))) <= 1",
    "norm2(u(x)) <= sqrt(n) * exp(1)",
    "norm2(u(x)) <= sqrt(n) * {L}",
    "norm2(A @ x) < 1",
    "opnorm(A) < 1",
    "fro(A) <= 1",
    "dot(x, x) < 1",
    "norm2(f(x) - f(y)) <= 1/2 * norm2(x - y)",
    "norm2(f(x) - f(y)) <= 0.49 * norm2(x - y)",
    "norm2(f(x) - f(y)) < 1/2 * norm2(x - y)",
    "abs(alpha(x) - alpha(y)) <= {L} * n * norm2(x - y)",
)


@st.composite
def _model_inequality(draw) -> Spec:
    n, d = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    e_lits = dict(NEAR_CONSTANTS)["exp(1)"]
    inv = _near_literals(mpmath.exp(-1))
    claim = draw(st.sampled_from(_MODEL_CLAIMS)).format(
        L=draw(st.sampled_from(e_lits)), Linv=draw(st.sampled_from(inv))
    )
    hyps: tuple[str, ...] = ("opnorm(A) <= 1", "norm2(x) <= 1")
    radius = (("A", Fraction(1)), ("x", Fraction(1)))
    if "y" in claim:
        hyps, radius = hyps + ("norm2(y) <= 1",), radius + (("y", Fraction(1)),)
    return Spec(claim=claim, hypotheses=hyps, n=n, d=d, radius=radius, origin="model")


def inequality_specs() -> st.SearchStrategy[Spec]:
    """Inequality claims with bounded hypotheses (certifiable domains)."""
    return st.one_of(_t_inequality(), _t_inequality(), _model_inequality())


def statements() -> st.SearchStrategy[Spec]:
    """Any generated statement."""
    return st.one_of(identity_specs(), inequality_specs())


def t_points(spec: Spec) -> tuple[Fraction, ...]:
    """Special values of t with neighbours at 1e-12, 1e-6 and 2**-40 on each side."""
    out: set[Fraction] = set()
    for p in spec.t_points:
        out.add(p)
        for h in (Fraction(1, 10**12), Fraction(1, 10**6), Fraction(1, 2**40), Fraction(1, 10)):
            out.update((p - h, p + h))
    return tuple(sorted(out))
