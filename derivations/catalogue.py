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

Statements are parsed on first use (``get("S1")`` reads one file), their proofs
(the catalogue's chains, :func:`chains.chain`) on first check.  The pack also holds
helper lemmas of the proofs (``helper = true``: ``E5-general``, ``E3-upper-R-A-x``,
``P1-sharp``, ...): :func:`get` finds them, :data:`CATALOGUE` and
:func:`all_entries` list the entries only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from .packs import DEFAULT_PACK, builtin_pack
from .statement import Statement

__all__ = ["CATALOGUE", "PACK", "get", "all_entries", "ALIASES"]

#: the built-in pack holding the catalogue
PACK = builtin_pack(DEFAULT_PACK)


class _Entries(Mapping[str, Statement]):
    """The pack's statements by id without its helper lemmas (``helper = true``: the
    lemmas of the proofs, E5-general, P1-sharp, ...), each parsed on first use."""

    def __getitem__(self, sid: str) -> Statement:
        st = PACK.by_id[sid]
        if st.helper:
            raise KeyError(sid)
        return st

    def __iter__(self) -> Iterator[str]:
        return (sid for sid in PACK.ids if not PACK.statement(sid).helper)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, sid: object) -> bool:
        return sid in PACK.ids and not PACK.statement(sid).helper


#: every catalogue entry by id, in catalogue order (a read-only mapping, parsed
#: lazily); :func:`get` also finds the helper lemmas
CATALOGUE = _Entries()

#: other spellings accepted by :func:`get`
ALIASES: dict[str, str] = PACK.aliases

PAPER = PACK.paper


def get(id: str) -> Statement:
    """The statement ``id`` (``KeyError`` naming close matches if there is none)."""
    return PACK.get(id)


def all_entries() -> list[Statement]:
    """Every entry, in catalogue order (definitions first, mutants last; no helper lemma)."""
    return PACK.rows()
