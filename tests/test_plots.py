"""The report's plots (softproof.plots)."""

from __future__ import annotations

import math

from softproof import plots


def test_coverage_plot_of_a_branch_and_bound_run(tmp_path):
    path, summary = plots.plot_coverage(tmp_path / "c.png", radius=1.25, budget=10)
    assert path.stat().st_size > 1000 and summary.startswith("certified")
    # past |t| = 1.2564... the inequality is false: the same run must say so
    _, summary = plots.plot_coverage(tmp_path / "d.png", radius=1.3, budget=10)
    assert summary.startswith("violated")


def test_paper_constants_and_the_observed_lipschitz_constant():
    logs = plots.log10_paper_constants(4.0, 7)
    assert abs(logs["T1: M = n^1.5 e^{10R^2}"] - math.log10(5.685e70)) < 1e-3
    observed = plots.observed_lipschitz(4.0, 2, budget=0.5, seed=0)
    # never above the proved R/2, and the search gets close to it at n = 2
    assert 1.0 < observed <= 2.0 + 1e-12
