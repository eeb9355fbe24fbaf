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


#: the legend of each curve (matplotlib mathtext)
T1_LABEL = r"T1: $M = n^{3/2} e^{10R^2}$"
P4_LABEL = r"P4: $4 n^{3/2} R\, e^{2R^2} / \beta^2$, $\beta = e^{-R^2}$"
PROVED_LABEL = r"proved (S1): $R/2$"
OBSERVED_LABEL = "observed worst case (search)"
#: the paper's theorems assume R >= 4: their constants are drawn only there
PAPER_MIN_R = 4.0


def log10_paper_constants(R_value: float, n: int) -> dict[str, float]:
    """log10 of the paper's constants and the proved one, by legend label (mpmath:
    ``e^{10 R^2}`` overflows float64)."""
    Rm, nm = mpmath.mpf(R_value), mpmath.mpf(n)
    M = nm**1.5 * mpmath.exp(10 * Rm**2)  # T1, T2
    P4 = 4 * nm**1.5 * Rm * mpmath.exp(4 * Rm**2)  # P4 with beta = e^{-R^2}
    return {
        T1_LABEL: float(mpmath.log10(M)),
        P4_LABEL: float(mpmath.log10(P4)),
        PROVED_LABEL: math.log10(R_value / 2),
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


_STYLE = {
    T1_LABEL: {"color": "tab:red", "marker": "s"},
    P4_LABEL: {"color": "tab:orange", "marker": "^"},
    PROVED_LABEL: {"color": "tab:blue", "marker": "o", "linewidth": 2},
    OBSERVED_LABEL: {"color": "tab:green", "marker": "x", "linestyle": "--"},
}


def _power_of_ten(ax: Any) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"$10^{{{int(round(v))}}}$"))


