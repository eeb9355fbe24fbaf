"""The statement-file expression language: every construct, shape errors, hostile input."""

from __future__ import annotations

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from sympy import HadamardProduct, MatAdd, MatMul, MatPow, OneMatrix, Transpose

from softproof.derivations import model
from softproof.derivations.grammar import GrammarError, parse_expression, parse_relation
from softproof.derivations.model import (
    Alpha,
    BMat,
    C,
    Col,
    Diag,
    Dot,
    Entrywise,
    F,
    Grad,
    GradL,
    Hess,
    HessL,
    Jac,
    Loss,
    Norm,
    Softmax,
    U,
)

P = ("R", "beta", "eta")
Rs, betas = sp.Symbol("R", positive=True), sp.Symbol("beta", positive=True)


def pe(text: str):
    return parse_expression(text, parameters=P)


# --------------------------------------------------------------------------
# Constructs
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("u(x)", U(model.A, model.x)),
        ("alpha(x)", Alpha(model.A, model.x)),
        ("f(At, x)", F(model.At, model.x)),
        ("c(x)", C(model.A, model.x, model.b)),
        ("c(At, y)", C(model.At, model.y, model.b)),
        ("c(x, b - f(y))", C(model.A, model.x, model.b - F(model.A, model.y))),
        ("c(At, x, 2*b)", C(model.At, model.x, 2 * model.b)),
        ("L(x)", Loss(model.A, model.x, model.b)),
        ("grad_L(y)", GradL(model.A, model.y, model.b)),
        ("hess_L(x)", HessL(model.A, model.x, model.b)),
        ("B(At, x)", BMat(model.At, model.x, model.b)),
        ("softmax(A @ x)", Softmax(model.A * model.x)),
        ("exp(A @ x)", Entrywise("exp", model.A * model.x)),
        ("log(u(x))", Entrywise("log", U(model.A, model.x))),
        ("sqrt(b)", Entrywise("sqrt", model.b)),
        ("abs(b)", Entrywise("abs", model.b)),
        ("exp(t)", sp.exp(model.t)),
        ("log(R)", sp.log(Rs)),
        ("sqrt(n)", sp.sqrt(model.n)),
        ("abs(t)", sp.Abs(model.t)),
        ("max(R, t, 1)", sp.Max(Rs, model.t, 1)),
        ("min(n, d)", sp.Min(model.n, model.d)),
        ("dot(x, y)", Dot(model.x, model.y)),
        ("outer(b, x)", model.b * model.x.T),
        ("diag(b)", Diag(model.b)),
        ("ones(n)", OneMatrix(model.n, 1)),
        ("col(A, 2)", Col(model.A, 2)),
        ("A.T", Transpose(model.A)),
        ("norm1(x)", Norm("1", model.x)),
        ("norm2(x)", Norm("2", model.x)),
        ("norm_inf(b)", Norm("inf", model.b)),
        ("opnorm(A)", Norm("op", model.A)),
        ("fro(A - At)", Norm("fro", model.A - model.At)),
        ("grad(L(x), x)", Grad(Loss(model.A, model.x, model.b), model.x)),
        ("jac(f(x), x)", Jac(F(model.A, model.x), model.x)),
        ("hess(L(x), x)", Hess(Loss(model.A, model.x, model.b), model.x)),
        ("R**2 / 2 - beta", Rs**2 / 2 - betas),
        ("-(R)", -Rs),
        ("+R", Rs),
    ],
)
def test_construct(text, expected):
    assert pe(text) == expected


def test_operators_on_vectors():
    assert isinstance(pe("x * y"), HadamardProduct)
    scaled = pe("R * x")
    assert isinstance(scaled, MatMul) and scaled.args[0] == Rs
    assert pe("x * R") == scaled  # the scalar coefficient goes first
    assert pe("x / alpha(x)") == (1 / Alpha(model.A, model.x)) * model.x
    assert isinstance(pe("x - y"), MatAdd)
    assert pe("A @ x").shape == (model.n, 1)
    assert pe("x.T @ A.T").shape == (1, model.n)
    assert isinstance(pe("diag(b) ** 2"), MatPow)


def test_numbers_are_exact_rationals():
    assert pe("0.01") == sp.Rational(1, 100)
    assert pe("1e-3") == sp.Rational(1, 1000)
    assert pe("2.5e2") == 250
    assert pe("1_000.5") == sp.Rational(2001, 2)
    assert pe("n**1.5") == model.n ** sp.Rational(3, 2)


