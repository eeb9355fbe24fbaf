"""Exported LaTeX: every document compiles without a line running off the page,
and what Jupyter shows (``_repr_latex_``) uses only what MathJax renders."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from softproof.derivations import catalogue, chains, sharp
from softproof.derivations.derivation import Derivation, Step, gradient_hessian_chain
from softproof.derivations.printing import relation_to_latex, split_latex, visible_width

OVERFULL = re.compile(r"Overfull \\hbox \((\d+(?:\.\d+)?)pt too wide\)[^\n]*")


def _identity_document(statement) -> str:
    """The report's one-step document of a proved identity (its own function when
    the report module has it)."""
    try:
        from softproof.report import _identity_document as report_identity
    except ImportError:  # pragma: no cover - the report module changed
        step = Step(statement.id, statement.title, statement.claim, "SymPy, exact")
        return Derivation(f"{statement.id}: {statement.title}", [step]).to_document()
    return report_identity(statement)


def _documents() -> dict[str, str]:
    """Every exported ``.tex``, as the commands and the report write them."""
    docs = {}
    for name in ("gradient", "hessian", "chain"):
        docs[f"derive-{name}"] = Derivation.named(name).prove(("symbolic",)).to_document()
    docs["derivation"] = gradient_hessian_chain().to_document()
    # softproof prove ID --latex, for every entry with a chain: one document each
    # in the CLI; here all in one document (the same blocks), plus one single one
    every = [chains.chain(sid) for sid in chains.ids()]
    docs["prove-all"] = chains.to_document(every, title="Proof chains")
    docs["prove-sharp"] = chains.to_document(
        [sharp.sharp_chain(sid) for sid in sorted(sharp._SHARP)], title="Sharp chains"
    )
    p4 = catalogue.get("P4")
    docs["report-chain-P4"] = chains.to_document([chains.chain("P4")], title=f"P4: {p4.title}")
    for s in catalogue.all_entries():
        if s.claim.op == "==" and s.id.startswith(("G6", "G5", "T")):
            docs[f"report-identity-{s.id}"] = _identity_document(s)
    return docs


def _compile(tmp_path: Path, name: str, text: str) -> str:
    (tmp_path / f"{name}.tex").write_text(text)
    run = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    log = (tmp_path / f"{name}.log").read_text(errors="replace")
    assert run.returncode == 0, f"{name}.tex does not compile:\n{run.stdout[-1500:]}"
    return log


def overfull_boxes(log: str, tolerance: float = 1.0) -> list[str]:
    """The ``Overfull \\hbox`` messages of a pdflatex log wider than ``tolerance`` pt."""
    return [m.group(0) for m in OVERFULL.finditer(log) if float(m.group(1)) > tolerance]


needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex")


@pytest.mark.latex
@needs_pdflatex
def test_every_exported_document_fits_the_page(tmp_path):
    problems = []
    for name, text in _documents().items():
        problems += [f"{name}.tex: {box}" for box in overfull_boxes(_compile(tmp_path, name, text))]
    assert not problems, "lines run off the page:\n" + "\n".join(problems)


@pytest.mark.latex
@needs_pdflatex
def test_overfull_check_catches_a_formula_printed_on_one_line(tmp_path):
    """The check above fails on the unbroken G6' (as exported before line breaking)."""
    g6p = catalogue.get("G6p")
    text = "\n".join(
        [
            r"\documentclass[10pt]{article}",
            r"\usepackage{amsmath,amssymb}",
            r"\begin{document}",
            r"\begin{align*}",
            relation_to_latex(g6p.claim),
            r"\end{align*}",
            r"\end{document}",
        ]
    )
    assert overfull_boxes(_compile(tmp_path, "one-line", text))


