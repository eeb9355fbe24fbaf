"""Derivations: the chain from ``L`` to ``grad L`` and ``hess L`` (G1-G7), each
step justified (catalogue id, rule) and proved by :func:`identities.prove_relation`
at stated levels, rendered as LaTeX ``align*`` fragments or a standalone document.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import sympy as sp

from . import model
from .identities import (
    B_REGROUPED,
    IDENTITIES,
    Level,
    ProofResult,
    prove_relation,
    prove_with_deadline,
)
from .model import A, C, Diag, Dot, F, Grad, Hess, Jac, Loss, b, x
from .printing import (
    LINE_WIDTH,
    math_text,
    relation_display,
    relation_rows,
    relation_to_text,
    split_latex,
    to_latex,
)
from .statement import Relation

__all__ = [
    "Step",
    "Derivation",
    "DEFAULT_LEVELS",
    "gradient_hessian_chain",
    "write_atomic",
    "current_umask",
    "tex_text",
    "title_tex",
]

#: Levels used when none is given: every size, and one small explicit size.
DEFAULT_LEVELS: tuple[Level, ...] = ("symbolic", ("explicit", 3, 2))


def tex_text(s: str) -> str:
    """Escape plain text for LaTeX text mode."""
    table = {
        "\\": r"\textbackslash{}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "{": r"\{",
        "}": r"\}",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
        "<": r"\textless{}",
        ">": r"\textgreater{}",
        "|": r"\textbar{}",
    }
    return "".join(table.get(ch, ch) for ch in s)


@dataclass
class Step:
    """One equality ``relation`` justified by ``rule`` (catalogue ``ident``)."""

    ident: str
    title: str
    relation: Relation
    rule: str
    results: list[ProofResult] = field(default_factory=list)
    #: optional display of a long right side: (rhs LaTeX using ``name``, name LaTeX, matrix)
    where: tuple[str, str, sp.Basic] | None = None

    @property
    def proved_levels(self) -> list[str]:
        return [r.where for r in self.results if r.proved]

    @property
    def status(self) -> str:
        """``proved for symbolic n, d; proved at n=3, d=2`` (or what failed)."""
        if not self.results:
            return "not checked"
        return "; ".join(
            f"{r.status} {r.where}" if r.status != "refuted" else r.summary() for r in self.results
        )

    def prove(self, levels: tuple[Level, ...], deadline: float | None = None) -> Step:
        """Prove the step at each level; with ``deadline`` (a ``time.perf_counter()``
        instant) each proof runs in a worker killed then (``unknown``, deadline)."""
        if deadline is None:
            self.results = [prove_relation(self.relation, lv) for lv in levels]
            return self
        rel = self.relation
        self.results = [
            prove_with_deadline(rel.lhs, rel.rhs, lv, deadline - time.perf_counter())
            for lv in levels
        ]
        return self


class Derivation:
    """An ordered list of :class:`Step` with LaTeX output.

    Build with :meth:`gradient`, :meth:`hessian` or :meth:`chain`, then
    :meth:`prove` (levels ``"symbolic"`` and/or ``("explicit", n, d)``).
    """

    def __init__(self, title: str, steps: list[Step]) -> None:
        self.title = title
        self.steps = steps

    # ----------------------------------------------------------- builders
    @classmethod
    def gradient(cls) -> Derivation:
        """``L -> grad L`` (D5, chain rule, G4, G5)."""
        f, c, L = F(A, x), C(A, x, b), Loss(A, x, b)
        J = Diag(f) - model.outer(f, f)
        return cls(
            "Gradient of the softmax regression loss",
            [
                Step("D5", "the loss", Relation(L, "==", Dot(c, c) / 2), "definition D5"),
                Step(
                    "chain",
                    "chain rule",
                    Relation(Grad(L, x), "==", Jac(c, x).T * c),
                    "chain rule for 1/2 <c, c>",
                ),
                Step(
                    "G4",
                    "Jacobian of f",
                    Relation(Jac(c, x), "==", J * A),
                    "c = f - b (D4); G4 in matrix form",
                ),
                Step(
                    "G5",
                    "gradient of L",
                    Relation(Grad(L, x), "==", A.T * J * c),
                    "substitute G4 into the chain rule",
                ),
                Step(
                    "G5",
                    "gradient of L with vectors only",
                    Relation(Grad(L, x), "==", A.T * (model.hadamard(f, c) - Dot(c, f) * f)),
                    "diag(f) c = f o c and f f^T c = <c, f> f",
                ),
            ],
        )

    @classmethod
    def hessian(cls) -> Derivation:
        """``grad L -> hess L`` (G5, G6, G6')."""
        f, c, L = F(A, x), C(A, x, b), Loss(A, x, b)
        grad = A.T * (model.hadamard(f, c) - Dot(c, f) * f)
        return cls(
            "Hessian of the softmax regression loss",
            [
                Step(
                    "G5",
                    "gradient of L",
                    Relation(Grad(L, x), "==", grad),
                    "G5",
                ),
                Step(
                    "Jac",
                    "Hessian as the Jacobian of the gradient",
                    Relation(Hess(L, x), "==", Jac(grad, x)),
                    "definition of the Hessian, with G5",
                ),
                Step(
                    "G6",
                    "Hessian of L",
                    IDENTITIES["G6"][1],
                    "product rule with G4",
                    where=_WHERE["G6"],
                ),
                Step(
                    "G6'",
                    "B regrouped in b",
                    IDENTITIES["G6'"][1],
                    "c = f - b (D4)",
                    where=_WHERE["G6'"],
                ),
            ],
        )

    @classmethod
    def chain(cls) -> Derivation:
        """The whole catalogue chain G1-G7."""
        return cls(
            "The derivative chain G1-G7",
            [
                Step(
                    key,
                    title,
                    rel,
                    _CHAIN_RULES.get(key, "derived by sympy.diff"),
                    where=_WHERE.get(key),
                )
                for key, (title, rel) in IDENTITIES.items()
            ],
        )

    @classmethod
    def named(cls, name: str) -> Derivation:
        """``gradient``, ``hessian`` or ``chain``."""
        builders = {"gradient": cls.gradient, "hessian": cls.hessian, "chain": cls.chain}
        if name not in builders:
            raise ValueError(f"unknown derivation {name!r}; choose one of {', '.join(builders)}")
        return builders[name]()

    # -------------------------------------------------------------- proving
    def prove(
        self, levels: tuple[Level, ...] = DEFAULT_LEVELS, seconds: float | None = None
    ) -> Derivation:
        """Prove every step at every level (results stored on the steps), within
        ``seconds`` in all when given (steps left over are ``unknown``, deadline)."""
        deadline = None if seconds is None else time.perf_counter() + seconds
        for step in self.steps:
            step.prove(levels, deadline)
        return self

    @property
    def proved(self) -> bool:
        return all(s.results and all(r.proved for r in s.results) for s in self.steps)

    @property
    def refuted(self) -> bool:
        return any(r.status == "refuted" for s in self.steps for r in s.results)

    def summary(self) -> str:
        """Plain-text lines: one per step, stating the level of each proof."""
        lines = [self.title]
        for s in self.steps:
            lines.append(f"  {s.ident:6} {s.title}: {relation_to_text(s.relation)}")
            for r in s.results:
                lines.append(f"         {r.summary()}")
        return "\n".join(lines)

    # ---------------------------------------------------------------- LaTeX
    def to_align(self) -> str:
        """An ``align*`` environment: each step headed by its catalogue id, what it
        states and how it was proved, then the relation broken to the page width
        (only ``align*``, ``\\text`` and math: renders in MathJax too)."""
        rows = []
        for s in self.steps:
            rows.append(rf"&\textbf{{{_id_tex(s.ident)}}}\quad {_describe_tex(s)} \\")
            rows.append(rf"&\qquad {_tex_status(s)} \\")
            rows.extend(self._relation_rows(s))
        body = "\n".join(rows)
        return "\\begin{align*}\n" + body.removesuffix(r" \\") + "\n\\end{align*}"

    def _relation_rows(self, s: Step) -> list[str]:
        if s.where is None:
            return relation_rows(s.relation)
        lhs = to_latex(s.relation.lhs)
        op = {"==": "=", "<=": r"\le", "<": "<"}[s.relation.op]
        lines = split_latex(s.where[2], LINE_WIDTH - 8)
        rows = [rf"{lhs} &{op} {s.where[0]} \\"]
        rows.append(rf"\text{{where }} {s.where[1]} &= {lines[0]} \\")
        return rows + [rf"&\quad {line} \\" for line in lines[1:]]

    def _document_body(self) -> str:
        """Each step as a paragraph (id, what it states, how it was proved) and an
        ``align*`` of its relation broken to the page width."""
        out = []
        for s in self.steps:
            out.append(
                rf"\noindent\textbf{{{_id_tex(s.ident)}.}} "
                + text_mode(_describe_tex(s) + r"\ " + _tex_status(s))
            )
            body = "\n".join(self._relation_rows(s)).removesuffix(r" \\")
            out.append("\\begin{align*}\n" + body + "\n\\end{align*}")
        return "\n".join(out)

    def to_document(self) -> str:
        """A standalone ``.tex`` file (amsmath/amssymb/amsfonts only)."""
        notation = (
            r"Notation of arXiv:2304.13276: $A \in \mathbb{R}^{n\times d}$, "
            r"$x \in \mathbb{R}^d$, $b \in \mathbb{R}^n$, $u(x) = \exp(Ax)$, "
            r"$\alpha(x) = \langle u(x), \mathbf{1}_n\rangle$, "
            r"$f(x) = \alpha(x)^{-1} u(x)$, $c(x) = f(x) - b$, $L(x) = \tfrac12 \|c(x)\|_2^2$; "
            r"$A_{*,i}$ is column $i$ of $A$ and $\circ$ the entrywise product. "
            "Every derivative below was derived by differentiating the definitions "
            "entrywise and proved equal to the closed form exactly, at the level stated."
        )
        heading, claim = title_tex(self.title)
        claim_par = [rf"\[ {claim} \]"] if claim else []
        return "\n".join(
            [
                r"\documentclass[10pt]{article}",
                r"\usepackage{amsmath,amssymb,amsfonts}",
                r"\allowdisplaybreaks",
                rf"\title{{{heading}}}",
                r"\date{}",
                r"\begin{document}",
                r"\maketitle",
                *claim_par,
                notation,
                "",
                r"{\small",
                self._document_body(),
                "}",
                r"\end{document}",
                "",
            ]
        )

    def _repr_latex_(self) -> str:
        return self.to_align()

    def write(self, path: str | os.PathLike, standalone: bool = True) -> Path:
        """Write the document (or the ``align*`` fragment) atomically."""
        text = self.to_document() if standalone else self.to_align()
        return write_atomic(Path(path), text)


def gradient_hessian_chain(levels: tuple[Level, ...] = DEFAULT_LEVELS) -> Derivation:
    """``L -> grad L -> hess L`` in one derivation, every step proved at ``levels``."""
    grad, hess = Derivation.gradient(), Derivation.hessian()
    steps = grad.steps + [s for s in hess.steps if s.ident != "G5"]
    return Derivation("Gradient and Hessian of the softmax regression loss", steps).prove(levels)


_WHERE = {
    "G6": (r"A^\top B(x) A", "B(x)", model.BMat(A, x, b).definition),
    "G6'": (r"A^\top B(x) A", "B(x)", B_REGROUPED),
}

_CHAIN_RULES = {
    "G1": "chain rule through exp (D1)",
    "G2": "G1 summed over entries (D2)",
    "G3": "G2 and d(1/a) = -da/a^2",
    "G4": "quotient rule with G1, G3 (D3)",
    "G5": "chain rule with G4 (D4, D5)",
    "G6": "product rule on G5 with G4",
    "G6'": "G6 with c = f - b",
    "G7a": "exp(t) cancels between u and alpha",
    "G7b": "definition of alpha",
    "G7c": "G7b",
}


_NOTE_WIDTH = 72

#: Titles and rules written in code notation, in the paper's notation.
_PHRASES = {
    "derivative of u": r"\text{derivative of } u",
    "derivative of alpha": r"\text{derivative of } \alpha",
    "derivative of 1/alpha": r"\text{derivative of } 1/\alpha",
    "derivative of f": r"\text{derivative of } f",
    "gradient of L": r"\text{gradient of } L",
    "Hessian of L": r"\text{Hessian of } L",
    "gradient of L with vectors only": r"\text{gradient of } L \text{ with vectors only}",
    "Jacobian of f": r"\text{Jacobian of } f",
    "B regrouped in b": r"B \text{ regrouped in } b",
    "f is invariant under Ax -> Ax + t 1_n": (
        r"f \text{ is invariant under } Ax \mapsto Ax + t\mathbf{1}_n"
    ),
    "f sums to one": r"f \text{ sums to one}",
    "(diag(f) - f f^T) 1_n = 0": (r"(\operatorname{diag}(f) - f f^\top)\mathbf{1}_n = 0"),
    "the loss": r"\text{the loss}",
    "chain rule": r"\text{chain rule}",
    "Hessian as the Jacobian of the gradient": r"\text{Hessian as the Jacobian of the gradient}",
    "definition D5": r"\text{definition D5}",
    "chain rule for 1/2 <c, c>": r"\text{chain rule for } \tfrac12 \langle c, c\rangle",
    "c = f - b (D4); G4 in matrix form": r"c = f - b \text{ (D4); G4 in matrix form}",
    "substitute G4 into the chain rule": r"\text{G4 substituted into the chain rule}",
    "diag(f) c = f o c and f f^T c = <c, f> f": (
        r"\operatorname{diag}(f) c = f \circ c \text{ and } f f^\top c = \langle c, f\rangle f"
    ),
    "definition of the Hessian, with G5": r"\text{definition of the Hessian, with G5}",
    "product rule with G4": r"\text{product rule with G4}",
    "c = f - b (D4)": r"c = f - b \text{ (D4)}",
    "chain rule through exp (D1)": r"\text{chain rule through } \exp \text{ (D1)}",
    "G1 summed over entries (D2)": r"\text{G1 summed over entries (D2)}",
    "G2 and d(1/a) = -da/a^2": r"\text{G2 and } d(1/a) = -da/a^2",
    "G6 with c = f - b": r"\text{G6 with } c = f - b",
    "exp(t) cancels between u and alpha": (r"e^t \text{ cancels between } u \text{ and } \alpha"),
    "definition of alpha": r"\text{definition of } \alpha",
    "SymPy, exact": r"\text{proved exactly by the identity prover}",
}


def _phrase(text: str) -> str:
    return _PHRASES.get(text) or math_text(text)


def _code_title(ident: str, title: str) -> bool:
    """Whether ``title`` is the catalogue title of ``ident`` written in code notation
    (the claim printed next to it says the same in the paper's notation)."""
    from . import catalogue

    try:
        entry = catalogue.get(ident)
    except KeyError:
        return False
    return entry.title == title and title not in _PHRASES


def title_tex(title: str) -> tuple[str, str]:
    """A document title in LaTeX and the display under it: ``"ID: title"`` of a
    catalogue entry becomes ``ID`` and its claim in the paper's notation."""
    from . import catalogue

    ident, _, rest = title.partition(": ")
    if rest:
        try:
            entry = catalogue.get(ident)
        except KeyError:
            entry = None
        if entry is not None and entry.title == rest:
            return tex_text(ident), relation_display(entry.claim)
    return math_text_document(title), ""


def math_text_document(title: str) -> str:
    """A plain title for ``\\title``: text, with phrases in code notation in math."""
    if title in _PHRASES:
        return f"${_PHRASES[title]}$"
    return tex_text(title)


def text_mode(math: str) -> str:
    """Math made of ``\\text{...}`` runs and formulas, as a paragraph's text (so that
    it breaks across lines): ``\\text{a } L`` becomes ``a $L$``."""
    import re

    out = re.sub(r"\\text\{([^{}]*)\}", lambda m: "$" + m.group(1) + "$", f"${math}$")
    return out.replace("$$", "").replace(r"$\ $", " ")


def _id_tex(ident: str) -> str:
    return tex_text(ident.replace("G6p", "G6'"))


def _describe_tex(step: Step) -> str:
    parts = []
    if not _code_title(step.ident, step.title):
        parts.append(_phrase(step.title))
    parts.append(_phrase(step.rule))
    return r"\text{; }".join(parts) + r"\text{.}"


def _tex_level(level: Level) -> tuple[str, str]:
    """The words and the formula of a proof level: ``for symbolic``, ``n, d``."""
    if level == "symbolic":
        return "for symbolic", "n, d"
    _, n_value, d_value = level
    return "at", rf"n={n_value},\ d={d_value}"


def _tex_status(step: Step) -> str:
    if not step.results:
        return r"\text{Not checked.}"
    parts = []
    for r in step.results:
        words, formula = _tex_level(r.level)
        parts.append(rf"\text{{{r.status} {words} }}{formula}")
    return r"\text{; }".join(parts) + r"\text{.}"


def current_umask() -> int:
    """The process's file-creation mask (read without changing it for long)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename; the file gets
    the permissions a plain ``open`` would give it (``0o666`` less the umask)."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
