"""Statement packs: the statements of one paper, one statement file per statement.

A pack is a folder of statement files (``<id>.toml``, read by
:func:`statement_files.load_statement`, the same grammar and checks as any user
file) and a ``pack.toml`` that names it::

    name = "2304.13276"                 # the pack's name (the folder's, if omitted)
    title = "The lemma catalogue of softmax regression"
    paper = "arXiv:2304.13276"
    description = "..."                 # free text, shown by the report
    aliases = { "G6'" = "G6p" }         # other spellings of ids (optional)
    statements = ["D1", "D2", ...]      # every statement file, in report order

A folder without ``pack.toml`` is a pack of all its ``*.toml`` files, sorted by
name.  The built-in packs are the folders of the package's ``catalogue/``
(``2304.13276`` is the lemma catalogue, :mod:`catalogue`).

Loading is lazy: opening a pack reads only ``pack.toml``; a statement file is
parsed the first time its statement is asked for, and once.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .statement import Statement
from .statement_files import ID_PATTERN, load_statement, read_regular_file

__all__ = [
    "BUILTIN_DIR",
    "DEFAULT_PACK",
    "PACK_FILE",
    "Pack",
    "PackError",
    "builtin_names",
    "builtin_pack",
    "find_pack",
    "open_pack",
    "pack_at",
]

#: the built-in packs: ``catalogue/`` beside ``derivations/`` in the source tree,
#: ``softproof/catalogue/`` in an installed package
BUILTIN_DIR = Path(__file__).resolve().parent.parent / "catalogue"
#: the pack of :mod:`catalogue` and of ``softproof report`` without ``--pack``
DEFAULT_PACK = "2304.13276"
PACK_FILE = "pack.toml"
PACK_KEYS = ("name", "title", "paper", "description", "aliases", "statements")


class PackError(ValueError):
    """A pack that cannot be used; ``str()`` names the file (or pack) and the problem."""


class Statements(Mapping[str, Statement]):
    """The statements of a pack by id, in the pack's order, each parsed on first use."""

    def __init__(self, pack: Pack) -> None:
        self._pack = pack

    def __getitem__(self, sid: str) -> Statement:
        if sid not in self._pack.ids:
            raise KeyError(sid)
        return self._pack.statement(sid)

    def __iter__(self) -> Iterator[str]:
        return iter(self._pack.ids)

    def __len__(self) -> int:
        return len(self._pack.ids)

    def __contains__(self, sid: object) -> bool:
        return sid in self._pack.ids


