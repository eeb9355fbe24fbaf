"""The lemma report as a LaTeX document for people (``report.tex`` -> ``report.pdf``).

The document reads like an appendix: the setting, a table of every catalogue entry
(its claim in the paper's notation, the verdict, the kind of evidence, the worst
ratio the search reached, the time), the certification runs with their domains,
the constants table, every proof chain and the derivation (the bodies of the
``chains/*.tex`` and ``derivation.tex`` files the report writes), and the plots.

Only packages of ``texlive-latex-base`` are used: geometry, amsmath/amssymb,
array, longtable, graphicx, hyperref.  Long claims sit in paragraph columns as
separate formulas (claim, then each hypothesis), so they break between formulas
instead of running off the page.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["to_latex", "compile_pdf", "plural", "overfull_boxes", "PDFLATEX_TIMEOUT"]

#: seconds one pdflatex pass may take
PDFLATEX_TIMEOUT = 120.0

_VERDICT = {
    "proved": "proved",
    "certified": "certified",
    "violated": "VIOLATED",
    "searched": "searched",
    "undecided": "undecided",
}

_IF = r"\ \text{if}\ "


def plural(k: int, word: str, many: str | None = None) -> str:
    """``1 box``, ``2 boxes``, ``0 instances``."""
    if k == 1:
        return f"{k} {word}"
    if many is None:
        many = word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")
    return f"{k:,} {many}".replace(",", "{,}")


def text(s: str) -> str:
    """Plain text escaped for LaTeX (:func:`softproof.derivations.derivation.tex_text`)."""
    from softproof.derivations.derivation import tex_text

    return tex_text(str(s))


def number(v: Any, digits: int = 3) -> str:
    """A number in math: ``5.69 \\times 10^{70}``; '' for none; -- for non-finite."""
    if v is None:
        return ""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return text(str(v))
    if not math.isfinite(f):
        return "--"
    if f == 0:
        return "$0$"
    e = math.floor(math.log10(abs(f)))
    if -3 <= e <= 4:
        return f"${f:.{digits}g}$"
    m = f / 10**e
    if round(m, digits - 1) >= 10:
        m, e = m / 10, e + 1
    return rf"${m:.{digits - 1}f} \times 10^{{{e}}}$"


def ratio(r: float | None) -> str:
    """A worst ratio with the digits that show its slack (as in the Markdown)."""
    from softproof.report import _fmt_ratio

    s = _fmt_ratio(r)
    if not s:
        return "--"
    if r is not None and 0 < abs(1 - r) < 1e-4:  # the slack is what matters
        m, _, e = f"{abs(1 - r):.3e}".partition("e")
        sign = "-" if r < 1 else "+"
        return rf"$1 {sign} {float(m):.3g} \times 10^{{{int(e)}}}$"
    if "e" in s:
        m, e = s.split("e")
        return rf"${m} \times 10^{{{int(e)}}}$"
    return f"${s}$"


def breakable(latex: str) -> str:
    r"""The formula with ``\left``/``\right`` dropped (plain delimiters), so TeX may
    break a long formula after any binary operator or relation, at any depth of
    parentheses (inside ``\left ... \right`` it may not)."""
    latex = re.sub(r"\\(left|right)\.", "", latex)
    return re.sub(r"\\(left|right)(?![a-zA-Z])", "", latex)


def visible_width(latex: str) -> int:
    """A rough width of a formula in characters (commands count as one, sub- and
    superscripts count, braces and spacing do not; a fraction counts fully)."""
    s = re.sub(r"\\operatorname\{(\w+)\}", r"\1", latex)
    s = re.sub(r"\\(left|right)(?![a-zA-Z])", "", s)
    s = re.sub(r"\\(quad|qquad|;|,|!|:| )", "", s)
    s = re.sub(r"\\[a-zA-Z]+", "x", s)
    s = re.sub(r"[{}^_&\s\\]", "", s)
    return len(s) + 2 * len(re.findall(r"[=+<>-]", latex))


def _split_terms(expr: str) -> list[str]:
    """``expr`` cut before each `` + `` / `` - `` outside braces (the pieces keep their
    sign)."""
    pieces, depth, start, i = [], 0, 0, 0
    while i < len(expr):
        ch = expr[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0 and expr.startswith((" + ", " - "), i) and i > start:
            pieces.append(expr[start:i])
            start = i + 1
        i += 1
    pieces.append(expr[start:])
    return [p.strip() for p in pieces if p.strip()]


#: the widest row (:func:`visible_width`) the included align* blocks keep on one line
ALIGN_WIDTH = 72

_ALIGN = re.compile(r"\\begin\{align\*\}\n(.*?)\\end\{align\*\}", re.S)


def _pack(expr: str, width: int) -> list[str]:
    """``expr`` (delimiters made plain) in lines of about ``width`` characters."""
    lines: list[str] = []
    cur = ""
    for piece in _split_terms(breakable(expr)):
        if cur and visible_width(cur + piece) > width:
            lines.append(cur)
            cur = piece
        else:
            cur = f"{cur} {piece}" if cur else piece
    lines.append(cur)
    return lines


def wrap_align(body: str, width: int = ALIGN_WIDTH) -> str:
    r"""Rows of the ``align*`` blocks in ``body`` wider than ``width`` cut into several
    rows at top-level ``+``/``-`` (delimiters made plain, so a cut may fall inside
    parentheses); other rows unchanged."""

    def wrap_row(row: str) -> str:
        stripped = row.strip()
        if (
            not stripped
            or stripped.startswith(r"\intertext")
            or "&" not in stripped
            or visible_width(stripped) <= width
        ):
            return row
        left, _, right = stripped.partition("&")
        lines = _pack(right, width)
        if visible_width(left) <= width // 3:
            rows = [f"{breakable(left)}& {lines[0]}"]
        else:  # a long left side: its own rows, then the relation
            head = _pack(left, width)
            rows = [f"& {head[0]}"] + [rf"&\qquad {ln}" for ln in head[1:]] + [f"& {lines[0]}"]
        rows += [rf"&\qquad {ln}" for ln in lines[1:]]
        return " \\\\\n".join(rows)

    def wrap_line(line: str) -> str:
        core = line.rstrip()
        end = core.endswith("\\\\")
        core = core[:-2] if end else core
        return wrap_row(core) + (" \\\\" if end else "")

    def wrap_block(m: re.Match[str]) -> str:
        lines = m.group(1).split("\n")
        return "\\begin{align*}\n" + "\n".join(map(wrap_line, lines)) + "\\end{align*}"

    return _ALIGN.sub(wrap_block, body)


def _claim_cell(claim: str) -> str:
    """The claim as a display-style formula, then each hypothesis as its own formula
    (so the cell breaks between formulas)."""
    if not claim:
        return r"\emph{(not printable)}"
    main, _, hyps = claim.partition(_IF)
    cell = r"$\displaystyle " + breakable(main) + "$"
    if hyps:
        parts = [breakable(h) for h in hyps.split(r",\ ") if h]
        cell += (
            r"\newline{\footnotesize if " + r", \allowbreak ".join(f"${h}$" for h in parts) + "}"
        )
    return cell


def _level(evidence: str) -> str:
    m = re.search(r"\b(for symbolic n, d|for every n, d|symbolic n, d|at n=\d+, d=\d+)", evidence)
    if not m:
        return ""
    s = m.group(1)
    return s if s.startswith(("for", "at")) else "for " + s


def evidence_kind(e: Any) -> str:
    """The kind of evidence behind the verdict, in a few words."""
    v = e.verdict
    if v == "proved":
        how = "machine-checked chain" if "chain" in e.precision else "SymPy identity proof"
        lvl = _level(e.evidence)
        return text(how) + (", " + _math_sizes(lvl) if lvl else "")
    if v == "violated":
        s = "counterexample confirmed"
        if e.precision:
            s += f" ({e.precision})"
        s = text(s)
        if e.witness_file:
            path = text(e.witness_file).replace("/", r"/\allowbreak{}")
            path = path.replace("-", r"-\allowbreak{}")
            s += r"; witness \texttt{" + path + "}"
        return s
    if v == "certified":
        m = re.search(r"certified on (\{.*?\})", e.evidence)
        dom = _domain(m.group(1)) if m else ""
        return "branch and bound in Arb balls" + (f" on {dom}" if dom else "")
    if v == "searched":
        return text(f"search only: no violation in {plural(e.instances, 'instance')}; not a proof")
    first = re.split(r"(?<=[.;])\s", e.evidence, maxsplit=1)[0]
    if len(first) > 140:
        first = first[:140].rsplit(" ", 1)[0] + " ..."
    return text(first) + " (in full in report.md)"


def _math_sizes(s: str) -> str:
    """``for symbolic n, d`` / ``at n=6, d=3`` with the sizes as math."""
    s = text(s).replace("symbolic n, d", "symbolic $n, d$")
    return re.sub(r"\b([nd])=(\d+)", r"$\1 = \2$", s)


def _split_top(s: str) -> list[str]:
    """Split at commas outside brackets."""
    parts, depth, cur = [], 0, ""
    for ch in s:
        if ch in "[({":
            depth += 1
        elif ch in "])}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    return parts


def _frac(s: str) -> str:
    m = re.fullmatch(r"\s*(-?)(\d+)/(\d+)\s*", s)
    if m:
        return rf"{m.group(1)}\tfrac{{{m.group(2)}}}{{{m.group(3)}}}"
    return s.strip()


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "sigma", "tau", "lambda", "mu"}


def _domain(dom: str) -> str:
    """``{A in [-4, 4], x in [-4, 4], n=2, d=1}`` as math: ``$A \\in [-4, 4]$, ...``
    (the sizes are dropped: the tables state them)."""
    inner = dom.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1]
    out = []
    for part in _split_top(inner):
        m = re.fullmatch(r"(\w+) in \[(.*)\]", part)
        if m:
            lo, _, hi = m.group(2).partition(",")
            out.append(rf"${m.group(1)} \in [{_frac(lo)}, {_frac(hi)}]$")
        elif re.fullmatch(r"[nd]=\d+", part):
            continue
        elif m := re.fullmatch(r"([A-Za-z]\w*)=([-\w.()/*+ ]+)", part):
            name, value = m.group(1), m.group(2).strip()
            if name in _GREEK:
                name = "\\" + name
            value = re.sub(r"^exp\((.*)\)$", r"e^{\1}", value)
            out.append(f"${name} = {value}$")
        else:
            out.append(text(part))
    return ", ".join(out) if out else text(dom)


def _body(path: Path) -> tuple[str, str]:
    """The title and the body of a standalone document the report wrote, with its
    title block and the repeated notation paragraph removed, sections demoted."""
    doc = path.read_text(encoding="utf-8")
    m = re.search(r"\\title\{(.*)\}", doc)
    title = m.group(1) if m else path.stem
    start, end = doc.find(r"\begin{document}"), doc.rfind(r"\end{document}")
    body = doc[start + len(r"\begin{document}") : end] if start >= 0 and end > start else doc
    body = body.replace(r"\maketitle", "")
    body = re.sub(r"(?m)^Notation of arXiv.*$", "", body)
    body = re.sub(r"(?m)^\\section\*\{.*\}\s*$", "", body)  # the caller titles it
    return title, wrap_align(body.strip())


def _preamble_lines(paths: list[Path]) -> list[str]:
    """Package and macro lines the included documents need beyond ours."""
    ours = {"amsmath", "amssymb", "amsfonts"}
    extra: list[str] = []
    for p in paths:
        doc = p.read_text(encoding="utf-8")
        pre = doc.split(r"\begin{document}", 1)[0]
        for line in pre.splitlines():
            line = line.strip()
            m = re.fullmatch(r"\\usepackage(\[[^]]*\])?\{([^}]*)\}", line)
            if m:
                for pkg in m.group(2).split(","):
                    pkg = pkg.strip()
                    if pkg not in ours:
                        ours.add(pkg)
                        extra.append(rf"\usepackage{m.group(1) or ''}{{{pkg}}}")
            elif line.startswith((r"\newcommand", r"\DeclareMathOperator", r"\def")):
                if line not in extra:
                    extra.append(line)
    return extra


SETTING = (
    r"We follow the notation of Li, Song, Xia, Yu and Zhou, \emph{The Closeness of "
    r"In-Context Learning and Weight Shifting for Softmax Regression} (arXiv:2304.13276). "
    r"For $A \in \mathbb{R}^{n\times d}$, $x \in \mathbb{R}^d$ and $b \in \mathbb{R}^n$ "
    r"let $u(x) = \exp(Ax)$ (entrywise), $\alpha(x) = \langle u(x), \mathbf{1}_n\rangle$, "
    r"$f(x) = \alpha(x)^{-1} u(x)$, $c(x) = f(x) - b$ and "
    r"$L(x) = \tfrac12\|c(x)\|_2^2$, the softmax regression loss. $\|A\|$ is the "
    r"spectral norm, $\beta$ a lower bound on $\alpha$ (the paper takes "
    r"$\beta = e^{-R^2}$), $R$ a bound on $\|A\|$, $\|x\|_2$ and $\|y\|_2$. "
    r"Each lemma of the paper, and each sharper constant we prove, is an entry of a "
    r"catalogue; the seeded mutants are deliberately false variants (e.g.\ a constant "
    r"scaled by $0.99$) that the checks must refute."
)

VERDICTS = (
    r"\begin{description}"
    r"\item[proved] a symbolic proof at the level stated (SymPy, for symbolic $n, d$ "
    r"or at an explicit size), or a machine-checked proof chain whose every step is an "
    r"identity proved by SymPy or an instance of a checked rule;"
    r"\item[certified] branch and bound in ball arithmetic (Arb) covering the stated "
    r"domain, accepted by an independent certificate checker;"
    r"\item[VIOLATED] a counterexample confirmed rigorously on the exact witness "
    r"(Arb balls, cross-checked in mpmath), never a floating-point artefact;"
    r"\item[searched] no violation found by random screening, an adversarial optimiser "
    r"(exact gradients, projections onto the hypothesis sets) and Hypothesis; this is not a proof;"
    r"\item[undecided] none of the above could be reached."
    r"\end{description}"
    r"The \emph{worst ratio} is the largest $\mathrm{LHS}/\mathrm{RHS}$ the search "
    r"reached (for identities, the largest relative difference over the tolerance); "
    r"a true bound has worst ratio at most $1$, and a ratio close to $1$ says the "
    r"constant is nearly sharp."
)


def _summary(report: Any) -> str:
    counts: dict[str, int] = {}
    for e in report.entries:
        counts[e.verdict] = counts.get(e.verdict, 0) + 1
    order = ["proved", "certified", "violated", "searched", "undecided"]
    keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    parts = [f"{counts[k]} {text(_VERDICT.get(k, k))}" for k in keys]
    n = len(report.entries)
    what = ("catalogue entry", "catalogue entries") if _default(report) else ("statement", None)
    s = (
        f"The report checks {plural(n, *what)}: "
        + ", ".join(parts)
        + f" (in {report.seconds:.0f}\\,s"
        + f" with a search budget of {report.settings.get('budget_per_entry_s', '?')}\\,s"
        + " per entry)."
    )
    bad = report.unexpected
    if bad:
        what = ", ".join(
            f"{e.id} ({'a seeded mutant' if e.expected is False else 'a true entry'}, "
            f"{_VERDICT.get(e.verdict, e.verdict)})"
            for e in bad
        )
        s += r" \textbf{Unexpected verdicts:} " + text(what) + "."
    else:
        mutants = sum(1 for e in report.entries if e.expected is False)
        s += " Every true entry holds as far as checked"
        if mutants == 1:
            s += ", and the seeded mutant is VIOLATED with a confirmed witness."
        elif mutants:
            s += f", and each of the {mutants} seeded mutants is VIOLATED with a confirmed witness."
        else:
            s += "."
    return s


def _default(report: Any) -> bool:
    """The report of the catalogue of arXiv:2304.13276 (not another pack)."""
    return bool(getattr(report, "is_default_pack", True))


def _setting(report: Any) -> str:
    """The setting paragraph: the catalogue's, or the pack's title, paper and
    description as plain text."""
    if _default(report):
        return SETTING
    info = report.pack
    head = info.get("title") or info["name"]
    if info.get("paper"):
        head += f" ({info['paper']})"
    body = text(head + ".")
    if info.get("description"):
        body += " " + text(info["description"])
    return body + (
        " Each statement of the pack is checked; a seeded mutant is a deliberately "
        "false variant that the checks must refute."
    )


def _entries_table(report: Any) -> list[str]:
    head = (
        r"\textbf{id} & \textbf{claim} & \textbf{verdict} & \textbf{evidence} & "
        r"\textbf{worst ratio} & \textbf{time} \\ \hline"
    )
    out = [
        r"{\small",
        r"\setlength{\tabcolsep}{3pt}",
        r"\begin{longtable}{@{}>{\raggedright}p{2.1cm}>{\raggedright}p{5.85cm}"
        r">{\raggedright}p{2cm}>{\raggedright}p{3.1cm}>{\raggedleft}p{2.05cm}"
        r">{\raggedleft\arraybackslash}p{0.75cm}@{}}",
        (r"\caption{Every catalogue entry" if _default(report) else r"\caption{Every statement")
        + r": its claim, the verdict and the evidence "
        r"behind it. Time in seconds.}\label{tab:entries} \\",
        r"\hline " + head,
        r"\endfirsthead",
        r"\hline " + head,
        r"\endhead",
        r"\hline",
        r"\endfoot",
    ]
    for e in report.entries:
        ident = r"{\footnotesize " + text(e.id) + "}"  # a roman font: breaks at hyphens
        if e.mutant_of or e.expected is False:
            of = f" of {e.mutant_of}" if e.mutant_of else ""
            ident += r"\newline{\footnotesize mutant" + text(of) + "}"
        verdict = _VERDICT.get(e.verdict, e.verdict)
        verdict = r"\textbf{" + text(verdict) + "}"
        out.append(
            f"{ident} & {_claim_cell(e.claim)} & {verdict} & "
            f"{{\\footnotesize {evidence_kind(e)}}} & {ratio(e.worst_ratio)} & "
            f"${e.seconds:.1f}$ \\\\[2pt]"
        )
    out += [r"\end{longtable}", "}"]
    return out


def _certifications(report: Any) -> list[str]:
    if not report.certifications:
        return []
    out = [
        r"\section{Certification runs}",
        "Branch and bound in Arb ball arithmetic on a bounded domain at fixed sizes "
        "$n, d$. A run certifies the claim only on the domain stated; a mutant's run "
        "is expected not to be certified.",
        r"{\small",
        r"\begin{longtable}{@{}>{\ttfamily}l r r >{\raggedright}p{7.2cm} l r "
        r">{\raggedleft\arraybackslash}p{1cm}@{}}",
        r"\caption{Certification runs with their stated domains.}\label{tab:cert} \\",
        r"\hline \textbf{\rmfamily id} & $n$ & $d$ & \textbf{domain} & \textbf{outcome} & "
        r"\textbf{boxes} & \textbf{time} \\ \hline",
        r"\endfirsthead",
        r"\hline \textbf{\rmfamily id} & $n$ & $d$ & \textbf{domain} & \textbf{outcome} & "
        r"\textbf{boxes} & \textbf{time} \\ \hline",
        r"\endhead",
        r"\hline",
        r"\endfoot",
    ]
    for c in report.certifications:
        outcome = _VERDICT.get(c.outcome, c.outcome)
        out.append(
            f"{text(c.id)} & {c.sizes.get('n', '')} & {c.sizes.get('d', '')} & "
            f"{_domain(c.domain) if c.domain else text(c.detail)} & {text(outcome)} & "
            f"{c.boxes} & ${c.seconds:.1f}$ \\\\"
        )
    out += [r"\end{longtable}", "}"]
    return out


def _constants(report: Any) -> list[str]:
    if not report.constants:
        return []
    out = [
        r"\section{Constants: the paper's, the best proved, the observed}",
        r"At $n = 7$, $R = 4$, $\beta = e^{-R^2}$. \emph{Proved}: the best constant with a "
        r"machine-checked chain (an upper bound on the true constant). \emph{Observed}: "
        r"the paper's constant times the worst ratio the search reached (a lower bound "
        r"on the true constant); empty where the entry was not searched in this report.",
        r"{\small",
        r"\setlength{\tabcolsep}{4pt}",
        r"\begin{longtable}{@{}>{\ttfamily}l >{\raggedright}p{3.3cm} r "
        r">{\raggedright}p{2.4cm} r r r@{}}",
        r"\caption{The paper's constants against the best proved and the observed.}"
        r"\label{tab:constants} \\",
        r"\hline \textbf{\rmfamily id} & \textbf{paper constant} & \textbf{value} & "
        r"\textbf{best proved} & \textbf{value} & \textbf{observed} & "
        r"\textbf{paper\,/\,proved} \\ \hline",
        r"\endfirsthead",
        r"\hline \textbf{\rmfamily id} & \textbf{paper constant} & \textbf{value} & "
        r"\textbf{best proved} & \textbf{value} & \textbf{observed} & "
        r"\textbf{paper\,/\,proved} \\ \hline",
        r"\endhead",
        r"\hline",
        r"\endfoot",
    ]
    for r in report.constants:
        paper_c = f"$\\displaystyle {r['paper_constant']}$" if r.get("paper_constant") else ""
        proved_c = f"$\\displaystyle {r['proved_constant']}$" if r.get("proved_constant") else ""
        out.append(
            f"{text(r['id'])} & {paper_c} & {number(r.get('paper'))} & {proved_c} & "
            f"{number(r.get('proved'))} & {number(r.get('observed'))} & "
            f"{number(r.get('paper_over_proved'))} \\\\[3pt]"
        )
    out += [r"\end{longtable}", "}"]
    return out


def _proofs(report: Any, folder: Path) -> list[str]:
    out: list[str] = []
    files = [(e, folder / e.chain_file) for e in report.entries if e.chain_file]
    files = [(e, p) for e, p in files if p.is_file()]
    if files:
        out += [
            r"\section{Proofs}",
            "Each proof below was checked by machine: a chain of (in)equalities whose "
            "every step is an identity proved by SymPy or an instance of a checked rule, "
            "or a symbolic identity proof at the level stated.",
        ]
        for e, p in files:
            _, body = _body(p)
            out += [
                rf"\subsection{{Proof of \texttt{{{text(e.id)}}}}}",
                body,
            ]
    if report.derivation_file and (folder / report.derivation_file).is_file():
        title, body = _body(folder / report.derivation_file)
        out += [
            r"\section{Derivation of the gradient and the Hessian}",
            f"{title}. Every derivative was derived by differentiating the definitions "
            "entrywise and proved equal to the paper's closed form exactly, at the level "
            r"stated; $A_{*,i}$ is column $i$ of $A$ and $\circ$ the entrywise product.",
            body,
        ]
    return out


def _figures(report: Any, folder: Path) -> list[str]:
    out: list[str] = []
    figs = [(t, p) for t, p in report.plots.items() if (folder / p).is_file()]
    if not figs:
        return out
    out.append(r"\section{Plots}")
    for title, path in figs:
        label = Path(path).stem
        width = r"\linewidth" if _aspect(folder / path) > 2 else r"0.72\linewidth"
        out += [
            r"\begin{figure}[tbp]",
            r"\centering",
            rf"\includegraphics[width={width}]{{{path}}}",
            rf"\caption{{{_caption(title.rstrip('.'))}.}}\label{{fig:{label}}}",
            r"\end{figure}",
        ]
    return out


def _aspect(png: Path) -> float:
    """Width over height of a PNG (from its header), 1.5 if unreadable."""
    try:
        head = png.read_bytes()[:24]
        w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
        return w / h if h else 1.5
    except OSError:
        return 1.5


def _caption(title: str) -> str:
    """A plot's title (plain text with optional ``$...$`` math) for a caption."""
    parts = title.split("$")
    if len(parts) % 2 == 0:  # an unpaired $: all text
        return text(title)
    return "".join(f"${p}$" if i % 2 else text(p) for i, p in enumerate(parts))


