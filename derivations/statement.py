"""Statements: a claim with hypotheses, built from the model's SymPy nodes.

A :class:`Statement` is pure data.  The catalogue (``catalogue.py``) and the
user's TOML files (``statement_files.py``) both produce them; every checker
(symbolic prover, float64 screen, ball-arithmetic confirmation, search,
certification, report) consumes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import sympy as sp

from . import model

Op = Literal["<=", "<", "=="]
Kind = Literal["definition", "identity", "inequality"]

#: A parameter's value: a fixed number, a ``(low, high)`` range, or an expression
#: in the other parameters (and the sizes ``n``, ``d``) such as ``exp(-R**2)``.
ParameterValue = int | float | sp.Rational | tuple[float, float] | sp.Expr

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

    def _repr_latex_(self) -> str:
        from .printing import relation_to_latex

        return f"$\\displaystyle {relation_to_latex(self)}$"


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
    #: for one part of a multi-part catalogue entry (E3's upper bound, G7's parts):
    #: the entry it belongs to
    part_of: str | None = None
    #: a helper lemma of a proof in a pack (not a row of the pack's report)
    helper: bool = False
    #: the claim and hypotheses as written (statement-file expression language)
    claim_text: str = ""
    hypotheses_text: tuple[str, ...] = ()
    #: the file's own definitions as written, in order: ``(name, params, text)``
    #: (``params`` empty for a named constant)
    definitions: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    #: a proof written in the statement file (:class:`proofs.FileProof`), or None
    proof: object = None

    @property
    def shadowed(self) -> tuple[str, ...]:
        """The built-in model functions (``u``, ``alpha``, ``f``, ...) this statement's
        own definitions redefine."""
        return tuple(name for name, _, _ in self.definitions if name in model.MODEL_FUNCTIONS)

    @property
    def shadow_note(self) -> str:
        """``note: u, f are this file's definitions, not the built-ins`` (or ``""``)."""
        names = self.shadowed
        if not names:
            return ""
        if len(names) == 1:
            return f"note: {names[0]} is this file's definition, not the built-in"
        return f"note: {', '.join(names)} are this file's definitions, not the built-ins"

    @property
    def variables(self) -> tuple[str, ...]:
        """Names of the model variables that occur, in a fixed order."""
        syms = set(self.claim.free_symbols)
        for h in self.hypotheses:
            syms |= h.free_symbols
        return tuple(name for name, v in VARIABLES.items() if v in syms)

    def check_sizes(self, sizes: Mapping[str, int]) -> None:
        """Raise ``ValueError`` if an explicit index does not fit ``sizes`` (``{'n': ..,
        'd': ..}``): ``col(M, i)`` needs ``1 <= i <=`` the number of columns of ``M``."""
        for rel in (self.claim, *self.hypotheses):
            size_problem = relation_size_problem(rel, sizes)
            if size_problem:
                raise ValueError(size_problem)

    def _repr_latex_(self) -> str:
        from .printing import relation_to_latex

        hyps = ", \\quad ".join(relation_to_latex(h) for h in self.hypotheses)
        text = f"\\text{{{self.id}}}:\\; {relation_to_latex(self.claim)}"
        if hyps:
            text += f"\\quad \\text{{if}}\\; {hyps}"
        return f"$\\displaystyle {text}$"

    @property
    def parameter_symbols(self) -> dict[str, sp.Symbol]:
        """The SymPy symbol of each parameter (see :func:`parameter_symbol`)."""
        return {name: parameter_symbol(name, v) for name, v in self.parameters.items()}

    @property
    def fixed_parameters(self) -> dict[str, int | float | sp.Rational]:
        """Parameters given as one number."""
        return {k: v for k, v in self.parameters.items() if _is_number(v)}

    @property
    def ranged_parameters(self) -> dict[str, tuple[float, float]]:
        """Parameters given as a ``(low, high)`` range (the claim is for all of it)."""
        return {k: tuple(v) for k, v in self.parameters.items() if isinstance(v, tuple | list)}

    @property
    def derived_parameters(self) -> dict[str, sp.Expr]:
        """Parameters defined by an expression in the others, e.g. ``beta = exp(-R**2)``."""
        return {
            k: v for k, v in self.parameters.items() if isinstance(v, sp.Expr) and not v.is_Number
        }

    def derived_in_order(self, given: set[str] = frozenset()) -> list[tuple[str, sp.Expr]]:
        """The derived parameters not in ``given``, each after those it uses."""
        pending = {k: e for k, e in self.derived_parameters.items() if k not in given}
        order: list[tuple[str, sp.Expr]] = []
        while pending:
            ready = [
                k
                for k, e in pending.items()
                if not ({sym.name for sym in e.free_symbols} & set(pending))
            ]
            if not ready:
                raise ValueError(f"parameters defined in a cycle: {sorted(pending)}")
            order.extend((k, pending.pop(k)) for k in ready)
        return order

    def parameter_substitution(
        self, values: Mapping[str, float | int | sp.Expr] | None = None
    ) -> dict[sp.Symbol, sp.Expr]:
        """Exact values of every parameter symbol.

        Fixed parameters take their number (as an exact SymPy number), ranged ones
        must be given in ``values`` (which may also override fixed ones), derived ones
        are resolved in dependency order.  Derived values may still contain the sizes
        ``n``, ``d`` (substitute them with :func:`model.at_size`).
        """
        values = dict(values or {})
        syms = self.parameter_symbols
        out: dict[sp.Symbol, sp.Expr] = {}
        for name in self.parameters:
            if name in values:
                out[syms[name]] = sp.sympify(values[name], rational=False)
                if isinstance(values[name], float):  # the exact binary value
                    out[syms[name]] = sp.Rational(values[name])
            elif name in self.fixed_parameters:
                out[syms[name]] = _exact(self.parameters[name])
            elif name in self.ranged_parameters:
                raise KeyError(
                    f"parameter {name} ranges over {self.parameters[name]}: give its value"
                )
        for name, e in self.derived_in_order(set(values)):
            out[syms[name]] = e.xreplace(out)
        return out


