"""``softproof report``: the full lemma report (the main job), of the catalogue or of
any statement pack (``--pack``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from softproof.cli import EXIT_OK, EXIT_VIOLATED, BadInput
from softproof.commands._common import validate_budget, validate_seed


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="check every catalogue entry and write the lemma report (Markdown, JSON, plots)",
        description=(
            "Check every entry of the lemma catalogue: prove the identities symbolically, "
            "search every inequality for violations (confirming any in ball arithmetic), "
            "run the machine-checked proof chains and the branch-and-bound certifications, "
            "compare the paper's constants with the best proved ones, and write the report "
            "as Markdown and JSON with plots, witnesses and LaTeX. With --pack, report another "
            "statement pack instead (its verdicts, claims and proofs; the catalogue's chains, "
            "certifications, constants and plots are the catalogue's alone). Exit 0 when "
            "every true entry holds and every seeded mutant is caught, 1 otherwise."
        ),
    )
    p.add_argument(
        "--out",
        default="softproof-report",
        metavar="DIR",
        help=(
            "folder for the report (an earlier report there is replaced; any other "
            "non-empty folder is refused; default: softproof-report)"
        ),
    )
    p.add_argument(
        "--budget",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="search time per entry (default: 2)",
    )
    p.add_argument(
        "--certify-budget",
        type=float,
        default=15.0,
        metavar="SECONDS",
        help="time per branch-and-bound certification run (default: 15)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument(
        "--pack",
        default=None,
        metavar="NAME",
        help="a built-in pack name or a folder of statement files (default: the catalogue, "
        "2304.13276)",
    )
    p.add_argument(
        "--only", nargs="+", metavar="ID", help="check only these ids of the pack (default: all)"
    )
    p.add_argument("--no-plots", action="store_true", help="skip the plots")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    from softproof.parallel import add_options

    add_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from softproof.derivations.packs import DEFAULT_PACK, PackError, find_pack
    from softproof.derivations.statement_files import StatementFileError
    from softproof.report import CERTIFICATION_RUNS, OutputDirError, check_output_dir, run_report

    validate_budget(args.budget)
    validate_budget(args.certify_budget, "--certify-budget")
    validate_seed(args.seed)
    try:
        check_output_dir(args.out)
    except OutputDirError as exc:
        raise BadInput(str(exc)) from None
    try:
        pack = find_pack(args.pack or DEFAULT_PACK)
        if args.only:
            entries = [pack.get(i) for i in args.only]
        else:
            entries = pack.rows()
    except KeyError as exc:
        raise BadInput(exc.args[0]) from None
    except (PackError, StatementFileError) as exc:
        raise BadInput(f"--pack {args.pack or DEFAULT_PACK}: {exc}") from None
    ids = {e.id for e in entries}
    certs = [c for c in CERTIFICATION_RUNS if c[0] in ids] if pack.is_default else []
    out = Path(args.out)
    from softproof.parallel import from_args

    try:
        with from_args(args) as ex:
            report = run_report(
                entries,
                out,
                budget=args.budget,
                seed=args.seed,
                certify_budget=args.certify_budget,
                plots=not args.no_plots,
                progress=not args.no_progress and sys.stderr.isatty(),
                certification_runs=certs,
                pack=pack,
                executor=ex,
            )
    except OutputDirError as exc:
        raise BadInput(str(exc)) from None
    except OSError as exc:
        raise BadInput(
            f"--out {args.out}: cannot write the report ({exc.strerror or exc})"
        ) from None
    counts: dict[str, int] = {}
    for e in report.entries:
        counts[e.verdict] = counts.get(e.verdict, 0) + 1
    width = max([14, *(len(e.id) for e in report.entries)])
    for e in report.entries:
        print(f"{e.id:<{width}} {e.verdict:<10} {e.evidence}")
    print()
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print(
        f"report written to {out / 'report.md'} and {out / 'report.json'} ({report.seconds:.0f} s)"
    )
    if report.unexpected:
        print("unexpected verdicts: " + ", ".join(e.id for e in report.unexpected))
        return EXIT_VIOLATED
    return EXIT_OK
