"""``softproof bound``: K, the checked chain, LaTeX, the worst ratio; exit codes."""

import pytest

from softproof.cli import main
from softproof.derivations import model

BALL = """id = "ball"
sizes = { n = 3, d = 2 }
parameters = { R = [0.5, 1.5], tau = [0.5, 2] }
hypotheses = ["opnorm(A) <= R", "norm2(x) <= R"]
claim = "norm2(x) <= R"
"""


@pytest.fixture
def ball(tmp_path):
    p = tmp_path / "ball.toml"
    p.write_text(BALL)
    return str(p)


def run(capsys, *argv):
    code = main(["bound", *argv, "--budget", "1", "--quiet"])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_u_prints_k_chain_latex_and_slack(capsys, ball):
    code, out, _ = run(capsys, ball, "--of", "u(x)", "--wrt", "x")
    assert code == 0
    assert "K = R*exp(R**2)" in out
    assert "proved (chain ball-bound" in out and "for every n, d" in out
    assert "[1: mean value]" in out and "segment norm" in out
    assert "\\begin{align*}" in out and "FAILS" not in out
    line = next(s for s in out.splitlines() if s.startswith("search:"))
    ratio = float(line.split("worst ratio observed / K = ")[1].split()[0])
    assert 0 < ratio <= 1


def test_softmax_with_temperature(capsys, ball):
    code, out, _ = run(capsys, ball, "--of", "softmax(A @ x / tau)", "--wrt", "x")
    assert code == 0 and "K = R/(2*tau)" in out


def test_progress_goes_to_stderr(capsys, ball):
    code = main(["bound", ball, "--of", "f(x)", "--wrt", "x", "--budget", "0.5"])
    err = capsys.readouterr().err
    assert code == 0 and "mean value inequality" in err and "checking the chain" in err


def test_cannot_is_exit_3(capsys, tmp_path):
    p = tmp_path / "nob.toml"
    p.write_text(BALL.replace(', "norm2(x) <= R"', ""))
    code, out, _ = run(capsys, str(p), "--of", "u(x)", "--wrt", "x")
    assert code == 3 and "CANNOT" in out and "depends on the point z" in out


@pytest.mark.parametrize(
    "of, wrt, what",
    [
        ("w(x)", "x", "--of"),
        ("u(x)", "q", "not a variable"),
        ("u(x)", "A", "not a vector variable"),
        ("u(y)", "x", "does not depend on x"),
        ("A", "x", "expected a vector"),
        ("u(x) - u(y)", "x", "second point"),
        ("u(x)", "b", "does not depend on b"),
    ],
)
def test_bad_input_is_exit_2(capsys, ball, of, wrt, what):
    code, out, err = run(capsys, ball, "--of", of, "--wrt", wrt)
    assert code == 2 and what in err and not out


def test_missing_file_is_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, str(tmp_path / "none.toml"), "--of", "u(x)", "--wrt", "x")
    assert code == 2 and "none.toml" in err


COSH_F = """id = "cosh-f"
sizes = { n = 4, d = 3 }
hypotheses = ["opnorm(A) <= 1", "norm2(x) <= 1"]
claim = "norm2(f(x)) <= 1"

[definitions]
u     = { of = ["v"], is = "cosh(A @ v)" }
alpha = { of = ["v"], is = "dot(u(v), ones(n))" }
f     = { of = ["v"], is = "u(v) / alpha(v)" }
"""

needs_definitions = pytest.mark.skipif(
    "cosh" not in model.Entrywise.FUNCTIONS, reason="statement files without cosh"
)


