"""The paper's constants against the best constants proved by a chain.

For P1-P4, Q1-Q4, T1, T2 the paper's constant is a SymPy expression in
``n, R, beta`` (``beta = e^{-R^2}``, E3); the best proved constant comes from the
entry's chain or from a sharper one, each the ``proof`` of a statement file of the
catalogue pack (helper lemmas ``<id>-sharp.toml``, read by :func:`chains.chain`):

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

from . import chains as ch
from .chains import Chain
from .model import A, At, Norm, R, beta, n, x, y

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
# Sharper chains: helper statements of the pack (``P1-sharp.toml``, ...)
# --------------------------------------------------------------------------
#: entry -> the pack's helper statement whose proof gives its best constant
_SHARP: dict[str, str] = {
    "P1": "P1-sharp",
    "Q1": "Q1-sharp",
    "P4": "P4-sharp",
    "Q4": "Q4-sharp",
    "T1": "T1-sharp",
    "T2": "T2-sharp",
}
S3_CHAIN_IDS = ("S3-sharp", "S3-bmat", "S3")


def sharp_chain(statement_id: str) -> Chain:
    """The chain proving the best constant for ``statement_id`` (P1, Q1, P4, Q4, T1, T2):
    the proof of the helper statement ``<id>-sharp`` (``KeyError`` for another id)."""
    return ch.chain(_SHARP[statement_id])


def s3_chain(chain_id: str) -> Chain:
    """``S3-sharp``, ``S3-bmat`` or ``S3``, read from their files."""
    if chain_id not in S3_CHAIN_IDS:
        raise KeyError(chain_id)
    return ch.chain(chain_id)


def p1_sharp() -> Chain:
    """``||u(x) - u(y)|| <= R e^{R^2} ||x - y||`` for ``||A||, ||x||, ||y|| <= R``."""
    return sharp_chain("P1")


def q1_sharp() -> Chain:
    """``||u_A(x) - u_At(x)|| <= R e^{R^2} ||A - At||`` (``||A||, ||At||, ||x|| <= R``)."""
    return sharp_chain("Q1")


def p4_sharp() -> Chain:
    """P4 with the constant ``R/2``: S1 and ``||A|| <= R``."""
    return sharp_chain("P4")


def q4_sharp() -> Chain:
    """Q4 with the constant ``R/2``: S2-b and ``||x|| <= R``."""
    return sharp_chain("Q4")


def s3_b_sharp() -> Chain:
    """``||B(x)|| <= 1/2 + ||b||_2 / sqrt 2`` (module docstring)."""
    return s3_chain("S3-sharp")


def s3_b() -> Chain:
    """The catalogue's ``||B|| <= 7/4 + 3/2 ||b||`` from S3-sharp."""
    return s3_chain("S3-bmat")


def s3() -> Chain:
    """S3: mean value theorem on ``grad L``, ``J_{grad L} = A^T B A`` (G6), S3-sharp."""
    return s3_chain("S3")


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