def test_relations_and_swaps():
    r = parse_relation("alpha(x) >= beta", parameters=P)
    assert (r.lhs, r.op, r.rhs) == (betas, "<=", Alpha(model.A, model.x))
    r = parse_relation("norm2(x) > 1", parameters=P)
    assert (r.lhs, r.op) == (1, "<")
    assert parse_relation("f(x) == softmax(A @ x)").op == "=="
    assert parse_relation("norm2(x) < R", parameters=P).op == "<"


def test_parameters_mapping_controls_the_symbols():
    s = sp.Symbol("s", real=True)
    assert parse_expression("s + 1", parameters={"s": s}) == s + 1
    with pytest.raises(GrammarError, match="cannot be a parameter name"):
        parse_expression("1", parameters=["f"])


def test_multiline_text():
    r = parse_relation("norm2(x)\n  <= R", parameters=P)
    assert r.rhs == Rs


# --------------------------------------------------------------------------
# Errors, with positions
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, message, column",
    [
        ("norm2(A) <= 1", "norm2() needs a vector", 7),
        ("norm2(x + b) <= 1", "cannot add a vector of length d and a vector of length n", 7),
        ("dot(x, b) <= 1", "dot() of a vector of length d and a vector of length n", 1),
        ("norm2(x) + x <= 1", "cannot add a scalar and a vector", 1),
        ("f(x) <= 1", "'<=' compares scalars", 1),
        ("norm2(x) <= R * foo", "unknown name 'foo'", 17),
        ("norm2(x) <= fo(x)", "unknown function 'fo'", 13),
        ("norm2(x) <= gamma", "unknown name 'gamma'", 13),
        ("norm2(A @ b) <= 1", "shapes do not align", 7),
        ("opnorm(x * A) <= 1", "needs equal shapes (use @", 8),
        ("norm2(f(b)) <= 1", "does not fit a document", 9),
        ("jac(L(x), x) == x", "jac() needs a vector", 5),
        ("norm2(grad(L(x), A)) <= 1", "taken in a vector variable", 18),
        ("norm2(x) ^ 2 <= 1", "use ** for powers", 1),
        ("norm2(x) <= 1 <= 2", "chained comparisons", 1),
        ("norm2(x) != 1", "'!=' is not allowed", 1),
        ("norm2(x)", "expected a relation", 1),
        ("norm2(x) <=", "syntax error", 12),
        ("norm2(x) <= 1/0", "division by zero", 13),
        ("norm2(x ** 2) <= 1", "a vector has no power", 7),
        ("max(x, y) <= 1", "max() needs a scalar", 5),
        ("f <= 1", "'f' is a function", 1),
        ("col(A, 0) == col(A, 1)", "positive integer index", 8),
        ("x.T @ y <= 1", "take a norm, or dot", 1),
    ],
)
def test_errors_name_problem_and_column(text, message, column):
    with pytest.raises(GrammarError) as err:
        parse_relation(text, parameters=("R",))
    assert message in err.value.problem
    assert (err.value.line, err.value.column) == (1, column)


def test_error_on_second_line():
    with pytest.raises(GrammarError) as err:
        parse_relation("norm2(x)\n  <= 1 + gamma")
    assert (err.value.line, err.value.column) == (2, 10)
    assert str(err.value).startswith("line 2, column 10: unknown name 'gamma'")


def test_unknown_name_suggests_close_matches():
    with pytest.raises(GrammarError, match="did you mean 'norm2'"):
        parse_expression("norm(x)")


# --------------------------------------------------------------------------
# Hostile input: rejected, no side effect, no hang
# --------------------------------------------------------------------------
HOSTILE = [
    "__import__('os').system('touch {marker}')",
    "__import__('os')",
    "().__class__.__bases__[0].__subclasses__()",
    "A.__class__",
    "x.__dict__",
    "A.T.T.__init__",
    "(lambda: open('{marker}', 'w'))()",
    "lambda: 1",
    "x[0]",
    "f'{{x}}'",
    "'{marker}'",
    "b'x'",
    "[x]",
    "(x, y)",
    "{{x: 1}}",
    "x if R else y",
    "R and x",
    "not R",
    "exp(x=1)",
    "exp(*[x])",
    "(y := x)",
    "breakpoint()",
    "eval('1')",
    "exec('1')",
    "compile('1', 'a', 'eval')",
    "open('{marker}', 'w')",
    "getattr(A, 'T')",
    "2**2**100",
    "(2**1000)**1000",
    "10**(10**10)",
    "R**1001",
    "1e999999999",
    "9" * 5000,
    "(" * 300 + "x" + ")" * 300,
    "-" * 20000 + "R",
    "exp(" * 150 + "t" + ")" * 150,
    "True",
    "None",
    "1j",
    "...",
    "x % 2",
    "x // 2",
    "~R",
    "R << 2",
    "x is y",
    "x in y",
    "",
    "   ",
    "x" * 20000,
]


