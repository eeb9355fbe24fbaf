"""The paper's constants against the best constants proved by a chain.

For P1-P4, Q1-Q4, T1, T2 the paper's constant is a SymPy expression in
``n, R, beta`` (``beta = e^{-R^2}``, E3); the best proved constant comes from a
chain of :mod:`softproof.derivations.chains` or from the chains built here:

* ``P1-sharp``: mean value theorem, ``J_u = diag(u) A`` (G1), ``||diag(u)|| =
  ||u||_inf <= e^{||A|| ||z||}``, convexity of the ball: ``R e^{R^2}`` (no 0.01
  condition);
* ``Q1-sharp``: the same in ``v = Ax`` with the segment ``[Ax, At x]`` in the
  ``inf``-ball of radius ``R^2``: ``R e^{R^2}``;
* ``P4-sharp`` / ``T1-sharp``: S1 with ``||A|| <= R``: ``R/2``;
* ``Q4-sharp`` / ``T2-sharp``: S2-b with ``||x|| <= R``: ``R/2``;
* ``S3-sharp``: ``sup_x ||B(x)|| <= 1/2 + ||b||_2 / sqrt 2`` (below), and
  ``S3-bmat`` / ``S3`` derive the catalogue's weaker forms from it.

S3 bound.  With ``f = f(x)``, ``J = diag(f) - f f^T``, ``c = f - b``, for a
unit vector ``v`` put ``w = v - <f, v> 1`` and ``h = 2f - <f, f> 1 - (b - <b, f> 1)``.
Using ``sum f = 1``: ``v^T B v = sum_i f_i h_i w_i^2`` and ``v^T J v = sum_i
f_i w_i^2``, so ``|v^T B v| <= ||h||_inf v^T J v <= ||h||_inf / 2`` (E5), and
``|2 f_i - ||f||^2| <= 1``, ``|b_i - <b, f>| <= sqrt 2 ||b||_2``.  Hence
``||B|| <= (1 + sqrt 2 ||b||_2) / 2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp
from sympy import MatrixSymbol

from . import chains as ch
from . import model
from .chains import _J, Chain, Cite, Step, _by, _e5_at, _hyp
from .model import A, At, Dot, F, Norm, R, b, beta, n, ones, x, y
from .rules import HOLE, Sup, SupUnit

__all__ = [
    "PAPER_CONSTANTS",
    "proved_constants",
    "SHARPNESS",
    "S3_CHAIN_IDS",
    "b_norm",
    "s3_bound_expr",
    "s3_bound",
    "s3_chain",
    "sharp_chain",
    "constants_table",
]

#: ``||b||_2`` as a plain symbol (for :data:`s3_bound_expr`).
b_norm = sp.Symbol("b_norm", nonnegative=True)

#: The proved bound on ``sup_x ||B(x)||`` (S3).
s3_bound_expr: sp.Expr = sp.Rational(1, 2) + b_norm / sp.sqrt(2)


def s3_bound(b_norm_value: float) -> float:
    """``1/2 + ||b||_2 / sqrt 2``: a proved bound on ``sup_x ||B(x)||`` (S3-sharp)."""
    if b_norm_value < 0:
        raise ValueError("||b||_2 must be nonnegative")
    return float(s3_bound_expr.subs(b_norm, b_norm_value))


# --------------------------------------------------------------------------
# Paper's and proved constants
# --------------------------------------------------------------------------
_M = n ** sp.Rational(3, 2) * sp.exp(10 * R**2)
_P4 = 4 * beta**-2 * n ** sp.Rational(3, 2) * R * sp.exp(2 * R**2)

#: id -> (the ratio the constant bounds, the paper's constant)
PAPER_CONSTANTS: dict[str, tuple[str, sp.Expr]] = {
    "P1": ("||u(x)-u(y)|| / ||x-y||", 2 * sp.sqrt(n) * R * sp.exp(R**2)),
    "P2": ("|alpha(x)-alpha(y)| / ||u(x)-u(y)||", sp.sqrt(n)),
    "P3": ("|1/alpha(x)-1/alpha(y)| / |alpha(x)-alpha(y)|", beta**-2),
    "P4": ("||f(x)-f(y)|| / ||x-y||", _P4),
    "Q1": ("||u_A(x)-u_At(x)|| / ||A-At||", 2 * sp.sqrt(n) * R * sp.exp(R**2)),
    "Q2": ("|alpha_A(x)-alpha_At(x)| / ||u_A(x)-u_At(x)||", sp.sqrt(n)),
    "Q3": ("|1/alpha_A-1/alpha_At| / |alpha_A-alpha_At|", beta**-2),
    "Q4": ("||f_A(x)-f_At(x)|| / ||A-At||", _P4),
    "T1": ("||b-b~|| / ||x_{t+1}-x_t||", _M),
    "T2": ("||b-b~|| / ||A_{t+1}-A_t||", _M),
}


@dataclass(frozen=True)
class Proved:
    """The best proved constant for an entry and the chain proving it."""

    constant: sp.Expr
    chain_id: str
    note: str = ""


def _const(chain: Chain, distance: sp.Expr) -> sp.Expr:
    """The constant ``K`` of a chain ending in ``K * distance``."""
    return sp.simplify(chain.steps[-1].expr / distance)


# --------------------------------------------------------------------------
# Sharper chains
# --------------------------------------------------------------------------
z_d = MatrixSymbol("z", model.d, 1)


def p1_sharp() -> Chain:
    """``||u(x) - u(y)|| <= R e^{R^2} ||x - y||`` for ``||A||, ||x||, ||y|| <= R``."""
    uz = model.U(A, z_d)
    dist = Norm("2", x - y)
    jac = model.Jac(uz, z_d)
    nA = Norm("op", A)

    def sup(body):
        return Sup(body, z_d, x, y) * dist

    steps = (
        Step(sup(Norm("op", jac)), _by("mean_value", g=model.U(A, x), var=x, p=x, q=y)),
        Step(sup(Norm("op", model.Diag(uz) * A)), _by("identity", jac, model.Diag(uz) * A)),
        Step(
            sup(Norm("op", model.Diag(uz)) * nA),
            _by(
                "submultiplicative", Norm("op", model.Diag(uz) * A), Norm("op", model.Diag(uz)) * nA
            ),
        ),
        Step(
            sup(Norm("inf", uz) * nA), _by("diag_norm", Norm("op", model.Diag(uz)), Norm("inf", uz))
        ),
        Step(
            sup(sp.exp(Norm("inf", A * z_d)) * nA),
            _by("exp_entrywise_max", Norm("inf", uz), sp.exp(Norm("inf", A * z_d))),
        ),
        Step(
            sup(sp.exp(nA * Norm("2", z_d)) * nA),
            _by("submultiplicative", Norm("inf", A * z_d), nA * Norm("2", z_d)),
        ),
        Step(sup(sp.exp(R * Norm("2", z_d)) * R), _hyp(nA, "<=", R)),
        Step(sup(sp.exp(R**2) * R), _by("segment_norm", Norm("2", z_d), R, p=x, q=y)),
        Step(
            R * sp.exp(R**2) * dist,
            _by("sup_constant", Sup(R * sp.exp(R**2), z_d, x, y), R * sp.exp(R**2)),
        ),
    )
    return Chain("P1-sharp", "P1", Norm("2", model.U(A, x) - model.U(A, y)), steps)


z_n = MatrixSymbol("z", n, 1)
w_n = MatrixSymbol("w", n, 1)


def _row_bound(doc) -> Chain:
    """``||doc x||_inf <= ||doc|| ||x|| <= R^2`` (E2 and the hypotheses)."""
    return Chain(
        f"rowbound[{doc}]",
        None,
        Norm("inf", doc * x),
        (
            Step(Norm("op", doc) * Norm("2", x), _by("submultiplicative")),
            Step(R * Norm("2", x), _hyp(Norm("op", doc), "<=", R)),
            Step(R**2, _hyp(Norm("2", x), "<=", R)),
        ),
    )


def q1_sharp() -> Chain:
    """``||u_A(x) - u_At(x)|| <= R e^{R^2} ||A - At||``: mean value theorem for
    ``exp`` entrywise between ``Ax`` and ``At x`` (``J = diag(e^z)``), the segment
    in the ``inf``-ball of radius ``R^2`` (E2), ``||(A - At)x|| <= ||A - At|| ||x||``."""
    ez = model.exp_ew(z_n)
    jac = model.Jac(ez, z_n)
    gap = Norm("2", A * x - At * x)

    def sup(body, tail=gap):
        return Sup(body, z_n, A * x, At * x) * tail

    start = Norm("2", model.U(A, x) - model.U(At, x))
    e0 = Norm("2", model.exp_ew(A * x) - model.U(At, x))
    e1 = Norm("2", model.exp_ew(A * x) - model.exp_ew(At * x))
    steps = (
        Step(e0, _by("definition", model.U(A, x), model.exp_ew(A * x))),
        Step(e1, _by("definition", model.U(At, x), model.exp_ew(At * x))),
        Step(
            sup(Norm("op", jac)), _by("mean_value", g=model.exp_ew(w_n), var=w_n, p=A * x, q=At * x)
        ),
        Step(sup(Norm("op", model.Diag(ez))), _by("identity", jac, model.Diag(ez))),
        Step(sup(Norm("inf", ez)), _by("diag_norm", Norm("op", model.Diag(ez)), Norm("inf", ez))),
        Step(
            sup(sp.exp(Norm("inf", z_n))),
            _by("exp_entrywise_max", Norm("inf", ez), sp.exp(Norm("inf", z_n))),
        ),
        Step(
            sup(sp.exp(R**2)),
            _by(
                "segment_norm",
                Norm("inf", z_n),
                R**2,
                p=A * x,
                q=At * x,
                discharge=(_row_bound(A), _row_bound(At)),
            ),
        ),
        Step(
            sp.exp(R**2) * gap,
            _by("sup_constant", Sup(sp.exp(R**2), z_n, A * x, At * x), sp.exp(R**2)),
        ),
        Step(
            sp.exp(R**2) * Norm("2", (A - At) * x), _by("homogeneity", gap, Norm("2", (A - At) * x))
        ),
        Step(
            sp.exp(R**2) * Norm("op", A - At) * Norm("2", x),
            _by("submultiplicative", Norm("2", (A - At) * x), Norm("op", A - At) * Norm("2", x)),
        ),
        Step(R * sp.exp(R**2) * Norm("op", A - At), _hyp(Norm("2", x), "<=", R)),
    )
    return Chain("Q1-sharp", "Q1", start, steps)


def _with_hyp(base: Chain, new_id: str, sid: str, old: sp.Expr, new: sp.Expr) -> Chain:
    """``base`` cited, then the hypothesis ``old <= new`` substituted."""
    end = base.steps[-1].expr
    return Chain(
        new_id,
        sid,
        base.start,
        (Step(end, Cite(base)), Step(end.xreplace({old: new}), _hyp(old, "<=", new))),
    )


def p4_sharp() -> Chain:
    """P4 with the constant ``R/2``: S1 and ``||A|| <= R``."""
    return _with_hyp(ch.chain("S1"), "P4-sharp", "P4", Norm("op", A), R)


def q4_sharp() -> Chain:
    """Q4 with the constant ``R/2``: S2-b and ``||x|| <= R``."""
    return _with_hyp(ch.chain("S2-b"), "Q4-sharp", "Q4", Norm("2", x), R)


def _t_sharp(tag: str) -> Chain:
    """T1 / T2 with ``R/2`` in place of ``M``: ``b - b~ = f_2 - f_1``, then P4-/Q4-sharp."""
    base = p4_sharp() if tag == "1" else q4_sharp()
    f1, f2 = _pair_points(tag)
    start = Norm("2", b - (b + f1 - f2))
    dist_stmt = Norm("2", y - x) if tag == "1" else Norm("op", At - A)
    dist = Norm("2", x - y) if tag == "1" else Norm("op", A - At)
    end = base.steps[-1].expr
    return Chain(
        f"T{tag}-sharp",
        f"T{tag}",
        start,
        (
            Step(base.start, _by("homogeneity")),
            Step(end, Cite(base)),
            Step(end.xreplace({dist: dist_stmt}), _by("homogeneity", dist, dist_stmt)),
        ),
    )


def _pair_points(tag: str):
    return (F(A, x), F(A, y)) if tag == "1" else (F(A, x), F(At, x))


# --------------------------------------------------------------------------
# S3
# --------------------------------------------------------------------------
v_n = MatrixSymbol("v", n, 1)
S3_CHAIN_IDS = ("S3-sharp", "S3-bmat", "S3")


def _s3_parts():
    f = F(A, x)
    one = ones(n)
    w = v_n - Dot(f, v_n) * one
    h1 = 2 * f - Dot(f, f) * one
    h2 = Dot(b, f) * one - b
    h = h1 + h2
    return f, w, h1, h2, h


def s3_b_sharp() -> Chain:
    """``||B(x)|| <= 1/2 + ||b||_2 / sqrt 2`` (module docstring)."""
    f, w, h1, h2, h = _s3_parts()
    bm = model.BMat(A, x, b)
    J = _J(f)
    ww = model.hadamard(w, w)
    q_b = Dot(v_n, bm * v_n)
    q_new = Dot(model.hadamard(f, h), ww)
    nh = Norm("inf", h)
    e = [SupUnit(sp.Abs(q_b), v_n)]
    steps = [Step(e[0], _by("quadratic_form_norm"))]

    def rw(old, new, why, at=None):
        prev = steps[-1].expr
        steps.append(
            Step(prev.xreplace({old: new}) if at is None else at.xreplace({HOLE: new}), why, at=at)
        )

    rw(q_b, q_new, _by("simplex_identity", q_b, q_new, s_node=f))
    rw(sp.Abs(q_new), nh * Dot(f, ww), _by("weighted_max", sp.Abs(q_new), nh * Dot(f, ww)))
    rw(
        Dot(f, ww),
        Dot(v_n, J * v_n),
        _by("simplex_identity", Dot(f, ww), Dot(v_n, J * v_n), s_node=f),
    )
    qf = Norm("op", J) * Norm("2", v_n) ** 2
    rw(Dot(v_n, J * v_n), qf, _by("quadratic_form_bound", Dot(v_n, J * v_n), qf))
    rw(Norm("op", J), sp.Rational(1, 2), _e5_at(f))
    rw(Norm("2", v_n), sp.S.One, _by("unit_vector", Norm("2", v_n), sp.S.One))
    prev = steps[-1].expr
    steps.append(Step(prev.body, _by("sup_constant")))
    rw(
        nh,
        Norm("inf", h1) + Norm("inf", h2),
        _by("triangle", nh, Norm("inf", h1) + Norm("inf", h2)),
    )
    rw(Norm("inf", h1), sp.S.One, _by("simplex_entry_bound", Norm("inf", h1), sp.S.One))
    h2n = Norm("inf", b - Dot(b, f) * ones(n))
    rw(Norm("inf", h2), h2n, _by("homogeneity", Norm("inf", h2), h2n))
    rw(h2n, sp.sqrt(2) * Norm("2", b), _by("simplex_oscillation", h2n, sp.sqrt(2) * Norm("2", b)))
    return Chain(
        "S3-sharp", "S3-sharp", Norm("op", bm), tuple(steps), "||B(x)|| <= 1/2 + ||b|| / sqrt 2"
    )


def s3_b() -> Chain:
    """The catalogue's ``||B|| <= 7/4 + 3/2 ||b||`` from S3-sharp."""
    sharp = s3_b_sharp()
    end = sharp.steps[-1].expr
    target = sp.Rational(7, 4) + sp.Rational(3, 2) * Norm("2", b)
    return Chain(
        "S3-bmat",
        "S3-bmat",
        sharp.start,
        (Step(end, Cite(sharp)), Step(target, _by("nonneg_combination"))),
    )


