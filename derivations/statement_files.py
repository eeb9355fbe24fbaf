"""Statement files: a claim about softmax regression written in TOML.

The contract is ``statement-files.md``::

    id = "lipschitz-f-sharp"            # required, [a-z0-9-]+
    title = "..."                       # optional
    source = "ours (S1)"                # optional free text
    sizes = { n = 7, d = 4 }            # optional, default n = 7, d = 4
    parameters = { R = 4 }              # optional: numbers or [low, high] ranges
    hypotheses = ["opnorm(A) <= R"]     # optional
    claim = "norm2(f(x) - f(y)) <= (R/2) * norm2(x - y)"   # required

Own definitions come in a ``[definitions]`` table, in order: ``name = { of = ["v"],
is = "cosh(A @ v)" }`` (a function) or ``name = "expression"`` (a named constant).
Each may use the variables, sizes, parameters, built-ins and the definitions above
it, and may redefine a built-in model function (``u``, ``alpha``, ``f``, ...) for
this file; the :class:`Statement` keeps their texts in ``definitions``.

Accepted beyond the contract: a parameter may be a string expression in the
other parameters and the sizes (``beta = "exp(-R**2)"``); ``expected`` (bool:
what the author believes) and ``notes`` (text); an id may use upper-case letters
(the catalogue's ``S1-m099``).  The metadata of a pack's statements (see
:mod:`packs`): ``kind`` (``"definition"`` for an ``==`` claim that defines an
object; otherwise it must agree with the claim: ``identity`` for ``==``,
``inequality`` for ``<=``/``<``), ``mutant-of`` and ``part-of`` (the id of the
statement this one is a seeded false variant / a part of) and ``helper`` (bool: a
helper lemma of a proof, not a row of the pack's report).


A proof written in the file (contract, "Proofs written in the file"; parsed by
:mod:`proofs`): ``proof = [ { start = "..." }, { le = "...", by = "..." }, ... ]``,
``variables = { z = "vector d", sigma = "scalar" }`` (auxiliary symbols of the
proof, such as the bound variable of ``sup(body, z, lo, hi)``; never free in the
claim or a hypothesis) and ``[[lemma]]`` tables (``id``, ``claim``,
``hypotheses``, ``variables``, ``proof``) for the lemmas it cites.  The tables are
validated on load (file, line and problem); the proof is checked by
:func:`proofs.check_proof`.  Any other key is an error.

Expressions go through :mod:`grammar` (parsed, never evaluated).  Every problem
raises :class:`StatementFileError` whose message reads ``FILE:LINE:COLUMN: problem``.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import sympy as sp

from . import model
from .grammar import (
    FUNCTIONS,
    MODEL_NAMES,
    RESERVED_NAMES,
    SIZES,
    Definition,
    GrammarError,
    parse_definition,
    parse_expression,
    parse_relation,
)
from .statement import VARIABLES, Statement, parameter_symbol, relation_size_problem

__all__ = [
    "StatementFileError",
    "load_statement",
    "parse_statement_text",
    "ALLOWED_KEYS",
    "clear_parse_cache",
]

ID_PATTERN = re.compile(r"[A-Za-z0-9-]+\Z")
ALLOWED_KEYS = (
    "id",
    "title",
    "source",
    "sizes",
    "parameters",
    "hypotheses",
    "claim",
    "expected",
    "notes",
    "definitions",
    "variables",
    "proof",
    "kind",
    "mutant-of",
    "part-of",
    "helper",
    "lemma",
)
DEFAULT_SIZES = {"n": 7, "d": 4}
MAX_SIZE = 10_000
MAX_FILE_BYTES = 1 << 20
#: deepest nesting of TOML arrays and inline tables accepted
MAX_NESTING = 32
#: largest magnitude of a parameter's value
MAX_PARAMETER = 1e300


#: relations parsed from files without definitions, by (text, parameter symbols)
_PARSED: dict[tuple, object] = {}
#: the same key and sizes -> the problem found in the parsed relation (or none)
_CHECKED: dict[tuple, object] = {}
_PARSED_MAX = 4096


def clear_parse_cache() -> None:
    """Forget the relations parsed so far (the next file parses every text anew)."""
    _PARSED.clear()
    _CHECKED.clear()


class StatementFileError(ValueError):
    """A bad statement file; ``str()`` is ``FILE:LINE:COLUMN: problem``."""

    def __init__(self, path: str, problem: str, line: int | None = None, column: int | None = None):
        self.path, self.problem, self.line, self.column = path, problem, line, column
        where = path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {problem}")


@dataclass
class _Locator:
    """Finds the line and column of keys and strings in the raw TOML text."""

    text: str

    def __post_init__(self) -> None:
        self.lines = self.text.split("\n")
        self.starts = [0]
        for line in self.lines[:-1]:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def position(self, offset: int) -> tuple[int, int]:
        line = max(i for i, s in enumerate(self.starts) if s <= offset)
        return line + 1, offset - self.starts[line] + 1

    def key(self, key: str, after: int = 0) -> int | None:
        """Offset of ``key =`` (bare or quoted) at or after ``after``."""
        k = re.escape(key)
        at_line_start = re.compile(rf"""(?m)^[ \t]*(["']?){k}\1[ \t]*=""")
        m = at_line_start.search(self.text, after)
        if m:
            return m.start() + len(m.group(0)) - len(m.group(0).lstrip())
        inline = re.compile(rf"""([{{,][ \t]*)(["']?){k}\2[ \t]*=""")
        m = inline.search(self.text, after)
        return m.start() + len(m.group(1)) if m else None

    def string(self, value: str, after: int) -> int | None:
        """Offset of the first character of the string ``value`` at or after ``after``."""
        found = self.text.find(value, after)
        return found if found >= 0 else None


class _Loader:
    def __init__(self, text: str, path: str, lazy_proof: bool = False, folder: str | None = None):
        self.path, self.loc = path, _Locator(text)
        self.text = text
        self.lazy_proof, self.folder = lazy_proof, folder

    def fail(self, problem: str, offset: int | None = None) -> StatementFileError:
        if offset is None:
            return StatementFileError(self.path, problem)
        line, column = self.loc.position(offset)
        return StatementFileError(self.path, problem, line, column)

    def key_offset(self, key: str, after: int = 0) -> int | None:
        return self.loc.key(key, after)

    # ---- the document ------------------------------------------------------
    def load(self) -> Statement:
        head, tail = _split_proof(self.text) if self.lazy_proof else (self.text, None)
        deep = _nesting_offset(head, MAX_NESTING)
        if deep is not None:
            raise self.fail(f"arrays or tables nested deeper than {MAX_NESTING} levels", deep)
        try:
            data = tomllib.loads(head, parse_float=_toml_decimal)
            if tail is not None and ("proof" in data or "lemma" in data):
                head, tail = self.text, None  # not the catalogue's layout: read it all now
                data = tomllib.loads(head, parse_float=_toml_decimal)
            if tail is not None:
                data["proof"] = _DeferredProof(tail, self.toml_error)
        except tomllib.TOMLDecodeError as exc:
            raise self.toml_error(exc) from None
        except RecursionError:
            raise self.fail(f"arrays or tables nested deeper than {MAX_NESTING} levels") from None
        for key in data:
            if key not in ALLOWED_KEYS:
                raise self.fail(
                    f"unknown key '{key}' (allowed: {', '.join(ALLOWED_KEYS)})",
                    self.key_offset(key),
                )
        for key in ("id", "claim"):
            if key not in data:
                raise self.fail(f"missing required key '{key}'", 0 if self.text else None)
        sid = self.text_value(data, "id")
        if not ID_PATTERN.match(sid):
            raise self.fail(
                f"id {sid!r} must match [A-Za-z0-9-]+ (letters, digits, '-')",
                self.key_offset("id"),
            )
        sizes = self.sizes(data.get("sizes", {}))
        parameters, symbols = self.parameters(data.get("parameters", {}), sizes)
        symbols = {**symbols, **self.variables(data, symbols)}
        hypotheses_text = self.hypotheses_text(data.get("hypotheses", []))
        claim_text = self.text_value(data, "claim")
        definitions, written = self.definitions(data.get("definitions", {}), symbols)
        hypotheses = []
        start = self.key_offset("hypotheses") or 0
        for i, h in enumerate(hypotheses_text):
            offset = self.string_offset(h, "hypotheses", start)
            hypotheses.append(
                self.relation(h, symbols, f"hypothesis {i + 1}", offset, sizes, definitions)
            )
            start = offset + len(h) if self.text.startswith(h, offset) else start
        claim_at = self.string_offset(claim_text, "claim")
        claim = self.relation(claim_text, symbols, "claim", claim_at, sizes, definitions)
        self.proof_only(data, [*hypotheses, claim], symbols)
        unsized = _unsized_dimensions([*hypotheses, claim], parameters)
        if unsized and data.get("helper") is not True:  # a helper lemma is not searched
            raise self.fail(unsized, claim_at)
        proof = self.proof(data, sid, symbols, hypotheses, definitions)
        expected = data.get("expected")
        if expected is not None and not isinstance(expected, bool):
            raise self.fail("'expected' must be true or false", self.key_offset("expected"))
        meta = self.metadata(data, claim.op)
        return Statement(
            id=sid,
            title=self.text_value(data, "title", ""),
            claim=claim,
            hypotheses=tuple(hypotheses),
            kind=meta.pop("kind"),
            source=self.text_value(data, "source", ""),
            sizes=sizes,
            parameters=parameters,
            expected=expected,
            notes=self.text_value(data, "notes", ""),
            claim_text=claim_text,
            hypotheses_text=tuple(hypotheses_text),
            definitions=written,
            proof=proof,
            **meta,
        )

    # ---- proofs written in the file ----------------------------------------
    def variables(self, data: dict, symbols: dict) -> dict:
        """Declared auxiliary variables (``variables = { z = "vector d" }``)."""
        from .proofs import ProofFormatError, parse_variables

        self.declared: dict = {}
        if "variables" not in data:
            return {}
        try:
            self.declared = parse_variables(data["variables"], taken=list(symbols))
        except ProofFormatError as exc:
            raise self.proof_error(exc) from None
        return self.declared

    def proof_only(self, data: dict, relations: list, symbols: dict) -> None:
        """Declared variables and ``sup`` are for proofs: the claim and hypotheses
        are checked numerically, so they may use neither freely.  A pack's helper
        lemma (``helper = true``, proved by its proof only, never searched) may state
        a fact of a declared variable (E5-general: any probability vector ``s``)."""
        from .rules import Sup, SupUnit

        if data.get("helper") is True:
            return
        texts = [data.get("claim"), *data.get("hypotheses", [])]
        if (
            not self.declared
            and not data.get("definitions")
            and all(isinstance(t, str) and "sup" not in t for t in texts)
        ):
            return  # neither a declared variable nor sup(...) can occur
        declared = set(self.declared.values())
        for rel in relations:
            for side in (rel.lhs, rel.rhs):
                free = sorted(str(v) for v in side.free_symbols & declared)
                if side.has(Sup, SupUnit) or free:
                    what = f"the variable {free[0]}" if free else "sup(...)"
                    raise self.fail(
                        f"{what} may be used in a proof, not in the claim or a hypothesis "
                        f"({rel.lhs} {rel.op} {rel.rhs})",
                        self.key_offset("claim"),
                    )

    def proof(self, data: dict, sid: str, symbols: dict, hypotheses: list, definitions=None):
        """The ``proof`` array (and ``[[lemma]]`` tables) as chains, or None."""
        from .proofs import ProofFormatError, build_file_proof

        if "proof" not in data:
            if "lemma" in data:
                raise self.fail("[[lemma]] tables need a 'proof' of the claim", self.lemma_offset())
            return None
        try:
            return build_file_proof(
                data["proof"],
                data.get("lemma"),
                symbols,
                sid,
                hypotheses,
                definitions,
                lazy=self.lazy_proof,
                on_error=self.proof_error,
                folder=self.folder,
            )
        except ProofFormatError as exc:
            raise self.proof_error(exc) from None

    def lemma_offset(self) -> int | None:
        found = self.text.find("[[lemma]]")
        return found if found >= 0 else None

    def proof_error(self, exc) -> StatementFileError:
        """A proof problem at its table (step) and the string it names, else at the
        ``[[lemma]]`` or key it belongs to."""
        if exc.section == "lemma" or exc.lemma is not None:
            start = self.lemma_offset()
            if exc.lemma is not None and start is not None:
                found = self.text.find(f"id = {json.dumps(exc.lemma)}", start)
                start = found if found >= 0 else start
        else:
            start = self.key_offset(exc.section)
        if exc.table is not None and start is not None:
            proof_at = self.key_offset("proof", start)
            table = _table_offset(self.text, proof_at, exc.table) if proof_at is not None else None
            start = table if table is not None else start
        if exc.text is None:
            return self.fail(exc.problem, start)
        offset = self.loc.string(exc.text, start or 0)
        if offset is None:
            offset = self.loc.string(exc.text, 0)
        if offset is None:
            return self.fail(exc.problem, start)
        if exc.grammar is not None:
            what = exc.problem.rsplit(" in ", 1)[-1]
            return self.expression_error(exc.grammar, exc.text, what, offset)
        return self.fail(exc.problem, offset)

    def metadata(self, data: dict, op: str) -> dict:
        """The pack metadata keys ``kind``, ``mutant-of``, ``part-of``, ``helper`` as
        :class:`Statement` fields (``kind`` defaults to what the claim's relation is)."""
        natural = "identity" if op == "==" else "inequality"
        kind = data.get("kind", natural)
        allowed = ("definition", natural) if op == "==" else (natural,)
        if kind not in allowed:
            raise self.fail(
                f"'kind' must be {' or '.join(map(repr, allowed))} for a claim with '{op}'",
                self.key_offset("kind"),
            )
        meta: dict = {"kind": kind}
        for key, field in (("mutant-of", "mutant_of"), ("part-of", "part_of")):
            if key in data:
                value = self.text_value(data, key)
                if not ID_PATTERN.match(value):
                    raise self.fail(f"'{key}' must be a statement id", self.key_offset(key))
                meta[field] = value
        helper = data.get("helper", False)
        if not isinstance(helper, bool):
            raise self.fail("'helper' must be true or false", self.key_offset("helper"))
        meta["helper"] = helper
        return meta

    def toml_error(self, exc: tomllib.TOMLDecodeError) -> StatementFileError:
        msg = str(exc)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        problem = "invalid TOML: " + re.sub(
            r"\s*\(at (line \d+, column \d+|end of document)\)", "", msg
        )
        if m:
            return StatementFileError(self.path, problem, int(m.group(1)), int(m.group(2)))
        if "end of document" in msg:
            line, column = self.loc.position(len(self.text))
            return StatementFileError(self.path, problem, line, column)
        return StatementFileError(self.path, problem)

    # ---- simple values -----------------------------------------------------
    def text_value(self, data: dict, key: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"'{key}' must be a string", self.key_offset(key))
        return value

    def sizes(self, value: object) -> dict[str, int]:
        where = self.key_offset("sizes")
        if not isinstance(value, dict):
            raise self.fail("'sizes' must be a table such as { n = 7, d = 4 }", where)
        sizes = dict(DEFAULT_SIZES)
        for name, v in value.items():
            at = self.key_offset(name, where or 0)
            if name not in DEFAULT_SIZES:
                raise self.fail(f"unknown size '{name}' (sizes are n and d)", at)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SIZE:
                raise self.fail(f"size {name} must be an integer in 1..{MAX_SIZE}", at)
            sizes[name] = v
        return sizes

    def hypotheses_text(self, value: object) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(h, str) for h in value):
            raise self.fail("'hypotheses' must be a list of strings", self.key_offset("hypotheses"))
        return value

    # ---- parameters --------------------------------------------------------
    def parameters(self, value: object, sizes: dict[str, int]) -> tuple[dict, dict[str, sp.Symbol]]:
        where = self.key_offset("parameters")
        if not isinstance(value, dict):
            raise self.fail("'parameters' must be a table such as { R = 4 }", where)
        params: dict[str, object] = {}
        pending: dict[str, str] = {}
        for name, v in value.items():
            at = self.key_offset(name, where or 0)
            # HOLE marks the rewritten positions of a proof step's context
            bad = name in RESERVED_NAMES or name == "HOLE"
            if bad or not name.isidentifier() or name.startswith("_"):
                raise self.fail(f"'{name}' cannot be a parameter name", at)
            if isinstance(v, str):
                pending[name] = v
            elif isinstance(v, list):
                if len(v) != 2 or not all(_finite_number(e) for e in v) or v[0] > v[1]:
                    raise self.fail(
                        f"parameter {name}: a range is [low, high] with low <= high", at
                    )
                params[name] = (v[0], v[1])
            elif _finite_number(v):
                params[name] = v
            else:
                raise self.fail(
                    f"parameter {name} must be a number, a [low, high] range or an "
                    "expression string",
                    at,
                )
        symbols = {k: parameter_symbol(k, v) for k, v in params.items()}
        self.derived(pending, params, symbols, where or 0)
        self.check_values(params, symbols, sizes, where or 0)
        return {k: params[k] for k in value}, symbols

    def derived(self, pending: dict[str, str], params: dict, symbols: dict, where: int) -> None:
        """Resolve expression parameters (``beta = "exp(-R**2)"``) in dependency order."""
        allowed = set(symbols.values())
        while pending:
            progress = False
            for name, text in list(pending.items()):
                try:
                    e = parse_expression(text, parameters=symbols)
                except GrammarError as exc:
                    waiting = any(exc.problem.startswith(f"unknown name '{p}'") for p in pending)
                    if waiting:
                        continue
                    offset = self.string_offset(text, name, self.key_offset(name, where))
                    raise self.expression_error(exc, text, f"parameter {name}", offset) from None
                if model.is_matrix(e):
                    raise self.fail(
                        f"parameter {name} must be a scalar", self.key_offset(name, where)
                    )
                extra = e.free_symbols - allowed - {model.n, model.d}
                if extra:
                    raise self.fail(
                        f"parameter {name} may use only parameters and n, d, not "
                        f"{', '.join(sorted(map(str, extra)))}",
                        self.key_offset(name, where),
                    )
                params[name] = e
                symbols[name] = parameter_symbol(name, e)
                allowed.add(symbols[name])
                del pending[name]
                progress = True
            if not progress:
                names = ", ".join(sorted(pending))
                raise self.fail(
                    f"parameters defined in terms of each other: {names}",
                    self.key_offset(sorted(pending)[0], where),
                )

    def check_values(self, params: dict, symbols: dict, sizes: dict[str, int], where: int) -> None:
        """Every derived parameter evaluates to a finite real number of magnitude at most
        :data:`MAX_PARAMETER` at the file's sizes (ranged ones at both ends)."""
        derived = {k: e for k, e in params.items() if isinstance(e, sp.Expr) and not e.is_Number}
        if not derived:
            return
        for end in (0, 1):
            values = {model.n: sp.Integer(sizes["n"]), model.d: sp.Integer(sizes["d"])}
            for k, v in params.items():
                if k in derived:
                    continue
                v = v[end] if isinstance(v, tuple) else v
                values[symbols[k]] = sp.Rational(repr(v)) if isinstance(v, float) else sp.sympify(v)
            for name in _derived_order(derived, symbols):
                value = _bounded_value(derived[name].xreplace(values))
                if value is None:
                    raise self.fail(
                        f"parameter {name} does not evaluate to a finite number of magnitude "
                        f"at most {MAX_PARAMETER:g}",
                        self.key_offset(name, where),
                    )
                values[symbols[name]] = value

    # ---- definitions -------------------------------------------------------
    def definitions(
        self, value: object, symbols: dict[str, sp.Symbol]
    ) -> tuple[dict[str, Definition], tuple[tuple[str, tuple[str, ...], str], ...]]:
        """The ``[definitions]`` table, in order: each entry may use the variables,
        sizes, parameters, built-ins and the entries above it (own definitions)."""
        header = re.search(r"(?m)^[ \t]*\[[ \t]*definitions[ \t]*\]", self.text)
        where = header.start() if header else self.key_offset("definitions")
        if not isinstance(value, dict):
            raise self.fail("'definitions' must be a table (a [definitions] section)", where)
        # the catalogue's parameter names may appear in a definition before they
        # have a value: a claim or hypothesis that reaches one without a value is an error
        conventional = {k: v for k, v in CONVENTIONAL_PARAMETERS.items() if k not in symbols}
        names: dict[str, sp.Basic] = {**VARIABLES, **SIZES, **conventional, **symbols}
        defs: dict[str, Definition] = {}
        written: list[tuple[str, tuple[str, ...], str]] = []
        order = list(value)
        for name, v in value.items():
            at = self.key_offset(name, where or 0)
            self.definition_name(name, symbols, at)
            params, text, text_key = self.definition_form(name, v, at)
            for p in params:
                if not p.isidentifier() or p.startswith("_") or p in FUNCTIONS or p in SIZES:
                    raise self.fail(f"definition {name}: '{p}' cannot name an argument", at)
                if p in symbols or p in value:
                    raise self.fail(
                        f"definition {name}: the argument '{p}' clashes with a parameter "
                        "or a definition",
                        at,
                    )
            if len(set(params)) != len(params):
                raise self.fail(f"definition {name}: an argument is named twice", at)
            hidden = frozenset(order[order.index(name) :])
            defn = Definition(name, params, text, names, dict(defs), hidden)
            offset = self.string_offset(text, text_key, at)
            self.check_definition(defn, order, offset)
            defs[name] = defn
            written.append((name, params, text))
        return defs, tuple(written)

    def definition_name(self, name: str, symbols: dict, at: int | None) -> None:
        if not name.isidentifier() or name.startswith("_"):
            raise self.fail(f"'{name}' cannot be a definition name", at)
        if name in VARIABLES or name in SIZES:
            raise self.fail(f"definition '{name}' clashes with a variable or size", at)
        if name in symbols:
            raise self.fail(f"definition '{name}' clashes with the parameter {name}", at)
        if name in FUNCTIONS and name not in MODEL_NAMES:
            raise self.fail(
                f"definition '{name}' clashes with the built-in function {name}() (only the "
                f"model functions {', '.join(sorted(MODEL_NAMES))} may be redefined)",
                at,
            )

    def definition_form(
        self, name: str, v: object, at: int | None
    ) -> tuple[tuple[str, ...], str, str]:
        """``(params, text, key of the text)`` of ``name = "..."`` or
        ``name = { of = [...], is = "..." }``."""
        if isinstance(v, str):
            return (), v, name
        form = f'definition {name} must be "expression" or {{ of = ["v"], is = "expression" }}'
        if not isinstance(v, dict):
            raise self.fail(form, at)
        extra = set(v) - {"of", "is"}
        if extra or "is" not in v or not isinstance(v["is"], str):
            raise self.fail(form, at)
        params = v.get("of", [])
        if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
            raise self.fail(f"definition {name}: 'of' must be a list of argument names", at)
        return tuple(params), v["is"], "is"

    def check_definition(self, defn: Definition, order: list[str], offset: int) -> None:
        """Instantiate ``defn`` at trial arguments (vectors of length d or n, scalars,
        n x d matrices) so an unknown name, a forward reference or a shape that fits no
        arguments is reported at its position in the file."""
        trials = _trial_arguments(len(defn.params))
        first: GrammarError | None = None
        for args in trials:
            try:
                parse_definition(defn, args)
                return
            except GrammarError as exc:
                if first is None:
                    first = exc
                if not defn.params or _not_shape(exc):
                    break
        assert first is not None
        problem = first.problem
        m = re.match(r"unknown (?:name|function) '(\w+)'", problem)
        if m and m.group(1) == defn.name:
            problem = f"'{defn.name}' is used in its own definition (a definition cannot recurse)"
        elif m and m.group(1) in order and order.index(m.group(1)) > order.index(defn.name):
            problem = (
                f"'{m.group(1)}' is defined below {defn.name}: a definition may use only the "
                "definitions above it (no cycles)"
            )
        exc = GrammarError(problem, first.line, first.column)
        raise self.expression_error(exc, defn.text, f"definition {defn.name}", offset) from None

    # ---- expressions -------------------------------------------------------
    def string_offset(self, text: str, key: str, after: int | None = None) -> int:
        """Where the string ``text`` of ``key`` starts (else where the key is)."""
        start = (self.key_offset(key) or 0) if after is None else after
        found = self.loc.string(text, start)
        return found if found is not None else start

    def relation(
        self,
        text: str,
        symbols: dict,
        what: str,
        offset: int,
        sizes: dict,
        definitions: dict[str, Definition] | None = None,
    ):
        # a file without definitions: the same text with the same parameters parses to
        # the same relation (a pack repeats its hypotheses file after file)
        key = None if definitions else (text, tuple(sorted(symbols.items())))
        rel = _PARSED.get(key) if key else None
        if rel is None:
            try:
                rel = parse_relation(text, parameters=symbols, definitions=definitions)
            except GrammarError as exc:
                raise self.expression_error(exc, text, what, offset) from None
            if key:
                if len(_PARSED) >= _PARSED_MAX:
                    _PARSED.clear()
                    _CHECKED.clear()
                _PARSED[key] = rel
        checked = (key, tuple(sorted(sizes.items()))) if key else None
        problem = _CHECKED.get(checked, False) if checked else False
        if problem is False:
            nodes = _distinct_subterms(rel)
            has_col = any(isinstance(node, model.Col) for node in nodes)
            problem = (
                (has_col and relation_size_problem(rel, sizes))
                or _undefined_constant(rel, nodes)
                or _unvalued_parameter(rel, symbols)
            )
            if checked:
                _CHECKED[checked] = problem
        if problem:
            at = text.find("col(")
            if at >= 0 and self.text.startswith(text, offset):
                offset += at
            raise self.fail(f"{problem} in {what}", offset)
        return rel

    def expression_error(self, exc: GrammarError, text: str, what: str, offset: int):
        """Map a position inside ``text`` (found at ``offset``) to ``FILE:LINE:COL``."""
        problem = f"{exc.problem} in {what}"
        if not self.text.startswith(text, offset):  # written with escapes: point at the key
            return self.fail(problem, offset)
        line, column = self.loc.position(offset)
        if exc.line > 1:
            return StatementFileError(self.path, problem, line + exc.line - 1, exc.column)
        return StatementFileError(self.path, problem, line, column + exc.column - 1)


