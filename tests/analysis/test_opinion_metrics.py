"""summarize() recovers known majority forces and consensus times; figures() draws them."""

from __future__ import annotations

import json
import math

import pytest
from matplotlib.figure import Figure

from simsocial.analysis import load_run
from simsocial.analysis.opinion import adoption_counts, figures, summarize, trajectory


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_summary_recovers_beta_within_its_interval(adoption_run_dir, seed):
    """Counts drawn with beta0 = 3: the likelihood CI covers 3, least squares is close."""
    metrics = summarize(load_run(adoption_run_dir(3.0, seed)))
    assert metrics["experiment"] == "adoption" and metrics["n"] == 50
    assert metrics["beta_ci_low"] <= 3.0 <= metrics["beta_ci_high"]
    assert metrics["beta_lsq"] == pytest.approx(3.0, abs=4 * metrics["beta_lsq_stderr"])
    assert metrics["queries"] == 3000 and metrics["failed"] == 0
    assert metrics["coordination_expected"] is True
    assert metrics["critical_size"] == pytest.approx(math.exp(2 * metrics["beta_mle"]), rel=1e-3)
    assert metrics["verdict"].startswith("strong majority force (beta = ")


def test_summary_is_strict_json(adoption_run_dir):
    """Plain Python values only, and no NaN/Infinity even when the interval is open-ended."""
    for run_dir in (adoption_run_dir(3.0), adoption_run_dir(60.0)):
        metrics = summarize(load_run(run_dir))
        assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics
    assert metrics["beta_ci_high"] is None and metrics["beta_mle"] == 50.0
    assert metrics["beta_at_cap"] == 1
    assert "beta at or above the cap (50): every reply joined the majority" in metrics["verdict"]
    assert f"95% CI [{metrics['beta_ci_low']:.2f}, inf)" in metrics["verdict"]


def test_small_model_is_told_it_will_not_coordinate(adoption_run_dir):
    """beta0 = 0 (a label-guessing model): 'little or no majority force', no coordination."""
    run_dir = adoption_run_dir(0.0, model="embedded/smollm2-135m", failed_per_m=20)
    metrics = summarize(load_run(run_dir))
    assert metrics["beta_ci_low"] <= 0.0 <= metrics["beta_ci_high"]
    assert metrics["coordination_expected"] is False
    assert metrics["verdict"].startswith("little or no majority force")
    assert "embedded/smollm2-135m is not expected to coordinate" in metrics["verdict"]
    assert "300 of 3000 decisions failed" in metrics["verdict"]


def test_weak_force_below_threshold(adoption_run_dir):
    """beta0 = 1.2 at N = 50 (threshold 1.96): a weak force, no coordination expected."""
    metrics = summarize(load_run(adoption_run_dir(1.2, 4)))
    assert metrics["verdict"].startswith("weak majority force")
    assert metrics["coordination_expected"] is False


def test_counts_from_events_match_the_model_table(adoption_run_dir):
    """Without model.parquet (a crashed run), counts are rebuilt from reply events, the same."""
    run = load_run(adoption_run_dir(3.0, failed_per_m=3))
    from_model = adoption_counts(run)
    run.model = run.model.iloc[0:0]
    from_events = adoption_counts(run)
    assert from_events.to_dict("list") == from_model.to_dict("list")


def test_run_without_replies_has_no_fit_but_a_reason(tmp_path, adoption_run_dir):
    """An empty adoption run gives null betas and a verdict saying why, not an exception."""
    run = load_run(adoption_run_dir(3.0))
    run.model = run.model.iloc[0:0]
    run.events = run.events.iloc[0:0]
    metrics = summarize(run)
    assert metrics["beta_mle"] is None and metrics["queries"] == 0
    assert metrics["verdict"].startswith("no fit")
    assert figures(run) == []


def test_dynamics_summary_has_the_known_consensus_time(dynamics_run_dir):
    """The hand-made run reaches m = 1 at update 9 of N = 10 agents: T_c/N = 0.9."""
    metrics = summarize(load_run(dynamics_run_dir))
    assert metrics == {
        "experiment": "dynamics",
        "n": 10,
        "consensus": True,
        "tc_over_n": 0.9,
        "final_m": 1.0,
        "updates": 9,
        "failed": 0,
        "verdict": "consensus on opinion A after T_c/N = 0.90 (9 single-agent updates, N = 10).",
    }


def test_trajectory_starts_at_m0_and_ends_at_consensus(dynamics_run_dir):
    """m(t) from the update events: 0 before any update, 0.2 steps up from t = 5, 1 at t = 9."""
    traj = trajectory(load_run(dynamics_run_dir))
    assert traj["t"].tolist() == list(range(10))
    assert traj["m"].round(6).tolist() == [0, 0, 0, 0, 0, 0.2, 0.4, 0.6, 0.8, 1.0]


def test_no_consensus_is_said_plainly(dynamics_run_dir):
    """Without a consensus event: consensus False, tc_over_n None, the final m reported."""
    run = load_run(dynamics_run_dir)
    run.events = run.events[run.events["kind"] != "consensus"]
    metrics = summarize(run)
    assert metrics["consensus"] is False and metrics["tc_over_n"] is None
    assert metrics["verdict"] == "no consensus within 9 updates (t/N = 0.9); final m = 1.00."


def test_figures_per_experiment(adoption_run_dir, dynamics_run_dir):
    """Adoption: the fitted curve and the comparison with published betas; dynamics: m(t)."""
    adoption = figures(load_run(adoption_run_dir(3.0)))
    assert [name for name, _ in adoption] == ["adoption_curve", "beta_vs_published"]
    curve = adoption[0][1]
    assert isinstance(curve, Figure)
    labels = curve.axes[0].get_legend_handles_labels()[1]
    assert any(label.startswith("likelihood: β = ") for label in labels)
    assert any(label.startswith("least squares (paper): β = ") for label in labels)
    assert any(label.startswith("95% CI [") for label in labels)
    dynamics = figures(load_run(dynamics_run_dir))
    assert [name for name, _ in dynamics] == ["m_trajectory"]
    line = dynamics[0][1].axes[0].lines[0]
    assert list(line.get_xdata())[-1] == pytest.approx(0.9)
