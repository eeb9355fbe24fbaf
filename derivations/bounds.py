"""Derived Lipschitz-type bounds: a chain built automatically, then machine-checked.

For a map ``g`` of a vector variable ``x`` (``y`` plays ``x'``) under the
hypotheses of a statement, :func:`derive_bound` builds a chain

    ||g(x) - g(y)|| <= sup_{z in [x, y]} ||J_g(z)|| ||x - y||     (mean value)
                     = sup_z ||<the symbolic Jacobian>|| ||x - y|| (identity)
                    <= ... <= K ||x - y||                           (norm rules)

the way ``sharp.p1_sharp`` (P1) and ``chains.s1`` (S1) are written by hand: a
recursive rewriter walks the Jacobian's expression tree and proposes a step
for the first subterm a rule applies to (triangle, homogeneity,
submultiplicativity, ``||M^T|| = ||M||``, ``||diag v|| = ||v||_inf``, outer
products, norm comparison, ``||exp v||_inf <= e^{||v||_inf}``, the
hypotheses, the convexity of the ball for the bound point, E5
``||diag(s) - s s^T|| <= 1/2`` for a probability vector ``s`` (cited from
``chains.e5_general``), E4 ``||s||_1 = 1``, E3 ``n e^{-||Az||_inf} <= alpha``
for ``1/alpha``, S3-sharp for ``||B||``; for hyperbolic models ``cosh >= 1``,
``||sinh v||_inf <= sinh ||v||_inf``, ``||u||_2 <= <u, 1>`` for a positive ``u``),
and ``sup_constant`` closes.  A normalised ``u / <u, 1>`` with ``u = exp(w)`` is
taken through its softmax Jacobian (G4, proved as an identity) so E5 applies.

Every proposed step is checked by the chain checker of :mod:`chains` before it
is kept (a step the checker refuses is never used), and the whole chain is
checked again at the end: the builder is never trusted.  The hypothesis set
must be convex in ``x`` (norm balls ``||x|| <= r`` and hypotheses free of
``x``); otherwise, or when the rewriting leaves ``z`` in the bound, the result
says it cannot derive a constant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import sympy as sp
from sympy import MatAdd, MatMul, MatrixSymbol, Transpose

from . import calculus, model
from . import chains as ch
from . import rules as rl
from .chains import By, Chain, ChainResult, Cite, Hyp, Step, _check_step
from .model import Diag, Dot, Entrywise, Norm, Softmax
from .printing import to_text
from .rules import Sup
from .statement import Relation, Statement

__all__ = [
    "BoundInputError",
    "BoundResult",
    "PARTNER",
    "derive_bound",
    "derived_statement",
    "tampered",
]

#: the second point of each vector variable (``x -> y``)
PARTNER: dict[sp.Basic, sp.Basic] = {model.x: model.y, model.y: model.x}

#: most steps in a derived chain before giving up
MAX_STEPS = 80


class BoundInputError(ValueError):
    """``--of`` / ``--wrt`` do not describe a map of a vector variable (exit 2)."""


@dataclass(frozen=True)
class BoundResult:
    """Outcome of :func:`derive_bound`.

    ``ok``: the chain checks and ends in ``constant * ||x - y||``; then
    ``statement`` is the derived claim with the hypotheses it uses (those of
    the file, each on ``x`` also taken for ``y``).  Otherwise ``reason`` says
    why no constant was derived (``chain`` holds the steps built so far)."""

    ok: bool
    expr: sp.Basic
    var: sp.Basic
    other: sp.Basic
    constant: sp.Expr | None
    chain: Chain | None
    check: ChainResult | None
    statement: Statement | None = None
    reason: str = ""
    steps_tried: int = 0
    route: str = ""

    @property
    def distance(self) -> sp.Expr:
        return Norm("2", self.var - self.other)


@dataclass
class _State:
    var: sp.Basic
    other: sp.Basic
    z: sp.Basic
    hypotheses: tuple[Relation, ...]
    balls: dict[str, sp.Expr]  # norm kind -> radius of the ball around 0 holding var
    tried: int = 0
    expr: sp.Basic = sp.S.Zero  # the current expression of the chain


# --------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------
def _check_input(expr: sp.Basic, var: sp.Basic) -> sp.Basic:
    """The partner of ``var``; ``BoundInputError`` when the input is not a map of
    a vector variable."""
    if not isinstance(var, MatrixSymbol) or var.shape[1] != 1:
        raise BoundInputError(f"--wrt {var}: not a vector variable")
    if var not in PARTNER:
        raise BoundInputError(
            f"--wrt {var}: bounds are derived in x or y (the other one is the second point)"
        )
    if var not in expr.free_symbols:
        raise BoundInputError(f"--of {expr}: does not depend on {var}")
    other = PARTNER[var]
    if other in expr.free_symbols:
        raise BoundInputError(
            f"--of {expr}: uses {other}, which is the second point of {var} in the bound"
        )
    if model.is_matrix(expr) and expr.shape[1] != 1:
        raise BoundInputError(f"--of {expr}: a matrix of shape {expr.shape}, expected a vector")
    return other


def _balls(
    hyps: Sequence[Relation], var: sp.Basic, other: sp.Basic
) -> tuple[dict[str, sp.Expr], str]:
    """Radii of the norm balls holding ``var``; a reason when a hypothesis on
    ``var`` (or ``other``) is not a norm ball (the set is then not known to be
    convex)."""
    balls: dict[str, sp.Expr] = {}
    for h in hyps:
        on = [v for v in (var, other) if v in h.free_symbols]
        if not on:
            continue
        if (
            len(on) == 1
            and h.op in ("<=", "<")
            and isinstance(h.lhs, Norm)
            and h.lhs.arg == on[0]
            and h.lhs.kind in ("1", "2", "inf")
            and not ({var, other} & h.rhs.free_symbols)
        ):
            if on[0] == var:
                balls.setdefault(h.lhs.kind, h.rhs)
            continue
        return balls, (
            f"the hypothesis {to_text(h.lhs)} {h.op} {to_text(h.rhs)} is not a norm ball "
            f"||{on[0]}|| <= r: the hypothesis set is not known to be convex in {var}"
        )
    return balls, ""


def _mirror(hyps: Sequence[Relation], var: sp.Basic, other: sp.Basic) -> tuple[Relation, ...]:
    """The hypotheses, each on ``var`` also taken for ``other``."""
    out = list(hyps)
    for h in hyps:
        if var in h.free_symbols:
            m = Relation(h.lhs.xreplace({var: other}), h.op, h.rhs.xreplace({var: other}))
            if m not in out:
                out.append(m)
    return tuple(out)


# --------------------------------------------------------------------------
# Candidate steps
# --------------------------------------------------------------------------
def _by(rule: str, old, new, **args) -> By:
    return ch._by(rule, old, new, **args)


def _is_softmax(s: sp.Basic) -> bool:
    """``s`` is a softmax (built-in ``f`` or ``softmax(v)``), E4."""
    return isinstance(s, model.F | Softmax)


def _is_probability(s: sp.Basic) -> bool:
    """``s`` is a softmax (E4) or a normalised positive vector ``u / <u, 1>``."""
    return _is_softmax(s) or rl._normalised_parts(s) is not None


def _simplex_rule(s: sp.Basic) -> str:
    return "softmax_simplex" if _is_softmax(s) else "normalised_simplex"


def _e5(s: sp.Basic) -> Cite:
    """E5 at the probability vector ``s``, its simplex facts discharged (E4)."""
    if _is_softmax(s):
        return ch._e5_at(s)
    rule, k = _simplex_rule(s), s.shape[0]
    facts = (_by(rule, Norm("1", s), sp.S.One), _by(rule, Dot(s, model.ones(k)), sp.S.One))
    return Cite(ch.e5_general(), ((ch.s_vec, s),), facts)


def _inf_bounded(v: sp.Basic) -> bool:
    """``||v||_inf`` has a rule: exp, cosh, sinh entrywise (or a named such vector)."""
    w = rl._unfold_named(v)
    return isinstance(w, Entrywise) and w.fn in ("exp", "cosh", "sinh")


def _sum_node(e: sp.Basic, u: sp.Basic) -> sp.Basic | None:
    """A named scalar in ``e`` defined as ``<u, 1>`` (``alpha``), if any."""
    one = model.ones(u.shape[0])
    want = {model.unfold_all(Dot(u, one)), model.unfold_all(Dot(one, u))}
    for a in sp.preorder_traversal(e):
        if isinstance(a, model.ModelScalar) and model.unfold_all(a) in want:
            return a
    return None


def _split(m: sp.Basic) -> tuple[sp.Expr, sp.Basic]:
    if isinstance(m, MatMul):
        scal = [a for a in m.args if not model.is_matrix(a)]
        mats = [a for a in m.args if model.is_matrix(a)]
        return sp.Mul(*scal), (MatMul(*mats) if len(mats) > 1 else mats[0])
    return sp.S.One, m


def _e5_lhs(s: sp.Basic) -> sp.Basic:
    """``||diag(s) - s s^T||`` exactly as E5-general reads at ``s``."""
    return ch.e5_general().start.xreplace({ch.s_vec: s})


def _e5_vector(m: sp.Basic) -> sp.Basic | None:
    """``s`` when ``m`` is ``diag(s) - s s^T`` with ``s`` a probability vector."""
    if isinstance(m, MatAdd) and len(m.args) == 2:
        for a in m.args:
            if isinstance(a, Diag) and _is_probability(a.args[0]):
                s = a.args[0]
                if m in (ch._J(s), _e5_lhs(s).arg):
                    return s
    return None


def _norm_candidates(t: Norm, st: _State) -> Iterator[tuple[sp.Basic, sp.Basic, object]]:
    """Steps ``t -> new`` (``<=`` or ``==``) for a norm ``t``, best first."""
    k, m = t.kind, t.arg
    if k == "op":
        s = _e5_vector(m)
        if s is not None:
            target = _e5_lhs(s)
            if target != t:  # the same matrix written as the lemma writes it
                yield t, target, _by("homogeneity", t, target)
            yield t, sp.Rational(1, 2), _e5(s)
        if isinstance(m, model.BMat) and m.args[0] == model.A and m.args[2] == model.b:
            from . import sharp

            lemma = sharp.s3_b_sharp()
            yield t, lemma.steps[-1].expr, Cite(lemma, ((model.x, m.args[1]),))
    if isinstance(m, MatMul) and any(isinstance(a, MatMul) for a in m.args):
        flat = m.doit()  # nested products flattened, scalars in front
        if flat != m:
            yield t, Norm(k, flat), _by("homogeneity", t, Norm(k, flat))
    c, rest = _split(m)
    if c != 1:
        size = c if rl.known_positive(c) else -c if rl.known_positive(-c) else sp.Abs(c)
        yield t, size * Norm(k, rest), _by("homogeneity", t, size * Norm(k, rest))
    if isinstance(m, MatAdd):
        terms = [Norm(k, a) for a in m.args]
        new = sp.Add(*terms)
        yield t, new, _by("triangle", t, new)
    if k == "op" and isinstance(m, Transpose):
        yield t, Norm("op", m.arg), _by("transpose_norm", t, Norm("op", m.arg))
    if k == "op" and isinstance(m, Diag):
        yield t, Norm("inf", m.args[0]), _by("diag_norm", t, Norm("inf", m.args[0]))
    if isinstance(rest, MatMul) and c == 1:
        args = rest.args
        outer = len(args) == 2 and args[0].shape[1] == 1 and isinstance(args[1], Transpose)
        if k == "op" and outer:
            new = Norm("2", args[0]) * Norm("2", args[1].arg)
            yield t, new, _by("outer_norm", t, new)
        if k in ("op", "2", "inf"):
            # a rank-one left factor v w^T first (its norm is ||v|| ||w||), then 1, 2, ...
            cuts = list(range(1, len(args)))
            if len(args) > 2 and args[0].shape[1] == 1 and isinstance(args[1], Transpose):
                cuts = [2, *[c for c in cuts if c != 2]]
            rk = "op" if k == "op" else "2"
            for cut in cuts:
                left = MatMul(*args[:cut]) if cut > 1 else args[0]
                right = MatMul(*args[cut:]) if len(args) - cut > 1 else args[cut]
                if k != "op" and right.shape[1] != 1:
                    continue
                new = Norm("op", left) * Norm(rk, right)
                yield t, new, _by("submultiplicative", t, new)
    w = rl._unfold_named(m)
    if k == "inf" and isinstance(w, Entrywise) and w.fn in ("exp", "cosh", "sinh"):
        rule = {"exp": "exp_entrywise_max", "cosh": "cosh_entrywise_max"}.get(
            w.fn, "sinh_entrywise_max"
        )
        new = getattr(sp, w.fn)(Norm("inf", w.arg))
        yield t, new, _by(rule, t, new)
    if k == "2" and _is_probability(m):
        yield t, Norm("1", m), _by("norm_comparison", t, Norm("1", m))
    if k == "1" and _is_probability(m):
        yield t, sp.S.One, _by(_simplex_rule(m), t, sp.S.One)
    if k == "2" and rl.positive_vector(m):
        total = _sum_node(st.expr, m)
        if total is not None:  # ||u||_2 <= <u, 1> = alpha, where alpha also divides
            yield t, total, _by("positive_l2_sum", t, total)
    if k == "2" and _inf_bounded(m):
        new = sp.sqrt(m.shape[0]) * Norm("inf", m)
        yield t, new, _by("norm_comparison", t, new)
    if m == st.z and k in st.balls:
        r = st.balls[k]
        yield t, r, _by("segment_norm", t, r, p=st.var, q=st.other)
    if m == st.z and k not in st.balls:  # to a norm with a ball: comparison of norms
        better = {"inf": ("2", "1"), "2": ("1", "inf"), "1": ("2", "inf")}[k] if k != "op" else ()
        for kind in (kk for kk in better if kk in st.balls):
            size = {("2", "inf"): sp.sqrt(m.shape[0]), ("1", "2"): sp.sqrt(m.shape[0])}
            new = size.get((k, kind), sp.S.One) * Norm(kind, m)
            if k == "1" and kind == "inf":
                new = m.shape[0] * Norm(kind, m)
            yield t, new, _by("norm_comparison", t, new)


#: rules giving a lower bound ``low <= t``, used where ``t`` is in a decreasing position
LOWER_RULES = frozenset({"exp_sum_lower", "cosh_sum_lower"})


def _scalar_candidates(t: sp.Basic, st: _State) -> Iterator[tuple[sp.Basic, sp.Basic, object]]:
    """Lower bounds used in decreasing positions (``1/alpha``): E3, ``cosh >= 1``."""
    if not isinstance(t, model.ModelScalar):
        return
    body = rl._unfold_named(t)
    if not isinstance(body, Dot):
        return
    for e, one in (body.args, body.args[::-1]):
        if not isinstance(one, sp.OneMatrix):
            continue
        w = rl._unfold_named(e)
        if isinstance(w, Entrywise) and w.fn == "exp":
            low = w.shape[0] * sp.exp(-Norm("inf", w.arg))
            yield low, t, _by("exp_sum_lower", low, t)
        if isinstance(w, Entrywise) and w.fn == "cosh":
            yield w.shape[0], t, _by("cosh_sum_lower", w.shape[0], t)


def _hyp_candidates(t: sp.Basic, st: _State) -> Iterator[tuple[sp.Basic, sp.Basic, object]]:
    for h in st.hypotheses:
        if h.op in ("<=", "<") and h.lhs == t:
            if not ({st.var, st.other} & h.rhs.free_symbols):
                yield t, h.rhs, Hyp(h)


def _candidates(e: sp.Basic, st: _State) -> Iterator[tuple[sp.Basic, sp.Basic, object]]:
    """Every proposed step inside the supremum over the segment (the distance
    ``||x - y||`` outside it stays), outermost subterm first."""
    seen: set[sp.Basic] = set()
    bodies = [s.body for s in e.atoms(Sup) if s.var == st.z]
    for t in (t for body in bodies for t in sp.preorder_traversal(body)):
        if t in seen or model.is_matrix(t):
            continue
        seen.add(t)
        yield from _hyp_candidates(t, st)
        if isinstance(t, Norm):
            yield from _norm_candidates(t, st)
        yield from _scalar_candidates(t, st)


def _try(prev: sp.Basic, old, new, why) -> Step | None:
    """The step ``old -> new`` in ``prev`` if the chain checker accepts it."""
    if old == new:
        return None
    try:
        if isinstance(why, By) and why.rule in LOWER_RULES:
            expr = prev.xreplace({new: old})  # a lower bound replaces the larger term
        else:
            expr = prev.xreplace({old: new})
    except (TypeError, ValueError):
        return None
    if expr == prev:
        return None
    step = Step(expr, why)
    try:
        res = _check_step(prev, step)
    except (TypeError, ValueError, AttributeError, NotImplementedError):
        return None
    return step if res.ok else None


# --------------------------------------------------------------------------
# The chain
# --------------------------------------------------------------------------
def _closed_form(expr: sp.Basic) -> sp.Basic:
    """``grad(L(x), x)`` as ``grad_L(x)`` (G5): the mean value rule needs a C^1 map
    without derivative nodes."""
    if isinstance(expr, model.Grad):
        s, v = expr.args
        if isinstance(s, model.Loss) and s.args[1] == v:
            return model.GradL(*s.args)
    return expr


def _jacobian_form(g_z: sp.Basic, z: sp.Basic) -> tuple[sp.Basic, str]:
    """The Jacobian (gradient for a scalar) of ``g`` at ``z``, and the route."""
    if isinstance(g_z, model.GradL):
        a, _, w = g_z.args
        return a.T * model.BMat(a, z, w) * a, "S3 (hess L = A^T B A, ||B|| <= 1/2 + ||b||/sqrt 2)"
    if model.is_matrix(g_z):
        u = rl._normalised_parts(g_z)
        w = rl._entrywise_arg(u, "exp") if u is not None else None
        if w is not None:  # u / <u, 1> with u = exp(w) is softmax(w): G4, then E5
            form = calculus._mul(ch._J(g_z), calculus.jacobian(w, z))
            return form, "mean value, Jacobian of a normalised exp (softmax, G4)"
        return calculus.jacobian(g_z, z), "mean value, Jacobian"
    return calculus.gradient(g_z, z), "mean value, gradient"


def derive_bound(
    expr: sp.Basic,
    var: sp.Basic,
    hypotheses: Sequence[Relation] = (),
    *,
    statement_id: str = "derived-bound",
    sizes: dict[str, int] | None = None,
    parameters: dict | None = None,
    definitions: tuple = (),
    progress: Callable[[str], None] | None = None,
) -> BoundResult:
    """Derive ``K`` with ``||expr(var) - expr(var')|| <= K ||var - var'||`` under
    ``hypotheses`` (each on ``var`` also for ``var'``), valid for every ``n``.

    ``BoundInputError`` for an input that is not a map of a vector variable;
    otherwise a :class:`BoundResult` (``ok`` False with the reason when no
    constant is derived)."""
    say = progress or (lambda _msg: None)
    other = _check_input(expr, var)
    hyps = tuple(hypotheses)
    balls, why_not = _balls(hyps, var, other)
    vector = model.is_matrix(expr)
    dist = Norm("2", var - other)
    start = (
        Norm("2", expr - expr.xreplace({var: other}))
        if vector
        else sp.Abs(expr - expr.xreplace({var: other}))
    )

    def fail(reason: str, steps=(), route="") -> BoundResult:
        chain = Chain(statement_id, None, start, tuple(steps)) if steps else None
        return BoundResult(False, expr, var, other, None, chain, None, None, reason, 0, route)

    if why_not:
        return fail(why_not)
    steps: list[Step] = []
    g = _closed_form(expr)
    cur = start
    if g != expr:
        for a, b in ((expr, g), (expr.xreplace({var: other}), g.xreplace({var: other}))):
            step = Step(cur.xreplace({a: b}), _by("identity", a, b))
            steps.append(step)
            cur = step.expr
    if not rules_smooth(g):
        return fail(f"{to_text(g)} is not known to be C^1 (the mean value inequality needs it)")
    z = MatrixSymbol("z", *var.shape)
    g_z = g.xreplace({var: z})
    say("mean value inequality on the segment [x, y] (the hypothesis set is convex)")
    deriv = model.Jac(g_z, z) if vector else model.Grad(g_z, z)
    mv = Sup(Norm("op" if vector else "2", deriv), z, var, other) * dist
    steps.append(Step(mv, _by("mean_value", None, None, g=g, var=var, p=var, q=other)))
    try:
        form, route = _jacobian_form(g_z, z)
    except NotImplementedError as exc:
        return fail(f"no symbolic derivative: {exc}", steps)
    say(f"symbolic {'Jacobian' if vector else 'gradient'} at the point z: {to_text(form)}")
    cur = mv.xreplace({deriv: form})
    steps.append(Step(cur, _by("identity", deriv, form)))
    if not _check_step(mv, steps[-1]).ok and route.endswith("(softmax, G4)"):
        form, route = calculus.jacobian(g_z, z), "mean value, Jacobian"
        cur = mv.xreplace({deriv: form})
        steps[-1] = Step(cur, _by("identity", deriv, form))
    if not _check_step(mv, steps[-1]).ok:
        return fail(
            f"the derivative {to_text(form)} was not proved equal to {to_text(deriv)}", steps, route
        )
    st = _State(var, other, z, _mirror(hyps, var, other), balls)
    while len(steps) < MAX_STEPS:
        step = None
        st.expr = cur
        for old, new, why in _candidates(cur, st):
            st.tried += 1
            step = _try(cur, old, new, why)
            if step is not None:
                break
        if step is None:
            break
        steps.append(step)
        say(f"step {len(steps)}: {step.why.describe()}: {to_text(step.expr)}")
        cur = step.expr
    sups = [s for s in cur.atoms(Sup) if s.var == z]
    if len(sups) != 1 or sups[0].body.has(z):
        return fail(
            f"the bound still depends on the point z after {len(steps)} steps: {to_text(cur)}",
            steps,
            route,
        )
    body = sups[0].body
    close = Step(cur.xreplace({sups[0]: body}), _by("sup_constant", sups[0], body))
    steps.append(close)
    cur = close.expr
    constant = sp.simplify(cur / dist)
    if constant.has(var) or constant.has(other) or constant.has(z):
        return fail(
            f"the bound is not a constant times ||{var} - {other}||: {to_text(cur)}", steps, route
        )
    chain = Chain(statement_id, None, start, tuple(steps), f"derived bound on {expr}")
    say(f"checking the chain ({len(steps)} steps) with the chain checker")
    res = chain.check(against_statement=False)
    if not res.ok:
        return BoundResult(
            False,
            expr,
            var,
            other,
            None,
            chain,
            res,
            None,
            "the derived chain does not check: " + "; ".join(res.problems),
            st.tried,
            route,
        )
    stmt = derived_statement(
        statement_id,
        res,
        st.hypotheses,
        sizes=sizes,
        parameters=parameters,
        definitions=definitions,
    )
    problems = ch._compare(res.conclusion, res.assumes, stmt)  # the chain proves stmt
    if problems:
        return BoundResult(
            False, expr, var, other, None, chain, res, None, "; ".join(problems), st.tried, route
        )
    return BoundResult(True, expr, var, other, constant, chain, res, stmt, "", st.tried, route)


def rules_smooth(g: sp.Basic) -> bool:
    """The mean value rule's own C^1 test (the rule re-checks it)."""
    from .rules import _smooth

    return _smooth(g)


def derived_statement(
    statement_id: str,
    res: ChainResult,
    hypotheses: Sequence[Relation],
    *,
    sizes: dict[str, int] | None = None,
    parameters: dict | None = None,
    definitions: tuple = (),
) -> Statement:
    """The claim the chain proves, with the hypotheses it assumes (in the order of
    ``hypotheses``); an assumption outside them is kept as a hypothesis too.
    ``definitions`` (the file's own, as written) go with it."""
    used = [h for h in hypotheses if any(ch.implies(h, a) for a in res.assumes)]
    for a in res.assumes:
        if not any(ch.implies(h, a) for h in used):
            used.append(a)
    claim = Relation(res.conclusion.lhs, "<=", res.conclusion.rhs)
    extra = {"definitions": tuple(definitions)} if definitions else {}
    return Statement(
        id=statement_id,
        title="derived Lipschitz bound",
        claim=claim,
        hypotheses=tuple(used),
        source="derived by softproof bound",
        sizes=dict(sizes or {"n": 7, "d": 4}),
        parameters=dict(parameters or {}),
        expected=True,
        **extra,
    )


_HALF = sp.Rational(1, 2)


def tampered(chain: Chain, factor: sp.Expr = _HALF) -> Chain:
    """``chain`` with the constant of its last step multiplied by ``factor`` (the
    tests show such a chain is rejected)."""
    last = chain.steps[-1]
    return Chain(
        chain.id,
        chain.statement_id,
        chain.start,
        (*chain.steps[:-1], Step(factor * last.expr, last.why, last.at, last.note)),
        chain.title,
    )