def relation_size_problem(rel: Relation, sizes: Mapping[str, int]) -> str | None:
    """What in ``rel`` does not fit ``sizes`` (a column index out of range), or ``None``."""
    subs = {model.n: sp.Integer(sizes.get("n", 1)), model.d: sp.Integer(sizes.get("d", 1))}
    for side in (rel.lhs, rel.rhs):
        for node in sp.preorder_traversal(side):
            if not isinstance(node, model.Col):
                continue
            matrix, index = node.args
            cols = sp.sympify(matrix.shape[1]).xreplace(subs)
            if not (index.is_Integer and cols.is_Integer):
                continue
            if not 1 <= int(index) <= int(cols):
                return (
                    f"col({matrix}, {index}): column {index} is out of range 1..{cols} "
                    f"at n = {subs[model.n]}, d = {subs[model.d]}"
                )
    return None


def _is_number(v: object) -> bool:
    if isinstance(v, bool):
        return False
    return isinstance(v, int | float) or (isinstance(v, sp.Expr) and v.is_Number)


def _exact(v: int | float | sp.Expr) -> sp.Expr:
    if isinstance(v, float):
        return sp.Rational(repr(v))
    return sp.sympify(v)


def parameter_symbol(name: str, value: object = None) -> sp.Symbol:
    """The symbol of parameter ``name``: positive when its value (a number, every point
    of a range, or a derived expression SymPy can decide) is positive, else real.

    With the default ``value=None`` the symbol is positive, as for ``R``, ``beta``,
    ``eta`` in :mod:`model`.
    """
    if value is None:
        positive = True
    elif isinstance(value, tuple | list):
        positive = all(_is_number(v) and v > 0 for v in value)
    elif _is_number(value):
        positive = value > 0
    elif isinstance(value, sp.Expr):
        try:
            positive = bool(value.is_positive)
        except (ArithmeticError, ValueError, TypeError, RecursionError):
            positive = False  # SymPy could not decide (e.g. an overflowing value)
    else:
        positive = False
    return sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)
