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
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from derivations.derivation import write_atomic
from derivations.statement import Statement

__all__ = [
    "WITNESS_FORMAT",
    "slice_instance",
    "stack_instances",
    "validate_instance",
    "exact_decimal",
    "save_witness",
    "load_witness",
]

WITNESS_FORMAT = "softproof-witness/1"
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


def _decode(name: str, v: Any) -> Any:
    if isinstance(v, str):
        try:
            out = float(v)
        except ValueError:
            raise ValueError(f"witness entry {name}: {v!r} is not a decimal number") from None
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
        "claim": str(statement.claim),
        "hypotheses": [str(h) for h in statement.hypotheses],
        "sizes": sizes,
        "instance": {name: _encode(v) for name, v in instance.items()},
        "confirmation": _jsonable(confirmation),
    }
    return write_atomic(Path(path), json.dumps(doc, indent=1, default=str) + "\n")


def load_witness(path: str | os.PathLike) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """``(statement_id, instance, metadata)`` from a witness file.

    The instance has the identical doubles that were saved.  Raises
    ``ValueError`` for a malformed file, wrong shapes or non-finite values.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the witness ({exc.strerror})") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: a witness must be a JSON object")
    if doc.get("format") != WITNESS_FORMAT:
        raise ValueError(f"{path}: format is {doc.get('format')!r}, expected {WITNESS_FORMAT!r}")
    sid = doc.get("statement")
    if not isinstance(sid, str) or not sid:
        raise ValueError(f"{path}: missing statement id")
    raw = doc.get("instance")
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"{path}: missing instance")
    instance: dict[str, Any] = {}
    for name, v in raw.items():
        val = _decode(name, v)
        if isinstance(val, list):
            try:
                instance[name] = np.array(val, dtype=float)
            except ValueError:
                raise ValueError(f"{path}: {name} is a ragged array") from None
        else:
            instance[name] = val
    try:
        sizes = validate_instance(instance)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if "sizes" in doc and doc["sizes"] != sizes:
        raise ValueError(f"{path}: sizes {doc['sizes']} do not match the instance {sizes}")
    meta = {k: v for k, v in doc.items() if k not in ("statement", "instance")}
    return sid, instance, meta