#: parameter names of the catalogue's notation (``R``, ``beta``, ``eta``) a definition
#: may use before the file gives them a value
CONVENTIONAL_PARAMETERS: dict[str, sp.Symbol] = {"R": model.R, "beta": model.beta, "eta": model.eta}


def _unvalued_parameter(rel, symbols: dict) -> str | None:
    """A conventional parameter reached through a definition without a value."""
    free = rel.lhs.free_symbols | rel.rhs.free_symbols
    for name, sym in CONVENTIONAL_PARAMETERS.items():
        if name not in symbols and sym in free:
            return (
                f"the parameter {name} (used by a definition) has no value: give it in "
                f"parameters, e.g. parameters = {{ {name} = 4 }}"
            )
    return None


def _trial_arguments(k: int) -> list[tuple[sp.Basic, ...]]:
    """Argument shapes tried when a definition is checked: every mix of a vector of
    length d, one of length n, a scalar and an n x d matrix (uniform ones only for
    more than three arguments)."""
    import itertools

    kinds = (model.x, model.b, model.t, model.A)
    if k == 0:
        return [()]
    if k <= 3:
        return list(itertools.product(kinds, repeat=k))
    return [tuple([kind] * k) for kind in kinds]


def _not_shape(exc: GrammarError) -> bool:
    """The problem does not depend on argument shapes (an unknown name, a syntax error)."""
    p = exc.problem
    return p.startswith(("unknown ", "syntax error")) or "not allowed" in p