def s3() -> Chain:
    """S3: mean value theorem on ``grad L``, ``J_{grad L} = A^T B A`` (G6),
    submultiplicativity, S3-sharp, then the catalogue's constant."""
    gz = model.GradL(A, z_d, b)
    jac = model.Jac(gz, z_d)
    dist = Norm("2", x - y)
    bz = model.BMat(A, z_d, b)
    nA = Norm("op", A)
    sharp = s3_b_sharp()
    bound_z = sharp.steps[-1].expr  # independent of x

    def sup(body):
        return Sup(body, z_d, x, y) * dist

    hess = A.T * bz * A
    steps = (
        Step(sup(Norm("op", jac)), _by("mean_value", g=model.GradL(A, x, b), var=x, p=x, q=y)),
        Step(sup(Norm("op", hess)), _by("identity", jac, hess)),
        Step(
            sup(Norm("op", A.T * bz) * nA),
            _by("submultiplicative", Norm("op", hess), Norm("op", A.T * bz) * nA),
        ),
        Step(
            sup(Norm("op", A.T) * Norm("op", bz) * nA),
            _by("submultiplicative", Norm("op", A.T * bz), Norm("op", A.T) * Norm("op", bz)),
        ),
        Step(sup(Norm("op", bz) * nA**2), _by("transpose_norm", Norm("op", A.T), nA)),
        Step(sup(bound_z * nA**2), Cite(sharp, ((x, z_d),))),
        Step(
            bound_z * nA**2 * dist,
            _by("sup_constant", Sup(bound_z * nA**2, z_d, x, y), bound_z * nA**2),
        ),
        Step(
            (sp.Rational(7, 4) + sp.Rational(3, 2) * Norm("2", b)) * nA**2 * dist,
            _by(
                "nonneg_combination", bound_z, sp.Rational(7, 4) + sp.Rational(3, 2) * Norm("2", b)
            ),
            at=HOLE * nA**2 * dist,
        ),
    )
    return Chain("S3", "S3", Norm("2", model.GradL(A, x, b) - model.GradL(A, y, b)), steps)


