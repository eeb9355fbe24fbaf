"""The strongest symbolic verdict on a statement, shared by every entry point.

:func:`strongest_verdict` is what ``softproof check``, ``softproof report`` and
``softproof derive`` ask before (or instead of) searching:

0. a statement file's own proof (``proof = [...]``, :mod:`softproof.derivations.proofs`):
   ``proved`` by it, or the reason it is rejected (the claim is then searched);
1. a catalogue entry with a machine-checked chain (:mod:`softproof.derivations.chains`),
   checked against *this* statement: ``proved`` by the chain;
2. an identity (``==``): the symbolic prover for symbolic ``n, d`` first, then at
   the sizes in use (a refutation at other sizes is noted: the claim is then no
   identity for every n, d, but a counterexample must have the sizes the
   statement is checked at), each within a deadline (a forked worker,
   :mod:`softproof.derivations.deadline`).  Fixed and derived parameters are constants
   (their exact values are substituted); ranged ones stay symbols whose
   refutation values lie in their range.  A refutation of a statement without
   hypotheses carries an exact witness instance (doubles) to be confirmed
   rigorously by the caller; with hypotheses a refutation says nothing about
   the statement and is only noted.

Anything else is ``unknown``: the caller searches.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .statement import Statement

__all__ = [
    "Verdict",
    "strongest_verdict",
    "chain_verdict",
    "file_proof_verdict",
    "identity_verdict",
    "witness_of",
]


@dataclass
class Verdict:
    """``status``: ``proved``, ``refuted`` (``witness`` an instance when the
    refutation applies to the statement) or ``unknown``.  ``by`` is ``chain`` or
    ``identity`` (or empty); ``level`` is ``symbolic`` or ``n=.., d=..``."""

    status: str
    text: str
    by: str = ""
    level: str = ""
    witness: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    proof: Any = None
    chain: Any = None

    @property
    def proved(self) -> bool:
        return self.status == "proved"


def chain_verdict(statement: Statement, chain_result: Any = None) -> Verdict | None:
    """``proved`` when a machine-checked chain for ``statement.id`` is correct and
    its conclusion (with its assumptions) gives *this* statement; a failed chain
    gives ``unknown``; no chain: None.  ``chain_result`` is a result already
    checked against ``statement`` (the report checks every chain once)."""
    from . import chains

    if statement.id not in chains.ids():
        return None
    result = chain_result
    if result is None:
        result = chains.chain(statement.id).check(statement=statement)
    if not result.ok:
        return Verdict("unknown", result.summary(), chain=result)
    where = "for symbolic n, d" if result.level == "symbolic" else f"at sizes {result.level}"
    return Verdict(
        "proved",
        f"proved by a machine-checked chain ({where}; {len(result.steps)} steps)",
        by="chain",
        level=result.level,
        chain=result,
    )


_SIZE_PAIR = re.compile(r"\((\d+),\s*(\d+)\)")


def _at_sizes_in_use(v: Verdict | None, sizes: Mapping[str, int]) -> Verdict | None:
    """A chain proved only at explicit sizes (an identity step checked at
    ``(1,1), (2,1), ...``) proves nothing at other sizes: there it is ``unknown``."""
    if v is None or not v.proved or v.level in (None, "", "symbolic"):
        return v
    pairs = {(int(a), int(b)) for a, b in _SIZE_PAIR.findall(str(v.level))}
    here = (int(sizes.get("n", 1)), int(sizes.get("d", 1)))
    if here in pairs:
        return v
    text = (
        f"the proof holds only at sizes {v.level} (a step checked there only), "
        f"not at n={here[0]}, d={here[1]}"
    )
    return Verdict("unknown", text, notes=[text], chain=v.chain)


def file_proof_verdict(statement: Statement) -> Verdict | None:
    """A statement file's own proof (``proof = [...]``, :mod:`proofs`): ``proved`` when
    every step checks and the chain concludes the claim (or a stronger bound), else
    ``unknown`` with ``proof rejected at step k (by): why``; None without a proof."""
    if getattr(statement, "proof", None) is None:
        return None
    from .proofs import check_proof

    outcome = check_proof(statement)
    if not outcome.ok:
        return Verdict("unknown", outcome.message, notes=[outcome.message], chain=outcome.result)
    return Verdict("proved", outcome.message, by="chain", level=outcome.level, chain=outcome.result)


def _constants(statement: Statement) -> dict[sp.Symbol, sp.Expr]:
    """Exact values of the fixed and derived parameters (ranged ones stay symbols)."""
    syms = statement.parameter_symbols
    fixed = statement.fixed_parameters
    # a decimal 0.1 is 1/10 exactly, as in the rigorous confirmation
    out = {
        syms[k]: sp.Rational(repr(v)) if isinstance(v, float) else sp.sympify(v)
        for k, v in fixed.items()
    }
    given = set(statement.ranged_parameters)
    for name, e in statement.derived_in_order(set(fixed) | given):
        out[syms[name]] = e.xreplace(out)
    return out


def _ranges(statement: Statement) -> dict[sp.Symbol, tuple[float, float]]:
    syms = statement.parameter_symbols
    return {syms[k]: (float(lo), float(hi)) for k, (lo, hi) in statement.ranged_parameters.items()}


_NAME = re.compile(r"^(?P<var>[A-Za-z]+)_\{(?P<i>\d+)(?:,(?P<j>\d+))?\}$")


def witness_of(statement: Statement, witness: Mapping[str, Any]) -> dict[str, Any] | None:
    """The instance (float64 arrays and floats) of a prover refutation: the
    exact point's coordinates are doubles; coordinates the refuting entry does
    not use are 0.  None when the point names something the statement lacks."""
    n_value, d_value = int(witness["n"]), int(witness["d"])
    shapes = {"A": (n_value, d_value), "At": (n_value, d_value), "b": (n_value,)}
    shapes |= {"x": (d_value,), "y": (d_value,)}
    inst: dict[str, Any] = {}
    for var in statement.variables:
        inst[var] = np.zeros(shapes[var]) if var in shapes else 0.0
    for name in statement.ranged_parameters:
        lo, hi = statement.ranged_parameters[name]
        inst[name] = float(lo)
    for key, text in dict(witness.get("point", {})).items():
        value = sp.Rational(text)
        as_float = float(value)
        if sp.Rational(as_float) != value:
            return None  # not a double: the instance would not be the refuting point
        m = _NAME.match(key)
        if m is None:
            if key not in inst or isinstance(inst[key], np.ndarray):
                return None
            inst[key] = as_float
            continue
        var, i, j = m["var"], int(m["i"]) - 1, m["j"]
        if var not in inst or not isinstance(inst[var], np.ndarray):
            return None
        arr = inst[var]
        if j is not None:
            arr[i, int(j) - 1] = as_float
        elif arr.ndim == 2:
            arr[i, 0] = as_float  # a one-column matrix lowers to A_{r}
        else:
            arr[i] = as_float
    return inst


def _at_sizes(result: Any, sizes: Mapping[str, int]) -> bool:
    """Whether a refutation's exact point has the sizes in use (only such a point is a
    counterexample to the statement as checked: ``--n``/``--d`` or the file's sizes)."""
    w = result.witness or {}
    return (int(w.get("n", -1)), int(w.get("d", -1))) == (int(sizes["n"]), int(sizes["d"]))


