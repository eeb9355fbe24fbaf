"""Certification of an inequality on a bounded box domain by branch and bound in
Arb ball arithmetic.

``certify`` covers the domain (:class:`softproof.numeric.boxes.Domain`) by a tree of boxes,
each bisected along its widest (relative) variable, until every leaf is decided:

* *hypothesis false*: some hypothesis fails rigorously on the whole box;
* *claim*: one :class:`softproof.numeric.boxes.Reduction` (a sufficient condition derived
  symbolically from the statement: direct margin, mean-value form, chain rule,
  principal minors, shift invariance, Gershgorin's row sums in the softmax
  entries) holds on the box; its reduced variables
  may be bisected once more inside the box (an inner tree), each inner leaf
  closed by a recorded test (interval, centred form, monotonicity, second order).

At every box centre the hypotheses and the claim are also evaluated at the exact
point; a rigorous violation there is confirmed by :func:`softproof.numeric.confirm.confirm`
(Arb plus mpmath) and ends the run with ``violated``.  When the time budget runs
out the open boxes are reported (``undecided``).  Boxes may be decided by a
:class:`concurrent.futures.Executor` (``executor=``) in batches; the tree is the
same.  The certificate is plain JSON with exact rationals, re-verified by
:func:`softproof.numeric.certificate.check_certificate`.
"""

from __future__ import annotations

import math
import pickle
import sys
import time
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp
from flint import ctx

from softproof.derivations.statement import Statement

from .boxes import (
    Domain,
    DomainError,
    InnerInterval,
    Interval,
    Problem,
    Reduction,
    decide_margin,
    frac_text,
    q_arb,
    run_test,
    stage_ranges,
)

__all__ = [
    "CertResult",
    "TooManyVariables",
    "MAX_VARIABLES",
    "certify",
    "coverage_boxes",
    "CERT_FORMAT",
]

#: the branch and bound refuses statements with more scalar variables than this
MAX_VARIABLES = 40
#: inner bisection only in at most this many reduced variables
MAX_INNER_DIM = 3
#: inner boxes tried per outer box and reduction before the outer box is split
MAX_INNER_NODES = 4000
CERT_FORMAT = "softproof-certificate/1"
TEST_ORDER = ("interval", "monotone", "centred", "second-order")


class TooManyVariables(DomainError):
    """The statement has too many scalar variables for branch and bound."""


@dataclass
class CertResult:
    """Outcome of :func:`certify`: ``status`` is ``certified``, ``violated`` or
    ``undecided``; ``certificate`` (JSON-able) only when certified."""

    status: str
    statement_id: str
    domain: Domain
    seconds: float
    boxes: int
    leaves: list[dict[str, Any]] = field(default_factory=list)
    certificate: dict[str, Any] | None = None
    witness: dict[str, Any] | None = None
    confirmation: Any = None
    open_boxes: list[list[Interval]] = field(default_factory=list)
    coverage: float = 0.0
    rules: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        if self.status == "certified":
            rules = ", ".join(f"{k}: {v}" for k, v in sorted(self.rules.items()))
            return (
                f"certified on {self.domain.short()} with {self.boxes} boxes in "
                f"{self.seconds:.2f} s (decisions: {rules})"
            )
        if self.status == "violated":
            point = "; ".join(f"{k} = {_plain(v)}" for k, v in self.witness.items())
            return f"violated: rigorous witness {point} ({self.seconds:.2f} s)"
        return (
            f"undecided after {self.seconds:.2f} s: {len(self.open_boxes)} boxes left, "
            f"{100 * self.coverage:.2f}% of the domain decided"
        )


# --------------------------------------------------------------------------
# Box tree
# --------------------------------------------------------------------------
@dataclass
class _Node:
    box: list[Interval]
    split: tuple[int, Fraction] | None = None
    children: list[_Node] = field(default_factory=list)
    decision: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"box": [[frac_text(lo), frac_text(hi)] for lo, hi in self.box]}
        if self.split is not None:
            out["split"] = {"var": self.split[0], "at": frac_text(self.split[1])}
            out["children"] = [c.to_json() for c in self.children]
        elif self.decision is not None:
            out["decision"] = self.decision
        return out


