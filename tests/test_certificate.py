"""The independent certificate checker (softproof.numeric.certificate): it accepts genuine
certificates and rejects tampered ones."""

from __future__ import annotations

import copy
import json
import time
from fractions import Fraction

import pytest

from softproof.cli import main
from softproof.derivations.catalogue import get
from softproof.derivations.statement_files import parse_statement_text
from softproof.numeric.certcheck import Reject
from softproof.numeric.certificate import (
    CertificateError,
    check_certificate,
    explain_certificate,
    load_certificate,
    parse_rational,
    save_certificate,
)
from softproof.numeric.certify import certify

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


# --------------------------------------------------------------------------
# certificates are data: the request, the strict parser, the shape
# --------------------------------------------------------------------------
PARAM_E1 = """
id = "exp-lipschitz-param"
title = "|e^t - 1| <= 2|t| on |t| <= Rt"
source = "ours"
parameters = { Rt = "6/5" }
hypotheses = ["abs(t) <= Rt"]
claim = "abs(exp(t) - 1) <= 2*abs(t)"
"""


@pytest.fixture(scope="module")
def param():
    stmt = parse_statement_text(PARAM_E1)
    res = certify(stmt, budget_seconds=30)
    assert res.status == "certified"
    return stmt, json.loads(json.dumps(res.certificate))


def test_tampered_parameters_are_rejected():
    """A certificate for other parameter values than the statement's is not a
    certificate of the statement (the old checker rebuilt the problem from them)."""
    stmt = parse_statement_text(PARAM_E1)
    res = certify(stmt, parameters={"Rt": Fraction(1, 2)}, budget_seconds=30)
    assert res.status == "certified"
    cert = json.loads(json.dumps(res.certificate))
    assert cert["parameters"] == {"Rt": "1/2"}
    with pytest.raises(CertificateError, match="^parameters"):
        explain_certificate(stmt, cert)
    # it is one for the request that names those parameters
    assert check_certificate(stmt, cert, parameters={"Rt": Fraction(1, 2)})
    assert not check_certificate(stmt, cert, parameters={"Rt": Fraction(1, 3)})


def test_tampered_domain_argument_is_rejected(param):
    """A domain argument narrower than the statement's hypotheses is rejected unless
    the request names it."""
    stmt, _ = param
    res = certify(stmt, domain={"t": (Fraction(-1, 2), Fraction(1, 2))}, budget_seconds=30)
    assert res.status == "certified"
    cert = json.loads(json.dumps(res.certificate))
    with pytest.raises(CertificateError, match="^domain_argument"):
        explain_certificate(stmt, cert)
    assert check_certificate(stmt, cert, domain={"t": (Fraction(-1, 2), Fraction(1, 2))})
    # and a genuine certificate whose domain argument is edited afterwards
    stmt, cert = param
    bad = copy.deepcopy(cert)
    bad["domain_argument"] = {"t": ["-1/2", "1/2"]}
    assert not check_certificate(stmt, bad)
    assert not check_certificate(stmt, bad, domain={"t": (Fraction(-1, 2), Fraction(1, 2))})


def test_code_in_parameter_text_is_rejected_and_not_executed(param, tmp_path):
    stmt, cert = param
    marker = tmp_path / "pwned"
    bad = copy.deepcopy(cert)
    bad["parameters"] = {"Rt": f"__import__('os').system('touch {marker}')"}
    with pytest.raises(CertificateError, match="parameters"):
        explain_certificate(stmt, bad)
    assert not marker.exists()
    # the same through a file and the command line: exit 2, nothing executed
    path = tmp_path / "bad.json"
    save_certificate(bad, path)
    assert main(["certify", "--check", str(path), _statement_file(tmp_path, PARAM_E1)]) == 2
    assert not marker.exists()


def _statement_file(tmp_path, text: str) -> str:
    path = tmp_path / "statement.toml"
    path.write_text(text)
    return str(path)


