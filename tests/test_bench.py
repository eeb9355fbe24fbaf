"""``softproof bench``: the JSON object, the table, ``--only``, bad input (exit 2).

Only the shape and honesty of the output are tested (every figure measured, finite,
``met`` consistent with the targets), never a timing threshold.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from softproof.bench import MEASURES, TARGETS, met
from softproof.cli import main

RATIOS = ("screen_vs_numpy", "screen_vs_mpmath", "confirm_vs_mpmath", "certify_iv_over_arb")
MUTANTS = ("099", "0999", "099999")


def _numbers(obj) -> list[float]:
    """Every int/float inside a JSON value (booleans excluded)."""
    if isinstance(obj, bool):
        return []
    if isinstance(obj, int | float):
        return [obj]
    if isinstance(obj, dict):
        return [v for x in obj.values() for v in _numbers(x)]
    if isinstance(obj, list):
        return [v for x in obj for v in _numbers(x)]
    return []


def _positive(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0


@pytest.fixture(scope="module")
def quick_json():
    """One quick run shared by the tests below: (exit code, parsed stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "softproof", "bench", "--quick", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def test_quick_json_has_every_figure_finite(quick_json):
    code, doc, err = quick_json
    assert code == 0
    for key in RATIOS:
        assert _positive(doc[key]), key
    for c in MUTANTS:
        # the generic search confirms each S1 mutant within the (generous) quick budget
        assert _positive(doc[f"mutant_{c}_s"]), c
        assert isinstance(doc[f"mutant_{c}_evals"], int) and doc[f"mutant_{c}_evals"] > 0
        assert doc["details"][f"mutant_{c}"]["found"] is True
        assert doc["details"][f"mutant_{c}"]["worst_ratio"] > 1  # a violation: ratio > 1
    assert _positive(doc["certify_s1_n2_d2_s"])
    s1 = doc["details"]["certify"]["S1_n2_d2"]
    assert s1["status"] == "certified" and s1["checked"] is True
    assert doc["baselines"]["certify"]["enclosures_overlap"] is True
    assert all(math.isfinite(v) for v in _numbers(doc))
    # progress went to stderr, stdout is the JSON object alone
    assert "mutant_099999" in err


def test_quick_json_targets_met_and_baselines(quick_json):
    _, doc, _ = quick_json
    assert doc["targets"] == TARGETS
    assert set(doc["met"]) == set(TARGETS)
    for key, ok in doc["met"].items():
        assert ok is met(key, doc[key])
    base = doc["baselines"]
    assert set(base) == set(MEASURES)
    assert _positive(base["screen_vs_numpy"]["numpy_batch_s"])
    assert _positive(base["screen_vs_numpy"]["toolkit_batch_s"])
    assert math.isclose(
        doc["screen_vs_numpy"],
        base["screen_vs_numpy"]["toolkit_batch_s"] / base["screen_vs_numpy"]["numpy_batch_s"],
    )
    assert math.isclose(
        doc["screen_vs_mpmath"],
        base["screen_vs_mpmath"]["mpmath_per_instance_s"]
        / base["screen_vs_mpmath"]["screen_per_instance_s"],
    )
    assert math.isclose(
        doc["confirm_vs_mpmath"],
        base["confirm_vs_mpmath"]["mpmath_per_instance_s"]
        / base["confirm_vs_mpmath"]["arb_per_instance_s"],
    )
    for c in MUTANTS:
        b = base[f"mutant_{c}"]
        assert b["method"] == "random screening" and b["evals"] > 0 and _positive(b["seconds"])
    mach = doc["machine"]
    assert isinstance(mach["cores"], int) and mach["cores"] >= 1
    assert mach["numpy"] and mach["python-flint"]
    assert doc["settings"]["quick"] is True and doc["settings"]["seed"] == 0
    assert doc["settings"]["measures"] == list(MEASURES)


def test_met_fails_on_a_missed_target():
    assert met("screen_vs_numpy", 1.9) and not met("screen_vs_numpy", 2.1)
    assert met("screen_vs_mpmath", 600) and not met("screen_vs_mpmath", 499)
    assert not met("mutant_099_s", None) and not met("mutant_099_s", float("nan"))
    assert not met("mutant_0999_s", 5.5)


def test_only_selects_and_table_is_readable(capsys):
    assert main(["bench", "--quick", "--only", "screen_vs_numpy", "--json", "--no-progress"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert captured.err == ""
    assert set(doc["met"]) == {"screen_vs_numpy"} and "screen_vs_mpmath" not in doc
    assert main(["bench", "--quick", "--only", "confirm_vs_mpmath", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "confirm_vs_mpmath" in out and ">= 10" in out and "Arb" in out
    assert "screen_vs_numpy" not in out


@pytest.mark.parametrize(
    "argv",
    [["bench", "--bogus"], ["bench", "--only", "nonsense"], ["bench", "--seed", "x"]],
)
def test_bad_option_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error" in err and argv[-1] in err  # names the offending argument


def test_negative_seed_exits_2_with_message(capsys):
    assert main(["bench", "--seed", "-1", "--only", "screen_vs_numpy"]) == 2
    captured = capsys.readouterr()
    assert "--seed" in captured.err and captured.out == ""


def test_bad_option_exit_code_from_the_shell():
    proc = subprocess.run(
        [sys.executable, "-m", "softproof", "bench", "--only"], capture_output=True, text=True
    )
    assert proc.returncode == 2 and "--only" in proc.stderr


def test_quick_json_report_jobs_figure(quick_json):
    """--jobs 1 over --jobs 2 on the same report subset, with the same verdicts."""
    _, doc, _ = quick_json
    detail, base = doc["details"]["report_jobs"], doc["baselines"]["report_jobs"]
    assert detail["same_verdicts"] is True and detail["verdicts"]["S1-m099"] == "violated"
    assert math.isclose(doc["report_jobs2_speedup"], base["seconds"] / detail["jobs2_s"])
    assert detail["instances_jobs1"] > 0 and detail["instances_jobs2"] > 0


def test_report_jobs_speedup_is_withheld_when_verdicts_differ(monkeypatch):
    """A faster run that reaches other verdicts is no speed-up of the same report
    (each report runs in its own process: the fake process writes its report.json)."""
    import subprocess
    from pathlib import Path
    from types import SimpleNamespace

    from softproof.bench import bench_report_jobs

    def fake(cmd, **kw):
        out = Path(cmd[cmd.index("--out") + 1])
        out.mkdir(parents=True)
        verdict = "searched" if cmd[cmd.index("--jobs") + 1] == "1" else "violated"
        entry = {"id": "S1", "verdict": verdict, "instances": 10}
        (out / "report.json").write_text(json.dumps({"entries": [entry]}))
        return SimpleNamespace(returncode=0, stderr="", stdout="")

    monkeypatch.setattr(subprocess, "run", fake)
    r = bench_report_jobs(["S1"], 0.1, 0.1)
    assert r["ratio"] is None and r["same_verdicts"] is False
    assert not met("report_jobs2_speedup", r["ratio"])