#: the constants with no real value (singletons: a set lookup by hash, no comparisons)
_NOT_REAL = frozenset({sp.nan, sp.zoo, sp.oo, -sp.oo, sp.I})


def _distinct_subterms(rel) -> list:
    """The subterms of both sides of ``rel`` in preorder, each distinct one once
    (``f(x)`` recurs in many claims: every check visits it once)."""
    seen: set = set()
    out = []
    for side in (rel.lhs, rel.rhs):
        stack = [side]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            out.append(node)
            stack.extend(reversed(node.args))
    return out


def _undefined_constant(rel, nodes: list | None = None) -> str | None:
    """A constant part of ``rel`` with no real value (``log(0)`` is ``zoo``,
    ``sqrt(-1)`` is ``I``, ``exp(log(0*t))`` is ``nan``), or ``None``: such a claim
    states nothing, so it is bad input rather than something to search.  ``nodes``:
    its :func:`_distinct_subterms`, if already known."""
    for node in _distinct_subterms(rel) if nodes is None else nodes:
        if node in _NOT_REAL or (
            isinstance(node, sp.Number) and not (node.is_real and node.is_finite)
        ):
            return f"the expression has no real value (a part of it is {node})"
        if (
            isinstance(node, sp.Expr)
            and not getattr(node, "is_Matrix", False)
            and not node.free_symbols
            and node.is_extended_real is False
        ):  # (-8)**(1/3): SymPy's principal root is complex
            return f"the expression has no real value ({node} is not real)"
    return None