def test_cli_check_accepts_a_genuine_file_and_names_the_field(param, tmp_path, capsys):
    stmt, cert = param
    path = tmp_path / "cert.json"
    save_certificate(cert, path)
    target = _statement_file(tmp_path, PARAM_E1)
    assert main(["certify", "--check", str(path), target]) == 0
    assert "verified by the independent checker" in capsys.readouterr().out
    bad = copy.deepcopy(cert)
    bad["domain_argument"] = {"t": ["-1/2", "1/2"]}
    save_certificate(bad, path)
    assert main(["certify", "--check", str(path), target]) == 2
    err = capsys.readouterr().err
    assert "domain_argument" in err and str(path) in err and len(err.strip().splitlines()) == 1
    path.write_text('{"format": NaN}')
    assert main(["certify", "--check", str(path), target]) == 2
    save_certificate(cert, path)
    assert main(["certify", "--check", str(path), target, "--n", "3"]) == 2
    assert "sizes" in capsys.readouterr().err
    assert main(["certify", "--check", str(path), target, "--radius", "2"]) == 2
    assert "default_radius" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text",
    ["1/2", "-3", "0", "-7/3", "12345678901234567890/7"],
)
def test_parse_rational_accepts_canonical_text(text):
    assert str(parse_rational(text, "x")).replace(" ", "") == text


@pytest.mark.parametrize(
    "text",
    [
        "nan",
        "inf",
        "-inf",
        "1e5",
        "1e999999999",
        "0.5",
        "2/4",
        "1/1",
        "-0",
        "+1",
        " 1",
        "1/0",
        "01",
        "1_000",
        "exp(1)",
        "__import__('os')",
        "1" + "0" * 5000,
        1,
        0.5,
        None,
        ["1"],
    ],
)
def test_parse_rational_rejects_everything_else(text):
    with pytest.raises(CertificateError):
        parse_rational(text, "x")


def _first_split(cert):
    node = cert["tree"]
    if "split" in node:
        return node
    return None


def test_a_tree_that_does_not_tile_is_rejected(wide):
    stmt, cert = wide
    root = cert["tree"]
    assert "split" in root
    i = root["split"]["var"]
    lo, hi = root["box"][i]
    for at in (lo, hi):  # a split point on the boundary: one child is degenerate
        bad = copy.deepcopy(cert)
        bad["tree"]["split"]["at"] = at
        assert not check_certificate(stmt, bad)
    bad = copy.deepcopy(cert)  # the two children swapped: they overlap and leave a gap
    bad["tree"]["children"].reverse()
    assert not check_certificate(stmt, bad)
    bad = copy.deepcopy(cert)  # three children
    bad["tree"]["children"].append(copy.deepcopy(bad["tree"]["children"][0]))
    assert not check_certificate(stmt, bad)


@pytest.fixture(scope="module")
def s1_minors():
    """S1 at n = 2 certified without Gershgorin's form: principal minors in one
    reduced variable, bisected (an inner tree)."""
    from softproof.numeric import boxes

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(boxes, "_gershgorin", lambda problem, red: None)
        stmt = get("S1")
        res = certify(stmt, sizes={"n": 2, "d": 1}, default_radius=4, budget_seconds=60)
    assert res.status == "certified"
    return stmt, json.loads(json.dumps(res.certificate))


def test_an_inner_tree_that_does_not_tile_is_rejected(s1_minors):
    stmt, cert = s1_minors
    assert check_certificate(stmt, cert)
    leaf = next(_leaves(cert["tree"]))[1]
    inner = leaf["decision"]["inner"]
    assert "split" in inner
    bad = copy.deepcopy(cert)
    b_inner = next(_leaves(bad["tree"]))[1]["decision"]["inner"]
    b_inner["split"]["at"] = b_inner["box"][b_inner["split"]["var"]][1]
    assert not check_certificate(stmt, bad)
    bad = copy.deepcopy(cert)
    b_inner = next(_leaves(bad["tree"]))[1]["decision"]["inner"]
    b_inner["box"][0][0] = "0"  # the inner root no longer contains the reduced range
    assert not check_certificate(stmt, bad)


def _nested(depth: int, leaf):
    node = leaf
    for _ in range(depth):
        node = {
            "box": copy.deepcopy(leaf["box"]),
            "split": {"var": 0, "at": "0"},
            "children": [node, node],
        }
    return node


