"""A forum run killed mid-way resumes to the same tables, and a branch repeats its parent: the
platform's users, posts, votes and follows live in the model's checkpointed state."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simsocial
from simsocial.analysis import load_run
from simsocial.branching import branch
from simsocial.testing import kills

SCENARIO = """\
name: forum_recovery
kind: forum
seed: 11
steps: 10
llm: {{model: "scripted/forum?bad=1", temperature: 0.7}}
forum:
  population: 14
  expand_batch: 4
  threads: 5
  voters: 3
interventions:
  - {{at: 2, do: whatif, thread: 0, reply: 3, persona: "[Troll] shares trolling comments.",
     mode: insert}}
feed: {{ranker: hot, k: 4}}
outputs: {{dir: "{out}", report: false}}
"""
PLATFORM = ("users", "posts", "votes", "follows")
AT = 3


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("forum_recovery")
    path = root / "forum.yaml"
    path.write_text(SCENARIO.format(out=root / "runs"))
    return path


@pytest.fixture(scope="module")
def parent(scenario: Path) -> Path:
    result = simsocial.run(simsocial.load_scenario(scenario), out=scenario.parent / "parent")
    assert result.status == "completed"
    return result.run_dir


def test_a_kill_mid_run_resumes_to_the_same_tables(scenario: Path, parent: Path, tmp_path: Path):
    reference = kills.tables(parent)
    assert all(not reference[name].empty for name in ("users", "posts", "votes"))
    trial = kills.kill_at_point(scenario, tmp_path / "killed", "step:4", reference)
    assert trial.killed and trial.resume_code == 0, trial.resume_error
    assert trial.equal, trial.difference


def test_a_branch_with_the_parents_seed_replays_it_exactly(parent: Path):
    (result,) = branch(parent, AT, keep_seed=True)
    trunk, own = load_run(parent), load_run(result.run_dir)
    for name in (*PLATFORM, "events", "model"):
        pd.testing.assert_frame_equal(own.table(name), trunk.table(name))


def test_a_branch_shares_the_past_and_writes_its_own_future(parent: Path):
    (result,) = branch(parent, AT)
    trunk, own = load_run(parent), load_run(result.run_dir)
    for name in ("posts", "votes", "users"):
        mine, theirs = own.table(name), trunk.table(name)
        pd.testing.assert_frame_equal(
            mine[mine["step"] < AT].reset_index(drop=True),
            theirs[theirs["step"] < AT].reset_index(drop=True),
        )
    assert not own.table("posts").equals(trunk.table("posts"))
    # the WhatIf applied at step 2 is pending at the fork and writes its reply in the branch too
    assert (own.table("users")["name"] == "Troll").sum() == 1
