"""``softproof derive``: derive the gradient/Hessian of L and prove each step.

Every derivative is obtained by differentiating the definitions (D1-D5) with
SymPy and proved equal to the closed form of the catalogue (G1-G7), either for
symbolic ``n, d`` (every size at once) or at an explicit size.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from softproof.cli import EXIT_OK, EXIT_UNDECIDED, EXIT_VIOLATED, BadInput
from softproof.commands._common import output_file
from softproof.derivations.derivation import Derivation

#: Largest explicit sizes accepted (the exact proof grows quickly with n, d).
LIMITS: dict[str, tuple[int, int]] = {"gradient": (16, 8), "hessian": (6, 3), "chain": (6, 3)}
DEFAULT_EXPLICIT = (3, 2)

DESCRIPTION = """\
Derive the gradient and Hessian of the softmax regression loss
L(x) = 1/2 || <exp(Ax), 1_n>^{-1} exp(Ax) - b ||_2^2 by differentiating its
definition, and PROVE each step equal to the paper's closed form:

  gradient  L -> grad L = A^T (diag(f) - f f^T) c            (catalogue G4, G5)
  hessian   grad L -> hess L = A^T B(x) A                    (G5, G6, G6')
  chain     the whole chain G1-G7

Levels of proof (the output always says which one was reached):
  --symbolic      for symbolic n, d: one proof valid for every size
  --n N --d D     at the explicit size n=N, d=D only
With neither option both are done, the explicit one at n=3, d=2.
"""

EPILOG = """\
examples:
  softproof derive gradient                 symbolic proof and an exact proof at n=3, d=2
  softproof derive hessian --symbolic       Hessian for every n, d
  softproof derive gradient --n 16 --d 8    exact proof at n=16, d=8
  softproof derive chain --latex chain.tex  also write a LaTeX document (pdflatex)

exit codes: 0 every step proved, 1 a step refuted, 2 bad input, 3 some step not proved
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "derive",
        help="derive grad L / hess L symbolically and prove each step (G1-G7)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "what", choices=sorted(LIMITS), help="which derivation: gradient, hessian or chain"
    )
    parser.add_argument(
        "--symbolic", action="store_true", help="prove for symbolic n, d (every size at once)"
    )
    parser.add_argument("--n", type=int, metavar="N", help="explicit number of tokens n")
    parser.add_argument("--d", type=int, metavar="D", help="explicit dimension d")
    parser.add_argument(
        "--latex", metavar="FILE", help="write a standalone LaTeX document (compiles with pdflatex)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop proving after this many seconds (steps left are 'unknown (deadline)')",
    )
    parser.set_defaults(run=run)


def _levels(args: argparse.Namespace) -> tuple:
    if (args.n is None) != (args.d is None):
        raise BadInput("give both --n and --d for an explicit size (or neither)")
    levels: list = []
    if args.n is not None:
        top_n, top_d = LIMITS[args.what]
        if args.n < 1 or args.d < 1:
            raise BadInput(f"sizes must be at least 1, got n={args.n}, d={args.d}")
        if args.n > top_n or args.d > top_d:
            raise BadInput(
                f"n={args.n}, d={args.d} is too large for an exact explicit proof of the "
                f"{args.what} (limit n<={top_n}, d<={top_d}); use --symbolic for every size"
            )
    if args.symbolic or args.n is None:
        levels.append("symbolic")
    if args.n is not None:
        levels.append(("explicit", args.n, args.d))
    elif not args.symbolic:
        levels.append(("explicit", *DEFAULT_EXPLICIT))
    return tuple(levels)


def _check_output(path: str) -> Path:
    return output_file(path, "--latex")


def run(args: argparse.Namespace) -> int:
    levels = _levels(args)
    budget = getattr(args, "budget", None)
    if budget is not None and not (budget > 0 and math.isfinite(budget)):
        raise BadInput(f"--budget must be a positive number of seconds, got {budget}")
    out = _check_output(args.latex) if args.latex is not None else None
    derivation = Derivation.named(args.what).prove(levels, seconds=budget)
    print(derivation.summary())
    if out is not None:
        output_file(out, "--latex")
        try:
            derivation.write(out)
        except OSError as exc:
            raise BadInput(f"--latex {args.latex}: cannot write ({exc.strerror or exc})") from None
        print(f"LaTeX document written to {out}")
    if derivation.refuted:
        print("RESULT: a step was refuted")
        return EXIT_VIOLATED
    if derivation.proved:
        where = ", ".join(_where(lv) for lv in levels)
        print(f"RESULT: every step proved {where}")
        return EXIT_OK
    print("RESULT: some steps were not proved (see above)")
    return EXIT_UNDECIDED


def _where(level) -> str:
    from softproof.derivations.identities import level_text

    return level_text(level)