def test_deep_nesting_is_rejected_cleanly(wide, tmp_path):
    stmt, cert = wide
    leaf = next(_leaves(cert["tree"]))[1]
    bad = copy.deepcopy(cert)
    bad["tree"] = _nested(10**6, {"box": leaf["box"], "decision": leaf["decision"]})
    t0 = time.monotonic()
    with pytest.raises(CertificateError, match="deeper"):
        explain_certificate(stmt, bad)
    assert time.monotonic() - t0 < 30
    # an inner tree nested deeply
    bad = copy.deepcopy(cert)
    node = {"box": [], "proved": {}}
    for _ in range(10**5):
        node = {"box": [], "proved": {}, "split": {"var": 0, "at": "0"}, "children": [node, node]}
    next(_leaves(bad["tree"]))[1]["decision"] = {
        "kind": "claim",
        "reduction": "direct",
        "inner": node,
    }
    with pytest.raises(CertificateError, match="deeper"):
        explain_certificate(stmt, bad)
    # a file nested 10^6 deep: no RecursionError
    path = tmp_path / "deep.json"
    path.write_text('{"tree": ' + "[" * 10**6 + "]" * 10**6 + "}")
    with pytest.raises(CertificateError):
        load_certificate(path)


def test_huge_numbers_are_rejected_cleanly(wide, tmp_path):
    stmt, cert = wide
    t0 = time.monotonic()
    for field, value in (
        ("default_radius", "1e999999999"),
        ("default_radius", "9" * 100000),
        ("prec", 10**400),
        ("prec", True),
    ):
        bad = copy.deepcopy(cert)
        bad[field] = value
        with pytest.raises(CertificateError):
            explain_certificate(stmt, bad)
    bad = copy.deepcopy(cert)
    bad["tree"]["split"]["at"] = "1/" + "7" * 100000
    with pytest.raises(CertificateError, match="digits"):
        explain_certificate(stmt, bad)
    path = tmp_path / "big.json"
    path.write_text('{"prec": ' + "9" * 100000 + "}")
    with pytest.raises(CertificateError):
        load_certificate(path)
    assert time.monotonic() - t0 < 30


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: c.pop("tree"),
        lambda c: c.pop("prec"),
        lambda c: c["statement"].pop("claim"),
        lambda c: c.__setitem__("prec", "128"),
        lambda c: c.__setitem__("extra", 1),
        lambda c: c["tree"]["split"].__setitem__("var", True),
        lambda c: c["tree"]["split"].__setitem__("var", "0"),
        lambda c: c["tree"]["split"].__setitem__("at", 0.5),
        lambda c: c["tree"]["split"].__setitem__("at", "nan"),
        lambda c: c["tree"]["split"].__setitem__("at", "inf"),
        lambda c: c["tree"].__setitem__("box", [["-6/5", "inf"]]),
        lambda c: c["tree"]["children"][0].pop("box"),
        lambda c: c["domain"]["bounds"].append(["0", "1"]),
        lambda c: c.__setitem__("format", "softproof-certificate/2"),
        lambda c: c["statement"].__setitem__("hypotheses", []),
        lambda c: c["domain"].__setitem__("origins", ["given"]),
        lambda c: c["domain"]["sizes"].__setitem__("n", 3),
        lambda c: c["sizes"].__setitem__("n", 0),
        lambda c: c.__setitem__("parameters", {"R": 4}),
    ],
)
def test_missing_fields_wrong_types_and_nan_text_are_rejected(wide, edit):
    stmt, cert = wide
    bad = copy.deepcopy(cert)
    edit(bad)
    with pytest.raises(CertificateError):
        explain_certificate(stmt, bad)


def test_unknown_decision_kinds_tests_and_reductions_are_rejected(wide, s1):
    stmt, cert = wide
    for dec in (
        {"kind": "trust-me"},
        {"kind": "claim", "reduction": "oracle", "inner": {"box": [], "proved": {}}},
        {"kind": "claim", "reduction": "direct+oracle", "inner": {"box": [], "proved": {}}},
        {"kind": "hypothesis-false", "hypothesis": 7},
        {"kind": "hypothesis-false"},
    ):
        bad = copy.deepcopy(cert)
        next(_leaves(bad["tree"]))[1]["decision"] = dec
        assert not check_certificate(stmt, bad)
    stmt, cert = s1
    bad = copy.deepcopy(cert)
    inner = next(_leaves(bad["tree"]))[1]["decision"]["inner"]
    node = inner
    while not node.get("proved"):
        node = node["children"][0]
    next(iter(node["proved"].values()))["test"] = "oracle"
    with pytest.raises(CertificateError, match="unknown test"):
        explain_certificate(stmt, bad)


