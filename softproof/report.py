"""The lemma report: every catalogue entry with an honest verdict.

For each entry the strongest evidence obtained is the verdict, and the kind of
evidence is never blurred:

* ``proved``    -- a symbolic proof (identities: SymPy, at symbolic size or at an
  explicit size, as stated) or a machine-checked proof chain (``chains``);
* ``certified`` -- ball-arithmetic branch and bound covering the statement's
  whole domain as checked (only for statements whose domain is bounded and
  size-free, e.g. E1);
* ``violated``  -- a counterexample confirmed in Arb and cross-checked in mpmath;
* ``searched``  -- no violation in N instances, with the worst ratio reached.

Every entry is also searched (the worst ratio is the tightness of a true bound)
and the certification runs are listed with their stated domains.

Any statement pack (:mod:`softproof.derivations.packs`) can be reported: the
verdict table, the claims in the paper's notation and the LaTeX of the proofs and
identities are generic (a proof chain of :mod:`chains` is used for a statement of
the same id only when it checks against that statement); the certification runs,
constants table, gradient derivation and plots belong to the catalogue of
arXiv:2304.13276 and appear only in its report (the default pack).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from softproof.derivations.derivation import current_umask
from softproof.derivations.statement import Statement

__all__ = [
    "EntryReport",
    "CertificationRun",
    "Report",
    "CERTIFICATION_RUNS",
    "run_report",
    "OutputDirError",
    "check_output_dir",
    "is_report_dir",
    "REPORT_MARKER",
    "write_report",
    "pack_info",
]

#: branch-and-bound runs of the report: (statement id, sizes, radius bounding
#: every entry the hypotheses leave unbounded, or None)
CERTIFICATION_RUNS: tuple[tuple[str, dict[str, int], float | None], ...] = (
    ("E1", {"n": 1, "d": 1}, None),
    ("E5", {"n": 2, "d": 1}, 1.0),
    ("E5", {"n": 3, "d": 1}, 1.0),
    ("P3", {"n": 2, "d": 2}, None),
    ("P3", {"n": 3, "d": 2}, None),
    ("S1", {"n": 2, "d": 1}, 4.0),
    ("S1", {"n": 2, "d": 2}, 4.0),
    ("E1-m-wide", {"n": 1, "d": 1}, None),
    ("E5-m-quarter", {"n": 2, "d": 1}, 1.0),
    ("P3-m-beta1", {"n": 2, "d": 2}, None),
    ("S1-m099", {"n": 2, "d": 1}, 4.0),
)


@dataclass
class EntryReport:
    """The verdict on one catalogue entry and the evidence behind it."""

    id: str
    title: str
    kind: str
    expected: bool | None
    verdict: str
    evidence: str
    instances: int = 0
    worst_ratio: float | None = None
    rejected: int = 0
    witness_file: str | None = None
    precision: str = ""
    seconds: float = 0.0
    chain_file: str | None = None
    certification: str = ""
    mutant_of: str | None = None
    #: the claim in the paper's notation (LaTeX)
    claim: str = ""

    @property
    def as_expected(self) -> bool:
        """True entries must not be violated; mutants must be."""
        if self.expected is None:
            return True
        return (self.verdict == "violated") != bool(self.expected)


@dataclass
class CertificationRun:
    """One branch-and-bound run with its stated domain."""

    id: str
    sizes: dict[str, int]
    outcome: str
    domain: str
    boxes: int
    seconds: float
    detail: str = ""


@dataclass
class Report:
    entries: list[EntryReport] = field(default_factory=list)
    certifications: list[CertificationRun] = field(default_factory=list)
    constants: list[dict[str, Any]] = field(default_factory=list)
    plots: dict[str, str] = field(default_factory=dict)
    derivation_file: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    #: what became of report.pdf (written, or why not)
    pdf_note: str = ""
    #: the pack reported: name, title, paper, description, default (see :func:`pack_info`)
    pack: dict[str, Any] = field(default_factory=lambda: pack_info(None))

    @property
    def is_default_pack(self) -> bool:
        """The catalogue of arXiv:2304.13276 (its own sections apply)."""
        return bool(self.pack.get("default", True))

    @property
    def unexpected(self) -> list[EntryReport]:
        return [e for e in self.entries if not e.as_expected]


def pack_info(pack: Any) -> dict[str, Any]:
    """What the report says about ``pack`` (a :class:`Pack`; ``None``: the default)."""
    if pack is None:
        from softproof.derivations.packs import DEFAULT_PACK, builtin_pack

        pack = builtin_pack(DEFAULT_PACK)
    return {
        "name": pack.name,
        "title": pack.title,
        "paper": pack.paper,
        "description": pack.description,
        "default": pack.is_default,
    }


# --------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------
class ProgressBar:
    """A one-line progress bar on stderr: ``[#####.....] 12/58 P4``."""

    def __init__(self, total: int, enabled: bool = True, width: int = 30) -> None:
        self.total, self.enabled, self.width = max(total, 1), enabled, width
        self.t0 = time.perf_counter()

    def show(self, done: int, label: str) -> None:
        if not self.enabled:
            return
        k = int(self.width * done / self.total)
        bar = "#" * k + "." * (self.width - k)
        secs = time.perf_counter() - self.t0
        print(
            f"\r[{bar}] {done}/{self.total} {label:<28.28} {secs:6.1f} s",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def line(self, done: int, label: str) -> None:
        """One line per finished task (tasks finish in any order on workers)."""
        if not self.enabled:
            return
        secs = time.perf_counter() - self.t0
        width = len(str(self.total))
        print(
            f"[{done:>{width}}/{self.total}] {label:<28.28} {secs:6.1f} s",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# One entry
# --------------------------------------------------------------------------
def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def check_entry(
    statement: Statement,
    budget: float,
    seed: int,
    chains: dict[str, Any],
    witness_dir: Path,
    chain_dir: Path,
) -> EntryReport:
    """The verdict of ``softproof check`` on ``statement`` (one function,
    :func:`softproof.numeric.search.check`: chain or identity prover first, then the
    search), with the chain checked once for the whole report (``chains``)."""
    from softproof.numeric.instance import save_witness
    from softproof.numeric.search import check

    result = chains.get(statement.id)
    res = check(
        statement,
        budget_seconds=budget,
        rng_seed=seed,
        progress=False,
        prove_seconds=max(budget, PROVE_SECONDS),
        chain_result=result,
    )
    rep = EntryReport(
        id=statement.id,
        title=statement.title,
        kind=statement.kind,
        expected=statement.expected,
        verdict=res.verdict,
        evidence=res.summary(),
        instances=res.instances,
        worst_ratio=_finite(res.worst_ratio),
        rejected=res.rejected,
        seconds=res.seconds,
        mutant_of=statement.mutant_of,
        precision=_search_precision(res),
        claim=_claim_latex(statement),
    )
    by_chain = getattr(res.prover, "by", "") == "chain"
    if res.verdict == "violated":
        conf = res.confirmation
        rep.precision = f"Arb {conf.prec} bits + mpmath {conf.dps} digits"
        path = witness_dir / f"{statement.id}.json"
        save_witness(path, statement, res.witness, conf)
        rep.witness_file = f"witnesses/{path.name}"
    elif res.verdict == "proved" and not by_chain:
        rep.precision = "exact (SymPy)"
        (chain_dir / f"{statement.id}.tex").write_text(_identity_document(statement))
        rep.chain_file = f"chains/{statement.id}.tex"
    if result is not None and rep.verdict != "violated":
        from softproof.derivations import chains as chain_mod

        ch = chain_mod.chain(statement.id)
        (chain_dir / f"{statement.id}.tex").write_text(
            chain_mod.to_document([ch], title=f"{statement.id}: {statement.title}")
        )
        rep.chain_file = f"chains/{statement.id}.tex"
        if by_chain:
            rep.precision = "exact (machine-checked chain)"
    return rep


def _search_precision(res: Any) -> str:
    """What the numbers of a search are: float64 screening, the worst ratio re-checked
    in Arb when the evidence says so."""
    if getattr(res, "worst_by", "") == "ball arithmetic":
        return "float64 screen, worst ratio in Arb (128 bits)"
    return "float64 screen"


#: Seconds the symbolic prover may take per entry in the report (at least the budget).
PROVE_SECONDS = 10.0


# --------------------------------------------------------------------------
# The whole report
# --------------------------------------------------------------------------
#: the marker file every report folder holds: the format on its first line, then one
#: line ``SHA256  PATH`` per file the report wrote (its manifest)
REPORT_MARKER = ".softproof-report"
REPORT_FORMAT = "softproof-report/2"


class OutputDirError(ValueError):
    """``--out`` names a folder the report may not replace (nothing was written)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _files_below(folder: Path) -> dict[str, Path] | None:
    """Every regular file below ``folder`` by its relative path (``/``-separated), or
    ``None`` if anything there is neither a regular file nor a folder (a link, ...)."""
    found: dict[str, Path] = {}
    stack = [folder]
    while stack:
        for entry in os.scandir(stack.pop()):
            if entry.is_symlink():
                return None
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                found[Path(entry.path).relative_to(folder).as_posix()] = Path(entry.path)
            else:
                return None
    return found


def write_manifest(folder: Path) -> None:
    """Write the marker of the finished report ``folder``: the format and the hash of
    every file in it, so a later run replaces only files it wrote, unchanged."""
    files = _files_below(folder) or {}
    lines = [REPORT_FORMAT] + [
        f"{_sha256(path)}  {rel}" for rel, path in sorted(files.items()) if rel != REPORT_MARKER
    ]
    (folder / REPORT_MARKER).write_text("\n".join(lines) + "\n", encoding="utf-8")


def is_report_dir(folder: Path) -> bool:
    """True iff ``folder`` is an earlier report left as written: its marker lists every
    file in it with the same hash (a file added or edited by hand makes it not one)."""
    marker = folder / REPORT_MARKER
    if marker.is_symlink() or not marker.is_file():
        return False
    try:
        lines = marker.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    if not lines or lines[0] != REPORT_FORMAT:
        return False
    listed: dict[str, str] = {}
    for line in lines[1:]:
        digest, sep, rel = line.partition("  ")
        if not sep or len(digest) != 64:
            return False
        listed[rel] = digest
    files = _files_below(folder)
    if files is None:
        return False
    files.pop(REPORT_MARKER, None)
    if set(files) != set(listed):
        return False
    return all(_sha256(path) == listed[rel] for rel, path in files.items())


def check_output_dir(out_dir: Path | str) -> Path:
    """The absolute report folder, after checking it may be (re)placed: it does not
    exist, or is an empty folder, or an earlier report; not a symbolic link, not the
    working folder nor one of its ancestors.  Raises :class:`OutputDirError`."""
    given = Path(os.path.abspath(os.fspath(out_dir)))
    if given.is_symlink():
        raise OutputDirError(f"--out {out_dir}: is a symbolic link; give a real folder")
    out = Path(os.path.realpath(given.parent)) / given.name  # through linked parents
    if not given.name or out == out.parent:
        raise OutputDirError(f"--out {out_dir}: cannot replace the root folder")
    cwd = Path(os.path.realpath(os.getcwd()))
    if out == cwd or out in cwd.parents:
        raise OutputDirError(
            f"--out {out_dir}: is the working folder (or contains it); give a new folder"
        )
    if out.exists():
        if not out.is_dir():
            raise OutputDirError(f"--out {out_dir}: exists and is not a folder")
        if any(os.scandir(out)) and not is_report_dir(out):
            raise OutputDirError(
                f"--out {out_dir}: a non-empty folder that is not an earlier report "
                f"(no {REPORT_MARKER}, or other files in it); nothing was written"
            )
    elif out.parent.exists() and not out.parent.is_dir():
        raise OutputDirError(f"--out {out_dir}: {out.parent} is not a folder")
    if out.parent.is_dir() and not os.access(out.parent, os.W_OK | os.X_OK):
        raise OutputDirError(f"--out {out_dir}: the folder {out.parent} is not writable")
    return out


def _swap_in(work: Path, out: Path) -> None:
    """Put the finished report ``work`` at ``out`` by renames: an earlier report (or
    empty folder) there is first renamed aside, then deleted once the new one is in."""
    if not out.exists():
        os.rename(work, out)
        return
    check_output_dir(out)
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    aside = old / "report"
    os.rename(out, aside)
    try:
        os.rename(work, out)
    except BaseException:
        os.rename(aside, out)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def run_report(
    entries: Iterable[Statement],
    out_dir: Path,
    budget: float = 2.0,
    seed: int = 0,
    certify_budget: float = 20.0,
    plots: bool = True,
    progress: bool = True,
    certification_runs: Iterable[tuple[str, dict[str, int], float | None]] = CERTIFICATION_RUNS,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
    pack: Any = None,
    executor: Executor | None = None,
) -> Report:
    """Check every entry and write the report into ``out_dir``.

    ``pack`` (a :class:`softproof.derivations.packs.Pack`, default the catalogue)
    is the pack the entries come from: outside the catalogue's pack no certification
    run, constants table, derivation or plot of the catalogue is used
    (``certification_runs`` is then ignored); a chain is used for a statement of its
    id only when it checks against that statement.

    The entries, chain checks and certification runs are tasks on ``executor``
    (:mod:`softproof.parallel`; default: one after the other in this process); the
    report is the same whichever runs them, apart from the timings.

    The report is built in a temporary folder beside ``out_dir`` and renamed into
    place; an existing ``out_dir`` is replaced only if it is empty or an earlier
    report (:func:`is_report_dir`), else :class:`OutputDirError` before any work.
    Nothing the toolkit did not write is ever deleted.
    """
    t0 = time.perf_counter()
    entries = list(entries)
    out = check_output_dir(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        info = pack_info(pack)
        report = _build(
            entries,
            work,
            budget,
            seed,
            certify_budget,
            plots and info["default"],
            progress,
            list(certification_runs) if info["default"] else [],
            log,
            info,
            executor,
        )
        report.seconds = time.perf_counter() - t0
        write_report(report, work, log=log)
        write_manifest(work)
        os.chmod(work, 0o777 & ~current_umask())
        _swap_in(work, out)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return report


def _build(
    entries,
    work: Path,
    budget,
    seed,
    certify_budget,
    plots,
    progress,
    cert_runs,
    log,
    info,
    ex=None,
):
    """Every entry, chain check and certification run as a task on ``ex`` (default:
    in this process); results are placed by entry, never by the order they finish."""
    from softproof.derivations import chains as chain_mod
    from softproof.parallel import InlineExecutor, submit

    ex = ex if ex is not None else InlineExecutor()
    inline = isinstance(ex, InlineExecutor)
    witness_dir, chain_dir = work / "witnesses", work / "chains"
    witness_dir.mkdir()
    chain_dir.mkdir()
    settings: dict[str, Any] = {"budget_per_entry_s": budget, "seed": seed}
    if info["default"]:
        settings["certify_budget_s"] = certify_budget
    else:
        settings["pack"] = info["name"]
    report = Report(settings=settings, pack=info)
    # a chain is checked against the statement it is used for (another pack's S1 is
    # proved by the S1 chain only if the chain's conclusion gives that statement);
    # only the chains of the entries reported are checked
    wanted = {st.id: st for st in entries}
    if info["default"]:
        chain_jobs = [
            (sid, None) for sid in chain_mod.ids() if chain_mod.chain(sid).statement_id in wanted
        ]
    else:
        have = set(chain_mod.ids())
        chain_jobs = [(st.id, st) for st in entries if st.id in have]
    chain_ids = [sid for sid, _ in chain_jobs]
    steps = len(chain_ids) + len(entries) + len(cert_runs) + (1 if plots else 0) + 1
    bar = ProgressBar(steps, enabled=progress)
    done = 0

    def run(label: str, fn: Callable[..., Any], *args: Any, step: bool = True) -> Future:
        """Submit a task (``step``: it counts as a step of the progress bar)."""
        nonlocal done
        if not inline:
            return submit(ex, fn, *args)
        bar.show(done, label)  # the task runs now, in this process
        fut = submit(ex, fn, *args)
        done += int(step)
        return fut

    def finished(fut: Future, label: str) -> Any:
        nonlocal done
        value = fut.result()
        if not inline:
            done += 1
            bar.line(done, label)
        return value

    chain_futs = [run(f"chain {sid}", _chain_task, sid, st) for sid, st in chain_jobs]
    if info["default"]:
        tables = run("constants", _constants_table, step=False)
        deriv = run("derivation", _derivation_text, step=False)
    cert_futs = {
        run(f"certify {sid}", _certify, sid, sizes, radius, certify_budget): i
        for i, (sid, sizes, radius) in enumerate(cert_runs)
    }
    chains: dict[str, Any] = {}
    for sid, fut in zip(chain_ids, chain_futs, strict=True):
        statement_id, result = finished(fut, f"chain {sid}")
        if statement_id is not None:
            chains[statement_id] = result
    entry_futs = {
        run(st.id, _entry_task, st, budget, seed, chains.get(st.id)): i
        for i, st in enumerate(entries)
    }
    reps: list[EntryReport | None] = [None] * len(entries)
    certs: list[CertificationRun | None] = [None] * len(cert_runs)
    for fut in as_completed([*entry_futs, *cert_futs]):
        if fut in entry_futs:
            i = entry_futs[fut]
            rep, files = finished(fut, entries[i].id)
            for rel, data in files.items():
                (work / rel).write_bytes(data)
            reps[i] = rep
        else:
            i = cert_futs[fut]
            certs[i] = finished(fut, f"certify {cert_runs[i][0]}")
    report.entries = [r for r in reps if r is not None]
    report.certifications = [c for c in certs if c is not None]
    _fold_certifications(report, wanted)
    if info["default"]:
        if inline:
            bar.show(done, "constants")
        report.constants = _constants(report, tables.result())
        (work / "derivation.tex").write_text(deriv.result())
        report.derivation_file = "derivation.tex"
    done += 1
    if plots:
        bar.show(done, "plots")
        from . import plots as plot_mod

        report.plots = plot_mod.make_all(report, work / "plots", seed=seed)
        done += 1
    bar.show(done, "done")
    bar.close()
    return report


def _chain_task(sid: str, statement: Statement | None = None) -> tuple[str | None, Any]:
    """The chain ``sid`` checked against ``statement`` (default: its catalogue
    statement, as ``chains.proved_entries``): ``(statement id or None, result)``."""
    from softproof.derivations import chains as chain_mod

    c = chain_mod.chain(sid)
    if statement is not None:
        return statement.id, c.check(statement=statement)
    if c.statement_id is None:
        return None, None
    return c.statement_id, c.check()


def _entry_task(
    statement: Statement, budget: float, seed: int, chain_result: Any
) -> tuple[EntryReport, dict[str, bytes]]:
    """:func:`check_entry` in a folder of its own (a worker may be another machine):
    the entry and the files it wrote, by their path in the report."""
    with tempfile.TemporaryDirectory(prefix="softproof-entry-") as tmp:
        witness_dir, chain_dir = Path(tmp) / "witnesses", Path(tmp) / "chains"
        witness_dir.mkdir()
        chain_dir.mkdir()
        chains = {} if chain_result is None else {statement.id: chain_result}
        rep = check_entry(statement, budget, seed, chains, witness_dir, chain_dir)
        files = {
            f"{folder.name}/{path.name}": path.read_bytes()
            for folder in (witness_dir, chain_dir)
            for path in sorted(folder.iterdir())
        }
    return rep, files


def _constants_table() -> list[dict[str, Any]]:
    """The constants table at n = 7, R = 4 (symbolic; a task of its own)."""
    from softproof.derivations import sharp

    return sharp.constants_table(7, 4.0)


def _derivation_text() -> str:
    """The derivation of the gradient and Hessian as a LaTeX document."""
    from softproof.derivations.derivation import gradient_hessian_chain

    return gradient_hessian_chain().to_document()


def _identity_document(statement: Statement) -> str:
    """A one-step LaTeX derivation of a proved identity, with its proof level."""
    from softproof.derivations.derivation import Derivation, Step

    step = Step(statement.id, statement.title, statement.claim, "SymPy, exact")
    step.prove(("symbolic",))
    if not step.results[0].proved:
        sizes = statement.sizes
        step.prove((("explicit", sizes.get("n", 7), sizes.get("d", 4)),))
    return Derivation(f"{statement.id}: {statement.title}", [step]).to_document()


def _level_text(level: str) -> str:
    return "for every n, d" if level == "symbolic" else str(level)


def _certify(
    sid: str, sizes: dict[str, int], radius: float | None, budget: float
) -> CertificationRun:
    """One branch-and-bound run."""
    from softproof.derivations.catalogue import get
    from softproof.numeric.certificate import check_certificate
    from softproof.numeric.certify import certify

    statement = get(sid)
    t0 = time.perf_counter()
    try:
        res = certify(statement, sizes=sizes, default_radius=radius, budget_seconds=budget)
    except ValueError as exc:
        return CertificationRun(
            sid, sizes, "not applicable", "", 0, time.perf_counter() - t0, str(exc)
        )
    outcome, detail = res.status, res.summary()
    if outcome == "certified" and not check_certificate(
        statement, res.certificate, sizes=res.domain.sizes, default_radius=radius
    ):
        outcome = "undecided"
        detail = "every box closed, but the independent checker rejected the certificate"
    return CertificationRun(
        id=sid,
        sizes=sizes,
        outcome=outcome,
        domain=res.domain.short(),
        boxes=res.boxes,
        seconds=res.seconds,
        detail=detail,
    )


def _fold_certifications(report: Report, statements: dict[str, Statement]) -> None:
    """A certification covers an entry only where it is size-free (the entry
    has no vector variables); otherwise it is listed as evidence at its sizes."""
    by_id = {e.id: e for e in report.entries}
    for run in report.certifications:
        e = by_id.get(run.id)
        if e is None or run.id not in statements:
            continue
        note = f"{run.outcome} at n={run.sizes['n']}, d={run.sizes['d']} on {run.domain}"
        e.certification = (e.certification + "; " if e.certification else "") + note
        size_free = set(statements[run.id].variables) <= {"t"}
        if run.outcome == "certified" and size_free and e.verdict == "searched":
            e.verdict = "certified"
            e.precision = "Arb balls (branch and bound)"
            e.evidence = f"certified on {run.domain}; also {e.evidence}"


def _constants(report: Report, table: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Paper constant vs best proved constant vs the worst case the search
    reached (observed constant = paper constant x worst ratio)."""
    import sympy as sp

    from softproof.derivations import sharp

    worst = {e.id: e.worst_ratio for e in report.entries}
    rows = []
    for row in sharp.constants_table(7, 4.0) if table is None else table:
        r = worst.get(row["id"])
        paper = _finite(row.get("paper_value"))
        rows.append(
            {
                "id": row["id"],
                "quantity": row["quantity"],
                "paper_constant": sp.latex(row["paper_constant"]),
                "paper": paper,
                "proved_constant": (
                    None if row["proved_constant"] is None else sp.latex(row["proved_constant"])
                ),
                "proved": _finite(row.get("proved_value")),
                "paper_over_proved": _finite(row.get("ratio")),
                "worst_ratio": r,
                "observed": None if (r is None or paper is None) else r * paper,
                "proved_by": row.get("status", ""),
                "sharpness": row.get("sharpness", ""),
            }
        )
    return rows


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------
_VERDICT_TEXT = {
    "proved": "proved",
    "certified": "certified",
    "violated": "VIOLATED",
    "searched": "searched",
    "undecided": "undecided",
}


def _fmt_ratio(r: float | None) -> str:
    """A ratio with the digits that show its slack: 0.999999929, never a rounded 1."""
    if r is None:
        return ""
    gap = abs(1.0 - r)
    digits = 6 if gap == 0 or gap >= 1e-4 else min(16, 3 - math.floor(math.log10(gap)))
    return f"{r:.{digits}g}"


def _claim_latex(statement: Statement) -> str:
    """The claim (with its hypotheses) in the paper's notation, or '' if it cannot be
    printed."""
    from softproof.derivations.printing import relation_to_latex

    try:
        text = relation_to_latex(statement.claim)
        if statement.hypotheses:
            text += r"\ \text{if}\ " + r",\ ".join(map(relation_to_latex, statement.hypotheses))
    except Exception:  # printing is a courtesy: never lose a verdict over it
        return ""
    return text


def _md_math(latex: str) -> str:
    """LaTeX for a Markdown table cell: ``$...$`` with the bars spelled out."""
    if not latex:
        return ""
    return "$" + latex.replace(r"\|", r"\Vert ").replace("|", r"\vert ") + "$"


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    """The report as Markdown."""
    out = ["# softproof lemma report", ""]
    if not report.is_default_pack:
        info = report.pack
        paper = f" ({info['paper']})" if info.get("paper") else ""
        out = [f"# softproof report: {info.get('title') or info['name']}{paper}", ""]
        if info.get("description"):
            out += [_md_escape(info["description"]), ""]
    counts: dict[str, int] = {}
    for e in report.entries:
        counts[e.verdict] = counts.get(e.verdict, 0) + 1
    out.append(
        "Verdicts: "
        + ", ".join(f"{_VERDICT_TEXT.get(k, k)} {v}" for k, v in sorted(counts.items()))
        + f". Total time {report.seconds:.0f} s."
    )
    out += [
        "",
        "*proved*: symbolic proof (the level is stated) or machine-checked chain; "
        "*certified*: ball-arithmetic branch and bound on the stated domain; "
        "*VIOLATED*: counterexample confirmed in Arb and mpmath (witness saved); "
        "*searched*: no violation found in N instances, not a proof. "
        "Worst ratio: the largest LHS/RHS reached by the search (for identities, the "
        "largest relative difference over the tolerance).",
        "",
    ]
    bad = report.unexpected
    if bad:
        out += ["**Unexpected verdicts**: " + ", ".join(e.id for e in bad), ""]
    else:
        out += [
            "Every true entry holds as far as checked and every seeded mutant is "
            "violated with a confirmed witness.",
            "",
        ]
    out += [
        "## Entries",
        "",
        "| id | statement | kind | expected | verdict | instances | worst ratio | precision "
        "| time (s) | evidence |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in report.entries:
        exp = "mutant" if e.expected is False else ("true" if e.expected else "?")
        ev = e.evidence
        if e.witness_file:
            ev += f" [witness]({e.witness_file})"
        if e.chain_file:
            ev += f" [proof, LaTeX]({e.chain_file})"
        if e.certification:
            ev += f"; certification: {e.certification}"
        out.append(
            f"| {e.id} | {_md_math(e.claim)} | {e.kind} | {exp} | "
            f"{_VERDICT_TEXT.get(e.verdict, e.verdict)} | "
            f"{e.instances} | {_fmt_ratio(e.worst_ratio)} | {e.precision} | {e.seconds:.1f} | "
            f"{_md_escape(ev)} |"
        )
    if report.certifications:
        out += [
            "",
            "## Certification runs (ball arithmetic, branch and bound)",
            "",
            "| id | n | d | outcome | domain | boxes | time (s) | detail |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for c in report.certifications:
            out.append(
                f"| {c.id} | {c.sizes['n']} | {c.sizes['d']} | {c.outcome} | "
                f"{_md_escape(c.domain)} | {c.boxes} | {c.seconds:.1f} | {_md_escape(c.detail)} |"
            )
    if report.constants:
        out += [
            "",
            "## Constants: the paper's, the best proved, the worst observed (n = 7, R = 4)",
            "",
            "| id | paper constant | best proved | observed (search) | paper / proved "
            "| proved / observed | proved by |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in report.constants:
            proved, observed = _finite(r.get("proved")), _finite(r.get("observed"))
            gap = proved / observed if proved and observed else None
            out.append(
                f"| {r['id']} | {_sci(r.get('paper'))} | {_sci(proved)} | {_sci(observed)} | "
                f"{_sci(r.get('paper_over_proved'))} | {_sci(gap)} | "
                f"{_md_escape(str(r.get('proved_by', '')))} |"
            )
        out += [
            "",
            "Observed: the paper's constant times the worst ratio the search reached "
            "(a lower bound on the true constant); proved: the best constant with a "
            "machine-checked chain (an upper bound).",
        ]
    s3 = [e for e in report.entries if e.id.startswith("S3") and report.is_default_pack]
    if s3:
        out += [
            "",
            "## S3: bounds on sup ||B(x)|| and how close the search gets",
            "",
            "| id | claim | verdict | worst ratio (search) |",
            "|---|---|---|---|",
        ]
        for e in s3:
            out.append(
                f"| {e.id} | {_md_escape(e.title)} | {_VERDICT_TEXT.get(e.verdict)} | "
                f"{_fmt_ratio(e.worst_ratio)} |"
            )
    if report.plots:
        out += ["", "## Plots", ""]
        for title, path in report.plots.items():
            out += [f"### {title}", "", f"![{title}]({path})", ""]
    if report.derivation_file:
        out += [
            "",
            f"The derivation of the gradient and Hessian as LaTeX: "
            f"[{report.derivation_file}]({report.derivation_file}).",
            "",
        ]
    out += ["", "Settings: " + ", ".join(f"{k} = {v}" for k, v in report.settings.items()), ""]
    return "\n".join(out)


def _sci(v: Any) -> str:
    f = _finite(v)
    if f is None:
        return "" if v is None else str(v)
    return f"{f:.3g}"


def to_json(report: Report) -> str:
    doc = {
        "entries": [asdict(e) | {"as_expected": e.as_expected} for e in report.entries],
        "certifications": [asdict(c) for c in report.certifications],
        "constants": report.constants,
        "plots": report.plots,
        "derivation": report.derivation_file,
        "settings": report.settings,
        "seconds": report.seconds,
        "pack": report.pack,
    }
    return json.dumps(doc, indent=1, default=str)


def write_report(
    report: Report,
    folder: Path,
    pdf: bool = True,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
) -> None:
    """Write ``report.md`` and ``report.json`` (for machines), then ``report.tex`` and,
    when pdflatex is on PATH, ``report.pdf`` (for people).  The Markdown and JSON are
    written first: a LaTeX failure never loses them; it is reported through ``log``
    (its pdflatex log kept as ``report-pdf.log``), never raised."""
    (folder / "report.md").write_text(to_markdown(report))
    (folder / "report.json").write_text(to_json(report) + "\n")
    if not pdf:
        return
    from . import report_tex

    try:
        (folder / "report.tex").write_text(report_tex.to_latex(report, folder))
    except Exception as exc:  # the PDF is a courtesy: never lose the report over it
        report.pdf_note = f"report.tex not written: {type(exc).__name__}: {exc}"
        log(report.pdf_note)
        return
    ok, message, tex_log = report_tex.compile_pdf(folder)
    report.pdf_note = message
    if ok:
        log("report.tex and report.pdf written")
    else:
        if tex_log:
            (folder / "report-pdf.log").write_text(tex_log)
            message += "; pdflatex's log in report-pdf.log"
        log(f"report.pdf: {message} (report.md and report.json are complete)")
