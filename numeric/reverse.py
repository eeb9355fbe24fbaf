"""Reverse-mode gradients over the evaluation plan (batched over the leading axis).

The forward pass is the float64 executor of :mod:`softproof.numeric.float64`
(every value is kept); the backward pass applies one vector-Jacobian product
(VJP) per op kind of :mod:`softproof.numeric.exprplan`, so the gradient of any
expression the screen can evaluate comes from the same lowered plan, never
from a per-lemma formula.  Kinks take a subgradient: ``abs`` the sign, ``max``
/ ``min`` the first active argument, ``norm_inf`` one entry of largest
magnitude, the spectral norm ``u v^T`` for a top singular pair (exact where the
top singular value is simple).  Gradients are meant for search: every point
they lead to is re-screened and confirmed rigorously elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from .exprplan import Op, Plan, lower_many
from .float64 import _Run, _shape_output, batch_size, spectral_norm, statement_env

__all__ = ["VJPS", "ENTRYWISE", "forward", "backward", "GradEvaluator"]

#: entrywise functions: ``name -> (value, derivative(x, value))``
ENTRYWISE: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[..., np.ndarray]]] = {
    "exp": (np.exp, lambda x, y: y),
    "log": (np.log, lambda x, y: 1.0 / x),
    "sqrt": (np.sqrt, lambda x, y: 0.5 / y),
    "abs": (np.abs, lambda x, y: np.sign(x)),
    "cosh": (np.cosh, lambda x, y: np.sinh(x)),
    "sinh": (np.sinh, lambda x, y: np.cosh(x)),
    "tanh": (np.tanh, lambda x, y: 1.0 - y * y),
}


class _ForwardRun(_Run):
    """The float64 executor, with every entrywise function of :data:`ENTRYWISE`."""

    def entrywise(self, m, fn):
        return ENTRYWISE[fn][0](m)


def forward(ops: Sequence[Op], env: Mapping[str, Any]) -> list[Any]:
    """Values of every op on a batched env (the float64 screen's own arithmetic)."""
    from .exprplan import execute_all

    run = _ForwardRun(env)
    with np.errstate(all="ignore"):
        return execute_all(tuple(ops), run)


def _unbroadcast(g: np.ndarray, like: Any) -> np.ndarray | None:
    """``g`` summed down to the shape of the value ``like`` (None for a Python number)."""
    shape = np.shape(like)
    if not isinstance(like, np.ndarray) and not shape:
        return None
    g = np.asarray(g, dtype=float)
    if g.shape == shape:
        return g
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for ax, k in enumerate(shape):
        if k == 1 and g.shape[ax] != 1:
            g = g.sum(axis=ax, keepdims=True)
    return np.broadcast_to(g, shape)


def _bs(s: Any) -> Any:
    """A batched scalar ``(B,)`` broadcast against ``(B, r, c)``."""
    s = np.asarray(s, dtype=float)
    return s[..., None, None] if s.ndim == 1 else s


def _scalar_cot(g: np.ndarray, like: Any) -> np.ndarray | None:
    """The cotangent of a scalar ``(B,)`` (or number) from a per-row ``(B,)`` one."""
    return _unbroadcast(g, like)


def _prod_except(a: Sequence[Any], i: int) -> Any:
    out: Any = 1.0
    for j, v in enumerate(a):
        if j != i:
            out = out * v
    return out


def _pow_deriv(base: Any, ex: sp.Basic, out: Any) -> Any:
    if ex == -1:
        return -out * out
    if ex == sp.Rational(1, 2):
        return 0.5 / out
    if ex.is_Integer:
        k = int(ex)
        return k * base ** (k - 1) if k != 1 else np.ones_like(np.asarray(base, dtype=float))
    e = float(ex)
    return e * np.power(base, e - 1.0)


def _v_add(g, out, *a):
    return [_unbroadcast(g, v) for v in a]


def _v_mul(g, out, *a):
    return [_unbroadcast(g * _prod_except(a, i), v) for i, v in enumerate(a)]


def _v_powc(g, out, base, ex):
    return [_unbroadcast(g * _pow_deriv(base, ex, out), base)]


def _first_active(out, a) -> list[np.ndarray]:
    """Masks selecting, per entry, the first argument equal to the extremum."""
    arrs = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in a])
    taken = np.zeros(arrs[0].shape, dtype=bool)
    masks = []
    for v in arrs:
        m = (v == out) & ~taken
        taken |= m
        masks.append(m)
    return masks


def _v_extremum(g, out, *a):
    return [_unbroadcast(g * m, v) for m, v in zip(_first_active(out, a), a, strict=True)]