def tick_label_overlaps(fig: Any) -> list[tuple[str, str]]:
    """Pairs of tick labels on the same axis of ``fig`` whose drawn boxes overlap."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    found = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            boxes = [
                (t.get_text(), t.get_window_extent(renderer))
                for t in axis.get_ticklabels()
                if t.get_visible() and t.get_text()
            ]
            for i, (a, ba) in enumerate(boxes):
                for b, bb in boxes[i + 1 :]:
                    if ba.overlaps(bb):
                        found.append((a, b))
    return found


def bounds_data(budget: float = 0.6, seed: int = 0) -> dict[str, Any]:
    """The curves of :func:`plot_bounds`: for each panel the x values and, by label,
    the log10 values (``None`` where the paper's hypothesis R >= 4 fails)."""
    data: dict[str, Any] = {}
    for key, xs in (("R", R_VALUES), ("n", N_VALUES)):
        series: dict[str, list[float | None]] = {}
        observed = []
        for v in xs:
            Rv, nv = (float(v), 7) if key == "R" else (4.0, int(v))
            for name, val in log10_paper_constants(Rv, nv).items():
                holds = name == PROVED_LABEL or Rv >= PAPER_MIN_R
                series.setdefault(name, []).append(val if holds else None)
            observed.append(observed_lipschitz(Rv, nv, budget, seed))
        series[OBSERVED_LABEL] = [math.log10(max(o, 1e-300)) for o in observed]
        data[key] = {"x": list(xs), "series": series, "observed": observed}
    return data


def plot_bounds(
    path: Path, budget: float = 0.6, seed: int = 0, p4_observed: float | None = None
) -> tuple[Path, dict[str, Any]]:
    """Three panels: the constants against R (n = 7) and against n (R = 4) on a log
    scale, and the proved R/2 against the observed constant on a linear scale (where
    the two are told apart).  Returns the path and the plotted data."""
    data = bounds_data(budget, seed)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.2), gridspec_kw={"width_ratios": [1, 1, 0.9]})
    for ax, key, xlabel in ((axes[0], "R", "$R$  ($n = 7$)"), (axes[1], "n", "$n$  ($R = 4$)")):
        xs = data[key]["x"]
        for name, vals in data[key]["series"].items():
            pts = [(x, v) for x, v in zip(xs, vals, strict=True) if v is not None]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], label=name, **_STYLE[name])
        if key == "R":
            ax.axvspan(min(xs) - 0.3, PAPER_MIN_R, color="0.9", zorder=0)
            ax.text(
                (min(xs) + PAPER_MIN_R) / 2,
                0.55,
                "paper's\nhypotheses\nneed $R \\geq 4$",
                transform=ax.get_xaxis_transform(),
                ha="center",
                fontsize=8,
                color="0.35",
            )
            ax.set_xlim(min(xs) - 0.3, max(xs) + 0.3)
            ax.set_xticks(xs)
        else:
            ax.set_xscale("log", base=2)
            ax.set_xticks(xs)
            ax.set_xticklabels([str(x) for x in xs])
            ax.minorticks_off()
        _power_of_ten(ax)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Lipschitz constant of $f$ (log scale)")
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8, loc="upper left")
    axes[0].set_title("against $R$", fontsize=10)
    axes[1].set_title("against $n$", fontsize=10)
    ax = axes[2]
    xs, obs = data["R"]["x"], data["R"]["observed"]
    ax.plot(xs, [x / 2 for x in xs], label=PROVED_LABEL, **_STYLE[PROVED_LABEL])
    ax.plot(xs, obs, label=OBSERVED_LABEL, **_STYLE[OBSERVED_LABEL])
    ax.fill_between(xs, obs, [x / 2 for x in xs], color="tab:blue", alpha=0.12)
    if p4_observed is not None:
        ax.plot(
            [PAPER_MIN_R],
            [p4_observed],
            linestyle="none",
            marker="*",
            markersize=12,
            color="tab:purple",
            label="observed under P4's hypotheses (report's search)",
        )
        ax.annotate(
            f"{p4_observed:.3g}",
            xy=(PAPER_MIN_R, p4_observed),
            xytext=(8, -4),
            textcoords="offset points",
            fontsize=8,
            color="tab:purple",
        )
    data["p4_observed"] = p4_observed
    i4 = xs.index(PAPER_MIN_R) if PAPER_MIN_R in xs else None
    if i4 is not None:
        ax.annotate(
            f"$R = 4$: {xs[i4] / 2:g} proved\nvs {obs[i4]:.3f} observed",
            xy=(xs[i4], obs[i4]),
            xytext=(xs[i4] - 2.6, xs[-1] / 2 * 0.72),
            fontsize=8,
            arrowprops={"arrowstyle": "->", "color": "0.3"},
        )
    ax.set_xticks(xs)
    ax.set_xlabel("$R$  ($n = 7$)")
    ax.set_ylabel("Lipschitz constant of $f$ (linear scale)")
    ax.set_title("proved vs observed, zoomed in", fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    data["tick_overlaps"] = tick_label_overlaps(fig)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path, data


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
    ax.loglog(
        [p[0] for p in pts], [p[1] for p in pts], marker="o", label="S1: 1 \u2212 worst ratio"
    )
    ax.axhline(0.01, color="r", linestyle="--", label="below: the $0.99$ mutant is caught")
    ax.axhline(
        1e-5, color="tab:purple", linestyle=":", label="below: the $0.99999$ mutant is caught"
    )
    ax.set_xlabel("instances evaluated (random screening, adversarial optimiser, Hypothesis)")
    ax.set_ylabel("1 \u2212 worst LHS/RHS reached")
    ax.set_ylim(min(min(p[1] for p in pts), 1e-5) / 3, 1.5)
    ax.set_title("Search converging on the worst case of S1 ($n = 7$, $d = 4$)", fontsize=10)
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


def _plural(k: int, word: str, many: str) -> str:
    return f"{k} {word if k == 1 else many}"


def _count(leaves: list[dict[str, Any]], key: str) -> str:
    k = sum(1 for leaf in leaves if (leaf["rule"] or leaf["decision"]) == key)
    return _plural(k, "box", "boxes")


def plot_coverage(
    path: Path,
    radius: float = 1.25,
    budget: float = 20.0,
    details: dict[str, Any] | None = None,
) -> tuple[Path, str]:
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
    ax.plot(t, margin, color="k", label=r"margin $2|t| - |e^t - 1|$")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[k], alpha=0.4) for k in rules]
    ax.legend(
        [ax.lines[0], *handles],
        [r"margin $2|t| - |e^t - 1|$", *[f"{_count(leaves, k)} decided by: {k}" for k in rules]],
        fontsize=8,
        loc="upper center",
    )
    ax.set_xlim(-radius, radius)
    ax.set_ylim(0, top)
    ax.set_xlabel("$t$")
    ax.set_ylabel("margin (claim holds where positive)")
    ax.set_title(
        f"Branch and bound: {res.status} on $|t| \\leq {radius:g}$, "
        f"{_plural(len(leaves), 'leaf', 'leaves')}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    if details is not None:
        details.update(
            status=res.status,
            leaves=len(leaves),
            by_rule={
                k: sum(1 for lf in leaves if (lf["rule"] or lf["decision"]) == k) for k in rules
            },
            radius=radius,
        )
    return path, res.summary()


def coverage_caption(details: dict[str, Any]) -> str:
    """The caption of the coverage plot, from the run it shows."""
    rules = ", ".join(
        f"{_plural(k, 'box', 'boxes')} by {rule}" for rule, k in details["by_rule"].items()
    )
    return (
        f"Branch and bound on E1's inequality $|e^t - 1| \\leq 2|t|$ over "
        f"$|t| \\leq {details['radius']:g}$ (the inequality holds up to $|t| = 1.2564$): "
        f"{details['status']}, the {_plural(details['leaves'], 'leaf', 'leaves')} of the run "
        f"({rules}) over the margin $2|t| - |e^t - 1|$"
    )


def bounds_caption(data: dict[str, Any]) -> str:
    """The caption of the bounds plot, with the values it shows at n = 7, R = 4."""
    xs, obs = data["R"]["x"], data["R"]["observed"]
    at4 = ""
    if PAPER_MIN_R in xs:
        o = obs[xs.index(PAPER_MIN_R)]
        at4 = f"; at $n = 7$, $R = 4$: {PAPER_MIN_R / 2:g} proved vs {o:.3f} observed"
        if data.get("p4_observed") is not None:
            at4 += (
                f" ({data['p4_observed']:.3g} observed by the report's search under P4's "
                "hypotheses, the star)"
            )
    return (
        "The paper's constants (T1's $M = n^{3/2} e^{10R^2}$, P4's chain constant "
        "$4 n^{3/2} R e^{2R^2}/\\beta^2$ with $\\beta = e^{-R^2}$), drawn only where "
        "their hypothesis $R \\geq 4$ holds, against the proved $R/2$ (S1) and the worst "
        "case the search finds, against $R$ and $n$ on a log scale; right: the proved "
        f"and the observed constant on a linear scale{at4}"
    )


def make_all(report: Any, folder: Path, seed: int = 0) -> dict[str, str]:
    """Every plot of the report; returns caption -> path relative to the report (the
    captions state what each figure shows: its values, boxes and domains)."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    p4 = next(
        (r.get("observed") for r in getattr(report, "constants", []) if r.get("id") == "P4"),
        None,
    )
    _, data = plot_bounds(folder / "bounds.png", seed=seed, p4_observed=p4)
    out[bounds_caption(data)] = "plots/bounds.png"
    plot_convergence(folder / "convergence.png", seed=seed)
    out[
        "The gap $1 -$ worst ratio the search reaches on S1 ($n = 7$, $d = 4$; the proved "
        "bound is ratio 1) against the instances evaluated, one run per budget from "
        "0.05 s to 3.2 s; below the dashed line the 0.99 mutant is caught, below the "
        "dotted line the 0.99999 mutant"
    ] = "plots/convergence.png"
    details: dict[str, Any] = {}
    plot_coverage(folder / "coverage.png", details=details)
    out[coverage_caption(details)] = "plots/coverage.png"
    return out