@pytest.mark.parametrize("template", HOSTILE)
def test_hostile_input_rejected_without_side_effect(template, tmp_path):
    marker = tmp_path / "pwned"
    text = template.format(marker=marker)
    with pytest.raises(GrammarError):
        parse_expression(text, parameters=("R",))
    with pytest.raises(GrammarError):
        parse_relation(f"{text} <= 1", parameters=("R",))
    assert not marker.exists()


def test_import_is_reported_as_a_call_of_a_non_function(tmp_path):
    with pytest.raises(GrammarError, match="only the named functions"):
        parse_expression(f"__import__('os').system('touch {tmp_path / 'x'}')")
    with pytest.raises(GrammarError, match="unknown function '__import__'"):
        parse_expression("__import__('os')")


def test_non_string_is_rejected():
    with pytest.raises(GrammarError, match="must be a string"):
        parse_expression(3)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Fuzz: any token soup either parses or raises GrammarError, nothing else
# --------------------------------------------------------------------------
TOKENS = [
    "x",
    "y",
    "b",
    "A",
    "At",
    "t",
    "n",
    "R",
    "f(",
    "u(",
    "alpha(",
    "c(",
    "L(",
    "B(",
    "norm2(",
    "opnorm(",
    "dot(",
    "outer(",
    "diag(",
    "softmax(",
    "exp(",
    "abs(",
    "grad(",
    "jac(",
    "hess(",
    "ones(n)",
    "col(A, 1)",
    ".T",
    "@",
    "*",
    "/",
    "+",
    "-",
    "**",
    "(",
    ")",
    ",",
    "<=",
    ">=",
    "==",
    "<",
    "1",
    "0",
    "2",
    "0.5",
    "[",
    "]",
    "__class__",
    ".",
    "'s'",
    "lambda",
    ":",
    " ",
]


@given(st.lists(st.sampled_from(TOKENS), max_size=25))
def test_fuzz_token_soup(tokens):
    text = "".join(tokens)
    for parse in (parse_expression, parse_relation):
        try:
            result = parse(text, parameters=("R",))
        except GrammarError as err:
            assert err.line >= 1 and err.column >= 1 and err.problem
        else:
            assert isinstance(result, sp.Basic) or result.op in ("<=", "<", "==")


# --------------------------------------------------------------------------
# Derivatives of order above 2 (they crashed the symbolic differentiation)
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "grad(dot(x, grad(dot(grad(L(x), x), x), x)), x)",
        "hess(dot(grad(L(x), x), x), x)",
        "jac(grad(dot(grad(L(x), x), x), x), x)",
        "hess(dot(x, hess(L(x), x) @ x), x)",
    ],
)
def test_third_order_derivative_is_a_grammar_error(text):
    with pytest.raises(GrammarError, match="order [34]"):
        parse_expression(text)


def test_second_order_derivatives_are_accepted():
    from softproof.derivations.grammar import derivative_order

    for text, order in [
        ("grad(L(x), x)", 1),
        ("hess(L(x), x)", 2),
        ("jac(grad(L(x), x), x)", 2),
        ("grad(dot(grad(L(x), x), grad(L(x), x)), x)", 2),
        ("grad(L(x), x) + grad(alpha(x), x)", 1),
    ]:
        assert derivative_order(parse_expression(text)) == order, text


def test_hyperbolic_functions_are_scalar_or_entrywise():
    assert parse_expression("cosh(t)") == sp.cosh(model.t)
    assert parse_expression("tanh(A @ x)") == Entrywise("tanh", model.A * model.x)
    assert parse_expression("sinh(b)").shape == (model.n, 1)
    with pytest.raises(GrammarError, match="takes 1"):
        parse_expression("cosh(t, t)")


def test_definitions_resolve_before_built_ins():
    from softproof.derivations.grammar import SIZES, Definition
    from softproof.derivations.statement import VARIABLES

    names = {**VARIABLES, **SIZES}
    u = Definition("u", ("v",), "cosh(A @ v)", names, {})
    e = parse_expression("u(x)", definitions={"u": u})
    assert isinstance(e, model.DefinedVector) and e.definition == Entrywise(
        "cosh", model.A * model.x
    )
    assert parse_expression("u(x)") == U(model.A, model.x)  # without: the built-in
    with pytest.raises(GrammarError, match="in the definition of u"):
        parse_expression("u(b)", definitions={"u": u})
