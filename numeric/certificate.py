"""Certificates of :func:`numeric.certify.certify` and their independent checker.

A certificate is JSON with exact rationals (``"p/q"`` text): the statement, the
sizes and parameters, the domain, the working precision and the box tree.  An
internal node splits its box at ``at`` along variable ``var``; a leaf carries its
decision: ``hypothesis-false`` (hypothesis ``i`` fails on the whole box) or
``claim`` (a named reduction and an inner tree of reduced boxes, each margin
closed by a named test).

:func:`check_certificate` trusts nothing in the file but the tree shape: it
rebuilds the problem and the domain from the statement, checks that the tree
partitions the domain exactly (every split strictly inside its box, children
equal to the two halves), recomputes every reduction from the statement and
every enclosure in Arb, and cross-checks discarded boxes with the separately
written evaluator of :mod:`numeric.balls`.  It does not import the prover.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

from flint import arb_mat, ctx

from derivations.derivation import write_atomic
from derivations.statement import Statement

from .boxes import (
    DomainError,
    InnerInterval,
    Interval,
    Problem,
    decide_margin,
    frac,
    frac_text,
    run_test,
    stage_ranges,
)

__all__ = [
    "CertificateError",
    "check_certificate",
    "explain_certificate",
    "save_certificate",
    "load_certificate",
]

CERT_FORMAT = "softproof-certificate/1"


class CertificateError(ValueError):
    """A certificate that does not verify (the message says where)."""


def save_certificate(cert: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write ``cert`` as JSON (atomically: a temporary file renamed)."""
    write_atomic(Path(path), json.dumps(cert, indent=1))


def load_certificate(path: str | os.PathLike) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def check_certificate(statement: Statement, certificate: Mapping[str, Any]) -> bool:
    """``True`` iff ``certificate`` proves ``statement`` on its stated domain."""
    try:
        explain_certificate(statement, certificate)
    except CertificateError:
        return False
    return True


def explain_certificate(statement: Statement, certificate: Mapping[str, Any]) -> int:
    """Verify ``certificate``; return the number of leaves, or raise
    :class:`CertificateError` naming the first problem."""
    try:
        return _Checker(statement, certificate).run()
    except CertificateError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as exc:
        raise CertificateError(f"malformed certificate: {type(exc).__name__}: {exc}") from exc


def _box(v: Sequence[Sequence[str]]) -> list[Interval]:
    return [(Fraction(lo), Fraction(hi)) for lo, hi in v]


def _param(v: str) -> Any:
    try:
        return frac(v)
    except ValueError:
        import sympy as sp

        return sp.sympify(v)


