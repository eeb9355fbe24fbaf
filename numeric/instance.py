"""Instances (one unbatched point) and witness files.

An *instance* maps ``'A'``, ``'At'`` (``(n, d)``), ``'x'``, ``'y'`` (``(d,)``),
``'b'`` (``(n,)``) to float64 arrays and ``'t'`` and parameters to Python
floats.  A *witness file* stores a statement id, an instance in exact decimal
strings (``str(Decimal(v))`` is the exact value of the double ``v``, so
``float`` of it gives back the identical double) and the confirmation.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from softproof.derivations.derivation import write_atomic
from softproof.derivations.printing import claim_text, relation_to_text
from softproof.derivations.statement import Statement

__all__ = [
    "WITNESS_FORMAT",
    "slice_instance",
    "stack_instances",
    "validate_instance",
    "exact_decimal",
    "save_witness",
    "load_witness",
    "check_witness",
]

WITNESS_FORMAT = "softproof-witness/1"
#: the fields a witness file may have
WITNESS_KEYS = (
    "format",
    "statement",
    "title",
    "claim",
    "hypotheses",
    "sizes",
    "instance",
    "confirmation",
)
#: largest witness file read
MAX_WITNESS_BYTES = 8 << 20
#: most entries of one witness array
MAX_ENTRIES = 100_000
_MATRICES = ("A", "At")
_VECTORS = ("x", "y", "b")


def slice_instance(env: Mapping[str, Any], i: int) -> dict[str, Any]:
    """Row ``i`` of a batched environment as an instance."""
    out: dict[str, Any] = {}
    for name, v in env.items():
        arr = np.asarray(v, dtype=float)
        if arr.ndim == 0:
            out[name] = float(arr)
        elif name in _MATRICES or name in _VECTORS:
            out[name] = np.array(arr[i], dtype=float)
        elif arr.ndim == 1:
            out[name] = float(arr[i])
        else:
            out[name] = np.array(arr[i], dtype=float)
    return out


def stack_instances(instances: list[Mapping[str, Any]]) -> dict[str, Any]:
    """A batched environment from instances with the same keys and shapes."""
    if not instances:
        raise ValueError("no instances to stack")
    keys = instances[0].keys()
    return {k: np.stack([np.asarray(inst[k], dtype=float) for inst in instances]) for k in keys}


def validate_instance(instance: Mapping[str, Any]) -> dict[str, int]:
    """Check shapes and finiteness; return the sizes ``{'n': .., 'd': ..}``.

    Raises ``ValueError`` naming the offending entry.
    """
    sizes: dict[str, int] = {}

    def need(key: str, value: int, name: str) -> None:
        if sizes.setdefault(key, value) != value:
            raise ValueError(f"{name} has {key} = {value}, but another entry has {sizes[key]}")

    for name, v in instance.items():
        try:
            arr = np.asarray(v, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} is not numeric: {exc}") from None
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains nan or inf")
        if name in _MATRICES:
            if arr.ndim != 2:
                raise ValueError(f"{name} must be an n x d matrix, got shape {arr.shape}")
            need("n", arr.shape[0], name)
            need("d", arr.shape[1], name)
        elif name in ("x", "y"):
            if arr.ndim != 1:
                raise ValueError(f"{name} must be a vector of length d, got shape {arr.shape}")
            need("d", arr.shape[0], name)
        elif name == "b":
            if arr.ndim != 1:
                raise ValueError(f"b must be a vector of length n, got shape {arr.shape}")
            need("n", arr.shape[0], name)
        elif arr.ndim != 0:
            raise ValueError(f"{name} must be a scalar, got shape {arr.shape}")
    return sizes


def exact_decimal(v: float) -> str:
    """The exact decimal value of a double (``float`` of it is ``v`` again)."""
    return str(Decimal(float(v)))


def _doubles(name: str, v: Any) -> np.ndarray:
    """``v`` as float64, refusing values a double would round (a witness is exact)."""
    if isinstance(v, bool) or isinstance(v, str):
        raise ValueError(f"{name}: a witness stores doubles, got {type(v).__name__}")
    arr = np.asarray(v)
    if arr.dtype.kind not in "fiu":
        raise ValueError(
            f"{name}: a witness stores doubles, got {arr.dtype} values "
            "(round Fractions, strings or balls to float first)"
        )
    out = arr.astype(float)
    if arr.dtype.kind in "iu" and not np.array_equal(out.astype(arr.dtype), arr):
        raise ValueError(f"{name}: an integer is not exactly a double")
    return out


def _encode(v: Any) -> Any:
    arr = np.asarray(v, dtype=float)
    if arr.ndim == 0:
        return exact_decimal(float(arr))
    return [_encode(row) for row in arr]


_DECIMAL = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?\Z")


def _decode(name: str, v: Any) -> Any:
    if isinstance(v, str):
        if len(v) > 1200 or not _DECIMAL.match(v):
            raise ValueError(f"witness entry {name}: {v[:40]!r} is not a finite decimal number")
        out = float(v)
        if not np.isfinite(out):
            raise ValueError(f"witness entry {name} is {v}, not a finite number")
        return out
    if isinstance(v, list):
        return [_decode(name, e) for e in v]
    raise ValueError(f"witness entry {name}: expected decimal strings, got {type(v).__name__}")


def _jsonable(confirmation: Any) -> Any:
    if confirmation is None:
        return None
    if dataclasses.is_dataclass(confirmation) and not isinstance(confirmation, type):
        return dataclasses.asdict(confirmation)
    if isinstance(confirmation, Mapping):
        return dict(confirmation)
    raise ValueError(f"cannot store a confirmation of type {type(confirmation).__name__}")


def save_witness(
    path: str | os.PathLike,
    statement: Statement,
    instance: Mapping[str, Any],
    confirmation: Any = None,
) -> Path:
    """Write ``instance`` as a witness of ``statement`` to ``path`` atomically
    (temporary file in the same directory, then rename)."""
    instance = {name: _doubles(name, v) for name, v in instance.items()}
    sizes = validate_instance(instance)
    doc = {
        "format": WITNESS_FORMAT,
        "statement": statement.id,
        "title": statement.title,
        "claim": claim_text(statement),
        "hypotheses": [relation_to_text(h) for h in statement.hypotheses],
        "sizes": sizes,
        "instance": {name: _encode(v) for name, v in instance.items()},
        "confirmation": _jsonable(confirmation),
    }
    return write_atomic(Path(path), json.dumps(doc, indent=1, default=str) + "\n")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a finite number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"key {k!r} appears twice")
        out[k] = v
    return out


def _read_document(path: Path) -> Any:
    """The JSON document of a witness file: a regular file of at most
    :data:`MAX_WITNESS_BYTES`, strict JSON (no NaN/Infinity, no repeated keys)."""
    from softproof.derivations.statement_files import read_regular_file

    try:
        raw = read_regular_file(path, MAX_WITNESS_BYTES)
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the witness ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text") from None
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise ValueError(f"{path}: JSON nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"{path}: not valid witness JSON ({exc})") from None


def _decode_entry(name: str, v: Any) -> Any:
    """A scalar (one decimal string), a vector or a matrix (lists of them, at most two
    levels, rectangular) as a float or float64 array."""
    if isinstance(v, list):
        if len(v) > MAX_ENTRIES:
            raise ValueError(f"witness entry {name}: more than {MAX_ENTRIES} entries")
        rows = [_decode_row(name, r) for r in v]
        if not rows:
            raise ValueError(f"witness entry {name} is empty")
        if isinstance(rows[0], list):
            if any(not isinstance(r, list) or len(r) != len(rows[0]) for r in rows):
                raise ValueError(f"witness entry {name} is a ragged array")
            if not rows[0] or len(rows) * len(rows[0]) > MAX_ENTRIES:
                raise ValueError(f"witness entry {name} has a bad shape")
        elif any(isinstance(r, list) for r in rows):
            raise ValueError(f"witness entry {name} is a ragged array")
        return np.array(rows, dtype=float)
    return _decode(name, v)


def _decode_row(name: str, v: Any) -> Any:
    if isinstance(v, list):
        if len(v) > MAX_ENTRIES:
            raise ValueError(f"witness entry {name}: more than {MAX_ENTRIES} entries")
        if any(isinstance(e, list) for e in v):
            raise ValueError(f"witness entry {name} is nested deeper than a matrix")
        return [_decode(name, e) for e in v]
    return _decode(name, v)


def load_witness(path: str | os.PathLike) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``(statement_id, instance, metadata)`` from a witness file.

    The instance has the identical doubles that were saved.  Raises
    ``ValueError`` for a malformed file, wrong shapes or non-finite values.
    """
    path = Path(path)
    doc = _read_document(path)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: a witness must be a JSON object")
    unknown = sorted(set(doc) - set(WITNESS_KEYS))
    if unknown:
        raise ValueError(
            f"{path}: unknown field {unknown[0]!r} (allowed: {', '.join(WITNESS_KEYS)})"
        )
    if doc.get("format") != WITNESS_FORMAT:
        raise ValueError(f"{path}: format is {doc.get('format')!r}, expected {WITNESS_FORMAT!r}")
    sid = doc.get("statement")
    if not isinstance(sid, str) or not sid or len(sid) > 200:
        raise ValueError(f"{path}: missing statement id")
    raw = doc.get("instance")
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{path}: missing instance")
    instance: dict[str, Any] = {}
    for name, v in raw.items():
        if not (isinstance(name, str) and name.isidentifier() and len(name) <= 64):
            raise ValueError(f"{path}: instance entry {name!r} is not a variable name")
        try:
            instance[name] = _decode_entry(name, v)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
    try:
        sizes = validate_instance(instance)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if "sizes" in doc and doc["sizes"] != sizes:
        raise ValueError(f"{path}: sizes {doc['sizes']} do not match the instance {sizes}")
    meta = {k: v for k, v in doc.items() if k not in ("statement", "instance")}
    return sid, instance, meta


