"""Proofs written in statement files: parsed into :class:`chains.Chain` objects.

A file's ``proof`` is an array of tables: ``{ start = "..." }``, then steps with
exactly one of ``eq`` / ``le`` / ``lt`` (the next expression and how it relates
to the previous one) and ``by``:

* a rule of :data:`rules.RULES` (``"mean_value"``, ``"triangle"``, ...; also
  ``"identity"`` and ``"definition"``);
* ``"hypothesis"``: a hypothesis of the statement (or of the lemma being proved);
* ``"lemma ID"``: a ``[[lemma]]`` of the same file, else a statement with a proof of
  the pack in the file's folder, else of the catalogue (an entry or a helper lemma
  such as ``E5-general``).

Optional keys: ``old`` / ``new`` (the rewritten subterms), ``at`` (the context,
``HOLE`` at the rewritten positions), ``args = { name = "expr" }`` (rule
arguments), ``lemma = "ID"`` (the scalar lemma of ``entrywise_lemma``), ``subs =
{ x = "y" }`` (for a cited lemma) and ``discharge = [ {...}, ... ]`` (proofs of
the facts a rule or lemma assumes).  When ``old`` / ``new`` are not given the
changed subterms are found by a parallel walk of the two expressions (one
rewrite ``old -> new``, possibly at several positions) and the justification is
tried on the smallest differing pair, then on enclosing pairs up to the whole
expressions; ``mean_value``'s ``g, var, p, q``, ``segment_norm``'s ``p, q`` and
``simplex_identity``'s ``s_node`` are read off the expressions when not given.

Every step is checked by :func:`chains._check_step` (the catalogue's checker);
:func:`check_proof` reports ``proof rejected at step k (by): reason``.  Lemmas
(``[[lemma]]`` tables: ``id``, ``claim``, ``hypotheses``, ``variables``, ``proof``)
make an exported file self-contained (:func:`export_statement`).
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp
from sympy import MatrixSymbol

from . import chains as ch
from . import model
from . import rules as rl
from .chains import By, Chain, ChainResult, Cite, Hyp, Step, SubChain
from .grammar import GrammarError, parse_expression, parse_relation
from .rules import HOLE, Sup
from .source import auxiliary_symbols, declaration, relation_source, to_source
from .statement import Relation, Statement

__all__ = [
    "ProofFormatError",
    "FileProof",
    "ProofOutcome",
    "parse_variables",
    "build_file_proof",
    "check_proof",
    "export_statement",
    "JUSTIFICATIONS",
]

#: the justifications besides the rules (``softproof rules`` lists them)
JUSTIFICATIONS = {
    "hypothesis": "a hypothesis of the statement (or of the lemma being proved)",
    "identity": "an identity proved by the symbolic prover (every n, d where possible)",
    "definition": "a model function replaced by its definition",
    "lemma ID": "a [[lemma]] of the file, a statement of its pack or of the catalogue",
}

_RELATIONS = {"eq": "==", "le": "<=", "lt": "<"}
_KEYS_OF_RELATION = {v: k for k, v in _RELATIONS.items()}
_STEP_KEYS = {"eq", "le", "lt", "by", "old", "new", "args", "at", "subs", "discharge", "lemma"}
_STEP_KEYS |= {"note"}
_DISCHARGE_KEYS = {"by", "old", "new", "args", "subs", "discharge", "lemma", "eq", "le", "lt"}
_LEMMA_KEYS = {"id", "title", "claim", "hypotheses", "variables", "proof"}
#: rule arguments read off the expressions when not given
_INFERRED = {"mean_value": {"g", "var", "p", "q"}, "segment_norm": {"p", "q"}}
_INFERRED["simplex_identity"] = {"s_node"}
_INFERRED["sup_monotone"] = {"bound"}


class ProofFormatError(ValueError):
    """A malformed proof table: ``problem``; ``text`` is a string of the file near
    the problem (to find its line), ``section`` the key (``proof``, ``lemma``,
    ``variables``); ``grammar`` the expression error, if any."""

    def __init__(
        self,
        problem: str,
        text: str | None = None,
        section: str = "proof",
        grammar: GrammarError | None = None,
    ):
        self.problem, self.text, self.section, self.grammar = problem, text, section, grammar
        #: the ``[[lemma]]`` (its id) and the table of its proof (0: the start) at fault
        self.lemma: str | None = None
        self.table: int | None = None
        super().__init__(problem)


# --------------------------------------------------------------------------
# Declared variables
# --------------------------------------------------------------------------
_SIZE_NAMES = {"n": model.n, "d": model.d}


def parse_variables(table: object, taken: Sequence[str] = ()) -> dict[str, sp.Basic]:
    """``{ s = "vector n", M = "matrix n d", sigma = "scalar", beta = "positive" }``
    -> symbols (vectors of length n, d or a positive integer)."""
    from .grammar import RESERVED_NAMES

    if not isinstance(table, dict):
        raise ProofFormatError("'variables' must be a table such as { z = \"vector d\" }", None)
    out: dict[str, sp.Basic] = {}
    for name, kind in table.items():
        if name in RESERVED_NAMES or name in taken or not name.isidentifier() or name == "HOLE":
            raise ProofFormatError(f"'{name}' cannot be a variable name", name, "variables")
        if not isinstance(kind, str):
            raise ProofFormatError(f"variable {name}: the kind must be a string", name, "variables")
        words = kind.split()
        dims = [_dimension(w) for w in words[1:]]
        if words == ["scalar"]:
            out[name] = sp.Symbol(name, real=True)
        elif words == ["positive"]:
            out[name] = sp.Symbol(name, positive=True)
        elif words[:1] == ["vector"] and len(dims) == 1 and None not in dims:
            out[name] = MatrixSymbol(name, dims[0], 1)
        elif words[:1] == ["matrix"] and len(dims) == 2 and None not in dims:
            out[name] = MatrixSymbol(name, dims[0], dims[1])
        else:
            raise ProofFormatError(
                f"variable {name}: kind {kind!r} is not 'scalar', 'positive', "
                "'vector K' or 'matrix K L' (K, L: n, d or a positive integer)",
                kind,
                "variables",
            )
    return out


def _dimension(word: str) -> sp.Basic | None:
    if word in _SIZE_NAMES:
        return _SIZE_NAMES[word]
    if word.isdigit() and 0 < int(word) <= 10_000:
        return sp.Integer(int(word))
    return None


# --------------------------------------------------------------------------
# The parsed proof
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class Lemma:
    """A ``[[lemma]]`` of the file: its chain and, when written, its statement."""

    id: str
    chain: Chain
    statement: Statement | None


@dataclass(frozen=True)
class _Resolved:
    """The chains of a file's proof once every step's subterms are found."""

    chain: Chain
    declared: tuple[str, ...]
    by_text: tuple[str, ...]
    lemmas: tuple[Lemma, ...]
    lemma_declared: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


class FileProof:
    """A file's proof, validated when the file is loaded (every table, name and
    cited lemma); the changed subterms of each step are found on first use of
    :attr:`chain` (the chain, ``statement_id`` the file's id), so loading stays fast.

    ``lazy`` (the catalogue's files): nothing is read at load, every table is
    validated and resolved on first use; a malformed table then raises
    ``on_error(ProofFormatError)`` (the loader's message naming file and line).
    ``folder``: the file's folder, where ``lemma ID`` looks for pack statements."""

    def __init__(
        self,
        proof,
        lemmas,
        names,
        statement_id: str,
        hypotheses,
        definitions=None,
        lazy: bool = False,
        on_error=None,
        folder: str | None = None,
    ) -> None:
        self._args = (proof, lemmas, dict(names), statement_id, tuple(hypotheses))
        self._definitions = dict(definitions or {})
        self._resolved: _Resolved | None = None
        self._on_error, self._folder = on_error, folder
        self._declared: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        if not lazy:
            checked = _build(
                *self._args, resolve=False, definitions=self._definitions, folder=folder
            )  # every table validated now
            self._declared = (checked.declared, checked.by_text)

    @property
    def declared(self) -> tuple[str, ...]:
        return self._declared[0] if self._declared else self.resolved().declared

    @property
    def by_text(self) -> tuple[str, ...]:
        return self._declared[1] if self._declared else self.resolved().by_text

    def resolved(self) -> _Resolved:
        if self._resolved is None:
            try:
                if hasattr(self._args[0], "tables"):  # tables read on first use
                    proof, lemmas = self._args[0].tables()
                    self._args = (proof, lemmas, *self._args[2:])
                self._resolved = _build(
                    *self._args, resolve=True, definitions=self._definitions, folder=self._folder
                )
            except ProofFormatError as exc:
                if self._on_error is None:
                    raise
                raise self._on_error(exc) from None
        return self._resolved

    @property
    def chain(self) -> Chain:
        return self.resolved().chain

    @property
    def lemmas(self) -> tuple[Lemma, ...]:
        return self.resolved().lemmas


@dataclass(frozen=True)
class ProofOutcome:
    """Result of :func:`check_proof`: ``ok`` and the message to print."""

    ok: bool
    message: str
    result: ChainResult | None = None
    failed_step: int | None = None
    steps: int = 0
    level: str = "symbolic"


class _Scope:
    """Names an expression of one chain may use, and that chain's hypotheses."""

    def __init__(
        self,
        names: Mapping[str, sp.Basic],
        hypotheses: Sequence[Relation],
        definitions: Mapping[str, object] | None = None,
    ):
        self.names = dict(names)
        self.hypotheses = tuple(hypotheses)
        self.definitions = dict(definitions or {})

    def expr(
        self, text: object, what: str, hole: bool = False, hole_like: sp.Basic | None = None
    ) -> sp.Basic:
        """``text`` parsed; ``HOLE`` is a name only in a context (``hole``), shaped
        like ``hole_like`` when that is a vector or matrix."""
        if not isinstance(text, str):
            raise ProofFormatError(f"{what} must be an expression string", None)
        names = dict(self.names)
        if hole and hole_like is not None and model.is_matrix(hole_like):
            names["HOLE"] = MatrixSymbol("HOLE", *hole_like.shape)
        elif hole:
            names["HOLE"] = HOLE
        try:
            return parse_expression(text, parameters=names, definitions=self.definitions)
        except GrammarError as exc:
            raise ProofFormatError(f"{exc.problem} in {what}", text, grammar=exc) from None

    def relation(self, text: object, what: str) -> Relation:
        if not isinstance(text, str):
            raise ProofFormatError(f"{what} must be a relation string", None)
        try:
            return parse_relation(text, parameters=self.names, definitions=self.definitions)
        except GrammarError as exc:
            raise ProofFormatError(f"{exc.problem} in {what}", text, grammar=exc) from None


class _Builder:
    """Turns the file's tables into chains (lemmas on first use, cycles refused)."""

    def __init__(
        self,
        lemma_tables: Sequence[object],
        base_names: Mapping[str, sp.Basic],
        resolve: bool,
        definitions: Mapping[str, object] | None = None,
        folder: str | None = None,
    ):
        self.resolve = resolve
        self.folder = folder
        self.definitions = dict(definitions or {})
        self.base = dict(base_names)
        self.tables: dict[str, dict] = {}
        for t in lemma_tables:
            if not isinstance(t, dict):
                raise ProofFormatError("each [[lemma]] must be a table", None, "lemma")
            lid = t.get("id")
            if not isinstance(lid, str) or not lid:
                raise ProofFormatError("a [[lemma]] needs an 'id' string", None, "lemma")
            for key in t:
                if key not in _LEMMA_KEYS:
                    raise ProofFormatError(
                        f"lemma {lid}: unknown key '{key}' "
                        f"(allowed: {', '.join(sorted(_LEMMA_KEYS))})",
                        lid,
                        "lemma",
                    )
            if lid in self.tables:
                raise ProofFormatError(f"lemma {lid} is given twice", lid, "lemma")
            if "proof" not in t:
                raise ProofFormatError(f"lemma {lid} has no 'proof'", lid, "lemma")
            self.tables[lid] = t
        self.done: dict[str, Lemma] = {}
        self.declared: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self.busy: list[str] = []

    # ---- lemmas ----------------------------------------------------------
    def lemma_chain(self, lid: str, text: str) -> Chain:
        if lid in self.done:
            return self.done[lid].chain
        if lid in self.tables:
            if lid in self.busy:
                raise ProofFormatError(f"lemma {lid} cites itself (a cycle)", text)
            self.busy.append(lid)
            try:
                self.done[lid] = self.build_lemma(lid, self.tables[lid])
            finally:
                self.busy.pop()
            return self.done[lid].chain
        try:
            return _pack_chain(self.folder, lid)
        except KeyError:
            known = sorted(self.tables) + ch.lemma_ids()
            raise ProofFormatError(
                f"unknown lemma '{lid}' (a [[lemma]] of the file or one of {', '.join(known)})",
                text,
            ) from None

    def build_lemma(self, lid: str, t: dict) -> Lemma:
        names = dict(self.base)
        if "variables" in t:
            try:
                names.update(parse_variables(t["variables"]))
            except ProofFormatError as exc:
                problem = f"lemma {lid}: {exc.problem}"
                raise ProofFormatError(problem, exc.text or lid, "lemma") from None
        hyps_text = t.get("hypotheses", [])
        if not isinstance(hyps_text, list):
            raise ProofFormatError(f"lemma {lid}: 'hypotheses' must be a list", lid, "lemma")
        scope = _Scope(names, (), self.definitions)
        hyps = tuple(scope.relation(h, f"lemma {lid} hypothesis") for h in hyps_text)
        scope = _Scope(names, hyps, self.definitions)
        stmt = None
        if "claim" in t:
            claim = scope.relation(t["claim"], f"lemma {lid} claim")
            stmt = Statement(lid, str(t.get("title", "")), claim, hyps, parameters={})
        chain, declared, by_text = self.chain(t["proof"], scope, lid, None, f"lemma {lid}")
        self.declared[lid] = (declared, by_text)
        return Lemma(lid, chain, stmt)

    # ---- chains ----------------------------------------------------------
    def chain(
        self, tables: object, scope: _Scope, cid: str, sid: str | None, what: str
    ) -> tuple[Chain, tuple[str, ...], tuple[str, ...]]:
        if not isinstance(tables, list) or not tables:
            raise ProofFormatError(f"the proof of {what} must be a non-empty array of tables")
        first = tables[0]
        if not isinstance(first, dict) or set(first) != {"start"}:
            raise ProofFormatError(
                f'{what}: the proof starts with {{ start = "..." }} alone',
                _some_text(first),
            )
        if len(tables) < 2:
            problem = f"{what}: the proof needs a step after its start"
            raise ProofFormatError(problem, first["start"])
        lemma = cid if sid is None else None
        k = 0
        try:
            start = scope.expr(first["start"], f"{what}, start")
            prev = start
            steps: list[Step] = []
            declared: list[str] = []
            by_text: list[str] = []
            for k, t in enumerate(tables[1:], 1):
                where = f"{what}, step {k}"
                op, expr, by = self.step_head(t, scope, where)
                step = self.step(t, prev, expr, op, by, scope, where)
                steps.append(step)
                declared.append(op)
                by_text.append(by)
                prev = expr
        except ProofFormatError as exc:
            if exc.table is None and exc.lemma is None:
                exc.table, exc.lemma = k, lemma
            raise
        return Chain(cid, sid, start, tuple(steps)), tuple(declared), tuple(by_text)

    def step_head(self, t: object, scope: _Scope, where: str) -> tuple[str, sp.Basic, str]:
        if not isinstance(t, dict):
            raise ProofFormatError(f"{where} must be a table")
        for key in t:
            if key not in _STEP_KEYS:
                raise ProofFormatError(
                    f"{where}: unknown key '{key}' (allowed: {', '.join(sorted(_STEP_KEYS))})",
                    _some_text(t),
                )
        rels = [k for k in _RELATIONS if k in t]
        if len(rels) != 1:
            got = " and ".join(rels) if rels else "none"
            raise ProofFormatError(
                f"{where}: a step has exactly one of eq, le, lt (got {got})", _some_text(t)
            )
        if "by" not in t:
            problem = f"{where}: missing 'by' (a rule, 'hypothesis', 'lemma ID', ...)"
            raise ProofFormatError(problem, _some_text(t))
        by = t["by"]
        if not isinstance(by, str):
            raise ProofFormatError(f"{where}: 'by' must be a string", _some_text(t))
        _check_by(by, where)
        expr = scope.expr(t[rels[0]], where)
        return _RELATIONS[rels[0]], expr, by

    def justification(
        self, t: dict, by: str, op: str, scope: _Scope, where: str, old, new
    ) -> Hyp | By | Cite | SubChain | None:
        """The justification with explicit ``old``/``new`` (None for a hypothesis
        to be looked up)."""
        if by == "hypothesis":
            if old is None:
                return None
            return Hyp(Relation(old, op, new))
        if by.startswith("lemma "):
            chain = self.lemma_chain(by[6:].strip(), by)
            subs = self.subs(t.get("subs", {}), chain, scope, where)
            return Cite(chain, subs, self.discharges(t.get("discharge", []), scope, where))
        args = self.args(t.get("args", {}), by, scope, where)
        lemma = None
        if "lemma" in t:
            if not isinstance(t["lemma"], str):
                raise ProofFormatError(f"{where}: 'lemma' must be an id string", None)
            lemma = self.lemma_chain(t["lemma"], t["lemma"])
        dis = self.discharges(t.get("discharge", []), scope, where)
        return By(by, old, new, args, lemma, dis)

    def step(self, t: dict, prev, expr, op: str, by: str, scope: _Scope, where: str) -> Step:
        if ("old" in t) != ("new" in t):
            raise ProofFormatError(f"{where}: give both 'old' and 'new', or neither", _some_text(t))
        old = new = at = None
        if "old" in t:
            old = scope.expr(t["old"], f"{where}, old")
            new = scope.expr(t["new"], f"{where}, new")
        if "at" in t:
            at = scope.expr(t["at"], f"{where}, at", hole=True, hole_like=old)
        try:
            _misplaced(t, by)
            why = self.justification(t, by, op, scope, where, old, new)
        except ProofFormatError:
            raise
        except (_Refusal, TypeError, ValueError) as exc:
            return Step(expr, _Refused(by, _first_line(exc)))
        if not self.resolve:  # validated only: the subterms are found when checked
            return Step(expr, why if why is not None else _Refused(by, "not resolved"), at=at)
        if old is not None and at is not None:
            cand = Step(expr, why, at=at)
            try:
                ch._check_step(prev, cand)
            except Exception as exc:  # noqa: BLE001 - any failure refuses the step
                return Step(expr, _Refused(by, _first_line(exc)))
            return cand
        candidates = self.candidates(why, by, t, prev, expr, op, scope, where, old, new, at)
        first, weaker, errors = None, None, []
        for cand in candidates:
            try:
                r = ch._check_step(prev, cand)
            except Exception as exc:  # noqa: BLE001 - a candidate that cannot be checked
                errors.append(_first_line(exc))
                continue
            if r.ok and _gives(r.op, op):
                return cand
            if r.ok:  # follows, but more weakly than written: reported as such
                weaker = weaker or cand
            first = first or cand
        if weaker is not None:
            return weaker
        if by == "hypothesis" and why is None:
            hyps = "; ".join(map(relation_source, scope.hypotheses)) or "none"
            return Step(
                expr,
                _Refused(by, f"no hypothesis turns the previous expression into this one ({hyps})"),
            )
        if first is not None:
            return first
        return Step(expr, _Refused(by, errors[0] if errors else "nothing to rewrite"))

    def candidates(self, why, by, t, prev, expr, op, scope, where, old, new, at) -> list[Step]:
        """Steps to try, in order (see the module docstring)."""
        out: list[Step] = []
        if by == "hypothesis" and why is None:
            for h in scope.hypotheses:
                out.append(Step(expr, Hyp(h), at=at))
            for h in scope.hypotheses:
                for o, nw, ctx in _pairs(prev, expr):
                    if ctx is not None and _matches(o, nw, h):
                        out.append(Step(expr, Hyp(h), at=ctx))
                for a, b in ((h.lhs, h.rhs), (h.rhs, h.lhs)):
                    out += [Step(expr, Hyp(h), at=c) for c in _contexts(prev, expr, a, b)]
            return out
        if isinstance(why, Hyp | Cite | SubChain):
            out.append(Step(expr, why, at=at))
            rel = why.relation if isinstance(why, Hyp) else why.establish(None, None).relation
            for o, nw, ctx in _pairs(prev, expr):
                if ctx is None:
                    continue
                if rel is None or _matches(o, nw, rel):
                    out.append(Step(expr, why, at=ctx))
            if rel is not None:
                for a, b in ((rel.lhs, rel.rhs), (rel.rhs, rel.lhs)):
                    out += [Step(expr, why, at=c) for c in _contexts(prev, expr, a, b)]
            return out
        assert isinstance(why, By)
        if old is not None:  # old/new given, no context: every occurrence, then the diff
            out.append(Step(expr, why))
            for o, nw, ctx in _pairs(prev, expr):
                if ctx is not None and {o, nw} == {old, new}:
                    out.append(Step(expr, why, at=ctx))
            for a, b in ((old, new), (new, old)):
                out += [Step(expr, why, at=c) for c in _contexts(prev, expr, a, b)]
            return out
        given = dict(why.args)
        equality = by in rl.EQUALITY_RULES
        for o, nw, ctx in _pairs(prev, expr):
            # old -> new justified as old <= new (a nondecreasing context), or as
            # new <= old in a nonincreasing one (an identity either way round)
            for lo, hi in ((o, nw), (nw, o)):
                args = _infer_args(by, given, lo, hi, prev)
                if isinstance(args, str):
                    out.append(Step(expr, _Refused(by, args)))
                elif ctx is None and lo is o:
                    out.append(Step(expr, By(by, None, None, args, why.lemma, why.discharge)))
                elif ctx is None and equality:
                    out.append(Step(expr, By(by, lo, hi, args, why.lemma, why.discharge)))
                elif ctx is not None:
                    b = By(by, lo, hi, args, why.lemma, why.discharge)
                    out.append(Step(expr, b, at=ctx))
                    for c in _contexts(prev, expr, o, nw):
                        if c != ctx:
                            out.append(Step(expr, b, at=c))
        return out

    # ---- keys ------------------------------------------------------------
    def args(self, table: object, rule: str, scope: _Scope, where: str) -> tuple:
        if not isinstance(table, dict):
            raise ProofFormatError(f"{where}: 'args' must be a table", None)
        params = inspect.signature(rl.RULES[rule]).parameters
        out = []
        for name, value in table.items():
            if name not in list(params)[2:]:
                allowed = ", ".join(list(params)[2:]) or "none"
                raise _Refusal(f"rule {rule} takes no argument '{name}' (its arguments: {allowed})")
            if isinstance(value, dict):
                pairs = tuple(
                    (scope.expr(k, f"{where}, args.{name}"), _value(v, scope, where))
                    for k, v in value.items()
                )
                out.append((name, pairs))
            else:
                out.append((name, _value(value, scope, f"{where}, args.{name}")))
        return tuple(out)

    def subs(self, table: object, chain: Chain, scope: _Scope, where: str) -> tuple:
        if not isinstance(table, dict):
            raise ProofFormatError(f"{where}: 'subs' must be a table such as {{ x = \"y\" }}")
        if not table:
            return ()
        symbols = _chain_symbols(chain)
        out = []
        for name, text in table.items():
            if name not in symbols:
                raise ProofFormatError(
                    f"{where}: the lemma {chain.id} has no variable '{name}'", name
                )
            out.append((symbols[name], scope.expr(text, f"{where}, subs.{name}")))
        return tuple(out)

    def discharges(self, items: object, scope: _Scope, where: str) -> tuple:
        if not isinstance(items, list):
            raise ProofFormatError(f"{where}: 'discharge' must be an array of tables")
        out: list[object] = []
        for j, t in enumerate(items, 1):
            w = f"{where}, discharge {j}"
            if not isinstance(t, dict) or not isinstance(t.get("by"), str):
                raise ProofFormatError(f"{w}: a table with 'by'", _some_text(t))
            for key in t:
                if key not in _DISCHARGE_KEYS:
                    raise ProofFormatError(f"{w}: unknown key '{key}'", _some_text(t))
            by = t["by"]
            _check_by(by, w)
            if by.startswith("lemma ") and "subs" not in t and "discharge" not in t:
                out.append(self.lemma_chain(by[6:].strip(), by))
                continue
            rels = [k for k in _RELATIONS if k in t]
            op = _RELATIONS[rels[0]] if rels else "<="
            old = new = None
            if not by.startswith("lemma "):
                if "old" not in t or "new" not in t:
                    raise ProofFormatError(f"{w}: give 'old' and 'new'", _some_text(t))
                old = scope.expr(t["old"], f"{w}, old")
                new = scope.expr(t["new"], f"{w}, new")
            out.append(self.justification(t, by, op, scope, w, old, new))
        return tuple(out)


class _Refusal(Exception):
    """A step that cannot be what it says (a rule given arguments it does not take)."""


@dataclass(frozen=True)
class _Refused:
    """The justification of a step that does not follow as written: the step
    checker reports it failed, with ``reason``."""

    by: str
    reason: str

    def establish(self, old, new) -> ch.Established:
        return ch.Established(None, (rl._fail(self.by, self.reason),))

    def describe(self) -> str:
        return self.by


def _misplaced(t: dict, by: str) -> None:
    """Keys the justification does not take: the step does not follow as written."""
    if "subs" in t and not by.startswith("lemma "):
        raise _Refusal("'subs' is for a cited lemma")
    if by == "hypothesis":
        extra = [k for k in ("args", "lemma", "discharge") if k in t]
        if extra:
            raise _Refusal(f"a hypothesis takes no '{extra[0]}'")
    if by.startswith("lemma ") and ("args" in t or "lemma" in t):
        raise _Refusal("a cited lemma takes 'subs' and 'discharge', no 'args' or 'lemma'")


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]


def _value(v: object, scope: _Scope, where: str) -> sp.Basic:
    if isinstance(v, bool):
        raise ProofFormatError(f"{where}: a value must be an expression or a number")
    if isinstance(v, int):
        return sp.Integer(v)
    return scope.expr(v, where)


def _check_by(by: str, where: str) -> None:
    if by in rl.RULES or by == "hypothesis":
        return
    if by.startswith("lemma ") and by[6:].strip():
        return
    raise ProofFormatError(
        f"{where}: unknown rule '{by}' (see 'softproof rules': a rule, 'hypothesis', "
        "'identity', 'definition' or 'lemma ID')",
        by,
    )


def _some_text(t: object) -> str | None:
    """A string of the table, to find its line in the file."""
    if isinstance(t, dict):
        for key in ("by", "eq", "le", "lt", "start", "old"):
            if isinstance(t.get(key), str):
                return t[key]
    return None


def _gives(have: str, declared: str) -> bool:
    """A step establishing ``have`` justifies the written ``declared``."""
    return have == "==" or have == declared or (have == "<" and declared == "<=")


def _equal(a: sp.Basic, b: sp.Basic) -> bool:
    return a == b or rl.exact(a) == rl.exact(b)


def _matches(old: sp.Basic, new: sp.Basic, rel: Relation) -> bool:
    """``old -> new`` rewrites one side of ``rel`` into the other."""
    return (_equal(old, rel.lhs) and _equal(new, rel.rhs)) or (
        _equal(old, rel.rhs) and _equal(new, rel.lhs)
    )


def _chain_symbols(chain: Chain) -> dict[str, sp.Basic]:
    """Name -> symbol of everything the chain's expressions use."""
    out: dict[str, sp.Basic] = {}
    exprs = [chain.start] + [s.expr for s in chain.steps]
    for e in exprs:
        for node in sp.preorder_traversal(e):
            if isinstance(node, sp.Symbol | MatrixSymbol):
                out.setdefault(node.name, node)
    return out


# --------------------------------------------------------------------------
# Finding the changed subterms
# --------------------------------------------------------------------------
_UNORDERED = (sp.Add, sp.Mul, sp.MatAdd, sp.HadamardProduct)

#: a position: argument indices from the root; its last element may be
#: ``("group", (i, j, ...))``, the sub-sum or sub-product of those arguments
Path = tuple


def _unordered(e: sp.Basic) -> bool:
    return isinstance(e, _UNORDERED) and not isinstance(e, sp.MatMul)


def _walk(a: sp.Basic, b: sp.Basic, path: Path, partner: dict) -> list[tuple] | None:
    """``(path, old, new)`` where ``a`` and ``b`` differ (a parallel walk; the
    arguments of sums and products matched up to order); ``partner[path]`` is
    the subterm of ``b`` at each visited position.  None when ``a``, ``b`` are no
    expressions that can be rewritten (a norm's kind, a name)."""
    partner[path] = b
    if a == b:
        return []
    if not isinstance(a, sp.Expr | sp.MatrixExpr) or not isinstance(b, sp.Expr | sp.MatrixExpr):
        return None
    if type(a) is not type(b) or not a.args:
        return [(path, a, b)]
    if _unordered(a):
        used = [False] * len(b.args)
        rest_a: list[int] = []
        for i, arg in enumerate(a.args):
            j = next((j for j, o in enumerate(b.args) if not used[j] and o == arg), None)
            if j is None:
                rest_a.append(i)
            else:
                used[j] = True
        rest_b = [o for j, o in enumerate(b.args) if not used[j]]
        unit = {sp.Mul: sp.S.One, sp.Add: sp.S.Zero}.get(type(a))
        if len(rest_a) == len(a.args) or (not rest_b and not rest_a):
            return [(path, a, b)]
        if not rest_a or not rest_b:  # a factor (term) appears or disappears
            if unit is None:
                return [(path, a, b)]
            if not rest_a:
                group = (*path, ("group", ()))
                partner[group] = b.func(*rest_b)
                return [(group, unit, partner[group])]
        if not rest_b:
            new = unit
        else:
            new = rest_b[0] if len(rest_b) == 1 else b.func(*rest_b)
        if len(rest_a) == 1:
            i = rest_a[0]
            if len(rest_b) == 1:
                sub = _walk(a.args[i], new, (*path, i), partner)
                return [(path, a, b)] if sub is None else sub
            partner[(*path, i)] = new
            return [((*path, i), a.args[i], new)]
        group = (*path, ("group", tuple(rest_a)))
        partner[group] = new
        return [(group, a.func(*[a.args[i] for i in rest_a]), new)]
    if len(a.args) != len(b.args):
        return [(path, a, b)]
    out: list[tuple] = []
    for i, (u, v) in enumerate(zip(a.args, b.args, strict=True)):
        sub = _walk(u, v, (*path, i), partner)
        if sub is None:
            return [(path, a, b)]
        out.extend(sub)
    return out


def _at(e: sp.Basic, path: Path) -> sp.Basic:
    for i in path:
        if isinstance(i, tuple):
            e = e.func(*[e.args[j] for j in i[1]])
        else:
            e = e.args[i]
    return e


def _replace(e: sp.Basic, paths: Sequence[Path], hole: sp.Basic) -> sp.Basic:
    """``e`` with ``hole`` at every path."""
    if () in paths:
        return hole
    args = list(e.args)
    groups = [p for p in paths if isinstance(p[0], tuple)]
    if groups:  # a sub-sum / sub-product: the hole stands for those arguments together
        idx = set(groups[0][0][1])
        inner = [p for p in paths if not isinstance(p[0], tuple)]
        kept = []
        for i, a in enumerate(args):
            if i in idx:
                continue
            here = [p[1:] for p in inner if p[0] == i]
            kept.append(_replace(a, here, hole) if here else a)
        return e.func(hole, *kept)
    for i in {p[0] for p in paths}:
        args[i] = _replace(args[i], [p[1:] for p in paths if p[0] == i], hole)
    return e.func(*args)


def _pairs(prev: sp.Basic, nxt: sp.Basic) -> list[tuple[sp.Basic, sp.Basic, sp.Basic | None]]:
    """``(old, new, context)`` from the smallest differing subterms to the whole
    expressions (context None); a context has ``HOLE`` at exactly the rewritten
    positions."""
    partner: dict = {}
    found = _walk(prev, nxt, (), partner) or [((), prev, nxt)]
    out: list[tuple] = []
    seen: set = set()

    def add(paths: list[Path], old: sp.Basic, new: sp.Basic) -> None:
        key = tuple(map(repr, paths))
        if key in seen:
            return
        seen.add(key)
        if paths == [()]:
            out.append((prev, nxt, None))
            return
        hole = MatrixSymbol("HOLE", *old.shape) if model.is_matrix(old) else HOLE
        try:
            ctx = _replace(prev, paths, hole)
        except (TypeError, ValueError, AttributeError, IndexError):
            return
        out.append((old, new, ctx))

    olds = {o for _, o, _ in found}
    news = {n for _, _, n in found}
    if len(olds) == 1 and len(news) == 1:
        add([p for p, _, _ in found], olds.pop(), news.pop())
    if len(found) == 1:
        for paths, old, new in _solved(prev, *found[0]):
            add(paths, old, new)
    common = _common_prefix([p for p, _, _ in found])
    for k in range(len(common), -1, -1):
        pre = common[:k]
        if pre in partner:
            add([pre], _at(prev, pre), partner[pre])
    return out


def _solved(prev: sp.Basic, path: Path, old: sp.Basic, new: sp.Basic):
    """Rewrites of one factor (term) of a differing product (sum) ``old`` that
    turn it into ``new`` once SymPy merges the factors (``R * ||z|| -> R**2`` is
    ``||z|| -> R``): ``(paths, old factor, its replacement)``."""
    if model.is_matrix(old):
        return
    if path and isinstance(path[-1], tuple):
        parent = _at(prev, path[:-1])
        items = [((*path[:-1], r), parent.args[r]) for r in path[-1][1]]
    elif isinstance(old, sp.Mul | sp.Add):
        items = [((*path, i), a) for i, a in enumerate(old.args)]
    elif isinstance(old, sp.Pow) and old.exp.is_Number:
        items = [((*path, 0), old.base)]
    else:
        return
    for apath, arg in items:
        try:
            if isinstance(old, sp.Pow):
                repl = new ** (1 / old.exp)
            elif isinstance(old, sp.Mul):
                repl = new / (old / arg)
            elif isinstance(old, sp.Add):
                repl = new - (old - arg)
            else:
                continue
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        sub = _walk(arg, repl, apath, {})
        if sub:
            subs_old = {o for _, o, _ in sub}
            subs_new = {n for _, _, n in sub}
            if len(subs_old) == 1 and len(subs_new) == 1:
                yield [p for p, _, _ in sub], subs_old.pop(), subs_new.pop()
        yield [apath], arg, repl


def _contexts(prev: sp.Basic, nxt: sp.Basic, old: sp.Basic, new: sp.Basic) -> list[sp.Basic]:
    """Contexts ``C`` with ``C[old] = prev`` and ``C[new] = nxt``: ``HOLE`` at every
    occurrence of ``old`` in ``prev``, or of ``new`` in ``nxt`` (``R**2 -> ||A|| R``
    rewrites one factor ``R``, a position that only the next expression shows)."""
    hole = MatrixSymbol("HOLE", *old.shape) if model.is_matrix(old) else HOLE
    out = []
    for e, term in ((prev, old), (nxt, new)):
        try:
            ctx = e.xreplace({term: hole})
            if ctx.has(hole) and ctx.xreplace({hole: old}) == prev:
                if ctx.xreplace({hole: new}) == nxt and ctx not in out:
                    out.append(ctx)
        except (TypeError, ValueError, AttributeError):
            continue
    return out


def _common_prefix(paths: Sequence[Path]) -> Path:
    if not paths:
        return ()
    first = paths[0]
    k = 0
    while k < len(first) and all(len(p) > k and p[k] == first[k] for p in paths):
        k += 1
    return first[:k]


def _infer_args(rule: str, given: dict, old, new, prev) -> tuple | str:
    """The rule's arguments: those given, plus those read off the expressions;
    a string says which one is missing."""
    args = dict(given)
    params = inspect.signature(rl.RULES[rule]).parameters
    required = [
        p for p, spec in list(params.items())[2:] if spec.default is inspect.Parameter.empty
    ]
    if rule == "entrywise_lemma":  # the scalar lemma (key 'lemma') supplies claim and hyp
        required = [p for p in required if p not in ("claim", "hyp")]
    missing = [p for p in required if p not in args]
    if not missing:
        return tuple(given.items())
    if rule == "mean_value":
        sups = [s for s in new.atoms(Sup)] if isinstance(new, sp.Basic) else []
        if len(sups) != 1:
            return "mean_value: the right side needs one sup(...) to read p, q from"
        s = sups[0]
        args.setdefault("p", s.lo)
        args.setdefault("q", s.hi)
        body = s.body
        if model.is_matrix(s.var):
            if isinstance(body, model.Norm) and isinstance(body.arg, model.Jac):
                args.setdefault("g", body.arg.args[0])
                args.setdefault("var", s.var)
        elif isinstance(old, sp.Abs) and isinstance(s.lo, sp.Symbol):
            p = s.lo
            terms = [a for a in sp.Add.make_args(old.args[0]) if a.has(p)]
            args.setdefault("g", sp.Add(*terms))
            args.setdefault("var", p)
    elif rule == "segment_norm":
        if isinstance(old, model.Norm):
            doms = {(s.lo, s.hi) for s in prev.atoms(Sup) if s.var == old.arg}
            if len(doms) == 1:
                p, q = doms.pop()
                args.setdefault("p", p)
                args.setdefault("q", q)
    elif rule == "sup_monotone":
        if isinstance(old, Sup) and not model.is_matrix(old.var):
            hits = _walk(old.body, new, (), {}) or []
            bounds = {n for _, o, n in hits if o == old.var}
            if hits and len(bounds) == 1 and all(o == old.var for _, o, _ in hits):
                args.setdefault("bound", bounds.pop())
    elif rule == "simplex_identity":
        nodes = set()
        for e in (old, new):
            nodes |= set(e.atoms(model.F, model.Softmax))
        if len(nodes) == 1:
            args.setdefault("s_node", nodes.pop())
    left = [p for p in required if p not in args]
    if left:
        return f"{rule} needs argument(s) {', '.join(left)} (give args = {{ ... }})"
    order = [p for p in list(params)[2:] if p in args]
    return tuple((p, args[p]) for p in order)


# --------------------------------------------------------------------------
# Building and checking
# --------------------------------------------------------------------------
def _pack_chain(folder: str | None, lid: str) -> Chain:
    """``lemma ID`` outside the file: the proof of statement ``lid`` of the pack in the
    file's folder (a pack's own lemmas), else of the catalogue (:func:`chains.chain`)."""
    from . import packs

    pack = packs.pack_at(folder) if folder is not None else None
    if pack is not None and not pack.is_default and lid in pack.ids:
        chain = pack.chain(lid)
        if chain is not None:
            return chain
    return ch.chain(lid)


def _build(
    proof,
    lemmas,
    names,
    statement_id,
    hypotheses,
    resolve: bool,
    definitions=None,
    folder: str | None = None,
) -> _Resolved:
    """The chains of a proof: with ``resolve``, each step's subterms found (the
    step checker tries the candidates); else the tables only validated."""
    if lemmas is None:
        lemmas = []
    if not isinstance(lemmas, list):
        raise ProofFormatError("'lemma' must be an array of tables ([[lemma]])", None, "lemma")
    b = _Builder(lemmas, names, resolve, definitions, folder)
    scope = _Scope(names, hypotheses, definitions)
    chain, declared, by_text = b.chain(proof, scope, statement_id, statement_id, "the proof")
    for lid in b.tables:  # every lemma checked, cited or not
        b.lemma_chain(lid, lid)
    return _Resolved(chain, declared, by_text, tuple(b.done.values()), dict(b.declared))


def build_file_proof(
    proof: object,
    lemmas: object,
    names: Mapping[str, sp.Basic],
    statement_id: str,
    hypotheses: Sequence[Relation],
    definitions: Mapping[str, object] | None = None,
    lazy: bool = False,
    on_error=None,
    folder: str | None = None,
) -> FileProof:
    """The file's ``proof`` (and ``[[lemma]]`` tables); ``names`` are the parameters
    and declared variables.  :class:`ProofFormatError` for a malformed table (the
    subterms each step rewrites are found when the proof is checked; with ``lazy``,
    the tables too, see :class:`FileProof`)."""
    return FileProof(
        proof, lemmas, names, statement_id, hypotheses, definitions, lazy, on_error, folder
    )


def _rejection(
    result: ChainResult, declared: Sequence[str], by_text: Sequence[str], what: str
) -> tuple[int, str] | None:
    """The first step that does not follow: ``(k, message)``."""
    for k, r in enumerate(result.steps, 1):
        by = by_text[k - 1] if k - 1 < len(by_text) else r.step.why.describe()
        if not r.ok:
            failing = [c for c in r.checks if not c.ok]
            why = r.detail
            if failing and (not why or why == "no relation established"):
                c = failing[0]
                why = c.detail if c.method == by else f"{c.method}: {c.detail}"
            return k, f"{what} rejected at step {k} ({by}): {why or 'does not follow'}"
        if k - 1 < len(declared) and not _gives(r.op, declared[k - 1]):
            word = _KEYS_OF_RELATION[declared[k - 1]]
            return k, (
                f"{what} rejected at step {k} ({by}): the step is written '{word}' but "
                f"{by} gives {r.op}"
            )
    return None


def check_proof(statement: Statement, proof: FileProof | None = None) -> ProofOutcome:
    """Check a file's proof against ``statement`` (its chain with the catalogue's
    step checker, the relation each step declares, its lemmas' claims)."""
    proof = proof if proof is not None else statement.proof
    resolved = proof.resolved()
    for lem in resolved.lemmas:
        res = lem.chain.check(against_statement=False)
        declared, by_text = resolved.lemma_declared.get(lem.id, ((), ()))
        bad = _rejection(res, declared, by_text, f"lemma {lem.id}: proof")
        if bad is not None:
            return ProofOutcome(False, f"proof rejected: {bad[1]}", res, None, len(res.steps))
        if lem.statement is not None and res.conclusion is not None:
            problems = ch._compare(res.conclusion, res.assumes, lem.statement)
            if problems:
                return ProofOutcome(
                    False, f"proof rejected: lemma {lem.id}: {problems[0]}", res, None
                )
    res = resolved.chain.check(statement=statement)
    bad = _rejection(res, resolved.declared, resolved.by_text, "proof")
    if bad is not None:
        return ProofOutcome(False, bad[1], res, bad[0], len(res.steps), res.level)
    if not res.ok:
        for problem in res.problems:  # an assumption: the step that makes it
            for k, r in enumerate(res.steps, 1):
                if any(f"the chain assumes {ch.relation_text(h)}," in problem for h in r.assumes):
                    by = resolved.by_text[k - 1]
                    why = problem.replace("the chain assumes", "it assumes", 1)
                    msg = f"proof rejected at step {k} ({by}): {why}"
                    return ProofOutcome(False, msg, res, k, len(res.steps), res.level)
        return ProofOutcome(
            False, "proof rejected: " + "; ".join(res.problems), res, None, len(res.steps)
        )
    where = "for every n, d" if res.level == "symbolic" else f"at sizes {res.level}"
    return ProofOutcome(
        True,
        f"proved by the file's proof, {len(res.steps)} steps, {where}",
        res,
        None,
        len(res.steps),
        res.level,
    )


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------
def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _inline(items: Sequence[tuple[str, str]]) -> str:
    return "{ " + ", ".join(f"{_key(k)} = {v}" for k, v in items) + " }"


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else _q(k)


class _Exporter:
    def __init__(self, parameters: Mapping[str, sp.Basic], minimal: bool = False):
        self.params = dict(parameters)
        self.minimal = minimal
        self.ids: dict[Chain, str] = {}
        self.order: list[Chain] = []

    def lemma_id(self, c: Chain) -> str:
        if c in self.ids:
            return self.ids[c]
        base = c.id
        lid, k = base, 2
        while lid in self.ids.values():
            lid, k = f"{base}-{k}", k + 1
        self.ids[c] = lid
        self.order.append(c)
        return lid

    def steps(self, c: Chain) -> list[str]:
        res = c.check(against_statement=False)
        lines = [f"  {{ start = {_q(to_source(c.start))} }},"]
        for step, r in zip(c.steps, res.steps, strict=True):
            lines.append("  " + self.step(step, r.op) + ",")
        return lines

    def step(self, step: Step, op: str) -> str:
        items = [(_KEYS_OF_RELATION[op], _q(to_source(step.expr)))]
        items += self.why(step.why, top=True)
        if step.at is not None and not self.minimal:
            items.append(("at", _q(to_source(step.at))))
        return _inline(items)

    def why(self, why: object, top: bool = False) -> list[tuple[str, str]]:
        """The keys of a justification; ``top`` (a step, not a discharge) in the
        minimal form leaves out what the checker finds itself."""
        short = top and self.minimal
        items: list[tuple[str, str]] = []
        if isinstance(why, Hyp):
            items.append(("by", _q("hypothesis")))
            if not short:
                items += [("old", _q(to_source(why.relation.lhs)))]
                items += [("new", _q(to_source(why.relation.rhs)))]
        elif isinstance(why, By):
            items.append(("by", _q(why.rule)))
            if why.old is not None and not short:
                items.append(("old", _q(to_source(why.old))))
                items.append(("new", _q(to_source(why.new))))
            args = why.args
            if short:
                args = tuple((k, v) for k, v in args if k not in _INFERRED.get(why.rule, ()))
            if args:
                items.append(("args", _inline([(k, self.value(v)) for k, v in args])))
            if why.lemma is not None:
                items.append(("lemma", _q(self.lemma_id(why.lemma))))
            if why.discharge:
                items.append(("discharge", self.discharge(why.discharge)))
        elif isinstance(why, Cite):
            items.append(("by", _q(f"lemma {self.lemma_id(why.chain)}")))
            if why.subs:
                items.append(("subs", _inline([(k.name, _q(to_source(v))) for k, v in why.subs])))
            if why.discharge:
                items.append(("discharge", self.discharge(why.discharge)))
        elif isinstance(why, SubChain):
            items.append(("by", _q(f"lemma {self.lemma_id(why.chain)}")))
        else:  # pragma: no cover - every justification is one of the above
            raise TypeError(f"cannot export {type(why).__name__}")
        return items

    def value(self, v: object) -> str:
        if isinstance(v, tuple):
            return _inline([(to_source(k), _q(to_source(sp.sympify(x)))) for k, x in v])
        return _q(to_source(sp.sympify(v)))

    def discharge(self, items: Sequence[object]) -> str:
        parts = []
        for j in items:
            if isinstance(j, Chain):
                parts.append(_inline([("by", _q(f"lemma {self.lemma_id(j)}"))]))
            else:
                extra = []
                if isinstance(j, Hyp):
                    extra = [(_KEYS_OF_RELATION[j.relation.op], _q(to_source(j.relation.rhs)))]
                parts.append(_inline(self.why(j) + extra))
        return "[" + ", ".join(parts) + "]"

    def declarations(self, c: Chain, extra: Sequence[sp.Basic] = ()) -> str | None:
        exprs = list(_chain_exprs(c)) + list(extra)
        syms = auxiliary_symbols(exprs, self.params.values())
        by_name: dict[str, sp.Basic] = {}
        for s in syms:
            if s.name in by_name and by_name[s.name] != s:
                raise ValueError(f"chain {c.id} uses two symbols named {s.name}")
            by_name[s.name] = s
        if not by_name:
            return None
        return _inline([(k, _q(declaration(s))) for k, s in by_name.items()])


def _chain_exprs(c: Chain):
    yield c.start
    for s in c.steps:
        yield s.expr
        if s.at is not None:
            yield s.at
        yield from _why_exprs(s.why)


def _why_exprs(why: object):
    if isinstance(why, Hyp):
        yield why.relation.lhs
        yield why.relation.rhs
    elif isinstance(why, By):
        for e in (why.old, why.new):
            if e is not None:
                yield e
        for _k, v in why.args:
            if isinstance(v, tuple):
                for a, b in v:
                    yield sp.sympify(a)
                    yield sp.sympify(b)
            else:
                yield sp.sympify(v)
        for j in why.discharge:
            if not isinstance(j, Chain):
                yield from _why_exprs(j)
    elif isinstance(why, Cite):
        for _k, v in why.subs:
            yield v
        for j in why.discharge:
            if not isinstance(j, Chain):
                yield from _why_exprs(j)


def _parameter_value(v: object) -> str:
    if isinstance(v, bool):
        raise ValueError("a parameter cannot be a boolean")
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_parameter_value(e) for e in v) + "]"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, sp.Integer):
        return str(int(v))
    return _q(to_source(sp.sympify(v)))


