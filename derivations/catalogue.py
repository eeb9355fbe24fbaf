"""The lemma catalogue (``lemmas.md``) as data: every D, G, E, P, Q, T, S entry and
every seeded mutant, each a :class:`Statement` written in the statement-file
language and parsed by the same :mod:`grammar` as user files.

Ids are the catalogue's.  ``G6'`` is registered as ``G6p`` (a quote is awkward
on a command line); :func:`get` accepts both spellings.  An entry with several
parts (E3 lower/upper, G7's three facts, ...) is registered under its id for
the first part and ``<id>-<part>`` (with ``part_of``) for the others.  Mutants
are ``<id>-m-<what>`` or ``<id>-m<digits of the factor>`` with ``expected=False``
and ``mutant_of``.

Defaults: sizes ``n = 7, d = 4``; ``R = 4`` and ``beta = exp(-R**2)`` (E3) for
the P/Q/T chains.  ``R`` stays fixed at 4 there: the theorem constant
``e^{10 R^2}`` is ``e^{160}`` at ``R = 4`` but overflows float64 from ``R ~ 8.4``.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from .grammar import parse_expression, parse_relation
from .statement import Kind, Statement, parameter_symbol

__all__ = ["CATALOGUE", "get", "all_entries", "entry", "ALIASES"]

#: every registered statement by id, in catalogue order
CATALOGUE: dict[str, Statement] = {}

#: other spellings accepted by :func:`get`
ALIASES: dict[str, str] = {"G6'": "G6p"}

PAPER = "arXiv:2304.13276"


def entry(
    id: str,
    *,
    title: str,
    claim: str,
    hypotheses: tuple[str, ...] | list[str] = (),
    source: str = "",
    parameters: Mapping[str, object] | None = None,
    sizes: Mapping[str, int] | None = None,
    kind: Kind | None = None,
    expected: bool = True,
    notes: str = "",
    mutant_of: str | None = None,
    part_of: str | None = None,
) -> Statement:
    """Parse and register one statement; an id may be registered only once."""
    if id in CATALOGUE:
        raise ValueError(f"catalogue id {id} registered twice")
    params = dict(parameters or {})
    symbols = {}
    for name, value in params.items():  # derived parameters come after what they use
        if isinstance(value, str):
            value = parse_expression(value, parameters=symbols)
            params[name] = value
        elif isinstance(value, list):
            params[name] = value = tuple(value)
        symbols[name] = parameter_symbol(name, value)
    rel = parse_relation(claim, parameters=symbols)
    stmt = Statement(
        id=id,
        title=title,
        claim=rel,
        hypotheses=tuple(parse_relation(h, parameters=symbols) for h in hypotheses),
        kind=kind or ("identity" if rel.op == "==" else "inequality"),
        source=source,
        sizes=dict(sizes or {"n": 7, "d": 4}),
        parameters=params,
        expected=expected,
        notes=notes,
        mutant_of=mutant_of,
        part_of=part_of,
        claim_text=claim,
        hypotheses_text=tuple(hypotheses),
    )
    CATALOGUE[id] = stmt
    return stmt


def mutant(of: str, suffix: str, *, claim: str | None = None, notes: str, **changes) -> Statement:
    """A seeded false variant of entry ``of`` (everything else copied)."""
    base = CATALOGUE[of]
    fields = {
        "title": f"{base.title} (mutant: {suffix})",
        "claim": claim or base.claim_text,
        "hypotheses": base.hypotheses_text,
        "source": f"seeded mutant of {of}",
        "parameters": {k: _as_text(v) for k, v in base.parameters.items()},
        "sizes": base.sizes,
        "kind": base.kind,
    }
    fields.update(changes)
    return entry(f"{of}-{suffix}", expected=False, mutant_of=of, notes=notes, **fields)


def _as_text(v: object) -> object:
    return v if isinstance(v, int | float | tuple) else str(v)


def get(id: str) -> Statement:
    """The statement ``id`` (``KeyError`` naming close matches if there is none)."""
    key = {a.upper(): v for a, v in ALIASES.items()}.get(id.upper(), id)
    if key in CATALOGUE:
        return CATALOGUE[key]
    upper = {k.upper(): k for k in CATALOGUE}
    if key.upper() in upper:
        return CATALOGUE[upper[key.upper()]]
    close = difflib.get_close_matches(key, list(CATALOGUE), n=4, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"no catalogue entry {id!r}{hint}")


def all_entries() -> list[Statement]:
    """Every statement, in catalogue order (definitions first, mutants last)."""
    return list(CATALOGUE.values())


# ==========================================================================
# Definitions (D)
# ==========================================================================
def _d(id: str, title: str, claim: str, part_of: str | None = None, notes: str = "") -> None:
    entry(
        id,
        title=title,
        claim=claim,
        kind="definition",
        source=f"{PAPER}, definitions",
        part_of=part_of,
        notes=notes,
    )


_d("D1", "u(x) = exp(Ax) entrywise", "u(x) == exp(A @ x)")
_d("D2", "alpha(x) = <u(x), 1_n>", "alpha(x) == dot(u(x), ones(n))")
_d("D3", "f(x) = alpha(x)^-1 u(x)", "f(x) == u(x) / alpha(x)")
_d("D3-softmax", "f(x) is the softmax of Ax", "f(x) == softmax(A @ x)", part_of="D3")
_d("D4", "c(x) = f(x) - b", "c(x) == f(x) - b")
_d("D5", "L(x) = 1/2 ||c(x)||_2^2", "L(x) == norm2(c(x))**2 / 2")
_d(
    "D6",
    "f_A(x): the document as the variable",
    "f(At, x) == softmax(At @ x)",
    notes="D6 is D1-D3 for any document; written here for the shifted document At.",
)
_d("D6-u", "u_A(x) for the document At", "u(At, x) == exp(At @ x)", part_of="D6")
_d(
    "D6-alpha",
    "alpha_A(x) for the document At",
    "alpha(At, x) == dot(u(At, x), ones(n))",
    part_of="D6",
)

# ==========================================================================
# Exact identities (G), in the derivative notation of the grammar
# ==========================================================================
J = "(diag(f(x)) - outer(f(x), f(x)))"  # the softmax Jacobian in Ax
B_G6 = (  # G6's B typed out from the catalogue, not the model's BMat
    f"{J}**2 + diag(c(x) * f(x)) - dot(c(x), f(x)) * diag(f(x))"
    " - outer(c(x) * f(x), f(x)) - outer(f(x), c(x) * f(x))"
    " + 2 * dot(c(x), f(x)) * outer(f(x), f(x))"
)
B_G6_FACTOR1 = B_G6.replace("+ 2 * dot(c(x), f(x))", "+ 1 * dot(c(x), f(x))")
B_G6P = (
    "diag((2*f(x) - b) * f(x)) - dot(f(x) - b, f(x)) * diag(f(x))"
    " + dot(3*f(x) - 2*b, f(x)) * outer(f(x), f(x))"
    " + outer(b * f(x), f(x)) + outer(f(x), b * f(x))"
    " - 2 * (outer(f(x) * f(x), f(x)) + outer(f(x), f(x) * f(x)))"
)
G_SRC = f"{PAPER} (gradient and Hessian lemmas, after Deng, Li, Song arXiv:2304.10411)"

entry(
    "G1",
    title="du/dx_i = u(x) o A_{*,i}",
    source=G_SRC,
    claim="jac(u(x), x) == diag(u(x)) @ A",
    notes="All columns at once: column i of diag(u) A is u(x) o A_{*,i}.",
)
entry(
    "G2",
    title="dalpha/dx_i = <u(x), A_{*,i}>",
    source=G_SRC,
    claim="grad(alpha(x), x) == A.T @ u(x)",
)
entry(
    "G3",
    title="d(1/alpha)/dx_i = -<f(x), A_{*,i}>/alpha(x)",
    source=G_SRC,
    claim="grad(1/alpha(x), x) == -(A.T @ f(x)) / alpha(x)",
)
entry(
    "G4",
    title="df/dx_i = f o A_{*,i} - <f, A_{*,i}> f",
    source=G_SRC,
    claim=f"jac(f(x), x) == {J} @ A",
)
entry(
    "G5",
    title="grad L = A^T (diag(f) - f f^T) c",
    source=G_SRC,
    claim=f"grad(L(x), x) == A.T @ {J} @ c(x)",
)
entry(
    "G5-model",
    title="the model's closed form grad_L is the gradient of L",
    source=G_SRC,
    claim="grad(L(x), x) == grad_L(x)",
    part_of="G5",
)
entry(
    "G6",
    title="hess L = A^T B(x) A (B typed out)",
    source=G_SRC,
    claim=f"hess(L(x), x) == A.T @ ({B_G6}) @ A",
)
entry(
    "G6-model",
    title="the model's B(x) is G6's B",
    source=G_SRC,
    claim=f"B(x) == {B_G6}",
    part_of="G6",
)
entry(
    "G6p",
    title="G6': B regrouped in b",
    source=G_SRC,
    claim=f"{B_G6} == {B_G6P}",
    notes="Catalogue id G6' (registered as G6p). Both sides are typed out from the "
    "catalogue, so neither relies on the model's B.",
)
entry(
    "G7",
    title="f is invariant under Ax -> Ax + t 1_n",
    source=G_SRC,
    claim="softmax(A @ x + t * ones(n)) == f(x)",
)
entry(
    "G7-sum",
    title="the entries of f sum to 1",
    source=G_SRC,
    claim="dot(f(x), ones(n)) == 1",
    part_of="G7",
)
entry(
    "G7-kernel",
    title="(diag(f) - f f^T) 1_n = 0",
    source=G_SRC,
    claim=f"{J} @ ones(n) == 0 * ones(n)",
    part_of="G7",
)

# ==========================================================================
# Elementary facts (E)
# ==========================================================================
entry(
    "E1",
    title="|e^t - 1| <= 2|t| for |t| <= 0.01",
    source=f"{PAPER}, used in the chain",
    hypotheses=["abs(t) <= 0.01"],
    claim="abs(exp(t) - 1) <= 2*abs(t)",
    notes="True for |t| <= 1.2564...; the sharp constant on [-0.01, 0.01] is "
    "(e^0.01 - 1)/0.01 ~ 1.005.",
)
entry(
    "E2",
    title="||Ax||_inf <= ||A|| ||x||_2",
    source=f"{PAPER}, used in the chain",
    claim="norm_inf(A @ x) <= opnorm(A) * norm2(x)",
)
entry(
    "E3",
    title="alpha(x) >= n exp(-||A|| ||x||_2)",
    source=f"{PAPER}, used in the chain",
    claim="n * exp(-opnorm(A) * norm2(x)) <= alpha(x)",
)
entry(
    "E3-upper",
    title="alpha(x) <= n exp(||A|| ||x||_2)",
    source=f"{PAPER}, used in the chain",
    claim="alpha(x) <= n * exp(opnorm(A) * norm2(x))",
    part_of="E3",
)
entry(
    "E3-beta",
    title="beta = exp(-R^2) bounds alpha from below",
    source=f"{PAPER}, used in the chain",
    part_of="E3",
    hypotheses=["opnorm(A) <= R", "norm2(x) <= R"],
    parameters={"R": 4},
    claim="exp(-R**2) <= alpha(x)",
)
entry(
    "E4",
    title="||f(x)||_1 = 1",
    source=f"{PAPER}, used in the chain",
    claim="norm1(f(x)) == 1",
    notes="E4 has three parts; f(x) > 0 is stated as norm1(f) == <f, 1_n> "
    "(E4-nonnegative), which gives f >= 0 (strict positivity is not expressible "
    "as one relation in the language).",
)
entry(
    "E4-nonnegative",
    title="f(x) >= 0 (||f||_1 = <f, 1_n>)",
    source=f"{PAPER}, used in the chain",
    part_of="E4",
    claim="norm1(f(x)) == dot(f(x), ones(n))",
)
entry(
    "E4-l2",
    title="||f(x)||_2 <= 1",
    source=f"{PAPER}, used in the chain",
    part_of="E4",
    claim="norm2(f(x)) <= 1",
)
entry(
    "E5",
    title="||diag(s) - s s^T|| <= 1/2 for a probability vector s",
    source=f"{PAPER}, used in the chain (Gershgorin)",
    claim=f"opnorm{J} <= 1/2",
    notes="s = f(x) = softmax(Ax) with A, x free reaches every probability vector in "
    "the interior of the simplex; the bound then extends to the boundary by "
    "continuity.",
)

# ==========================================================================
# The Lipschitz chain in x (P) and in the document (Q)
# ==========================================================================
CHAIN = {"R": 4, "beta": "exp(-R**2)"}
H_X = [
    "opnorm(A) <= R",
    "norm2(x) <= R",
    "norm2(y) <= R",
    "norm_inf(A @ (x - y)) < 0.01",
    "alpha(x) >= beta",
    "alpha(y) >= beta",
    "R >= 4",
]
H_A = [
    "opnorm(A) <= R",
    "opnorm(At) <= R",
    "norm2(x) <= R",
    "norm_inf((A - At) @ x) < 0.01",
    "alpha(A, x) >= beta",
    "alpha(At, x) >= beta",
    "R >= 4",
]
P_SRC = f"{PAPER}, Lipschitz lemmas in x (reconstructed chain)"
Q_SRC = f"{PAPER}, Lipschitz lemmas in A (reconstructed chain)"
CHAIN_NOTES = (
    "Reconstructed from the paper's proof structure with beta = exp(-R^2) (E3); "
    "this reconstruction is what is checked."
)

entry(
    "P1",
    title="||u(x) - u(y)|| <= 2 sqrt(n) R e^{R^2} ||x - y||",
    source=P_SRC,
    hypotheses=H_X,
    parameters=CHAIN,
    notes=CHAIN_NOTES,
    claim="norm2(u(x) - u(y)) <= 2*sqrt(n)*R*exp(R**2)*norm2(x - y)",
)
entry(
    "P2",
    title="|alpha(x) - alpha(y)| <= sqrt(n) ||u(x) - u(y)||",
    source=P_SRC,
    hypotheses=H_X,
    parameters=CHAIN,
    notes=CHAIN_NOTES,
    claim="abs(alpha(x) - alpha(y)) <= sqrt(n)*norm2(u(x) - u(y))",
)
entry(
    "P3",
    title="|1/alpha(x) - 1/alpha(y)| <= beta^-2 |alpha(x) - alpha(y)|",
    source=P_SRC,
    hypotheses=H_X,
    parameters=CHAIN,
    notes=CHAIN_NOTES,
    claim="abs(1/alpha(x) - 1/alpha(y)) <= beta**(-2)*abs(alpha(x) - alpha(y))",
)
entry(
    "P4",
    title="||f(x) - f(y)|| <= 4 beta^-2 n^1.5 R e^{2R^2} ||x - y||",
    source=P_SRC,
    hypotheses=H_X,
    parameters=CHAIN,
    notes=CHAIN_NOTES,
    claim="norm2(f(x) - f(y)) <= 4*beta**(-2)*n**1.5*R*exp(2*R**2)*norm2(x - y)",
)

entry(
    "Q1",
    title="||u_A(x) - u_At(x)|| <= 2 sqrt(n) R e^{R^2} ||A - At||",
    source=Q_SRC,
    hypotheses=H_A,
    parameters=CHAIN,
    notes=CHAIN_NOTES,
    claim="norm2(u(A, x) - u(At, x)) <= 2*sqrt(n)*R*exp(R**2)*opnorm(A - At)",
)
entry(
    "Q2",
    title="|alpha_A(x) - alpha_At(x)| <= sqrt(n) ||u_A(x) - u_At(x)||",
    source=Q_SRC,
    hypotheses=H_A,
    parameters=CHAIN,
    notes=CHAIN_NOTES,
    claim="abs(alpha(A, x) - alpha(At, x)) <= sqrt(n)*norm2(u(A, x) - u(At, x))",
)
entry(
    "Q3",
    title="|1/alpha_A - 1/alpha_At| <= beta^-2 |alpha_A - alpha_At|",
    source=Q_SRC,
    hypotheses=H_A,
    parameters=CHAIN,
    notes=CHAIN_NOTES,
    claim="abs(1/alpha(A, x) - 1/alpha(At, x)) <= beta**(-2)*abs(alpha(A, x) - alpha(At, x))",
)
entry(
    "Q4",
    title="||f_A(x) - f_At(x)|| <= 4 beta^-2 n^1.5 R e^{2R^2} ||A - At||",
    source=Q_SRC,
    hypotheses=H_A,
    parameters=CHAIN,
    notes=CHAIN_NOTES,
    claim="norm2(f(A, x) - f(At, x)) <= 4*beta**(-2)*n**1.5*R*exp(2*R**2)*opnorm(A - At)",
)

# ==========================================================================
# Main theorem (T): x_t = x, x_{t+1} = y; A_t = A, A_{t+1} = At
# ==========================================================================
M = "n**1.5*exp(10*R**2)"
T_SRC = f"{PAPER}, main theorem (bounded shift)"
T_NOTES = (
    "M = n^1.5 e^{10 R^2}; R fixed at 4 (e^{160} fits float64, e^{10 R^2} overflows "
    "from R ~ 8.4). Follows from the P (or Q) chain with beta = exp(-R^2), since "
    "4 n^1.5 R e^{4R^2} <= n^1.5 e^{10R^2}."
)
H_T1 = [
    "opnorm(A) <= R",
    "norm2(x) <= R",
    "norm2(y) <= R",
    "norm_inf(A @ (x - y)) < 0.01",
    "R >= 4",
]
H_T2 = [
    "opnorm(A) <= R",
    "opnorm(At) <= R",
    "norm2(x) <= R",
    "norm_inf((A - At) @ x) < 0.01",
    "R >= 4",
]
entry(
    "T1",
    title="weight shift: ||b - b~|| <= M ||x_{t+1} - x_t||",
    source=T_SRC,
    hypotheses=H_T1,
    parameters={"R": 4},
    notes=T_NOTES,
    claim=f"norm2(b - (b + f(x) - f(y))) <= {M}*norm2(y - x)",
)
entry(
    "T1-residual",
    title="moving x_t -> x_{t+1} equals moving b -> b~ = b + f(x_t) - f(x_{t+1})",
    source=T_SRC,
    part_of="T1",
    claim="c(y) == c(x, b + f(x) - f(y))",
)
entry(
    "T2",
    title="document shift: ||b - b~|| <= M ||A_{t+1} - A_t||",
    source=T_SRC,
    hypotheses=H_T2,
    parameters={"R": 4},
    notes=T_NOTES,
    claim=f"norm2(b - (b + f(A, x) - f(At, x))) <= {M}*opnorm(At - A)",
)
entry(
    "T2-residual",
    title="moving A_t -> A_{t+1} equals moving b -> b~",
    source=T_SRC,
    part_of="T2",
    claim="c(At, x) == c(A, x, b + f(A, x) - f(At, x))",
)
entry(
    "T3",
    title="one gradient step: ||x_{t+1} - x_t|| <= eta ||A|| (1 + ||b||) / 2",
    source=T_SRC,
    parameters={"eta": [0.001, 1]},
    claim="norm2((x - eta*grad_L(x)) - x) <= eta*opnorm(A)*(1 + norm2(b))/2",
    notes="x_{t+1} = x_t - eta grad L(x_t) with grad L in the closed form of G5; "
    "from G5, E4 (||c|| <= 1 + ||b||) and E5 (||diag(f) - ff^T|| <= 1/2).",
)

# ==========================================================================
# Sharp counterparts (S)
# ==========================================================================
entry(
    "S1",
    title="f is ||A||/2-Lipschitz in x",
    source="ours (E5 and the mean value theorem)",
    claim="norm2(f(x) - f(y)) <= opnorm(A)/2*norm2(x - y)",
    notes="No side conditions. Sharp: attained in the limit n = 2, A = R v w^T with "
    "v = (e1 - e2)/sqrt(2), x orthogonal to w, y -> x.",
)
entry(
    "S2",
    title="||f_A(x) - f_At(x)|| <= ||(A - At) x|| / 2",
    source="ours (E5)",
    claim="norm2(f(A, x) - f(At, x)) <= norm2((A - At) @ x)/2",
)
entry(
    "S2-b",
    title="||f_A(x) - f_At(x)|| <= ||x|| ||A - At|| / 2",
    source="ours (E5)",
    part_of="S2",
    claim="norm2(f(A, x) - f(At, x)) <= norm2(x)*opnorm(A - At)/2",
)
S3_NOTES = (
    "With J = diag(f) - ff^T and c = f - b, G6's B equals J^2 + diag(Jc) - (Jc) f^T - "
    "f (Jc)^T. By E5 ||J|| <= 1/2, so ||J^2|| <= 1/4, ||diag(Jc)|| <= ||Jc||_2 <= "
    "||c||_2/2 and ||(Jc) f^T + f (Jc)^T|| <= 2 ||Jc||_2 ||f||_2 <= ||c||_2; hence "
    "||B|| <= 1/4 + 3/2 ||c||_2 <= 7/4 + 3/2 ||b||_2 (E4: ||f||_2 <= 1). The mean value "
    "theorem on grad L = A^T J c gives S3. A valid explicit bound, not claimed best: "
    "the best bound on sup ||B|| is open."
)
entry(
    "S3",
    title="grad L is ||A||^2 (7/4 + 3/2 ||b||)-Lipschitz",
    source="ours (G6, E4, E5)",
    claim="norm2(grad_L(x) - grad_L(y)) <= opnorm(A)**2*(7/4 + 3*norm2(b)/2)*norm2(x - y)",
    notes=S3_NOTES,
)
entry(
    "S3-bmat",
    title="||B(x)|| <= 7/4 + 3/2 ||b||",
    source="ours (G6, E4, E5)",
    part_of="S3",
    claim="opnorm(B(x)) <= 7/4 + 3*norm2(b)/2",
    notes=S3_NOTES,
)
entry(
    "S3-bmat-c",
    title="||B(x)|| <= 1/4 + 3/2 ||c(x)||",
    source="ours (G6, E5)",
    part_of="S3",
    claim="opnorm(B(x)) <= 1/4 + 3*norm2(c(x))/2",
    notes=S3_NOTES,
)
entry(
    "S3-sharp",
    title="||B(x)|| <= 1/2 + ||b|| / sqrt(2): the best bound on sup ||B|| proved here",
    source="ours (G6, E4, E5; chain in derivations/sharp.py)",
    part_of="S3",
    claim="opnorm(B(x)) <= 1/2 + norm2(b)/sqrt(2)",
    notes="Proved for every n by the chain S3-sharp: B is symmetric, v^T B v = "
    "sum_i f_i h_i w_i^2 with w = v - <f, v> 1 and h = 2f - ||f||^2 1 - (b - <b, f> 1), "
    "|h_i| <= 1 + sqrt(2) ||b||, and sum_i f_i w_i^2 = v^T J v <= 1/2 (E5). The search "
    "reaches sup ||B|| ~ 0.25 at b = 0, so the constant is not sharp (within a factor ~2).",
)

# ==========================================================================
# Seeded mutants: each false, each must be caught
# ==========================================================================
S1_MUTANT_NOTES = (
    "False for every n >= 2: the sharp constant 1/2 is approached with n = 2, "
    "A = R v w^T, v = (e1 - e2)/sqrt(2), x orthogonal to w, y -> x. Sizes n = d = 2 "
    "so that bounded x suffice (at n = 7 the witnesses need large ||x||)."
)
mutant(
    "S1",
    "m099",
    title="S1 with 0.99 * 1/2: ||f(x) - f(y)|| <= 0.99 ||A|| ||x - y|| / 2",
    claim="norm2(f(x) - f(y)) <= 0.99*opnorm(A)/2*norm2(x - y)",
    sizes={"n": 2, "d": 2},
    notes=S1_MUTANT_NOTES,
)
mutant(
    "S1",
    "m0999",
    title="S1 with 0.999 * 1/2: ||f(x) - f(y)|| <= 0.999 ||A|| ||x - y|| / 2",
    claim="norm2(f(x) - f(y)) <= 0.999*opnorm(A)/2*norm2(x - y)",
    sizes={"n": 2, "d": 2},
    notes=S1_MUTANT_NOTES,
)
mutant(
    "E1",
    "m-wide",
    title="E1 on |t| <= 2: |e^t - 1| <= 2|t|",
    hypotheses=["abs(t) <= 2"],
    notes="|e^t - 1| <= 2|t| fails for t > 1.2564...; e.g. t = 2: e^2 - 1 ~ 6.39 > 4.",
)
mutant(
    "P1",
    "m099",
    title="P1 with 0.99 R e^{R^2}: ||u(x) - u(y)|| <= 0.99 R e^{R^2} ||x - y||",
    claim="norm2(u(x) - u(y)) <= 0.99*R*exp(R**2)*norm2(x - y)",
    notes="The sharp constant is R e^{R^2} (mean value theorem: ||diag(u) A|| <= "
    "e^{R^2} R), approached by A = R e1 w^T, x = R w, y = x - eps w, eps -> 0.",
)
mutant(
    "P3",
    "m-beta1",
    title="P3 with beta^-1: |1/alpha(x) - 1/alpha(y)| <= beta^-1 |alpha(x) - alpha(y)|",
    claim="abs(1/alpha(x) - 1/alpha(y)) <= beta**(-1)*abs(alpha(x) - alpha(y))",
    sizes={"n": 2, "d": 2},
    notes="Checked at n = 2 (beta = exp(-R^2) as in P3). At the default n = 7 this "
    "variant is still true: under ||A||, ||x|| <= R, ||Ax||_2 <= R^2 gives "
    "alpha >= n exp(-R^2/sqrt(n)) ~ 0.0166, so 1/(alpha(x) alpha(y)) <= 3.7e3 < "
    "e^{16} = beta^-1. At n = 2 alpha can be as small as 2 exp(-R^2/sqrt(2)) ~ 2.4e-5, "
    "and 1/(alpha(x) alpha(y)) ~ 1.7e9 > beta^-1 ~ 8.9e6.",
)
mutant(
    "G5",
    "m-sign",
    title="G5 with the sign of the second term flipped",
    claim="grad(L(x), x) == A.T @ (diag(f(x)) + outer(f(x), f(x))) @ c(x)",
    notes="The sign of the second term <c, f> <f, A_{*,i}> flipped.",
)
mutant(
    "G6",
    "m-factor1",
    title="G6 with 1 instead of 2 in 2<c,f> f f^T",
    claim=f"hess(L(x), x) == A.T @ ({B_G6_FACTOR1}) @ A",
    notes="The factor 2 in 2 <c, f> f f^T replaced by 1.",
)
mutant(
    "E5",
    "m-quarter",
    title="E5 with 1/4: ||diag(s) - s s^T|| <= 1/4",
    claim=f"opnorm{J} <= 1/4",
    notes="Fails near s = (1/2, 1/2, 0, ..., 0), where the norm tends to 1/2.",
)
