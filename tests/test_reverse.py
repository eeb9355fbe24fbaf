"""Reverse-mode gradients over the evaluation plan (softproof.numeric.reverse)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from softproof.derivations import model
from softproof.derivations.catalogue import get
from softproof.numeric import reverse
from softproof.numeric.exprplan import Op
from softproof.numeric.reverse import VJPS, GradEvaluator, backward, forward

B = 3

# leaves: 0 A (B,3,2), 1 b (B,3,1), 2 x (B,2,1), 3 p (B,), 4 q (B,) > 0, 5 At (B,3,3),
# 6 exp(b) > 0 (B,3,1), 7 the column index 2 as a parameter
LEAVES = (
    Op("var", (), ("A", False)),
    Op("var", (), ("b", True)),
    Op("var", (), ("x", True)),
    Op("param", (), "p"),
    Op("param", (), "q"),
    Op("var", (), ("At", False)),
    Op("entrywise", (1,), "exp"),
    Op("param", (), "i"),
)
I3 = (sp.Integer(3), sp.Integer(3))

#: (name, op on the leaves); every op kind of VJPS occurs
CASES = [
    ("add", Op("add", (3, 4))),
    ("mul", Op("mul", (3, 4, 3))),
    ("powc-3/2", Op("powc", (4,), sp.Rational(3, 2))),
    ("powc-1/2", Op("powc", (4,), sp.Rational(1, 2))),
    ("powc--1", Op("powc", (4,), sp.Integer(-1))),
    ("powc-3", Op("powc", (3,), sp.Integer(3))),
    ("exp", Op("exp", (3,))),
    ("log", Op("log", (4,))),
    ("abs", Op("abs", (3,))),
    ("max", Op("max", (3, 4))),
    ("min", Op("min", (3, 4))),
    ("dot", Op("dot", (1, 6))),
    ("norm-2", Op("norm", (1,), "2")),
    ("norm-1", Op("norm", (1,), "1")),
    ("norm-inf", Op("norm", (1,), "inf")),
    ("norm-op", Op("norm", (0,), "op")),
    ("norm-fro", Op("norm", (0,), "fro")),
    ("sumexp", Op("sumexp", (1,))),
    ("logsumexp", Op("logsumexp", (1,))),
    ("matadd", Op("matadd", (1, 6))),
    ("scale", Op("scale", (3, 0))),
    ("matmul", Op("matmul", (0, 2))),
    ("matmul-square", Op("matmul", (5, 1))),
    ("diagmul", Op("diagmul", (1, 0))),
    ("hadamard", Op("hadamard", (1, 6))),
    ("hadpow-1/2", Op("hadpow", (6,), sp.Rational(1, 2))),
    ("hadpow-3", Op("hadpow", (1,), sp.Integer(3))),
    ("transpose", Op("transpose", (0,))),
    *[
        (f"entrywise-{fn}", Op("entrywise", (6 if fn in ("log", "sqrt") else 1,), fn))
        for fn in reverse.ENTRYWISE
    ],
    ("softmax", Op("softmax", (1,))),
    ("softmax-matrix", Op("softmax", (0,))),
    ("diag", Op("diag", (1,))),
    ("col", Op("col", (0,), 2)),
    ("colsym", Op("colsym", (0, 7))),
]


def _env(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "A": rng.standard_normal((B, 3, 2)),
        "b": rng.standard_normal((B, 3)),
        "x": rng.standard_normal((B, 2)),
        "p": rng.standard_normal(B),
        "q": rng.uniform(0.5, 2.0, B),
        "At": rng.standard_normal((B, 3, 3)),
        "i": np.full(B, 2.0),
    }


def _objective(ops, env, W) -> np.ndarray:
    vals = forward(ops, env)
    return (np.asarray(vals[-1]) * W).reshape(B, -1).sum(axis=1)


def _check(ops, env, tol=1e-6) -> None:
    vals = forward(ops, env)
    out = np.asarray(vals[-1], dtype=float)
    W = np.random.default_rng(7).standard_normal(out.shape)
    grads = backward(ops, vals, {len(ops) - 1: W})
    for name in ("A", "b", "x", "p", "q", "At"):
        key = ("param", name) if name in ("p", "q") else ("var", name)
        got = np.asarray(grads.get(key, np.zeros(1)), dtype=float)
        base = np.asarray(env[name], dtype=float)
        fd = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            h = 1e-6 * max(1.0, abs(base[idx]))
            up, dn = dict(env), dict(env)
            up[name] = base.copy()
            dn[name] = base.copy()
            up[name][idx] += h
            dn[name][idx] -= h
            diff = _objective(ops, up, W) - _objective(ops, dn, W)
            fd[idx] = diff[idx[0]] / (2 * h)
        if key not in grads:
            np.testing.assert_allclose(fd, 0.0, atol=tol)
            continue
        got = got.reshape(base.shape) if got.size == base.size else got
        np.testing.assert_allclose(got, fd, rtol=1e-5, atol=tol, err_msg=f"d/d{name}")


@pytest.mark.parametrize("name,op", CASES, ids=[c[0] for c in CASES])
def test_every_vjp_agrees_with_central_differences(name, op):
    _check((*LEAVES, op), _env())


def test_every_op_kind_with_inputs_has_a_case():
    assert {op.kind for _, op in CASES} == set(VJPS)


def test_identity_leaf_and_a_composite_chain():
    ops = (
        *LEAVES,
        Op("identity", (), I3),  # 8
        Op("matmul", (8, 1)),  # 9: I b
        Op("softmax", (9,)),  # 10
        Op("matmul", (0, 2)),  # 11: A x
        Op("matadd", (10, 11)),  # 12
        Op("norm", (12,), "2"),  # 13
        Op("mul", (13, 4)),  # 14
    )
    _check(ops, _env(3))


def test_a_wrong_vjp_is_caught_by_the_comparison(monkeypatch):
    """The finite-difference comparison fails on a wrong rule (here softmax's VJP
    without its projection term), so the tests above can fail."""
    monkeypatch.setitem(VJPS, "softmax", lambda g, out, z: [out * g])
    with pytest.raises(AssertionError):
        _check((*LEAVES, Op("softmax", (1,))), _env())


def test_grad_evaluator_on_the_s1_sides_and_on_grad_l():
    """Gradients of model expressions (S1's sides, G5's closed form) match
    central differences; the values match the float64 screen's evaluator."""
    from softproof.numeric.float64 import MultiEvaluator

    st = get("S1")
    exprs = [st.claim.lhs, st.claim.rhs, model.Norm("2", model.GradL(model.A, model.x, model.b))]
    ge = GradEvaluator(exprs)
    rng = np.random.default_rng(1)
    env = {
        "A": rng.standard_normal((2, 5, 3)),
        "x": rng.standard_normal((2, 3)),
        "y": rng.standard_normal((2, 3)),
        "b": rng.standard_normal((2, 5)),
    }
    w = [np.array([1.0, -2.0]), np.array([0.5, 3.0]), np.array([2.0, 1.0])]
    outs, grads = ge.value_and_grad(env, lambda _outs: w)
    for got, want in zip(outs, MultiEvaluator(exprs)(env), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)

    def total(e):
        return sum(wk * v for wk, v in zip(w, ge.values(e), strict=True))

    for name in ("A", "x", "y", "b"):
        base = env[name]
        for idx in list(np.ndindex(base.shape))[::3]:
            up, dn = dict(env), dict(env)
            up[name], dn[name] = base.copy(), base.copy()
            up[name][idx] += 1e-6
            dn[name][idx] -= 1e-6
            fd = (total(up) - total(dn))[idx[0]] / 2e-6
            assert abs(grads[name][idx] - fd) <= 1e-5 * max(1.0, abs(fd)), (name, idx)


def test_jacobian_vector_product_of_the_directional_form():
    """The plan of ``norm2(Jac(f(x), x) y)`` (lowered through the calculus module)
    is the limit of the secant ratio: it matches ||f(x + e y) - f(x)|| / e."""
    expr = model.Norm("2", model.Jac(model.F(model.A, model.x), model.x) * model.y)
    ge = GradEvaluator([expr])
    rng = np.random.default_rng(2)
    env = {"A": rng.standard_normal((1, 4, 3)), "x": rng.standard_normal((1, 3))}
    env["y"] = rng.standard_normal((1, 3))
    (val,) = ge.values(env)

    def f(x):
        z = env["A"][0] @ x
        e = np.exp(z - z.max())
        return e / e.sum()

    eps = 1e-6
    sec = np.linalg.norm(f(env["x"][0] + eps * env["y"][0]) - f(env["x"][0])) / eps
    assert abs(val[0] - sec) <= 1e-5 * sec