#: the variables whose shapes give each size (``n`` rows, ``d`` columns)
_SIZED_BY = {model.n: ("A", "At", "b"), model.d: ("A", "At", "x", "y")}


def _unsized_dimensions(relations, parameters: dict | None = None) -> str | None:
    """Why the sizes of ``relations`` cannot be read off their variables, or ``None``:
    a claim that uses ``n`` (``ones(n)``, ``t * n``, a parameter ``"n * R"``) needs a
    variable of that size."""
    syms: set = set()
    for rel in relations:
        syms |= rel.lhs.free_symbols | rel.rhs.free_symbols
    for value in (parameters or {}).values():
        if isinstance(value, sp.Basic):
            syms |= value.free_symbols
    names = {getattr(v, "name", "") for v in syms}
    for size, holders in _SIZED_BY.items():
        if size in syms and not names & set(holders):
            return (
                f"the size {size} is used but no variable of that size occurs "
                f"({', '.join(holders)}): sizes are read from the variables"
            )
    return None


#: comments, complete strings, a lone quote, brackets (for :func:`_nesting_offset`)
_NESTING_TOKENS = re.compile(
    r'#[^\n]*|"""(?:\\.|[^\\])*?"""|' + r"'''.*?'''|" + r'"""|' + r"'''|"
    r'"(?:\\.|[^"\\\n])*"|' + r"'[^'\n]*'|[\"']|[\[\]{}]",
    re.S,
)


