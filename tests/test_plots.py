"""The report's plots (softproof.plots)."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.mathtext import MathTextParser

from softproof import plots


def test_coverage_plot_of_a_branch_and_bound_run(tmp_path):
    details: dict = {}
    path, summary = plots.plot_coverage(tmp_path / "c.png", radius=1.25, budget=10, details=details)
    assert path.stat().st_size > 1000 and summary.startswith("certified")
    # the caption states the run the figure shows: its leaves, by the test that decided them
    caption = plots.coverage_caption(details)
    assert sum(details["by_rule"].values()) == details["leaves"]
    assert f"{details['leaves']} leaves" in caption and "certified" in caption
    assert "$|t| \\leq 1.25$" in caption and "1 boxes" not in caption
    # past |t| = 1.2564... the inequality is false: the same run must say so
    _, summary = plots.plot_coverage(tmp_path / "d.png", radius=1.3, budget=10)
    assert summary.startswith("violated")


def test_plural_in_captions():
    caption = plots.coverage_caption(
        {"status": "certified", "leaves": 1, "by_rule": {"direct": 1}, "radius": 0.5}
    )
    assert "the 1 leaf of the run (1 box by direct)" in caption


def test_paper_constants_and_the_observed_lipschitz_constant():
    logs = plots.log10_paper_constants(4.0, 7)
    assert abs(logs[plots.T1_LABEL] - math.log10(5.685e70)) < 1e-3
    observed = plots.observed_lipschitz(4.0, 2, budget=0.5, seed=0)
    # never above the proved R/2, and the search gets close to it at n = 2
    assert 1.0 < observed <= 2.0 + 1e-12


def test_legends_are_mathtext():
    parser = MathTextParser("agg")
    for label in (plots.T1_LABEL, plots.P4_LABEL, plots.PROVED_LABEL):
        assert label.count("$") >= 2
        parser.parse(label, dpi=72)  # raises on bad mathtext
    assert "10R^2" in plots.T1_LABEL and "1.5" not in plots.T1_LABEL


def test_bounds_plot_draws_the_paper_only_where_R_is_at_least_4(tmp_path):
    path, data = plots.plot_bounds(tmp_path / "b.png", budget=0.1, seed=0, p4_observed=1.13)
    assert path.stat().st_size > 1000
    by_R = dict(zip(data["R"]["x"], data["R"]["series"][plots.T1_LABEL], strict=True))
    assert all((v is None) == (R < 4) for R, v in by_R.items())
    assert all(v is not None for v in data["R"]["series"][plots.PROVED_LABEL])
    assert all(v is not None for v in data["n"]["series"][plots.P4_LABEL])  # R = 4
    assert data["tick_overlaps"] == []
    caption = plots.bounds_caption(data)
    assert "$R \\geq 4$" in caption and "2 proved vs" in caption and "1.13" in caption


def test_the_tick_check_sees_colliding_labels():
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks([1.0, 1.01, 1.02])
    ax.set_xticklabels(["1.000", "1.010", "1.020"])
    assert plots.tick_label_overlaps(fig)
    ax.set_xticks([1.0, 2.0])
    ax.set_xticklabels(["1", "2"])
    assert plots.tick_label_overlaps(fig) == []
    plt.close(fig)