def identity_verdict(statement: Statement, sizes: Mapping[str, int], seconds: float) -> Verdict:
    """The symbolic prover on an identity: symbolic ``n, d`` first, then the
    explicit sizes, all within ``seconds`` (see the module docstring)."""
    from .identities import prove_with_deadline

    t_end = time.perf_counter() + seconds
    consts = _constants(statement)
    lhs = statement.claim.lhs.xreplace(consts)
    rhs = statement.claim.rhs.xreplace(consts)
    ranges = _ranges(statement)
    notes: list[str] = []
    refutations = []
    here = ("explicit", int(sizes["n"]), int(sizes["d"]))
    levels: list[Any] = ["symbolic", here]
    refute_first = False
    for k, level in enumerate(levels):
        left = t_end - time.perf_counter()
        share = left * 0.8 if k == 0 else left
        if refute_first and level == here:
            # refuted at other sizes: first look for a refuting point at these
            # sizes alone (fast), then try the full proof with what is left
            found = prove_with_deadline(lhs, rhs, level, share * 0.8, ranges, refute_only=True)
            if found.status == "refuted":
                notes.append(f"prover: {found.summary()}")
                refutations.append(found)
                break
            share = t_end - time.perf_counter()
        try:
            out = prove_with_deadline(lhs, rhs, level, share, ranges)
        except (ValueError, TypeError, NotImplementedError) as exc:
            notes.append(f"prover: {exc}")
            continue
        if out.proved:
            elsewhere = [t for t in notes if "no identity for every n, d" in t]
            return Verdict(
                "proved",
                out.summary() + "".join(f"; {t}" for t in elsewhere),
                by="identity",
                level="symbolic" if level == "symbolic" else out.where,
                notes=notes,
                proof=out,
            )
        notes.append(f"prover: {out.summary()}")
        if out.status == "refuted":
            if _at_sizes(out, sizes):
                refutations.append(out)
                break  # an exact refuting point at the sizes in use
            notes[-1] = (
                f"prover: {out.summary()}, so it is no identity for every n, d; the sizes in "
                f"use (n={sizes['n']}, d={sizes['d']}) are decided on their own"
            )
            refute_first = True
    if not refutations:
        return Verdict("unknown", "; ".join(notes), notes=notes)
    out = refutations[-1]
    if statement.hypotheses:
        notes.append("the refutation ignores the hypotheses: it is no counterexample")
        return Verdict("unknown", "; ".join(notes), notes=notes, proof=out)
    inst = witness_of(statement, out.witness)
    return Verdict("refuted", out.summary(), by="identity", witness=inst, notes=notes, proof=out)