@cache
def s3_chain(chain_id: str) -> Chain:
    """``S3-sharp``, ``S3-bmat`` or ``S3``."""
    return {"S3-sharp": s3_b_sharp, "S3-bmat": s3_b, "S3": s3}[chain_id]()


_SHARP = {
    "P1": p1_sharp,
    "Q1": q1_sharp,
    "P4": p4_sharp,
    "Q4": q4_sharp,
    "T1": lambda: _t_sharp("1"),
    "T2": lambda: _t_sharp("2"),
}


@cache
def sharp_chain(statement_id: str) -> Chain:
    """The chain proving the best constant for ``statement_id`` (P1, P4, Q4, T1, T2)."""
    return _SHARP[statement_id]()


# --------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------
def _distance(sid: str) -> sp.Expr:
    return {
        "P1": Norm("2", x - y),
        "Q1": Norm("op", A - At),
        "P4": Norm("2", x - y),
        "Q4": Norm("op", A - At),
        "T1": Norm("2", y - x),
        "T2": Norm("op", At - A),
    }[sid]


@cache
def proved_constants() -> dict[str, Proved]:
    """Best proved constant per entry, each from a checked chain."""
    out: dict[str, Proved] = {}
    for sid in PAPER_CONSTANTS:
        if sid in _SHARP:
            c = sharp_chain(sid)
            res = c.check()
            if res.ok:
                out[sid] = Proved(_const(c, _distance(sid)), c.id, "sharper chain")
                continue
        c = ch.chain(sid)
        if c.check().ok:
            out[sid] = Proved(PAPER_CONSTANTS[sid][1], c.id, "the paper's constant, proved")
    return out