@needs_definitions
def test_cosh_normalised_f_within_20x_of_the_true_constant(capsys, tmp_path):
    p = tmp_path / "cosh-f.toml"
    p.write_text(COSH_F)
    code = main(["bound", str(p), "--of", "f(x)", "--wrt", "x", "--budget", "3", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "sinh" in out and "cosh" in out  # the file's own f, not the built-in softmax
    assert "are this file's definitions, not the built-ins" in out
    k_line = next(s for s in out.splitlines() if s.startswith("K = "))
    import sympy as sp

    from softproof.derivations.model import n

    k = sp.sympify(k_line.removeprefix("K = ").replace("||", ""), locals={"n": n})
    # valid for every n; largest at n = 1, and within 20x of the true ~0.17 there
    assert float(k.subs(n, 1)) <= 20 * 0.17
    line = next(s for s in out.splitlines() if s.startswith("search:"))
    ratio = float(line.split("worst ratio observed / K = ")[1].split()[0])
    assert 0 < ratio <= 1
    observed = ratio * float(k.subs(n, 4))
    assert float(k.subs(n, 4)) <= 20 * observed


@pytest.mark.parametrize("of", ["u(x)", "f(x)", "alpha(x)"])
def test_toml_is_re_proved_by_check(capsys, ball, tmp_path, of):
    out_file = tmp_path / "derived.toml"
    code, out, _ = run(capsys, ball, "--of", of, "--wrt", "x", "--toml", str(out_file))
    assert code == 0 and f"wrote {out_file}" in out
    assert main(["check", str(out_file), "--budget", "1", "--quiet"]) == 0
    assert "proved by the file's proof" in capsys.readouterr().out


@needs_definitions
def test_toml_of_the_cosh_model_carries_its_definitions_and_is_re_proved(capsys, tmp_path):
    p = tmp_path / "cosh-f.toml"
    p.write_text(COSH_F)
    out_file = tmp_path / "derived.toml"
    args = ["bound", str(p), "--of", "f(x)", "--wrt", "x", "--budget", "1", "--quiet"]
    assert main([*args, "--toml", str(out_file)]) == 0
    text = out_file.read_text()
    assert "[definitions]" in text and 'u = { of = ["v"], is = "cosh(A @ v)" }' in text
    capsys.readouterr()
    assert main(["check", str(out_file), "--budget", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "proved by the file's proof" in out and "this file's definitions" in out


def test_toml_with_the_constant_halved_is_not_proved(capsys, ball, tmp_path):
    out_file = tmp_path / "derived.toml"
    assert run(capsys, ball, "--of", "u(x)", "--wrt", "x", "--toml", str(out_file))[0] == 0
    lines = out_file.read_text().splitlines()
    k = next(i for i, s in enumerate(lines) if s.startswith("claim = "))
    lhs, rhs = lines[k].removeprefix('claim = "').removesuffix('"').split(" <= ")
    lines[k] = f'claim = "{lhs} <= ({rhs}) / 2"'
    out_file.write_text("\n".join(lines).replace("expected = true", "expected = false") + "\n")
    witness = str(tmp_path / "w.json")
    code = main(["check", str(out_file), "--budget", "3", "--quiet", "--witness-out", witness])
    out = capsys.readouterr().out
    assert code in (1, 3) and "proved by the file's proof" not in out


def test_toml_bad_path_is_exit_2_and_nothing_written(capsys, ball, tmp_path):
    target = tmp_path / "no-such-dir" / "x.toml"
    code, out, err = run(capsys, ball, "--of", "u(x)", "--wrt", "x", "--toml", str(target))
    assert code == 2 and "--toml" in err and not out and not target.exists()


def test_toml_not_written_when_the_file_would_not_re_prove_it(capsys, ball, tmp_path):
    # the bound is derived, but its exported proof does not read back step for step:
    # nothing is written and the exit code says the output is incomplete
    target = tmp_path / "x.toml"
    code, out, _ = run(capsys, ball, "--of", "u(x) / alpha(x)", "--wrt", "x", "--toml", str(target))
    assert "K = R/2" in out
    assert code == 3 and "not written" in out and not target.exists()


def test_bench_table_lists_the_bound_keys(capsys):
    assert main(["bench", "--quick", "--only", "bound", "--no-progress"]) == 0
    out = capsys.readouterr().out
    for key in ("u", "softmax", "softmax_tau", "alpha", "cosh_f"):
        assert f"bound_{key}_s" in out
    assert "hand-written P1-sharp and S1" in out
