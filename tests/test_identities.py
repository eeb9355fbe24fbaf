"""G1-G7 derived by sympy.diff and proved at symbolic and explicit sizes;
seeded wrong variants refuted."""

import pytest
import sympy as sp

from derivations import model as M
from derivations.identities import (
    IDENTITIES,
    MUTANTS,
    identity,
    parse_level,
    prove_identity,
    prove_relation,
    prove_statement,
)
from derivations.statement import Relation, Statement

A, x, b = M.A, M.x, M.b


@pytest.mark.parametrize("key", list(IDENTITIES))
def test_identity_proved_for_symbolic_sizes(key):
    result = prove_relation(identity(key), "symbolic")
    assert result.status == "proved", result.summary()
    assert "proved for symbolic n, d" in result.summary()


@pytest.mark.parametrize("key", list(IDENTITIES))
def test_identity_proved_at_small_explicit_size(key):
    result = prove_relation(identity(key), ("explicit", 3, 2))
    assert result.proved, result.summary()
    assert result.summary().startswith("proved at n=3, d=2")


@pytest.mark.parametrize("n,d", [(1, 1), (2, 3), (5, 2), (8, 4)])
def test_gradient_proved_at_explicit_sizes(n, d):
    assert prove_relation(identity("G5"), ("explicit", n, d)).proved


@pytest.mark.slow
def test_gradient_proved_at_16_by_8():
    assert prove_relation(identity("G5"), ("explicit", 16, 8)).proved


@pytest.mark.slow
@pytest.mark.parametrize("key", ["G6", "G6'"])
def test_hessian_proved_at_6_by_3(key):
    assert prove_relation(identity(key), ("explicit", 6, 3)).proved


@pytest.mark.parametrize("key", list(MUTANTS))
@pytest.mark.parametrize("level", ["symbolic", ("explicit", 3, 2)])
def test_mutants_are_refuted(key, level):
    result = prove_relation(identity(key), level)
    assert result.status == "refuted", result.summary()
    assert "lhs - rhs" in result.residual and result.witness["point"]
    assert result.summary().startswith("refuted at n=")


def test_user_written_identities():
    f = M.F(A, x)
    # G3 as a user would write it in a statement file
    rel = Relation(M.Grad(1 / M.Alpha(A, x), x), "==", -A.T * f / M.Alpha(A, x))
    st = Statement("g3-user", "G3", rel, kind="identity")
    assert prove_statement(st, "symbolic").proved
    assert prove_statement(st, ("explicit", 2, 2)).proved
    # a false user identity: grad alpha = A^T f
    wrong = Relation(M.Grad(M.Alpha(A, x), x), "==", A.T * f)
    assert prove_relation(wrong, "symbolic").status == "refuted"
    # scalar identity with the scalar t
    shift = Relation(
        M.Alpha(A, x) * sp.exp(M.t), "==", M.Dot(M.exp_ew(A * x + M.t * M.ones(M.n)), M.ones(M.n))
    )
    assert prove_relation(shift, "symbolic").proved
    assert prove_relation(shift, ("explicit", 3, 1)).proved


def test_unknown_is_reported_with_numerical_evidence_only():
    """<x, y> / <y, x> = 1 is beyond the normal form (a sum over a dummy against the
    inverse of the same sum); the explicit level proves it."""
    rel = Relation(M.Dot(x, M.y) / M.Dot(M.y, x), "==", sp.S.One)
    result = prove_relation(rel, "symbolic")
    assert result.status == "unknown"
    assert "numerical evidence only" in result.summary()
    assert prove_relation(rel, ("explicit", 3, 2)).proved


def test_unknown_when_the_prover_cannot_decide():
    rel = Relation(M.Norm("op", A), "==", M.Norm("op", A.T))
    result = prove_relation(rel, "symbolic")
    assert result.status == "unknown" and "not proved" in result.summary()


def test_bad_levels_and_relations():
    with pytest.raises(ValueError):
        parse_level(("explicit", 0, 2))
    with pytest.raises(ValueError):
        parse_level("every size")
    with pytest.raises(ValueError, match="only identities"):
        prove_relation(Relation(M.Dot(x, x), "<=", M.R), "symbolic")
    with pytest.raises(ValueError, match="same shape"):
        prove_identity(x, b, "symbolic")
