"""Machine-checked proof chains for the catalogue's inequalities, as data.

A :class:`Chain` starts from an expression ``e_0`` and lists steps; step ``k``
gives the next expression ``e_{k}`` and a justification of a relation
``old (<=|==) new`` between two subterms.  The step is checked by:

1. re-checking the justification (a rule of :mod:`softproof.derivations.rules`, a
   hypothesis, a cited proved chain with a substitution, or a sub-chain);
2. checking ``e_{k-1} = C[old]`` and ``e_k = C[new]`` for a context ``C``
   (every occurrence of ``old``, or the positions marked by ``HOLE`` in ``at``);
3. checking that ``C`` is nondecreasing in the hole when ``old <= new`` was
   justified (nonincreasing when ``new <= old``), so that ``e_{k-1} <= e_k``.

The chain concludes ``e_0 <= e_K`` (``==`` if every step is an identity).
:meth:`Chain.check` re-checks every step, collects the facts assumed, and
compares with the catalogue statement: the conclusion must be the claim up to
SymPy algebra, or a stronger one (``lhs <= K1 D`` for a claimed ``lhs <= K2 D``
with ``K1 <= K2`` decided exactly for all ``n >= 1``, ``R >= 4``), and every
assumption must be one of the statement's hypotheses (``<`` gives ``<=``).

The catalogue's chains are data: the ``proof`` written in each statement file of
the pack ``catalogue/2304.13276/`` (:mod:`proofs` parses it with the grammar of
user files).  :func:`chain` reads the proof of an entry (E1-E5, P1-P4, Q1-Q4,
T1-T3, S1-S3, ...) or of a helper lemma of the pack (``E5-general``,
``E3-upper-R-A-x``, the sharper chains ``P1-sharp`` ... of :mod:`sharp`) on first
use, once; this module keeps the machinery: justifications, steps, the checker,
the comparison with a statement and the LaTeX export.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import sympy as sp
from sympy import MatrixSymbol

from . import model
from . import rules as rl
from .model import Diag, Dot, Norm, R, n, ones, outer
from .rules import HOLE, StepCheck, Sup, SupUnit, exact, same
from .statement import Relation, Statement

__all__ = [
    "Hyp",
    "By",
    "Cite",
    "SubChain",
    "Step",
    "Chain",
    "StepResult",
    "ChainResult",
    "CHAINS",
    "chain",
    "ids",
    "lemma_ids",
    "e5_general",
    "proved_entries",
    "to_latex",
    "to_document",
]


# --------------------------------------------------------------------------
# Justifications
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Established:
    """What a justification established: ``relation``, with which checks, on
    which assumptions."""

    relation: Relation | None
    checks: tuple[StepCheck, ...]
    assumes: tuple[Relation, ...] = ()

    @property
    def ok(self) -> bool:
        return self.relation is not None and all(c.ok for c in self.checks)


@dataclass(frozen=True)
class Hyp:
    """A hypothesis ``relation`` (of the statement being proved)."""

    relation: Relation

    def establish(self, old, new) -> Established:
        chk = StepCheck(True, "hypothesis", str(self.relation), level="symbolic")
        return Established(self.relation, (chk,), (self.relation,))

    def describe(self) -> str:
        return "hypothesis"


@dataclass(frozen=True)
class By:
    """A rule of :mod:`softproof.derivations.rules` applied to ``old`` and ``new`` (the
    whole previous and next expressions unless given); ``args`` are passed to
    the rule.  ``lemma`` (a chain) supplies the scalar lemma of
    ``entrywise_lemma``; ``discharge`` proves facts the rule assumes."""

    rule: str
    old: sp.Basic | None = None
    new: sp.Basic | None = None
    args: tuple[tuple[str, object], ...] = ()
    lemma: Chain | None = None
    discharge: tuple[object, ...] = ()

    def establish(self, old, new) -> Established:
        old = self.old if self.old is not None else old
        new = self.new if self.new is not None else new
        fn = rl.RULES[self.rule]
        kwargs = dict(self.args)
        extra: list[StepCheck] = []
        if self.lemma is not None:
            res = self.lemma.check(against_statement=False)
            extra.append(StepCheck(res.ok, f"lemma {self.lemma.id}", res.summary(), res.level))
            if len(res.assumes) != 1:
                return Established(None, tuple(extra) + (rl._fail(self.rule, "lemma form"),))
            kwargs.update(claim=res.conclusion, hyp=res.assumes[0])
        chk = fn(old, new, **kwargs)
        op = "==" if self.rule in rl.EQUALITY_RULES else "<="
        rel = Relation(old, op, new)
        assumes, dchecks = _discharge(chk.assumes, self.discharge)
        return Established(rel, (*extra, chk, *dchecks), assumes)

    def describe(self) -> str:
        return self.rule.replace("_", " ")


@dataclass(frozen=True)
class Cite:
    """A proved chain used as a lemma, its variables substituted by ``subs``;
    its hypotheses (after substitution) are assumed unless ``discharge``
    proves them."""

    chain: Chain
    subs: tuple[tuple[sp.Basic, sp.Basic], ...] = ()
    discharge: tuple[object, ...] = ()

    def establish(self, old, new) -> Established:
        res = self.chain.check(against_statement=False)
        sub = dict(self.subs)
        chk = StepCheck(res.ok, f"lemma {self.chain.id}", res.summary(), res.level)
        rel = Relation(
            res.conclusion.lhs.xreplace(sub), res.conclusion.op, res.conclusion.rhs.xreplace(sub)
        )
        hyps = tuple(Relation(h.lhs.xreplace(sub), h.op, h.rhs.xreplace(sub)) for h in res.assumes)
        assumes, dchecks = _discharge(hyps, self.discharge)
        return Established(rel, (chk, *dchecks), assumes)

    def describe(self) -> str:
        return f"lemma {self.chain.id}"


@dataclass(frozen=True)
class SubChain:
    """A proved chain used as the justification of its own conclusion."""

    chain: Chain

    def establish(self, old, new) -> Established:
        return _proves(self.chain)

    def describe(self) -> str:
        return f"sub-chain {self.chain.id}"


def _proves(j: object) -> Established:
    """A discharge: a justification with its own ``old``/``new``, or a chain."""
    if isinstance(j, Chain):
        res = j.check(against_statement=False)
        chk = StepCheck(res.ok, f"sub-chain {j.id}", res.summary(), res.level)
        return Established(res.conclusion, (chk,), res.assumes)
    return j.establish(None, None)


def _discharge(
    needed: Sequence[Relation], given: Sequence[object]
) -> tuple[tuple[Relation, ...], tuple[StepCheck, ...]]:
    """Split ``needed`` into facts proved by ``given`` and facts still assumed."""
    proved = [_proves(g) for g in given]
    checks = tuple(c for p in proved for c in p.checks)
    left: list[Relation] = []
    for h in needed:
        hit = [p for p in proved if p.relation is not None and implies(p.relation, h)]
        if hit:
            left.extend(hit[0].assumes)
        else:
            left.append(h)
    unused = [p for p in proved if not any(implies(p.relation, h) for h in needed)]
    if unused:
        checks += (rl._fail("discharge", f"{unused[0].relation} is not a needed fact"),)
    return tuple(left), checks


def implies(have: Relation | None, want: Relation) -> bool:
    """``have`` gives ``want``: same sides (up to algebra), and ``<`` gives
    ``<=``; an identity may be used either way round."""
    if have is None:
        return False
    if have.op == "==" and want.op == "==":
        return (same(have.lhs, want.lhs) and same(have.rhs, want.rhs)) or (
            same(have.lhs, want.rhs) and same(have.rhs, want.lhs)
        )
    ok_op = have.op == want.op or (have.op == "<" and want.op == "<=")
    if not ok_op:
        return False
    if model.is_matrix(have.lhs) or model.is_matrix(want.lhs):
        return exact(have.lhs) == exact(want.lhs) and exact(have.rhs) == exact(want.rhs)
    return same(have.lhs, want.lhs) and same(have.rhs, want.rhs)


# --------------------------------------------------------------------------
# Steps and chains
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """Next expression ``expr``, justified by ``why``; ``at`` is the context
    with ``HOLE`` at the rewritten positions (default: every occurrence)."""

    expr: sp.Basic
    why: Hyp | By | Cite | SubChain
    at: sp.Basic | None = None
    note: str = ""


@dataclass(frozen=True)
class StepResult:
    step: Step
    ok: bool
    op: str
    checks: tuple[StepCheck, ...]
    assumes: tuple[Relation, ...]
    detail: str = ""

    @property
    def level(self) -> str:
        return _weakest(c.level for c in self.checks)


def _weakest(levels) -> str:
    levels = [lv for lv in levels if lv]
    explicit = sorted({lv for lv in levels if lv.startswith("explicit")})
    return explicit[0] if explicit else "symbolic"


def _bound_vars(e: sp.Basic) -> set[sp.Basic]:
    return {s.var for s in e.atoms(Sup, SupUnit)} if isinstance(e, sp.Basic) else set()


def expr_text(e: sp.Basic) -> str:
    """``e`` in the statement-file language (SymPy's text if it has none)."""
    from .source import to_source

    try:
        return to_source(e)
    except (ValueError, TypeError, AttributeError):
        return str(e)


def relation_text(rel: Relation) -> str:
    """``lhs OP rhs`` in the statement-file language."""
    return f"{expr_text(rel.lhs)} {rel.op} {expr_text(rel.rhs)}"


def _check_step(prev: sp.Basic, step: Step) -> StepResult:
    """Check one step (module docstring: justification, context, monotonicity)."""
    whole = step.at is None and not (isinstance(step.why, By) and step.why.old is not None)
    if isinstance(step.why, By) and step.at is not None and step.why.old is None:
        raise ValueError("a rule applied inside a context needs its old and new subterms")
    est = step.why.establish(prev if whole else None, step.expr if whole else None)
    if est.relation is None:
        return StepResult(step, False, "<=", est.checks, est.assumes, "no relation established")
    rel = est.relation
    bound = _bound_vars(prev)
    if isinstance(step.why, By) and step.why.rule == "segment_norm":
        kw = dict(step.why.args)
        doms = {(s.lo, s.hi) for s in prev.atoms(Sup) if s.var == rel.lhs.arg}
        if doms != {(kw.get("p"), kw.get("q"))}:
            return StepResult(
                step, False, "<=", est.checks, (), "the point is not bound to that segment"
            )
    if isinstance(step.why, By) and step.why.rule == "unit_vector":
        units = {s.var for s in prev.atoms(SupUnit)}
        if not (rl._is_norm(rel.lhs) and rel.lhs.arg in units):
            return StepResult(
                step,
                False,
                "==",
                est.checks,
                (),
                "the vector is not bound by a sup over unit vectors",
            )
    leaked = [h for h in est.assumes if any(h.lhs.has(v) or h.rhs.has(v) for v in bound)]
    if leaked:
        return StepResult(
            step,
            False,
            "<=",
            est.checks,
            est.assumes,
            f"assumption {relation_text(leaked[0])} uses a bound variable",
        )
    undefined = rl.domain_problem(prev, step.expr)  # the chain needs e_k wherever e_{k-1}
    if undefined:
        return StepResult(step, False, rel.op, est.checks, est.assumes, undefined)
    for old, new, direction in ((rel.lhs, rel.rhs, 1), (rel.rhs, rel.lhs, -1)):
        hole = MatrixSymbol("HOLE", *old.shape) if model.is_matrix(old) else HOLE
        try:
            ctx = step.at if step.at is not None else prev.xreplace({old: hole})
            if not ctx.has(hole):
                continue
            if ctx.xreplace({hole: old}) != prev or ctx.xreplace({hole: new}) != step.expr:
                continue
        except TypeError:
            continue
        if rel.op == "==":
            return StepResult(step, est.ok, "==", est.checks, est.assumes)
        pol = rl.polarity(ctx, HOLE, old, new)
        if pol == direction:
            return StepResult(step, est.ok, rel.op, est.checks, est.assumes)
        why = "nondecreasing" if direction == 1 else "nonincreasing"
        return StepResult(
            step, False, rel.op, est.checks, est.assumes, f"the context is not {why} there"
        )
    return StepResult(
        step,
        False,
        rel.op,
        est.checks,
        est.assumes,
        f"the step does not rewrite {expr_text(rel.lhs)} into {expr_text(rel.rhs)} (nor back)",
    )


@dataclass(frozen=True)
class ChainResult:
    """Outcome of :meth:`Chain.check`."""

    chain_id: str
    statement_id: str | None
    ok: bool
    conclusion: Relation | None
    assumes: tuple[Relation, ...]
    steps: tuple[StepResult, ...]
    problems: tuple[str, ...] = ()

    @property
    def level(self) -> str:
        """``symbolic`` (every n, d) or the explicit sizes of the weakest step."""
        return _weakest(s.level for s in self.steps)

    def summary(self) -> str:
        where = "for every n, d" if self.level == "symbolic" else f"at sizes {self.level}"
        if self.ok:
            return f"proved (chain {self.chain_id}, {len(self.steps)} steps, {where})"
        return f"chain {self.chain_id} failed: {'; '.join(self.problems)}"


@dataclass(frozen=True)
class Chain:
    """``start`` rewritten by ``steps``; ``statement_id`` is the catalogue entry
    it proves (None for a lemma stated by the chain itself)."""

    id: str
    statement_id: str | None
    start: sp.Basic
    steps: tuple[Step, ...]
    title: str = ""

    def check(
        self, against_statement: bool = True, statement: Statement | None = None
    ) -> ChainResult:
        """Re-check every step; then (optionally) compare with the statement."""
        return _check_chain(self, against_statement, statement)

    def to_latex(self) -> str:
        """The chain as an ``align*`` block, each step with its justification
        and how it was checked."""
        return to_latex(self)

    def _repr_latex_(self) -> str:
        return to_latex(self)


def _check_chain(ch: Chain, against: bool, statement: Statement | None) -> ChainResult:
    if statement is None:
        return _check_cached(ch, against)  # chains are immutable: check each once
    return _check_uncached(ch, against, statement)


@cache
def _check_cached(ch: Chain, against: bool) -> ChainResult:
    return _check_uncached(ch, against, None)


def _check_uncached(ch: Chain, against: bool, statement: Statement | None) -> ChainResult:
    results, problems, prev = [], [], ch.start
    for k, step in enumerate(ch.steps, 1):
        r = _check_step(prev, step)
        results.append(r)
        if not r.ok:
            failing = [c for c in r.checks if not c.ok]
            why = r.detail or (f"{failing[0].method}: {failing[0].detail}" if failing else "")
            problems.append(f"step {k} ({step.why.describe()}): {why}")
        prev = step.expr
    ops = {r.op for r in results}
    op = "==" if ops <= {"=="} else "<" if ops == {"<"} else "<="
    conclusion = Relation(ch.start, op, prev) if results else None
    assumes: list[Relation] = []
    for r in results:
        for h in r.assumes:
            if not any(implies(g, h) and implies(h, g) for g in assumes):
                assumes.append(h)
    if against and ch.statement_id is not None and not problems:
        stmt = statement
        if stmt is None:
            from . import catalogue

            try:
                stmt = catalogue.get(ch.statement_id)
            except KeyError as exc:
                problems.append(f"statement unavailable: {exc}")
        if stmt is not None:
            problems.extend(_compare(conclusion, tuple(assumes), stmt))
    return ChainResult(
        ch.id,
        ch.statement_id,
        not problems,
        conclusion,
        tuple(assumes),
        tuple(results),
        tuple(problems),
    )


def _compare(conclusion: Relation, assumes: tuple[Relation, ...], stmt: Statement) -> list[str]:
    """Problems in using ``conclusion`` (under ``assumes``) as ``stmt``."""
    out = []
    claim = stmt.claim
    if conclusion.op == "==" and claim.op != "==":
        conclusion = Relation(conclusion.lhs, "<=", conclusion.rhs)
    if not implies(conclusion, claim) and not _stronger(conclusion, claim, stmt):
        out.append(
            f"the chain proves {relation_text(conclusion)}, the statement claims "
            f"{relation_text(claim)}"
        )
    for h in assumes:
        if not any(implies(g, h) for g in stmt.hypotheses) and not _from_parameters(h, stmt):
            out.append(
                f"the chain assumes {relation_text(h)}, which is not a hypothesis of {stmt.id}"
            )
    return out


def _stronger(conclusion: Relation, claim: Relation, stmt: Statement) -> bool:
    """``lhs <= K1 D`` gives the claim ``lhs <= K2 D`` when ``K1 <= K2`` is
    decided exactly for every ``n >= 1`` (and ``R`` above its lower bound)."""
    if claim.op not in ("<=", "<") or (claim.op == "<" and conclusion.op != "<"):
        return False
    if not same(conclusion.lhs, claim.lhs) or rl._sign(conclusion.rhs) != 1:
        return False
    lows: dict = {n: 1}
    low_r = [h.lhs for h in stmt.hypotheses if h.rhs == R and h.lhs.is_number]
    if low_r:
        lows[R] = max(low_r)
    if rl.nonneg_combination(conclusion.rhs, claim.rhs).ok:
        return True
    table: dict = {}
    ratio = sp.simplify(
        rl._atomize(exact(claim.rhs), table) / rl._atomize(exact(conclusion.rhs), table)
    )
    if ratio.free_symbols & set(table.values()):
        return False
    derived = {
        sp.Symbol(k, positive=True): v
        for k, v in stmt.parameters.items()
        if isinstance(v, sp.Basic) and not v.is_number
    }
    ratio = ratio.subs(derived)
    return rl.constant_comparison(sp.S.One, ratio, lows=lows).ok


def _from_parameters(h: Relation, stmt: Statement) -> bool:
    """``low <= R`` holds when the statement fixes ``R`` (or its range) at or above ``low``."""
    if h.op not in ("<=", "<") or not isinstance(h.rhs, sp.Symbol) or not h.lhs.is_number:
        return False
    val = stmt.parameters.get(str(h.rhs))
    lo = val[0] if isinstance(val, tuple) else val
    if lo is None or not sp.sympify(lo).is_number:
        return False
    return bool(sp.sympify(lo) >= h.lhs) if h.op == "<=" else bool(sp.sympify(lo) > h.lhs)


# --------------------------------------------------------------------------
# LaTeX export
# --------------------------------------------------------------------------
_OPS = {"<=": r"\le", "<": "<", "==": "="}


def _how(r: StepResult) -> str:
    parts = []
    for c in r.checks:
        text = c.method
        if c.level and c.level.startswith("explicit") and "explicit" not in text:
            text += f" [{c.level}]"
        parts.append(text)
    return "; ".join(dict.fromkeys(parts))


_NOTE_WIDTH = 64


def _wrap(text: str, width: int) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > width:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    return lines + [cur] if cur else lines


_NOTE_WORDS = (
    ("SymPy identity (prove_identity)", "proved symbolically by the identity prover"),
    ("SymPy identity (", "identity proved by SymPy ("),
    ("||-X|| = ||X||", "the norm of -X is the norm of X"),
    ("entries exp(v_i)/sum_j exp(v_j)", "entries of the softmax"),
    (", symbolic n, d", ", for symbolic n, d"),
    (", symbolic n", ", for symbolic n"),
)


def in_words(text: str) -> str:
    """A check's description without code names (``prove_identity`` and the like)."""
    for old, new in _NOTE_WORDS:
        text = text.replace(old, new)
    return text


def _note(r: StepResult) -> str:
    """How a step was justified and checked, in words (no code names)."""
    return in_words(_note_raw(r))


def _note_raw(r: StepResult) -> str:
    why, how = r.step.why.describe(), _how(r)
    if how.startswith(why) or not how:
        return how or why
    if how.startswith("rule: "):  # "triangle: rule: triangle inequality" -> the rule's words
        return how.removeprefix("rule: ")
    return f"{why}: {how}"


def to_latex(ch: Chain) -> str:
    """``align*`` block: ``e_0 op e_1 op ...``, each line broken to the page width
    and followed by its justification (rule, hypothesis or lemma) and how it was
    checked; only ``align*``, ``\\text`` and math, so MathJax renders it too."""
    from .printing import LINE_WIDTH, PaperLatexPrinter, math_text, split_latex

    res = ch.check(against_statement=False)
    lines = [rf"& {line} \\" for line in split_latex(ch.start, LINE_WIDTH)]
    printer = PaperLatexPrinter()
    prefer = printer.term_texts(ch.start)
    for r in res.steps:
        status = r" \quad\textbf{(FAILS)}" if not r.ok else ""
        # each line keeps the term order of the line before it
        expr = split_latex(r.step.expr, LINE_WIDTH - 4, prefer=prefer)
        printer.prefer = prefer
        prefer = printer.term_texts(r.step.expr)
        lines.append(rf"{_OPS[r.op]}\; & {expr[0]} \\")
        lines.extend(rf"& \quad {line} \\" for line in expr[1:])
        notes = _wrap(_note(r), _NOTE_WIDTH)
        for k, text in enumerate(notes):
            end = status if k == len(notes) - 1 else ""
            lines.append(rf"& \qquad {{\scriptstyle {math_text(text)}}}{end} \\")
    body = "\n".join(lines).removesuffix(r" \\")
    return "\\begin{align*}\n" + body + "\n\\end{align*}"


def _statement_of(c: Chain):
    from . import catalogue

    try:
        return catalogue.get(c.statement_id) if c.statement_id else None
    except KeyError:
        return None


def to_document(chains: Sequence[Chain], title: str = "Proof chains") -> str:
    """A standalone ``.tex`` document (amsmath/amssymb only): each chain with
    its statement in the paper's notation, its verdict and its ``align*`` block."""
    from .derivation import tex_text, title_tex
    from .printing import relation_display

    heading, claim = title_tex(title)
    single = len(chains) == 1 and bool(claim)
    if single:  # one chain of one entry: the title names it, its claim follows once
        heading, claim = f"Machine-checked proof of {heading}", ""
    parts = [
        r"\documentclass[10pt]{article}",
        r"\usepackage{amsmath,amssymb,amsfonts}",
        r"\allowdisplaybreaks",
        rf"\title{{{heading}}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
    ]
    if claim:
        parts.append(rf"\[ {claim} \]")
    for c in chains:
        res = c.check()
        stmt = _statement_of(c)
        if not single:
            parts.append(rf"\section*{{{tex_text(c.statement_id or c.id)}}}")
        shown = relation_display(stmt.claim) if stmt is not None else None
        if shown is not None:
            parts.append(rf"Claim: \[ {shown} \]")
        if res.conclusion is not None:
            proved = relation_display(res.conclusion)
            if proved == shown:
                parts.append("The chain below proves this claim.")
            else:
                parts.append(rf"The chain below proves \[ {proved} \]")
        if res.assumes:
            parts.append(rf"assuming \[ {_hypotheses_display(res.assumes)} \]")
        parts.append(_verdict_text(res))
        parts.append(r"{\small")
        parts.append(to_latex(c))
        parts.append("}")
    parts += [r"\end{document}", ""]
    return "\n".join(parts)


def _hypotheses_display(hyps: Sequence[Relation]) -> str:
    """Hypotheses side by side, in rows that fit the page (a ``gathered`` block)."""
    from .printing import LINE_WIDTH, relation_to_latex, visible_width

    rows, row = [], []
    for h in hyps:
        text = relation_to_latex(h)
        if row and visible_width(r",\quad ".join([*row, text])) > LINE_WIDTH - 14:
            rows.append(row)
            row = []
        row.append(text)
    rows.append(row)
    lines = [r",\quad ".join(r) for r in rows]
    if len(lines) == 1:
        return lines[0]
    return "\\begin{gathered}\n" + ", \\\\\n".join(lines) + "\n\\end{gathered}"


def _verdict_text(res: ChainResult) -> str:
    from .derivation import tex_text

    where = "for every $n$, $d$" if res.level == "symbolic" else f"at sizes {tex_text(res.level)}"
    if res.ok:
        return f"Machine-checked: {len(res.steps)} steps, each re-checked by its rule, {where}."
    return "The chain does not check: " + tex_text("; ".join(res.problems)) + "."


# --------------------------------------------------------------------------
# The catalogue's chains: read from the pack's statement files
# --------------------------------------------------------------------------
#: the probability vector of E5-general (its file declares ``s = "vector n"``)
s_vec = MatrixSymbol("s", n, 1)
half = sp.Rational(1, 2)


def _J(s: sp.Basic) -> sp.Basic:
    """``diag(s) - s s^T`` (the softmax Jacobian at ``s``, G4)."""
    return Diag(s) - outer(s, s)


def _hyp(lhs, op, rhs) -> Hyp:
    return Hyp(Relation(lhs, op, rhs))


def _by(rule: str, old=None, new=None, **args) -> By:
    """A :class:`By` with ``args`` given as keywords (``lemma``, ``discharge`` apart)."""
    args = {k: tuple(v.items()) if isinstance(v, dict) else v for k, v in args.items()}
    lemma = args.pop("lemma", None)
    discharge = tuple(args.pop("discharge", ()))
    return By(rule, old, new, tuple(args.items()), lemma, discharge)


def _simplex(s: sp.Basic) -> tuple[By, By]:
    """Discharges of ``s`` being a probability vector (E4, G7)."""
    k = s.shape[0]
    return (
        _by("softmax_simplex", Norm("1", s), sp.S.One),
        _by("softmax_simplex", Dot(s, ones(k)), sp.S.One),
    )


def e5_general() -> Chain:
    """E5 for a probability vector ``s`` (Gershgorin, then the SOS certificate):
    the chain of the pack's helper statement ``E5-general``."""
    return chain("E5-general")


def _e5_at(s: sp.Basic) -> Cite:
    """E5-general cited at ``s`` (a probability vector by E4, G7)."""
    return Cite(e5_general(), ((s_vec, s),), _simplex(s))


def _pack():
    from . import catalogue

    return catalogue.PACK


_LOADING: list[str] = []


@cache
def chain(statement_id: str) -> Chain:
    """The chain of the ``proof`` written in the catalogue file ``statement_id`` (an
    entry or a helper lemma of the pack), parsed on first use and once; ``KeyError``
    if the pack has no such statement or it has no proof."""
    pack = _pack()
    if statement_id not in pack.ids:
        raise KeyError(f"no proof chain for {statement_id!r}; chains exist for {', '.join(ids())}")
    st = pack.statement(statement_id)
    if st.proof is None:
        raise KeyError(f"no proof chain for {statement_id!r}; chains exist for {', '.join(ids())}")
    if statement_id in _LOADING:
        cycle = " -> ".join([*_LOADING, statement_id])
        raise ValueError(f"the catalogue's proofs cite each other in a cycle: {cycle}")
    _LOADING.append(statement_id)
    try:
        return st.proof.chain
    finally:
        _LOADING.pop()


@cache
def _ids() -> tuple[str, ...]:
    return tuple(s.id for s in _pack().rows() if s.proof is not None)


def ids() -> list[str]:
    """Catalogue entries (report rows, not helper lemmas) whose file has a proof."""
    return list(_ids())


def lemma_ids() -> list[str]:
    """Every catalogue statement a proof may cite by ``lemma ID``: the entries with a
    proof and the helper lemmas (``E5-general``, ``P1-sharp``, ...)."""
    pack = _pack()
    return [sid for sid in pack.ids if pack.statement(sid).proof is not None]


class _Chains(Mapping):
    """Statement id -> a function giving its chain (read lazily from the files)."""

    def __getitem__(self, sid: str) -> Callable[[], Chain]:
        if sid not in _ids():
            raise KeyError(sid)
        return lambda: chain(sid)

    def __iter__(self):
        return iter(_ids())

    def __len__(self) -> int:
        return len(_ids())


#: statement id -> builder of its chain
CHAINS: Mapping[str, Callable[[], Chain]] = _Chains()


def proved_entries() -> dict[str, ChainResult]:
    """Every catalogue entry with a chain, checked against its statement, by
    statement id (the report marks the ``ok`` ones "proved (chain)")."""
    out = {}
    for sid in ids():
        c = chain(sid)
        if c.statement_id is not None:
            out[c.statement_id] = c.check()
    return out
