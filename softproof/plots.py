"""The report's plots (matplotlib, PNG, no screen needed).

* ``bounds``: the paper's constants (T1's M, P4's chain constant) against the
  best proved constant (S1: R/2) and the worst case the search attains, as
  functions of R and of n, on a log scale;
* ``convergence``: the worst ratio of the S1 search against the number of
  instances evaluated;
* ``coverage``: the leaves of a branch-and-bound run (E1's inequality on
  ``|t| <= 1.25``), coloured by the test that decided them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mpmath  # noqa: E402

from softproof.derivations.grammar import parse_relation  # noqa: E402
from softproof.derivations.model import R  # noqa: E402
from softproof.derivations.statement import Statement  # noqa: E402

__all__ = ["make_all", "lipschitz_statement", "log10_paper_constants", "observed_lipschitz"]

R_VALUES = (1.0, 2.0, 4.0, 6.0, 8.0)
N_VALUES = (2, 4, 7, 16, 32)


def lipschitz_statement(R_value: float, n: int, d: int = 4) -> Statement:
    """``||f(x) - f(y)||_2 <= (R/2) ||x - y||_2`` on ``||A|| <= R``: its worst
    ratio times ``R/2`` is the observed Lipschitz constant of f."""
    params = {"R": R}
    hyps = ("opnorm(A) <= R", "norm2(x) <= R", "norm2(y) <= R")
    return Statement(
        id=f"lipschitz-f-R{R_value:g}-n{n}",
        title="observed Lipschitz constant of f",
        claim=parse_relation("norm2(f(x) - f(y)) <= (R/2) * norm2(x - y)", parameters=params),
        hypotheses=tuple(parse_relation(h, parameters=params) for h in hyps),
        sizes={"n": n, "d": d},
        parameters={"R": R_value},
        expected=True,
        source="ours (S1)",
    )


def log10_paper_constants(R_value: float, n: int) -> dict[str, float]:
    """log10 of the paper's constants (mpmath: ``e^{10 R^2}`` overflows float64)."""
    Rm, nm = mpmath.mpf(R_value), mpmath.mpf(n)
    M = nm**1.5 * mpmath.exp(10 * Rm**2)  # T1, T2
    P4 = 4 * nm**1.5 * Rm * mpmath.exp(4 * Rm**2)  # P4 with beta = e^{-R^2}
    return {
        "T1: M = n^1.5 e^{10R^2}": float(mpmath.log10(M)),
        "P4: 4 n^1.5 R e^{4R^2}": float(mpmath.log10(P4)),
        "proved (S1): R/2": math.log10(R_value / 2),
    }


def observed_lipschitz(R_value: float, n: int, budget: float, seed: int) -> float:
    """The largest ``||f(x) - f(y)|| / ||x - y||`` the search reaches."""
    from softproof.numeric.search import check

    res = check(
        lipschitz_statement(R_value, n),
        budget_seconds=budget,
        rng_seed=seed,
        progress=False,
        prove=False,
    )
    return float(res.worst_ratio) * R_value / 2


