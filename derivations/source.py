"""Statement-file text of model expressions: the inverse of :mod:`grammar`.

:func:`to_source` prints any expression a claim, a hypothesis or a proof chain
uses (norms, ``dot``, ``diag``, ``col``, outer products as ``v @ w.T``, entrywise
products ``*``, transposes, matrix powers, ``ones(k)``, the model functions with
their document and target, ``abs``/``max``/``min``, exact rationals ``1/100``,
``sup``/``sup_unit`` and auxiliary symbols) so that parsing the text gives the
same expression back, structurally (``parse(to_source(e)) == e``).

:func:`auxiliary_symbols` lists the symbols a file must declare under
``variables`` (anything but the model's variables, the sizes and parameters);
:func:`declaration` writes one declaration (``"vector n"``, ``"scalar"``, ...).
"""

from __future__ import annotations

import sympy as sp
from sympy import (
    HadamardProduct,
    Identity,
    MatAdd,
    MatMul,
    MatPow,
    MatrixSymbol,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)

from . import model
from .rules import HOLE, Sup, SupUnit
from .statement import VARIABLES

__all__ = ["to_source", "relation_source", "auxiliary_symbols", "declaration", "NORM_NAMES"]

#: norm kind -> function name of the language
NORM_NAMES = {"1": "norm1", "2": "norm2", "inf": "norm_inf", "op": "opnorm", "fro": "fro"}

_SIZES = {model.n, model.d}
_STANDARD = set(VARIABLES.values()) | _SIZES


class SourceError(ValueError):
    """An expression with no text in the statement-file language."""


def to_source(e: sp.Basic) -> str:
    """The statement-file text of ``e`` (see the module docstring)."""
    return _Printer().text(sp.sympify(e))


def relation_source(rel) -> str:
    """``lhs OP rhs`` of a :class:`~statement.Relation`."""
    return f"{to_source(rel.lhs)} {rel.op} {to_source(rel.rhs)}"


def auxiliary_symbols(exprs, parameters=()) -> list[sp.Basic]:
    """Symbols in ``exprs`` that a file must declare: not a model variable, a size,
    ``HOLE`` or one of ``parameters`` (symbols); bound variables included."""
    params = set(parameters)
    out: dict[sp.Basic, None] = {}
    for e in exprs:
        for node in sp.preorder_traversal(sp.sympify(e)):
            if isinstance(node, sp.Symbol | MatrixSymbol):
                if node in _STANDARD or node in params or node == HOLE:
                    continue
                if isinstance(node, MatrixSymbol) and node.name == "HOLE":
                    continue
                out[node] = None
    return list(out)


def declaration(sym: sp.Basic) -> str:
    """The ``variables`` entry of ``sym``: ``"vector n"``, ``"matrix n d"``,
    ``"scalar"`` (real) or ``"positive"`` (a positive scalar)."""
    if isinstance(sym, MatrixSymbol):
        rows, cols = (to_source(s) for s in sym.shape)
        return f"vector {rows}" if cols == "1" else f"matrix {rows} {cols}"
    if sym.is_positive:
        return "positive"
    if sym.is_real:
        return "scalar"
    raise SourceError(f"symbol {sym} is neither real nor positive")


# precedence: higher binds tighter
_ATOM, _POW, _UNARY, _MUL, _ADD = 5, 4, 3, 2, 1


