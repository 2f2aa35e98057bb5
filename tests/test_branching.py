"""The multiverse: a branch repeats its parent up to the fork and differs after it only as asked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simsocial
from simsocial.analysis import load_run
from simsocial.analysis.tree import fan_figure, load_tree, trajectories
from simsocial.branching import branch
from simsocial.cli import main
from simsocial.errors import RunError

SCENARIO = """\
name: branch_test
kind: opinion
seed: 5
steps: 6
update: random_sequential
llm:
  model: "scripted/majority?beta=1"
  temperature: 0.7
  logprobs: "off"
network: {{generator: watts_strogatz, n: 24, params: {{k: 4, p: 0.2}}}}
opinion:
  experiment: dynamics
outputs: {{dir: "{out}", report: false}}
"""
AT = 3
VOLATILE = ["latency_s", "run_id", "cached"]


@pytest.fixture(scope="module")
def parent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("branching")
    path = root / "s.yaml"
    path.write_text(SCENARIO.format(out=root / "runs"))
    return simsocial.run(simsocial.load_scenario(path)).run_dir


def frames(run_dir: Path) -> dict[str, pd.DataFrame]:
    run = load_run(run_dir)
    calls = run.llm_calls.drop(columns=[c for c in VOLATILE if c in run.llm_calls])
    return {"events": run.events, "model": run.model, "agents": run.agents, "llm_calls": calls}


def before(frame: pd.DataFrame, step: int) -> pd.DataFrame:
    return frame[frame["step"] < step].reset_index(drop=True)


def test_branches_share_the_past_and_sample_their_own_future(parent: Path) -> None:
    results = branch(parent, AT, n=2)
    assert [r.status for r in results] == ["completed", "completed"]
    trunk = frames(parent)
    futures = []
    for result in results:
        own = frames(result.run_dir)
        for name in ("events", "model", "agents"):
            pd.testing.assert_frame_equal(before(own[name], AT), before(trunk[name], AT))
        assert result.manifest["branch"]["at"] == AT
        assert result.manifest["parent"] == str(parent.resolve())
        assert own["model"]["step"].max() == trunk["model"]["step"].max()
        futures.append(own["events"][own["events"]["step"] >= AT].reset_index(drop=True))
    parent_future = trunk["events"][trunk["events"]["step"] >= AT].reset_index(drop=True)
    assert not futures[0].equals(parent_future)
    assert not futures[0].equals(futures[1])


def test_a_branch_with_the_parents_seed_and_no_change_replays_it_exactly(parent: Path) -> None:
    (result,) = branch(parent, AT, keep_seed=True)
    trunk, own = frames(parent), frames(result.run_dir)
    for name in ("events", "model", "agents", "llm_calls"):
        pd.testing.assert_frame_equal(own[name], trunk[name])


def test_a_branch_differs_after_the_fork_only_by_the_intended_change(parent: Path) -> None:
    marker = "Answer within square brackets."
    template = load_run(parent).manifest["spec"]["opinion"]["template"] + "\n" + marker
    (result,) = branch(parent, AT, overrides={"opinion.template": template}, keep_seed=True)
    trunk, own = frames(parent), frames(result.run_dir)
    prompts = own["llm_calls"]["prompt"]
    n_prefix = int((trunk["events"]["step"] < AT).sum())
    assert n_prefix > 0
    assert not prompts.iloc[:n_prefix].str.contains(marker).any()
    assert prompts.iloc[n_prefix:].str.contains(marker).all()
    pd.testing.assert_frame_equal(before(own["model"], AT), before(trunk["model"], AT))


def test_the_tree_loads_as_one_and_the_report_shows_the_fan(parent: Path) -> None:
    branch(parent, 2, n=2)
    tree = load_tree(parent)
    assert tree[0].run_dir == parent and len(tree) >= 3
    table = trajectories(parent)
    assert table.attrs["metric"] == "m" and set(table["role"]) == {"parent", "branch"}
    assert fan_figure(parent) is not None
    assert main(["report", str(parent)]) == 0
    assert (parent / "figures" / "branches_fan.png").exists()
    assert "branches_fan" in (parent / "report.html").read_text()


def test_branching_where_no_checkpoint_was_kept_names_the_steps_that_were(
    parent: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(RunError, match=r"at step 9: it kept checkpoints after steps 1, 2"):
        branch(parent, 9)
    assert main(["branch", str(parent), "--at", "9", "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: cannot branch") and "Traceback" not in error


def test_a_branch_can_carry_an_intervention_from_the_fork(parent: Path) -> None:
    """What-if at step t: the branch gets zealots at the fork; before it, nothing differs."""
    zealots = {"at": AT, "do": "set_state", "select": {"fraction": 0.5},
               "state": {"zealot": True, "opinion": "B"}}  # fmt: skip
    (result,) = branch(parent, AT, overrides={"interventions": [zealots]}, keep_seed=True)
    trunk, own = frames(parent), frames(result.run_dir)
    for name in ("events", "model", "agents"):
        pd.testing.assert_frame_equal(before(own[name], AT), before(trunk[name], AT))
    applied = own["events"][own["events"]["kind"] == "intervention"]
    assert list(applied["step"]) == [AT]
    assert (trunk["events"]["kind"] != "intervention").all()


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["network.n=30"], "network"),
        (["network={generator: complete, n: 24}"], "network"),
        (["opinion.initial_m=0.5"], "opinion.initial_m"),
    ],
)
def test_a_branch_refuses_to_change_the_population(
    parent: Path, capsys: pytest.CaptureFixture[str], overrides: list[str], key: str
) -> None:
    """The agents and links come from the parent's checkpoint: changing them is one line that
    points at interventions, and no branch directory is made."""
    args = [a for o in overrides for a in ("--set", o)]
    made = sorted((parent / "branches").glob("*")) if (parent / "branches").exists() else []
    assert main(["branch", str(parent), "--at", str(AT), "--quiet", *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: --set {key}: a branch keeps its parent's population and network")
    assert err.endswith("change them after the fork with interventions (add_agents, "
                        "remove_agents, remove_edges)")  # fmt: skip
    assert "Traceback" not in err
    after = sorted((parent / "branches").glob("*")) if (parent / "branches").exists() else []
    assert after == made
