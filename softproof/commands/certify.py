"""``softproof certify ID|FILE``: certify an inequality on a bounded box domain by
branch and bound in Arb ball arithmetic.

The domain comes from the hypotheses (``abs(t) <= c``; ``norm(V) <= c`` bounds
every entry of ``V``) and from ``--box NAME=LO:HI`` / ``--radius R``.  Exit 0:
certified on the stated domain (the certificate is re-verified by the
independent checker and written with ``--out``); 1: a violation confirmed
rigorously; 2: bad input (nothing written); 3: undecided within the budget.
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import Executor
from typing import Any

from softproof.cli import EXIT_OK, EXIT_UNDECIDED, EXIT_VIOLATED, BadInput
from softproof.commands._common import (
    check_parameter_boxes,
    load_target,
    output_file,
    parse_box,
    parse_boxes,
    parse_radius,
    sizes_from,
    validate_budget,
)
from softproof.derivations.printing import claim_text

__all__ = ["add_parser", "run", "parse_box", "check_file"]  # parse_box: from _common


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "certify",
        help="certify an inequality on a bounded domain (Arb branch and bound)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", metavar="ID|FILE", help="catalogue id (e.g. E1) or statement file")
    p.add_argument("--n", type=int, help="size n (default: the statement's)")
    p.add_argument("--d", type=int, help="size d (default: the statement's)")
    p.add_argument(
        "--budget", type=float, default=60.0, metavar="SECONDS", help="time budget (default 60)"
    )
    p.add_argument(
        "--prec",
        type=int,
        default=128,
        metavar="BITS",
        help="Arb working precision in bits (default 128)",
    )
    p.add_argument(
        "--box",
        action="append",
        default=[],
        metavar="NAME=LO:HI",
        help="bound a variable (x), an entry (x[1]) or a ranged parameter; repeatable",
    )
    p.add_argument(
        "--radius",
        type=str,
        metavar="R",
        help="bound every entry the hypotheses leave unbounded by [-R, R]",
    )
    p.add_argument("--out", metavar="CERT.json", help="write the certificate (when certified)")
    p.add_argument(
        "--no-check",
        action="store_true",
        help=(
            "skip re-verifying the certificate with the independent checker (the result "
            "is then 'unchecked', exit 3, never 'certified'; check it later with --check)"
        ),
    )
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.add_argument(
        "--check",
        metavar="CERT.json",
        help="verify a saved certificate for ID|FILE with the independent checker (exit 0, "
        "or 2 naming the problem) instead of certifying",
    )
    from softproof.parallel import add_options

    add_options(p)
    p.set_defaults(run=run)
    return p


def _certify(ex: Executor, **kwargs: Any) -> Any:
    """:func:`softproof.numeric.certify.certify` with its boxes as tasks on ``ex`` where
    it takes an executor; else the same certification, in this process or (with
    ``--scheduler``) as one task on the cluster."""
    import inspect

    from softproof.numeric.certify import certify
    from softproof.parallel import InlineExecutor, submit

    if "executor" in inspect.signature(certify).parameters:
        return certify(**kwargs, executor=ex)
    if isinstance(ex, InlineExecutor) or getattr(ex, "scheduler_address", None) is None:
        return certify(**kwargs)
    return submit(ex, certify, **{**kwargs, "progress": False}).result()


def check_file(statement, path: str, sizes, domain, radius) -> int:
    """``--check CERT.json``: load the certificate as data and verify it for the request
    (sizes, ``--box`` and ``--radius`` when given; otherwise the certificate's sizes and
    radius, no domain argument); a certificate that fails is bad input (exit 2)."""
    from softproof.numeric.certificate import (
        CertificateError,
        explain_certificate,
        load_certificate,
    )

    extra = {} if radius is None else {"default_radius": radius}
    try:
        cert = load_certificate(path)
        leaves = explain_certificate(
            statement, cert, sizes=sizes or None, domain=domain or None, **extra
        )
    except CertificateError as exc:
        raise BadInput(f"{path}: certificate rejected: {exc}") from None
    dom = cert["domain"]
    print(f"{statement.id}: {claim_text(statement)}")
    print(
        f"certificate {path} verified by the independent checker: {leaves} leaves, "
        f"n={dom['sizes']['n']}, d={dom['sizes']['d']}, "
        + ", ".join(
            f"{v} in [{lo}, {hi}]"
            for v, (lo, hi) in zip(dom["variables"], dom["bounds"], strict=True)
        )
    )
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from softproof.numeric.boxes import DomainError, frac_text
    from softproof.numeric.certificate import check_certificate
    from softproof.numeric.certify import TooManyVariables

    sizes = sizes_from(args, top=64) or {}
    statement = load_target(args.target, sizes)
    validate_budget(args.budget)
    if not 32 <= args.prec <= 4096:
        raise BadInput("--prec must be between 32 and 4096 bits")
    domain = parse_boxes(args.box)
    check_parameter_boxes(statement, domain)
    radius = parse_radius(args.radius)
    if args.out is not None:
        output_file(args.out, "--out")
    if getattr(args, "check", None):
        return check_file(statement, args.check, sizes, domain, radius)
    from softproof.parallel import from_args

    try:
        with from_args(args) as ex:
            res = _certify(
                ex,
                statement=statement,
                sizes=sizes,
                domain=domain or None,
                default_radius=radius,
                budget_seconds=args.budget,
                prec=args.prec,
                progress=not args.quiet and sys.stderr.isatty(),
            )
    except TooManyVariables as exc:
        raise BadInput(str(exc)) from None
    except DomainError as exc:
        raise BadInput(str(exc)) from None
    print(f"{statement.id}: {claim_text(statement)}")
    if statement.shadow_note:
        print(statement.shadow_note)
    if statement.hypotheses:
        print("  hypotheses: " + "; ".join(res.domain.constraints))
    if res.status == "certified" and args.no_check:
        # "certified" is said only after the independent checker accepts
        print(
            f"UNCHECKED: the branch and bound closed every box on {res.domain.short()} "
            f"({res.boxes} boxes, {res.seconds:.2f} s), but the independent checker was "
            "skipped (--no-check): not certified"
        )
        if _write_certificate(args.out, res.certificate):
            print(f"  certificate written to {args.out}; check it with --check {args.out}")
        return EXIT_UNDECIDED
    if res.status == "certified":
        ok = check_certificate(
            statement,
            res.certificate,
            sizes=res.domain.sizes,
            domain=domain or None,
            default_radius=radius,
        )
        if not ok:
            print(
                f"UNDECIDED: the branch and bound closed every box on {res.domain.short()}, "
                "but the independent checker REJECTED its certificate (not certified)"
            )
            return EXIT_UNDECIDED
        checked = "certificate verified"
        print(
            f"certified on {res.domain.short()} by ball arithmetic (Arb, {args.prec} bits): "
            f"{res.boxes} boxes, {res.seconds:.2f} s"
        )
        print("  domain: " + res.domain.describe())
        print("  decisions: " + ", ".join(f"{k} x{v}" for k, v in sorted(res.rules.items())))
        print("  (a certificate on this bounded domain and these sizes, not a symbolic proof)")
        print(f"  independent checker: {checked}")
        if _write_certificate(args.out, res.certificate):
            print(f"  certificate written to {args.out}")
        return EXIT_OK
    if res.status == "violated":
        print(f"violated: rigorous witness found after {res.boxes} boxes, {res.seconds:.2f} s")
        for k, v in res.witness.items():
            print(f"  {k} = {v!r}")
        conf = res.confirmation
        if conf is not None:
            print(
                f"  confirmed: claim margin rhs - lhs = {conf.claim_margin} (Arb, {conf.prec} "
                f"bits), mpmath at {conf.dps} digits: {conf.mp_margin}"
            )
        return EXIT_VIOLATED
    print(
        f"undecided after {res.seconds:.2f} s: {len(res.open_boxes)} boxes left of "
        f"{res.boxes} examined; {100 * res.coverage:.2f}% of the domain decided"
    )
    print("  domain: " + res.domain.describe())
    for box in res.open_boxes[:3]:
        text = ", ".join(
            f"{nm} in [{frac_text(lo)}, {frac_text(hi)}]"
            for nm, (lo, hi) in zip(res.domain.names, box, strict=True)
        )
        print(f"  open: {text}", file=sys.stdout)
    return EXIT_UNDECIDED


def _write_certificate(out: str | None, certificate: object) -> bool:
    """Write ``certificate`` to ``--out`` (``BadInput`` if it cannot be written);
    False when no ``--out`` was given."""
    if out is None:
        return False
    from softproof.numeric.certificate import save_certificate

    output_file(out, "--out")
    try:
        save_certificate(certificate, out)
    except OSError as exc:
        raise BadInput(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    return True
