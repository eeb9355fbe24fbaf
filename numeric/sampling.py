"""Sampling the hypothesis set of a statement, read from its hypotheses as written.

A :class:`Sampler` recognises the shapes of hypotheses that the catalogue and
statement files use and turns each variable into a *plan element*: a smooth
map from a flat latent vector to the variable's value.

- ``opnorm(V) <= P``: ``V = P' s G / ||G||`` (spectral scaling, ``s`` in [0, 1]);
- ``norm2(v) <= P`` / ``norm_inf(v) <= P``: ``v = P' s z / ||z||`` (a ball);
- ``abs(t) <= P``, ``t <= P``, ``P <= t``: an interval;
- a hypothesis coupling a pair (``norm_inf(A @ (x - y)) < r``,
  ``norm_inf((A - At) @ x) < r``): the second member is an *offset*
  ``y = x + delta`` with ``delta`` rescaled so the condition holds, then
  projected back onto its own bound;
- ``norm(E - v) <= P`` with ``v`` a variable occurring once (``norm2(c(x)) <=
  0.01``, since ``c(x) = f(x) - b``): ``v`` is *centred*, ``v = E + ball``;
- anything else (``alpha(x) >= beta``, ``R >= 4``, ...) by rejection, after a
  *repair*: a failing row is pulled along a ray towards its anchor (the ball
  centre, ``y = x``, ...) to the last point the float64 screen accepts.

``P' = P (1 - 2^-40)`` keeps boundary samples inside the set also for the
rigorous re-check.  Every returned row satisfies all hypotheses in the
float64 screen (``hyp_ok``).  Parameters: fixed numbers, ``(low, high)``
ranges (uniform per row, endpoints with extra weight) or expressions in other
parameters (``beta = exp(-R**2)``, E3).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp
from sympy import MatAdd, MatMul, MatrixSymbol

from softproof.derivations import model
from softproof.derivations.grammar import parse_expression
from softproof.derivations.statement import VARIABLES, Relation, Statement

from .float64 import Evaluator, Screen, norm2_rows, spectral_norm

__all__ = [
    "INSET",
    "Element",
    "Sampler",
    "SamplingError",
    "SizeLimitError",
    "BATCH_BYTES",
    "ARB_SECONDS_LIMIT",
    "sample",
    "instance_at",
    "stack_instances",
    "resolve_parameter_exprs",
    "statement_sizes",
]

#: Factor applied to every recognised radius so boundary samples stay inside.
INSET = 1.0 - 2.0**-40

#: Env key holding a dummy ``(B,)`` array, so statements without variables batch too.
BATCH_KEY = "_batch"

#: Pairs ``(base, partner)``: the partner is sampled as an offset from the base.
PAIRS = (("x", "y"), ("A", "At"))

_MATRIX = ("A", "At")
_VECTOR = ("x", "y", "b")


#: memory budget of one batch of screened rows (latents, sampler and screen arrays)
BATCH_BYTES = 160 * 2**20

#: the largest accepted estimate of one rigorous (Arb) evaluation of an instance
ARB_SECONDS_LIMIT = 10.0
#: seconds per unit of ``n d`` (times ``min(n, d)`` with a spectral norm) of one
#: Arb evaluation, measured on this machine under load (1000 x 20 with a spectral
#: norm: ~0.03 s; 1000 x 1000: ~3 min)
ARB_SECONDS_PER_UNIT = 2e-7

#: probe sizes used to measure the screen's intermediate arrays (distinct, not 1)
_PROBE_N, _PROBE_D = 11, 5


class SamplingError(ValueError):
    """No point of the hypothesis set was found.

    ``reason``: ``'infeasible'`` (decided cheaply from the bounds, e.g. ``t <= 0``
    and ``t >= 1``), ``'unrepresentable'`` (a bound is not a finite float64),
    ``'not found'`` (the sampler found none) or ``'budget'`` (none found before
    the deadline).
    """

    def __init__(self, message: str, reason: str = "not found") -> None:
        super().__init__(message)
        self.reason = reason


class SizeLimitError(ValueError):
    """The sizes are above what the float64 screen accepts in bounded memory."""


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------
def _exact_end(v: Any) -> Fraction:
    """A range end as the number written: a float by its shortest decimal (``0.3`` is
    3/10, as every checker reads it), a SymPy or Python rational exactly."""
    if isinstance(v, float):
        return Fraction(repr(v))
    if isinstance(v, sp.Rational):
        return Fraction(int(v.p), int(v.q))
    return Fraction(v)


def _double_at_least(v: Any) -> float:
    """The least double not below the range end ``v``, so samples stay in the range."""
    q, x = _exact_end(v), float(v)
    return float(np.nextafter(x, np.inf)) if Fraction(x) < q else x


def _double_at_most(v: Any) -> float:
    """The greatest double not above the range end ``v``."""
    q, x = _exact_end(v), float(v)
    return float(np.nextafter(x, -np.inf)) if Fraction(x) > q else x


def resolve_parameter_exprs(statement: Statement) -> dict[str, Any]:
    """Parameters as numbers, ``(low, high)`` tuples or SymPy expressions."""
    names = set(statement.parameters)
    out: dict[str, Any] = {}
    for name, value in statement.parameters.items():
        if isinstance(value, str):
            out[name] = parse_expression(value, parameters=names)
        elif isinstance(value, sp.Basic) and not value.is_Number:
            out[name] = value
        elif isinstance(value, tuple | list):
            lo, hi = sorted(value, key=float)
            out[name] = (_double_at_least(lo), _double_at_most(hi))
        else:
            out[name] = float(value)
    return out


def statement_sizes(statement: Statement, sizes: Mapping[str, int] | None = None) -> dict[str, int]:
    """``n`` and ``d``: the statement's defaults overridden by ``sizes``."""
    out = {"n": 7, "d": 4}
    out.update({k: int(v) for k, v in (statement.sizes or {}).items() if k in ("n", "d")})
    out.update({k: int(v) for k, v in (sizes or {}).items() if v is not None and k in ("n", "d")})
    return out


