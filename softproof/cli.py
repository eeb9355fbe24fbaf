"""The ``softproof`` command line: one sub-command per module in ``commands/``.

Exit codes shared by every sub-command: 0 success (proved, certified, or no
violation found), 1 a violation confirmed, 2 bad input, 3 undecided, 4 an
internal error of the toolkit.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import re
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

from softproof._version import __version__

#: sub-command name -> module under ``softproof.commands`` (imported lazily)
COMMANDS: dict[str, str] = {
    "derive": "derive",
    "list": "listing",
    "check": "check",
    "search": "search",
    "certify": "certify",
    "report": "report",
    "prove": "prove",
    "rules": "rules",
    "bench": "bench",
    "bound": "bound",
}

EXIT_OK, EXIT_VIOLATED, EXIT_BAD_INPUT, EXIT_UNDECIDED = 0, 1, 2, 3
#: an unexpected failure of the toolkit itself (never confused with a verdict)
EXIT_INTERNAL_ERROR = 4
#: stdout closed early (``softproof list | head``), as a shell reports SIGPIPE
EXIT_BROKEN_PIPE = 141


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
        epilog=(
            "Exit codes: 0 proved / certified / no violation found (the output says "
            "which), 1 violation confirmed, 2 bad input, 3 undecided, 4 internal error. "
            "Run 'softproof COMMAND --help' for the options of one command."
        ),
    )
    parser.add_argument("--version", action="version", version=f"softproof {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS.values():
        try:
            mod = importlib.import_module(f"softproof.commands.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"softproof.commands.{module}":
                raise
            continue
        mod.add_parser(sub)
    for command in sub.choices.values():
        command.description = plain_text(command.description)
        command.epilog = plain_text(command.epilog)
    return parser


_ROLE = re.compile(r":(?:func|class|mod|meth|data|attr):`~?([^`]+)`")


def plain_text(doc: str | None) -> str | None:
    """A docstring as ``--help`` prints it: without reST markup (````x````, ``:func:`x```)."""
    if doc is None:
        return None
    return _ROLE.sub(r"\1", doc).replace("``", "")


def cache_directory() -> Path:
    """Where the toolkit keeps files nobody asked for: ``$XDG_CACHE_HOME/softproof``
    (default ``~/.cache/softproof``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "softproof"


def _hypothesis_outside_the_working_directory() -> None:
    """Hypothesis (used by the search) keeps its files in the cache directory, never in
    a ``.hypothesis/`` folder of the user's working directory."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(cache_directory() / "hypothesis")


#: ended by SIGTERM (as a shell reports it)
EXIT_TERMINATED = 128 + signal.SIGTERM


class _Terminated(BaseException):
    """SIGTERM, raised in the main process so that worker pools are shut down and
    half-written outputs removed on the way out."""


@contextlib.contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """SIGTERM raises :class:`_Terminated` in this process (a forked child that
    inherits the handler exits at once); the previous handler is restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:
            os._exit(EXIT_TERMINATED)
        raise _Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    _hypothesis_outside_the_working_directory()
    try:
        with _terminate_cleanly():
            return int(args.run(args))
    except _Terminated:
        print("terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except BadInput as exc:
        print(f"softproof {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `softproof list | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception:
        traceback.print_exc()
        print(
            f"softproof {args.command}: internal error (exit {EXIT_INTERNAL_ERROR}); "
            "this is a bug in softproof, not a verdict",
            file=sys.stderr,
        )
        return EXIT_INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
