"""The minimal kind of the README guide registers, validates, runs, resumes and branches."""

from __future__ import annotations

from collections.abc import Iterator

import poll_kind
import pytest

import simsocial
from simsocial.branching import branch
from simsocial.scenarios import KINDS, ScenarioKind, register

SCENARIO = """\
name: park_poll
kind: poll
seed: 4
steps: 3
llm: {{model: "{model}"}}
poll: {{voters: {voters}}}
outputs: {{dir: {out}, report: true}}
"""


@pytest.fixture(scope="module", autouse=True)
def poll() -> Iterator[ScenarioKind]:
    module = poll_kind.__name__
    kind = KINDS.get("poll") or register(
        ScenarioKind(
            name="poll",
            summary="Approval poll (the guide's example)",
            spec=f"{module}:PollSpec",
            model=f"{module}:PollModel",
            analysis=module,
            trajectory="approval",
        )
    )
    yield kind
    KINDS.pop("poll", None)


def scenario(tmp_path, model: str, voters: int = 20):
    path = tmp_path / "poll.yaml"
    path.write_text(SCENARIO.format(model=model, voters=voters, out=tmp_path / "runs"))
    return simsocial.load_scenario(path)


def test_the_twin_that_always_approves_gives_full_approval(tmp_path):
    result = simsocial.run(scenario(tmp_path, "scripted/fixed?answer=yes"))
    assert result.status == "completed"
    assert result.model["approval"].tolist() == [0.0, 1.0, 1.0, 1.0]  # step -1: nobody voted yet
    assert len(result.llm_calls) == 3 * 20 * 2  # a vote and a reason per voter and step
    assert (result.run_dir / "report.html").exists()


def test_a_random_voter_approves_about_half_the_time(tmp_path):
    """400 votes of a fair coin: the share lies within 4 standard errors of 0.5."""
    result = simsocial.run(scenario(tmp_path, "scripted/random", voters=400), report=False)
    approval = result.model["approval"].iloc[-1]
    assert abs(approval - 0.5) < 4 * (0.25 / 400) ** 0.5


def test_the_kind_resumes_and_branches_like_any_other(tmp_path):
    spec = scenario(tmp_path, "scripted/random")
    parent = simsocial.run(spec, out=tmp_path / "parent")
    (child,) = branch(parent.run_dir, 1, 1, keep_seed=True)
    assert child.model.equals(parent.model)  # same seed, nothing changed: the same future