class _Printer:
    def text(self, e: sp.Basic) -> str:
        return self.show(e)[0]

    def wrap(self, e: sp.Basic, level: int) -> str:
        """``e`` parenthesised unless it binds at least as tightly as ``level``."""
        s, prec = self.show(e)
        return s if prec >= level else f"({s})"

    def call(self, name: str, *args: sp.Basic) -> tuple[str, int]:
        return f"{name}({', '.join(self.text(a) for a in args)})", _ATOM

    # ---- dispatch ---------------------------------------------------------
    def show(self, e: sp.Basic) -> tuple[str, int]:
        if isinstance(e, sp.Integer):
            return str(e), (_ATOM if e >= 0 else _UNARY)
        if isinstance(e, sp.Rational):
            return f"{e.p}/{e.q}", _MUL
        if isinstance(e, sp.Float):
            raise SourceError(f"floating-point number {e} (write an exact rational)")
        if isinstance(e, sp.Symbol | MatrixSymbol):
            return e.name, _ATOM
        if isinstance(e, model.Norm):
            return self.call(NORM_NAMES[e.kind], e.arg)
        if isinstance(e, model._Defined):  # a file's definition: its name, its arguments
            return (e.name, _ATOM) if not e.call_args else self.call(e.name, *e.call_args)
        if isinstance(e, model._Named):
            return self.call(e.name, *e.args)
        if isinstance(e, model.Dot):
            return self.call("dot", *e.args)
        if isinstance(e, model.Diag):
            return self.call("diag", *e.args)
        if isinstance(e, model.Col):
            return self.call("col", *e.args)
        if isinstance(e, model.Softmax):
            return self.call("softmax", *e.args)
        if isinstance(e, model.Entrywise):
            return self.call(e.fn, e.arg)
        if isinstance(e, model.Grad):
            return self.call("grad", *e.args)
        if isinstance(e, model.Jac):
            return self.call("jac", *e.args)
        if isinstance(e, model.Hess):
            return self.call("hess", *e.args)
        if isinstance(e, Sup):
            return self.call("sup", *e.args)
        if isinstance(e, SupUnit):
            return self.call("sup_unit", *e.args)
        if isinstance(e, OneMatrix):
            if e.shape[1] != 1:
                raise SourceError(f"a matrix of ones {e.shape} (only ones(k) vectors)")
            return self.call("ones", e.shape[0])
        if isinstance(e, Identity):
            return self.call("eye", e.shape[0])
        if isinstance(e, ZeroMatrix):
            raise SourceError("a zero matrix has no text in the language")
        if isinstance(e, Transpose):
            return f"{self.wrap(e.arg, _ATOM)}.T", _ATOM
        if isinstance(e, sp.exp):
            return self.call("exp", e.args[0])
        if isinstance(e, sp.log):
            return self.call("log", *e.args)
        if isinstance(e, sp.Abs):
            return self.call("abs", *e.args)
        for fn in (sp.cosh, sp.sinh, sp.tanh):
            if isinstance(e, fn):
                return self.call(fn.__name__, e.args[0])
        if isinstance(e, sp.Max):
            return self.call("max", *e.args)
        if isinstance(e, sp.Min):
            return self.call("min", *e.args)
        if isinstance(e, sp.Pow):
            return self.power(e)
        if isinstance(e, MatPow):
            return f"{self.wrap(e.args[0], _ATOM)}**{self.wrap(e.args[1], _ATOM)}", _POW
        if isinstance(e, MatMul):  # before Mul: a MatMul is a Mul
            return self.matmul(e)
        if isinstance(e, sp.Add | MatAdd):
            return self.sum(e)
        if isinstance(e, sp.Mul):
            return self.product(e)
        if isinstance(e, HadamardProduct):
            return " * ".join(self.wrap(a, _POW) for a in e.args), _MUL
        raise SourceError(f"{type(e).__name__} has no text in the statement-file language")

    # ---- operators --------------------------------------------------------
    def power(self, e: sp.Pow) -> tuple[str, int]:
        base, ex = e.args
        if ex == sp.S.Half:
            return self.call("sqrt", base)
        if ex.is_Rational and ex.is_negative:
            inv = sp.Pow(base, -ex)
            return f"1/{self.wrap(inv, _POW)}", _MUL
        return f"{self.wrap(base, _ATOM)}**{self.wrap(ex, _ATOM)}", _POW

    def sum(self, e: sp.Basic) -> tuple[str, int]:
        terms = sorted(e.args, key=lambda a: _negated(a) is not None)  # positive terms first
        parts: list[str] = []
        for k, term in enumerate(terms):
            neg = _negated(term)
            if k > 0 and neg is not None:
                parts.append(f" - {self.wrap(neg, _MUL + 1)}")
            elif k > 0:
                parts.append(f" + {self.wrap(term, _ADD + 1)}")
            else:
                parts.append(self.wrap(term, _ADD + 1))
        return "".join(parts), _ADD

    def product(self, e: sp.Mul) -> tuple[str, int]:
        coeff, rest = e.as_coeff_Mul()
        if coeff == -1:
            return f"-{self.wrap(rest, _MUL + 1)}", _UNARY
        num: list[sp.Basic] = []
        den: list[sp.Basic] = []
        if coeff != 1:
            if coeff.is_Rational and coeff.q != 1:
                if coeff.p != 1:
                    num.append(sp.Integer(coeff.p))
                den.append(sp.Integer(coeff.q))
            else:
                num.append(coeff)
        for f in sp.Mul.make_args(rest):
            if isinstance(f, sp.Pow) and f.exp.is_Rational and f.exp.is_negative:
                den.append(sp.Pow(f.base, -f.exp))
            else:
                num.append(f)
        top = " * ".join(self.wrap(f, _MUL + 1) for f in num) if num else "1"
        if not den:
            return top, _MUL
        if len(den) == 1:
            bottom = self.wrap(den[0], _POW)
        else:
            bottom = "(" + " * ".join(self.wrap(f, _MUL + 1) for f in den) + ")"
        if len(num) > 1:
            top = f"({top})"
        return f"{top} / {bottom}", _MUL

    def matmul(self, e: MatMul) -> tuple[str, int]:
        scalars = [a for a in e.args if not model.is_matrix(a)]
        mats = [a for a in e.args if model.is_matrix(a)]
        body = " @ ".join(self.wrap(m, _MUL + 1) for m in mats)
        if not scalars:
            return body, _MUL
        coeff = sp.Mul(*scalars)
        if coeff == -1:
            inner = body if len(mats) == 1 else f"({body})"
            return f"-{inner}", _UNARY
        inner = body if len(mats) == 1 else f"({body})"
        if len(mats) == 1 and not isinstance(mats[0], MatrixSymbol):
            inner = self.wrap(mats[0], _MUL + 1)
        return f"{self.wrap(coeff, _MUL + 1)} * {inner}", _MUL


def _negated(term: sp.Basic) -> sp.Basic | None:
    """``-term`` when ``term`` carries a negative numeric coefficient, else None."""
    if isinstance(term, sp.Mul) and not isinstance(term, MatMul):
        c, _ = term.as_coeff_Mul()
        if c.is_Number and c.is_negative:
            return -term
    if isinstance(term, MatMul):
        nums = [a for a in term.args if isinstance(a, sp.Number)]
        if len(nums) == 1 and nums[0].is_negative:
            rest = [a for a in term.args if a is not nums[0]]
            c = -nums[0]
            return (
                MatMul(*rest)
                if c == 1 and len(rest) > 1
                else (rest[0] if c == 1 else MatMul(c, *rest))
            )
    if isinstance(term, sp.Number) and term.is_negative:
        return -term
    return None
