"""LaTeX in the paper's notation."""

import dataclasses

import sympy as sp

from softproof.derivations import model as M
from softproof.derivations.identities import IDENTITIES
from softproof.derivations.printing import relation_to_latex, to_latex
from softproof.derivations.statement import Relation, Statement

A, At, x, y, b = M.A, M.At, M.x, M.y, M.b


def test_model_nodes_print_as_in_the_paper():
    assert to_latex(M.Dot(x, y)) == r"\langle x, y \rangle"
    assert to_latex(M.hadamard(b, b)) == r"b \circ b"
    assert to_latex(M.exp_ew(A * x)) == r"\exp(A x)"
    assert to_latex(M.Col(A, sp.Symbol("i"))) == r"A_{*,i}"
    assert to_latex(M.ones(M.n)) == r"\mathbf{1}_{n}"
    assert to_latex(M.Norm("2", x - y)) == r"\|x - y\|_2"
    assert to_latex(M.Norm("op", A - At)) == r"\|A - \tilde{A}\|"
    assert to_latex(M.F(A, x)) == "f(x)"
    assert to_latex(M.Alpha(A, x)) == r"\alpha(x)"
    assert to_latex(M.U(At, x)) == r"u_{\tilde{A}}(x)"
    assert to_latex(M.Grad(M.Loss(A, x, b), x)) == r"\nabla L(x)"
    assert to_latex(M.Hess(M.Loss(A, x, b), x)) == r"\nabla^2 L(x)"
    assert to_latex(M.Grad(M.Loss(A, x, b), y)) == r"\nabla_{y} L(x)"
    assert to_latex(M.BMat(A, x, b)) == "B(x)"
    assert to_latex(M.Diag(M.F(A, x))) == r"\operatorname{diag}(f(x))"
    assert to_latex(M.outer(M.F(A, x), M.F(A, x))) == r"f(x) f(x)^\top"


def test_catalogue_identities_print_readably():
    g5 = relation_to_latex(IDENTITIES["G5"][1])
    assert (
        g5 == r"\nabla L(x) = A^\top \left(\operatorname{diag}(f(x)) - f(x) f(x)^\top\right) c(x)"
    )
    assert relation_to_latex(IDENTITIES["G1"][1]) == (
        r"\frac{\partial u(x)}{\partial x_{i}} = u(x) \circ A_{*,i}"
    )
    assert "+ -" not in relation_to_latex(IDENTITIES["G6'"][1])


def test_inequalities_and_jupyter_reprs():
    rel = Relation(M.Norm("2", M.F(A, x) - M.F(A, y)), "<=", M.R / 2 * M.Norm("2", x - y))
    assert relation_to_latex(rel) == r"\|f(x) - f(y)\|_2 \le \frac{R \|x - y\|_2}{2}"
    assert rel._repr_latex_().startswith("$\\displaystyle")
    st = Statement("s1", "sharp", rel, hypotheses=(Relation(M.Norm("op", A), "<=", M.R),))
    assert r"\|A\| \le R" in st._repr_latex_()


def test_plain_text_in_the_papers_notation():
    from softproof.derivations.catalogue import get
    from softproof.derivations.printing import relation_to_text, to_text

    assert relation_to_text(get("G4").claim) == "jac_x f(x) = (diag(f(x)) - f(x) f(x)^T) A"
    assert to_text(M.U(M.At, M.x)) == "u_At(x)"
    assert to_text(M.Dot(M.F(M.A, M.x), M.b)) == "<f(x), b>"


def test_claim_text_is_what_check_prints():
    from softproof.derivations import catalogue
    from softproof.derivations.printing import claim_text

    p4 = catalogue.get("P4")
    assert claim_text(p4) == p4.claim_text
    bare = dataclasses.replace(p4, claim_text="")
    assert claim_text(bare).startswith("||f(x) - f(y)||_2 <= ")
    assert "Norm(" not in claim_text(bare)


def test_witness_file_claim_in_the_papers_notation(tmp_path):
    import json

    from softproof.derivations import catalogue
    from softproof.numeric.instance import save_witness

    s1 = catalogue.get("S1")
    doc = json.loads(save_witness(tmp_path / "w.json", s1, {"t": 0.1}, None).read_text())
    assert doc["claim"] == s1.claim_text
    assert all("Norm(" not in h for h in doc["hypotheses"])


def test_certify_prints_the_claim_as_check_does(capsys):
    from softproof.cli import main
    from softproof.derivations import catalogue

    code = main(["certify", "S1", "--n", "2", "--d", "1", "--radius", "1", "--budget", "20"])
    out = capsys.readouterr().out
    assert code in (0, 3)
    assert out.startswith(f"S1: {catalogue.get('S1').claim_text}\n")
    assert "Norm(" not in out


def test_hyperbolic_functions_and_defined_objects_print_with_their_names():
    assert to_latex(M.Entrywise("cosh", A * x)) == r"\cosh(A x)"
    assert to_latex(M.Entrywise("sinh", A * x)) == r"\sinh(A x)"
    assert to_latex(M.Entrywise("tanh", A * x)) == r"\tanh(A x)"
    u = M.defined("u", M.Entrywise("cosh", A * x), (x,))
    alpha = M.defined("alpha", M.Dot(u, M.ones(M.n)), (x,))
    assert to_latex(alpha) == r"\alpha(x)" and to_latex(u) == "u(x)"
    assert to_latex(M.defined("M", M.n * sp.cosh(1))) == "M"
    assert to_latex(M.defined("g", M.Dot(At * y, b), (At, y))) == r"g(\tilde{A}, y)"