def plot_bounds(path: Path, budget: float = 0.6, seed: int = 0) -> Path:
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (xs, label, key) in zip(
        axes,
        ((R_VALUES, "R (n = 7)", "R"), (N_VALUES, "n (R = 4)", "n")),
        strict=True,
    ):
        series: dict[str, list[float]] = {}
        observed = []
        for v in xs:
            Rv, nv = (v, 7) if key == "R" else (4.0, int(v))
            for name, val in log10_paper_constants(Rv, nv).items():
                series.setdefault(name, []).append(val)
            observed.append(math.log10(max(observed_lipschitz(Rv, nv, budget, seed), 1e-300)))
        for name, vals in series.items():
            ax.plot(xs, vals, marker="o", label=name)
        ax.plot(xs, observed, marker="x", linestyle="--", label="observed worst case (search)")
        ax.set_xlabel(label)
        ax.set_ylabel("log10 of the Lipschitz constant of f")
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Paper bound vs proved bound vs observed worst case")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_convergence(path: Path, seed: int = 0) -> Path:
    """The gap ``1 - worst ratio`` of the S1 search (the proved bound is ratio 1)
    against instances evaluated, for budgets doubling from 0.05 s."""
    from softproof.derivations.catalogue import get
    from softproof.numeric.search import check

    st = get("S1")
    pts = []
    for budget in (0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2):
        res = check(st, budget_seconds=budget, rng_seed=seed, progress=False)
        gap = 1.0 - float(res.worst_ratio)
        pts.append((max(res.instances, 1), max(gap, 1e-17)))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog([p[0] for p in pts], [p[1] for p in pts], marker="o", label="S1: 1 - worst ratio")
    ax.axhline(0.01, color="r", linestyle="--", label="gap below which the 0.99 mutant fails")
    ax.axhline(
        1e-5, color="tab:purple", linestyle=":", label="gap below which the 0.99999 mutant fails"
    )
    ax.set_xlabel("instances evaluated (random screening, L-BFGS-B, Hypothesis)")
    ax.set_ylabel("1 - worst LHS/RHS reached")
    ax.set_title("Search converging on the worst case of S1 (n = 7, d = 4)")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def e1_wide_statement(radius: float = 1.25) -> Statement:
    """E1's inequality ``|e^t - 1| <= 2|t|`` on the wider domain ``|t| <= radius``
    (true up to ``|t| = 1.2564...``): a run where branch and bound has to split."""
    return Statement(
        id=f"E1-on-{radius:g}",
        title=f"|e^t - 1| <= 2|t| for |t| <= {radius:g}",
        claim=parse_relation("abs(exp(t) - 1) <= 2*abs(t)"),
        hypotheses=(parse_relation(f"abs(t) <= {radius!r}"),),
        sizes={"n": 1, "d": 1},
        source="ours (E1 on a wider domain)",
    )


def plot_coverage(path: Path, radius: float = 1.25, budget: float = 20.0) -> tuple[Path, str]:
    """The leaves of a branch-and-bound run of :func:`e1_wide_statement` on the
    t axis, coloured by the test that decided each, over the margin
    ``2|t| - |e^t - 1|``; returns the path and the run's one-line summary."""
    import numpy as np

    from softproof.numeric.certify import certify, coverage_boxes

    res = certify(e1_wide_statement(radius), sizes={"n": 1, "d": 1}, budget_seconds=budget)
    leaves = coverage_boxes(res)
    rules = sorted({leaf["rule"] or leaf["decision"] for leaf in leaves})
    colours = dict(zip(rules, plt.cm.tab10.colors, strict=False))
    fig, ax = plt.subplots(figsize=(7, 4))
    t = np.linspace(-radius, radius, 801)
    margin = 2 * np.abs(t) - np.abs(np.expm1(t))
    top = float(margin.max()) * 1.1
    for leaf in leaves:
        lo, hi = leaf["bounds"]["t"]
        key = leaf["rule"] or leaf["decision"]
        ax.add_patch(
            plt.Rectangle(
                (lo, 0),
                hi - lo,
                top,
                facecolor=colours[key],
                edgecolor="k",
                linewidth=0.5,
                alpha=0.3,
            )
        )
    ax.plot(t, margin, color="k", label="margin 2|t| - |e^t - 1|")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[k], alpha=0.4) for k in rules]
    ax.legend(
        [ax.lines[0], *handles],
        ["margin 2|t| - |e^t - 1|", *[f"box decided by: {k}" for k in rules]],
        fontsize=8,
        loc="upper center",
    )
    ax.set_xlim(-radius, radius)
    ax.set_ylim(0, top)
    ax.set_xlabel("t")
    ax.set_title(f"Branch and bound: {res.status} on |t| <= {radius:g}, {len(leaves)} leaves")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path, res.summary()


def make_all(report: Any, folder: Path, seed: int = 0) -> dict[str, str]:
    """Every plot of the report; returns title -> path relative to the report."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    plot_bounds(folder / "bounds.png", seed=seed)
    out["Paper bound vs proved bound vs observed worst case"] = "plots/bounds.png"
    plot_convergence(folder / "convergence.png", seed=seed)
    out["Search convergence on S1"] = "plots/convergence.png"
    _, summary = plot_coverage(folder / "coverage.png")
    out[f"Certified domain coverage (E1's inequality, {summary})"] = "plots/coverage.png"
    return out
