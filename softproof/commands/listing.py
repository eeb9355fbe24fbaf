"""``softproof list``: the catalogue, another statement pack (``--pack``) or statement
files, one statement per line."""

from __future__ import annotations

import argparse
import fnmatch
import json
import os

from softproof.derivations.statement import Statement

from ..cli import EXIT_OK, BadInput


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "list",
        help="list the catalogue's statements (id, kind, expected, title)",
        description=(
            "List the catalogue's statements: id, kind, whether it is true or a seeded "
            "mutant, and title. Patterns select ids (shell wildcards, e.g. 'P*' or "
            "'*-m*'); a path ending in .toml lists that statement file instead. --pack lists "
            "another statement pack (a built-in pack name or a folder of statement files)."
        ),
    )
    p.add_argument("patterns", nargs="*", metavar="ID|PATTERN|FILE.toml")
    p.add_argument("--long", action="store_true", help="also show hypotheses, claim and notes")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.add_argument(
        "--pack",
        default=None,
        metavar="NAME",
        help="list this pack (a built-in pack name or a folder; default: the catalogue)",
    )
    p.set_defaults(run=run)


def select(patterns: list[str], pack_name: str | None = None) -> list[Statement]:
    """Statements of the pack ``pack_name`` (default: the catalogue; helper lemmas only by
    their id) matching any of
    ``patterns`` (all if none), files loaded."""
    from softproof.derivations.packs import DEFAULT_PACK, PackError, find_pack
    from softproof.derivations.statement_files import StatementFileError

    from ._common import load_target

    try:
        pack = find_pack(pack_name or DEFAULT_PACK)
        everything = pack.rows()  # a helper lemma is listed when named
    except (PackError, StatementFileError) as exc:
        raise BadInput(f"--pack {pack_name or DEFAULT_PACK}: {exc}") from None
    if not patterns:
        return everything
    chosen: dict[str, Statement] = {}
    for pat in patterns:
        if pat.endswith(".toml") or os.path.sep in pat or os.path.lexists(pat):
            chosen[f"file:{pat}"] = load_target(pat)
            continue
        hits = [s for s in everything if fnmatch.fnmatchcase(s.id, pat)]
        if not hits:
            try:
                hits = [pack.get(pat)]
            except KeyError as exc:
                raise BadInput(exc.args[0]) from None
        chosen.update({s.id: s for s in hits})
    return list(chosen.values())


def expected_word(s: Statement) -> str:
    if s.expected is None:
        return "unknown"
    if s.mutant_of:
        return "mutant"
    return "true" if s.expected else "false"


def as_dict(s: Statement) -> dict:
    """A JSON-ready description of a statement."""
    return {
        "id": s.id,
        "kind": s.kind,
        "expected": s.expected,
        "title": s.title,
        "source": s.source,
        "mutant_of": s.mutant_of,
        "part_of": s.part_of,
        "helper": s.helper,
        "sizes": dict(s.sizes),
        "parameters": {
            k: (list(v) if isinstance(v, tuple) else v if isinstance(v, int | float) else str(v))
            for k, v in s.parameters.items()
        },
        "hypotheses": list(s.hypotheses_text or map(str, s.hypotheses)),
        "claim": s.claim_text or str(s.claim),
        "notes": s.notes,
    }


def run(args: argparse.Namespace) -> int:
    statements = select(args.patterns, args.pack)
    if args.json:
        print(json.dumps([as_dict(s) for s in statements], indent=2))
        return EXIT_OK
    width = max((len(s.id) for s in statements), default=2)
    for s in statements:
        print(f"{s.id:<{width}}  {s.kind:<10}  {expected_word(s):<7}  {s.title}")
        if args.long:
            info = as_dict(s)
            extra = ", ".join(
                f"{k.replace('_of', '')} of {v}" for k in ("mutant_of", "part_of") if (v := info[k])
            )
            pad = " " * (width + 2)
            if s.source or extra:
                print(f"{pad}source: {s.source}" + (f" ({extra})" if extra else ""))
            params = ", ".join(f"{k} = {v}" for k, v in info["parameters"].items())
            sizes = ", ".join(f"{k} = {v}" for k, v in s.sizes.items())
            print(f"{pad}sizes: {sizes}" + (f"; parameters: {params}" if params else ""))
            for h in info["hypotheses"]:
                print(f"{pad}assume  {h}")
            print(f"{pad}claim   {info['claim']}")
            if s.notes:
                print(f"{pad}notes: {s.notes}")
            print()
    return EXIT_OK