def test_a_forged_claim_leaf_is_rejected(s1):
    """The S1 certificate relabelled as one for the false S1-m099 (same tree, the claim
    0.99 times smaller): every decision is re-derived, so its margins fail."""
    stmt, cert = s1
    mutant = get("S1-m099")
    bad = copy.deepcopy(cert)
    bad["statement"]["id"] = mutant.id
    bad["statement"]["claim"] = str(mutant.claim)
    with pytest.raises(CertificateError, match="margin"):
        explain_certificate(mutant, bad)


# --------------------------------------------------------------------------
# every certificate the prover makes for true catalogue entries is accepted
# --------------------------------------------------------------------------
CATALOGUE_RUNS = [
    ("E1", {}, None, 20),
    ("E5", {"n": 2, "d": 1}, 1, 60),
    ("E5", {"n": 3, "d": 1}, 1, 120),
    ("P3", {"n": 2, "d": 2}, None, 30),
    ("P3", {"n": 3, "d": 2}, None, 60),
    ("S1", {"n": 2, "d": 1}, 4, 60),
    ("S1", {"n": 2, "d": 2}, 4, 120),
]


@pytest.mark.parametrize("sid,sizes,radius,budget", CATALOGUE_RUNS)
def test_catalogue_certificates_are_accepted(sid, sizes, radius, budget):
    stmt = get(sid)
    res = certify(stmt, sizes=sizes, default_radius=radius, budget_seconds=budget)
    assert res.status == "certified"
    cert = json.loads(json.dumps(res.certificate))
    assert explain_certificate(stmt, cert) >= 1
    req = {"sizes": res.domain.sizes, "default_radius": radius}
    assert check_certificate(stmt, cert, **req)
    if sizes:
        other = dict(res.domain.sizes, n=res.domain.sizes["n"] + 1)
        assert not check_certificate(stmt, cert, sizes=other)
    assert not check_certificate(stmt, cert, default_radius=7)


# --------------------------------------------------------------------------
# a lying prover is caught
# --------------------------------------------------------------------------
def test_a_prover_whose_margin_tests_lie_is_caught(monkeypatch):
    """Every box test of the prover says "proved": it certifies the false S1-m099;
    the checker, with its own enclosures, rejects the certificate."""
    import softproof.numeric.certify as prover

    monkeypatch.setattr(
        prover, "run_test", lambda name, p, red, k, env, box: (True, {"test": name, "margin": k})
    )
    stmt = get("S1-m099")
    res = prover.certify(stmt, sizes={"n": 2, "d": 1}, default_radius=4, budget_seconds=20)
    assert res.status == "certified"  # the broken prover's verdict
    assert not check_certificate(stmt, json.loads(json.dumps(res.certificate)))


def test_a_lie_in_the_shared_box_tests_is_caught(monkeypatch):
    """``softproof.numeric.boxes`` accepts every margin enclosure (``_ok`` lies): the prover
    certifies the false S1-m099, and a checker that reused the prover's ``run_test``
    would accept it too; this checker encloses the margins itself and rejects it."""
    import softproof.numeric.boxes as boxes
    import softproof.numeric.certify as prover

    monkeypatch.setattr(boxes, "_ok", lambda m, strict: True)
    stmt = get("S1-m099")
    res = prover.certify(stmt, sizes={"n": 2, "d": 1}, default_radius=4, budget_seconds=20)
    assert res.status == "certified"
    cert = json.loads(json.dumps(res.certificate))
    with pytest.raises(CertificateError, match="margin"):
        explain_certificate(stmt, cert)


@pytest.mark.parametrize(
    "lie,sid",
    [("interval", s) for s in ("S1-m099", "S1-m0999", "E1-m-wide", "P1-m099", "P3-m-beta1")]
    + [("exact-sign", s) for s in ("S1-m099", "S1-m0999", "E1-m-wide", "P3-m-beta1")],
)
def test_lying_prover_certificates_of_false_mutants_are_rejected(monkeypatch, lie, sid):
    """The prover's box tests lie (every enclosure ``>= 0``, or every exact corner and
    critical value ``>= 0`` / ``== 0``); whatever it certifies is rejected."""
    import softproof.numeric.boxes as boxes
    import softproof.numeric.certify as prover

    if lie == "interval":
        monkeypatch.setattr(boxes, "_ok", lambda m, strict: True)
    else:
        monkeypatch.setattr(boxes, "_sympy_nonneg", lambda v, strict, prec: True)
        monkeypatch.setattr(boxes, "_exact_zero", lambda v, prec: True)
    stmt = get(sid)
    res = prover.certify(stmt, sizes={"n": 2, "d": 1}, default_radius=1, budget_seconds=5)
    monkeypatch.undo()
    assert res.status == "certified"  # the broken prover's verdict
    assert not check_certificate(stmt, json.loads(json.dumps(res.certificate)))