class _Checker:
    def __init__(self, statement: Statement, cert: Mapping[str, Any]) -> None:
        self.statement = statement
        self.cert = cert

    def run(self) -> int:
        cert = self.cert
        if cert.get("format") != CERT_FORMAT:
            raise CertificateError(f"unknown format {cert.get('format')!r}")
        st = cert["statement"]
        if st["id"] != self.statement.id or st["claim"] != str(self.statement.claim):
            raise CertificateError("the certificate is for another statement")
        self.prec = int(cert["prec"])
        if not 32 <= self.prec <= 4096:
            raise CertificateError(f"unreasonable precision {self.prec}")
        sizes = cert["sizes"]
        params = {k: _param(v) for k, v in cert.get("parameters", {}).items()}
        dom_arg = {
            k: (Fraction(a), Fraction(b)) for k, (a, b) in cert.get("domain_argument", {}).items()
        }
        with ctx.workprec(self.prec):
            try:
                radius = cert.get("default_radius")
                self.problem = Problem(
                    self.statement,
                    int(sizes["n"]),
                    int(sizes["d"]),
                    parameters=params,
                    domain=dom_arg,
                    default_radius=None if radius is None else Fraction(radius),
                )
            except DomainError as exc:
                raise CertificateError(f"the domain cannot be rebuilt: {exc}") from exc
            dom = self.problem.domain
            if list(dom.names) != list(cert["domain"]["variables"]):
                raise CertificateError("the certificate's variables differ from the statement's")
            if [list(map(frac_text, b)) for b in dom.bounds] != cert["domain"]["bounds"]:
                raise CertificateError(
                    "the certificate's domain differs from the one the "
                    "statement and the domain argument give"
                )
            self.reds = {r.name: r for r in self.problem.reductions}
            self.leaves = 0
            self._node(cert["tree"], list(dom.bounds))
        return self.leaves

    # ---- the outer tree: an exact partition of the domain --------------------
    def _node(self, node: Mapping[str, Any], box: list[Interval]) -> None:
        if _box(node["box"]) != box:
            raise CertificateError(f"box {node['box']} is not the one its parent's split gives")
        if "split" in node:
            i, at = int(node["split"]["var"]), Fraction(node["split"]["at"])
            if not 0 <= i < len(box) or not box[i][0] < at < box[i][1]:
                raise CertificateError(f"split at {at} of variable {i} is not inside the box")
            kids = node["children"]
            if len(kids) != 2:
                raise CertificateError("a split node needs exactly two children")
            for part, kid in zip(((box[i][0], at), (at, box[i][1])), kids, strict=True):
                sub = list(box)
                sub[i] = part
                self._node(kid, sub)
            return
        if "decision" not in node:
            raise CertificateError(f"box {node['box']} is neither split nor decided")
        self._leaf(node["decision"], box)
        self.leaves += 1

    # ---- leaves ---------------------------------------------------------------
    def _leaf(self, dec: Mapping[str, Any], box: list[Interval]) -> None:
        env = self.problem.env(box)
        kind = dec["kind"]
        if kind == "hypothesis-false":
            i = int(dec["hypothesis"])
            if not 0 <= i < len(self.problem.hypotheses):
                raise CertificateError(f"no hypothesis {i}")
            op = self.problem.hypotheses[i][1]
            if decide_margin(op, self.problem.hypothesis_margin(i, env)) is not False:
                raise CertificateError(f"hypothesis {i} does not fail on box {box}")
            if _balls_decision(self.problem, self.statement.hypotheses[i], box, self.prec) is True:
                raise CertificateError(f"numeric.balls says hypothesis {i} holds on box {box}")
            return
        if kind != "claim":
            raise CertificateError(f"unknown decision {kind!r}")
        red = self.reds.get(dec["reduction"])
        if red is None:
            raise CertificateError(
                f"the reduction {dec['reduction']!r} does not apply to {self.statement.id}"
            )
        full, ranges = stage_ranges(self.problem, red, env)
        if ranges is None:
            raise CertificateError(f"the reduced ranges are not finite on box {box}")
        inner = dec["inner"]
        if [iv.to_json() for iv in ranges] != inner["box"]:
            raise CertificateError(f"the inner box of {box} is not the recomputed range")
        self._inner(red, full, inner, ranges, set())

    def _inner(self, red, env, node, box: list[InnerInterval], proved: set[int]) -> None:
        if [iv.to_json() for iv in box] != node["box"]:
            raise CertificateError("an inner box is not the one its parent's split gives")
        proved = set(proved)
        for k_text, rec in node.get("proved", {}).items():
            k = int(k_text)
            if not 0 <= k < len(red.margins):
                raise CertificateError(f"no margin {k} in {red.name}")
            ok, _ = run_test(rec["test"], self.problem, red, k, env, box)
            if not ok:
                raise CertificateError(
                    f"test {rec['test']} does not prove margin {k} of {red.name} on an inner box"
                )
            proved.add(k)
        if "split" in node:
            i, at = int(node["split"]["var"]), Fraction(node["split"]["at"])
            if not 0 <= i < len(box) or not box[i].lo < at < box[i].hi:
                raise CertificateError("an inner split is not inside its box")
            kids = node["children"]
            if len(kids) != 2:
                raise CertificateError("an inner split needs exactly two children")
            for part, kid in zip(box[i].split(at), kids, strict=True):
                sub = list(box)
                sub[i] = part
                self._inner(red, env, kid, sub, proved)
            return
        if proved != set(range(len(red.margins))):
            missing = sorted(set(range(len(red.margins))) - proved)
            raise CertificateError(
                f"margins {missing} of {red.name} are not proved on an inner leaf"
            )


def _balls_decision(problem: Problem, relation, box: list[Interval], prec: int) -> bool | None:
    """The hypothesis on the box according to :func:`numeric.balls.relation_arb`
    (an evaluator written separately); ``None`` if it cannot tell or fails."""
    try:
        from .balls import relation_arb
        from .boxes import Evaluator, interval_ball

        vals = dict(
            zip(problem.symbols, (interval_ball(lo, hi).ball() for lo, hi in box), strict=True)
        )
        inst: dict[str, Any] = {}
        for name in problem.statement.variables:
            if name in problem.matrices:
                m = problem.matrices[name]
                inst[name] = arb_mat(m.rows, m.cols, [vals[s] for s in m])
            else:
                from derivations.statement import VARIABLES

                inst[name] = vals[VARIABLES[name]]
        for s in problem.ranged:
            inst[s.name] = vals[s]
        for sym, value in problem.subs.items():
            if sym.name not in inst and not value.free_symbols:
                inst[sym.name] = Evaluator(None, {})(value).ball()
        return relation_arb(relation, inst, prec)
    except Exception:  # noqa: BLE001 - a cross-check that cannot run decides nothing
        return None
