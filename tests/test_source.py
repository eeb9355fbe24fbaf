"""Statement-file text of model expressions: parse(to_source(e)) == e."""

from __future__ import annotations

import pytest
import sympy as sp
from sympy import MatrixSymbol

from softproof.derivations import chains, model, sharp
from softproof.derivations.chains import By, Chain, Cite, Hyp, SubChain
from softproof.derivations.grammar import GrammarError, parse_expression
from softproof.derivations.model import A, At, F, Norm, b, n, x, y
from softproof.derivations.rules import HOLE, Sup, SupUnit
from softproof.derivations.source import (
    SourceError,
    auxiliary_symbols,
    declaration,
    to_source,
)

PARAMS = {"R": model.R, "beta": model.beta, "eta": model.eta}


def _exprs_of(c: Chain, acc: list, seen: set) -> None:
    """Every expression of ``c``: start, steps, contexts, old/new, rule arguments,
    discharges, cited and sub-chains (recursively)."""
    if id(c) in seen:
        return
    seen.add(id(c))
    acc.append(c.start)
    for s in c.steps:
        acc.append(s.expr)
        if s.at is not None:
            acc.append(s.at)
        _why(s.why, acc, seen)


def _why(w, acc, seen) -> None:
    if isinstance(w, Chain):
        _exprs_of(w, acc, seen)
    elif isinstance(w, Hyp):
        acc += [w.relation.lhs, w.relation.rhs]
    elif isinstance(w, By):
        acc += [e for e in (w.old, w.new) if e is not None]
        for _k, v in w.args:
            if isinstance(v, tuple):
                acc += [sp.sympify(e) for pair in v for e in pair]
            else:
                acc.append(sp.sympify(v))
        if w.lemma is not None:
            _exprs_of(w.lemma, acc, seen)
        for d in w.discharge:
            _why(d, acc, seen)
    elif isinstance(w, Cite):
        acc += [v for _k, v in w.subs]
        _exprs_of(w.chain, acc, seen)
        for d in w.discharge:
            _why(d, acc, seen)
    elif isinstance(w, SubChain):
        _exprs_of(w.chain, acc, seen)


def _all_chain_expressions() -> list:
    acc: list = []
    seen: set = set()
    for sid in chains.ids():
        _exprs_of(chains.chain(sid), acc, seen)
    for sid in sharp._SHARP:
        _exprs_of(sharp.sharp_chain(sid), acc, seen)
    return acc


def _parse_back(e: sp.Basic) -> sp.Basic:
    names = dict(PARAMS)
    for s in auxiliary_symbols([e]):
        names[s.name] = s
    names["HOLE"] = HOLE
    # a context's hole: a vector or matrix inside a scalar context too (norm2(HOLE))
    for hole in e.atoms(MatrixSymbol) if isinstance(e, sp.Basic) else ():
        if hole.name == "HOLE":
            names["HOLE"] = hole
    return parse_expression(to_source(e), parameters=names)


def test_every_expression_of_every_chain_round_trips():
    exprs = _all_chain_expressions()
    assert len(exprs) > 500  # S, P, Q, T, E chains and the sharp ones
    bad = [(e, to_source(e)) for e in exprs if _parse_back(e) != e]
    assert not bad, bad[:3]


def test_a_changed_expression_does_not_round_trip_to_the_original():
    e = Norm("2", F(A, x) - F(A, y))
    assert _parse_back(e) == e
    assert parse_expression(to_source(e).replace("y", "x")) != e


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (sp.Rational(1, 100), "1/100"),
        (model.outer(x, y), "x @ y.T"),
        (model.hadamard(F(A, x), F(A, x)), "f(A, x) * f(A, x)"),
        (model.C(At, x, 2 * b), "c(At, x, 2 * b)"),
        (Norm("op", A - At), "opnorm(A - At)"),
        (sp.Abs(sp.exp(model.t) - 1), "abs(exp(t) - 1)"),
        (sp.Max(model.R, 2), "max(2, R)"),
        (model.ones(n), "ones(n)"),
        (sp.sqrt(n) * model.R, "R * sqrt(n)"),
    ],
)
def test_texts(expr, text):
    assert to_source(expr) == text
    assert parse_expression(text, parameters=PARAMS) == expr


def test_sup_and_sup_unit_parse_with_a_declared_variable():
    z = MatrixSymbol("z", model.d, 1)
    v = MatrixSymbol("v", n, 1)
    names = {"z": z, "v": v}
    e = parse_expression("sup(norm2(z), z, x, y) * norm2(x - y)", parameters=names)
    assert e == Sup(Norm("2", z), z, x, y) * Norm("2", x - y)
    assert parse_expression("sup_unit(norm2(v), v)", parameters=names) == SupUnit(Norm("2", v), v)
    assert parse_expression("eye(n)") == sp.Identity(n)


@pytest.mark.parametrize(
    "text",
    [
        "sup(norm2(x), 1, x, y)",  # the bound variable is no variable
        "sup(norm2(z), z, x, b)",  # an end of another shape
        "sup(z, z, x, y)",  # the body is a vector
        "sup_unit(norm2(z), t)",  # over a scalar
    ],
)
def test_bad_sups_are_refused(text):
    names = {"z": MatrixSymbol("z", model.d, 1)}
    with pytest.raises(GrammarError):
        parse_expression(text, parameters=names)


def test_floats_and_unknown_nodes_have_no_text():
    with pytest.raises(SourceError):
        to_source(sp.Float(0.5) * model.R)
    with pytest.raises(SourceError):
        to_source(sp.ZeroMatrix(n, 1))


def test_declarations():
    assert declaration(MatrixSymbol("z", model.d, 1)) == "vector d"
    assert declaration(MatrixSymbol("M", n, model.d)) == "matrix n d"
    assert declaration(sp.Symbol("sigma", real=True)) == "scalar"
    assert declaration(sp.Symbol("beta", positive=True)) == "positive"
    z = MatrixSymbol("z", model.d, 1)
    found = auxiliary_symbols([Sup(Norm("2", z), z, x, y) * model.R], [model.R])
    assert found == [z]