def test_a_prover_whose_hypothesis_enclosure_lies_is_caught(monkeypatch):
    """The prover's margin enclosure says every hypothesis fails everywhere: the
    domain is "discarded" in one leaf; the checker sees the hypothesis hold."""
    import softproof.numeric.certify as prover

    monkeypatch.setattr(prover, "decide_margin", lambda op, m: False)
    stmt = get("E1-m-wide")
    res = prover.certify(stmt, budget_seconds=10)
    assert res.status == "certified" and "hypothesis-false" in res.rules
    assert not check_certificate(stmt, json.loads(json.dumps(res.certificate)))


# --------------------------------------------------------------------------
# the checker's own enclosures
# --------------------------------------------------------------------------
def test_checker_shares_no_enclosure_code_with_the_prover():
    import ast
    import inspect

    import softproof.numeric.certcheck as cc
    import softproof.numeric.certificate as cf

    for mod in (cc, cf):
        tree = ast.parse(inspect.getsource(mod))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("boxes", "balls", "certify"):
                names = {a.name for a in node.names}
                assert names <= {"Problem", "DomainError"}, (mod.__name__, names)
            if isinstance(node, ast.ImportFrom):
                assert node.module not in (
                    "softproof.numeric.boxes",
                    "softproof.numeric.balls",
                    "softproof.numeric.certify",
                )


def test_constants_are_enclosed_by_arb_at_the_working_precision():
    import sympy as sp
    from flint import arb, ctx

    from softproof.numeric.certcheck import Enclose

    with ctx.workprec(300):
        e = Enclose({})(sp.E)
        third = Enclose({})(sp.Rational(1, 3))
        pi = Enclose({})(sp.pi)
    # a 53-bit float ball would be about 1e-16 wide
    assert 0 < float((e.hi - e.lo).upper()) < 1e-80
    assert 0 < float((third.hi - third.lo).upper()) < 1e-80
    with ctx.workprec(400):
        for iv, c in ((e, sp.E), (pi, sp.pi)):
            ref = arb(str(c.evalf(110)))  # within 1e-105 of the constant
            assert iv.lo < ref.lower() and ref.upper() < iv.hi
    with pytest.raises(Reject):
        Enclose({})(sp.Float("0.5"))
    with pytest.raises(Reject):
        Enclose({})(sp.GoldenRatio)


def test_kinks_domains_and_division_by_zero():
    import sympy as sp
    from flint import arb

    from softproof.numeric.certcheck import Enclose, Ivl

    t = sp.Symbol("t", real=True)
    env = {t: Ivl(arb(-1), arb(2))}
    ev = Enclose(env)
    a = ev(sp.Abs(t))
    assert a.lo == 0 and a.hi == 2
    m = ev(sp.Max(t, 0))
    assert m.lo == 0 and m.hi == 2
    m = ev(sp.Min(t, 0))
    assert m.lo == -1 and m.hi == 0
    s = ev(sp.sign(t))
    assert s.lo == -1 and s.hi == 1
    for bad in (1 / t, sp.log(t), sp.sqrt(t), t ** sp.Rational(1, 3), t**-2):
        with pytest.raises(Reject):
            Enclose(env)(bad)
    pos = Enclose({t: Ivl(arb(1), arb(4))})
    r = pos(sp.sqrt(t) + 1 / t + sp.log(t))
    assert r.lo <= 1 + 1 / 4 + 0 and r.hi >= 2 + 1 + float(sp.log(4))


@pytest.mark.parametrize("seed", range(20))
def test_opnorm_bounds_enclose_the_spectral_norm(seed):
    import numpy as np
    from flint import arb

    from softproof.numeric.certcheck import Ivl, opnorm_bounds

    rng = np.random.default_rng(seed)
    r, c = rng.integers(1, 4, size=2)
    m = rng.normal(size=(r, c))
    w = rng.uniform(0, 0.1)
    ents = [[Ivl(arb(float(v - w)), arb(float(v + w))) for v in row] for row in m]
    b = opnorm_bounds(ents)
    for _ in range(20):
        sample = m + rng.uniform(-w, w, size=m.shape)
        nrm = np.linalg.norm(sample, 2)
        assert float(b.lo) <= nrm * (1 + 1e-12) and nrm <= float(b.hi) * (1 + 1e-12)


