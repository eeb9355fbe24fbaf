"""Own definitions in statement files (``[definitions]``) and ``cosh``/``sinh``/``tanh``:
loading, the symbolic prover, the evaluators, interval enclosures, search,
certification, printing and bad input (statement-files.md, "Own definitions")."""

from __future__ import annotations

import json
import math
import pickle
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from softproof.bench import COSH_GRADIENT_TOML, bench_cosh_gradient
from softproof.cli import main
from softproof.derivations import model
from softproof.derivations.grammar import parse_expression, parse_relation
from softproof.derivations.identities import prove_identity
from softproof.derivations.printing import relation_to_latex, to_latex, to_text
from softproof.derivations.rules import _smooth
from softproof.derivations.statement_files import (
    StatementFileError,
    load_statement,
    parse_statement_text,
)
from softproof.numeric import boxes, certcheck
from softproof.numeric.balls import evaluate_arb
from softproof.numeric.certificate import check_certificate
from softproof.numeric.certify import certify
from softproof.numeric.float64 import compile_expr

STATEMENTS = Path(__file__).parent / "statements"
COSH = STATEMENTS / "cosh-gradient.toml"
COSH_MUTANT = STATEMENTS / "cosh-gradient-transposed.toml"

LIPSCHITZ = """
id = "cosh-f-lipschitz"
sizes = {{ n = 4, d = 3 }}
parameters = {{ R = 1 }}
hypotheses = ["opnorm(A) <= R", "norm2(x) <= R", "norm2(y) <= R"]
claim = "norm2(f(x) - f(y)) <= {K} * norm2(x - y)"

[definitions]
u     = {{ of = ["v"], is = "cosh(A @ v)" }}
alpha = {{ of = ["v"], is = "dot(u(v), ones(n))" }}
f     = {{ of = ["v"], is = "u(v) / alpha(v)" }}
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _instance(n: int = 4, d: int = 3, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "A": rng.normal(size=(n, d)) / 2,
        "x": rng.normal(size=d),
        "y": rng.normal(size=d),
        "b": rng.normal(size=n),
        "t": float(rng.normal()),
    }


def _f64(expr, inst):
    env = {k: np.asarray(v, dtype=float)[None, ...] for k, v in inst.items()}
    return np.asarray(compile_expr(expr)(env))[0]


# ---------------------------------------------------------------- loading
def test_the_contract_example_loads_with_its_definitions():
    st = load_statement(COSH)
    assert [name for name, _, _ in st.definitions] == ["u", "alpha", "f", "c", "L", "M"]
    assert st.definitions[-1] == ("M", (), "n**1.5 * exp(10 * R**2)")
    assert st.definitions[0] == ("u", ("v",), "cosh(A @ v)")
    assert st.shadowed == ("u", "alpha", "f", "c", "L")
    assert st.shadow_note == (
        "note: u, alpha, f, c, L are this file's definitions, not the built-ins"
    )
    # the file's f is not the built-in softmax f
    assert not st.claim.rhs.has(model.F) and st.claim.rhs.has(model.DefinedVector)
    assert st.variables == ("A", "x", "b")


CONTRACT_VERBATIM = """
id = "cosh-gradient"
sizes = { n = 5, d = 3 }
claim = "CLAIM"