def _midpoint(lo: Fraction, hi: Fraction) -> Fraction:
    """A short rational strictly inside ``(lo, hi)`` near the middle."""
    mid = (lo + hi) / 2
    for den in (1, 2, 4, 8, 16, 64, 256, 1024, 2**16):
        q = Fraction(round(mid * den), den)
        if lo < q < hi and abs(q - mid) <= (hi - lo) / 8:
            return q
    return mid


def _inner_split_point(lo: Fraction, hi: Fraction) -> Fraction:
    """The midpoint, or about the geometric mean for a one-signed range spanning many
    orders of magnitude (a ball cannot enclose ``[1e-7, 1e14]`` tightly)."""
    if lo > 0 and hi > 64 * lo:
        g = Fraction(math.sqrt(float(lo)) * math.sqrt(float(hi)))
        if lo < g < hi:
            return _midpoint(g - (g - lo) / 64, g + (hi - g) / 64)
    if hi < 0 and lo < 64 * hi:
        return -_inner_split_point(-hi, -lo)
    return _midpoint(lo, hi)


def _split_index(box: Sequence[Interval], root: Sequence[Interval]) -> int:
    def scaled(i: int) -> Fraction:
        w0 = root[i][1] - root[i][0]
        return (box[i][1] - box[i][0]) / w0 if w0 else Fraction(0)

    return max(range(len(box)), key=scaled)


def _volume(box: Sequence[Interval], root: Sequence[Interval]) -> float:
    v = 1.0
    for (lo, hi), (rlo, rhi) in zip(box, root, strict=True):
        if rhi > rlo:
            v *= float((hi - lo) / (rhi - rlo))
    return v


# --------------------------------------------------------------------------
# Deciding one box
# --------------------------------------------------------------------------
def _hypothesis_false(problem: Problem, env) -> dict[str, Any] | None:
    for i, (_l, op, _r) in enumerate(problem.hypotheses):
        m = problem.hypothesis_margin(i, env)
        if decide_margin(op, m) is False:
            return {
                "kind": "hypothesis-false",
                "hypothesis": i,
                "text": problem.domain.constraints[i],
                "enclosure": m.str(5, radius=True),
            }
    return None


def _inner_tree(
    problem: Problem, red: Reduction, env, root: list[InnerInterval], deadline: float
) -> dict[str, Any] | None:
    """Prove every margin of ``red`` on the inner ``root`` box, bisecting the reduced
    variables if needed; the proof tree (JSON-able) or ``None``."""
    k_all = set(range(len(red.margins)))
    nodes = 0
    bisect = 0 < len(root) <= MAX_INNER_DIM

    def prove(box: list[InnerInterval], todo: set[int], depth: int) -> dict[str, Any] | None:
        nonlocal nodes
        nodes += 1
        if time.monotonic() > deadline:
            return None
        node: dict[str, Any] = {"box": [iv.to_json() for iv in box], "proved": {}}
        left = set()
        for k in sorted(todo):
            for name in TEST_ORDER:
                if time.monotonic() > deadline:
                    return None
                ok, rec = run_test(name, problem, red, k, env, box)
                if ok:
                    node["proved"][str(k)] = rec
                    break
            else:
                left.add(k)
        if not left:
            return node
        if not bisect or nodes >= MAX_INNER_NODES or depth > 40 or time.monotonic() > deadline:
            return None
        i = max(range(len(box)), key=lambda j: box[j].hi - box[j].lo)
        at = _inner_split_point(box[i].lo, box[i].hi)
        a, b = box[i].split(at)
        kids = []
        for part in (a, b):
            sub = list(box)
            sub[i] = part
            child = prove(sub, left, depth + 1)
            if child is None:
                return None
            kids.append(child)
        node["split"] = {"var": i, "at": frac_text(at)}
        node["children"] = kids
        return node

    return prove(list(root), k_all, 0)


def _decide_claim(problem: Problem, env, deadline: float) -> dict[str, Any] | None:
    for red in problem.reductions:
        if time.monotonic() > deadline:
            return None
        with ctx.workprec(ctx.prec):
            full, ranges = stage_ranges(problem, red, env)
        if ranges is None:
            continue
        tree = _inner_tree(problem, red, full, ranges, deadline)
        if tree is not None:
            return {
                "kind": "claim",
                "reduction": red.name,
                "steps": list(red.steps),
                "inner_variables": [s.name for s in red.inner],
                "inner": tree,
            }
    return None


