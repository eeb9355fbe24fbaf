"""The lemma catalogue (``lemmas.md``): every D, G, E, P, Q, T, S entry and every
seeded mutant of arXiv:2304.13276, one statement file each in the built-in pack
``catalogue/2304.13276/`` (see :mod:`packs`), read by the same
:func:`statement_files.load_statement` as user files.

Ids are the catalogue's.  ``G6'`` is the file ``G6p.toml`` (a quote is awkward on
a command line); :func:`get` accepts both spellings.  An entry with several
parts (E3 lower/upper, G7's three facts, ...) has its id for the first part and
``<id>-<part>`` (with ``part-of``) for the others.  Mutants are
``<id>-m-<what>`` or ``<id>-m<digits of the factor>`` with ``expected = false``
and ``mutant-of``.

Defaults: sizes ``n = 7, d = 4``; ``R = 4`` and ``beta = exp(-R**2)`` (E3) for
the P/Q/T chains.  ``R`` stays fixed at 4 there: the theorem constant
``e^{10 R^2}`` is ``e^{160}`` at ``R = 4`` but overflows float64 from ``R ~ 8.4``.

Statements are parsed on first use (``get("S1")`` reads one file).
"""

from __future__ import annotations

from .packs import DEFAULT_PACK, builtin_pack
from .statement import Statement

__all__ = ["CATALOGUE", "PACK", "get", "all_entries", "ALIASES"]

#: the built-in pack holding the catalogue
PACK = builtin_pack(DEFAULT_PACK)

#: every statement by id, in catalogue order (a read-only mapping, parsed lazily)
CATALOGUE = PACK.by_id

#: other spellings accepted by :func:`get`
ALIASES: dict[str, str] = PACK.aliases

PAPER = PACK.paper


def get(id: str) -> Statement:
    """The statement ``id`` (``KeyError`` naming close matches if there is none)."""
    return PACK.get(id)


def all_entries() -> list[Statement]:
    """Every statement, in catalogue order (definitions first, mutants last)."""
    return PACK.statements()
