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
from .printing import relation_to_text, sum_lines, to_latex
from .statement import Relation

__all__ = [
    "Step",
    "Derivation",
    "DEFAULT_LEVELS",
    "gradient_hessian_chain",
    "write_atomic",
    "current_umask",
    "tex_text",
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
        "^": r"\^{}",
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
        """An ``align*`` environment: each step with its justification and status."""
        rows = []
        for s in self.steps:
            head, rest = tex_text(s.ident), tex_text(f"{s.title}; {s.rule}.")
            rows.append(rf"\intertext{{\textbf{{{head}}}: {rest} {_tex_status(s)}}}")
            lhs = to_latex(s.relation.lhs)
            rhs = to_latex(s.relation.rhs) if s.where is None else s.where[0]
            op = {"==": "=", "<=": r"\le", "<": "<"}[s.relation.op]
            rows.append(rf"{lhs} &{op} {rhs} \\")
            if s.where is not None:
                lines = sum_lines(s.where[2])
                rows.append(rf"\text{{where }} {s.where[1]} &= {lines[0]} \\")
                rows.extend(rf"&\quad {line} \\" for line in lines[1:])
        body = "\n".join(rows)
        return "\\begin{align*}\n" + body + "\n\\end{align*}"

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
        return "\n".join(
            [
                r"\documentclass[10pt]{article}",
                r"\usepackage{amsmath,amssymb,amsfonts}",
                r"\allowdisplaybreaks",
                rf"\title{{{tex_text(self.title)}}}",
                r"\date{}",
                r"\begin{document}",
                r"\maketitle",
                notation,
                "",
                r"{\small",
                self.to_align(),
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


def _tex_level(level: Level) -> str:
    if level == "symbolic":
        return "for symbolic $n, d$"
    _, n_value, d_value = level
    return f"at $n={n_value}$, $d={d_value}$"


def _tex_status(step: Step) -> str:
    if not step.results:
        return "Not checked."
    parts = [f"{r.status} {_tex_level(r.level)}" for r in step.results]
    return "Status: " + ", ".join(parts) + "."


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