[definitions]
u     = { of = ["v"], is = "cosh(A @ v)" }     # a function of its arguments
alpha = { of = ["v"], is = "dot(u(v), ones(n))" }
f     = { of = ["v"], is = "u(v) / alpha(v)" }
c     = { of = ["v"], is = "f(v) - b" }
L     = { of = ["v"], is = "dot(c(v), c(v)) / 2" }
M     = "n**1.5 * exp(10 * R**2)"              # no arguments: a named constant
"""
COSH_CLAIM = (
    "grad(L(x), x) == A.T @ (diag(sinh(A @ x)) - outer(sinh(A @ x), f(x))) @ c(x) / alpha(x)"
)


def test_the_contract_example_as_written_loads_though_m_uses_an_unvalued_r():
    st = parse_statement_text(CONTRACT_VERBATIM.replace("CLAIM", COSH_CLAIM))
    assert st.parameters == {} and st.definitions[-1][0] == "M"


def test_a_claim_reaching_an_unvalued_parameter_through_a_definition_is_exit_2():
    with pytest.raises(StatementFileError, match="parameter R .* has no value"):
        parse_statement_text(CONTRACT_VERBATIM.replace("CLAIM", "norm2(f(x)) <= M"))


def test_defined_nodes_carry_their_body_and_print_with_their_names():
    a = parse_statement_text(COSH_GRADIENT_TOML)
    b = parse_statement_text(COSH_GRADIENT_TOML.replace("cosh(A @ v)", "sinh(A @ v)"))

    def first_f(e):
        return next(
            n
            for n in sp.preorder_traversal(e)
            if isinstance(n, model.DefinedVector) and n.name == "f"
        )

    fa, fb = first_f(a.claim.rhs), first_f(b.claim.rhs)
    assert fa.name == fb.name == "f" and fa != fb  # two files, two different f's
    assert fa.free_symbols >= {model.A, model.x}
    assert pickle.loads(pickle.dumps(a.claim.rhs)) == a.claim.rhs
    moved = fa.xreplace({model.x: model.y})
    assert moved.call_args == (model.y,) and model.x not in moved.free_symbols
    assert to_text(fa) == "f(x)"
    assert not model.unfold_all(fa).has(model.DefinedVector, model.DefinedScalar)


def test_a_named_constant_prints_by_its_name_and_evaluates():
    st = parse_statement_text(
        'id = "k"\nclaim = "dot(u(x), u(x)) <= M"\n\n[definitions]\n'
        'u = { of = ["v"], is = "cosh(A @ v)" }\nM = "n * cosh(1)**2"\n'
    )
    assert to_text(st.claim.rhs) == "M" and to_latex(st.claim.rhs) == "M"
    inst = {"A": np.zeros((3, 2)), "x": np.zeros(2)}
    assert _f64(st.claim.rhs, inst) == pytest.approx(3 * math.cosh(1) ** 2)
    assert _f64(st.claim.lhs, inst) == pytest.approx(3.0)


def test_arguments_take_their_shapes_from_the_call():
    st = parse_statement_text(
        'id = "g"\nclaim = "g(At, y) == cosh(At @ y)"\n\n[definitions]\n'
        'g = { of = ["M", "v"], is = "cosh(M @ v)" }\n'
    )
    assert prove_identity(st.claim.lhs, st.claim.rhs, "symbolic").proved
    assert to_text(st.claim.lhs) == "g(At, y)"


# ---------------------------------------------------------------- the prover
def test_cosh_gradient_proved_and_its_mutant_refuted():
    st = load_statement(COSH)
    res = prove_identity(st.claim.lhs, st.claim.rhs, "symbolic")
    assert res.proved and res.level == "symbolic"
    mut = load_statement(COSH_MUTANT)
    bad = prove_identity(mut.claim.lhs, mut.claim.rhs, "symbolic")
    assert bad.status == "refuted"
    assert prove_identity(mut.claim.lhs, mut.claim.rhs, ("explicit", 2, 2)).status == "refuted"


@pytest.mark.parametrize(
    "text, status",
    [
        ("cosh(t)**2 - sinh(t)**2 == 1", "proved"),
        ("tanh(t) == sinh(t) / cosh(t)", "proved"),
        ("cosh(t)**2 + sinh(t)**2 == 1", "refuted"),
        ("tanh(t) == cosh(t) / sinh(t)", "refuted"),
        ("jac(cosh(A @ x), x) == diag(sinh(A @ x)) @ A", "proved"),
        ("jac(cosh(A @ x), x) == diag(cosh(A @ x)) @ A", "refuted"),
        ("jac(sinh(A @ x), x) == diag(cosh(A @ x)) @ A", "proved"),
        ("jac(tanh(A @ x), x) == diag(ones(n) - tanh(A @ x) * tanh(A @ x)) @ A", "proved"),
        ("jac(tanh(A @ x), x) == diag(ones(n) + tanh(A @ x) * tanh(A @ x)) @ A", "refuted"),
        ("1 / (2 + 2 * exp(t)) == 1 / (1 + exp(t)) / 2", "proved"),
        ("1 / (2 + 2 * exp(t)) == 1 / (1 + exp(t))", "refuted"),
    ],
)
def test_hyperbolic_identities_are_decided_for_symbolic_sizes(text, status):
    rel = parse_relation(text)
    assert prove_identity(rel.lhs, rel.rhs, "symbolic").status == status
    assert prove_identity(rel.lhs, rel.rhs, ("explicit", 2, 2)).status == status


def test_the_vector_calculus_rules_agree_with_the_entrywise_derivative():
    # grad(L) through calculus.differentiate (float64 plan) against the proved closed form
    st = load_statement(COSH)
    for seed in range(3):
        inst = _instance(seed=seed)
        assert np.allclose(_f64(st.claim.lhs, inst), _f64(st.claim.rhs, inst), rtol=1e-10)
    mut = load_statement(COSH_MUTANT)
    inst = _instance(seed=5)
    assert not np.allclose(_f64(mut.claim.lhs, inst), _f64(mut.claim.rhs, inst), rtol=1e-6)
    rules = (("cosh", np.sinh), ("sinh", np.cosh), ("tanh", lambda z: 1 - np.tanh(z) ** 2))
    for fn, deriv in rules:
        jac = parse_expression(f"jac({fn}(A @ x), x)")
        inst = _instance(seed=1)
        want = deriv(inst["A"] @ inst["x"])[:, None] * inst["A"]
        assert np.allclose(_f64(jac, inst), want)
        assert not np.allclose(_f64(jac, inst), inst["A"])


# ---------------------------------------------------------------- evaluators
def test_float64_arb_and_mpmath_agree_on_hyperbolic_functions():
    from softproof.numeric.mp import evaluate_mp

    e = parse_expression("dot(cosh(A @ x), ones(n)) + norm2(sinh(A @ x) * tanh(A @ x)) + tanh(t)")
    inst = _instance()
    z = inst["A"] @ inst["x"]
    want = np.cosh(z).sum() + np.linalg.norm(np.sinh(z) * np.tanh(z)) + np.tanh(inst["t"])
    assert _f64(e, inst) == pytest.approx(want, rel=1e-12)
    ball = evaluate_arb(e, inst)
    assert abs(float(ball.mid()) - want) < 1e-10 * abs(want) and float(ball.rad()) < 1e-20
    assert float(evaluate_mp(e, inst)) == pytest.approx(want, rel=1e-12)


def test_float64_overflow_is_inf_for_cosh_and_saturation_for_tanh():
    inst = {"t": 1000.0}
    with np.errstate(over="ignore"):
        assert _f64(parse_expression("cosh(t)"), inst) == math.inf
        assert _f64(parse_expression("sinh(-t)"), inst) == -math.inf
    assert _f64(parse_expression("tanh(t)"), inst) == 1.0
    assert _f64(parse_expression("tanh(-t)"), inst) == -1.0


@pytest.mark.parametrize("lo, hi", [(-2, 3), (0.5, 2), (-3, -1), (-1e-3, 1e-3), (0, 0)])
def test_interval_enclosures_contain_every_value_and_are_tight(lo, hi):
    lo_q, hi_q = Fraction(lo), Fraction(hi)
    iv = boxes.interval_ball(lo_q, hi_q)
    ivl = certcheck.q_range(lo_q, hi_q)
    grid = np.linspace(float(lo), float(hi), 41)
    for fn, box_fn, name in (
        (np.cosh, boxes.iv_cosh, "cosh"),
        (np.sinh, boxes.iv_sinh, "sinh"),
        (np.tanh, boxes.iv_tanh, "tanh"),
    ):
        mine = box_fn(iv)
        theirs = certcheck.Enclose({sp.Symbol("t"): ivl})(getattr(sp, name)(sp.Symbol("t")))
        values = fn(grid)
        for enc in (mine, theirs):
            assert float(enc.lo) <= values.min() + 1e-12 and values.max() - 1e-12 <= float(enc.hi)
            # tight: the ends are attained up to rounding
            assert float(enc.hi) - values.max() < 1e-9 and values.min() - float(enc.lo) < 1e-9
    assert float(boxes.iv_cosh(boxes.interval_ball(Fraction(-2), Fraction(3))).lo) == 1.0


# ---------------------------------------------------------------- search / certify
def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_check_proves_the_cosh_gradient_and_notes_the_shadowed_names(capsys, tmp_path):
    assert main(["check", str(COSH), "--budget", "10", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "proved for symbolic n, d" in out
    assert "note: u, alpha, f, c, L are this file's definitions, not the built-ins" in out
    assert list(tmp_path.iterdir()) == []


def test_check_refutes_the_mutant_with_a_confirmed_witness(capsys, tmp_path):
    assert main(["check", str(COSH_MUTANT), "--budget", "10", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "VIOLATED" in out and "violation confirmed" in out
    path = tmp_path / "witness-cosh-gradient-transposed.json"
    assert json.loads(path.read_text())["confirmation"]["confirmed"] is True
    assert main(["check", str(COSH_MUTANT), "--replay", str(path)]) == 1
    assert main(["check", str(COSH), "--replay", str(path)]) == 0


def test_search_on_a_defined_lipschitz_bound(capsys, tmp_path):
    small = _write(tmp_path, "small.toml", LIPSCHITZ.format(K="0.01"))
    assert main(["check", str(small), "--budget", "10", "--quiet"]) == 1
    assert "violation confirmed" in capsys.readouterr().out
    big = _write(tmp_path, "big.toml", LIPSCHITZ.format(K="2"))
    assert main(["check", str(big), "--budget", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "searched:" in out and "no violation found" in out
    assert main(["search", str(big), "--budget", "1", "--quiet"]) == 0
    assert "note: u, alpha, f are this file's definitions" in capsys.readouterr().out


def test_hypotheses_may_use_defined_functions(capsys, tmp_path):
    text = (
        'id = "{id}"\nsizes = {{ n = 3, d = 2 }}\nparameters = {{ R = 1 }}\n'
        'hypotheses = ["opnorm(A) <= R", "norm2(x) <= R", "g(x) <= 1.2"]\n'
        'claim = "g(x) <= {K}"\n\n[definitions]\n'
        'g = {{ of = ["v"], is = "dot(cosh(A @ v), ones(n)) / n" }}\n'
    )
    true = _write(tmp_path, "t.toml", text.format(id="hyp-true", K="1.5"))
    assert main(["check", str(true), "--budget", "2", "--quiet"]) == 0
    assert "no violation found" in capsys.readouterr().out
    false = _write(tmp_path, "f.toml", text.format(id="hyp-false", K="1.05"))
    assert main(["check", str(false), "--budget", "10", "--quiet"]) == 1
    assert "all 3 hypotheses hold" in capsys.readouterr().out


CERT = (
    'id = "cosh-bound"\nparameters = {{ T = 2 }}\nhypotheses = ["abs(t) <= T"]\nclaim = "{claim}"\n'
)


def test_certify_a_hyperbolic_claim_and_the_independent_checker():
    true = parse_statement_text(CERT.format(claim="cosh(t) >= 1 + t**2 / 2 - 1/100"))
    res = certify(true, budget_seconds=60)
    assert res.status == "certified" and res.boxes > 1
    cert = json.loads(json.dumps(res.certificate))
    assert check_certificate(true, cert)
    # the same certificate does not prove a false claim of the same file
    false = parse_statement_text(CERT.format(claim="cosh(t) >= 1 + t**2 / 2 + 1/100"))
    assert not check_certificate(false, cert)
    too_much = parse_statement_text(CERT.format(claim="cosh(t) >= 1.01"))
    assert certify(too_much, budget_seconds=30).status != "certified"


def test_certify_a_defined_scalar_function(capsys, tmp_path):
    path = _write(
        tmp_path,
        "g.toml",
        CERT.format(claim="g(t) >= 0")
        + '\n[definitions]\ng = { of = ["s"], is = "cosh(s) - 1" }\n',
    )
    assert main(["certify", str(path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "certified" in out and "note:" not in out  # g shadows no built-in
    neg = _write(
        tmp_path,
        "h.toml",
        CERT.format(claim="g(t) >= 0")
        + '\n[definitions]\ng = { of = ["s"], is = "sinh(s) - 1/2" }\n',
    )
    assert main(["certify", str(neg), "--quiet"]) == 1


# ---------------------------------------------------------------- printing
def test_latex_shows_cosh_and_the_files_names():
    st = load_statement(COSH)
    tex = relation_to_latex(st.claim)
    assert r"\sinh" in tex and r"\alpha(x)" in tex and "c(x)" in tex and r"\nabla" in tex
    assert "L(x)" in tex
    u = parse_expression("u(x)", definitions=None)  # the built-in u prints the same way
    assert to_latex(u) == "u(x)"
    assert to_latex(parse_expression("cosh(A @ x)")) == r"\cosh(A x)"
    assert to_latex(parse_expression("tanh(t)")) == r"\tanh{\left(t \right)}"


def test_smooth_accepts_hyperbolic_entrywise_functions():
    assert _smooth(parse_expression("cosh(A @ x) + sinh(A @ x) + tanh(A @ x)"))
    assert not _smooth(parse_expression("abs(A @ x)"))


def test_bench_key_proves_the_cosh_gradient():
    r = bench_cosh_gradient()
    assert r["status"] == "proved" and r["cosh_gradient_prove_s"] > 0


# ---------------------------------------------------------------- bad input
HEAD = 'id = "bad"\nclaim = "{claim}"\n\n[definitions]\n'


@pytest.mark.parametrize(
    "claim, defs, line, words",
    [
        (
            "f(x) == f(x)",
            'f = { of = ["v"], is = "g(v)" }\ng = { of = ["v"], is = "f(v)" }\n',
            5,
            "'g' is defined below f",
        ),
        ("f(x) == f(x)", 'f = { of = ["v"], is = "f(v)" }\n', 5, "used in its own definition"),
        (
            "alpha(x) >= 0",
            'alpha = { of = ["v"], is = "dot(u(v), ones(n))" }\n'
            'u = { of = ["v"], is = "cosh(A @ v)" }\n',
            5,
            "'u' is defined below alpha",
        ),
        ("f(x) == f(x)", 'f = { of = ["v"], is = "cosh(A @ v) * zz" }\n', 5, "unknown name 'zz'"),
        ("exp(x) == exp(x)", 'exp = { of = ["v"], is = "cosh(v)" }\n', 5, "built-in function exp"),
        ("x == x", 'x = { of = ["v"], is = "cosh(v)" }\n', 5, "clashes with a variable"),
        ("f(x, x) == f(x)", 'f = { of = ["v"], is = "cosh(A @ v)" }\n', 2, "takes 1 argument"),
        ("f(x) == f(x)", 'f = { of = ["v"], is = "cosh(A @ v) + v" }\n', 5, "cannot add"),
        ("f(b) == f(b)", 'f = { of = ["v"], is = "cosh(A @ v)" }\n', 2, "shapes do not align"),
        ("f <= 1", 'f = { of = ["v"], is = "dot(v, v)" }\n', 2, "write f(...)"),
        ("f(x) == f(x)", 'f = { of = ["v"], is = "cosh(v)", by = 1 }\n', 5, "must be"),
        ("f(x) == f(x)", 'f = { of = ["v", "v"], is = "cosh(v)" }\n', 5, "named twice"),
        ("M <= 1", 'M = "exp(Q)"\n', 5, "unknown name 'Q'"),
        ("g(t) <= 1", 'g = { of = ["exp"], is = "exp" }\n', 5, "cannot name an argument"),
    ],
)
def test_bad_definitions_exit_2_with_file_line_and_column(
    claim, defs, line, words, capsys, tmp_path
):
    path = _write(tmp_path, "bad.toml", HEAD.format(claim=claim) + defs)
    with pytest.raises(StatementFileError) as err:
        load_statement(path)
    assert err.value.line == line and err.value.column is not None
    assert words in str(err.value)
    assert main(["check", str(path), "--budget", "1", "--quiet"]) == 2
    msg = capsys.readouterr().err
    assert f"bad.toml:{line}:" in msg and words in msg
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.toml"]  # nothing written


def test_a_definition_may_not_clash_with_a_parameter(tmp_path):
    text = 'id = "bad"\nparameters = { R = 1 }\nclaim = "R <= 1"\n\n[definitions]\nR = "2"\n'
    with pytest.raises(StatementFileError, match="clashes with the parameter R"):
        parse_statement_text(text, "bad.toml")


def test_definitions_that_double_at_every_level_are_refused_quickly():
    lines = ['g0 = { of = ["v"], is = "cosh(A @ v)" }'] + [
        f'g{k} = {{ of = ["v"], is = "g{k - 1}(v) * g{k - 1}(v)" }}' for k in range(1, 40)
    ]
    text = 'id = "deep"\nclaim = "norm2(g39(x)) <= 1"\n\n[definitions]\n' + "\n".join(lines)
    with pytest.raises(StatementFileError, match="expands to more than") as err:
        parse_statement_text(text, "deep.toml")
    assert str(err.value).startswith("deep.toml:")


def test_the_hessian_of_a_defined_loss_is_derived_and_proved():
    from softproof.derivations.calculus import differentiate

    st = load_statement(COSH)
    loss = st.claim.lhs.args[0]
    hess = model.Hess(loss, model.x)
    rewritten = differentiate(hess)
    assert not rewritten.has(model.Hess, model.Grad, model.Jac)
    assert prove_identity(rewritten, hess, "symbolic").proved
    inst = _instance(seed=2)
    value = _f64(hess, inst)
    assert value.shape == (3, 3) and np.allclose(value, value.T)


TANH_LIPSCHITZ = """
id = "tanh-lipschitz"
sizes = {{ n = 1, d = 1 }}
hypotheses = ["opnorm(A) <= 1", "norm2(x) <= 1", "norm2(y) <= 1"]
claim = "norm2(g(x) - g(y)) <= {K} * norm2(x - y)"

