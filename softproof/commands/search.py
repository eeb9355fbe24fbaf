"""``softproof search ID|FILE``: search a statement only (no prover), print the
worst ratio reached and its witness.

``--method`` picks the search: ``all`` (random screening, adversarial
optimiser, Hypothesis, as in ``check``), ``screen``, ``optimise`` or
``hypothesis``.  Exit 1 if a violation is confirmed rigorously (saved only
with ``--witness-out``); 3 (undecided) if no instance satisfying the hypotheses
was evaluated or a float64 candidate could not be confirmed within the budget;
else 0.
"""

from __future__ import annotations

import argparse
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
from softproof.commands.check import add_search_options, format_instance, save

__all__ = ["add_parser", "run"]

METHODS = ("all", "screen", "optimise", "hypothesis")


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "search",
        help="search a statement for violations; print the worst ratio and its witness",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_search_options(p)
    p.add_argument("--method", choices=METHODS, default="all", help="which search (default all)")
    p.set_defaults(run=run)
    return p


def run(args: argparse.Namespace) -> int:
    validate_budget(args.budget)
    validate_seed(args.seed)
    if args.method != "all" and (
        (args.jobs or 1) > 1 or args.scheduler is not None or args.restarts is not None
    ):
        raise BadInput(
            f"--method {args.method} runs in this process: --jobs N, --scheduler and "
            "--restarts spread the restarts of --method all"
        )
    sizes = sizes_from(args)
    statement = load_target(args.target, sizes)
    check_entries(check_sizes(statement, sizes, args.target))
    if args.witness_out is not None:
        output_file(args.witness_out, "--witness-out")
    from softproof.numeric.sampling import SamplingError, SizeLimitError

    try:
        return _search(statement, args, sizes)
    except SizeLimitError as exc:
        raise BadInput(str(exc)) from None
    except SamplingError as exc:
        print(f"{statement.id}: {statement.claim_text or statement.claim}")
        print(f"UNDECIDED: {exc}")
        return EXIT_UNDECIDED


def _search(statement: Any, args: argparse.Namespace, sizes: dict[str, int] | None) -> int:
    """Run the chosen search and print its outcome; the exit code."""
    from softproof.numeric import search
    from softproof.numeric.optimise import optimise, witness_instance

    if args.method == "all":
        from softproof.commands.check import _log
        from softproof.parallel import check_restarts, from_args

        with from_args(args) as ex:
            res = check_restarts(
                statement,
                args.budget,
                args.seed,
                sizes,
                ex,
                restarts=args.restarts,
                prove=False,
                log=None if args.quiet else _log,
                progress=False if args.quiet else None,
            )
        worst, wit, inst = res.worst_ratio, res.worst_witness, res.instances
        violation, conf, method = res.witness, res.confirmation, res.method
        undecided = search.undecided_reason(res) if res.verdict == "undecided" else ""
    elif args.method == "screen":
        res, _ = search.screen_search(statement, args.budget, args.seed, sizes)
        worst, wit, inst = res.worst_ratio, res.worst_witness, res.instances
        violation, conf, method = res.witness, res.confirmation, res.method
        undecided = search.undecided_reason(res) if res.verdict == "undecided" else ""
    elif args.method == "hypothesis":
        res = search.hypothesis_search(statement, args.budget, rng_seed=args.seed, sizes=sizes)
        worst, wit, inst = res.worst_ratio, res.worst_witness, res.instances
        violation, conf, method = res.witness, res.confirmation, res.method
        undecided = search.undecided_reason(res) if res.verdict == "undecided" else ""
    else:
        ores = optimise(statement, args.budget, args.seed, sizes)
        wit = ores.best.instance if ores.best else None
        worst = ores.best.score if ores.best else -np.inf
        rig = search.rigorous_ratio(statement, wit) if wit is not None else None
        worst = worst if rig is None else rig
        inst, method = ores.evaluations, ores.method
        v = ores.violation
        violation = None if v is None else witness_instance(statement, v.instance)
        conf = None if v is None else v.confirmation
        undecided = "" if inst else "no instance satisfying the hypotheses was evaluated"
    identity = statement.claim.op == "=="
    label = "worst relative difference / tolerance" if identity else "worst ratio lhs/rhs"
    print(f"{statement.id}: {statement.claim_text or statement.claim}")
    if statement.shadow_note:
        print(statement.shadow_note)
    print(f"{method}: {inst} instances, {label} {worst:.12g}")
    if violation is not None:
        print(f"VIOLATED: {conf.reason}")
        print("witness:")
        print(format_instance(violation))
        if args.witness_out is not None:
            save(Path(args.witness_out), statement, violation, conf)
            print(f"saved to {args.witness_out}")
        return EXIT_VIOLATED
    if undecided:
        print(f"UNDECIDED: {undecided}")
        return EXIT_UNDECIDED
    print("no violation found (a search, not a proof)")
    if wit is not None:
        print("worst witness:")
        print(format_instance(witness_instance(statement, wit)))
    return EXIT_OK