#: Whether the proved constant is known to be best possible (never claimed proved here).
SHARPNESS: dict[str, str] = {
    "P1": "approached by A = R e1 w^T, x = R w, y -> x (catalogue note): observed, not proved",
    "Q1": "not examined",
    "P2": "Cauchy-Schwarz is tight when u(x) - u(y) is parallel to 1_n; not examined under H_x",
    "Q2": "as P2; not examined",
    "P3": "not examined",
    "Q3": "not examined",
    "P4": "1/2 ||A|| (S1) is approached with n = 2 (catalogue note): observed, not proved",
    "Q4": "not examined",
    "T1": "as P4: observed, not proved",
    "T2": "not examined",
}


def constants_table(n_value: int, r_value: float) -> list[dict]:
    """For P1-P4, Q1-Q4, T1, T2 at ``n``, ``R`` (``beta = e^{-R^2}``): the paper's
    constant (SymPy and float), the best proved constant, their ratio, the
    chain proving it and whether it is known to be best (``sharpness``, text)."""
    subs = {n: n_value, R: sp.nsimplify(r_value), beta: sp.exp(-(sp.nsimplify(r_value) ** 2))}
    proved = proved_constants()
    rows = []
    for sid, (quantity, paper) in PAPER_CONSTANTS.items():
        p_val = sp.N(paper.subs(subs), 20)
        row = {
            "id": sid,
            "quantity": quantity,
            "paper_constant": paper,
            "paper_value": float(p_val),
        }
        if sid in proved:
            pc = proved[sid]
            v = sp.N(pc.constant.subs(subs), 20)
            row.update(
                proved_constant=pc.constant,
                proved_value=float(v),
                ratio=float(p_val / v),
                chain=pc.chain_id,
                status=f"proved (chain {pc.chain_id}, {pc.note})",
            )
        else:
            row.update(
                proved_constant=None, proved_value=None, ratio=None, chain=None, status="no chain"
            )
        row["sharpness"] = SHARPNESS.get(sid, "not examined")
        rows.append(row)
    return rows
