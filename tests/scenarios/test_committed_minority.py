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