_SETTINGS = {
    "budget_per_entry_s": ("search budget per entry", "s"),
    "certify_budget_s": ("budget per certification run", "s"),
    "seed": ("random seed", ""),
}


def _settings(settings: dict[str, Any]) -> str:
    parts = []
    for k, v in settings.items():
        name, unit = _SETTINGS.get(k, (k.replace("_", " "), ""))
        parts.append(
            text(f"{name} {v:g}" if isinstance(v, float) else f"{name} {v}")
            + (rf"\,{unit}" if unit else "")
        )
    joined = ", ".join(parts)
    return joined[:1].upper() + joined[1:] if joined else "None"


def to_latex(report: Any, folder: Path) -> str:
    """``report.tex``: the report as a standalone document (texlive-latex-base only);
    ``folder`` is the report folder, whose chains, derivation and plots it includes."""
    from softproof import __version__

    folder = Path(folder)
    included = [folder / e.chain_file for e in report.entries if e.chain_file]
    if report.derivation_file:
        included.append(folder / report.derivation_file)
    included = [p for p in included if p.is_file()]
    if _default(report):
        title = (
            r"\title{Machine-checked lemmas of arXiv:2304.13276\\[2pt]"
            r"\large softmax regression: verdicts, constants and proofs}"
        )
    else:
        info = report.pack
        paper = text(info.get("paper") or info["name"])
        title = (
            rf"\title{{Machine-checked statements of {paper}\\[2pt]"
            rf"\large {text(info.get('title') or info['name'])}: verdicts and proofs}}"
        )
    lines = [
        r"\documentclass[10pt,a4paper]{article}",
        r"\usepackage[margin=2cm]{geometry}",
        r"\usepackage{amsmath,amssymb,amsfonts}",
        r"\usepackage{array,longtable,graphicx}",
        *_preamble_lines(included),
        r"\usepackage[hidelinks]{hyperref}",
        r"\allowdisplaybreaks",
        r"\emergencystretch=2em",
        title,
        rf"\author{{softproof {text(__version__)}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        r"\section{Setting}",
        _setting(report),
        "",
        _summary(report),
        "",
        r"\paragraph{Verdicts.} Each verdict names the kind of evidence behind it:",
        VERDICTS,
        r"\section{The catalogue}" if _default(report) else r"\section{The statements}",
        *_entries_table(report),
        *_certifications(report),
        *_constants(report),
        *_figures(report, folder),
        r"\clearpage",
        *_proofs(report, folder),
        "",
        r"\paragraph{Settings.} " + _settings(report.settings) + ".",
        r"\end{document}",
        "",
    ]
    return "\n".join(lines)