def _v_dot(g, out, v, w):
    gb = _bs(g)
    return [_unbroadcast(gb * w, v), _unbroadcast(gb * v, w)]


def _top_pair(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top left and right singular vectors of each matrix of a batch (the screen's
    own :func:`spectral_norm` pair: Gram eigenvectors or Lanczos, no batched SVD)."""
    sigma, w = spectral_norm(v, vector=True)
    u = np.einsum("bij,bj->bi", v, w)
    return u / np.where(sigma > 0, sigma, 1.0)[:, None], w


def _v_norm(g, out, v, kind):
    gb = _bs(g)
    if kind == "op" and v.shape[-1] != 1 and v.shape[-2] != 1:
        ok = np.isfinite(v).all(axis=(1, 2))
        u = np.zeros(v.shape[:2])
        w = np.zeros((v.shape[0], v.shape[2]))
        if ok.any():
            u[ok], w[ok] = _top_pair(v[ok])
        return [gb * u[:, :, None] * w[:, None, :]]
    if kind in ("2", "fro", "op"):
        o = _bs(out)
        return [gb * np.where(o > 0, v / np.where(o > 0, o, 1.0), 0.0)]
    if kind == "1":
        return [gb * np.sign(v)]
    if kind == "inf":
        flat = np.abs(v).reshape(len(v), -1)
        k = np.argmax(flat, axis=1)
        sel = np.zeros_like(flat)
        sel[np.arange(len(v)), k] = 1.0
        return [gb * sel.reshape(v.shape) * np.sign(v)]
    raise ValueError(f"unknown norm {kind}")


def _softmax_all(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=(1, 2), keepdims=True)
    e = np.exp(z - m)
    return e / e.sum(axis=(1, 2), keepdims=True)


def _v_sumexp(g, out, z):
    m = z.max(axis=(1, 2), keepdims=True)
    return [_bs(g) * np.exp(z - m) * np.exp(m)]


def _v_logsumexp(g, out, z):
    return [_bs(g) * _softmax_all(z)]


def _v_scale(g, out, s, m):
    gs = (g * m).sum(axis=(1, 2)) if np.ndim(s) == 1 else (g * m).sum()
    return [_unbroadcast(gs, s), _unbroadcast(_bs(s) * g, m)]


def _v_matmul(g, out, a, b):
    ga = g @ np.swapaxes(b, -1, -2)
    gb = np.swapaxes(a, -1, -2) @ g
    return [_unbroadcast(ga, a), _unbroadcast(gb, b)]


def _v_diagmul(g, out, v, m):
    return [_unbroadcast((g * m).sum(axis=-1, keepdims=True), v), _unbroadcast(v * g, m)]


def _v_hadpow(g, out, m, ex):
    return [g * _pow_deriv(m, ex, out)]


def _v_transpose(g, out, m):
    return [np.swapaxes(g, 1, 2)]


def _v_entrywise(g, out, m, fn):
    return [g * ENTRYWISE[fn][1](m, out)]


def _v_softmax(g, out, z):
    return [out * (g - (g * out).sum(axis=1, keepdims=True))]


def _v_diag(g, out, v):
    return [np.diagonal(g, axis1=1, axis2=2)[:, :, None].copy()]


def _v_col(g, out, m, i):
    gm = np.zeros(np.shape(m))
    gm[:, :, i - 1 : i] = g
    return [gm]


def _v_colsym(g, out, m, i):
    return [_v_col(g, out, m, int(np.ravel(i)[0]))[0], None]


#: op kind -> VJP ``(cotangent of the output, output, *inputs[, data]) -> input cotangents``
VJPS: dict[str, Callable[..., list[Any]]] = {
    "add": _v_add,
    "matadd": _v_add,
    "mul": _v_mul,
    "hadamard": _v_mul,
    "powc": _v_powc,
    "hadpow": _v_hadpow,
    "exp": lambda g, out, x: [g * out],
    "log": lambda g, out, x: [_unbroadcast(g / x, x)],
    "abs": lambda g, out, x: [_unbroadcast(g * np.sign(x), x)],
    "max": _v_extremum,
    "min": _v_extremum,
    "dot": _v_dot,
    "norm": _v_norm,
    "sumexp": _v_sumexp,
    "logsumexp": _v_logsumexp,
    "scale": _v_scale,
    "matmul": _v_matmul,
    "diagmul": _v_diagmul,
    "transpose": _v_transpose,
    "entrywise": _v_entrywise,
    "softmax": _v_softmax,
    "diag": _v_diag,
    "col": _v_col,
    "colsym": _v_colsym,
}

#: ops with no input (their data is all they use): nothing to propagate
_LEAVES = ("var", "param", "size", "const", "ones", "zeros", "identity")


def backward(
    ops: Sequence[Op], vals: Sequence[Any], seeds: Mapping[int, Any]
) -> dict[tuple[str, str], np.ndarray]:
    """Cotangents of the leaves from ``seeds`` (op index -> cotangent of its value).

    Returns ``{('var', name): grad, ('param', name): grad}`` with each gradient
    shaped as the value the leaf produced (columns ``(B, k, 1)``); a leaf that
    received nothing is absent.
    """
    cot: list[Any] = [None] * len(ops)
    for i, g in seeds.items():
        cot[i] = np.asarray(g, dtype=float) if cot[i] is None else cot[i] + g
    last = max(seeds) if seeds else -1
    out: dict[tuple[str, str], np.ndarray] = {}
    with np.errstate(all="ignore"):
        for i in range(last, -1, -1):
            g = cot[i]
            if g is None:
                continue
            op = ops[i]
            if op.kind in _LEAVES:
                if op.kind == "var":
                    key = ("var", op.data[0])
                elif op.kind == "param":
                    key = ("param", op.data)
                else:
                    continue
                out[key] = g if key not in out else out[key] + g
                continue
            args = [vals[j] for j in op.args]
            extra = () if op.data is None else (op.data,)
            grads = VJPS[op.kind](g, vals[i], *args, *extra)
            for j, gj in zip(op.args, grads, strict=True):
                if gj is None:
                    continue
                cot[j] = gj if cot[j] is None else cot[j] + gj
    return out


class GradEvaluator:
    """Several expressions on one shared plan, with their values and the gradient
    of a per-row weighted sum of them with respect to every variable.

    ``value_and_grad(env, weights)``: ``weights(values) -> list of per-row
    cotangents`` (one per expression, shaped as its output, or ``None``), so the
    caller's objective can be any smooth function of the expressions' values.
    """

    def __init__(self, exprs: Sequence[sp.Basic], statement: Any = None) -> None:
        self.exprs = list(exprs)
        self.plans: list[Plan] = lower_many(self.exprs)
        self.ops = self.plans[0].ops if self.plans else ()
        self.statement = statement

    def _env(self, env: Mapping[str, Any]) -> dict[str, Any]:
        return statement_env(self.statement, env) if self.statement is not None else dict(env)

    def values(self, env: Mapping[str, Any]) -> list[np.ndarray]:
        """Each expression's batched value (as :class:`float64.MultiEvaluator`)."""
        env = self._env(env)
        vals = forward(self.ops, env)
        B = batch_size(env)
        return [_shape_output(p, vals[p.out], B) for p in self.plans]

    def value_and_grad(
        self,
        env: Mapping[str, Any],
        weights: Callable[[list[np.ndarray]], Sequence[np.ndarray | None]],
        wrt: Sequence[str] | None = None,
    ) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
        """``(values, gradients)``: gradients of ``sum_k <weights_k, value_k>`` (per
        row) with respect to the variables ``wrt`` (default: every variable in
        ``env``), shaped as in ``env``; a variable the expressions do not use
        gets zeros."""
        env = self._env(env)
        B = batch_size(env)
        vals = forward(self.ops, env)
        outs = [_shape_output(p, vals[p.out], B) for p in self.plans]
        seeds: dict[int, Any] = {}
        for p, w in zip(self.plans, weights(outs), strict=True):
            if w is None:
                continue
            w = np.asarray(w, dtype=float)
            if p.is_column:
                w = w[:, :, None]
            w = w if not p.is_scalar else w.reshape(B)
            like = vals[p.out]
            w = _unbroadcast(np.broadcast_to(w, np.broadcast_shapes(w.shape, np.shape(like))), like)
            if w is None:
                continue
            seeds[p.out] = w if p.out not in seeds else seeds[p.out] + w
        raw = backward(self.ops, vals, seeds)
        names = list(wrt) if wrt is not None else [k for k in env if not k.startswith("_")]
        grads: dict[str, np.ndarray] = {}
        for name in names:
            if name not in env:
                continue
            shape = np.shape(env[name])
            g = raw.get(("var", name), raw.get(("param", name)))
            if g is None:
                grads[name] = np.zeros(shape)
                continue
            g = np.asarray(g, dtype=float)
            if g.ndim == 3 and len(shape) == 2:
                g = g[:, :, 0]
            grads[name] = np.broadcast_to(_unbroadcast(g, np.zeros(shape)), shape).copy()
        return outs, grads
