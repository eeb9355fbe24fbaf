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

Chains (by catalogue id): E1, E2, E3, E3-upper, E3-beta, E4, E4-l2,
E4-nonnegative, E5, G7-sum, P1-P4, Q1-Q4, T1, T2, T1-residual, T2-residual,
T3, S1, S2, S2-b; S3 and S3-bmat come from :mod:`softproof.derivations.sharp` (through
the bound ``||B|| <= 1/2 + ||b||/sqrt 2``, our lemma ``S3-sharp``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import sympy as sp
from sympy import MatrixSymbol

from . import model
from . import rules as rl
from .model import A, Alpha, At, Diag, Dot, F, Norm, R, U, b, beta, n, ones, outer, x, y
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
# The chains
# --------------------------------------------------------------------------
s_vec = MatrixSymbol("s", n, 1)
sigma = sp.Symbol("sigma", real=True)
z_d = MatrixSymbol("z", model.d, 1)
z_n = MatrixSymbol("z", n, 1)
v_n = MatrixSymbol("v", n, 1)
half = sp.Rational(1, 2)
DELTA = sp.Rational(1, 100)


def _J(s: sp.Basic) -> sp.Basic:
    return Diag(s) - outer(s, s)


def _hyp(lhs, op, rhs) -> Hyp:
    return Hyp(Relation(lhs, op, rhs))


def _by(rule: str, old=None, new=None, **args) -> By:
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
    """E5 for a probability vector ``s``: Gershgorin, then the SOS certificate."""
    return Chain(
        "E5-general",
        None,
        Norm("op", _J(s_vec)),
        (
            Step(Sup(2 * sigma * (1 - sigma), sigma, 0, 1), _by("gershgorin")),
            Step(half, _by("sup_certificate", certificate=2 * (sigma - half) ** 2)),
        ),
        "||diag(s) - s s^T|| <= 1/2 for a probability vector s",
    )


def _e5_at(s: sp.Basic) -> Cite:
    return Cite(e5_general(), ((s_vec, s),), _simplex(s))


def e5() -> Chain:
    """E5 as catalogued (``s = f(x)``): the general lemma at ``s = f(x)``."""
    f = F(A, x)
    return Chain("E5", "E5", Norm("op", _J(f)), (Step(half, _e5_at(f)),))


def e1() -> Chain:
    """E1: ``|e^t - 1| <= sup_{z in [t, 0]} e^z |t| <= e^{1/100} |t| <= 2|t|``."""
    t = model.t
    z = sp.Symbol("z", real=True)
    sup = Sup(sp.exp(z), z, t, 0)
    return Chain(
        "E1",
        "E1",
        sp.Abs(sp.exp(t) - 1),
        (
            Step(sup * sp.Abs(t), _by("mean_value", g=sp.exp(t), var=t, p=t, q=sp.S.Zero)),
            Step(sp.exp(DELTA) * sp.Abs(t), _by("sup_monotone", sup, sp.exp(DELTA), bound=DELTA)),
            Step(2 * sp.Abs(t), _by("constant_comparison", sp.exp(DELTA), sp.Integer(2))),
        ),
    )


def _u_bound(doc, v) -> list[Step]:
    """``||u||_2 <= sqrt(n) ||u||_inf <= sqrt(n) e^{||Av||_inf} <= sqrt(n) e^{||A|| ||v||}``."""
    u = U(doc, v)
    return [
        Step(
            sp.sqrt(n) * Norm("inf", u),
            _by("norm_comparison", Norm("2", u), sp.sqrt(n) * Norm("inf", u)),
        ),
        Step(
            sp.sqrt(n) * sp.exp(Norm("inf", doc * v)),
            _by("exp_entrywise_max", Norm("inf", u), sp.exp(Norm("inf", doc * v))),
        ),
        Step(
            sp.sqrt(n) * sp.exp(Norm("op", doc) * Norm("2", v)),
            _by("submultiplicative", Norm("inf", doc * v), Norm("op", doc) * Norm("2", v)),
        ),
    ]


def _rewrite(expr, old, new, rule="identity") -> Step:
    """A step replacing ``old`` by ``new`` (proved by ``rule``) everywhere in ``expr``."""
    return Step(expr.xreplace({old: new}), _by(rule, old, new))


def e3_upper() -> Chain:
    """E3 (upper): ``alpha(x) = ||u(x)||_1 <= n ||u(x)||_inf <= n e^{||A|| ||x||}``."""
    u = U(A, x)
    return Chain(
        "E3-upper",
        "E3-upper",
        Alpha(A, x),
        (
            Step(Norm("1", u), _by("identity")),
            Step(n * Norm("inf", u), _by("norm_comparison")),
            Step(
                n * sp.exp(Norm("inf", A * x)),
                _by("exp_entrywise_max", Norm("inf", u), sp.exp(Norm("inf", A * x))),
            ),
            Step(
                n * sp.exp(Norm("op", A) * Norm("2", x)),
                _by("submultiplicative", Norm("inf", A * x), Norm("op", A) * Norm("2", x)),
            ),
        ),
    )


def e3_upper_r(doc=A, v=x) -> Chain:
    """``alpha(v) <= n e^{R^2}`` under ``||doc|| <= R``, ``||v|| <= R``."""
    base = e3_upper()
    return Chain(
        f"E3-upper-R[{doc},{v}]",
        None,
        Alpha(doc, v),
        (
            Step(n * sp.exp(Norm("op", doc) * Norm("2", v)), Cite(base, ((A, doc), (x, v)))),
            Step(n * sp.exp(R * Norm("2", v)), _hyp(Norm("op", doc), "<=", R)),
            Step(n * sp.exp(R**2), _hyp(Norm("2", v), "<=", R)),
        ),
    )


def e3_lower() -> Chain:
    """E3 (lower): ``n e^{-||A|| ||x||} <= n e^{-||Ax||_inf} <= sum_i e^{(Ax)_i} = alpha(x)``."""
    return Chain(
        "E3",
        "E3",
        n * sp.exp(-Norm("op", A) * Norm("2", x)),
        (
            Step(
                n * sp.exp(-Norm("inf", A * x)),
                _by("submultiplicative", Norm("inf", A * x), Norm("op", A) * Norm("2", x)),
                at=n * sp.exp(-HOLE),
            ),
            Step(Alpha(A, x), _by("exp_sum_lower")),
        ),
    )


def e3_beta(doc=A, v=x, sid: str | None = "E3-beta") -> Chain:
    """``e^{-R^2} <= n e^{-R^2} <= n e^{-||A|| ||x||} <= alpha(x)`` (so ``beta = e^{-R^2}``)."""
    lower = e3_lower()
    return Chain(
        f"E3-beta[{doc},{v}]",
        sid,
        sp.exp(-(R**2)),
        (
            Step(n * sp.exp(-(R**2)), _by("constant_comparison", lows={n: 1})),
            Step(
                n * sp.exp(-Norm("op", doc) * R),
                _hyp(Norm("op", doc), "<=", R),
                at=n * sp.exp(-HOLE * R),
            ),
            Step(
                n * sp.exp(-Norm("op", doc) * Norm("2", v)),
                _hyp(Norm("2", v), "<=", R),
                at=n * sp.exp(-Norm("op", doc) * HOLE),
            ),
            Step(Alpha(doc, v), Cite(lower, ((A, doc), (x, v)))),
        ),
    )


def e4_l2() -> Chain:
    """E4: ``||f||_2 <= ||f||_1 = 1``."""
    f = F(A, x)
    return Chain(
        "E4-l2",
        "E4-l2",
        Norm("2", f),
        (Step(Norm("1", f), _by("norm_comparison")), Step(sp.S.One, _by("softmax_simplex"))),
    )


def e4() -> Chain:
    """E4: ``||f(x)||_1 = 1`` (entries ``e^{(Ax)_i} / sum_j e^{(Ax)_j} > 0``)."""
    return Chain("E4", "E4", Norm("1", F(A, x)), (Step(sp.S.One, _by("softmax_simplex")),))


# ---------------------------------------------------------------- P and Q
@dataclass(frozen=True)
class _Pair:
    """The two points of the P chain (``A, x`` / ``A, y``) or the Q chain
    (``A, x`` / ``At, x``), with what bounds their distance."""

    tag: str
    d1: sp.Basic
    v1: sp.Basic
    d2: sp.Basic
    v2: sp.Basic
    close: sp.Basic  # the quantity with ||.||_inf < 0.01 in the hypotheses
    dist: sp.Basic  # ||x - y||_2 or ||A - At||


def _pair_x() -> _Pair:
    return _Pair("P", A, x, A, y, A * (x - y), Norm("2", x - y))


def _pair_a() -> _Pair:
    return _Pair("Q", A, x, At, x, (A - At) * x, Norm("op", A - At))


def _p1(pp: _Pair) -> Chain:
    """P1 / Q1: ``u_1 - u_2 = u_1 o (1 - exp(z_2 - z_1))``, Hoelder, E1 entrywise, E2."""
    u1, u2 = U(pp.d1, pp.v1), U(pp.d2, pp.v2)
    gap = pp.d2 * pp.v2 - pp.d1 * pp.v1
    w = ones(n) - model.exp_ew(gap)
    close_sub = Chain(
        f"{pp.tag}1-close",
        None,
        Norm("inf", gap),
        (
            Step(Norm("inf", pp.close), _by("homogeneity")),
            Step(DELTA, _hyp(Norm("inf", pp.close), "<", DELTA)),
        ),
    )
    steps = [
        Step(Norm("2", model.hadamard(u1, w)), _by("identity", u1 - u2, model.hadamard(u1, w))),
        Step(Norm("2", u1) * Norm("inf", w), _by("hadamard_holder")),
    ]
    for st in _u_bound(pp.d1, pp.v1):
        old_new = st.why
        steps.append(Step(steps[-1].expr.xreplace({old_new.old: old_new.new}), old_new))
    steps.append(_then_hyp(steps, Norm("op", pp.d1), R))
    steps.append(_then_hyp(steps, Norm("2", pp.v1), R))
    e1w = _by(
        "entrywise_lemma", Norm("inf", w), 2 * Norm("inf", gap), lemma=e1(), discharge=(close_sub,)
    )
    steps.append(Step(steps[-1].expr.xreplace({Norm("inf", w): 2 * Norm("inf", gap)}), e1w))
    if pp.tag == "P":
        # z_2 - z_1 = A y - A x = A (y - x); ||A (y - x)||_inf <= ||A|| ||y - x||_2
        lin = A * (y - x)
        fac = Norm("op", A) * Norm("2", y - x)
        tail = [
            (Norm("inf", gap), Norm("inf", lin), "homogeneity"),
            (Norm("inf", lin), fac, "submultiplicative"),
        ]
        tail += [(Norm("2", y - x), pp.dist, "homogeneity")]
        last_hyp = (Norm("op", A), R)
    else:
        lin = (At - A) * x
        fac = Norm("op", At - A) * Norm("2", x)
        tail = [
            (Norm("inf", gap), Norm("inf", lin), "homogeneity"),
            (Norm("inf", lin), fac, "submultiplicative"),
        ]
        tail += [(Norm("op", At - A), pp.dist, "homogeneity")]
        last_hyp = (Norm("2", x), R)
    for old, new, rule in tail:
        steps.append(Step(steps[-1].expr.xreplace({old: new}), _by(rule, old, new)))
    steps.append(_then_hyp(steps, *last_hyp))
    return Chain(f"{pp.tag}1", f"{pp.tag}1", Norm("2", u1 - u2), tuple(steps))


def _then_hyp(steps: list[Step], lhs, rhs) -> Step:
    return Step(steps[-1].expr.xreplace({lhs: rhs}), _hyp(lhs, "<=", rhs))


def _p2(pp: _Pair) -> Chain:
    """P2 / Q2: ``alpha_1 - alpha_2 = <u_1 - u_2, 1>``, Cauchy-Schwarz, ``||1_n|| = sqrt n``."""
    a1, a2 = Alpha(pp.d1, pp.v1), Alpha(pp.d2, pp.v2)
    du = U(pp.d1, pp.v1) - U(pp.d2, pp.v2)
    return Chain(
        f"{pp.tag}2",
        f"{pp.tag}2",
        sp.Abs(a1 - a2),
        (
            Step(sp.Abs(Dot(du, ones(n))), _by("identity", a1 - a2, Dot(du, ones(n)))),
            Step(Norm("2", du) * Norm("2", ones(n)), _by("cauchy_schwarz")),
            Step(sp.sqrt(n) * Norm("2", du), _by("identity", Norm("2", ones(n)), sp.sqrt(n))),
        ),
    )


def _p3(pp: _Pair, power: int = 2) -> Chain:
    """P3 / Q3: ``|1/a_1 - 1/a_2| = |a_1 - a_2| / (a_1 a_2) <= beta^{-2} |a_1 - a_2|``."""
    a1, a2 = Alpha(pp.d1, pp.v1), Alpha(pp.d2, pp.v2)
    top = sp.Abs(a1 - a2)
    steps = [
        Step(top / (a1 * a2), _by("identity")),
        Step(top / (beta * a2), _hyp(beta, "<=", a1), at=top / (HOLE * a2)),
        Step(top / beta**2, _hyp(beta, "<=", a2), at=top / (beta * HOLE)),
    ]
    if power == 1:  # the false variant: the last step claims beta^{-1}
        steps[-1] = Step(top / beta, _hyp(beta, "<=", a2), at=top / (beta * HOLE))
    return Chain(f"{pp.tag}3", f"{pp.tag}3", sp.Abs(1 / a1 - 1 / a2), tuple(steps))


def _p4(pp: _Pair) -> Chain:
    """P4 / Q4: ``f_1 - f_2 = a_1^{-1}(u_1 - u_2) + (a_1^{-1} - a_2^{-1}) u_2``,
    triangle inequality, then P1, P3, P2, P1, the bound on ``||u_2||`` and
    ``a_1^{-1} <= beta^{-1} = beta^{-2} beta <= beta^{-2} a_1 <= beta^{-2} n e^{R^2}``."""
    a1, a2 = Alpha(pp.d1, pp.v1), Alpha(pp.d2, pp.v2)
    u1, u2 = U(pp.d1, pp.v1), U(pp.d2, pp.v2)
    t1, t2 = (u1 - u2) / a1, (1 / a1 - 1 / a2) * u2
    p1, p2, p3 = _p1(pp), _p2(pp), _p3(pp)
    du = Norm("2", u1 - u2)
    c1 = p1.steps[-1].expr  # the P1 bound
    ub = Chain(
        f"{pp.tag}4-u2",
        None,
        Norm("2", u2),
        tuple(_u_bound(pp.d2, pp.v2))
        + (
            Step(sp.sqrt(n) * sp.exp(R * Norm("2", pp.v2)), _hyp(Norm("op", pp.d2), "<=", R)),
            Step(sp.sqrt(n) * sp.exp(R**2), _hyp(Norm("2", pp.v2), "<=", R)),
        ),
    )
    steps: list[Step] = []
    start = Norm("2", F(pp.d1, pp.v1) - F(pp.d2, pp.v2))
    e = start
    for new, why in (
        (Norm("2", t1 + t2), _by("identity", F(pp.d1, pp.v1) - F(pp.d2, pp.v2), t1 + t2)),
        (Norm("2", t1) + Norm("2", t2), _by("triangle")),
        (None, _by("homogeneity", Norm("2", t1), du / a1)),
        (None, _by("homogeneity", Norm("2", t2), sp.Abs(1 / a1 - 1 / a2) * Norm("2", u2))),
    ):
        if new is None:
            new = e.xreplace({why.old: why.new})
        steps.append(Step(new, why))
        e = new
    # first term: P1; second: P3, P2, P1, ||u_2|| bound
    ctx = HOLE / a1 + sp.Abs(1 / a1 - 1 / a2) * Norm("2", u2)
    e = ctx.xreplace({HOLE: c1})
    steps.append(Step(e, Cite(p1), at=ctx))
    for cite, old in (
        (Cite(p3), sp.Abs(1 / a1 - 1 / a2)),
        (Cite(p2), sp.Abs(a1 - a2)),
        (Cite(p1), du),
    ):
        new_rhs = cite.chain.steps[-1].expr
        e = e.xreplace({old: new_rhs})
        steps.append(Step(e, cite))
    e = e.xreplace({Norm("2", u2): ub.steps[-1].expr})
    steps.append(Step(e, _sub(ub)))
    # a_1^{-1} <= beta^{-1}
    first = c1 / a1
    rest = e - first
    e = c1 / beta + rest
    steps.append(Step(e, _hyp(beta, "<=", a1), at=c1 / HOLE + rest))
    # beta^{-1} = beta / beta^2 <= a_1 / beta^2 <= n e^{R^2} / beta^2
    e = c1 * a1 / beta**2 + rest
    steps.append(Step(e, _hyp(beta, "<=", a1), at=c1 * HOLE / beta**2 + rest))
    e = c1 * n * sp.exp(R**2) / beta**2 + rest
    steps.append(Step(e, Cite(e3_upper_r(pp.d1, pp.v1)), at=c1 * HOLE / beta**2 + rest))
    return Chain(f"{pp.tag}4", f"{pp.tag}4", start, tuple(steps))


def _sub(ch: Chain) -> SubChain:
    """A sub-chain used as the justification of ``start <= end``."""
    return SubChain(ch)


@dataclass(frozen=True)
class SubChain:
    """A proved chain used as the justification of its own conclusion."""

    chain: Chain

    def establish(self, old, new) -> Established:
        return _proves(self.chain)

    def describe(self) -> str:
        return f"sub-chain {self.chain.id}"


def _t(pp: _Pair) -> Chain:
    """T1 / T2: ``b - b~ = f_2 - f_1``; P4 (Q4) with ``beta = e^{-R^2}`` (E3);
    ``4 n^{1.5} R e^{4R^2} <= n^{1.5} e^{10R^2}`` for ``R >= 4``."""
    p4 = _p4(pp)
    f1, f2 = F(pp.d1, pp.v1), F(pp.d2, pp.v2)
    bt = b + f1 - f2
    start = Norm("2", b - bt)
    big = n ** sp.Rational(3, 2) * sp.exp(10 * R**2)
    small = 4 * n ** sp.Rational(3, 2) * R * sp.exp(4 * R**2)
    bet = sp.exp(-(R**2))
    cite = Cite(
        p4,
        ((beta, bet),),
        (e3_beta(pp.d1, pp.v1, None), e3_beta(pp.d2, pp.v2, None)),
    )
    bound4 = p4.steps[-1].expr.xreplace({beta: bet})
    tag = "1" if pp.tag == "P" else "2"
    dist_stmt = Norm("2", y - x) if pp.tag == "P" else Norm("op", At - A)
    steps = (
        Step(Norm("2", f1 - f2), _by("homogeneity")),
        Step(bound4, cite),
        *([Step(small * pp.dist, _by("identity"))] if bound4 != small * pp.dist else []),
        Step(big * pp.dist, _by("constant_comparison", small, big, lows={R: 4}), at=HOLE * pp.dist),
        Step(big * dist_stmt, _by("homogeneity", pp.dist, dist_stmt)),
    )
    return Chain(f"T{tag}", f"T{tag}", start, steps)


# ---------------------------------------------------------------- S and T3
def s1() -> Chain:
    """S1: mean value inequality, ``J_f = (diag f - f f^T) A`` (G4),
    submultiplicativity, E5: ``||f(x) - f(y)|| <= ||A||/2 ||x - y||``."""
    fz = F(A, z_d)
    sup = Sup(Norm("op", model.Jac(fz, z_d)), z_d, x, y)
    d = Norm("2", x - y)
    return Chain(
        "S1",
        "S1",
        Norm("2", F(A, x) - F(A, y)),
        (
            Step(sup * d, _by("mean_value", g=F(A, x), var=x, p=x, q=y)),
            _rewrite(sup * d, model.Jac(fz, z_d), _J(fz) * A),
            Step(
                Sup(Norm("op", _J(fz)) * Norm("op", A), z_d, x, y) * d,
                _by(
                    "submultiplicative", Norm("op", _J(fz) * A), Norm("op", _J(fz)) * Norm("op", A)
                ),
            ),
            Step(Sup(Norm("op", A) / 2, z_d, x, y) * d, _e5_at(fz)),
            Step(
                Norm("op", A) / 2 * d,
                _by("sup_constant", Sup(Norm("op", A) / 2, z_d, x, y), Norm("op", A) / 2),
            ),
        ),
    )


def s2(second: bool = False) -> Chain:
    """S2: ``f_A(x) = softmax(Ax)``; mean value inequality in ``v = Ax``;
    ``J_softmax = diag(s) - s s^T`` (G4); E5; then ``||(A - At)x|| <= ||A - At|| ||x||``."""
    sm = model.Softmax(z_n)
    sup = Sup(Norm("op", model.Jac(sm, z_n)), z_n, A * x, At * x)
    gap = Norm("2", A * x - At * x)
    steps = [
        _rewrite(Norm("2", F(A, x) - F(At, x)), F(A, x), model.Softmax(A * x)),
    ]
    e = steps[0].expr
    steps.append(_rewrite(e, F(At, x), model.Softmax(At * x)))
    steps.append(
        Step(sup * gap, _by("mean_value", g=model.Softmax(v_n), var=v_n, p=A * x, q=At * x))
    )
    steps.append(_rewrite(sup * gap, model.Jac(sm, z_n), _J(sm)))
    steps.append(Step(Sup(half, z_n, A * x, At * x) * gap, _e5_at(sm)))
    steps.append(Step(gap / 2, _by("sup_constant", Sup(half, z_n, A * x, At * x), half)))
    steps.append(_rewrite(gap / 2, gap, Norm("2", (A - At) * x)))
    if second:
        steps.append(
            Step(
                Norm("op", A - At) * Norm("2", x) / 2,
                _by(
                    "submultiplicative", Norm("2", (A - At) * x), Norm("op", A - At) * Norm("2", x)
                ),
            )
        )
    sid = "S2-b" if second else "S2"
    return Chain(sid, sid, Norm("2", F(A, x) - F(At, x)), tuple(steps))


def t3(e5_constant: sp.Expr = half) -> Chain:
    """T3: ``||eta grad L|| = eta ||A^T J c|| <= eta ||A|| ||J|| ||c||`` (G5),
    ``||J|| <= 1/2`` (E5), ``||c|| <= ||f|| + ||b|| <= 1 + ||b||`` (E4)."""
    eta = model.eta
    f = F(A, x)
    g = model.GradL(A, x, b)
    J = _J(f)
    c = model.C(A, x, b)
    nA = Norm("op", A)
    steps = [
        Step(eta * Norm("2", g), _by("homogeneity")),
        _rewrite(eta * Norm("2", g), g, A.T * J * c),
        Step(
            eta * Norm("op", A.T) * Norm("2", J * c),
            _by("submultiplicative", Norm("2", A.T * J * c), Norm("op", A.T) * Norm("2", J * c)),
        ),
        Step(
            eta * Norm("op", A.T) * Norm("op", J) * Norm("2", c),
            _by("submultiplicative", Norm("2", J * c), Norm("op", J) * Norm("2", c)),
        ),
        Step(eta * nA * Norm("op", J) * Norm("2", c), _by("transpose_norm", Norm("op", A.T), nA)),
        Step(eta * nA * e5_constant * Norm("2", c), _e5_at(f)),
        _rewrite(
            eta * nA * e5_constant * Norm("2", c), Norm("2", c), Norm("2", f - b), "definition"
        ),
        Step(
            eta * nA * e5_constant * (Norm("2", f) + Norm("2", -b)),
            _by("triangle", Norm("2", f - b), Norm("2", f) + Norm("2", -b)),
        ),
        _rewrite(
            eta * nA * e5_constant * (Norm("2", f) + Norm("2", -b)),
            Norm("2", -b),
            Norm("2", b),
            "homogeneity",
        ),
        Step(
            eta * nA * e5_constant * (Norm("1", f) + Norm("2", b)),
            _by("norm_comparison", Norm("2", f), Norm("1", f)),
        ),
        _rewrite(
            eta * nA * e5_constant * (Norm("1", f) + Norm("2", b)),
            Norm("1", f),
            sp.S.One,
            "softmax_simplex",
        ),
    ]
    start = Norm("2", (x - eta * g) - x)
    return Chain("T3", "T3", start, tuple(steps))


def e2() -> Chain:
    """E2: ``||Ax||_inf <= ||A|| ||x||_2`` (a row of ``A`` has norm at most ``||A||``)."""
    start = Norm("inf", A * x)
    return Chain("E2", "E2", start, (Step(Norm("op", A) * Norm("2", x), _by("submultiplicative")),))


def e4_nonnegative() -> Chain:
    """E4: ``||f||_1 = 1 = <f, 1_n>`` (softmax entries are positive and sum to 1)."""
    f = F(A, x)
    return Chain(
        "E4-nonnegative",
        "E4-nonnegative",
        Norm("1", f),
        (
            Step(sp.S.One, _by("softmax_simplex")),
            Step(Dot(f, ones(n)), _by("softmax_simplex", Dot(f, ones(n)), sp.S.One)),
        ),
    )


def g7_sum() -> Chain:
    """G7: ``<f, 1_n> = 1``."""
    return Chain(
        "G7-sum", "G7-sum", Dot(F(A, x), ones(n)), (Step(sp.S.One, _by("softmax_simplex")),)
    )


def residual(tag: str) -> Chain:
    """T1/T2: the residual is unchanged when the target moves to ``b~`` (D4)."""
    if tag == "1":
        lhs, rhs = model.C(A, y, b), model.C(A, x, F(A, x) - F(A, y) + b)
    else:
        lhs, rhs = model.C(At, x, b), model.C(A, x, F(A, x) - F(At, x) + b)
    sid = f"T{tag}-residual"
    return Chain(sid, sid, lhs, (Step(rhs, _by("identity")),))


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------
_BUILDERS: dict[str, Callable[[], Chain]] = {
    "E1": e1,
    "E2": e2,
    "E3": e3_lower,
    "E3-upper": e3_upper,
    "E3-beta": e3_beta,
    "E4": e4,
    "E4-l2": e4_l2,
    "E4-nonnegative": e4_nonnegative,
    "G7-sum": g7_sum,
    "T1-residual": lambda: residual("1"),
    "T2-residual": lambda: residual("2"),
    "E5": e5,
    "P1": lambda: _p1(_pair_x()),
    "P2": lambda: _p2(_pair_x()),
    "P3": lambda: _p3(_pair_x()),
    "P4": lambda: _p4(_pair_x()),
    "Q1": lambda: _p1(_pair_a()),
    "Q2": lambda: _p2(_pair_a()),
    "Q3": lambda: _p3(_pair_a()),
    "Q4": lambda: _p4(_pair_a()),
    "T1": lambda: _t(_pair_x()),
    "T2": lambda: _t(_pair_a()),
    "T3": t3,
    "S1": s1,
    "S2": s2,
    "S2-b": lambda: s2(True),
}

#: statement id -> builder of its chain
CHAINS = _BUILDERS


@cache
def chain(statement_id: str) -> Chain:
    """The chain proving catalogue entry ``statement_id`` (``KeyError`` if none)."""
    if statement_id in _BUILDERS:
        return _BUILDERS[statement_id]()
    from . import sharp

    if statement_id in sharp.S3_CHAIN_IDS:
        return sharp.s3_chain(statement_id)
    raise KeyError(f"no proof chain for {statement_id!r}; chains exist for {', '.join(ids())}")


def ids() -> list[str]:
    """Statement ids that have a chain."""
    from . import sharp

    return list(_BUILDERS) + list(sharp.S3_CHAIN_IDS)


def proved_entries() -> dict[str, ChainResult]:
    """Every catalogue entry with a chain, checked against its statement, by
    statement id (the report marks the ``ok`` ones "proved (chain)")."""
    out = {}
    for sid in ids():
        c = chain(sid)
        if c.statement_id is not None:
            out[c.statement_id] = c.check()
    return out