def _violation_at_centre(problem: Problem, box: Sequence[Interval]) -> list[Fraction] | None:
    """The box centre if the hypotheses hold and the claim fails there rigorously."""
    point = [_midpoint(lo, hi) if lo < hi else lo for lo, hi in box]
    env = {s: q_arb(p) for s, p in zip(problem.symbols, point, strict=True)}
    for i, (_l, op, _r) in enumerate(problem.hypotheses):
        if decide_margin(op, problem.hypothesis_margin(i, env)) is not True:
            return None
    from .boxes import Evaluator

    lhs, op, rhs = problem.claim
    ev = Evaluator(problem, env, clamp=False)
    if decide_margin(op, ev(rhs) - ev(lhs)) is False:
        return point
    return None


def _decide_box(
    problem: Problem, box: list[Interval], deadline: float
) -> tuple[dict[str, Any] | None, list[Fraction] | None]:
    """One box: its decision (hypothesis false, or the claim by a reduction) or
    ``None``, and the box centre when the claim fails there rigorously (to be
    confirmed by the caller)."""
    env = problem.env(box)
    decision = _hypothesis_false(problem, env)
    point = None
    if decision is None:
        point = _violation_at_centre(problem, box)
        decision = _decide_claim(problem, env, deadline)
    return decision, point


@dataclass(frozen=True)
class _Spec:
    """What a worker needs to lower the statement itself (picklable)."""

    statement: Statement
    sizes: dict[str, int]
    parameters: dict[str, Any]
    domain: dict[str, tuple[Any, Any]]
    default_radius: Any
    prec: int

    def key(self) -> bytes:
        return pickle.dumps(
            (
                self.statement.id,
                str(self.statement.claim),
                [str(h) for h in self.statement.hypotheses],
                sorted(self.sizes.items()),
                sorted((k, str(v)) for k, v in self.parameters.items()),
                sorted((k, str(v)) for k, v in self.domain.items()),
                str(self.default_radius),
                self.prec,
            )
        )


#: problems lowered in this (worker) process, by their spec's key
_WORKER_PROBLEMS: dict[bytes, Problem] = {}


def _worker_problem(spec: _Spec, seconds: float) -> Problem:
    key = spec.key()
    if key not in _WORKER_PROBLEMS:
        problem = Problem(
            spec.statement,
            spec.sizes["n"],
            spec.sizes["d"],
            parameters=spec.parameters or None,
            domain=spec.domain or None,
            default_radius=spec.default_radius,
        )
        problem.deadline = time.monotonic() + seconds
        _ = problem.reductions
        _WORKER_PROBLEMS.clear()  # one statement at a time per worker
        _WORKER_PROBLEMS[key] = problem
    return _WORKER_PROBLEMS[key]


def decide_boxes_task(
    spec: _Spec, boxes: list[list[Interval]], seconds: float
) -> list[tuple[dict[str, Any] | None, list[Fraction] | None]]:
    """Worker entry point: decide ``boxes`` of ``spec``'s problem within ``seconds``
    (a duration: clocks of different machines do not agree)."""
    deadline = time.monotonic() + seconds
    with ctx.workprec(spec.prec):
        problem = _worker_problem(spec, seconds)
        return [_decide_box(problem, box, deadline) for box in boxes]


def _decide_nodes(
    problem: Problem,
    spec: _Spec,
    nodes: list[_Node],
    deadline: float,
    executor: Executor | None,
) -> list[tuple[dict[str, Any] | None, list[Fraction] | None]]:
    """Outcomes of ``nodes`` in their order: in this process, or one task per box on
    ``executor``."""
    if executor is None or len(nodes) == 1:  # a lone box (the root) stays here
        return [_decide_box(problem, node.box, deadline) for node in nodes]
    seconds = max(0.0, deadline - time.monotonic())
    futures = [executor.submit(decide_boxes_task, spec, [node.box], seconds) for node in nodes]
    return [f.result()[0] for f in futures]


def _workers(executor: Executor | None) -> int:
    """How many tasks ``executor`` runs at once: its ``workers`` attribute (the
    project's executors), a pool's ``_max_workers``, else 2; 0 for none."""
    if executor is None:
        return 0
    for attr in ("workers", "_max_workers"):
        v = getattr(executor, attr, None)
        if isinstance(v, int) and v > 0:
            return v
    return 2