_PROOF_LINE = re.compile(r"^proof = \[", re.M)


def _split_proof(text: str) -> tuple[str, str | None]:
    """``text`` cut before its top-level ``proof = [`` line when the ``proof`` and
    ``[[lemma]]`` tables end the file (the layout of the catalogue's files), so that
    they are read only when the proof is used; else ``(text, None)``."""
    m = _PROOF_LINE.search(text)
    if m is None:
        return text, None
    head, tail = text[: m.start()], text[m.start() :]
    if re.search(r"^\s*\[", head, re.M) or head.count('"""') % 2 or head.count("'''") % 2:
        return text, None
    if re.search(r"^\s*\[(?!\[\s*lemma\s*\]\])", tail, re.M):  # another table follows
        return text, None
    return head, tail


class _DeferredProof:
    """The ``proof`` and ``[[lemma]]`` tables of a file, read on first use."""

    def __init__(self, tail: str, toml_error) -> None:
        self.tail, self.toml_error = tail, toml_error

    def tables(self) -> tuple[object, object]:
        from .proofs import ProofFormatError

        deep = _nesting_offset(self.tail, MAX_NESTING)
        if deep is not None:
            raise ProofFormatError(f"arrays or tables nested deeper than {MAX_NESTING} levels")
        try:
            data = tomllib.loads(self.tail, parse_float=_toml_decimal)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            raise ProofFormatError(f"the proof is not valid TOML: {exc}") from None
        extra = [k for k in data if k not in ("proof", "lemma")]
        if extra:
            raise ProofFormatError(f"unknown key '{extra[0]}' after the proof", extra[0])
        return data["proof"], data.get("lemma")