def _catalogue_entry(statement: Statement) -> bool:
    """``statement`` is the catalogue's own entry (its file's proof is the chain of
    :func:`chains.chain`), not a file that reuses an id."""
    from . import catalogue

    pack = catalogue.PACK
    if statement.proof is None or statement.id not in pack.ids:
        return False
    own = pack.statement(statement.id)
    if own is statement:
        return True
    # the same entry after a trip to a worker process (pickled: another object)
    return (
        own.claim == statement.claim
        and own.hypotheses == statement.hypotheses
        and own.parameters == statement.parameters
        and own.definitions == statement.definitions
    )


def strongest_verdict(
    statement: Statement,
    sizes: Mapping[str, int],
    seconds: float,
    chain_result: Any = None,
) -> Verdict:
    """The strongest symbolic evidence about ``statement``: a chain, else the
    identity prover (symbolic, then explicit sizes), else ``unknown``."""
    t0 = time.perf_counter()
    notes: list[str] = []
    if (chain_result is not None and chain_result.ok) or _catalogue_entry(statement):
        # the catalogue's chain (its file's proof), checked once
        ch = _at_sizes_in_use(chain_verdict(statement, chain_result), sizes)
        if ch is not None and ch.proved:
            return ch
    own = _at_sizes_in_use(file_proof_verdict(statement), sizes)
    if own is not None:
        if own.proved:
            return own
        notes.append(own.text)
    ch = _at_sizes_in_use(chain_verdict(statement, chain_result), sizes)
    if ch is not None:
        if ch.proved:
            return ch
        notes.append(ch.text)
    if statement.claim.op == "==":
        left = seconds - (time.perf_counter() - t0)
        v = identity_verdict(statement, sizes, left)
        v.notes = notes + v.notes
        if notes and v.status == "unknown":
            v.text = "; ".join(v.notes)
        return v
    return Verdict("unknown", "; ".join(notes), notes=notes)
