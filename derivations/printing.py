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
    "split_latex",
    "relation_rows",
    "relation_display",
    "visible_width",
    "LINE_WIDTH",
    "math_text",
    "claim_text",
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

    def _print_Abs(self, expr, exp=None):
        text = rf"\left\lvert {self._print(expr.args[0])} \right\rvert"
        return text if exp is None else rf"{text}^{{{exp}}}"

    # -- model nodes ------------------------------------------------------
    def _print_Entrywise(self, expr):
        name = {
            "exp": r"\exp",
            "log": r"\log",
            "sqrt": r"\sqrt",
            "abs": "|",
            "cosh": r"\cosh",
            "sinh": r"\sinh",
            "tanh": r"\tanh",
        }[expr.fn]
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

    #: printed terms of an earlier line, whose order the terms of a sum follow
    #: (so that a chain keeps its term order from line to line); None: SymPy's order
    prefer: list[str] | None = None

    def _preferred(self, terms, expr=None) -> list:
        """``terms`` in the order of :attr:`prefer`: a term printed as before keeps its
        place, a rewritten term takes the free place of the most similar earlier
        term; new terms follow in SymPy's order."""
        import difflib

        terms = list(terms)
        if not self.prefer or expr is None or not self._is_root(expr):
            return terms
        prefer = self.prefer
        bodies = [self._print(t).lstrip("-").strip() for t in terms]
        rank: dict[int, int] = {}
        for k, body in enumerate(bodies):
            if body in prefer and prefer.index(body) not in rank.values():
                rank[k] = prefer.index(body)
        for k, body in enumerate(bodies):
            if k in rank:
                continue
            free = [j for j in range(len(prefer)) if j not in rank.values()]
            scored = [
                (difflib.SequenceMatcher(None, prefer[j], body, autojunk=False).ratio(), -j)
                for j in free
            ]
            if scored and max(scored)[0] > 0.3:
                rank[k] = -max(scored)[1]
        order = sorted(range(len(terms)), key=lambda k: (rank.get(k, len(prefer)), k))
        if self._print(terms[order[0]]).startswith("-") and not self._print(terms[0]).startswith(
            "-"
        ):
            return terms  # a sum does not start with a minus sign when it need not
        return [terms[k] for k in order]

    #: the expression whose top-level sum follows :attr:`prefer`
    root: sp.Basic | None = None

    @staticmethod
    def _root_sum(expr):
        """The outermost sum of ``expr``: itself, or the sum under a norm, a sign or a
        scalar factor."""
        while expr is not None and not isinstance(expr, (sp.Add, sp.MatAdd)):
            args = [a for a in getattr(expr, "args", ()) if isinstance(a, sp.Basic)]
            parts = [a for a in args if isinstance(a, (sp.Add, sp.MatAdd))]
            expr = parts[0] if len(parts) == 1 and len(args) <= 2 else None
        return expr

    def _is_root(self, expr) -> bool:
        root = self._root_sum(self.root)
        return root is not None and expr == root

    def _as_ordered_terms(self, expr, order=None):
        return self._preferred(super()._as_ordered_terms(expr, order=order), expr)

    def ordered_args(self, expr) -> list:
        """The terms of a matrix sum in print order: an earlier line's order when
        :attr:`prefer` is set, else positive terms first."""
        texts = [(self._print(term), term) for term in expr.args]
        terms = [t for x, t in texts if not x.startswith("-")] + [
            t for x, t in texts if x.startswith("-")
        ]
        return self._preferred(terms, expr)

    def term_texts(self, expr) -> list[str]:
        """The printed terms (without sign) of the top-level sum of ``expr``, in print order."""
        self.root = expr
        top = self._root_sum(expr)
        if isinstance(top, sp.MatAdd):
            terms = self.ordered_args(top)
        elif isinstance(top, sp.Add):
            terms = self._as_ordered_terms(top)
        else:
            return []
        return [self._print(t).lstrip("-").strip() for t in terms]

    def signed_terms(self, expr) -> list[str]:
        """The terms of a sum, positive ones first, each with its sign."""
        texts = [self._print(term) for term in self.ordered_args(expr)]
        return [t if t.startswith("-") else f"+ {t}" for t in texts]

    def _print_MatAdd(self, expr):
        texts = [self._print(term) for term in self.ordered_args(expr)]
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

    def _defined(self, expr) -> str:
        """A file's own definition: its name (``alpha`` as ``\\alpha``, a built-in
        name as the built-in prints) applied to the call's arguments."""
        name = expr.name
        head = _NAMED.get(name) or self._print(sp.Symbol(name))
        if not expr.call_args:
            return head
        return rf"{head}({', '.join(self._print(a) for a in expr.call_args)})"

    _print_DefinedVector = _print_DefinedScalar = _defined

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

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

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

    def _defined(self, expr):
        if not expr.call_args:
            return expr.name
        return f"{expr.name}({', '.join(self._print(a) for a in expr.call_args)})"

    _print_DefinedVector = _print_DefinedScalar = _defined

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


