"""Custom metrics: group aggregates with known answers on a two-block network, conditions that
read them, located validate errors, a hook, and the starting-state row (step -1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import simsocial
from simsocial.errors import InterventionError, RunError
from simsocial.metrics import HOOKS, metric
from simsocial.runner import resume
from simsocial.spec import SpecError, parse_scenario

cli = pytest.importorskip("simsocial.cli")

# two blocks of 10, dense inside, no links between them
SBM = {
    "generator": "stochastic_block",
    "params": {"sizes": [10, 10], "p": [[1.0, 0.0], [0.0, 1.0]]},
}
PER_BLOCK = {
    "zealots_block0": {"mean": "zealot", "where": "block == 0"},
    "zealots_block1": {"mean": "zealot", "where": "block == 1"},
    "share_b_block0": {"mean": "opinion == 'B'", "where": "block == 0"},
    "zealot_count": {"count": "zealot"},
    "zealots_b1": {"mean": "opinion == 'B'", "where": "zealot and block == 1"},
}


def scenario(tmp_path: Path, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "blocks",
        "kind": "opinion",
        "seed": 3,
        "steps": 3,
        "llm": {"model": "scripted/majority?beta=3"},
        "network": SBM,
        "opinion": {"experiment": "dynamics", "initial_m": 0.0},
        "outputs": {"dir": str(tmp_path / "runs"), "report": False},
        "interventions": [
            {
                "at": 0,
                "do": "set_state",
                "select": {"trait": {"block": 0}},
                "state": {"zealot": True, "opinion": "B"},
            }
        ],
        "metrics": PER_BLOCK,
    }
    data.update(over)
    return data


def test_per_block_zealot_share_is_exact(tmp_path: Path) -> None:
    """Zealots selected by `trait: {block: 0}` before step 0: the share is 1 in block 0 and 0 in
    block 1 at every step, block 0 holds B throughout, and an empty block's mean is NaN."""
    result = simsocial.run(parse_scenario(scenario(tmp_path)))
    assert result.status == "completed", result.manifest.get("error")
    model = result.model.set_index("step")
    after = model.loc[[0, 1, 2]]
    assert after["zealots_block0"].tolist() == [1.0, 1.0, 1.0]
    assert after["zealots_block1"].tolist() == [0.0, 0.0, 0.0]
    assert after["share_b_block0"].tolist() == [1.0, 1.0, 1.0]
    assert after["zealot_count"].tolist() == [10.0, 10.0, 10.0]
    assert model["zealots_b1"].isna().all()  # a mean over nobody: NaN, never 0
    assert model.loc[-1, "zealots_block0"] == 0.0  # before step 0's intervention
    agents = result.agents
    by_block = agents[agents.step == 2].groupby("block")["zealot"].mean()
    assert by_block.to_dict() == {0: 1.0, 1: 0.0}  # the same view, one groupby away


def test_starting_row_is_the_initial_magnetisation(tmp_path: Path) -> None:
    """Step -1 holds the state before any step: m = initial_m, no updates, one agent row each."""
    data = scenario(
        tmp_path, interventions=[], metrics={}, network={"generator": "complete", "n": 20}
    )
    data["opinion"]["initial_m"] = 0.4
    result = simsocial.run(parse_scenario(data))
    model = result.model
    assert model["step"].tolist() == list(range(-1, len(model) - 1))
    start = model.iloc[0]
    assert start["m"] == pytest.approx(0.4) and start["updates"] == 0
    initial = result.agents[result.agents.step == -1]
    assert len(initial) == 20
    assert (initial["opinion"] == "A").mean() == pytest.approx(0.7)  # (1 + m) / 2
    assert not initial["zealot"].any()


def test_when_condition_reads_a_custom_metric(tmp_path: Path) -> None:
    """A condition on a custom count fires the step after the count first holds."""
    data = scenario(tmp_path)
    data["interventions"] = [
        {"when": "zealot_count >= 2", "do": "broadcast", "message": "two are committed"},
        {"at": 1, "do": "set_state", "select": {"ids": [1, 2]}, "state": {"zealot": True}},
    ]
    result = simsocial.run(parse_scenario(data))
    events = result.events
    steps = events[events.kind == "intervention"].groupby("step").size().to_dict()
    assert steps == {1: 1, 2: 1}  # set at 1, counted after step 1, the broadcast fires at 2
    assert result.model.set_index("step").loc[1, "zealot_count"] == 2.0


