"""The independent certificate checker (numeric.certificate): it accepts genuine
certificates and rejects tampered ones."""

from __future__ import annotations

import copy
import json

import pytest

from derivations.catalogue import get
from derivations.statement_files import parse_statement_text
from numeric.certificate import (
    CertificateError,
    check_certificate,
    explain_certificate,
    load_certificate,
    save_certificate,
)
from numeric.certify import certify

WIDE_E1 = """
id = "exp-lipschitz-wide"
title = "|e^t - 1| <= 2|t| on |t| <= 6/5"
source = "ours"
hypotheses = ["abs(t) <= 6/5"]
claim = "abs(exp(t) - 1) <= 2*abs(t)"
"""

# a bounded disc cut out of a square: boxes outside the disc are discarded
DISC = """
id = "disc-bound"
title = "x1 + x2 <= 3/2 on the unit disc"
source = "ours"
sizes = { n = 1, d = 2 }
hypotheses = ["norm2(x) <= 1"]
claim = "dot(x, ones(d)) <= 3/2"
"""


@pytest.fixture(scope="module")
def wide():
    stmt = parse_statement_text(WIDE_E1)
    res = certify(stmt, budget_seconds=30)
    assert res.status == "certified" and res.boxes > 1
    return stmt, json.loads(json.dumps(res.certificate))


@pytest.fixture(scope="module")
def disc():
    stmt = parse_statement_text(DISC)
    res = certify(stmt, budget_seconds=30)
    assert res.status == "certified"
    assert "hypothesis-false" in res.rules
    return stmt, json.loads(json.dumps(res.certificate))


@pytest.fixture(scope="module")
def s1():
    stmt = get("S1")
    res = certify(stmt, sizes={"n": 2, "d": 1}, default_radius=4, budget_seconds=60)
    assert res.status == "certified"
    return stmt, json.loads(json.dumps(res.certificate))


def _leaves(node, path=()):
    if "split" in node:
        for i, kid in enumerate(node["children"]):
            yield from _leaves(kid, path + (i,))
    else:
        yield path, node


def _at(cert, path):
    node = cert["tree"]
    for i in path:
        node = node["children"][i]
    return node


def test_genuine_certificates_are_accepted(wide, disc, s1):
    for stmt, cert in (wide, disc, s1):
        assert check_certificate(stmt, cert)
    assert explain_certificate(*wide) == len(list(_leaves(wide[1]["tree"])))


def test_e1_certificate_accepted_and_roundtrips(tmp_path):
    stmt = get("E1")
    cert = certify(stmt, budget_seconds=10).certificate
    path = tmp_path / "e1.json"
    save_certificate(cert, path)
    assert check_certificate(stmt, load_certificate(path))


def test_removing_a_box_is_rejected(wide):
    stmt, cert = wide
    bad = copy.deepcopy(cert)
    parent = bad["tree"]
    parent["children"].pop()  # one half of the domain left uncovered
    assert not check_certificate(stmt, bad)
    bad = copy.deepcopy(cert)
    # replace a split node by one of its halves (the other half disappears)
    kid = bad["tree"]["children"][0]
    bad["tree"] = kid
    assert not check_certificate(stmt, bad)


def test_widening_a_box_is_rejected(wide, disc):
    for stmt, cert in (wide, disc):
        path, _ = next(_leaves(cert["tree"]))
        bad = copy.deepcopy(cert)
        leaf = _at(bad, path)
        leaf["box"][0][0] = str(-10)
        assert not check_certificate(stmt, bad)
        bad = copy.deepcopy(cert)
        bad["tree"]["box"][0][1] = "2"
        bad["domain"]["bounds"][0][1] = "2"
        with pytest.raises(CertificateError, match="domain"):
            explain_certificate(stmt, bad)


def test_flipping_a_decision_is_rejected(wide, disc, s1):
    for stmt, cert in (wide, disc, s1):
        for path, leaf in _leaves(cert["tree"]):
            if leaf["decision"]["kind"] == "claim":
                bad = copy.deepcopy(cert)
                _at(bad, path)["decision"] = {"kind": "hypothesis-false", "hypothesis": 0}
                assert not check_certificate(stmt, bad)
                break
    stmt, cert = disc
    for path, leaf in _leaves(cert["tree"]):
        if leaf["decision"]["kind"] == "hypothesis-false":
            bad = copy.deepcopy(cert)
            _at(bad, path)["decision"] = {
                "kind": "claim",
                "reduction": "direct",
                "steps": [],
                "inner_variables": [],
                "inner": {"box": [], "proved": {}},
            }
            assert not check_certificate(stmt, bad)
            break
    else:
        pytest.fail("no discarded box in the disc certificate")


def test_a_wrong_test_or_reduction_is_rejected(s1):
    stmt, cert = s1
    bad = copy.deepcopy(cert)
    leaf = next(_leaves(bad["tree"]))[1]
    leaf["decision"]["reduction"] = "direct"
    assert not check_certificate(stmt, bad)
    bad = copy.deepcopy(cert)
    inner = next(_leaves(bad["tree"]))[1]["decision"]["inner"]
    first = next(iter(inner["proved"]), None) if inner.get("proved") else None
    node = inner
    while first is None:  # proofs may sit below the inner root
        node = node["children"][0]
        first = next(iter(node.get("proved", {})), None)
    del node["proved"][first]
    assert not check_certificate(stmt, bad)


def test_certificate_for_another_statement_or_sizes_is_rejected(s1):
    stmt, cert = s1
    assert not check_certificate(get("S1-m099"), cert)
    bad = copy.deepcopy(cert)
    bad["sizes"]["d"] = 2
    assert not check_certificate(stmt, bad)
    bad = copy.deepcopy(cert)
    bad["prec"] = 8
    assert not check_certificate(stmt, bad)


def test_discarded_boxes_are_cross_checked_by_the_separate_evaluator(disc):
    """Boxes discarded by a failing hypothesis are re-decided by :mod:`numeric.balls`
    (written independently of the prover's evaluator): it never says the hypothesis
    holds there, and (its mid-radius balls being a little looser) confirms most."""
    from fractions import Fraction

    from numeric.boxes import Problem
    from numeric.certificate import _balls_decision

    stmt, cert = disc
    problem = Problem(stmt, 1, 2)
    verdicts = []
    for _path, leaf in _leaves(cert["tree"]):
        if leaf["decision"]["kind"] == "hypothesis-false":
            box = [(Fraction(lo), Fraction(hi)) for lo, hi in leaf["box"]]
            i = leaf["decision"]["hypothesis"]
            verdicts.append(_balls_decision(problem, stmt.hypotheses[i], box, 128))
    assert verdicts and True not in verdicts
    assert verdicts.count(False) > len(verdicts) / 2
