"""``softproof bound FILE --of EXPR --wrt VAR``: derive a Lipschitz-type constant.

Derives, without a typed-in chain, a constant K with
``||EXPR(VAR) - EXPR(VAR')|| <= K ||VAR - VAR'||`` (``|.|`` for a scalar EXPR)
under the file's hypotheses, each hypothesis on VAR also taken for VAR'
(``x -> y``), valid for every n: the mean value inequality on the segment (the
hypothesis set must be convex in VAR: norm balls), the symbolic Jacobian, then
norm rules, each step re-checked by the chain checker.  Prints K, the chain,
its LaTeX, and the worst ratio (observed / K: the slack) the search reaches on
the derived statement within ``--budget`` seconds.

Exit 0: K derived and checked, no violation found by the search; 1: the search
confirmed a violation of the derived statement (a bug in the toolkit, reported
as such); 2: bad input (unknown name in --of, --wrt not a vector variable of
EXPR, ...); 3: no constant derived, or ``--toml`` could not be written (the
output says why).  ``--toml OUT`` writes the derived bound as a statement
file with its proof, which ``softproof check OUT`` re-proves.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from softproof.cli import EXIT_OK, EXIT_UNDECIDED, EXIT_VIOLATED, BadInput
from softproof.commands._common import (
    check_entries,
    check_sizes,
    load_target,
    output_file,
    sizes_from,
    validate_budget,
    validate_seed,
    write_text_atomic,
)

__all__ = ["add_parser", "run", "parse_of", "parse_wrt"]


def add_parser(sub: Any) -> argparse.ArgumentParser:
    p = sub.add_parser(
        "bound",
        help="derive a Lipschitz-type constant with a machine-checked chain",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("target", nargs="?", metavar="FILE", help="a statement file (.toml)")
    p.add_argument("--of", required=True, metavar="EXPR", help="the map, e.g. 'f(x)'")
    p.add_argument("--wrt", required=True, metavar="VAR", help="its vector variable, e.g. x")
    p.add_argument(
        "--budget",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="time for the search of the worst ratio (default 5)",
    )
    p.add_argument("--seed", type=int, default=0, metavar="N", help="random seed (default 0)")
    p.add_argument("--n", type=int, default=None, metavar="N", help="number of tokens n")
    p.add_argument("--d", type=int, default=None, metavar="D", help="dimension d")
    p.add_argument(
        "--toml",
        default=None,
        metavar="OUT",
        help="write the bound as a statement file with its proof ('check OUT' re-proves it)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.set_defaults(run=run)
    return p


def file_definitions(statement: Any) -> dict[str, Any]:
    """The file's own definitions (``[definitions]``) as the grammar reads them, so
    ``--of`` means what the file means (a defined ``f`` shadows the built-in)."""
    written = tuple(getattr(statement, "definitions", ()) or ())
    if not written:
        return {}
    from softproof.derivations import model
    from softproof.derivations.grammar import Definition
    from softproof.derivations.statement import VARIABLES

    names = {**VARIABLES, "n": model.n, "d": model.d, **statement.parameter_symbols}
    order = [name for name, _, _ in written]
    defs: dict[str, Any] = {}
    for i, (name, params, text) in enumerate(written):
        defs[name] = Definition(name, tuple(params), text, names, dict(defs), frozenset(order[i:]))
    return defs


def parse_of(statement: Any, text: str) -> Any:
    """``--of`` in the file's language (its parameters and definitions); ``BadInput``
    naming the problem."""
    from softproof.derivations.grammar import GrammarError, parse_expression

    defs = file_definitions(statement)
    extra = {"definitions": defs} if defs else {}
    try:
        return parse_expression(text, parameters=statement.parameter_symbols, **extra)
    except GrammarError as exc:
        raise BadInput(f"--of {text!r}: {exc}") from None


def parse_wrt(expr: Any, text: str) -> Any:
    """``--wrt``: a vector variable that ``expr`` depends on."""
    from softproof.derivations import model
    from softproof.derivations.statement import VARIABLES

    var = VARIABLES.get(text.strip())
    if var is None:
        raise BadInput(f"--wrt {text!r}: not a variable (variables: {', '.join(VARIABLES)})")
    if not model.is_matrix(var) or var.shape[1] != 1:
        raise BadInput(f"--wrt {text!r}: not a vector variable")
    if var not in expr.free_symbols:
        raise BadInput(f"--wrt {text!r}: the expression given to --of does not depend on {text}")
    return var


def _say(quiet: bool):
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        if not quiet:
            print(f"bound [{time.perf_counter() - t0:5.1f}s]: {msg}", file=sys.stderr, flush=True)

    return say


def run(args: argparse.Namespace) -> int:
    validate_budget(args.budget)
    validate_seed(args.seed)
    sizes = sizes_from(args)
    if not args.target:
        raise BadInput("give a statement file (its hypotheses are the bound's)")
    statement = load_target(args.target, sizes)
    use = check_sizes(statement, sizes, args.target)
    check_entries(use)
    if args.toml is not None:
        output_file(args.toml, "--toml")
    from softproof.derivations import bounds, model
    from softproof.derivations.printing import relation_to_text, to_text

    expr = parse_of(statement, args.of)
    if model.is_matrix(expr) and expr.shape[1] != 1:
        raise BadInput(f"--of {args.of!r}: a matrix of shape {expr.shape}, expected a vector")
    var = parse_wrt(expr, args.wrt)
    say = _say(args.quiet)
    try:
        res = bounds.derive_bound(
            expr,
            var,
            statement.hypotheses,
            statement_id=f"{statement.id}-bound",
            sizes=use,
            parameters=dict(statement.parameters),
            definitions=tuple(getattr(statement, "definitions", ()) or ()),
            progress=say,
        )
    except bounds.BoundInputError as exc:
        raise BadInput(str(exc)) from None
    other = to_text(res.other)
    print(f"{statement.id}: bound on {to_text(expr)} in {args.wrt} ({args.wrt}' = {other})")
    if getattr(statement, "shadow_note", ""):
        print(statement.shadow_note)
    if res.route:
        print(f"route: {res.route}")
    if not res.ok:
        print(f"CANNOT derive a constant valid for every n: {res.reason}")
        if res.chain is not None:
            print("steps built before stopping:")
            _print_steps(res.chain, to_text)
        return EXIT_UNDECIDED
    print(f"K = {to_text(res.constant)}{_value(statement, res.constant)}")
    print(f"claim: {relation_to_text(res.statement.claim)}")
    if res.statement.hypotheses:
        print("under: " + ", ".join(relation_to_text(h) for h in res.statement.hypotheses))
    print(f"chain: {res.check.summary()}")
    _print_steps(res.chain, to_text)
    print("LaTeX:")
    print(res.chain.to_latex())
    written = _write_toml(res, args.toml) if args.toml is not None else True
    say(f"searching the derived statement for {args.budget:g} s (the worst ratio is the slack)")
    code = _search(res.statement, args, use)
    return EXIT_UNDECIDED if code == EXIT_OK and not written else code


def _write_toml(res: Any, path: str) -> bool:
    """The derived statement with its chain as the file's proof (exported by
    ``proofs.export_statement``); ``check OUT`` re-proves it from the file alone.
    False (nothing written, the reason printed) when the exporter cannot write it."""
    from softproof.derivations.proofs import check_proof, export_statement
    from softproof.derivations.statement_files import StatementFileError, parse_statement_text

    try:
        text = export_statement(res.statement, res.chain)
    except ValueError as exc:
        print(f"--toml {path}: not written: the proof cannot be exported ({exc})")
        return False
    try:  # what check will read: the file alone must re-prove the bound
        again = check_proof(parse_statement_text(text, path))
    except StatementFileError as exc:
        print(f"--toml {path}: not written: the exported file does not read back ({exc})")
        return False
    if not again.ok:
        print(f"--toml {path}: not written: the exported proof does not re-check ({again.message})")
        return False
    write_text_atomic(path, text, "--toml")
    print(f"wrote {path} (the bound with its proof; 'softproof check {path}' re-proves it)")
    return True


def _value(statement: Any, k: Any) -> str:
    """`` = 2 at R = 4`` when the file fixes every parameter K uses (else ``""``)."""
    syms = statement.parameter_symbols
    fixed = {syms[name]: v for name, v in statement.fixed_parameters.items()}
    used = {s for s in k.free_symbols if s in fixed}
    if not used or k.free_symbols - set(fixed):
        return ""
    at = ", ".join(f"{s} = {fixed[s]}" for s in sorted(used, key=str))
    return f" = {float(k.subs({s: fixed[s] for s in used})):.6g} at {at}"


def _print_steps(chain: Any, to_text: Any) -> None:
    from softproof.derivations.chains import _check_step

    print(f"  {to_text(chain.start)}")
    prev = chain.start
    for k, step in enumerate(chain.steps, 1):
        r = _check_step(prev, step)
        op = {"==": "=", "<=": "<=", "<": "<"}[r.op]
        mark = "" if r.ok else "   <- FAILS: " + (r.detail or "")
        print(f"  {op} {to_text(step.expr)}   [{k}: {step.why.describe()}]{mark}")
        prev = step.expr


def _search(statement: Any, args: argparse.Namespace, sizes: dict[str, int]) -> int:
    from softproof.numeric import search
    from softproof.numeric.sampling import SamplingError, SizeLimitError

    try:
        res = search.check(
            statement,
            args.budget,
            args.seed,
            sizes,
            prove=False,
            progress=False if args.quiet else None,
        )
    except SizeLimitError as exc:
        raise BadInput(str(exc)) from None
    except SamplingError as exc:
        print(f"search: no instance of the hypotheses could be drawn ({exc})")
        return EXIT_OK
    if res.verdict == "violated":
        print(
            "VIOLATED: the search confirmed a violation of the derived bound: "
            f"{res.confirmation.reason} (a bug in the derivation, please report it)"
        )
        return EXIT_VIOLATED
    if res.verdict == "undecided":
        print(f"search: {search.undecided_reason(res)} (the bound itself is proved)")
    print(
        f"search: {res.instances} instances (n={sizes.get('n')}, d={sizes.get('d')}), "
        f"worst ratio observed / K = {res.worst_ratio:.9g} ({res.worst_by}); "
        "no violation found"
    )
    return EXIT_OK