# --------------------------------------------------------------------------
# Line breaking: long sums broken at top-level terms to a width budget
# --------------------------------------------------------------------------
#: Width budget of one displayed line, in visible characters of the LaTeX (about
#: the text width of a 10pt article in ``\small``, after the ``&\quad`` indent).
LINE_WIDTH = 58

_SPACING = ("\\left", "\\right", "\\bigl", "\\bigr", "\\,", "\\;", "\\!", "\\quad", "\\qquad")


def visible_width(tex: str) -> int:
    """Rough width of ``tex`` when typeset, in characters: a command counts as one
    character, braces, spacing commands and ``\\left``/``\\right`` as none, a sub- or
    superscript as half its length, a fraction as its wider part."""
    import re

    s = tex
    for cmd in _SPACING:
        s = s.replace(cmd, "")
    s = re.sub(r"\\(operatorname|text|mathbf|mathrm)\{([^{}]*)\}", r"\2", s)

    def frac(m):
        a, b = m.group(1), m.group(2)
        return a if visible_width(a) >= visible_width(b) else b

    for _ in range(3):
        s = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", frac, s)
    s = re.sub(r"\\[a-zA-Z]+", "c", s)
    s = re.sub(r"\\.", "c", s)
    scripts = sum(len(g) for g in re.findall(r"[_^]\{([^{}]*)\}", s))
    s = re.sub(r"[_^]\{([^{}]*)\}", "", s)
    s = s.replace("{", "").replace("}", "").replace("^", "").replace("_", "")
    return len(s.replace(" ", "")) + (s.count(" ") + scripts) // 2


def _balanced(tex: str) -> bool:
    depth = 0
    for k, ch in enumerate(tex):
        if ch in "{}" and (k == 0 or tex[k - 1] != "\\"):
            depth += 1 if ch == "{" else -1
            if depth < 0:
                return False
    return depth == 0


def _breakable(expr: sp.Basic) -> bool:
    return isinstance(expr, (sp.Add, sp.MatAdd)) and len(expr.args) > 1


def _term_texts(printer: PaperLatexPrinter, expr: sp.Basic) -> list[tuple[str, sp.Basic]]:
    """The signed terms of a sum in print order, each with its expression."""
    if isinstance(expr, sp.MatAdd):
        terms = printer.ordered_args(expr)
    else:
        terms = printer._as_ordered_terms(expr)
    return [(printer._print(term), term) for term in terms]