def _confirm(statement: Statement, problem: Problem, point: Sequence[Fraction]):
    from .confirm import confirm

    inst = problem.instance(point)
    overridden = {k: inst[k] for k in problem.overridden}
    return inst, confirm(statement, inst, parameters=overridden)


# --------------------------------------------------------------------------
# The prover
# --------------------------------------------------------------------------
def certify(
    statement: Statement,
    *,
    sizes: Mapping[str, int] | None = None,
    parameters: Mapping[str, Any] | None = None,
    domain: Mapping[str, tuple[Any, Any]] | None = None,
    default_radius: Any = None,
    budget_seconds: float = 60.0,
    prec: int = 128,
    max_boxes: int = 200_000,
    progress: bool = False,
    executor: Executor | None = None,
    batch_size: int | None = None,
) -> CertResult:
    """Certify ``statement`` on a bounded box domain, or find a rigorous violation.

    ``sizes`` (``{"n": .., "d": ..}``, default the statement's), ``parameters``
    override fixed ones (and must fix ranged ones not to be certified over their
    range), ``domain`` maps variables (``"x"``), entries (``"x[1]"``) or ranged
    parameters to ``(low, high)``; bounds not given are read from the hypotheses
    (``abs(t) <= c``, ``norm(V) <= c`` bound the entries of ``V`` by ``c``);
    ``default_radius`` bounds what is still unbounded by ``[-r, r]``.
    Raises :class:`DomainError` (a ``ValueError``) when the domain is not bounded
    and :class:`TooManyVariables` beyond :data:`MAX_VARIABLES`.

    ``executor`` (a :class:`concurrent.futures.Executor`, e.g. a process pool or
    :func:`softproof.parallel.executor`) decides the open boxes in batches of
    ``batch_size`` (default: 4 per worker), one task per box; each worker lowers the
    statement once.  Batches are taken in queue order and their outcomes applied in
    that order, so the tree (and the certificate) is the one the default in-process
    loop builds, unless the budget ends first.  An executor of one worker, and a
    batch of one box, are decided in this process.
    """
    t0 = time.monotonic()
    deadline = t0 + budget_seconds
    sz = dict(statement.sizes)
    sz.update(sizes or {})
    with ctx.workprec(prec):
        problem = Problem(
            statement,
            sz["n"],
            sz["d"],
            parameters=parameters,
            domain=domain,
            default_radius=default_radius,
        )
        nvars = len(problem.symbols)
        if nvars > MAX_VARIABLES:
            raise TooManyVariables(
                f"{statement.id} has {nvars} scalar variables at n={sz['n']}, d={sz['d']}; "
                f"branch and bound handles at most {MAX_VARIABLES}: choose smaller sizes"
            )
        problem.deadline = deadline  # symbolic refinements stop when the budget ends
        _ = problem.reductions  # derive the sufficient conditions once
        root_box = list(problem.domain.bounds)
        root = _Node(root_box)
        queue: deque[_Node] = deque([root])
        workers = _workers(executor)
        if workers <= 1:
            executor = None  # one task at a time: nothing to gain from shipping boxes
        elif batch_size is None:
            batch_size = 4 * workers
        leaves: list[_Node] = []
        boxes = 0
        last = t0
        rules: dict[str, int] = {}
        spec = _Spec(
            statement, dict(sz), dict(parameters or {}), dict(domain or {}), default_radius, prec
        )
        batch = 1 if executor is None else max(1, int(batch_size or 1))
        while queue:
            now = time.monotonic()
            if now > deadline or boxes >= max_boxes:
                break
            if progress and now - last > 2.0:
                last = now
                done = sum(_volume(lf.box, root_box) for lf in leaves)
                print(
                    f"  certify {statement.id}: {boxes} boxes, {len(queue)} open, "
                    f"{100 * done:.2f}% decided, {now - t0:.1f} s",
                    file=sys.stderr,
                )
            nodes = [queue.popleft() for _ in range(min(batch, len(queue), max_boxes - boxes))]
            outcomes = _decide_nodes(problem, spec, nodes, deadline, executor)
            stop = False
            for j, (node, (decision, point)) in enumerate(zip(nodes, outcomes, strict=True)):
                boxes += 1
                if point is not None:
                    inst, conf = _confirm(statement, problem, point)
                    if conf.confirmed:
                        return CertResult(
                            status="violated",
                            statement_id=statement.id,
                            domain=problem.domain,
                            seconds=time.monotonic() - t0,
                            boxes=boxes,
                            witness=_jsonable(inst),
                            confirmation=conf,
                        )
                if decision is not None:
                    node.decision = decision
                    key = decision.get("reduction", decision["kind"])
                    rules[key] = rules.get(key, 0) + 1
                    leaves.append(node)
                    continue
                i = _split_index(node.box, root_box)
                lo, hi = node.box[i]
                if time.monotonic() > deadline or not lo < hi:
                    queue.extendleft(reversed(nodes[j:]))  # open again, with the rest
                    stop = True
                    break
                at = _midpoint(lo, hi)
                node.split = (i, at)
                for part in ((lo, at), (at, hi)):
                    child = list(node.box)
                    child[i] = part
                    kid = _Node(child)
                    node.children.append(kid)
                    queue.append(kid)
            if stop:
                break
        seconds = time.monotonic() - t0
        leaf_info = [{"box": lf.box, "decision": lf.decision} for lf in leaves]
        if not queue:
            cert = {
                "format": CERT_FORMAT,
                "statement": {
                    "id": statement.id,
                    "claim": str(statement.claim),
                    "hypotheses": list(problem.domain.constraints),
                },
                "sizes": {"n": problem.n, "d": problem.d},
                "parameters": {
                    k: str(problem.subs[statement.parameter_symbols[k]]) for k in (parameters or {})
                },
                "domain_argument": {
                    k: [frac_text(lo), frac_text(hi)] for k, (lo, hi) in problem.explicit.items()
                },
                "default_radius": (
                    None if problem.default_radius is None else frac_text(problem.default_radius)
                ),
                "prec": prec,
                "domain": problem.domain.to_json(),
                "tree": root.to_json(),
            }
            return CertResult(
                status="certified",
                statement_id=statement.id,
                domain=problem.domain,
                seconds=seconds,
                boxes=boxes,
                leaves=leaf_info,
                certificate=cert,
                coverage=1.0,
                rules=rules,
            )
        open_boxes = [n.box for n in queue]
        decided = sum(_volume(lf.box, root_box) for lf in leaves)
        return CertResult(
            status="undecided",
            statement_id=statement.id,
            domain=problem.domain,
            seconds=seconds,
            boxes=boxes,
            leaves=leaf_info,
            open_boxes=open_boxes,
            coverage=decided,
            rules=rules,
        )