[definitions]
g = {{ of = ["v"], is = "tanh(A @ v)" }}
"""


def test_mean_value_certificate_of_a_defined_tanh_and_its_checker():
    true = parse_statement_text(TANH_LIPSCHITZ.format(K="1"))
    res = certify(true, budget_seconds=60)
    assert res.status == "certified" and "mean-value" in res.rules
    cert = json.loads(json.dumps(res.certificate))
    assert check_certificate(true, cert)
    # the checker's own tanh enclosures reject the certificate for a false constant
    false = parse_statement_text(TANH_LIPSCHITZ.format(K="0.9"))
    assert not check_certificate(false, cert)


def test_a_defined_scalar_is_not_assumed_real():
    g = model.defined("g", sp.sqrt(model.t), (model.t,))
    assert g.is_real is None and (g**2).is_nonnegative is None  # sqrt(t) for t < 0
    h = model.defined("h", sp.cosh(model.t), (model.t,))
    assert h.is_positive is True and sp.Abs(h) == h


def test_forty_doubling_definitions_load_without_blowing_up():
    """g_k(v) = g_{k-1}(v) + g_{k-1}(v): the shapes of nested definitions are
    computed once each, not 2**depth times (a load used to hang at depth 40)."""
    import subprocess
    import sys

    lines = ['g1 = { of = ["v"], is = "cosh(v)" }'] + [
        f'g{k} = {{ of = ["v"], is = "g{k - 1}(v) + g{k - 1}(v)" }}' for k in range(2, 41)
    ]
    text = 'id = "deep"\nclaim = "t <= 1"\n[definitions]\n' + "\n".join(lines) + "\n"
    code = (
        "import sys\nfrom softproof.derivations.statement_files import parse_statement_text\n"
        "parse_statement_text(sys.stdin.read())\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], input=text, text=True, capture_output=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-500:]