# --------------------------------------------------------------------------
# Small numerical helpers
# --------------------------------------------------------------------------
def _norm(v: np.ndarray, kind: str) -> np.ndarray:
    """Row norms of a batch: vectors (B, k) or matrices (B, n, d)."""
    if v.ndim == 2:
        if kind == "inf":
            return np.abs(v).max(axis=1)
        if kind == "1":
            return np.abs(v).sum(axis=1)
        return norm2_rows(v)
    if kind == "op":
        return spectral_norm(v)
    if kind == "inf":
        return np.abs(v).max(axis=(1, 2))
    return norm2_rows(v)


def _unit(z: np.ndarray, kind: str) -> np.ndarray:
    """``z / ||z||`` row-wise (pre-scaled by ``max|z|``, so subnormal entries are
    safe); a zero or non-finite row becomes the first basis direction."""
    flat = z.reshape(len(z), -1)
    m = np.abs(flat).max(axis=1) if flat.shape[1] else np.ones(len(z))
    bad = ~(m > 0) | ~np.isfinite(m)
    flat = flat / np.where(bad, 1.0, m)[:, None]
    if bad.any():
        flat = flat.copy()
        flat[bad] = 0.0
        flat[bad, 0] = 1.0
    z = flat.reshape(z.shape)
    return z / _norm(z, kind).reshape((-1,) + (1,) * (z.ndim - 1))


def _bshape(s: np.ndarray, ndim: int) -> np.ndarray:
    return np.asarray(s, dtype=float).reshape((-1,) + (1,) * (ndim - 1))


def _mixture_unit_interval(B: int, rng: np.random.Generator) -> np.ndarray:
    """Radii fractions in [0, 1]: boundary-heavy, with near-boundary and tiny ones."""
    kind = rng.choice(4, size=B, p=[0.4, 0.3, 0.15, 0.15])
    s = rng.uniform(0.0, 1.0, size=B)
    s = np.where(kind == 0, 1.0, s)
    s = np.where(kind == 2, 1.0 - 10.0 ** rng.uniform(-9, -1, size=B), s)
    s = np.where(kind == 3, 10.0 ** rng.uniform(-6, 0, size=B), s)
    return s


