"""Vector-level differentiation: ``Grad``, ``Jac``, ``Hess`` -> model nodes.

:func:`differentiate` replaces every derivative node by an expression in the
model's own nodes, so an evaluator can compute ``grad(L(x), x)`` at ``n = 200``
without expanding entries.  Forward rules (``J`` is the Jacobian in ``v``):

* ``J(M w) = M J(w)`` for ``M`` free of ``v``; ``J(s w) = s J(w) + w grad(s)^T``;
* ``J(exp(a)) = diag(exp a) J(a)`` (D1, G1); ``J(cosh a) = diag(sinh a) J(a)``,
  ``J(sinh a) = diag(cosh a) J(a)``, ``J(tanh a) = diag(1 - tanh(a)^2) J(a)``;
  ``J(softmax a) = (diag(s) - s s^T) J(a)``
  (G4); ``J(a o b) = diag(b) J(a) + diag(a) J(b)``;
* ``grad <p, q> = J(p)^T q + J(q)^T p`` (G2, G5); other scalar functions by
  ``sympy.diff`` on their scalar atoms (chain rule, G3).

Results are kept with vectors where possible: ``diag(a) w -> a o w`` and
``(v w^T) z -> <w, z> v`` (:func:`vectorise`).  Every rule is checked against
the entrywise ``sympy.diff`` of :mod:`lowering` in the tests.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy import (
    HadamardPower,
    HadamardProduct,
    Identity,
    MatAdd,
    MatMul,
    MatPow,
    MatrixExpr,
    MatrixSymbol,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)

from . import model
from .model import (
    Alpha,
    C,
    Col,
    Diag,
    Dot,
    Entrywise,
    F,
    Grad,
    Hess,
    Jac,
    Loss,
    Norm,
    Softmax,
    U,
    hadamard,
    outer,
)

__all__ = [
    "differentiate",
    "gradient",
    "jacobian",
    "hessian",
    "vectorise",
    "VECTOR_RULES",
    "SCALAR_RULES",
]

Var = MatrixSymbol


# --------------------------------------------------------------------------
# Small constructors that drop zeros
# --------------------------------------------------------------------------
def _is_zero(e) -> bool:
    return isinstance(e, ZeroMatrix) or (not model.is_matrix(e) and e == 0)


def _add(terms: list, shape) -> MatrixExpr:
    terms = [t for t in terms if not _is_zero(t)]
    if not terms:
        return ZeroMatrix(*shape)
    return terms[0] if len(terms) == 1 else MatAdd(*terms)


def _mul(*factors) -> MatrixExpr:
    """``MatMul`` of the factors, dropping ones and identities, zero if one is."""
    mats = [f for f in factors if model.is_matrix(f)]
    if any(_is_zero(f) for f in factors):
        return ZeroMatrix(mats[0].shape[0], mats[-1].shape[1])
    keep = [f for f in factors if not (f == 1 or isinstance(f, Identity))]
    if not any(model.is_matrix(f) for f in keep):
        keep.append(mats[0])
    return keep[0] if len(keep) == 1 else MatMul(*keep)


def _depends(e: sp.Basic, v: Var) -> bool:
    return v in e.free_symbols or any(
        isinstance(a, (Grad, Jac, Hess)) for a in sp.preorder_traversal(e)
    )


# --------------------------------------------------------------------------
# Jacobians of vectors
# --------------------------------------------------------------------------
def jacobian(w: MatrixExpr, v: Var) -> MatrixExpr:
    """``dw/dv`` (shape ``len(w) x len(v)``) as a model expression."""
    w = differentiate(w)
    shape = (w.shape[0], v.shape[0])
    if not _depends(w, v):
        return ZeroMatrix(*shape)
    if w == v:
        return Identity(v.shape[0])
    for cls, rule in VECTOR_RULES.items():
        if isinstance(w, cls):
            return rule(w, v)
    if isinstance(w, model.ModelVector):
        return jacobian(w.definition, v)
    raise NotImplementedError(f"no Jacobian rule for {type(w).__name__}: {w}")


def _jac_add(w: MatAdd, v: Var) -> MatrixExpr:
    return _add([jacobian(a, v) for a in w.args], (w.shape[0], v.shape[0]))


def _jac_mul(w: MatMul, v: Var) -> MatrixExpr:
    scalars = [a for a in w.args if not model.is_matrix(a)]
    mats = [a for a in w.args if model.is_matrix(a)]
    s = sp.Mul(*scalars)
    vec = mats[0] if len(mats) == 1 else MatMul(*mats)
    if _depends(s, v):
        # J(s w) = s J(w) + w grad(s)^T
        return _add(
            [
                s * jacobian(vec, v)
                if _depends(vec, v)
                else ZeroMatrix(*vec.shape[:1], v.shape[0]),
                _mul(vec, gradient(s, v).T),
            ],
            (w.shape[0], v.shape[0]),
        )
    if len(mats) == 1:
        return _mul(s, jacobian(vec, v)) if s != 1 else jacobian(vec, v)
    prefix, last = mats[:-1], mats[-1]
    if not any(_depends(m, v) for m in prefix):
        return _mul(s, *prefix, jacobian(last, v)) if s != 1 else _mul(*prefix, jacobian(last, v))
    rewritten = vectorise(w)
    if rewritten == w:
        raise NotImplementedError(f"no product rule for the matrix factor in {w}")
    return jacobian(rewritten, v)


def _jac_hadamard(w: HadamardProduct, v: Var) -> MatrixExpr:
    parts = []
    for k, a in enumerate(w.args):
        others = [o for m, o in enumerate(w.args) if m != k]
        other = others[0] if len(others) == 1 else HadamardProduct(*others)
        parts.append(_mul(Diag(other), jacobian(a, v)))
    return _add(parts, (w.shape[0], v.shape[0]))


def _jac_hadamard_power(w: HadamardPower, v: Var) -> MatrixExpr:
    k = w.exp
    inner = w.base if k == 2 else HadamardPower(w.base, k - 1)
    return _mul(k, Diag(inner), jacobian(w.base, v))


def _jac_entrywise(w: Entrywise, v: Var) -> MatrixExpr:
    a = w.arg
    if w.fn == "exp":
        return _mul(Diag(w), jacobian(a, v))
    if w.fn == "log":
        return _mul(MatPow(Diag(a), -1), jacobian(a, v))
    if w.fn == "sqrt":
        return _mul(sp.Rational(1, 2), MatPow(Diag(w), -1), jacobian(a, v))
    if w.fn == "cosh":
        return _mul(Diag(Entrywise("sinh", a)), jacobian(a, v))
    if w.fn == "sinh":
        return _mul(Diag(Entrywise("cosh", a)), jacobian(a, v))
    if w.fn == "tanh":
        # 1 - tanh(a)^2, entrywise
        one = OneMatrix(*w.shape)
        return _mul(Diag(one - HadamardPower(w, 2)), jacobian(a, v))
    raise NotImplementedError(f"entrywise {w.fn} is not differentiable everywhere")


def _softmax_jacobian(s: MatrixExpr) -> MatrixExpr:
    """``diag(s) - s s^T`` (G4 in matrix form)."""
    return Diag(s) - outer(s, s)


def _jac_softmax(w: Softmax, v: Var) -> MatrixExpr:
    return _mul(_softmax_jacobian(w), jacobian(w.args[0], v))


def _jac_u(w: U, v: Var) -> MatrixExpr:
    a, z = w.args
    return _mul(Diag(w), jacobian(a * z, v))


def _jac_f(w: F, v: Var) -> MatrixExpr:
    a, z = w.args
    return _mul(_softmax_jacobian(w), jacobian(a * z, v))


def _jac_c(w: C, v: Var) -> MatrixExpr:
    a, z, t = w.args
    return _add([jacobian(F(a, z), v), -jacobian(t, v)], (w.shape[0], v.shape[0]))


def _jac_col(w: Col, v: Var) -> MatrixExpr:
    raise NotImplementedError(f"Jacobian of a column of a variable matrix: {w}")


def _jac_transpose(w: Transpose, v: Var) -> MatrixExpr:
    return jacobian(w.arg.T if not isinstance(w.arg, Transpose) else w.arg.arg, v)


def _jac_constant(w, v: Var) -> MatrixExpr:
    return ZeroMatrix(w.shape[0], v.shape[0])


#: Jacobian rules by node class (tests replace entries to show wrong rules fail).
VECTOR_RULES: dict[type, Callable[[MatrixExpr, Var], MatrixExpr]] = {
    MatAdd: _jac_add,
    MatMul: _jac_mul,
    HadamardProduct: _jac_hadamard,
    HadamardPower: _jac_hadamard_power,
    Entrywise: _jac_entrywise,
    Softmax: _jac_softmax,
    U: _jac_u,
    F: _jac_f,
    C: _jac_c,
    Col: _jac_col,
    OneMatrix: _jac_constant,
}


# --------------------------------------------------------------------------
# Gradients of scalars
# --------------------------------------------------------------------------
def gradient(s: sp.Expr, v: Var) -> MatrixExpr:
    """``grad_v s`` (a column of length ``len(v)``) as a model expression."""
    s = differentiate(s)
    if not _depends(s, v):
        return ZeroMatrix(v.shape[0], 1)
    for cls, rule in SCALAR_RULES.items():
        if isinstance(s, cls):
            return vectorise(rule(s, v))
    if isinstance(s, model.ModelScalar):
        return gradient(s.definition, v)
    return vectorise(_chain(s, v))


def _grad_dot(s: Dot, v: Var) -> MatrixExpr:
    p, q = s.args
    return _add([_mul(jacobian(p, v).T, q), _mul(jacobian(q, v).T, p)], (v.shape[0], 1))


def _grad_norm(s: Norm, v: Var) -> MatrixExpr:
    if s.kind != "2":
        raise NotImplementedError(f"the norm {s.kind} is not differentiable everywhere")
    p = s.arg
    return _mul(1 / s, jacobian(p, v).T, p)


def _grad_alpha(s: Alpha, v: Var) -> MatrixExpr:
    a, z = s.args
    return _mul(jacobian(a * z, v).T, U(a, z))


def _grad_loss(s: Loss, v: Var) -> MatrixExpr:
    cc = C(*s.args)
    return _mul(jacobian(cc, v).T, cc)


def _chain(s: sp.Expr, v: Var) -> MatrixExpr:
    """Chain rule through SymPy scalar functions: ``grad g(a_1..a_m) =
    sum_k dg/da_k grad a_k`` with ``dg/da_k`` by ``sympy.diff``."""
    atoms = [
        a
        for a in sp.preorder_traversal(s)
        if isinstance(a, (Dot, Norm, model.ModelScalar)) and _depends(a, v)
    ]
    atoms = list(dict.fromkeys(atoms))
    syms = [sp.Dummy(f"a{k}") for k in range(len(atoms))]
    flat = s.xreplace(dict(zip(atoms, syms, strict=True)))
    if _depends(flat, v):
        raise NotImplementedError(f"cannot differentiate {s} in {v}")
    back = dict(zip(syms, atoms, strict=True))
    parts = []
    for a, z in zip(atoms, syms, strict=True):
        coeff = sp.diff(flat, z).xreplace(back)
        if coeff != 0:
            parts.append(_mul(coeff, gradient(a, v)))
    return _add(parts, (v.shape[0], 1))


#: Gradient rules by node class.
SCALAR_RULES: dict[type, Callable[[sp.Expr, Var], MatrixExpr]] = {
    Dot: _grad_dot,
    Norm: _grad_norm,
    Alpha: _grad_alpha,
    Loss: _grad_loss,
}


def hessian(s: sp.Expr, v: Var) -> MatrixExpr:
    """``hess_v s = J(grad_v s)``."""
    return jacobian(gradient(s, v), v)


# --------------------------------------------------------------------------
# Keeping vectors: diag(a) w -> a o w, (u w^T) z -> <w, z> u
# --------------------------------------------------------------------------
def vectorise(e: sp.Basic) -> sp.Basic:
    """Rewrite products ending in a vector so no ``n x n`` matrix is formed."""
    if not model.is_matrix(e) or e.shape[1] != 1:
        return e
    if isinstance(e, MatAdd):
        return _add([vectorise(a) for a in e.args], e.shape)
    if isinstance(e, MatMul):
        mats = [a for a in e.args if model.is_matrix(a)]
        coeff = sp.Mul(*[a for a in e.args if not model.is_matrix(a)])
        acc = _apply_all(mats[:-1], vectorise(mats[-1]))
        return _scale(coeff, acc)
    return e


def _scale(coeff, acc):
    if coeff == 1:
        return acc
    if _is_zero(acc):
        return acc
    return coeff * acc


def _apply_all(mats: list, acc):
    for m in reversed(mats):
        acc = _apply(m, acc)
    return acc


def _apply(m: MatrixExpr, w):
    """``m w`` kept with vectors; ``w`` is a column or (after ``u^T``) a scalar."""
    if not model.is_matrix(w):  # a scalar from a row vector: m must be a column
        return _scale(w, m)
    if _is_zero(w) or isinstance(m, ZeroMatrix):
        return ZeroMatrix(m.shape[0], 1)
    if isinstance(m, Identity):
        return w
    if isinstance(m, Diag) or (isinstance(m, Transpose) and isinstance(m.arg, Diag)):
        a = m.args[0] if isinstance(m, Diag) else m.arg.args[0]
        return hadamard(a, w)
    if isinstance(m, Transpose) and m.arg.shape[1] == 1:
        return Dot(m.arg, w)
    if isinstance(m, MatAdd):
        return _add([_apply(t, w) for t in m.args], (m.shape[0], 1))
    if isinstance(m, Transpose) and isinstance(m.arg, MatAdd):
        return _add([_apply(t.T, w) for t in m.arg.args], (m.shape[0], 1))
    if isinstance(m, Transpose) and isinstance(m.arg, MatMul):
        inner = m.arg
        coeff = sp.Mul(*[a for a in inner.args if not model.is_matrix(a)])
        mats = [a.T for a in reversed(inner.args) if model.is_matrix(a)]
        return _scale(coeff, _apply_all(mats, w))
    if isinstance(m, MatMul):
        coeff = sp.Mul(*[a for a in m.args if not model.is_matrix(a)])
        return _scale(coeff, _apply_all([a for a in m.args if model.is_matrix(a)], w))
    if isinstance(m, MatPow) and m.exp.is_Integer and m.exp > 0:
        return _apply_all([m.base] * int(m.exp), w)
    if m.shape[1] == 1 and w.shape == (1, 1):
        return m * w
    return m * w


# --------------------------------------------------------------------------
# Replacing derivative nodes
# --------------------------------------------------------------------------
def differentiate(e: sp.Basic) -> sp.Basic:
    """``e`` with every ``Grad``, ``Jac``, ``Hess`` node (innermost first)
    replaced by a vector-level model expression."""
    nodes = [a for a in sp.postorder_traversal(e) if isinstance(a, (Grad, Jac, Hess))]
    if not nodes:
        return e
    node = nodes[0]
    if isinstance(node, Grad):
        new = gradient(*node.args)
    elif isinstance(node, Jac):
        new = jacobian(*node.args)
    else:
        new = hessian(*node.args)
    return differentiate(e.xreplace({node: new}))
