"""Statements: a claim with hypotheses, built from the model's SymPy nodes.

A :class:`Statement` is pure data.  The catalogue (``catalogue.py``) and the
user's TOML files (``statement_files.py``) both produce them; every checker
(symbolic prover, float64 screen, ball-arithmetic confirmation, search,
certification, report) consumes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import sympy as sp

from . import model

Op = Literal["<=", "<", "=="]
Kind = Literal["definition", "identity", "inequality"]

#: The variables a statement may quantify over, by name.
VARIABLES: dict[str, sp.Basic] = {
    "A": model.A,
    "At": model.At,
    "x": model.x,
    "y": model.y,
    "b": model.b,
    "t": model.t,
}


@dataclass(frozen=True)
class Relation:
    """``lhs op rhs`` with ``op`` one of ``<=``, ``<``, ``==``.

    For ``==`` both sides may be vectors or matrices (entrywise equality);
    for ``<=`` and ``<`` both sides are scalars.
    """

    lhs: sp.Basic
    op: Op
    rhs: sp.Basic

    def __post_init__(self) -> None:
        if self.op not in ("<=", "<", "=="):
            raise ValueError(f"unknown relation {self.op!r}")
        lm, rm = model.is_matrix(self.lhs), model.is_matrix(self.rhs)
        if self.op != "==" and (lm or rm):
            raise TypeError(f"'{self.op}' compares scalars, not shapes {self._shapes()}")
        if lm != rm or (lm and self.lhs.shape != self.rhs.shape):
            raise TypeError(f"the two sides have different shapes {self._shapes()}")

    def _shapes(self) -> str:
        def shape(e):
            return e.shape if model.is_matrix(e) else "scalar"

        return f"{shape(self.lhs)} and {shape(self.rhs)}"

    @property
    def free_symbols(self) -> set[sp.Basic]:
        return self.lhs.free_symbols | self.rhs.free_symbols

    def __str__(self) -> str:
        return f"{self.lhs} {self.op} {self.rhs}"


@dataclass(frozen=True)
class Statement:
    """One catalogue entry or user claim.

    ``parameters`` maps a parameter name (``R``, ``beta``, ...) to a fixed
    number or a ``(low, high)`` range.  ``expected`` is what the catalogue
    asserts: ``True`` for a true statement, ``False`` for a seeded mutant,
    ``None`` for a user claim of unknown truth.
    """

    id: str
    title: str
    claim: Relation
    hypotheses: tuple[Relation, ...] = ()
    kind: Kind = "inequality"
    source: str = ""
    sizes: dict[str, int] = field(default_factory=lambda: {"n": 7, "d": 4})
    parameters: dict[str, float | tuple[float, float]] = field(default_factory=dict)
    expected: bool | None = True
    notes: str = ""
    mutant_of: str | None = None

    @property
    def variables(self) -> tuple[str, ...]:
        """Names of the model variables that occur, in a fixed order."""
        syms = set(self.claim.free_symbols)
        for h in self.hypotheses:
            syms |= h.free_symbols
        return tuple(name for name, v in VARIABLES.items() if v in syms)

    @property
    def parameter_symbols(self) -> dict[str, sp.Symbol]:
        return {name: sp.Symbol(name, positive=True) for name in self.parameters}