def export_statement(
    statement: Statement, chain: Chain, file_id: str | None = None, minimal: bool = False
) -> str:
    """``statement`` with ``chain`` as its ``proof`` (every cited lemma, sub-chain and
    discharge chain inlined as a ``[[lemma]]``): the TOML text of a statement file
    that ``softproof check`` re-proves from the file alone.  ``minimal`` leaves out
    the rewritten subterms, contexts and the rule arguments the checker infers."""
    sid = file_id or _file_id(statement.id)
    params = statement.parameter_symbols
    ex = _Exporter(params, minimal)
    lines = [f"id = {_q(sid)}"]
    if statement.title:
        lines.append(f"title = {_q(statement.title)}")
    source = statement.source or ""
    lines.append(f"source = {_q(source)}" if source else f"source = {_q(statement.id)}")
    lines.append(f"sizes = {_inline([(k, str(v)) for k, v in statement.sizes.items()])}")
    if statement.parameters:
        items = [(k, _parameter_value(v)) for k, v in statement.parameters.items()]
        lines.append(f"parameters = {_inline(items)}")
    if statement.hypotheses:
        lines.append("hypotheses = [")
        lines += [f"  {_q(relation_source(h))}," for h in statement.hypotheses]
        lines.append("]")
    lines.append(f"claim = {_q(relation_source(statement.claim))}")
    if statement.expected is not None:
        lines.append(f"expected = {'true' if statement.expected else 'false'}")
    rels = [statement.claim, *statement.hypotheses]
    decl = ex.declarations(chain, [e for r in rels for e in (r.lhs, r.rhs)])
    if decl:
        lines.append(f"variables = {decl}")
    lines.append("proof = [")
    lines += ex.steps(chain)
    lines.append("]")
    lines += _definitions_table(statement)
    k = 0
    while k < len(ex.order):  # lemmas found while exporting add more lemmas
        c = ex.order[k]
        k += 1
        body = ex.steps(c)
        res = c.check(against_statement=False)
        lines += ["", "[[lemma]]", f"id = {_q(ex.ids[c])}"]
        if c.title:
            lines.append(f"title = {_q(c.title)}")
        if res.conclusion is not None:
            lines.append(f"claim = {_q(relation_source(res.conclusion))}")
        if res.assumes:
            lines.append("hypotheses = [")
            lines += [f"  {_q(relation_source(h))}," for h in res.assumes]
            lines.append("]")
        exprs = [e for h in res.assumes for e in (h.lhs, h.rhs)]
        decl = ex.declarations(c, exprs)
        if decl:
            lines.append(f"variables = {decl}")
        lines.append("proof = [")
        lines += body
        lines.append("]")
    return "\n".join(lines) + "\n"


def _definitions_table(statement: Statement) -> list[str]:
    """The file's own definitions as its ``[definitions]`` table (in their order)."""
    if not statement.definitions:
        return []
    lines = ["", "[definitions]"]
    for name, params, text in statement.definitions:
        if params:
            lines.append(f"{name} = {{ of = {json.dumps(list(params))}, is = {_q(text)} }}")
        else:
            lines.append(f"{name} = {_q(text)}")
    return lines


def _file_id(sid: str) -> str:
    out = "".join(ch_ if ch_.isalnum() else "-" for ch_ in sid.lower()).strip("-")
    return out or "statement"
