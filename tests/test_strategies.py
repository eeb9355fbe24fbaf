"""The public Hypothesis strategies, used as another project's test suite would."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import find, given, settings

from softproof.derivations.catalogue import get
from softproof.strategies import (
    betas,
    close_pairs,
    documents,
    instances,
    parameters,
    targets,
    weights,
)


@given(documents(5, 3, 2.5))
def test_documents_have_bounded_spectral_norm(A):
    assert A.shape == (5, 3)
    assert np.linalg.norm(A, 2) <= 2.5


@given(weights(4, 4.0), weights(3, 1.0, ord=np.inf))
def test_weights_lie_in_their_balls(x, w):
    assert x.shape == (4,) and np.linalg.norm(x) <= 4.0
    assert np.abs(w).max() <= 1.0


@given(close_pairs(7, 4, 4.0))
def test_close_pairs_in_x(pair):
    A, x, y = pair
    assert np.abs(A @ (x - y)).max() < 0.01
    assert np.linalg.norm(y) <= 4.0 and np.linalg.norm(A, 2) <= 4.0


@given(close_pairs(7, 4, 4.0, vary="A"))
def test_close_pairs_in_the_document(pair):
    A, At, x = pair
    assert np.abs((A - At) @ x).max() < 0.01
    assert np.linalg.norm(At, 2) <= 4.0


@given(targets(6, simplex=True), targets(6, bound=2.0))
def test_targets(p, b):
    assert np.all(p >= 0) and abs(p.sum() - 1) < 1e-12
    assert np.linalg.norm(b) <= 2.0


@given(betas(4.0))
def test_betas_are_valid_lower_bounds(beta):
    assert 0 < beta <= math.exp(-16)


@given(parameters(get("T3")))
def test_parameters_in_range(p):
    assert 0.001 <= p["eta"] <= 1


@given(parameters(get("P1")))
def test_derived_parameters(p):
    assert p["R"] == 4 and p["beta"] == math.exp(-16)


@given(instances(get("P1")))
def test_instances_satisfy_the_chain_hypotheses(inst):
    A, x, y = inst["A"], inst["x"], inst["y"]
    assert A.shape == (7, 4) and x.shape == (4,)
    assert np.linalg.norm(A, 2) <= 4 and np.linalg.norm(x) <= 4 and np.linalg.norm(y) <= 4
    assert np.abs(A @ (x - y)).max() < 0.01
    assert np.exp(A @ x).sum() >= math.exp(-16)


@given(instances(get("Q4")))
def test_instances_of_a_document_shift(inst):
    assert np.abs((inst["A"] - inst["At"]) @ inst["x"]).max() < 0.01
    assert np.linalg.norm(inst["At"], 2) <= 4


@given(instances(get("S1")))
def test_s1_bound_holds_on_instances(inst):
    # a user's property: the sharp Lipschitz bound S1 (with a float64 allowance)
    def f(v):
        z = inst["A"] @ v
        e = np.exp(z - z.max())
        return e / e.sum()

    lhs = np.linalg.norm(f(inst["x"]) - f(inst["y"]))
    rhs = np.linalg.norm(inst["A"], 2) / 2 * np.linalg.norm(inst["x"] - inst["y"])
    assert lhs <= rhs * (1 + 1e-6) + 1e-15


def test_failing_examples_shrink():
    # false properties: the strategies shrink to simple counterexamples
    inst = find(
        instances(get("E1-m-wide")),
        lambda i: i["t"] > 1.5,
        settings=settings(max_examples=200, database=None),
    )
    assert 1.5 < inst["t"] <= 2.0
    x = find(
        weights(3, 4.0),
        lambda v: np.linalg.norm(v) > 1.0,
        settings=settings(max_examples=200, database=None),
    )
    assert 1.0 < np.linalg.norm(x) <= 4.0
