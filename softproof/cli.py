"""The ``softproof`` command line: one sub-command per module in ``commands/``.

Exit codes shared by every sub-command: 0 success (proved, certified, or no
violation found), 1 a violation confirmed, 2 bad input, 3 undecided.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

#: sub-command name -> module under ``softproof.commands`` (imported lazily)
COMMANDS: dict[str, str] = {
    "derive": "derive",
    "list": "listing",
    "check": "check",
    "search": "search",
    "certify": "certify",
    "report": "report",
    "prove": "prove",
    "bench": "bench",
}

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_UNDECIDED = 0, 1, 2, 3


class BadInput(Exception):
    """Raised for malformed input; reported in one line with exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="softproof",
        description=(
            "Check the lemmas of 'The Closeness of In-Context Learning and Weight "
            "Shifting for Softmax Regression' (arXiv:2304.13276): derive and prove the "
            "gradient and Hessian symbolically, search and certify the inequalities, "
            "and export LaTeX."
        ),
        epilog="Run 'softproof COMMAND --help' for the options of one command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        try:
            mod = importlib.import_module(f"softproof.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"softproof.commands.{module}":
                raise
            continue
        mod.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.run(args))
    except BadInput as exc:
        print(f"softproof {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `softproof list | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
