"""``softproof prove``: print a machine-checked proof chain and its status.

Each step of a chain is re-checked by an inference rule (identity proved by
SymPy, SOS certificate, triangle inequality, Cauchy-Schwarz, Gershgorin, mean
value inequality, ...), a hypothesis of the statement, or a proved lemma; the
conclusion must match the catalogue entry.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from softproof.cli import EXIT_OK, EXIT_UNDECIDED, BadInput
from softproof.commands._common import output_file, write_text_atomic

DESCRIPTION = """\
Check and print the proof chain of a catalogue entry (E1-E5, P1-P4, Q1-Q4,
T1-T3, S1-S3, ...). Every step is re-checked; the output says for each step
which rule justified it and at which level it was checked (symbolic n, d or
explicit sizes).  --sharp prints the chain of the best proved constant instead
(P1, Q1, P4, Q4, T1, T2), e.g. R/2 in place of the paper's M for T1.
"""

EPILOG = """\
examples:
  softproof prove E5                   Gershgorin + SOS certificate, every n
  softproof prove T1 --sharp           ||b - b~|| <= R/2 ||x_{t+1} - x_t||
  softproof prove S3 --latex s3.tex    also write a standalone LaTeX document
  softproof prove --list               the entries that have a chain
  softproof prove S1 --toml s1.toml    the entry and its chain as a statement file;
                                       'softproof check s1.toml' re-proves it from the file

exit codes: 0 proved, 2 bad input, 3 the chain does not check
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "prove",
        help="check and print the proof chain of a catalogue entry",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("id", nargs="?", help="catalogue id, e.g. E5, P4, T1, S3")
    parser.add_argument(
        "--sharp", action="store_true", help="the chain of the best proved constant"
    )
    parser.add_argument("--latex", metavar="FILE", help="write a standalone LaTeX document")
    parser.add_argument(
        "--toml",
        metavar="FILE",
        help="write the entry with its chain (lemmas inlined) as a statement file",
    )
    parser.add_argument("--list", action="store_true", help="list the entries with a chain")
    parser.set_defaults(run=run)


def _resolve(sid: str, sharp_wanted: bool):
    from softproof.derivations import chains, sharp

    try:
        if sharp_wanted:
            return sharp.sharp_chain(sid)
        return chains.chain(sid)
    except KeyError:
        have = sorted(sharp._SHARP) if sharp_wanted else chains.ids()
        kind = "sharp chain" if sharp_wanted else "proof chain"
        raise BadInput(f"no {kind} for {sid!r}; available: {', '.join(have)}") from None


def run(args: argparse.Namespace) -> int:
    from softproof.derivations import chains

    if args.list:
        for sid in chains.ids():
            print(sid)
        return EXIT_OK
    if not args.id:
        raise BadInput("give a catalogue id (or --list)")
    if args.latex is not None:
        output_file(args.latex, "--latex")
    if args.toml is not None:
        output_file(args.toml, "--toml")
    chain = _resolve(args.id, args.sharp)
    res = chain.check()
    _print_chain(chain, res)
    print(res.summary())
    if args.latex is not None:
        document = chains.to_document([chain], title=_title(chain))
        write_text_atomic(Path(args.latex), document, "--latex")
        print(f"wrote {args.latex}")
    if args.toml is not None:
        if not res.ok or chain.statement_id is None:
            print(f"not written: {args.toml} (only a proved entry is exported)")
            return EXIT_UNDECIDED
        from softproof.derivations import catalogue
        from softproof.derivations.proofs import export_statement

        text = export_statement(catalogue.get(chain.statement_id), chain)
        write_text_atomic(Path(args.toml), text, "--toml")
        print(f"wrote {args.toml} (check it with 'softproof check {args.toml}')")
    return EXIT_OK if res.ok else EXIT_UNDECIDED


def _print_chain(chain, res) -> None:
    """The chain in the paper's plain-text notation, as ``softproof check`` prints claims."""
    from softproof.derivations import catalogue
    from softproof.derivations.chains import in_words
    from softproof.derivations.printing import claim_text, relation_to_text, to_text

    try:
        statement = catalogue.get(chain.statement_id) if chain.statement_id else None
    except KeyError:
        statement = None
    if statement is not None:
        print(f"{chain.id}: {claim_text(statement)}")
    else:
        print(f"{chain.id} (a lemma stated by its chain)")
    print(f"  start: {to_text(chain.start)}")
    for k, r in enumerate(res.steps, 1):
        mark = "ok  " if r.ok else "FAIL"
        how = in_words("; ".join(dict.fromkeys(c.method for c in r.checks)))
        print(f"  {k:2} {mark} {r.op:2} {to_text(r.step.expr)}")
        print(
            f"          by {r.step.why.describe()} [{how}]"
            + (f" -- {r.detail}" if r.detail else "")
        )
    if res.assumes:
        print("  assuming: " + "; ".join(relation_to_text(h) for h in res.assumes))


def _title(chain) -> str:
    """``ID: title`` of the entry the chain proves (the document then shows its claim
    in the paper's notation), else the chain's own id."""
    from softproof.derivations import catalogue

    try:
        statement = catalogue.get(chain.statement_id) if chain.statement_id else None
    except KeyError:
        statement = None
    if statement is None:
        return f"Proof chain {chain.id}"
    return f"{statement.id}: {statement.title}"