OPNORM = """
id = "opnorm-small"
title = "small entries: small spectral norm"
source = "ours"
sizes = { n = 2, d = 2 }
hypotheses = ["fro(A) <= 1/2", "norm2(x) <= 1"]
claim = "opnorm(A) + norm2(x) <= 5/2"
"""


def test_direct_margin_with_a_spectral_norm_is_checked_with_the_checkers_bound():
    """Regression: the statement's spectral-norm placeholders were not given to the
    checker's evaluator in the inner tests, so genuine direct leaves were rejected."""
    stmt = parse_statement_text(OPNORM)
    res = certify(stmt, budget_seconds=20)
    assert res.status == "certified" and "direct" in res.rules
    assert explain_certificate(stmt, json.loads(json.dumps(res.certificate))) >= 1
    # ||A|| + ||x|| reaches 1/2 + 1 > 1 on the domain: the relabelled certificate fails
    false = parse_statement_text(OPNORM.replace("5/2", "1"))
    bad = json.loads(json.dumps(res.certificate))
    bad["statement"]["id"], bad["statement"]["claim"] = false.id, str(false.claim)
    assert not check_certificate(false, bad)


def test_a_deep_but_bounded_tree_is_walked_without_recursion(wide):
    """A chain of 1500 valid splits (within the depth bound) is walked iteratively:
    the deepest leaf is reached and its (false) decision rejected, no RecursionError."""
    stmt, cert = wide
    lo, hi = (Fraction(t) for t in cert["tree"]["box"][0])
    leaf_dec = {"kind": "hypothesis-false", "hypothesis": 0}

    def text(q: Fraction) -> str:
        return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"

    root = node = {"box": [[text(lo), text(hi)]]}
    for _ in range(1500):
        mid = (lo + hi) / 2
        right = {"box": [[text(mid), text(hi)]]}
        node["split"] = {"var": 0, "at": text(mid)}
        node["children"] = [{"box": [[text(lo), text(mid)]], "decision": leaf_dec}, right]
        node, lo = right, mid
    node["decision"] = leaf_dec
    bad = dict(cert, tree=root)
    with pytest.raises(CertificateError, match="hypothesis 0 does not fail"):
        explain_certificate(stmt, bad)


def test_recorded_exact_ends_and_notes_are_never_parsed(s1, tmp_path):
    """The exact-end texts of inner boxes, the steps and the enclosure notes are for
    the reader: the checker derives exact ends from the hypotheses itself, so text put
    there (here code) is neither executed nor trusted."""
    stmt, cert = s1
    marker = tmp_path / "pwned"
    code = f"__import__('os').system('touch {marker}')"
    bad = copy.deepcopy(cert)
    dec = next(_leaves(bad["tree"]))[1]["decision"]
    dec["steps"] = [code]
    stack = [dec["inner"]]
    while stack:
        node = stack.pop()
        for iv in node["box"]:
            iv[2] = iv[3] = code
        for rec in node.get("proved", {}).values():
            rec["enclosure"] = code
        stack.extend(node.get("children", []))
    assert check_certificate(stmt, bad)
    assert not marker.exists()


# --------------------------------------------------------------------------
# Gershgorin's row sums in softmax entries: re-derived, and tampering is caught
# --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def e5_n4():
    stmt = get("E5")
    res = certify(stmt, sizes={"n": 4, "d": 1}, default_radius=1, budget_seconds=120)
    assert res.status == "certified"
    dec = next(_leaves(res.certificate["tree"]))[1]["decision"]
    assert dec["reduction"].endswith("+gershgorin+entry")
    return stmt, json.loads(json.dumps(res.certificate))


def test_gershgorin_entry_certificate_is_accepted(e5_n4):
    stmt, cert = e5_n4
    assert explain_certificate(stmt, cert) == 1
    assert check_certificate(stmt, cert, sizes={"n": 4})
    assert not check_certificate(stmt, cert, sizes={"n": 5})


