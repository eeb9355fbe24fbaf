"""Option validation, statement loading and safe output paths shared by every command.

Every check here raises :class:`~softproof.cli.BadInput` (exit 2) with a one-line
message naming the option, file or value; nothing is written before the checks pass.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import stat
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from softproof.cli import BadInput

__all__ = [
    "MAX_SIZE",
    "MAX_ENTRIES",
    "MAX_BUDGET",
    "MAX_SEED",
    "load_target",
    "sizes_from",
    "check_sizes",
    "validate_budget",
    "validate_seed",
    "parse_number",
    "parse_box",
    "parse_boxes",
    "check_parameter_boxes",
    "check_entries",
    "parse_radius",
    "output_file",
    "write_text_atomic",
]

#: largest size n or d accepted by any command
MAX_SIZE = 10_000
#: largest n * d (entries of one document) accepted for a search or replay; the
#: sampler refuses smaller sizes whose batches or Arb evaluations would not fit
MAX_ENTRIES = 200_000
#: longest budget accepted, in seconds (a week)
MAX_BUDGET = 7 * 24 * 3600.0
#: largest seed accepted (numpy takes any non-negative integer; keep it bounded)
MAX_SEED = 2**63 - 1
#: bound on the magnitude of a --box / --radius value, and on its decimal exponent
MAX_BOX_MAGNITUDE = Fraction(10**6)
_MAX_EXPONENT = 300
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE]([+-]?\d+))?\Z")
_FRACTION = re.compile(r"[+-]?\d{1,400}/\d{1,400}\Z")


# --------------------------------------------------------------------------
# Statements
# --------------------------------------------------------------------------
def load_target(target: str | None, sizes: Mapping[str, int] | None = None):
    """A statement from a catalogue id or a statement file (``BadInput`` otherwise).

    ``sizes`` (from ``--n``/``--d``) override the statement's own; the statement is
    checked against the sizes in use (column indices, ...).
    """
    from softproof.derivations.catalogue import get
    from softproof.derivations.statement_files import StatementFileError, load_statement

    if not target:
        raise BadInput("give a catalogue id (e.g. S1) or a statement file")
    if target.endswith(".toml") or os.path.sep in target or os.path.lexists(target):
        try:
            statement = load_statement(target)
        except StatementFileError as exc:
            raise BadInput(str(exc)) from None
    else:
        try:
            statement = get(target)
        except KeyError as exc:
            msg = exc.args[0] if exc.args else target
            raise BadInput(f"{msg} (see 'softproof list')") from None
    check_sizes(statement, sizes, target)
    return statement


def check_sizes(statement, sizes: Mapping[str, int] | None, where: str = "") -> dict[str, int]:
    """The sizes in use (the statement's, overridden by ``sizes``), checked against the
    statement (column indices within range); ``BadInput`` naming the problem."""
    use = {**dict(statement.sizes), **dict(sizes or {})}
    try:
        statement.check_sizes(use)
    except ValueError as exc:
        given = ", ".join(f"--{k} {v}" for k, v in (sizes or {}).items())
        raise BadInput(
            f"{where or statement.id}: {exc}" + (f" (with {given})" if given else "")
        ) from None
    return use


def sizes_from(args: argparse.Namespace, top: int = MAX_SIZE) -> dict[str, int] | None:
    """``--n`` / ``--d`` as a dict (``None`` when neither is given), each in ``1..top``."""
    sizes = {k: getattr(args, k) for k in ("n", "d") if getattr(args, k, None) is not None}
    for k, v in sizes.items():
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= top:
            raise BadInput(f"--{k} must be an integer between 1 and {top}, got {v}")
    return sizes or None


def check_entries(sizes: Mapping[str, int], top: int = MAX_ENTRIES) -> None:
    """Refuse sizes whose document ``n x d`` has more than ``top`` entries."""
    n, d = int(sizes.get("n", 1)), int(sizes.get("d", 1))
    if n * d > top:
        raise BadInput(f"n = {n}, d = {d}: a document of {n * d} entries is too large (max {top})")


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------
def validate_budget(budget: Any, option: str = "--budget") -> float:
    """A positive, finite budget in seconds, at most :data:`MAX_BUDGET`."""
    if isinstance(budget, bool) or not isinstance(budget, int | float):
        raise BadInput(f"{option} must be a number of seconds, got {budget!r}")
    if not (math.isfinite(budget) and 0 < budget <= MAX_BUDGET):
        raise BadInput(
            f"{option} must be a positive number of seconds (at most {MAX_BUDGET:g}), got {budget}"
        )
    return float(budget)


def validate_seed(seed: Any) -> int:
    """A non-negative integer seed, at most :data:`MAX_SEED`."""
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise BadInput(f"--seed must be an integer between 0 and {MAX_SEED}, got {seed}")
    return seed


def parse_number(text: str, what: str) -> Fraction:
    """An exact decimal (``-1.5e-3``) or fraction (``1/3``) of bounded size.

    Refuses nan, inf, hexadecimal, underscores, exponents beyond 1e+-300 and
    magnitudes above :data:`MAX_BOX_MAGNITUDE` (``what`` names the option).
    """
    s = text.strip()
    if len(s) > 820 or not (_NUMBER.match(s) or _FRACTION.match(s)):
        raise BadInput(f"{what}: {text!r} is not a finite decimal number or fraction")
    m = _NUMBER.match(s)
    if m and m.group(4) and (len(m.group(4)) > 6 or abs(int(m.group(4))) > _MAX_EXPONENT):
        raise BadInput(f"{what}: {text!r} has an exponent beyond +-{_MAX_EXPONENT}")
    try:
        value = Fraction(s)
    except (ValueError, ZeroDivisionError):
        raise BadInput(f"{what}: {text!r} is not a finite decimal number or fraction") from None
    if abs(value) > MAX_BOX_MAGNITUDE:
        raise BadInput(f"{what}: {text!r} is larger in magnitude than {MAX_BOX_MAGNITUDE}")
    if value and abs(value) < Fraction(1, 10**_MAX_EXPONENT):
        raise BadInput(f"{what}: {text!r} is smaller in magnitude than 1e-{_MAX_EXPONENT}")
    return value


def parse_box(spec: str) -> tuple[str, tuple[Fraction, Fraction]]:
    """``NAME=LO:HI`` (``x``, ``x[1]`` or a parameter) with exact decimals or fractions."""
    if not isinstance(spec, str) or "=" not in spec or ":" not in spec.split("=", 1)[1]:
        raise BadInput(f"--box {spec!r}: expected NAME=LO:HI, e.g. x=-1:1")
    name, rng = spec.split("=", 1)
    lo, hi = rng.split(":", 1)
    name = name.strip()
    if not name:
        raise BadInput(f"--box {spec!r}: no variable name")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}(\[\d{1,6}\]){0,2}", name):
        raise BadInput(f"--box {spec!r}: {name!r} is not a variable, entry or parameter name")
    a, b = parse_number(lo, f"--box {spec!r}"), parse_number(hi, f"--box {spec!r}")
    if a > b:
        raise BadInput(f"--box {spec!r}: empty range (LO > HI)")
    return name, (a, b)


def parse_boxes(specs: list[str]) -> dict[str, tuple[Fraction, Fraction]]:
    """Every ``--box``, each name at most once."""
    out: dict[str, tuple[Fraction, Fraction]] = {}
    for spec in specs:
        name, rng = parse_box(spec)
        if name in out:
            raise BadInput(f"--box {spec!r}: {name} is bounded twice")
        out[name] = rng
    return out


def check_parameter_boxes(statement, domain: Mapping[str, tuple[Fraction, Fraction]]) -> None:
    """A ``--box`` on a ranged parameter must lie inside the statement's range (the
    claim says nothing outside it), and fixed or derived parameters cannot be boxed."""
    ranged = statement.ranged_parameters
    for name, (lo, hi) in domain.items():
        if name in ranged:
            r_lo, r_hi = (_exact(v) for v in ranged[name])
            if not r_lo <= lo <= hi <= r_hi:
                raise BadInput(
                    f"--box {name}: [{lo}, {hi}] is not inside the range "
                    f"[{ranged[name][0]}, {ranged[name][1]}] the statement gives {name}"
                )
        elif name in statement.parameters:
            raise BadInput(f"--box {name}: the statement fixes the parameter {name}")


def _exact(v: Any) -> Fraction:
    """A parameter bound as the statement means it (a float written ``0.1`` is 1/10)."""
    if isinstance(v, float):
        return Fraction(repr(v))
    if getattr(v, "is_Rational", False):
        return Fraction(int(v.p), int(v.q))
    return Fraction(v)


def parse_radius(text: str | None) -> Fraction | None:
    """``--radius R``: a positive exact number (``None`` when not given)."""
    if text is None:
        return None
    radius = parse_number(text, f"--radius {text!r}")
    if radius <= 0:
        raise BadInput(f"--radius must be positive, got {text!r}")
    return radius


# --------------------------------------------------------------------------
# Output paths
# --------------------------------------------------------------------------
def output_file(path: str | os.PathLike, option: str) -> Path:
    """Check that ``path`` can be written as a file (atomically, by a rename in its
    directory) before any work is done: its directory exists and is writable, and
    ``path`` is not a directory nor anything but a regular file."""
    text = os.fspath(path)
    if not text or text.endswith(os.sep):
        raise BadInput(f"{option} {text!r}: expected a file name")
    out = Path(text)
    parent = out.parent if str(out.parent) else Path(".")
    try:
        st = os.stat(out)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise BadInput(f"{option} {text}: cannot use this path ({exc.strerror or exc})") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise BadInput(f"{option} {text}: is a directory, expected a file")
        if not stat.S_ISREG(st.st_mode):
            raise BadInput(f"{option} {text}: exists and is not a regular file")
    if not parent.is_dir():
        raise BadInput(f"{option} {text}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise BadInput(f"{option} {text}: directory {parent} is not writable")
    return out


def write_text_atomic(path: Path, text: str, option: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same directory and a
    rename (nothing half-written is left behind); ``BadInput`` if it cannot be written."""
    from softproof.derivations.derivation import write_atomic

    output_file(path, option)
    try:
        return write_atomic(Path(path), text)
    except OSError as exc:
        raise BadInput(f"{option} {path}: cannot write ({exc.strerror or exc})") from None
