"""Certificates of :func:`softproof.numeric.certify.certify` and their independent checker.

A certificate is JSON data: the statement, the sizes and parameters, the domain,
the working precision and the box tree.  An internal node splits its box at
``at`` along variable ``var``; a leaf carries its decision: ``hypothesis-false``
(hypothesis ``i`` fails on the whole box) or ``claim`` (a named reduction and an
inner tree of reduced boxes, each margin closed by a named test).

The checker treats the file as data.  :func:`validate_shape` checks every field's
type, the nesting depth and the number of nodes, and reads every number with
:func:`parse_rational` (``"p/q"`` or integer text in canonical form, bounded in
digits: no ``eval``, ``sympify`` or ``float``).  :func:`explain_certificate` then
rebuilds the problem and the domain from the statement and the request (sizes,
parameters, domain argument and radius: by default the certificate's sizes and
radius, no parameter overrides and no domain argument), rejects any difference
with the recorded values (naming the field), checks that the tree partitions the
domain exactly and re-decides every leaf with :mod:`softproof.numeric.certcheck` (its own
Arb enclosures and derivations; no enclosure code of the prover).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp
from flint import ctx

from softproof.derivations.derivation import write_atomic
from softproof.derivations.statement import Statement

from . import certcheck as cc

__all__ = [
    "CertificateError",
    "check_certificate",
    "explain_certificate",
    "save_certificate",
    "load_certificate",
    "parse_rational",
    "validate_shape",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_DIGITS",
]

CERT_FORMAT = "softproof-certificate/1"
#: nesting bounds of the outer and the inner trees, and their total size
MAX_DEPTH = 4096
MAX_INNER_DEPTH = 64
MAX_NODES = 2_000_000
#: digits of a numerator or denominator
MAX_DIGITS = 1300
#: bytes of a certificate file
MAX_FILE_BYTES = 512 * 2**20
#: scalar variables (as for the prover's branch and bound) and sizes
MAX_VARIABLES = 40
MAX_SIZE = 64
PREC_RANGE = (32, 4096)

_RATIONAL = re.compile(r"-?(0|[1-9][0-9]*)(/[1-9][0-9]*)?")
_UNSET: Any = object()


class CertificateError(ValueError):
    """A certificate that does not verify (the message says where)."""


def save_certificate(cert: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write ``cert`` as JSON (atomically: a temporary file renamed)."""
    write_atomic(Path(path), json.dumps(cert, indent=1))


def _no_constant(name: str) -> Any:
    raise CertificateError(f"{name} is not a number a certificate may hold")


