"""``softproof rules``: the justifications a proof step may use, one line each.

Every rule of the step checker (``by = "triangle"``, ...) with the first
sentence of its statement, then ``hypothesis``, ``identity``, ``definition`` and
``lemma ID`` (statement-file contract, "Proofs written in the file").
"""

from __future__ import annotations

import argparse
import inspect
from typing import Any

from softproof.cli import EXIT_OK

__all__ = ["add_parser", "run", "rule_lines"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "rules",
        help="list the rules a proof step may use ('by = ...' in a statement file)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(run=run)
    return p


def _one_line(doc: str | None) -> str:
    """The first sentence of a docstring, on one line, without reST markup."""
    from softproof.cli import plain_text

    text = " ".join((plain_text(doc) or "").split())
    end = text.find(". ")
    while end >= 0 and text[:end].endswith(("e.g", "i.e")):
        end = text.find(". ", end + 1)
    return text if end < 0 else text[: end + 1]


def rule_lines() -> list[tuple[str, str, str]]:
    """``(name, relation, statement)`` for every rule and justification."""
    from softproof.derivations import rules
    from softproof.derivations.proofs import JUSTIFICATIONS

    out = []
    for name, fn in rules.RULES.items():
        if name in JUSTIFICATIONS:
            continue
        rel = "==" if name in rules.EQUALITY_RULES else "<="
        args = list(inspect.signature(fn).parameters)[2:]
        what = _one_line(fn.__doc__)
        if name == "entrywise_lemma":  # claim and hyp come from the scalar lemma
            args = [a for a in args if a not in ("claim", "hyp")]
            what += " [lemma = ID (the scalar lemma)]"
        if args:
            what += f" [args: {', '.join(args)}]"
        out.append((name, rel, what))
    for name, what in JUSTIFICATIONS.items():
        rel = "==" if name in ("identity", "definition") else "as stated"
        out.append((name, rel, what))
    return out


def run(args: argparse.Namespace) -> int:
    lines = rule_lines()
    width = max(len(n) for n, _, _ in lines)
    for name, rel, what in lines:
        print(f"{name:<{width}}  {rel:<9}  {what}")
    return EXIT_OK
