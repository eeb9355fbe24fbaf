"""The report's plots (matplotlib, PNG, no screen needed).

* ``bounds``: the paper's constants (T1's M, P4's chain constant) against the
  best proved constant (S1: R/2) and the worst case the search attains, as
  functions of R and of n, on a log scale;
* ``convergence``: the worst ratio of the S1 search against the number of
  instances evaluated;
* ``coverage``: the boxes of a branch-and-bound certification run, coloured by
  what decided them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mpmath  # noqa: E402

from derivations.grammar import parse_relation  # noqa: E402
from derivations.model import R  # noqa: E402
from derivations.statement import Statement  # noqa: E402

__all__ = ["make_all", "lipschitz_statement", "log10_paper_constants", "observed_lipschitz"]

#: certification runs whose boxes are drawn
COVERAGE_PLOTS = ("S1 ", "E5 ")
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
    from numeric.search import check

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
    from derivations.catalogue import get
    from numeric.search import check

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
        4.5e-6, color="tab:purple", linestyle=":", label="gap below which the 0.99999 mutant fails"
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


_COLOURS = {"claim": "tab:green", "hypothesis-false": "tab:gray", "undecided": "tab:red"}
_LABELS = {
    "claim": "claim proved on the box",
    "hypothesis-false": "a hypothesis fails on the box",
    "undecided": "undecided",
}


def _projection(boxes: list[dict[str, Any]]) -> list[str]:
    """The (at most two) coordinates that vary most across the boxes."""
    names = list(boxes[0]["bounds"])

    def spread(nm: str) -> float:
        los = [b["bounds"][nm][0] for b in boxes]
        his = [b["bounds"][nm][1] for b in boxes]
        return max(his) - min(los)

    return sorted(names, key=spread, reverse=True)[:2]


def plot_coverage(path: Path, boxes: list[dict[str, Any]], title: str) -> Path:
    """Boxes of a certification run projected on the two coordinates that vary
    most (one coordinate: intervals on a line), coloured by their decision."""
    fig, ax = plt.subplots(figsize=(6, 4.5))
    axes = _projection(boxes)
    for box in boxes:
        colour = _COLOURS.get(box["decision"], "tab:blue")
        (x0, x1) = box["bounds"][axes[0]]
        (y0, y1) = box["bounds"][axes[1]] if len(axes) > 1 else (0.0, 1.0)
        ax.add_patch(
            plt.Rectangle(
                (x0, y0),
                x1 - x0,
                y1 - y0,
                facecolor=colour,
                edgecolor="k",
                linewidth=0.2,
                alpha=0.35,
            )
        )
    ax.autoscale_view()
    ax.set_xlabel(axes[0])
    ax.set_ylabel(axes[1] if len(axes) > 1 else "")
    used = sorted({b["decision"] for b in boxes})
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=_COLOURS.get(k, "tab:blue"), alpha=0.5) for k in used
    ]
    ax.legend(handles, [_LABELS.get(k, k) for k in used], fontsize=8)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def make_all(report: Any, folder: Path, seed: int = 0) -> dict[str, str]:
    """Every plot of the report; returns title -> path relative to the report."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    plot_bounds(folder / "bounds.png", seed=seed)
    out["Paper bound vs proved bound vs observed worst case"] = "plots/bounds.png"
    plot_convergence(folder / "convergence.png", seed=seed)
    out["Search convergence on S1"] = "plots/convergence.png"
    for run_id, boxes in report.coverage.items():
        if boxes and run_id.startswith(COVERAGE_PLOTS):
            name = "coverage-" + run_id.replace(" ", "_").replace("=", "") + ".png"
            plot_coverage(folder / name, boxes, f"Branch-and-bound coverage: {run_id}")
            out[f"Certified domain coverage ({run_id})"] = f"plots/{name}"
    return out