def load_certificate(path: str | os.PathLike) -> dict[str, Any]:
    """Read a certificate file as plain JSON data (no NaN/Infinity, bounded size and
    nesting); raises :class:`CertificateError` naming the problem."""
    from softproof.derivations.statement_files import read_regular_file

    p = Path(path)
    try:
        text = read_regular_file(p, MAX_FILE_BYTES).decode("utf-8")
    except OSError as exc:
        raise CertificateError(f"{p}: cannot be read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise CertificateError(f"{p}: not UTF-8 text") from None
    except ValueError as exc:  # a directory, FIFO, device, or too large
        raise CertificateError(f"{p}: {exc}") from None
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_no_float)
    except RecursionError:
        raise CertificateError(f"{p}: nested too deeply") from None
    except CertificateError as exc:
        raise CertificateError(f"{p}: {exc}") from None
    except ValueError as exc:  # JSON syntax, or an integer too long to read
        raise CertificateError(f"{p}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CertificateError(f"{p}: not a JSON object")
    return data


def _no_float(text: str) -> Any:
    raise CertificateError(f"floating-point number {text[:40]!r}: numbers are exact 'p/q' text")


def parse_rational(text: Any, where: str) -> Fraction:
    """An exact rational from canonical ``"p"`` or ``"p/q"`` text (``q > 1``, lowest
    terms, at most :data:`MAX_DIGITS` digits each)."""
    if not isinstance(text, str):
        raise CertificateError(f"{where}: expected a rational 'p/q' as text, got {_show(text)}")
    if len(text) > 2 * MAX_DIGITS + 2:
        raise CertificateError(f"{where}: more than {MAX_DIGITS} digits")
    if not _RATIONAL.fullmatch(text):
        raise CertificateError(f"{where}: {_show(text)} is not a rational 'p/q'")
    num, _, den = text.partition("/")
    if len(num.lstrip("-")) > MAX_DIGITS or len(den) > MAX_DIGITS:
        raise CertificateError(f"{where}: more than {MAX_DIGITS} digits")
    q = Fraction(int(num), int(den) if den else 1)
    if _text(q) != text:
        raise CertificateError(f"{where}: {_show(text)} is not in lowest terms")
    return q


def _text(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _show(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 60 else s[:57] + "..."


def check_certificate(
    statement: Statement,
    certificate: Mapping[str, Any],
    *,
    sizes: Mapping[str, int] | None = None,
    parameters: Mapping[str, Any] | None = None,
    domain: Mapping[str, tuple[Any, Any]] | None = None,
    default_radius: Any = _UNSET,
) -> bool:
    """``True`` iff ``certificate`` proves ``statement`` on the requested domain
    (see :func:`explain_certificate`)."""
    try:
        explain_certificate(
            statement,
            certificate,
            sizes=sizes,
            parameters=parameters,
            domain=domain,
            default_radius=default_radius,
        )
    except CertificateError:
        return False
    return True


def explain_certificate(
    statement: Statement,
    certificate: Mapping[str, Any],
    *,
    sizes: Mapping[str, int] | None = None,
    parameters: Mapping[str, Any] | None = None,
    domain: Mapping[str, tuple[Any, Any]] | None = None,
    default_radius: Any = _UNSET,
) -> int:
    """Verify ``certificate``; return the number of leaves, or raise
    :class:`CertificateError` naming the first problem.

    The request: ``sizes`` (default: the certificate's), ``parameters`` overrides
    (default none), ``domain`` argument (default none) and ``default_radius``
    (default: the certificate's); the certificate must record exactly these.
    """
    validate_shape(certificate)
    try:
        return _Checker(statement, certificate).run(sizes, parameters, domain, default_radius)
    except CertificateError:
        raise
    except RecursionError:
        raise CertificateError("malformed certificate: nested too deeply") from None
    except (KeyError, TypeError, ValueError, IndexError, ZeroDivisionError) as exc:
        raise CertificateError(f"malformed certificate: {type(exc).__name__}: {exc}") from exc


# --------------------------------------------------------------------------
# The shape: types, nesting and size, before any arithmetic
# --------------------------------------------------------------------------
_TOP = {
    "format": str,
    "statement": dict,
    "sizes": dict,
    "parameters": dict,
    "domain_argument": dict,
    "default_radius": (str, type(None)),
    "prec": int,
    "domain": dict,
    "tree": dict,
}
_RECORD_KEYS = {"test", "margin", "enclosure", "form", "ends", "corner", "point"}


def _need(d: Mapping[str, Any], key: str, typ: Any, where: str) -> Any:
    if key not in d:
        raise CertificateError(f"{where}: missing field {key!r}")
    v = d[key]
    if isinstance(v, bool) and typ in (int, (int,)) or not isinstance(v, typ):
        raise CertificateError(f"{where}.{key}: wrong type {type(v).__name__}")
    return v


def _only(d: Mapping[str, Any], keys: set[str], where: str) -> None:
    extra = set(d) - keys
    if extra:
        raise CertificateError(f"{where}: unknown field {sorted(map(str, extra))[0]!r}")


def _int(v: Any, where: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise CertificateError(f"{where}: expected an integer in [{lo}, {hi}], got {_show(v)}")
    return v


def _str_list(v: Any, where: str) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
        raise CertificateError(f"{where}: expected a list of strings")
    return v


def validate_shape(cert: Any) -> None:
    """Every field present with its type, no unknown field or decision kind, trees
    nested at most :data:`MAX_DEPTH` (inner :data:`MAX_INNER_DEPTH`) deep with at
    most :data:`MAX_NODES` nodes (an iterative walk: no recursion on the data)."""
    if not isinstance(cert, Mapping):
        raise CertificateError("a certificate is a JSON object")
    _only(cert, set(_TOP), "certificate")
    for key, typ in _TOP.items():
        _need(cert, key, typ, "certificate")
    st = cert["statement"]
    _only(st, {"id", "claim", "hypotheses"}, "statement")
    _need(st, "id", str, "statement")
    _need(st, "claim", str, "statement")
    _str_list(_need(st, "hypotheses", list, "statement"), "statement.hypotheses")
    _only(cert["sizes"], {"n", "d"}, "sizes")
    for k in ("n", "d"):
        _int(_need(cert["sizes"], k, int, "sizes"), f"sizes.{k}", 1, MAX_SIZE)
    _int(cert["prec"], "prec", *PREC_RANGE)
    for k, v in cert["parameters"].items():
        if not isinstance(v, str):
            raise CertificateError(f"parameters.{k}: expected text")
    for k, v in cert["domain_argument"].items():
        if not (isinstance(v, list) and len(v) == 2):
            raise CertificateError(f"domain_argument.{k}: expected [low, high]")
        for t in v:
            parse_rational(t, f"domain_argument.{k}")
    if cert["default_radius"] is not None:
        parse_rational(cert["default_radius"], "default_radius")
    dom = cert["domain"]
    _only(dom, {"variables", "bounds", "origins", "sizes", "parameters", "constraints"}, "domain")
    nvars = len(_str_list(_need(dom, "variables", list, "domain"), "domain.variables"))
    if nvars > MAX_VARIABLES:
        raise CertificateError(f"domain.variables: more than {MAX_VARIABLES} variables")
    _box(_need(dom, "bounds", list, "domain"), nvars, "domain.bounds")
    _str_list(_need(dom, "origins", list, "domain"), "domain.origins")
    _need(dom, "sizes", dict, "domain")
    _need(dom, "parameters", dict, "domain")
    _str_list(_need(dom, "constraints", list, "domain"), "domain.constraints")
    _walk_outer(cert["tree"], nvars)


def _box(v: Any, nvars: int, where: str) -> list[tuple[Fraction, Fraction]]:
    if not isinstance(v, list) or len(v) != nvars:
        raise CertificateError(f"{where}: expected {nvars} intervals")
    out = []
    for iv in v:
        if not (isinstance(iv, list) and len(iv) == 2):
            raise CertificateError(f"{where}: an interval is [low, high]")
        lo, hi = parse_rational(iv[0], where), parse_rational(iv[1], where)
        if lo > hi:
            raise CertificateError(f"{where}: empty interval [{iv[0]}, {iv[1]}]")
        out.append((lo, hi))
    return out


def _split(node: Mapping[str, Any], where: str) -> None:
    sp_ = _need(node, "split", dict, where)
    _only(sp_, {"var", "at"}, f"{where}.split")
    _int(_need(sp_, "var", int, f"{where}.split"), f"{where}.split.var", 0, MAX_VARIABLES)
    parse_rational(_need(sp_, "at", str, f"{where}.split"), f"{where}.split.at")
    kids = _need(node, "children", list, where)
    if len(kids) != 2 or not all(isinstance(k, dict) for k in kids):
        raise CertificateError(f"{where}: a split node needs exactly two children")


def _walk_outer(root: Any, nvars: int) -> None:
    count = 0
    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise CertificateError(f"tree: more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise CertificateError(f"tree: nested deeper than {MAX_DEPTH}")
        if not isinstance(node, dict):
            raise CertificateError("tree: a node is a JSON object")
        _box(_need(node, "box", list, "tree node"), nvars, "tree node box")
        if "split" in node:
            _only(node, {"box", "split", "children"}, "tree node")
            _split(node, "tree node")
            stack.extend((k, depth + 1) for k in node["children"])
            continue
        _only(node, {"box", "decision"}, "tree node")
        dec = _need(node, "decision", dict, "tree leaf")
        kind = _need(dec, "kind", str, "decision")
        if kind == "hypothesis-false":
            _only(dec, {"kind", "hypothesis", "text", "enclosure"}, "decision")
            _int(_need(dec, "hypothesis", int, "decision"), "decision.hypothesis", 0, 10**6)
            for k in ("text", "enclosure"):
                if k in dec and not isinstance(dec[k], str):
                    raise CertificateError(f"decision.{k}: expected text")
        elif kind == "claim":
            _only(dec, {"kind", "reduction", "steps", "inner_variables", "inner"}, "decision")
            _need(dec, "reduction", str, "decision")
            _str_list(dec.get("steps", []), "decision.steps")
            _str_list(dec.get("inner_variables", []), "decision.inner_variables")
            count = _walk_inner(_need(dec, "inner", dict, "decision"), count)
        else:
            raise CertificateError(f"unknown decision kind {_show(kind)}")


def _walk_inner(root: dict, count: int) -> int:
    stack: list[tuple[Any, int]] = [(root, 0)]
    width = None
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise CertificateError(f"tree: more than {MAX_NODES} nodes")
        if depth > MAX_INNER_DEPTH:
            raise CertificateError(f"inner tree: nested deeper than {MAX_INNER_DEPTH}")
        if not isinstance(node, dict):
            raise CertificateError("inner tree: a node is a JSON object")
        _only(node, {"box", "proved", "split", "children"}, "inner node")
        box = _need(node, "box", list, "inner node")
        width = len(box) if width is None else width
        if len(box) != width or len(box) > MAX_VARIABLES:
            raise CertificateError("inner node: boxes of different dimensions")
        for iv in box:
            if not (isinstance(iv, list) and len(iv) == 4):
                raise CertificateError(
                    "inner node box: an interval is [lo, hi, exact lo, exact hi]"
                )
            lo, hi = parse_rational(iv[0], "inner box"), parse_rational(iv[1], "inner box")
            if lo > hi:
                raise CertificateError("inner box: empty interval")
            if not all(isinstance(t, (str, type(None))) for t in iv[2:]):
                raise CertificateError("inner box: exact ends are text or null")
        proved = node.get("proved", {})
        if not isinstance(proved, dict):
            raise CertificateError("inner node.proved: expected an object")
        for k, rec in proved.items():
            if not re.fullmatch(r"0|[1-9][0-9]{0,5}", k):
                raise CertificateError(f"inner node.proved: bad margin index {_show(k)}")
            if not isinstance(rec, dict):
                raise CertificateError("inner node.proved: a record is an object")
            _only(rec, _RECORD_KEYS, "proof record")
            test = _need(rec, "test", str, "proof record")
            if test not in cc.TESTS:
                raise CertificateError(f"proof record: unknown test {_show(test)}")
            for key in ("ends", "corner", "point"):
                if key in rec:
                    _str_list(rec[key], f"proof record.{key}")
            for t in rec.get("point", []):
                parse_rational(t, "proof record.point")
        if "split" in node:
            _split(node, "inner node")
            stack.extend((k, depth + 1) for k in node["children"])
        elif "children" in node:
            raise CertificateError("inner node: children without a split")
    return count


# --------------------------------------------------------------------------
# The checker
# --------------------------------------------------------------------------
class _Checker:
    def __init__(self, statement: Statement, cert: Mapping[str, Any]) -> None:
        self.statement = statement
        self.cert = cert

    def run(self, sizes, parameters, domain, default_radius) -> int:
        from .boxes import DomainError, Problem  # the lowering only (derivation)

        cert = self.cert
        if cert["format"] != CERT_FORMAT:
            raise CertificateError(f"format: unknown format {_show(cert['format'])}")
        st = cert["statement"]
        if st["id"] != self.statement.id:
            raise CertificateError("statement.id: the certificate is for another statement")
        if st["claim"] != str(self.statement.claim):
            raise CertificateError("statement.claim: the certificate is for another claim")
        self.prec = cert["prec"]
        n, d = cert["sizes"]["n"], cert["sizes"]["d"]
        for key, value in (sizes or {}).items():  # the request may name n, d or both
            if key not in ("n", "d") or int(value) != cert["sizes"][key]:
                raise CertificateError(
                    f"sizes: the certificate is for n={n}, d={d}, the request {key}={value}"
                )
        if n * d > 16 * MAX_VARIABLES:
            raise CertificateError(f"sizes: n={n}, d={d} is beyond branch and bound")
        if default_radius is _UNSET:
            r_text = cert["default_radius"]
            radius = None if r_text is None else parse_rational(r_text, "default_radius")
        else:
            radius = None if default_radius is None else Fraction(default_radius)
            want = None if radius is None else _text(radius)
            if cert["default_radius"] != want:
                raise CertificateError(
                    f"default_radius: the certificate records {_show(cert['default_radius'])}, "
                    f"the request {_show(want)}"
                )
        if radius is not None and radius <= 0:
            raise CertificateError("default_radius: must be positive")
        with ctx.workprec(self.prec):
            try:
                problem = Problem(
                    self.statement,
                    n,
                    d,
                    parameters=dict(parameters or {}),
                    domain=dict(domain or {}),
                    default_radius=radius,
                )
            except DomainError as exc:
                raise CertificateError(f"domain: the domain cannot be rebuilt: {exc}") from exc
            self.problem = problem
            self._same_request(problem, parameters)
            if len(problem.symbols) > MAX_VARIABLES:
                raise CertificateError(f"sizes: more than {MAX_VARIABLES} scalar variables")
            self.clamps = _clamps(problem)
            self.reds: dict[str, cc.Red | None] = {}
            self.leaves = 0
            self._tree(cert["tree"], list(problem.domain.bounds))
        return self.leaves

    def _same_request(self, problem, parameters) -> None:
        """The recorded parameters, domain argument and domain are the rebuilt ones."""
        cert = self.cert
        psyms = self.statement.parameter_symbols
        want = {k: str(problem.subs[psyms[k]]) for k in (parameters or {})}
        if dict(cert["parameters"]) != want:
            raise CertificateError(
                "parameters: the certificate's parameters differ from the statement's "
                f"(recorded {_show(dict(cert['parameters']))}, expected {_show(want)})"
            )
        dom_arg = {k: [_text(lo), _text(hi)] for k, (lo, hi) in problem.explicit.items()}
        if dict(cert["domain_argument"]) != dom_arg:
            raise CertificateError(
                "domain_argument: the certificate's domain argument differs from the "
                f"request (recorded {_show(dict(cert['domain_argument']))}, expected "
                f"{_show(dom_arg)})"
            )
        if list(cert["statement"]["hypotheses"]) != list(problem.domain.constraints):
            raise CertificateError("statement.hypotheses: differ from the statement's")
        rebuilt = problem.domain.to_json()
        for key in ("variables", "bounds", "origins", "sizes", "parameters", "constraints"):
            if cert["domain"][key] != rebuilt[key]:
                raise CertificateError(
                    f"domain.{key}: the certificate's domain differs from the one the "
                    "statement and the request give"
                )

    # ---- the outer tree: an exact partition of the domain --------------------
    def _tree(self, root: Mapping[str, Any], domain: list[tuple[Fraction, Fraction]]) -> None:
        """Walk the outer tree (iteratively): every box is the one its parent's split
        gives, every split strictly inside its box, every leaf re-decided."""
        stack = [(root, domain)]
        while stack:
            node, box = stack.pop()
            if _box(node["box"], len(box), "tree node box") != box:
                raise CertificateError(f"box {_show(node['box'])} is not the one its parent gives")
            if "split" not in node:
                self._leaf(node["decision"], box)
                self.leaves += 1
                continue
            i = node["split"]["var"]
            at = parse_rational(node["split"]["at"], "split.at")
            if not 0 <= i < len(box) or not box[i][0] < at < box[i][1]:
                raise CertificateError(f"split at {at} of variable {i} is not inside the box")
            for part, kid in zip(((box[i][0], at), (at, box[i][1])), node["children"], strict=True):
                sub = list(box)
                sub[i] = part
                stack.append((kid, sub))

    def _env(self, box) -> dict[sp.Symbol, cc.Ivl]:
        return {
            s: cc.q_range(lo, hi) for s, (lo, hi) in zip(self.problem.symbols, box, strict=True)
        }

    def _leaf(self, dec: Mapping[str, Any], box) -> None:
        problem = self.problem
        env = self._env(box)
        if dec["kind"] == "hypothesis-false":
            i = dec["hypothesis"]
            if not 0 <= i < len(problem.hypotheses):
                raise CertificateError(f"decision.hypothesis: no hypothesis {i}")
            lhs, op, rhs = problem.hypotheses[i]
            try:
                ev = cc.Enclose(env, problem.placeholders)
                m = ev(rhs) - ev(lhs)
            except cc.Reject as exc:
                raise CertificateError(f"hypothesis {i} cannot be enclosed: {exc}") from None
            fails = m.hi < 0 if op == "<=" else (m.hi <= 0 if op == "<" else (m.hi < 0 or m.lo > 0))
            if not fails:
                raise CertificateError(f"hypothesis {i} does not fail on box {_show(box)}")
            return
        red = self._reduction(dec["reduction"])
        try:
            full, ranges = cc.stage_ranges(red, env, problem.placeholders, self.clamps)
        except cc.Reject as exc:
            raise CertificateError(f"the reduced ranges cannot be enclosed: {exc}") from None
        inner = dec["inner"]
        root = [iv[:2] for iv in inner["box"]]
        if len(root) != len(red.inner):
            raise CertificateError(f"the inner box of {red.name} has the wrong dimension")
        lo = [parse_rational(a, "inner box") for a, _ in root]
        hi = [parse_rational(b, "inner box") for _, b in root]
        for (iv, _, _), a, b in zip(ranges, lo, hi, strict=True):
            if not (iv.finite() and cc.q_interval(a).hi <= iv.lo and iv.hi <= cc.q_interval(b).lo):
                raise CertificateError(
                    f"the inner box of {red.name} does not contain the reduced range {iv}"
                )
        ib = cc.InnerBox(lo, hi, [r[1] for r in ranges], [r[2] for r in ranges])
        self._inner(red, full, inner, ib, set(), 0)

    def _reduction(self, name: str) -> cc.Red:
        if name not in self.reds:
            try:
                self.reds[name] = cc.derive(self.problem, name)
            except RecursionError:
                raise
            except Exception as exc:  # noqa: BLE001 - a step that cannot be derived proves nothing
                raise CertificateError(
                    f"the reduction {name!r} cannot be re-derived for {self.statement.id}: "
                    f"{type(exc).__name__}: {exc}"
                ) from None
        return self.reds[name]

    def _inner(self, red: cc.Red, env, node, box: cc.InnerBox, proved: set[int], depth) -> None:
        texts = [[_text(a), _text(b)] for a, b in zip(box.lo, box.hi, strict=True)]
        if [iv[:2] for iv in node["box"]] != texts:
            raise CertificateError("an inner box is not the one its parent's split gives")
        proved = set(proved)
        for k_text, rec in node.get("proved", {}).items():
            k = int(k_text)
            if not 0 <= k < len(red.margins):
                raise CertificateError(f"no margin {k} in {red.name}")
            tests = [rec["test"]] + [t for t in cc.TESTS if t != rec["test"]]
            if not any(
                cc.prove_margin(t, red, k, env, box, self.clamps, rec, self.prec) for t in tests
            ):
                raise CertificateError(
                    f"margin {k} of {red.name} is not proved on an inner box "
                    f"(recorded test {rec['test']})"
                )
            proved.add(k)
        if "split" in node:
            i = node["split"]["var"]
            at = parse_rational(node["split"]["at"], "inner split.at")
            if not 0 <= i < len(box.lo) or not box.lo[i] < at < box.hi[i]:
                raise CertificateError("an inner split is not inside its box")
            left = cc.InnerBox(list(box.lo), list(box.hi), list(box.lo_sym), list(box.hi_sym))
            right = cc.InnerBox(list(box.lo), list(box.hi), list(box.lo_sym), list(box.hi_sym))
            left.hi[i], left.hi_sym[i] = at, None
            right.lo[i], right.lo_sym[i] = at, None
            for part, kid in zip((left, right), node["children"], strict=True):
                self._inner(red, env, kid, part, proved, depth + 1)
            return
        if proved != set(range(len(red.margins))):
            missing = sorted(set(range(len(red.margins))) - proved)
            raise CertificateError(
                f"margins {missing} of {red.name} are not proved on an inner leaf"
            )


def _clamps(problem) -> dict[sp.Expr, tuple[tuple[sp.Expr, ...], tuple[sp.Expr, ...]]]:
    """Constant bounds the hypotheses give sub-expressions: ``E <= c`` (also ``<``,
    ``==``) bounds ``E`` above by ``c``, ``c <= E`` bounds it below."""
    out: dict[sp.Expr, tuple[list, list]] = {}
    for lhs, _op, rhs in problem.hypotheses:
        if not rhs.free_symbols and lhs.free_symbols:
            out.setdefault(lhs, ([], []))[1].append(rhs)
        elif not lhs.free_symbols and rhs.free_symbols:
            out.setdefault(rhs, ([], []))[0].append(lhs)
    return {e: (tuple(a), tuple(b)) for e, (a, b) in out.items()}