def _nesting_offset(text: str, limit: int) -> int | None:
    """Offset of the first ``[`` or ``{`` nested deeper than ``limit`` outside strings
    and comments (TOML's own parser recurses once per level), else ``None``."""
    depth = 0
    for m in _NESTING_TOKENS.finditer(text):
        tok = m.group()
        if tok in ("[", "{"):
            depth += 1
            if depth > limit:
                return m.start()
        elif tok in ("]", "}"):
            depth = max(depth - 1, 0)
        elif tok in ('"', "'", '"""', "'''"):  # a string left open: the scan decides
            return _nesting_offset_scan(text, limit)
    return None


def _nesting_offset_scan(text: str, limit: int) -> int | None:
    """:func:`_nesting_offset` one character at a time."""
    depth, i, end = 0, 0, len(text)
    while i < end:
        ch = text[i]
        if ch == "#":
            nl = text.find("\n", i)
            i = end if nl < 0 else nl
            continue
        if ch in "\"'":
            triple = text.startswith(ch * 3, i)
            quote = ch * 3 if triple else ch
            j = i + len(quote)
            while j < end and not text.startswith(quote, j):
                if ch == '"' and text[j] == "\\":
                    j += 1
                elif text[j] == "\n" and not triple:
                    break
                j += 1
            i = j + len(quote)
            continue
        if ch in "[{":
            depth += 1
            if depth > limit:
                return i
        elif ch in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return None


