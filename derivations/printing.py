"""LaTeX in the paper's notation (arXiv:2304.13276): :func:`to_latex`.

``<v, w>`` for ``Dot``, ``\\circ`` for the entrywise product, ``\\exp(Ax)``,
``A_{*,i}``, ``\\mathbf{1}_n``, ``\\|v\\|_2``, ``\\|A\\|``, ``\\tilde A``, ``f(x)``,
``\\alpha(x)``, ``u_{\\tilde A}(x)`` when the document is not ``A``,
``\\nabla L(x)``, ``\\nabla^2 L(x)``, ``B(x)``, ``\\operatorname{diag}(f)``,
``f f^\\top``.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from . import model
from .statement import Relation

__all__ = [
    "PaperLatexPrinter",
    "PaperTextPrinter",
    "to_latex",
    "to_text",
    "relation_to_latex",
    "relation_to_text",
    "sum_lines",
]

_NAMED = {
    "u": "u",
    "alpha": r"\alpha",
    "f": "f",
    "c": "c",
    "L": "L",
    "grad_L": r"\nabla L",
    "B": "B",
    "hess_L": r"\nabla^2 L",
}
_OPS = {"<=": r"\le", "<": "<", "==": "="}
_NORMS = {
    "1": r"\|{}\|_1",
    "2": r"\|{}\|_2",
    "inf": r"\|{}\|_\infty",
    "op": r"\|{}\|",
    "fro": r"\|{}\|_F",
}


class PaperLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the model's nodes in the paper's notation."""

    printmethod = "_paper_latex"

    def __init__(self, settings=None):
        super().__init__({"mul_symbol": None, **(settings or {})})

    # -- symbols ----------------------------------------------------------
    def _print_MatrixSymbol(self, expr):
        return r"\tilde{A}" if expr.name == "At" else super()._print_MatrixSymbol(expr)

    def _print_Symbol(self, expr, style="plain"):
        if expr.name == "At":
            return r"\tilde{A}"
        return super()._print_Symbol(expr, style)

    def _print_Transpose(self, expr):
        arg = expr.arg
        inner = self._print(arg)
        if not isinstance(arg, (sp.MatrixSymbol, model.ModelVector, model.Col)):
            inner = rf"\left({inner}\right)"
        return rf"{inner}^\top"

    def _print_OneMatrix(self, expr):
        rows, cols = expr.shape
        if cols == 1:
            return rf"\mathbf{{1}}_{{{self._print(rows)}}}"
        return rf"\mathbf{{1}}_{{{self._print(rows)} \times {self._print(cols)}}}"

    def _print_ZeroMatrix(self, expr):
        return "0"

    def _print_Identity(self, expr):
        return rf"I_{{{self._print(expr.shape[0])}}}"

    # -- model nodes ------------------------------------------------------
    def _print_Entrywise(self, expr):
        name = {"exp": r"\exp", "log": r"\log", "sqrt": r"\sqrt", "abs": "|"}[expr.fn]
        arg = self._print(expr.arg)
        if expr.fn == "sqrt":
            return rf"\sqrt{{{arg}}}"
        if expr.fn == "abs":
            return rf"\lvert {arg} \rvert"
        return rf"{name}({arg})"

    def _print_Softmax(self, expr):
        return rf"\operatorname{{softmax}}({self._print(expr.args[0])})"

    def _print_Diag(self, expr):
        return rf"\operatorname{{diag}}({self._print(expr.args[0])})"

    def _print_Col(self, expr):
        m, i = expr.args
        if isinstance(m, model.Jac):
            target, var = (self._print(a) for a in m.args)
            return rf"\frac{{\partial {target}}}{{\partial {var}_{{{self._print(i)}}}}}"
        return rf"{self._print(expr.args[0])}_{{*,{self._print(expr.args[1])}}}"

    def _print_Dot(self, expr):
        v, w = expr.args
        return rf"\langle {self._print(v)}, {self._print(w)} \rangle"

    def _print_Norm(self, expr):
        return _NORMS[expr.kind].format(self._print(expr.arg))

    def _factor(self, expr) -> str:
        """A matrix factor, in parentheses when it is a sum or product."""
        text = self._print(expr)
        if isinstance(expr, (sp.MatAdd, sp.HadamardProduct, sp.MatMul, sp.Transpose)):
            return rf"\left({text}\right)"
        return text

    def _print_HadamardProduct(self, expr):
        if all(isinstance(a, sp.Transpose) for a in expr.args):  # (v o w)^T
            inner = r" \circ ".join(self._factor(a.arg) for a in expr.args)
            return rf"\left({inner}\right)^\top"
        return r" \circ ".join(self._factor(a) for a in expr.args)

    def _print_HadamardPower(self, expr):
        if isinstance(expr.base, sp.Transpose):  # (v^{o k})^T
            inner = rf"{self._factor(expr.base.arg)}^{{\circ {self._print(expr.exp)}}}"
            return rf"\left({inner}\right)^\top"
        return rf"{self._factor(expr.base)}^{{\circ {self._print(expr.exp)}}}"

    def signed_terms(self, expr) -> list[str]:
        """The terms of a sum, positive ones first, each with its sign."""
        texts = [self._print(term) for term in expr.args]
        texts = [t for t in texts if not t.startswith("-")] + [
            t for t in texts if t.startswith("-")
        ]
        return [t if t.startswith("-") else f"+ {t}" for t in texts]

    def _print_MatAdd(self, expr):
        texts = [self._print(term) for term in expr.args]
        texts = [t for t in texts if not t.startswith("-")] + [
            t for t in texts if t.startswith("-")
        ]
        out = ""
        for k, text in enumerate(texts):
            if text.startswith("-"):
                out += (" - " if k else "-") + text[1:]
            else:
                out += (" + " if k else "") + text
        return out

    def _named(self, expr) -> str:
        head = _NAMED[expr.name]
        doc = expr.args[0]
        if doc != model.A:
            head += rf"_{{{self._print(doc)}}}"
        return rf"{head}({self._print(expr.args[1])})"

    _print_U = _print_Alpha = _print_F = _print_C = _print_Loss = _named
    _print_GradL = _print_BMat = _print_HessL = _named

    def _derivative(self, symbol: str, expr) -> str:
        target, var = expr.args
        sub = "" if var == model.x else rf"_{{{self._print(var)}}}"
        body = self._print(target)
        if not isinstance(target, (model.ModelScalar, model.ModelVector, sp.Symbol)):
            body = rf"\left({body}\right)"
        return rf"{symbol}{sub} {body}"

    def _print_Grad(self, expr):
        return self._derivative(r"\nabla", expr)

    def _print_Hess(self, expr):
        return self._derivative(r"\nabla^2", expr)

    def _print_Jac(self, expr):
        target, var = expr.args
        if isinstance(target, (sp.MatrixSymbol, model.ModelVector)):
            return rf"\frac{{\partial {self._print(target)}}}{{\partial {self._print(var)}}}"
        return (
            rf"\frac{{\partial}}{{\partial {self._print(var)}}}\left({self._print(target)}\right)"
        )

    def _print_MatMul(self, expr):
        # f f^T and A^T B A without a multiplication sign; scalars in front
        scalar_args = [a for a in expr.args if not model.is_matrix(a)]
        mat_args = [a for a in expr.args if model.is_matrix(a)]
        sign = ""
        scalar = sp.Mul(*scalar_args)
        if scalar.could_extract_minus_sign():
            sign, scalar = "-", -scalar
        parts = []
        if scalar != 1:
            parts.append(
                self.parenthesize(scalar, 45) if isinstance(scalar, sp.Add) else self._print(scalar)
            )
        for m in mat_args:
            text = self._print(m)
            transposed = isinstance(m, sp.HadamardProduct) and all(
                isinstance(a, sp.Transpose) for a in m.args
            )
            if isinstance(m, sp.MatAdd) or (isinstance(m, sp.HadamardProduct) and not transposed):
                text = rf"\left({text}\right)"
            parts.append(text)
        return sign + " ".join(parts)


