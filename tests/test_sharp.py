"""Paper constants against proved constants; the S3 bound and its chain."""

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp

from softproof.derivations import sharp
from softproof.derivations.model import Norm, R, b, n


@pytest.fixture(scope="module")
def table():
    return {row["id"]: row for row in sharp.constants_table(7, 4)}


def test_paper_constant_m_at_n7_r4(table):
    m_value = 7**1.5 * math.exp(160)
    assert table["T1"]["paper_value"] == pytest.approx(m_value, rel=1e-12)
    assert 5.6e70 < table["T1"]["paper_value"] < 5.8e70


def test_proved_constants_and_ratios(table):
    for sid in ("P4", "Q4", "T1", "T2"):
        assert table[sid]["proved_constant"] == R / 2
        assert table[sid]["proved_value"] == pytest.approx(2.0)
    assert table["T1"]["ratio"] == pytest.approx(7**1.5 * math.exp(160) / 2, rel=1e-12)
    p4 = 4 * math.exp(32) * 7**1.5 * 4 * math.exp(32)
    assert table["P4"]["ratio"] == pytest.approx(p4 / 2, rel=1e-12)
    for sid in ("P1", "Q1"):
        assert table[sid]["proved_constant"] == R * sp.exp(R**2)
        assert table[sid]["ratio"] == pytest.approx(2 * math.sqrt(7), rel=1e-12)
    for sid in ("P2", "P3", "Q2", "Q3"):
        assert table[sid]["ratio"] == pytest.approx(1.0)
    assert all(row["status"].startswith("proved (chain") for row in table.values())


def test_sharp_chains_prove_stronger_claims():
    for sid in ("P1", "Q1", "P4", "Q4", "T1", "T2"):
        res = sharp.sharp_chain(sid).check()
        assert res.ok, (sid, res.problems)
        assert res.level == "symbolic"
    # P1 is proved without the 0.01 condition
    assumed = {str(h) for h in sharp.sharp_chain("P1").check().assumes}
    assert not any("inf" in h for h in assumed)


def test_s3_bound_chain():
    res = sharp.s3_chain("S3-sharp").check()
    assert res.ok, res.problems
    assert res.assumes == ()
    assert sp.simplify(res.conclusion.rhs - (sp.Rational(1, 2) + Norm("2", b) / sp.sqrt(2))) == 0
    assert res.level == "symbolic"


def test_s3_chain_with_a_wrong_constant_fails():
    base = sharp.s3_chain("S3-sharp")
    last = base.steps[-1]
    wrong = dataclasses.replace(last, expr=last.expr.xreplace({sp.sqrt(2): sp.S.One}))
    assert wrong.expr != last.expr
    assert not dataclasses.replace(base, steps=base.steps[:-1] + (wrong,)).check().ok


def test_s3_bound_function():
    assert sharp.s3_bound(0.0) == pytest.approx(0.5)
    assert sharp.s3_bound(2.0) == pytest.approx(0.5 + 2 / math.sqrt(2))
    assert sharp.s3_bound_expr.free_symbols == {sharp.b_norm}
    with pytest.raises(ValueError):
        sharp.s3_bound(-1.0)


def _b_norm(z, bv):
    f = np.exp(z - z.max())
    f /= f.sum()
    c = f - bv
    J = np.diag(f) - np.outer(f, f)
    g, cf = c * f, c @ f
    B = (
        J @ J
        + np.diag(g)
        - cf * np.diag(f)
        - np.outer(g, f)
        - np.outer(f, g)
        + 2 * cf * np.outer(f, f)
    )
    return np.abs(np.linalg.eigvalsh(B)).max()


def test_s3_bound_holds_numerically_beyond_the_checked_sizes():
    """Sanity only (the proof is the chain): no sample at n = 9 exceeds the bound."""
    rng = np.random.default_rng(1)
    worst = 0.0
    for _ in range(400):
        z = rng.normal(size=9) * rng.uniform(0, 6)
        bv = rng.normal(size=9) * rng.uniform(0, 3)
        worst = max(worst, _b_norm(z, bv) / sharp.s3_bound(float(np.linalg.norm(bv))))
    assert 0.05 < worst <= 1.0


def test_paper_constants_are_sympy_in_n_r_beta():
    for _, expr in sharp.PAPER_CONSTANTS.values():
        assert expr.free_symbols <= {n, R, sharp.beta}