def _jsonable(inst: Mapping[str, Any]) -> dict[str, Any]:
    """The witness as JSON values: arrays as lists, exact SymPy numbers as text."""
    out: dict[str, Any] = {}
    for k, v in inst.items():
        if isinstance(v, sp.Basic):
            out[k] = str(v)
        else:
            out[k] = v.tolist() if hasattr(v, "tolist") else v
    return out


def coverage_boxes(result: CertResult) -> list[dict[str, Any]]:
    """Every box of a run with its decision, for plotting a 2-D projection:
    ``{"bounds": {name: (lo, hi)} (floats), "decision": "claim" | "hypothesis-false" |
    "undecided", "rule": reduction name or ""}``."""
    names = result.domain.names
    out = []
    for lf in result.leaves:
        dec = lf["decision"]
        out.append(
            {
                "bounds": {
                    nm: (float(lo), float(hi))
                    for nm, (lo, hi) in zip(names, lf["box"], strict=True)
                },
                "decision": dec["kind"],
                "rule": dec.get("reduction", ""),
            }
        )
    for box in result.open_boxes:
        out.append(
            {
                "bounds": {
                    nm: (float(lo), float(hi)) for nm, (lo, hi) in zip(names, box, strict=True)
                },
                "decision": "undecided",
                "rule": "",
            }
        )
    return out


def _plain(v: Any) -> str:
    """A witness value as text: a number, or nested lists of numbers (no Python repr)."""
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_plain(x) for x in v) + "]"
    if hasattr(v, "tolist"):
        return _plain(v.tolist())
    return f"{float(v):.17g}" if isinstance(v, float) else str(v)