def check_witness(statement: Statement, instance: Mapping[str, Any]) -> dict[str, int]:
    """Check that ``instance`` is a point of ``statement``'s domain; return its sizes.

    A witness gives every variable of the statement and every ranged parameter
    (inside its range), and nothing else: it may repeat a fixed parameter only
    with the statement's exact value, never set a derived one, and its sizes must
    fit the statement (column indices).  Raises ``ValueError`` naming the entry.
    """
    sizes = validate_instance(instance)
    variables = set(statement.variables)
    ranged = statement.ranged_parameters
    fixed = statement.fixed_parameters
    derived = statement.derived_parameters
    for name, value in instance.items():
        if name in variables:
            continue
        if name in ranged:
            lo, hi = ranged[name]
            v = Fraction(float(value))
            if not _frac(lo) <= v <= _frac(hi):
                raise ValueError(
                    f"parameter {name} = {exact_decimal(value)} is outside its range [{lo}, {hi}]"
                )
        elif name in fixed:
            if Fraction(float(value)) != _frac(fixed[name]):
                raise ValueError(
                    f"parameter {name} is fixed by the statement to {fixed[name]}; "
                    f"the witness sets {exact_decimal(value)}"
                )
        elif name in derived:
            raise ValueError(
                f"parameter {name} is defined by the statement as {derived[name]}; "
                "a witness cannot set it"
            )
        else:
            raise ValueError(f"{statement.id} has no variable or parameter named {name!r}")
    missing = [k for k in (*statement.variables, *ranged) if k not in instance]
    if missing:
        raise ValueError(f"the witness gives no value for {', '.join(missing)}")
    if "t" in instance and np.ndim(instance["t"]) != 0:
        raise ValueError("t must be a scalar")
    if sizes:
        full = {**dict(statement.sizes), **sizes}
        problem = None
        try:
            statement.check_sizes(full)
        except ValueError as exc:
            problem = str(exc)
        if problem:
            raise ValueError(problem)
    return sizes


def _frac(v: Any) -> Fraction:
    """The exact value of a parameter or bound as the statement means it: a float
    written ``0.1`` is 1/10 (as in :func:`softproof.numeric.confirm.complete_instance`)."""
    if isinstance(v, float):
        return Fraction(repr(v))
    if getattr(v, "is_Rational", False):
        return Fraction(int(v.p), int(v.q))
    if getattr(v, "is_Number", False):
        return Fraction(float(v))
    return Fraction(v)