def _table_offset(text: str, start: int, k: int) -> int | None:
    """Offset of the ``k``-th inline table (0-based) of the array that follows
    ``start`` (``proof = [ {...}, {...} ]``), strings and comments skipped."""
    i = text.find("[", start)
    if i < 0:
        return None
    depth, count, end = 0, 0, len(text)
    while i < end:
        ch = text[i]
        if ch == "#":
            nl = text.find("\n", i)
            i = end if nl < 0 else nl
            continue
        if ch in "\"'":
            j = i + 1
            while j < end and text[j] != ch and text[j] != "\n":
                j += 2 if ch == '"' and text[j] == "\\" else 1
            i = j + 1
            continue
        if ch in "[{":
            depth += 1
            if ch == "{" and depth == 2:
                if count == k:
                    return i
                count += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return None
        i += 1
    return None


def _toml_decimal(text: str) -> float | sp.Rational | str:
    """A TOML float literal as the number written: the double when its shortest
    decimal is the literal's value (``0.1``, ``2.5``: every checker reads a float by
    that decimal), else the exact decimal as a SymPy Rational
    (``1.41421356237309504`` has more digits than a double keeps; rounding it to
    ``1.4142135623730951`` would state a different claim).  ``nan``/``inf`` stay
    floats and are refused as parameters."""
    value = float(text)
    if not math.isfinite(value):
        return value
    exact = Decimal(text.replace("_", ""))
    if Decimal(repr(value)) == exact:
        return value
    return sp.Rational(str(exact))


