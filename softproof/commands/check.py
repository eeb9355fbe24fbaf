"""``softproof check ID|FILE``: look for a confirmed violation of a statement.

The strongest symbolic verdict comes first (a machine-checked chain, or the
identity prover for symbolic n, d and then at the explicit sizes, within half
the budget); an exact refutation by the prover is confirmed rigorously like
any witness.  Then (unless an identity was proved) the statement is searched
within what is left of ``--budget`` seconds: random screening, the
adversarial optimiser, Hypothesis.  Exit 0: proved, or no violation found
(the output says which, and how much was searched); 1: a violation confirmed
rigorously (printed, and saved as JSON); 2: bad input (nothing written); 3:
undecided (the prover refuted an identity but the refutation could not be
confirmed rigorously, or the file's own proof is rejected: the message names the
step, its justification and why).  A statement file with a ``proof`` is proved by
it when every step checks.  ``--replay W.json`` re-confirms a saved witness.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from softproof.cli import EXIT_OK, EXIT_UNDECIDED, EXIT_VIOLATED, BadInput
from softproof.commands._common import (
    check_entries,
    check_sizes,
    load_target,
    output_file,
    sizes_from,
    validate_budget,
    validate_seed,
)

__all__ = ["add_parser", "run", "load_target", "format_instance", "add_search_options"]


def format_instance(instance: dict[str, Any]) -> str:
    """The instance, one variable per line, with every double in full (repr)."""
    lines = []
    for k, v in instance.items():
        a = np.asarray(v, dtype=float)
        text = (
            repr(float(a))
            if a.ndim == 0
            else np.array2string(
                a, precision=17, floatmode="unique", max_line_width=100, threshold=10_000
            )
        )
        lines.append(f"  {k} = " + text.replace("\n", "\n      "))
    return "\n".join(lines)


def add_search_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "target",
        nargs="?",
        metavar="ID|FILE",
        help="a catalogue id (S1, P4, S1-m099, ...) or a statement file (.toml)",
    )
    p.add_argument(
        "--budget",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="time to spend searching (default 20)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--n", type=int, default=None, metavar="N", help="number of tokens n")
    p.add_argument("--d", type=int, default=None, metavar="D", help="dimension d")
    p.add_argument(
        "--witness-out",
        default=None,
        metavar="PATH",
        help="where to save a confirmed witness (check: default witness-<id>.json)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress line on stderr")
    from softproof.parallel import add_options

    add_options(p, restarts=True)


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "check",
        help="prove an identity, or search a statement for a confirmed violation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_search_options(p)
    p.add_argument(
        "--replay",
        default=None,
        metavar="WITNESS.json",
        help="re-confirm a saved witness instead of searching",
    )
    p.set_defaults(run=run)
    return p


def _validate_budget(budget: float, seed: int = 0) -> None:
    validate_budget(budget)
    validate_seed(seed)


def run(args: argparse.Namespace) -> int:
    from softproof.parallel import validate_options

    validate_options(args)
    if args.replay:
        return replay(args)
    _validate_budget(args.budget, args.seed)
    sizes = sizes_from(args)
    statement = load_target(args.target, sizes)
    check_entries(check_sizes(statement, sizes, args.target))
    if args.witness_out is not None:
        output_file(args.witness_out, "--witness-out")
    from softproof.numeric.sampling import SizeLimitError
    from softproof.parallel import check_restarts, from_args

    try:
        with from_args(args) as ex:
            res = check_restarts(
                statement,
                args.budget,
                args.seed,
                sizes,
                ex,
                restarts=args.restarts,
                log=None if args.quiet else _log,
                progress=False if args.quiet else None,
            )
    except SizeLimitError as exc:
        raise BadInput(str(exc)) from None
    print(f"{statement.id}: {statement.claim_text or statement.claim}")
    if statement.shadow_note:
        print(statement.shadow_note)
    if res.verdict == "violated":
        path = Path(args.witness_out or f"witness-{statement.id}.json")
        save(path, statement, res.witness, res.confirmation)
        print(res.summary())
        print("witness:")
        print(format_instance(res.witness))
        print(f"saved to {path}")
        return EXIT_VIOLATED
    print(res.summary())
    if res.verdict in ("searched", "undecided") and res.worst_witness:
        print(
            f"worst case found ({res.rejected} float64 candidates rejected by the rigorous check):"
        )
        print(format_instance(res.worst_witness))
    if statement.proof is not None and res.verdict != "proved":
        # the file's proof does not check: the claim was only searched (undecided)
        notes = [t for t in getattr(res.prover, "notes", []) if t.startswith("proof rejected")]
        print(f"the file's proof: {notes[0] if notes else 'proof rejected'}")
        return EXIT_UNDECIDED
    return EXIT_UNDECIDED if res.verdict == "undecided" else EXIT_OK


def _log(line: str) -> None:
    """One progress line on stderr (a finished restart)."""
    print(line, file=sys.stderr, flush=True)


def save(path: Path, statement, instance, confirmation) -> None:
    from softproof.numeric.instance import save_witness

    output_file(path, "--witness-out")
    try:
        save_witness(path, statement, instance, confirmation)
    except OSError as exc:
        raise BadInput(f"cannot write the witness to {path}: {exc.strerror or exc}") from None


def replay(args: argparse.Namespace) -> int:
    """Re-confirm a saved witness (exit 1 if it still violates the statement)."""
    from softproof.numeric.confirm import confirm
    from softproof.numeric.instance import check_witness, load_witness

    try:
        sid, instance, _meta = load_witness(args.replay)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    if args.target:
        statement = load_target(args.target)
    else:
        try:
            if not sid.replace("-", "").isalnum():  # a path named in a data file is never read
                raise BadInput(sid)
            statement = load_target(sid)
        except BadInput:
            raise BadInput(
                f"{args.replay} is a witness of {sid!r}, which is not a catalogue id: "
                f"give its statement file, 'softproof check FILE --replay {args.replay}'"
            ) from None
    try:
        check_witness(statement, instance)
    except ValueError as exc:
        raise BadInput(f"{args.replay}: the witness does not fit {statement.id}: {exc}") from None
    try:
        res = confirm(statement, instance)
    except (ValueError, KeyError) as exc:
        raise BadInput(f"{args.replay}: the witness does not fit {statement.id}: {exc}") from None
    print(f"{statement.id}: {statement.claim_text or statement.claim}")
    print(f"witness {args.replay}: {res.reason}")
    if res.confirmed:
        return EXIT_VIOLATED
    if "undecided" in res.reason:
        return EXIT_UNDECIDED
    return EXIT_OK