def test_gershgorin_entry_relabelled_for_the_quarter_mutant_is_rejected(e5_n4):
    """The same tree claimed for ||diag(s) - s s^T|| <= 1/4: the checker re-derives
    the row sums 1/4 - 2 t (1 - t), negative near t = 1/2, and rejects."""
    stmt, cert = e5_n4
    mutant = get("E5-m-quarter")
    bad = copy.deepcopy(cert)
    bad["statement"]["id"] = mutant.id
    bad["statement"]["claim"] = str(mutant.claim)
    with pytest.raises(CertificateError, match="margin"):
        explain_certificate(mutant, bad)


def test_an_entry_range_narrower_than_the_enclosure_is_rejected(e5_n4):
    """The inner box must contain every softmax entry's enclosure: t cut to
    [0, 1/3] (leaving out t = 1/2, where the row sums are tight) is rejected."""
    stmt, cert = e5_n4
    bad = copy.deepcopy(cert)
    inner = next(_leaves(bad["tree"]))[1]["decision"]["inner"]
    k = len(inner["box"]) - 1  # the last inner variable is a softmax entry t
    assert bad is not cert and inner["box"][k][1] != "1/3"
    inner["box"][k][1] = "1/3"
    with pytest.raises(CertificateError, match="does not contain the reduced range"):
        explain_certificate(stmt, bad)


def test_gershgorin_without_the_entry_step_is_rejected(e5_n4):
    """Relabelled as plain row sums (no entry variables): the inner box has the wrong
    dimension, and with the dimension fixed the raw row sums are not proved."""
    stmt, cert = e5_n4
    bad = copy.deepcopy(cert)
    dec = next(_leaves(bad["tree"]))[1]["decision"]
    dec["reduction"] = dec["reduction"].removesuffix("+entry")
    with pytest.raises(CertificateError, match="wrong dimension"):
        explain_certificate(stmt, bad)
    nshift = 3  # delta1..delta3 at n = 4
    for node in [dec["inner"]]:
        node["box"] = node["box"][:nshift]
    with pytest.raises(CertificateError, match="margin"):
        explain_certificate(stmt, bad)


def test_entry_and_gershgorin_steps_need_their_premises():
    """``entry`` needs margins in reduced variables, ``gershgorin`` a norm bound: each
    named where it does not apply is a reduction the checker cannot derive."""
    stmt = get("E5")
    res = certify(stmt, sizes={"n": 2, "d": 1}, default_radius=1, budget_seconds=60)
    assert res.status == "certified"
    for name in ("direct-norm+entry", "direct+gershgorin", "direct-norm+atoms+entry+gershgorin"):
        bad = copy.deepcopy(json.loads(json.dumps(res.certificate)))
        next(_leaves(bad["tree"]))[1]["decision"]["reduction"] = name
        with pytest.raises(CertificateError, match="cannot be re-derived|unknown reduction"):
            explain_certificate(stmt, bad)


def test_checker_entry_verifies_the_identity_itself():
    """The checker's entry step: a margin that is one entry's function is rewritten
    in t (and equals it at t = u), one of two entries is not."""
    import sympy as sp

    from softproof.numeric import certcheck as cc

    d1, d2 = sp.symbols("d1 d2", real=True)
    u1 = 1 / (1 + sp.exp(d1) + sp.exp(d2))
    u2 = sp.exp(d1) / (1 + sp.exp(d1) + sp.exp(d2))
    red = cc.Red("r", [], [u1 * (1 - u1), u1 * u2], [d1, d2])
    out = cc._entry(None, red)
    assert len(out.inner) == 3
    g0, g1 = out.margins
    (t,) = g0.free_symbols
    assert sp.expand(g0 - t * (1 - t)) == 0
    assert g1.free_symbols <= {d1, d2}
    with pytest.raises(Reject):
        cc._entry(None, cc.Red("r", [], [u1 * u2], [d1, d2]))


def test_checker_sum_with_a_nonnegative_term_keeps_the_exact_end():
    from flint import arb

    from softproof.numeric.certcheck import Ivl

    tiny = Ivl(arb(-300).exp().lower(), arb(-290).exp().upper())
    one = Ivl(arb(1), arb(1))
    assert (one + tiny).lo == 1 and (one + tiny).recip().hi == 1
    assert (one - tiny).hi == 1 and (one - tiny).lo < 1
    mixed = Ivl(arb(-1), arb(2)) + Ivl(arb(-3), arb(5))
    assert mixed.lo == -4 and mixed.hi == 7