def _finite_number(v: object) -> bool:
    """A TOML number usable as a parameter: finite, of magnitude at most MAX_PARAMETER."""
    if isinstance(v, sp.Rational):
        return abs(v) <= MAX_PARAMETER
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    if isinstance(v, int):
        return abs(v) <= MAX_PARAMETER
    return math.isfinite(v) and abs(v) <= MAX_PARAMETER


def _derived_order(derived: dict[str, sp.Expr], symbols: dict) -> list[str]:
    """Derived parameter names, each after the derived ones it uses."""
    order: list[str] = []
    pending = dict(derived)
    while pending:
        ready = [
            k
            for k, e in pending.items()
            if not ({sym for sym in e.free_symbols} & {symbols[p] for p in pending})
        ]
        if not ready:
            return order + sorted(pending)
        for k in ready:
            order.append(k)
            del pending[k]
    return order


@lru_cache(maxsize=512)
def _bounded_value(e: sp.Expr) -> sp.Float | None:
    """``e`` (no free symbols) evaluated in mpmath at 30 digits if that gives a finite
    real of magnitude at most :data:`MAX_PARAMETER`, else ``None`` (overflow, complex,
    undefined).  Fixed precision: a huge value such as ``exp(exp(exp(100)))`` fails
    fast instead of asking SymPy for ever more digits."""
    import mpmath

    e = sp.sympify(e)
    if e.free_symbols:
        return None
    try:
        with mpmath.workdps(30):
            v = sp.lambdify((), e, modules="mpmath")()
            if isinstance(v, mpmath.mpc | complex):
                return None
            v = mpmath.mpf(v)  # also mpmath's named constants (exp(1) is mpmath.e)
            if not mpmath.isfinite(v) or abs(v) > MAX_PARAMETER:
                return None
            return sp.Float(v, 30)
    except Exception:  # any failure to evaluate refuses the value (exit 2, never a verdict)
        return None


def parse_statement_text(
    text: str, path: str = "<statement>", lazy_proof: bool = False, folder: str | None = None
) -> Statement:
    """A :class:`Statement` from the TOML ``text`` (``path`` only names it in messages).
    ``lazy_proof``: the ``proof`` tables are validated when the proof is first used
    (a pack's files), not now; ``folder``: the file's folder (a ``lemma ID`` is looked
    up among the statements of the pack there, then in the catalogue)."""
    return _Loader(text, path, lazy_proof, folder).load()


def read_regular_file(path: str | os.PathLike, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file ``path`` (symbolic links followed), at most ``limit``.

    Raises ``OSError`` for a missing or unreadable file and ``ValueError`` (naming
    the problem) for a directory, a device, a FIFO or a file larger than ``limit``;
    a FIFO or device is never read (opened without blocking, then refused).
    """
    fd = os.open(os.fspath(path), os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ValueError("is a directory, not a file")
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("is not a regular file (a device, FIFO or socket)")
        if st.st_size > limit:
            raise ValueError(f"file larger than {limit} bytes")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 16, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise ValueError(f"file larger than {limit} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_statement(path: str | os.PathLike, lazy_proof: bool = False) -> Statement:
    """Read and check a statement file; raise :class:`StatementFileError` if it is bad
    (with ``lazy_proof``, a bad ``proof`` table only when the proof is first used)."""
    name = os.fspath(path)
    try:
        raw = read_regular_file(name)
    except ValueError as exc:
        raise StatementFileError(name, str(exc)) from None
    except OSError as exc:
        raise StatementFileError(name, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = len(raw[: exc.start].rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        raise StatementFileError(name, "not UTF-8 text", line, column) from None
    return parse_statement_text(text, name, lazy_proof, os.path.dirname(os.path.abspath(name)))
