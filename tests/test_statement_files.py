"""Statement files: good examples load, each malformed one names file, line, column, problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy as sp

from softproof.derivations import model
from softproof.derivations.statement_files import (
    StatementFileError,
    load_statement,
    parse_statement_text,
)

HERE = Path(__file__).parent / "statements"
GOOD = sorted(HERE.glob("*.toml"))
BAD = sorted((HERE / "bad").glob("*.toml"))


def test_examples_exist():
    assert len(GOOD) >= 3 and len(BAD) >= 15


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_files_load(path):
    s = load_statement(path)
    assert s.id == path.stem
    assert s.claim_text and s.title
    assert len(s.hypotheses) == len(s.hypotheses_text)


def test_sharp_s1_example():
    s = load_statement(HERE / "lipschitz-f-sharp.toml")
    R = sp.Symbol("R", positive=True)
    assert s.kind == "inequality" and s.expected is True
    assert s.sizes == {"n": 7, "d": 4} and s.parameters == {"R": 4}
    assert s.claim.lhs == model.Norm("2", model.F(model.A, model.x) - model.F(model.A, model.y))
    assert s.claim.rhs == R / 2 * model.Norm("2", model.x - model.y)
    assert [str(h.rhs) for h in s.hypotheses] == ["R", "R", "R"]
    assert s.variables == ("A", "x", "y")


def test_false_and_identity_examples():
    assert load_statement(HERE / "lipschitz-f-too-sharp.toml").expected is False
    g = load_statement(HERE / "gradient-loss.toml")
    assert g.kind == "identity" and g.expected is None and g.hypotheses == ()
    assert g.sizes == {"n": 7, "d": 4}


def test_ranges_and_derived_parameters():
    s = load_statement(HERE / "alpha-reciprocal-beta.toml")
    R, beta = sp.Symbol("R", positive=True), sp.Symbol("beta", positive=True)
    assert s.ranged_parameters == {"R": (4, 5)}
    assert s.derived_parameters == {"beta": sp.exp(-(R**2))}
    assert s.parameter_symbols == {"R": R, "beta": beta}
    assert s.parameter_substitution({"R": 4}) == {R: 4, beta: sp.exp(-16)}
    with pytest.raises(KeyError, match="give its value"):
        s.parameter_substitution()


def test_negative_parameter_gets_a_real_symbol():
    s = parse_statement_text(
        'id = "neg"\nparameters = { s = [-1, 1], k = "s**2 + 1" }\nclaim = "s <= k"\n'
    )
    assert s.parameter_symbols["s"].is_positive is None
    assert s.parameter_symbols["k"].is_positive
    assert s.parameter_substitution({"s": -0.5})[s.parameter_symbols["k"]] == sp.Rational(5, 4)


def _expectation(path: Path) -> str:
    m = re.search(r"^# expect: (.*)$", path.read_text(), re.M)
    assert m, f"{path} has no '# expect:' line"
    return m.group(1)


@pytest.mark.parametrize("path", BAD, ids=lambda p: p.name)
def test_bad_files_report_file_line_and_problem(path):
    with pytest.raises(StatementFileError) as err:
        load_statement(path)
    message = str(err.value)
    assert message.startswith(str(path) + ":")
    assert f"{path}:{_expectation(path)}" in message or _expectation(path) in message
    if re.match(r"\d+:\d+:", _expectation(path)):
        line, column = map(int, _expectation(path).split(":")[:2])
        assert (err.value.line, err.value.column) == (line, column)


def test_hostile_file_has_no_side_effect(tmp_path):
    marker = tmp_path / "pwned"
    bad = tmp_path / "hostile.toml"
    bad.write_text(
        f"id = \"hostile\"\nclaim = \"__import__('os').system('touch {marker}') <= 1\"\n"
        f"hypotheses = [\"open('{marker}', 'w') <= 1\"]\n"
    )
    with pytest.raises(StatementFileError, match=r"hostile\.toml:3:\d+: unknown function 'open'"):
        load_statement(bad)
    assert not marker.exists()


def test_missing_file_and_binary_file(tmp_path):
    with pytest.raises(StatementFileError, match="nope.toml: cannot read"):
        load_statement(tmp_path / "nope.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b'id = "x"\nclaim = "\xff"\n')
    with pytest.raises(StatementFileError, match=r"bin.toml:2:10: not UTF-8"):
        load_statement(binary)


def test_escaped_string_points_at_the_key():
    text = 'id = "esc"\nclaim = "norm2(x) <= \\u0067amma"\n'
    with pytest.raises(StatementFileError) as err:
        parse_statement_text(text, "esc.toml")
    assert str(err.value) == "esc.toml:2:1: unknown name 'gamma' in claim"


def test_wrong_types():
    head = 'id = "a"\nclaim = "norm2(x) <= 1"\n'
    cases = {
        'id = 3\nclaim = "norm2(x) <= 1"': "<s>:1:1: 'id' must be a string",
        'id = "a"\nclaim = ["norm2(x) <= 1"]': "<s>:2:1: 'claim' must be a string",
        head + 'hypotheses = "norm2(y) <= 1"': "<s>:3:1: 'hypotheses' must be a list of strings",
        head + 'expected = "yes"': "<s>:3:1: 'expected' must be true or false",
        head + "sizes = { n = 3, k = 2 }": "<s>:3:18: unknown size 'k'",
        head + "parameters = { R = true }": "<s>:3:16: parameter R must be a number",
        head + 'parameters = { R = "x" }': "<s>:3:16: parameter R must be a scalar",
        head + 'parameters = { R = "norm2(x)" }': "<s>:3:16: parameter R may use only",
    }
    for text, message in cases.items():
        with pytest.raises(StatementFileError) as err:
            parse_statement_text(text, "<s>")
        assert str(err.value).startswith(message), (text, str(err.value))


def test_table_syntax_for_parameters():
    s = parse_statement_text(
        'id = "t"\nclaim = "norm2(x) <= R"\n\n[parameters]\nR = 4.5\n', "t.toml"
    )
    assert s.parameters == {"R": 4.5}
    assert s.parameter_substitution()[sp.Symbol("R", positive=True)] == sp.Rational(9, 2)
    with pytest.raises(StatementFileError, match=r"t.toml:5:1: parameter R: a range"):
        parse_statement_text('id = "t"\nclaim = "1 <= R"\n\n[parameters]\nR = [1]\n', "t.toml")


def test_errors_are_value_errors_and_statement_is_backward_compatible():
    from softproof.derivations.grammar import GrammarError
    from softproof.derivations.statement import Relation, Statement

    assert issubclass(StatementFileError, ValueError) and issubclass(GrammarError, ValueError)
    s = Statement("x", "t", Relation(model.Norm("2", model.x), "<=", sp.Integer(1)))
    assert s.part_of is None and s.claim_text == "" and s.parameter_symbols == {}
    assert s.parameter_substitution() == {}


# --------------------------------------------------------------------------
# Hostile files: deep nesting, column indices, what is read at all
# --------------------------------------------------------------------------
def test_deeply_nested_arrays_are_refused_with_a_position():
    text = 'id = "deep"\nclaim = ' + "[" * 1000 + "]" * 1000 + "\n"
    with pytest.raises(StatementFileError, match=r"<statement>:2:\d+: .*nested deeper"):
        parse_statement_text(text)
    # brackets inside strings and comments do not count
    ok = 'id = "ok"  # ' + "[" * 100 + '\ntitle = "' + "[" * 100 + '"\nclaim = "norm2(x) <= 1"\n'
    assert parse_statement_text(ok).id == "ok"


def test_column_index_out_of_range_points_at_the_call():
    text = 'id = "c"\nsizes = { n = 5, d = 4 }\nclaim = "norm2(col(A, 99)) <= 1"\n'
    with pytest.raises(StatementFileError, match=r"<statement>:3:16: col\(A, 99\).*1\.\.4"):
        parse_statement_text(text)
    # at d = 4, column 4 of A and column 5 of A.T (n = 5) exist
    good = 'id = "c"\nsizes = { n = 5, d = 4 }\nclaim = "norm2(col(A, 4)) <= norm2(col(A.T, 5))"\n'
    s = parse_statement_text(good)
    s.check_sizes({"n": 5, "d": 4})
    with pytest.raises(ValueError, match="col\\(A, 4\\)"):
        s.check_sizes({"n": 5, "d": 3})
    hyp = 'id = "h"\nhypotheses = ["norm2(col(A, 9)) <= 1"]\nclaim = "norm2(x) <= 1"\n'
    with pytest.raises(
        StatementFileError, match=r"<statement>:2:22: col\(A, 9\).* in hypothesis 1"
    ):
        parse_statement_text(hyp)


def test_only_regular_files_of_bounded_size_are_read(tmp_path):
    import os

    from softproof.derivations.statement_files import MAX_FILE_BYTES, read_regular_file

    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    (tmp_path / "dir.toml").mkdir()
    big = tmp_path / "big.toml"
    big.write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    for name, words in [
        ("fifo.toml", "is not a regular file"),
        ("zero.toml", "is not a regular file"),
        ("dir.toml", "is a directory"),
        ("big.toml", "file larger than"),
    ]:
        with pytest.raises(StatementFileError, match=f"{name}: {words}"):
            load_statement(tmp_path / name)
    ok = tmp_path / "ok.toml"
    ok.write_text('id = "ok"\nclaim = "norm2(x) <= 1"\n')
    (tmp_path / "link.toml").symlink_to(ok)
    assert load_statement(tmp_path / "link.toml").id == "ok"
    assert read_regular_file(ok, limit=100).startswith(b"id")
    with pytest.raises(ValueError, match="larger than 10 bytes"):
        read_regular_file(ok, limit=10)


@pytest.mark.parametrize(
    "params, name",
    [
        ("{ R = 1" + "0" * 400 + " }", "R"),
        ("{ R = [1, 1" + "0" * 400 + "] }", "R"),
        ('{ R = "exp(exp(exp(100)))" }', "R"),
        ('{ R = 4, g = "log(-R)" }', "g"),
        ('{ R = 4, g = "1 / (R - 4)" }', "g"),
        ('{ R = [0, 4], g = "exp(10**4 * R)" }', "g"),
    ],
)
def test_parameter_values_that_overflow_are_refused_at_their_key(params, name):
    text = f'id = "p"\nparameters = {params}\nclaim = "norm2(x) <= R"\n'
    with pytest.raises(StatementFileError, match=rf"<statement>:2:\d+: parameter {name}"):
        parse_statement_text(text)


def test_bounded_derived_parameters_are_accepted():
    text = (
        'id = "p"\nparameters = { R = [1, 4], beta = "exp(-R**2)", g = "log(beta) / n" }\n'
        'claim = "norm2(f(x)) <= R + g"\n'
    )
    assert set(parse_statement_text(text).parameters) == {"R", "beta", "g"}


def _param_file(value: str, claim: str = "norm2(sqrt(2) * t * ones(1)) <= K * abs(t)") -> str:
    return (
        'id = "k"\nsizes = { n = 1, d = 1 }\n'
        f"parameters = {{ K = {value} }}\n"
        'hypotheses = ["abs(t) <= 1"]\n'
        f'claim = "{claim}"\n'
    )


def test_parameter_literal_keeps_every_written_digit():
    """1.41421356237309504 is below sqrt 2; its nearest double prints as
    1.4142135623730951, above sqrt 2: the parameter is the decimal as written."""
    s = parse_statement_text(_param_file("1.41421356237309504"))
    assert s.parameters["K"] == sp.Rational("1.41421356237309504")
    assert s.parameters["K"] < sp.sqrt(2)


def test_parameter_literal_that_a_double_prints_stays_a_float():
    s = parse_statement_text(_param_file("0.1"))
    assert s.parameters["K"] == 0.1 and isinstance(s.parameters["K"], float)


def test_parameter_range_ends_keep_every_written_digit():
    s = parse_statement_text(_param_file("[1.41421356237309504, 2.0]"))
    lo, hi = s.parameters["K"]
    assert lo == sp.Rational("1.41421356237309504") and hi == 2.0


@pytest.mark.parametrize("claim", ["log(0) <= t", "sqrt(-1) * t <= 1", "0 == exp(log(0*t))"])
def test_constant_without_real_value_is_refused(claim):
    text = f'id = "k"\nsizes = {{ n = 1, d = 1 }}\nclaim = "{claim}"\n'
    with pytest.raises(StatementFileError, match="no real value"):
        parse_statement_text(text)


@pytest.mark.parametrize("claim", ["t * n <= 2", "norm2(t * ones(n)) <= 1", "t * d <= 2"])
def test_size_without_a_variable_of_that_size_is_refused(claim):
    text = f'id = "k"\nsizes = {{ n = 1, d = 1 }}\nclaim = "{claim}"\n'
    with pytest.raises(StatementFileError, match="no variable of that size"):
        parse_statement_text(text)


def test_size_with_a_variable_of_that_size_loads():
    text = 'id = "k"\nsizes = { n = 2, d = 1 }\nclaim = "alpha(x) <= n * exp(norm2(x))"\n'
    assert parse_statement_text(text).claim.op == "<="


@pytest.mark.parametrize("claim", ["(-8)**(1/3) * t <= 2.5", "t <= (-1)**(1/3) + 2"])
def test_complex_principal_root_is_refused(claim):
    text = f'id = "k"\nsizes = {{ n = 1, d = 1 }}\nclaim = "{claim}"\n'
    with pytest.raises(StatementFileError, match="no real value"):
        parse_statement_text(text)


def test_hole_is_no_parameter_name():
    """``HOLE`` marks the rewritten positions of a proof step's context."""
    with pytest.raises(StatementFileError, match="'HOLE' cannot be a parameter name"):
        parse_statement_text('id = "h"\nparameters = { HOLE = [-1, 1] }\nclaim = "HOLE <= 1"\n')
