"""Lowering model expressions to entrywise SymPy (explicit and IndexedBase/Sum)."""

import pytest
import sympy as sp

from softproof.derivations import model as M
from softproof.derivations.lowering import (
    LoweringError,
    explicit_symbols,
    lower_entry,
    lower_explicit,
    lower_indexed,
)

A, x, b = M.A, M.x, M.b


def test_explicit_symbols_are_one_based_plain_symbols():
    a = explicit_symbols(A, 2, 3)
    assert a.shape == (2, 3)
    assert a[0, 2].name == "A_{1,3}" and a[0, 2].is_real
    assert explicit_symbols(x, 2, 3)[1].name == "x_{2}"


def test_softmax_definition_lowers_to_softmax_entries():
    f = lower_explicit(M.F(A, x), 2, 1)
    a, v = explicit_symbols(A, 2, 1), explicit_symbols(x, 2, 1)
    z = [sp.exp(a[r, 0] * v[0]) for r in range(2)]
    assert sp.simplify(f[0] - z[0] / (z[0] + z[1])) == 0
    assert lower_explicit(M.Softmax(A * x), 2, 1) == f


def test_every_matrix_node_lowers_explicitly():
    n, d = 3, 2
    a, v, w = (explicit_symbols(s, n, d) for s in (A, x, b))
    assert lower_explicit(M.ones(M.n), n, d) == sp.ones(3, 1)
    assert lower_explicit(sp.Identity(M.d), n, d) == sp.eye(2)
    assert lower_explicit(sp.ZeroMatrix(M.n, 1), n, d) == sp.zeros(3, 1)
    assert lower_explicit(A.T * b, n, d) == a.T * w
    assert lower_explicit(M.hadamard(b, b), n, d) == w.multiply_elementwise(w)
    assert lower_explicit(M.Diag(b), n, d) == sp.diag(*w)
    assert lower_explicit(M.Col(A, 2), n, d) == a[:, 1]
    assert lower_explicit(M.Dot(b, b), n, d) == sum(t**2 for t in w)
    assert lower_explicit(sp.MatPow(M.Diag(b), 2), n, d) == sp.diag(*[t**2 for t in w])
    assert lower_explicit(sp.MatPow(M.Diag(b), -1), n, d) == sp.diag(*[1 / t for t in w])
    assert lower_explicit(M.Entrywise("log", b), n, d)[0] == sp.log(w[0])
    assert lower_explicit(M.Norm("2", x), n, d) == sp.sqrt(v[0] ** 2 + v[1] ** 2)
    assert lower_explicit(M.Norm("inf", x), n, d) == sp.Max(sp.Abs(v[0]), sp.Abs(v[1]))
    assert lower_explicit(3 * M.n * M.Dot(x, x), n, d) == 9 * (v[0] ** 2 + v[1] ** 2)


def test_derivative_nodes_are_sympy_diff_of_the_lowered_definition():
    n, d = 2, 2
    L = M.Loss(A, x, b)
    low = lower_explicit(L, n, d)
    v = explicit_symbols(x, n, d)
    g = lower_explicit(M.Grad(L, x), n, d)
    h = lower_explicit(M.Hess(L, x), n, d)
    assert g == sp.Matrix([sp.diff(low, t) for t in v])
    assert h[0, 1] == sp.diff(sp.diff(low, v[0]), v[1])
    j = lower_explicit(M.Jac(M.U(A, x), x), n, d)
    assert j.shape == (2, 2) and j[1, 0] == sp.diff(lower_explicit(M.U(A, x), n, d)[1], v[0])


def test_lowering_errors_are_clear():
    with pytest.raises(LoweringError, match="spectral"):
        lower_explicit(M.Norm("op", A), 2, 2)
    with pytest.raises(LoweringError, match="out of range"):
        lower_explicit(M.Col(A, 3), 2, 2)
    with pytest.raises(LoweringError, match="positive"):
        lower_explicit(A, 0, 2)


@pytest.mark.parametrize(
    "expr",
    [
        M.F(A, x),
        M.GradL(A, x, b),
        M.BMat(A, x, b),
        M.Diag(b) * M.ones(M.n),
        sp.MatPow(M.outer(b, b), 2),
        M.Grad(M.Loss(A, x, b), x),
    ],
)
def test_indexed_entry_agrees_with_explicit_lowering(expr):
    """The generic Sum entry, evaluated at n=2, d=2, is the explicit entry."""
    n, d = 2, 2
    explicit = lower_explicit(expr, n, d)
    generic = lower_indexed(expr)
    row, col = sp.Symbol("_row", integer=True), sp.Symbol("_col", integer=True)
    bases = {s.name: explicit_symbols(s, n, d) for s in (A, x, b)}
    for r in range(explicit.rows):
        for c in range(explicit.cols):
            e = generic.subs({M.n: n, M.d: d}).xreplace({row: r, col: c}).doit()
            e = e.replace(
                lambda t: isinstance(t, sp.Indexed),
                lambda t: (
                    bases[t.base.name][tuple(int(i) for i in t.indices)]
                    if len(t.indices) == 2
                    else bases[t.base.name][int(t.indices[0])]
                ),
            )
            e = e.replace(sp.KroneckerDelta, lambda p, q: sp.S.One if p == q else sp.S.Zero)
            point = {
                s: sp.Rational(k % 5 - 2, 3) for k, s in enumerate(sorted(e.free_symbols, key=str))
            }
            assert abs(sp.N(e.xreplace(point) - explicit[r, c].xreplace(point), 30)) < 1e-25


def test_scalar_lowering_has_sums_over_symbolic_ranges():
    e = lower_entry(M.Dot(b, b))
    assert isinstance(e, sp.Sum) and e.limits[0][2] == M.n - 1