def test_long_sums_are_broken_to_the_width():
    g6 = catalogue.get("G6").claim.rhs
    lines = split_latex(g6, 50)
    assert len(lines) > 2
    assert max(visible_width(line) for line in lines) <= 60
    assert lines[0].count(r"\bigl(") == 1 and lines[-1].count(r"\bigr)") == 1
    assert all(line.count("{") == line.count("}") for line in lines)
    assert split_latex(catalogue.get("E2").claim.rhs) == [
        relation_to_latex(catalogue.get("E2").claim).split(r" \le ")[1]
    ]


# --------------------------------------------------------------------------
# MathJax
# --------------------------------------------------------------------------
MATHJAX_ENVIRONMENTS = {"align*", "aligned", "gathered", "split", "cases", "matrix", "pmatrix"}
#: commands of MathJax's default TeX input (base and ams) that the printers use
MATHJAX_COMMANDS = set(
    r"""\text \textbf \displaystyle \scriptstyle \quad \qquad \, \; \! \ \\ \&
    \left \right \bigl \bigr \Bigl \Bigr \langle \rangle \lvert \rvert \vert \| \{ \}
    \frac \tfrac \sqrt \sum \prod \sup \inf \max \min \exp \log \operatorname \mathbf
    \mathbb \tilde \hat \top \circ \cdot \times \nabla \partial \le \ge \leq \geq \ne
    \infty \mapsto \to \in \alpha \beta \gamma \delta \eta \sigma \theta \lambda \mu
    \backslash \sim \_ \% \$ \# \begin \end \mathrm \ldots \cdots \dots \star \pm
    \mp \lceil \rceil \lfloor \rfloor \min \det \operatorname \limits \phantom""".split()
)


def mathjax_problems(tex: str) -> list[str]:
    """What MathJax (default TeX input) would not render in ``tex``."""
    out = []
    for env in re.findall(r"\\(?:begin|end)\{([^}]*)\}", tex):
        if env not in MATHJAX_ENVIRONMENTS:
            out.append(f"environment {env}")
    for cmd in re.findall(r"\\(?:[A-Za-z]+|.)", tex):
        if cmd not in MATHJAX_COMMANDS:
            out.append(f"command {cmd}")
    for body in re.findall(r"\\text(?:bf)?\{([^{}]*)\}", tex):
        if "\\" in body or "$" in body:  # MathJax shows text-mode macros literally
            out.append(f"text-mode markup in \\text{{{body}}}")
    return sorted(set(out))


def _jupyter_outputs() -> dict[str, str]:
    out = {f"statement {s.id}": s._repr_latex_() for s in catalogue.all_entries()}
    for name in ("gradient", "hessian", "chain"):
        out[f"derivation {name}"] = Derivation.named(name).prove(("symbolic",))._repr_latex_()
    for sid in chains.ids():
        out[f"chain {sid}"] = chains.chain(sid)._repr_latex_()
    return out


def test_jupyter_output_renders_in_mathjax():
    problems = [
        f"{name}: {p}" for name, tex in _jupyter_outputs().items() for p in mathjax_problems(tex)
    ]
    assert not problems, "\n".join(problems[:40])


def test_mathjax_check_catches_text_mode_markup():
    old = r"\begin{align*}\intertext{\textbf{G5}: a \textless{} b} x &= y\end{align*}"
    found = mathjax_problems(old)
    assert "command \\intertext" in found and "command \\textless" in found
    assert mathjax_problems(r"\begin{multline*} x \end{multline*}") == ["environment multline*"]


def test_headings_in_the_papers_notation():
    p4 = catalogue.get("P4")
    doc = chains.to_document([chains.chain("P4")], title=f"P4: {p4.title}")
    assert "P4: P4" not in doc and p4.title not in doc
    assert relation_to_latex(p4.claim) in doc
    every = chains.to_document([chains.chain(sid) for sid in chains.ids()])
    assert "prove_identity" not in every and "identity prover" in every
    g6 = catalogue.get("G6")
    ident = _identity_document(g6)
    assert g6.title not in ident and r"\nabla^2 L(x)" in ident