def test_condition_reading_nan_stops_with_the_metric_and_step(tmp_path: Path) -> None:
    data = scenario(tmp_path)
    data["interventions"] = [{"when": "zealots_b1 > 0.5", "do": "broadcast", "message": "x"}]
    with pytest.raises(InterventionError, match=r"zealots_b1 is NaN.*|step 0.*zealots_b1"):
        simsocial.run(parse_scenario(data))


def test_hook_metric_is_a_column(tmp_path: Path) -> None:
    @metric("edges_now")
    def edges_now(model: Any) -> float:
        return float(model.graph.number_of_edges())

    try:
        data = scenario(tmp_path, metrics={"edges": {"hook": "edges_now"}})
        result = simsocial.run(parse_scenario(data))
        assert result.model["edges"].tolist() == [90.0] * 4  # two complete blocks of 10
    finally:
        HOOKS.pop("edges_now")


@pytest.mark.parametrize("point", ["step:1", "step:3"])
def test_a_killed_run_resumes_to_the_same_tables(tmp_path: Path, point: str) -> None:
    """SIGKILL before the first checkpoint or after two: resume writes the starting row once,
    and the custom columns equal those of an uninterrupted run."""
    whole = simsocial.run(parse_scenario(scenario(tmp_path)), out=tmp_path / "whole")
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario(tmp_path), sort_keys=False))
    killed = tmp_path / "killed"
    command = [sys.executable, "-m", "simsocial.cli", "run", str(path), "--out", str(killed)]
    trial = subprocess.run(
        [*command, "--quiet"], env={**os.environ, "SIMSOCIAL_KILL_AT": point}, check=False
    )
    assert trial.returncode == -9
    resumed = resume(killed)
    assert resumed.status == "completed", resumed.manifest.get("error")
    assert resumed.model.equals(whole.model)
    assert resumed.agents.equals(whole.agents)
    assert resumed.model["step"].tolist() == [-1, 0, 1, 2]


@pytest.mark.parametrize(
    ("metrics", "where", "message"),
    [
        (
            {"share": {"mean": "opinion == 'A'", "where": "blok == 0"}},
            "metrics.share.where",
            "unknown attribute 'blok' (did you mean 'block'?)",
        ),
        ({"m": {"mean": "zealot"}}, "metrics.m", "clashes with the built-in metric 'm'"),
        ({"x": {"mean": "zealot", "sum": "zealot"}}, "metrics.x", "exactly one of"),
        ({"x": {"mean": "__import__('os')"}}, "metrics.x.mean", "only abs(), min() and max()"),
        ({"x": {"hook": "nowhere"}}, "metrics.x.hook", "unknown metric hook 'nowhere'"),
        ({"step": {"mean": "zealot"}}, "metrics.step", "plain identifier"),
        (
            {"c": {"mean": "opinion == 'C'"}},
            "metrics.c.mean",
            "never holds: opinion is 'A' or 'B' for every agent, never \"C\"",
        ),
        (
            {"b2": {"mean": "zealot", "where": "2 == block"}},
            "metrics.b2.where",
            "block is 0 or 1 for every agent, never 2",
        ),
    ],
)
def test_validate_locates_metric_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], metrics: dict, where: str, message: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(scenario(tmp_path, interventions=[], metrics=metrics)))
    assert cli.main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{where}:" in err and message in err, err
    assert f"{path}:" in err  # located in the file


def test_validate_accepts_custom_metric_in_condition(tmp_path: Path) -> None:
    data = scenario(tmp_path)
    data["interventions"].append(
        {"when": "zealots_block0 > 0.5", "do": "broadcast", "message": "x"}
    )
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    assert cli.main(["validate", str(path)]) == 0


def test_a_text_value_is_not_a_number(tmp_path: Path) -> None:
    data = scenario(tmp_path, interventions=[], metrics={"bad": {"sum": "opinion"}})
    with pytest.raises(
        RunError, match=r"metrics.bad.sum: `opinion` is 'A'|metrics.bad.sum: `opinion` is 'B'"
    ):
        simsocial.run(parse_scenario(data))


def test_spec_error_without_a_file() -> None:
    with pytest.raises(SpecError, match=r"metrics\.x"):
        parse_scenario({"name": "n", "kind": "opinion", "metrics": {"x": {}}})


def test_the_report_shows_custom_metrics_with_what_they_are(tmp_path: Path) -> None:
    """report.html lists each scenario metric with its final value and its definition."""
    from simsocial.analysis.report import summary_json, write_report

    result = simsocial.run(parse_scenario(scenario(tmp_path)), report=False)
    html = write_report(result.run_dir).read_text()
    assert "share_b_block0" in html and "over agents where `block == 0`" in html
    assert summary_json(result.run_dir)["custom_metrics"]["zealots_block0"] == 1.0