def _draw_matrix(B: int, n: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian, rank-1, rank-2, sparse and few-active-rows matrices (mixed)."""
    G = rng.standard_normal((B, n, d))
    kind = rng.integers(0, 5, size=B)
    u, v = rng.standard_normal((B, n, 1)), rng.standard_normal((B, 1, d))
    u2, v2 = rng.standard_normal((B, n, 1)), rng.standard_normal((B, 1, d))
    r1 = u * v
    r2 = r1 + u2 * v2
    sparse = G * (rng.uniform(size=(B, n, d)) < 0.3)
    rows = np.zeros((B, n, 1))
    k = min(2, n)
    for i in range(B):
        rows[i, rng.choice(n, size=k, replace=False), 0] = 1.0
    few = G * rows + 1e-3 * rng.standard_normal((B, n, d)) * (rng.uniform(size=(B, 1, 1)) < 0.5)
    out = np.where(_bshape(kind == 1, 3), r1, G)
    out = np.where(_bshape(kind == 2, 3), r2, out)
    out = np.where(_bshape(kind == 3, 3), sparse, out)
    return np.where(_bshape(kind == 4, 3), few, out)


def _project_ball(v: np.ndarray, r: np.ndarray | None, kind: str) -> np.ndarray:
    """Rows of ``v`` moved into the ball ``||.||_kind <= r`` (``r`` per row): singular
    values clipped for ``'op'``, entries clipped for ``'inf'``, radial scaling
    otherwise.  Rows already inside are unchanged."""
    if r is None:
        return v
    nd = v.ndim
    r = np.asarray(r, dtype=float)
    if kind == "inf":
        rb = _bshape(r, nd)
        return np.clip(v, -rb, rb)
    if kind == "op" and nd == 3:
        nv = spectral_norm(v)
        out = v.copy()
        rows = np.flatnonzero(nv > r)
        if len(rows):
            for i in rows:  # one matrix at a time (no batched SVD)
                U, s, Vt = np.linalg.svd(v[i], full_matrices=False)
                out[i] = (U * np.minimum(s, r[i])) @ Vt
            # the clipped matrix in float64 may exceed r by an ulp: scale it in
            nv2 = spectral_norm(out[rows])
            f = np.where(nv2 > r[rows], r[rows] / np.where(nv2 > 0, nv2, 1.0), 1.0)
            out[rows] *= _bshape(f, nd)
        return out
    nv = _norm(v, kind)
    f = np.where(nv > r, r / np.where(nv > 0, nv, 1.0), 1.0)
    return v * _bshape(f, nd)


def _top_right_singular(M: np.ndarray) -> np.ndarray:
    """The top right singular vector of each matrix of a batch (B, n, d) -> (B, d)
    (a screening value: :func:`softproof.numeric.float64.spectral_norm`, no SVD)."""
    return spectral_norm(M, vector=True)[1]


# --------------------------------------------------------------------------
# Recognising hypotheses
# --------------------------------------------------------------------------
_VAR_SYMS = {v: k for k, v in VARIABLES.items()}


def _vars_in(e: sp.Basic) -> set[str]:
    return {_VAR_SYMS[s] for s in e.free_symbols if s in _VAR_SYMS} | {
        _VAR_SYMS[s] for s in e.atoms(MatrixSymbol) if s in _VAR_SYMS
    }


def _upper(rel: Relation) -> tuple[sp.Basic, sp.Basic, bool] | None:
    """``(g, P, strict)`` for ``g <= P`` / ``g < P``; None for identities."""
    if rel.op == "==":
        return None
    return rel.lhs, rel.rhs, rel.op == "<"


@dataclass
class Element:
    """One variable's sampling plan (see the module docstring).

    Latent layout: one scalar ``s`` then the direction (``k`` numbers).
    """

    var: str
    kind: str  # spectral | ball | free | interval | offset | centred
    shape: tuple[int, ...]
    norm_kind: str = "2"
    radius: list[Callable[[Mapping[str, Any]], np.ndarray]] = field(default_factory=list)
    base: str | None = None
    close: list[tuple[Evaluator, Callable[[Mapping[str, Any]], np.ndarray]]] = field(
        default_factory=list
    )
    centre: Evaluator | None = None
    lo: list[Callable[[Mapping[str, Any]], np.ndarray]] = field(default_factory=list)
    hi: list[Callable[[Mapping[str, Any]], np.ndarray]] = field(default_factory=list)
    deps: set[str] = field(default_factory=set)
    hyps: list[int] = field(default_factory=list)  # hypotheses this element accounts for

    @property
    def k(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 0

    @property
    def width(self) -> int:
        return 1 + self.k

    @property
    def is_matrix(self) -> bool:
        return len(self.shape) == 2

    def rad(self, env: Mapping[str, Any], B: int) -> np.ndarray | None:
        """The recognised radius (min over bounds) times :data:`INSET`."""
        if not self.radius:
            return None
        r = np.full(B, np.inf)
        for f in self.radius:
            r = np.minimum(r, np.broadcast_to(f(env), (B,)))
        return r * INSET

    def interval(self, env: Mapping[str, Any], B: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.full(B, -np.inf), np.full(B, np.inf)
        for f in self.lo:
            lo = np.maximum(lo, np.broadcast_to(f(env), (B,)))
        for f in self.hi:
            hi = np.minimum(hi, np.broadcast_to(f(env), (B,)))
        # keep strictly inside (strict bounds hold, and so does the rigorous check)
        lo = np.where(np.isfinite(lo), lo + np.abs(lo) * 2.0**-40, lo)
        hi = np.where(np.isfinite(hi), hi - np.abs(hi) * 2.0**-40, hi)
        return lo, hi


def _is_column(e: sp.Basic) -> bool:
    shape = getattr(e, "shape", None)
    return shape is not None and shape[1] == 1


def _bound_callable(
    expr: sp.Basic, sizes: Mapping[str, int]
) -> Callable[[Mapping[str, Any]], np.ndarray]:
    """A bound expression (parameters, n, d) as a function of a batched env."""
    ev = Evaluator(model.at_size(sp.sympify(expr), sizes["n"], sizes["d"]))
    return lambda env: ev(env)


# --------------------------------------------------------------------------
# The sampler
# --------------------------------------------------------------------------
class Sampler:
    """A statement's hypothesis set, compiled for sampling and for optimisation.

    ``decode(Z)`` maps latents ``(B, K)`` to a batched env; ``draw(B, rng)``
    draws latents with a mixture of typical and extreme scales;
    ``repair(Z)`` pulls rows that fail a hypothesis towards their anchors;
    ``sample(size, rng)`` returns rows that all pass the float64 screen.
    """

    #: draw scales for unconstrained variables (log10 ranges)
    FREE_LOG10 = {"matrix": (-3.0, 1.3), "vector": (-3.0, 1.0), "t": (-8.0, 1.0)}

    def __init__(self, statement: Statement, sizes: Mapping[str, int] | None = None) -> None:
        self.statement = statement
        self.sizes = statement_sizes(statement, sizes)
        self.screen = Screen(statement)
        self.variables = statement.variables
        self.params = resolve_parameter_exprs(statement)
        self.param_ranges = [k for k, v in self.params.items() if isinstance(v, tuple)]
        self.param_exprs = [k for k, v in self.params.items() if isinstance(v, sp.Basic)]
        self._param_order = self._order_param_exprs()
        n, d = self.sizes["n"], self.sizes["d"]
        self.param_only = [
            (h.op, Evaluator(model.at_size(h.rhs - h.lhs, n, d)))
            for h in statement.hypotheses
            if h.op != "==" and not _vars_in(h.lhs) and not _vars_in(h.rhs)
        ]
        self.elements = self._plan()
        self.offsets: list[int] = []
        pos = len(self.param_ranges)
        for el in self.elements:
            self.offsets.append(pos)
            pos += el.width
        self.K = pos
        self.row_bytes = self._row_bytes()
        if self.row_bytes > BATCH_BYTES:
            raise SizeLimitError(self._size_message())
        self.rigorous_seconds = self._rigorous_seconds()
        if self.rigorous_seconds > ARB_SECONDS_LIMIT:
            raise SizeLimitError(self._arb_message())

    # -- memory ------------------------------------------------------------
    #: latent-sized arrays kept per row by drawing, decoding and repairing
    LATENT_COPIES = 16

    def _row_bytes(self) -> int:
        """Estimated bytes one screened row needs: the screen's intermediates
        (measured on a probe at small sizes, scaled to ``n, d``) plus the sampler's
        latent-sized arrays."""
        n, d = self.sizes["n"], self.sizes["d"]
        try:
            shapes = self.screen.elements_per_row(self._probe_env())
        except Exception:  # noqa: BLE001 - a probe failure only means a coarser estimate
            shapes = [(n, d)] * 32
        grow = max(n / _PROBE_N, d / _PROBE_D, 1.0)

        def dim(k: int) -> float:
            return {1: 1.0, _PROBE_N: float(n), _PROBE_D: float(d)}.get(k, k * grow)

        screen = sum(float(np.prod([dim(k) for k in shp])) for shp in shapes)
        return int(8 * (screen + self.LATENT_COPIES * max(self.K, 1)))

    def _probe_env(self) -> dict[str, Any]:
        """One random row at the probe sizes (only its shapes matter)."""
        rng = np.random.default_rng(0)
        pn, pd = _PROBE_N, _PROBE_D
        shapes = {"A": (pn, pd), "At": (pn, pd), "x": (pd,), "y": (pd,), "b": (pn,), "t": ()}
        env: dict[str, Any] = dict(self.params_env(np.zeros((1, self.K))))
        for v in self.variables:
            env[v] = 0.1 * rng.standard_normal((1, *shapes[v]))
        return env

    def _rigorous_seconds(self) -> float:
        """Estimated seconds of one rigorous (Arb) evaluation of an instance: linear
        in ``n d``, times ``min(n, d)`` when a matrix's spectral norm is taken."""
        n, d = self.sizes["n"], self.sizes["d"]
        rels = [*self.statement.hypotheses, self.statement.claim]
        spectral = any(
            node.kind == "op" and not _is_column(node.arg)
            for r in rels
            for side in (r.lhs, r.rhs)
            for node in sp.preorder_traversal(side)
            if isinstance(node, model.Norm)
        )
        return ARB_SECONDS_PER_UNIT * n * d * (min(n, d) if spectral else 4)

    def _arb_message(self) -> str:
        n, d = self.sizes["n"], self.sizes["d"]
        return (
            f"n={n}, d={d} is too large for {self.statement.id}: one rigorous (Arb) "
            f"evaluation of an instance would take about {self.rigorous_seconds:.0f} s, above "
            f"the limit of {ARB_SECONDS_LIMIT:g} s, so no candidate could be confirmed"
        )

    def _size_message(self) -> str:
        n, d = self.sizes["n"], self.sizes["d"]
        mb = self.row_bytes / 2**20
        nd_max = int(n * d * BATCH_BYTES / self.row_bytes)
        return (
            f"n={n}, d={d} is too large for {self.statement.id}: one instance needs about "
            f"{mb:.0f} MB in the float64 screen, above the limit of {BATCH_BYTES // 2**20} MB "
            f"(at this shape, n*d up to about {nd_max} is accepted)"
        )

    def rows_per_batch(self, cap: int = 2048) -> int:
        """Rows of one batch that keep its arrays under :data:`BATCH_BYTES` (at most ``cap``)."""
        return int(max(1, min(cap, BATCH_BYTES // max(self.row_bytes, 1))))

    # -- parameters ---------------------------------------------------------
    def _order_param_exprs(self) -> list[str]:
        order, done = [], set(k for k in self.params if k not in self.param_exprs)
        pending = list(self.param_exprs)
        for _ in range(len(pending) + 1):
            for name in list(pending):
                deps = {s.name for s in self.params[name].free_symbols} - {"n", "d"}
                if deps <= done:
                    order.append(name)
                    done.add(name)
                    pending.remove(name)
        if pending:
            raise SamplingError(f"parameters defined in a cycle: {', '.join(pending)}")
        return order

    def params_env(self, Z: np.ndarray) -> dict[str, Any]:
        """Parameter values for the rows of ``Z`` (ranges from the latent)."""
        B = len(Z)
        env: dict[str, Any] = {}
        for name, v in self.params.items():
            if isinstance(v, float):
                env[name] = np.full(B, v)
        for i, name in enumerate(self.param_ranges):
            lo, hi = self.params[name]
            env[name] = np.clip(Z[:, i], lo, hi)
        for name in self._param_order:
            expr = self.params[name]
            syms = sorted(expr.free_symbols, key=lambda s: s.name)
            fn = sp.lambdify(syms, expr, "numpy")
            vals = [env[s.name] if s.name in env else float(self.sizes[s.name]) for s in syms]
            env[name] = np.broadcast_to(np.asarray(fn(*vals), dtype=float), (B,)).copy()
        return env

    # -- planning ----------------------------------------------------------
    def _shape(self, var: str) -> tuple[int, ...]:
        n, d = self.sizes["n"], self.sizes["d"]
        return {"A": (n, d), "At": (n, d), "x": (d,), "y": (d,), "b": (n,), "t": ()}[var]

    def _plan(self) -> list[Element]:  # noqa: C901 - one pass over the hypotheses
        hyps = self.statement.hypotheses
        present = set(self.variables)
        partner_of = {p: base for base, p in PAIRS if base in present and p in present}
        els: dict[str, Element] = {}
        for v in self.variables:
            kind = "offset" if v in partner_of else ("interval" if v == "t" else "free")
            els[v] = Element(v, kind, self._shape(v), base=partner_of.get(v))
            if v in partner_of:
                els[v].deps.add(partner_of[v])
        for j, h in enumerate(hyps):
            up = _upper(h)
            if up is None:
                continue
            g, P, _strict = up
            gv, Pv = _vars_in(g), _vars_in(P)
            # P <= t  (lower bound on t)
            if not gv and Pv == {"t"} and P == model.t:
                els["t"].lo.append(_bound_callable(g, self.sizes))
                els["t"].hyps.append(j)
                continue
            if not gv and Pv:
                continue  # e.g. beta <= alpha(x): rejection + repair
            if Pv:
                continue
            if g == model.t:
                els["t"].hi.append(_bound_callable(P, self.sizes))
                els["t"].hyps.append(j)
                continue
            if isinstance(g, sp.Abs) and g.args[0] == model.t:
                els["t"].hi.append(_bound_callable(P, self.sizes))
                els["t"].lo.append(_bound_callable(-P, self.sizes))
                els["t"].hyps.append(j)
                continue
            if not isinstance(g, model.Norm):
                continue
            arg, kind = g.arg, g.kind
            if arg in _VAR_SYMS and len(gv) == 1:
                v = _VAR_SYMS[arg]
                el = els[v]
                want = "op" if el.is_matrix and kind in ("op",) else kind
                if el.kind in ("free", "spectral", "ball") and (
                    not el.radius or el.norm_kind == want
                ):
                    if el.is_matrix and kind not in ("op", "fro", "inf"):
                        continue
                    el.kind = "spectral" if el.is_matrix else "ball"
                    el.norm_kind = want if el.is_matrix else kind
                    el.radius.append(_bound_callable(P, self.sizes))
                    el.hyps.append(j)
                elif el.kind == "offset" and (not el.radius or el.norm_kind == kind):
                    el.norm_kind = kind
                    el.radius.append(_bound_callable(P, self.sizes))
                    el.hyps.append(j)
                continue
            # a pair coupling: norm(...(x - y)...) < r
            pair = [p for base, p in PAIRS if base in gv and p in gv and p in partner_of]
            if pair:
                el = els[pair[0]]
                el.close.append((Evaluator(g), _bound_callable(P, self.sizes)))
                el.deps |= gv - {el.var}
                el.hyps.append(j)
                continue
            centred = self._centred(arg)
            if centred is not None:
                v, rest = centred
                el = els[v]
                if el.kind in ("free", "ball") and el.centre is None:
                    el.kind = "centred"
                    el.norm_kind = kind
                    el.centre = Evaluator(rest)
                    el.radius = [_bound_callable(P, self.sizes)]
                    el.deps |= _vars_in(rest)
                    el.hyps.append(j)
        return self._toposort(list(els.values()))

    @staticmethod
    def _centred(arg: sp.Basic) -> tuple[str, sp.Basic] | None:
        """``E - v`` (or ``v - E``) with ``v`` a vector variable not in ``E``
        (named functions unfolded one level at a time, so ``c(x)`` gives ``f(x) - b``
        and ``f`` stays a max-shifted softmax)."""
        e = arg
        for _ in range(3):
            if isinstance(e, MatAdd):
                break
            e = model.unfold(e)
        if not isinstance(e, MatAdd):
            return None
        for term in e.args:
            sign, core = 1, term
            if isinstance(term, MatMul) and term.args[0] == -1 and len(term.args) == 2:
                sign, core = -1, term.args[1]
            if core in _VAR_SYMS and _VAR_SYMS[core] in _VECTOR:
                rest = MatAdd(*[a for a in e.args if a is not term])
                if _VAR_SYMS[core] not in _vars_in(rest):
                    return _VAR_SYMS[core], (rest if sign == -1 else -rest)
        return None

    @staticmethod
    def _toposort(els: list[Element]) -> list[Element]:
        order: list[Element] = []
        done: set[str] = set()
        rank = {"spectral": 0, "free": 1, "ball": 1, "interval": 1, "offset": 2, "centred": 3}
        pending = sorted(els, key=lambda e: (rank[e.kind], not e.is_matrix))
        while pending:
            for el in pending:
                if el.deps - {el.var} <= done:
                    break
            else:  # a cycle: drop the coupling of the first element
                el = pending[0]
                el.kind, el.centre, el.close = "free", None, []
                el.deps = set()
            order.append(el)
            done.add(el.var)
            pending.remove(el)
        return order

    # -- latent <-> env ----------------------------------------------------
    def slices(self, el: Element) -> tuple[int, slice]:
        i = self.offsets[self.elements.index(el)]
        return i, slice(i + 1, i + el.width)

    def bounds(self) -> list[tuple[float | None, float | None]]:
        """Box bounds of the latent coordinates (for L-BFGS-B)."""
        out: list[tuple[float | None, float | None]] = [self.params[k] for k in self.param_ranges]
        for el in self.elements:
            if el.kind in ("spectral", "ball", "centred"):
                s = (0.0, 1.0)
            elif el.kind == "interval":
                s = (-1.0, 1.0)
            elif el.kind == "offset":
                s = (0.0, None)
            elif el.var == "t":
                s = (None, None)
            else:
                s = (0.0, None)
            out.append(s)
            out.extend([(None, None)] * el.k)
        return out

    def decode(self, Z: np.ndarray) -> dict[str, Any]:
        """The batched env of latents ``Z`` (B, K); no repair."""
        Z = np.atleast_2d(np.asarray(Z, dtype=float))
        env = self.params_env(Z)
        env[BATCH_KEY] = np.zeros(len(Z))  # the batch length, also with no variable
        for el in self.elements:
            env[el.var] = self._build(el, Z, env)
        return env

    def _build(self, el: Element, Z: np.ndarray, env: dict[str, Any]) -> np.ndarray:
        with np.errstate(all="ignore"):  # overflow gives non-finite rows, never a crash
            return self._build_element(el, Z, env)

    def _build_element(self, el: Element, Z: np.ndarray, env: dict[str, Any]) -> np.ndarray:
        B = len(Z)
        i, sl = self.slices(el)
        s = Z[:, i]
        if el.var == "t":
            if el.kind == "interval" and (el.lo or el.hi):
                lo, hi = el.interval(env, B)
                lo_f, hi_f = (
                    np.where(np.isfinite(lo), lo, hi - 1.0),
                    np.where(np.isfinite(hi), hi, lo + 1.0),
                )
                both = np.isfinite(lo) & np.isfinite(hi)
                zero_in = (lo <= 0) & (hi >= 0)
                centre = np.where(both & zero_in, 0.0, (lo_f + hi_f) / 2)
                half_up = np.where(np.isfinite(hi), hi - centre, np.inf)
                half_dn = np.where(np.isfinite(lo), centre - lo, np.inf)
                scale_up = np.where(np.isfinite(half_up), half_up, 10.0)
                scale_dn = np.where(np.isfinite(half_dn), half_dn, 10.0)
                return centre + np.where(s >= 0, s * scale_up, s * scale_dn)
            return s.copy()
        shape = (B, *el.shape)
        z = Z[:, sl].reshape(shape)
        nd = len(shape)
        if el.kind in ("spectral", "ball"):
            r = el.rad(env, B)
            return _bshape(r * s, nd) * _unit(z, el.norm_kind)
        if el.kind == "free":
            return _bshape(s, nd) * _unit(z, "op" if el.is_matrix else "2")
        if el.kind == "centred":
            r = el.rad(env, B)
            return el.centre(env).reshape(shape) + _bshape(r * s, nd) * _unit(z, el.norm_kind)
        # offset
        base = env[el.base]
        delta = _bshape(s, nd) * _unit(z, "fro" if el.is_matrix else "2")
        for _ in range(2):
            for g, P in el.close:
                trial = dict(env)
                trial[el.var] = base + delta
                gv = g(trial)
                r = np.broadcast_to(P(trial), (B,)) * INSET
                with np.errstate(all="ignore"):
                    f = np.where(gv > r, r / np.where(gv > 0, gv, 1.0), 1.0)
                delta = delta * _bshape(np.where(np.isfinite(f), f, 0.0), nd)
        out = base + delta
        r = el.rad(env, B)
        if r is not None:
            kind = el.norm_kind if not el.is_matrix else "op"
            nv = _norm(out, kind)
            f = np.where(nv > r, r / np.where(nv > 0, nv, 1.0), 1.0)
            out = out * _bshape(f, nd)
        return out

    # -- variables -> latents --------------------------------------------------
    def encode(self, env: Mapping[str, Any]) -> np.ndarray:
        """Latents ``Z`` with ``decode(Z)`` equal (up to rounding) to the variables of
        ``env`` where they lie in the recognised sets: the inverse of the plan
        elements' maps (a ball's ``s`` is the norm over the radius and its direction
        the value itself, an offset's ``s`` the size of ``delta``, ...)."""
        B = len(np.asarray(env[self.elements[0].var])) if self.elements else 1
        Z = np.zeros((B, self.K))
        for i, name in enumerate(self.param_ranges):
            Z[:, i] = np.broadcast_to(np.asarray(env[name], dtype=float), (B,))
        penv = self.params_env(Z)
        penv[BATCH_KEY] = np.zeros(B)
        with np.errstate(all="ignore"):
            for el in self.elements:
                i, sl = self.slices(el)
                v = np.asarray(env[el.var], dtype=float)
                Z[:, i], direction = self._encode_element(el, v, penv, B)
                if el.k:
                    Z[:, sl] = direction.reshape(B, -1)
                penv[el.var] = self._build(el, Z, penv)
        return np.where(np.isfinite(Z), Z, 0.0)

    def _encode_element(
        self, el: Element, v: np.ndarray, env: dict[str, Any], B: int
    ) -> tuple[np.ndarray, np.ndarray]:
        if el.var == "t":
            if el.kind != "interval" or not (el.lo or el.hi):
                return v.copy(), np.zeros((B, 0))
            lo, hi = el.interval(env, B)
            lo_f = np.where(np.isfinite(lo), lo, hi - 1.0)
            hi_f = np.where(np.isfinite(hi), hi, lo + 1.0)
            both = np.isfinite(lo) & np.isfinite(hi)
            centre = np.where(both & (lo <= 0) & (hi >= 0), 0.0, (lo_f + hi_f) / 2)
            up = np.where(np.isfinite(hi), hi - centre, 10.0)
            dn = np.where(np.isfinite(lo), centre - lo, 10.0)
            up = np.where(np.isfinite(up) & (up > 0), up, 10.0)
            dn = np.where(np.isfinite(dn) & (dn > 0), dn, 10.0)
            s = np.where(v >= centre, (v - centre) / up, (v - centre) / dn)
            return np.clip(s, -1.0, 1.0), np.zeros((B, 0))
        if el.kind in ("spectral", "ball"):
            r = el.rad(env, B)
            return _norm(v, el.norm_kind) / np.where(r > 0, r, 1.0), v
        if el.kind == "centred":
            c = el.centre(env).reshape(v.shape)
            r = el.rad(env, B)
            return _norm(v - c, el.norm_kind) / np.where(r > 0, r, 1.0), v - c
        if el.kind == "offset":
            delta = v - np.asarray(env[el.base], dtype=float)
            return _norm(delta, "fro" if el.is_matrix else "2"), delta
        return _norm(v, "op" if el.is_matrix else "2"), v

    # -- projection onto the recognised sets ----------------------------------
    def project(
        self, env: Mapping[str, Any], floor: float = 0.0, skip: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """``env`` with every variable moved onto the set its element recognises (in
        plan order, so an offset follows its base): a spectral-norm ball by clipping
        singular values, a Frobenius or 2-norm ball by radial scaling, an
        infinity-norm ball by clipping entries, a 1-norm ball by radial scaling (a
        retraction, not the nearest point), an interval by clipping, a centred ball
        around its centre, an offset ``y = x + delta`` by scaling ``delta`` until each
        coupling (``norm_inf(A (x - y)) < r``) holds, then its own ball.  ``floor``
        keeps ``||delta|| >= floor * ref`` (``ref``: the base's norm, else its
        radius).  Unrecognised hypotheses are left to the caller; variables in
        ``skip`` are left as they are."""
        out = dict(env)
        B = len(np.asarray(out[BATCH_KEY])) if BATCH_KEY in out else None
        for el in self.elements:
            if el.var in skip or el.var not in out:
                continue
            v = np.asarray(out[el.var], dtype=float)
            B = len(v) if B is None else B
            with np.errstate(all="ignore"):
                out[el.var] = self._project_element(el, v, out, B, floor)
        return out

    def _project_element(
        self, el: Element, v: np.ndarray, env: dict[str, Any], B: int, floor: float
    ) -> np.ndarray:
        if el.var == "t":
            if el.kind != "interval" or not (el.lo or el.hi):
                return v
            lo, hi = el.interval(env, B)
            return np.clip(v, lo, hi)
        if el.kind in ("spectral", "ball"):
            return _project_ball(v, el.rad(env, B), el.norm_kind)
        if el.kind == "centred":
            c = el.centre(env).reshape(v.shape)
            return c + _project_ball(v - c, el.rad(env, B), el.norm_kind)
        if el.kind != "offset":
            return v
        base = np.asarray(env[el.base], dtype=float)
        nd = v.ndim
        delta = v - base
        r = el.rad(env, B)
        if floor > 0:
            ref = _norm(base, "fro" if el.is_matrix else "2")
            ref = np.where(ref > 0, ref, 1.0 if r is None else np.where(r > 0, r, 1.0))
            nd_ = _norm(delta, "fro" if el.is_matrix else "2")
            want = floor * ref
            f = np.where((nd_ < want) & (nd_ > 0), want / np.where(nd_ > 0, nd_, 1.0), 1.0)
            delta = delta * _bshape(f, nd)
        for _ in range(2):
            for g, P in el.close:
                trial = dict(env)
                trial[el.var] = base + delta
                gv = g(trial)
                rr = np.broadcast_to(P(trial), (B,)) * INSET
                f = np.where(gv > rr, rr / np.where(gv > 0, gv, 1.0), 1.0)
                delta = delta * _bshape(np.where(np.isfinite(f), f, 0.0), nd)
        out = base + delta
        if r is not None:
            out = _project_ball(out, r, "op" if el.is_matrix else el.norm_kind)
        return out

    def from_relative_offsets(self, Z: np.ndarray) -> np.ndarray:
        """Latents whose offset sizes are given as ``log10`` of the size relative
        to the base (``||x||``, else its radius) turned into absolute sizes."""
        Z = np.array(Z, dtype=float, copy=True)
        env = self.params_env(Z)
        env[BATCH_KEY] = np.zeros(len(Z))
        for el in self.elements:
            i, _ = self.slices(el)
            if el.kind == "offset":
                base = np.asarray(env[el.base])
                ref = _norm(base, "fro" if el.is_matrix else "2")
                r = el.rad(env, len(Z))
                fallback = np.ones(len(Z)) if r is None else np.where(r > 0, r, 1.0)
                Z[:, i] = np.where(ref > 0, ref, fallback) * 10.0 ** Z[:, i]
            env[el.var] = self._build(el, Z, env)
        return Z

    # -- drawing -------------------------------------------------------------
    def draw(self, B: int, rng: np.random.Generator) -> np.ndarray:
        """Random latents, mixing typical and extreme scales."""
        Z = np.zeros((B, self.K))
        todo = np.ones(B, dtype=bool)
        for _ in range(20):  # ranged parameters: redraw rows failing e.g. R >= 4
            for i, name in enumerate(self.param_ranges):
                lo, hi = self.params[name]
                u = rng.uniform(lo, hi, size=B)
                pick = rng.uniform(size=B)
                Z[todo, i] = np.where(pick < 0.15, lo, np.where(pick < 0.3, hi, u))[todo]
            todo &= ~self._params_ok(Z)
            if not self.param_ranges or not todo.any():
                break
        env = self.params_env(Z)
        for el in self.elements:
            i, sl = self.slices(el)
            Z[:, i], dirs = self._draw_element(el, B, rng, env)
            if el.k:
                Z[:, sl] = dirs.reshape(B, -1)
            env[el.var] = self._build(el, Z, env)
        return Z

    def _params_ok(self, Z: np.ndarray) -> np.ndarray:
        """Rows whose parameters satisfy the hypotheses on parameters alone."""
        ok = np.ones(len(Z), dtype=bool)
        if not self.param_only:
            return ok
        env = self.params_env(Z)
        with np.errstate(all="ignore"):
            for op, margin in self.param_only:
                m = np.broadcast_to(margin(env), (len(Z),))
                ok &= (m > 0) if op == "<" else (m >= 0)
        return ok

    def _draw_element(
        self, el: Element, B: int, rng: np.random.Generator, env: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        if el.var == "t":
            if el.kind == "interval" and (el.lo or el.hi):
                s = _mixture_unit_interval(B, rng) * rng.choice([-1.0, 1.0], size=B)
            else:
                lo, hi = self.FREE_LOG10["t"]
                s = rng.choice([-1.0, 1.0], size=B) * 10.0 ** rng.uniform(lo, hi, size=B)
                s = np.where(rng.uniform(size=B) < 0.05, 0.0, s)
            return s, np.zeros((B, 0))
        if el.is_matrix:
            dirs = _draw_matrix(B, *el.shape, rng)
        else:
            dirs = rng.standard_normal((B, *el.shape))
            if el.var in ("x", "y") and "A" in env and el.kind != "offset":
                top = _top_right_singular(env["A"])
                align = rng.uniform(size=B) < 0.25
                dirs = np.where(align[:, None], top + 1e-3 * dirs, dirs)
        if el.kind in ("spectral", "ball", "centred"):
            s = _mixture_unit_interval(B, rng)
        elif el.kind == "free":
            lo, hi = self.FREE_LOG10["matrix" if el.is_matrix else "vector"]
            s = 10.0 ** rng.uniform(lo, hi, size=B)
        else:  # offset: relative size 1e-8 .. 1 of the base, sometimes larger
            base = env[el.base]
            ref = _norm(base, "fro" if el.is_matrix else "2")
            r = el.rad(env, B)
            ref = np.where(ref > 0, ref, 1.0 if r is None else np.where(r > 0, r, 1.0))
            s = ref * 10.0 ** rng.uniform(-8, 0.3, size=B)
            if r is not None:
                # point the offset inwards (<base, delta> <= 0): projecting base + delta
                # back onto the ball would otherwise collapse a small outward delta
                # to a few ulps, where float64 ratios are meaningless
                axes = tuple(range(1, base.ndim))
                inward = np.sum(base * dirs, axis=axes) <= 0
                dirs = dirs * _bshape(np.where(inward, 1.0, -1.0), base.ndim)
        return s, dirs

    # -- repair and filtering -------------------------------------------------
    def _shrink(self, Z: np.ndarray, lam: np.ndarray, stage: int) -> np.ndarray:
        """Pull the scalar latents towards their anchors by ``lam`` (B,)."""
        Z = Z.copy()
        for el in self.elements:
            if el.kind == "free" and el.is_matrix and stage < 2:
                continue
            if el.kind == "spectral" and stage < 2:
                continue
            i, _ = self.slices(el)
            with np.errstate(all="ignore"):
                Z[:, i] = Z[:, i] * lam
        return Z

    _GRID = np.unique(
        np.concatenate([[0.0], 2.0 ** -np.arange(30, 0, -1), np.linspace(0.05, 1.0, 20)])
    )

    def ok(self, env: Mapping[str, Any]) -> np.ndarray:
        """Rows passing every hypothesis with finite values in the float64 screen."""
        res = self.screen(env)
        return res.hyp_ok & np.all(np.isfinite(res.hyp_margins), axis=1)

    def ok_chunked(self, Z: np.ndarray) -> np.ndarray:
        """:meth:`ok` of the decoded rows of ``Z``, in batches of :meth:`rows_per_batch`."""
        R = self.rows_per_batch()
        if len(Z) <= R:
            return self.ok(self.decode(Z))
        return np.concatenate([self.ok(self.decode(Z[i : i + R])) for i in range(0, len(Z), R)])

    def _ok_shrunk(self, Z: np.ndarray, rows: np.ndarray, lam: np.ndarray, stage: int):
        """``ok`` of ``Z[rows[p]]`` shrunk by ``lam[p]``, built in memory-bounded chunks."""
        R = self.rows_per_batch()
        out = np.zeros(len(rows), dtype=bool)
        for i in range(0, len(rows), R):
            sl = slice(i, i + R)
            out[sl] = self.ok(self.decode(self._shrink(Z[rows[sl]], lam[sl], stage)))
        return out

    def repair(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of ``Z`` moved to the farthest point towards the anchors that the
        screen accepts; returns ``(Z, ok)``.  Batches stay under :data:`BATCH_BYTES`."""
        Z = np.array(Z, dtype=float, copy=True)
        ok = self.ok_chunked(Z)
        moved = np.zeros(len(Z), dtype=bool)
        G = self._GRID
        for stage in (1, 2):
            bad = np.flatnonzero(~ok)
            if not len(bad):
                break
            rows = np.repeat(bad, len(G))
            lam = np.tile(G, len(bad))
            good = self._ok_shrunk(Z, rows, lam, stage).reshape(len(bad), len(G))
            has = good.any(axis=1)
            if not has.any():
                continue
            best = np.where(has, len(G) - 1 - np.argmax(good[:, ::-1], axis=1), 0)
            lo = G[best]
            hi = np.where(best + 1 < len(G), G[np.minimum(best + 1, len(G) - 1)], 1.0)
            rows = bad[has]
            lo, hi = lo[has], hi[has]
            for _ in range(12):
                mid = 0.5 * (lo + hi)
                g = self._ok_shrunk(Z, rows, mid, stage)
                lo, hi = np.where(g, mid, lo), np.where(g, hi, mid)
            Z[rows] = self._shrink(Z[rows], lo, stage)
            ok[rows] = True
            moved[rows] = True
        # re-check the moved rows (parameter-only hypotheses cannot be repaired)
        idx = np.flatnonzero(moved)
        if len(idx):
            ok[idx] &= self.ok_chunked(Z[idx])
        return Z, ok

    def infeasible(self) -> SamplingError | None:
        """A cheap, conservative decision that no point can be sampled: the bounds
        on ``t`` cross or are not finite float64 numbers, or hypotheses on fixed
        parameters alone fail.  ``None`` when nothing is decided."""
        if self.param_ranges:
            return None
        Z = np.zeros((1, self.K))
        env = self.params_env(Z)
        with np.errstate(all="ignore"):
            for op, margin in self.param_only:
                m = float(np.broadcast_to(margin(env), (1,))[0])
                if np.isfinite(m) and (m < 0 or (op == "<" and m == 0)):
                    return SamplingError(
                        f"the hypotheses of {self.statement.id} are infeasible: a hypothesis "
                        f"on the parameters alone fails (margin {m:.6g})",
                        "infeasible",
                    )
            for el in self.elements:
                if el.var != "t" or not (el.lo or el.hi):
                    continue
                lo = max([float(np.ravel(f(env))[0]) for f in el.lo], default=-np.inf)
                hi = min([float(np.ravel(f(env))[0]) for f in el.hi], default=np.inf)
                if np.isnan(lo) or np.isnan(hi) or lo == np.inf or hi == -np.inf:
                    return SamplingError(
                        f"no instance of {self.statement.id} can be sampled: a bound on t "
                        f"is not a finite float64 number (lower {lo:g}, upper {hi:g})",
                        "unrepresentable",
                    )
                if lo - hi > 1e-9 * max(1.0, abs(lo), abs(hi)):
                    return SamplingError(
                        f"the hypotheses of {self.statement.id} are infeasible: they ask for "
                        f"t >= {lo:.17g} and t <= {hi:.17g}",
                        "infeasible",
                    )
        return None

    def sample_latent(
        self,
        size: int,
        rng: np.random.Generator,
        rounds: int = 8,
        deadline: float | None = None,
    ) -> np.ndarray:
        """Latents of up to ``size`` rows that all pass the screen (fewer if the set
        is nearly empty, if a batch of :meth:`rows_per_batch` rows is smaller, or
        at ``deadline``); raises :class:`SamplingError` if none is found."""
        bad = self.infeasible()
        if bad is not None:
            raise bad
        size = min(size, self.rows_per_batch(cap=max(size, 1)))
        got: list[np.ndarray] = []
        have = 0
        late = False
        for _ in range(rounds):
            want = max(16, int(1.2 * (size - have)) + 1)
            want = min(want, self.rows_per_batch(cap=want))
            Z, ok = self.repair(self.draw(want, rng))
            got.append(Z[ok])
            have += int(ok.sum())
            if have >= size:
                break
            if deadline is not None and time.perf_counter() > deadline:
                late = True
                break
        Z = np.concatenate(got, axis=0)[:size] if got else np.zeros((0, self.K))
        if len(Z) == 0:
            if late:
                raise SamplingError(
                    f"no instance satisfying the hypotheses of {self.statement.id} was found "
                    "within the budget",
                    "budget",
                )
            raise SamplingError(
                f"no instance satisfying the hypotheses of {self.statement.id} was found "
                "by the sampler: the hypotheses may be contradictory",
                "not found",
            )
        return Z

    def sample(self, size: int, rng: np.random.Generator) -> dict[str, Any]:
        return self.decode(self.sample_latent(size, rng))


_CACHE: dict[tuple[int, tuple], Sampler] = {}


def sampler_for(statement: Statement, sizes: Mapping[str, int] | None = None) -> Sampler:
    """A cached :class:`Sampler` for ``statement`` at ``sizes``."""
    key = (id(statement), tuple(sorted(statement_sizes(statement, sizes).items())))
    s = _CACHE.get(key)
    if s is None or s.statement is not statement:
        s = Sampler(statement, sizes)
        _CACHE[key] = s
    return s


def sample(
    statement: Statement,
    size: int,
    rng: np.random.Generator,
    sizes: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """A batched env of ``size`` points of the hypothesis set of ``statement``.

    Every row satisfies all hypotheses in the float64 screen.
    """
    return sampler_for(statement, sizes).sample(size, rng)


# --------------------------------------------------------------------------
# Instances (unbatched rows)
# --------------------------------------------------------------------------
def instance_at(env: Mapping[str, Any], i: int) -> dict[str, Any]:
    """Row ``i`` of a batched env as an instance: arrays (n, d), (d,), floats."""
    out: dict[str, Any] = {}
    for k, v in env.items():
        if k.startswith("_"):
            continue
        a = np.asarray(v)
        if k in _MATRIX or k in _VECTOR:
            out[k] = np.array(a[i], dtype=float)
        elif a.ndim == 0:
            out[k] = float(a)
        else:
            out[k] = float(a[i])
    return out


def stack_instances(instances: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Instances stacked into a batched env."""
    keys = instances[0].keys()
    return {k: np.stack([np.asarray(inst[k], dtype=float) for inst in instances]) for k in keys}