def to_latex(expr: sp.Basic, **settings) -> str:
    """LaTeX for a model expression in the paper's notation."""
    return PaperLatexPrinter(settings).doprint(expr)


def sum_lines(expr: sp.Basic, per_line: int = 2) -> list[str]:
    """A (matrix) sum split into lines of ``per_line`` signed terms, for ``align*``."""
    printer = PaperLatexPrinter()
    if not isinstance(expr, (sp.Add, sp.MatAdd)):
        return [printer.doprint(expr)]
    terms = printer.signed_terms(expr)
    terms[0] = terms[0].removeprefix("+ ")
    return [" ".join(terms[k : k + per_line]) for k in range(0, len(terms), per_line)]


def relation_to_latex(rel: Relation, **settings) -> str:
    """``lhs \\le rhs`` / ``lhs = rhs`` for a :class:`Relation`."""
    return f"{to_latex(rel.lhs, **settings)} {_OPS[rel.op]} {to_latex(rel.rhs, **settings)}"


_TEXT_NORMS = {
    "1": "||{}||_1",
    "2": "||{}||_2",
    "inf": "||{}||_inf",
    "op": "||{}||",
    "fro": "||{}||_F",
}


class PaperTextPrinter(StrPrinter):
    """Plain text in the paper's notation, for terminals: ``<v, w>``, ``f(x)``,
    ``u_At(x)``, ``||v||_2``, ``diag(f)``, ``exp(Ax)``, ``v o w``, ``A^T``,
    ``grad_x L(x)``."""

    def _print_MatrixSymbol(self, expr):
        return expr.name

    def _print_Transpose(self, expr):
        arg = self._print(expr.arg)
        atomic = isinstance(expr.arg, (sp.MatrixSymbol, model.ModelVector))
        return f"{arg}^T" if atomic else f"({arg})^T"

    def _print_HadamardPower(self, expr):
        base, ex = expr.args
        if ex.is_Integer and 1 < ex <= 4:
            return "(" + " o ".join([self.parenthesize(base, 50)] * int(ex)) + ")"
        return f"{self.parenthesize(base, 50)}^(o{self._print(ex)})"

    def _print_OneMatrix(self, expr):
        return f"1_{self._print(expr.shape[0])}"

    def _print_Entrywise(self, expr):
        return f"{expr.fn}({self._print(expr.arg)})"

    def _print_Softmax(self, expr):
        return f"softmax({self._print(expr.args[0])})"

    def _print_Diag(self, expr):
        return f"diag({self._print(expr.args[0])})"

    def _print_Col(self, expr):
        return f"{self._print(expr.args[0])}_(*,{self._print(expr.args[1])})"

    def _print_Dot(self, expr):
        return f"<{self._print(expr.args[0])}, {self._print(expr.args[1])}>"

    def _print_Norm(self, expr):
        return _TEXT_NORMS[expr.kind].format(self._print(expr.arg))

    def _print_HadamardProduct(self, expr):
        return " o ".join(self.parenthesize(a, 50) for a in expr.args)

    def _print_MatMul(self, expr):
        parts = []
        for a in expr.args:
            text = self._print(a)
            if isinstance(a, (sp.MatAdd, sp.Add, sp.HadamardProduct)):
                text = f"({text})"
            parts.append(text)
        return " ".join(parts).replace("-1 ", "-", 1) if parts else "1"

    def _named(self, expr):
        args = expr.args
        doc = "" if args[0] == model.A else f"_{self._print(args[0])}"
        return f"{expr.name}{doc}({self._print(args[1])})"

    _print_U = _print_Alpha = _print_F = _print_C = _named
    _print_Loss = _print_GradL = _print_BMat = _print_HessL = _named

    def _derivative(self, name, expr):
        return f"{name}_{self._print(expr.args[1])} {self.parenthesize(expr.args[0], 60)}"

    def _print_Grad(self, expr):
        return self._derivative("grad", expr)

    def _print_Hess(self, expr):
        return self._derivative("hess", expr)

    def _print_Jac(self, expr):
        return self._derivative("jac", expr)


def to_text(expr: sp.Basic) -> str:
    """Plain text for a model expression in the paper's notation."""
    return PaperTextPrinter().doprint(expr)


def relation_to_text(rel: Relation) -> str:
    """``lhs <= rhs`` / ``lhs = rhs`` in plain text."""
    op = {"==": "=", "<=": "<=", "<": "<"}[rel.op]
    return f"{to_text(rel.lhs)} {op} {to_text(rel.rhs)}"
