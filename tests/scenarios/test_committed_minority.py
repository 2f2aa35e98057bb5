"""The committed-minority example tips: no zealots keep the majority, a large minority flips it."""

from __future__ import annotations

from pathlib import Path

import pytest

import simsocial
from simsocial.analysis import load_run
from simsocial.analysis.opinion import summarize

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "opinion_committed_minority.yaml"


def final_m(tmp_path: Path, share: float, seed: int) -> float:
    spec = simsocial.load_scenario(
        SCENARIO,
        overrides={
            "interventions.0.select.fraction": share,
            "network.n": 30,
            "steps": 15,
            "seed": seed,
            "outputs.dir": str(tmp_path / "runs"),
        },
    )
    result = simsocial.run(spec, out=tmp_path / f"share{share}-seed{seed}")
    assert result.status == "completed"
    return summarize(load_run(result.run_dir))["final_m"]


@pytest.mark.parametrize("seed", [1, 2])
def test_minority_share_decides_the_final_consensus(tmp_path, seed):
    """Strong majority policy on a complete graph: 0 and 10% zealots keep A, 40% tips to B."""
    assert final_m(tmp_path, 0.0, seed) == 1.0
    assert final_m(tmp_path, 0.1, seed) > 0.5
    assert final_m(tmp_path, 0.4, seed) == -1.0


def test_the_sweep_report_shows_the_tipping_point_with_bootstrap_cis(tmp_path):
    """A reduced committed-minority sweep: the paired effect of 40% zealots on final m is about
    -2 with a CI that excludes 0, 10% has a CI that stays far from it; the report shows both,
    and with 3 replicates (< 5 pairs) flags neither as significant, warning instead."""
    from simsocial.analysis.sweep_report import sweep_summary, write_sweep_report

    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(
        f"sweep: tipping\nscenario: {SCENARIO}\nseed: 1\nreplicates: 3\n"
        "set: {network.n: 30, steps: 15}\n"
        "grid:\n  interventions.0.select.fraction: [0.0, 0.1, 0.4]\n"
        "baseline: {interventions.0.select.fraction: 0.0}\nmetrics: [final_m]\n"
        f"out: {tmp_path / 'out'}\n"
    )
    result = simsocial.sweep(sweep_file)
    assert set(result.table.status) == {"completed"}
    effects = {
        e["arm"]: e for e in sweep_summary(result.sweep_dir)["metrics"]["final_m"]["effects"]
    }
    tipped = effects["interventions.0.select.fraction=0.4"]
    held = effects["interventions.0.select.fraction=0.1"]
    assert tipped["effect"] == pytest.approx(-2.0) and tipped["ci_high"] < 0
    assert -0.5 < held["ci_low"] <= held["ci_high"] < 0
    assert tipped["significant"] is None and held["significant"] is None
    assert tipped["warning"] == "3 pairs: too few for a significance claim (at least 5)"
    html = write_sweep_report(result.sweep_dir).read_text()
    assert "interventions.0.select.fraction=0.4" in html and "95% CI" in html
    assert "too few for a significance claim" in html and "replicate values" in html