def overfull_boxes(log: str, tolerance_pt: float = 1.0) -> list[str]:
    """The ``Overfull \\hbox`` lines of a LaTeX log wider than ``tolerance_pt``."""
    found = []
    for m in re.finditer(r"Overfull \\hbox \(([\d.]+)pt too wide\)[^\n]*", log):
        if float(m.group(1)) > tolerance_pt:
            found.append(m.group(0))
    return found


def compile_pdf(folder: Path, name: str = "report") -> tuple[bool, str, str]:
    """Compile ``folder/name.tex`` to ``folder/name.pdf`` with pdflatex (two passes,
    for the tables' widths and references), in a scratch folder so no auxiliary file
    lands in the report.  Returns (ok, one-line message, the last pass's log).
    Never raises for a LaTeX failure; a missing pdflatex is (False, message, '')."""
    folder = Path(folder)
    exe = shutil.which("pdflatex")
    if exe is None:
        return False, "pdflatex is not on PATH: report.pdf not built (report.tex written)", ""
    log = ""
    with tempfile.TemporaryDirectory(prefix="softproof-tex-") as tmp:
        env = dict(os.environ, TEXINPUTS=f"{folder}{os.pathsep}", openout_any="p")
        for _ in range(2):
            try:
                proc = subprocess.run(
                    [
                        exe,
                        "-interaction=nonstopmode",
                        "-halt-on-error",
                        "-no-shell-escape",
                        f"-output-directory={tmp}",
                        f"{name}.tex",
                    ],
                    cwd=folder,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=PDFLATEX_TIMEOUT,
                )
            except subprocess.TimeoutExpired:
                return False, f"pdflatex took over {PDFLATEX_TIMEOUT:g} s: stopped", log
            except OSError as exc:
                return False, f"pdflatex could not run: {exc}", log
            logfile = Path(tmp) / f"{name}.log"
            log = (
                logfile.read_text(encoding="latin-1")
                if logfile.is_file()
                else proc.stdout.decode("latin-1", "replace")
            )
            pdf = Path(tmp) / f"{name}.pdf"
            if proc.returncode != 0 or not pdf.is_file():
                err = next((ln for ln in log.splitlines() if ln.startswith("!")), "")
                return (
                    False,
                    f"pdflatex failed (exit {proc.returncode}){': ' + err if err else ''}",
                    log,
                )
        shutil.copyfile(pdf, folder / f"{name}.pdf")
    return True, f"{name}.pdf written", log
