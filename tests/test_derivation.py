"""Derivations: steps, proof levels, LaTeX output."""

import shutil
import subprocess

import pytest

from softproof.derivations.derivation import Derivation, tex_text, write_atomic


@pytest.fixture(scope="module")
def gradient():
    return Derivation.gradient().prove(("symbolic", ("explicit", 2, 2)))


def test_gradient_chain_is_proved_at_both_levels(gradient):
    assert gradient.proved and not gradient.refuted
    text = gradient.summary()
    assert "proved for symbolic n, d" in text and "proved at n=2, d=2" in text
    assert [s.ident for s in gradient.steps] == ["D5", "chain", "G4", "G5", "G5"]


def test_align_fragment_states_justification_and_level(gradient):
    tex = gradient.to_align()
    assert tex.startswith("\\begin{align*}") and tex.endswith("\\end{align*}")
    assert r"\text{proved for symbolic }n, d" in tex
    assert r"\text{proved at }n=2,\ d=2" in tex
    assert r"\nabla L(x) &= A^\top" in tex
    assert gradient._repr_latex_() == tex


def test_unproved_derivation_says_so():
    d = Derivation.chain()
    assert not d.proved
    assert "Not checked" in d.to_align()


@pytest.mark.latex
def test_standalone_document_compiles(gradient, tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    hess = Derivation.hessian().prove(("symbolic",))
    for name, der in [("gradient", gradient), ("hessian", hess)]:
        path = der.write(tmp_path / f"{name}.tex")
        run = subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", path.name],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert run.returncode == 0, run.stdout[-2000:]
        assert (tmp_path / f"{name}.pdf").stat().st_size > 1000


def test_write_atomic_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "x.tex"
    write_atomic(target, "hello")
    assert target.read_text() == "hello"
    with pytest.raises(OSError):
        write_atomic(tmp_path / "missing" / "y.tex", "text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.tex"]


def test_tex_text_escapes():
    assert tex_text("grad_L & 50%") == r"grad\_L \& 50\%"


def test_unknown_derivation_name():
    with pytest.raises(ValueError, match="unknown derivation"):
        Derivation.named("jacobian")
