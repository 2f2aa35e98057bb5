"""Which metrics a sweep compares: the kind's outcomes plus the scenario's own, never constants."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from simsocial.analysis.outcomes import final_custom_values, select_metrics
from simsocial.analysis.sweep_report import sweep_summary, write_sweep_report
from simsocial.scenarios import KINDS

CUSTOM = {"share_a_block0": {"mean": "opinion == 'A'", "where": "block == 0"}}
FINAL_M = {0.0: [0.9, 0.8, 1.0], 0.4: [-0.62, -0.48, -0.7]}
SHARE = {0.0: [0.95, 0.9, 1.0], 0.4: [0.1, 0.05, 0.0]}


def write_run(run_dir: Path, share_a: list[float] | None) -> None:
    """A finished run directory with a custom metric in its spec and, when given, its
    model.parquet column (one row per step)."""
    run_dir.mkdir(parents=True)
    spec = {"kind": "opinion", "metrics": CUSTOM}
    manifest = {"kind": "opinion", "status": "completed", "spec": spec}
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    model = {"step": list(range(3)), "m": [0.0, 0.5, 1.0]}
    if share_a is not None:
        model["share_a_block0"] = share_a
    pd.DataFrame(model).to_parquet(run_dir / "model.parquet", index=False)


def write_sweep(sweep_dir: Path, min_pairs: int | None = None) -> Path:
    """A sweep by hand: zealot share 0 vs 0.4, 3 replicates; n constant, updates a count."""
    rows = []
    for share in (0.0, 0.4):
        for r in range(3):
            name = f"run-{len(rows):04d}"
            write_run(sweep_dir / name, [0.5, 0.7, SHARE[share][r]])
            rows.append(
                {"run": name, "variant": "base", "replicate": r, "seed": 10 + r,
                 "param.zealots": share, "status": "completed", "error": None,
                 "run_dir": str(sweep_dir / name), "metric.n": 30,
                 "metric.updates": 450 - int(share * 100) - r,
                 "metric.final_m": FINAL_M[share][r], "metric.consensus": share == 0.0,
                 "metric.share_a_block0": SHARE[share][r]}
            )  # fmt: skip
    pd.DataFrame(rows).to_parquet(sweep_dir / "sweep.parquet", index=False)
    spec = {"sweep": "two_blocks", "baseline": {"zealots": 0.0}, "min_pairs": min_pairs}
    (sweep_dir / "sweep.json").write_text(json.dumps(spec))
    return sweep_dir


def test_every_kind_declares_outcomes_its_summary_produces() -> None:
    """No counting metric among the defaults: updates, queries, n are never outcomes."""
    for kind in KINDS.values():
        assert kind.outcomes
        assert not {"updates", "queries", "n", "failed", "utterances"} & set(kind.outcomes)


def test_the_default_metrics_are_the_kind_outcomes_plus_custom_ones(tmp_path: Path) -> None:
    table = pd.read_parquet(write_sweep(tmp_path / "s") / "sweep.parquet")
    chosen = select_metrics(table, None, "opinion", ["share_a_block0"])
    assert chosen.compared == ["final_m", "consensus", "share_a_block0"]
    assert "updates" not in chosen.compared and "n" not in chosen.compared
    assert "opinion kind's outcomes and the scenario's own metrics" in chosen.source


def test_a_constant_metric_is_set_aside_even_when_named(tmp_path: Path) -> None:
    table = pd.read_parquet(write_sweep(tmp_path / "s") / "sweep.parquet")
    chosen = select_metrics(table, ["n", "updates", "typo"], "opinion")
    assert chosen.compared == ["updates"]
    assert chosen.constant == {"n": 30} and chosen.missing == ["typo"]


def test_a_custom_metric_value_is_the_last_row_of_its_model_column(tmp_path: Path) -> None:
    write_run(tmp_path / "with", [0.2, 0.4, 0.75])
    assert final_custom_values(tmp_path / "with") == {"share_a_block0": 0.75}
    write_run(tmp_path / "without", None)
    assert final_custom_values(tmp_path / "without") == {"share_a_block0": None}


def test_the_report_shows_replicates_and_flags_nothing_below_the_pair_threshold(
    tmp_path: Path,
) -> None:
    """3 pairs: effects with CIs, no significance flag, the warning in the HTML and the parquet;
    every replicate value beside its arm's mean; constant `n` named, not compared."""
    sweep_dir = write_sweep(tmp_path / "s")
    html = write_sweep_report(sweep_dir).read_text()
    assert "-0.62, -0.48, -0.7" in html and "0.1, 0.05, 0" in html
    assert "3 pairs: too few for a significance claim (at least 5)" in html
    assert "<h2>share_a_block0</h2>" in html and "<h2>final_m</h2>" in html
    assert "<h2>updates</h2>" not in html and "<h2>n</h2>" not in html
    comparisons = pd.read_parquet(sweep_dir / "comparisons.parquet")
    assert set(comparisons.metric) == {"final_m", "consensus", "share_a_block0"}
    assert comparisons.significant.isna().all()
    assert (comparisons.warning == comparisons.warning.iloc[0]).all()
    effect = comparisons.set_index("metric").loc["share_a_block0"]
    assert effect.effect == pytest.approx(-0.9) and effect.ci_high < 0


def test_the_pair_threshold_comes_from_the_sweep_file_or_the_call(tmp_path: Path) -> None:
    sweep_dir = write_sweep(tmp_path / "s", min_pairs=3)
    summary = sweep_summary(sweep_dir)
    assert summary["min_pairs"] == 3
    (effect,) = summary["metrics"]["final_m"]["effects"]
    assert effect["significant"] is True and effect["warning"] is None
    (strict,) = sweep_summary(sweep_dir, min_pairs=4)["metrics"]["final_m"]["effects"]
    assert strict["significant"] is None
    only = sweep_summary(sweep_dir, metrics=["updates"])
    assert list(only["metrics"]) == ["updates"] and only["missing"] == []


def test_a_pair_threshold_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="min_pairs must be at least 1, not 0"):
        sweep_summary(write_sweep(tmp_path / "s"), min_pairs=0)