@dataclass
class Pack:
    """An opened pack: its description and its statement ids (statements load lazily)."""

    name: str
    title: str
    paper: str
    description: str
    folder: Path
    ids: tuple[str, ...]
    aliases: dict[str, str] = field(default_factory=dict)
    _loaded: dict[str, Statement] = field(default_factory=dict, repr=False)
    _citing: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.by_id = Statements(self)
        _OPENED[str(self.folder)] = self

    @property
    def is_default(self) -> bool:
        """True for the built-in lemma catalogue of arXiv:2304.13276 (its chains,
        certification runs, constants and plots apply)."""
        return self.name == DEFAULT_PACK and self.folder == (BUILTIN_DIR / DEFAULT_PACK)

    def path(self, sid: str) -> Path:
        return self.folder / f"{sid}.toml"

    def statement(self, sid: str) -> Statement:
        """The statement ``sid`` (an id of the pack), parsed once.  Raises
        :class:`StatementFileError` for a bad file, :class:`PackError` if the file's
        id or its ``mutant-of``/``part-of`` do not fit the pack."""
        st = self._loaded.get(sid)
        if st is not None:
            return st
        path = self.path(sid)
        st = load_statement(path, lazy_proof=self.folder.parent == BUILTIN_DIR)
        if st.id != sid:
            raise PackError(f"{path}: the id {st.id!r} differs from the file name {sid!r}")
        for what, ref in (("mutant-of", st.mutant_of), ("part-of", st.part_of)):
            if ref is not None and ref not in self.ids:
                raise PackError(f"{path}: {what} {ref!r} is not a statement of pack {self.name}")
        self._loaded[sid] = st
        return st

    def statements(self) -> list[Statement]:
        """Every statement, in the pack's order (all files parsed)."""
        return [self.statement(sid) for sid in self.ids]

    def rows(self) -> list[Statement]:
        """The statements a report lists: all but the helper lemmas (``helper = true``)."""
        return [s for s in self.statements() if not s.helper]

    def resolve(self, sid: str) -> str:
        """The pack's id for ``sid``: an alias, the id itself, or the id written in
        other case; ``KeyError`` naming close matches if there is none."""
        key = {a.upper(): v for a, v in self.aliases.items()}.get(sid.upper(), sid)
        if key in self.ids:
            return key
        upper = {k.upper(): k for k in self.ids}
        if key.upper() in upper:
            return upper[key.upper()]
        close = difflib.get_close_matches(key, list(self.ids), n=4, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        where = "catalogue entry" if self.is_default else f"statement in pack {self.name}"
        raise KeyError(f"no {where} {sid!r}{hint}")

    def get(self, sid: str) -> Statement:
        """The statement ``sid`` (see :meth:`resolve`)."""
        return self.statement(self.resolve(sid))

    def chain(self, sid: str):
        """The chain of the ``proof`` written in the file of ``sid`` (an id of the
        pack), or None if the file has none; a cycle of citations is a ``ValueError``."""
        st = self.statement(sid)
        if st.proof is None:
            return None
        if sid in self._citing:
            cycle = " -> ".join([*self._citing, sid])
            raise ValueError(f"{self.folder}: the proofs cite each other in a cycle: {cycle}")
        self._citing.append(sid)
        try:
            return st.proof.chain
        finally:
            self._citing.pop()


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(read_regular_file(path).decode("utf-8"))
    except (OSError, ValueError) as exc:  # TOMLDecodeError and UnicodeDecodeError too
        problem = getattr(exc, "strerror", None) or exc
        raise PackError(f"{path}: cannot read the pack description: {problem}") from None


def _text(data: dict, key: str, path: Path, default: str = "") -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise PackError(f"{path}: '{key}' must be a string")
    return value


def open_pack(folder: str | os.PathLike) -> Pack:
    """The pack in ``folder`` (its ``pack.toml`` read and checked; no statement parsed).

    Raises :class:`PackError` for a missing folder, a bad ``pack.toml``, a listed
    statement without its file, a statement file not listed, or an id listed twice.
    """
    folder = Path(os.path.abspath(os.fspath(folder)))
    if not folder.is_dir():
        raise PackError(f"{folder}: not a folder of statement files")
    files = sorted(p.stem for p in folder.glob("*.toml") if p.name != PACK_FILE)
    meta_path = folder / PACK_FILE
    if not meta_path.exists():
        if not files:
            raise PackError(f"{folder}: no statement files (*.toml) and no {PACK_FILE}")
        return Pack(folder.name, folder.name, "", "", folder, tuple(files))
    data = _read_toml(meta_path)
    for key in data:
        if key not in PACK_KEYS:
            raise PackError(f"{meta_path}: unknown key '{key}' (allowed: {', '.join(PACK_KEYS)})")
    ids = data.get("statements", files)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise PackError(f"{meta_path}: 'statements' must be a list of statement ids")
    bad = [i for i in ids if not ID_PATTERN.match(i)]
    if bad:
        raise PackError(f"{meta_path}: {bad[0]!r} is not a statement id ([A-Za-z0-9-]+)")
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise PackError(f"{meta_path}: listed more than once: {', '.join(twice)}")
    missing = [i for i in ids if i not in files]
    if missing:
        raise PackError(f"{meta_path}: no statement file for {', '.join(missing)}")
    unlisted = [f for f in files if f not in ids]
    if unlisted:
        raise PackError(
            f"{meta_path}: statement files not listed in 'statements': "
            + ", ".join(f"{f}.toml" for f in unlisted)
        )
    aliases = data.get("aliases", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(v, str) and v in ids for v in aliases.values()
    ):
        raise PackError(f"{meta_path}: 'aliases' must map spellings to ids of the pack")
    return Pack(
        name=_text(data, "name", meta_path, folder.name),
        title=_text(data, "title", meta_path, folder.name),
        paper=_text(data, "paper", meta_path),
        description=_text(data, "description", meta_path),
        folder=folder,
        ids=tuple(ids),
        aliases=dict(aliases),
    )


#: the last pack opened in each folder (``lemma ID`` in a file of the folder cites its statements)
_OPENED: dict[str, Pack] = {}


def pack_at(folder: str | os.PathLike) -> Pack | None:
    """The pack a statement file in ``folder`` belongs to: the one opened there, else
    the folder's ``pack.toml`` opened now; None if the folder is no (usable) pack."""
    key = os.path.abspath(os.fspath(folder))
    if key in _OPENED:
        return _OPENED[key]
    if Path(key).parent == BUILTIN_DIR and Path(key).name in builtin_names():
        return builtin_pack(Path(key).name)
    if not (Path(key) / PACK_FILE).is_file():
        return None
    try:
        return open_pack(key)
    except PackError:
        return None


def builtin_names() -> list[str]:
    """The names of the built-in packs (their folders), sorted."""
    if not BUILTIN_DIR.is_dir():
        return []
    return sorted(p.parent.name for p in BUILTIN_DIR.glob(f"*/{PACK_FILE}"))


def builtin_pack(name: str = DEFAULT_PACK) -> Pack:
    """The built-in pack ``name`` (one object per name, so statements parse once)."""
    return _builtin_pack(name)


@cache
def _builtin_pack(name: str) -> Pack:
    if name not in builtin_names():
        raise PackError(_unknown(name))
    return open_pack(BUILTIN_DIR / name)


def find_pack(name: str) -> Pack:
    """A built-in pack by name, else the pack in the folder ``name``; :class:`PackError`
    naming the built-in packs if it is neither."""
    if name in builtin_names():
        return builtin_pack(name)
    if os.path.isdir(name):
        return open_pack(name)
    raise PackError(_unknown(name))


def _unknown(name: str) -> str:
    known = ", ".join(builtin_names()) or "none"
    return f"unknown pack {name!r} (built-in packs: {known}; or give a folder of statement files)"