def _split_sum(printer: PaperLatexPrinter, expr: sp.Basic, width: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for text, term in _term_texts(printer, expr):
        sign, body = ("-", text[1:].lstrip()) if text.startswith("-") else ("+", text)
        piece = f"{sign} {body}" if (current or lines) else ("-" + body if sign == "-" else body)
        if current and visible_width(current + " " + piece) > width:
            lines.append(current)
            current = ""
        if visible_width(piece) > width:
            sub = _split(printer, -term if sign == "-" else term, width - 2)
            if len(sub) > 1:
                head = f"{sign} " if (current or lines) else ("-" if sign == "-" else "")
                if current:
                    lines.append(current)
                lines.append(head + sub[0])
                lines.extend(sub[1:-1])
                current = sub[-1]
                continue
        current = f"{current} {piece}" if current else piece
    if current:
        lines.append(current)
    return lines


def _sums_in(expr: sp.Basic) -> list[sp.Basic]:
    """Breakable sums inside ``expr`` (not ``expr`` itself), outermost first."""
    found, queue = [], list(expr.args)
    while queue:
        e = queue.pop(0)
        if not isinstance(e, sp.Basic):
            continue
        if _breakable(e):
            found.append(e)
        queue.extend(e.args)
    return found


def _split(printer: PaperLatexPrinter, expr: sp.Basic, width: int) -> list[str]:
    text = printer._print(expr)
    if visible_width(text) <= width:
        return [text]
    if _breakable(expr):
        return _split_sum(printer, expr, width)
    # a product or function of a long sum: break the sum inside \bigl( ... \bigr);
    # of the sums that can be broken, the one giving the narrowest lines
    best: list[str] = [text]
    for inner in sorted(_sums_in(expr), key=lambda e: -len(printer._print(e)))[:6]:
        lines = _split_inside(printer, expr, inner, text, width)
        if lines and max(map(visible_width, lines)) < max(map(visible_width, best)):
            best = lines
            if max(map(visible_width, lines)) <= width:
                break
    return best


def _split_inside(printer, expr, inner, text, width) -> list[str] | None:
    mark = (
        sp.MatrixSymbol("PLACEHOLDER", *inner.shape)
        if model.is_matrix(inner)
        else sp.Symbol("PLACEHOLDER")
    )
    try:
        with_mark = printer._print(expr.xreplace({inner: mark}))
    except Exception:  # noqa: BLE001 - a node that cannot hold a placeholder
        return None
    if with_mark.count("PLACEHOLDER") != 1:
        return None
    pre, post = with_mark.split("PLACEHOLDER")
    if not _balanced(pre + post):
        return None
    inner_text = printer._print(inner)
    paren = pre.endswith(r"\left(") and post.startswith(r"\right)")
    if paren:
        pre, post = pre[: -len(r"\left(")] + r"\bigl(", r"\bigr)" + post[len(r"\right)") :]
    elif pre + inner_text + post != text:
        pre, post = pre + r"\bigl(", r"\bigr)" + post
    budget = max(width - visible_width(pre) - 2, 24)
    body = _split(printer, inner, budget)
    if len(body) < 2:
        return None
    pre, post = _big(pre), _big(post)
    lines = [pre + body[0], *body[1:-1], body[-1] + post]
    return lines if all(_balanced(line) for line in lines) else None


def _big(tex: str) -> str:
    """``\\left``/``\\right`` as ``\\bigl``/``\\bigr``, which may sit on different lines."""
    return tex.replace(r"\left", r"\bigl").replace(r"\right", r"\bigr")


def split_latex(
    expr: sp.Basic, width: int = LINE_WIDTH, prefer: list[str] | None = None, **settings
) -> list[str]:
    """``expr`` in LaTeX, broken into lines of about ``width`` visible characters at
    the top-level terms of long sums (a long sum inside a product or a function is
    broken inside ``\\bigl( ... \\bigr)``); one line when it fits."""
    printer = PaperLatexPrinter(settings)
    printer.prefer, printer.root = prefer, expr
    return _split(printer, expr, width)


def relation_rows(rel: Relation, width: int = LINE_WIDTH, indent: str = r"\quad") -> list[str]:
    """Rows of an ``align``/``aligned`` environment for ``lhs op rhs``: ``lhs &op line``
    then ``&\\quad line`` (the right side broken to fit beside the left side); a
    long left side gets rows of its own, the relation starting a row at the margin."""
    op = _OPS[rel.op]
    lhs = split_latex(rel.lhs, width)
    if len(lhs) == 1 and visible_width(lhs[0]) <= width // 2:
        rhs = split_latex(rel.rhs, max(width - visible_width(lhs[0]) - 2, 24))
        rows = [rf"{lhs[0]} &{op} {rhs[0]} \\"]
        return rows + [rf"&{indent} {line} \\" for line in rhs[1:]]
    rhs = split_latex(rel.rhs, width - 2)
    rows = [rf"& {lhs[0]} \\"] + [rf"&{indent} {line} \\" for line in lhs[1:]]
    rows.append(rf"&{op} {rhs[0]} \\")
    return rows + [rf"&{indent} {line} \\" for line in rhs[1:]]


def relation_display(rel: Relation, width: int = LINE_WIDTH) -> str:
    """``lhs op rhs`` for display: one line, or an ``aligned`` block when long."""
    rows = relation_rows(rel, width)
    if len(rows) == 1:
        return rows[0].removesuffix(r" \\").replace("&", "", 1)
    body = "\n".join(rows).removesuffix(r" \\")
    return "\\begin{aligned}\n" + body + "\n\\end{aligned}"


_MATH_CHARS = {
    "\\": r"\backslash ",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\sim ",
    "^": r"\hat{}",
    "<": "<",
    ">": ">",
    "|": r"\vert ",
}


def math_text(s: str, size: str = "") -> str:
    """Plain text for math mode, read the same by pdflatex and MathJax: runs of
    ordinary characters in ``\\text{...}``, the characters text mode treats
    specially (``< > | _ ^ & % $ # { } ~ \\``) as math symbols between them."""
    parts, run = [], ""
    for ch in s:
        if ch in _MATH_CHARS:
            if run:
                parts.append(rf"\text{{{size}{run}}}")
                run = ""
            parts.append(_MATH_CHARS[ch])
        else:
            run += ch
    if run:
        parts.append(rf"\text{{{size}{run}}}")
    return "".join(parts)


def claim_text(statement) -> str:
    """A statement's claim as ``softproof check`` prints it: the claim as written
    in the claim language, else the relation in the paper's plain-text notation."""
    return getattr(statement, "claim_text", "") or relation_to_text(statement.claim)
