"""A feed run killed mid-way resumes to the same tables, and a branch repeats its parent: the
platform's users, posts, votes and follows and the `feeds` table live in the checkpointed state
(or were drained before it), and every random draw comes from the model's checkpointed RNG."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simsocial
from simsocial.analysis import load_run
from simsocial.branching import branch
from simsocial.testing import kills

SCENARIO = """\
name: feed_recovery
kind: feed
seed: 11
steps: 6
llm: {{model: "scripted/feed?post=0.4&follow=0.4", temperature: 0.7}}
twitter:
  personas: {{synthetic_anes: {{n: 24}}}}
  activity: {{steps_per_day: 2}}
  news: {news}
  judge: {{batch: 7}}
feed: {{ranker: bridging, k: 5}}
outputs: {{dir: "{out}", report: false}}
"""
TABLES = ("users", "posts", "votes", "follows", "feeds")
AT = 3
NEWS = Path(__file__).parents[2] / "scenarios" / "data" / "synthetic_news.csv"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feed_recovery")
    path = root / "feed.yaml"
    path.write_text(SCENARIO.format(out=root / "runs", news=NEWS))
    return path


@pytest.fixture(scope="module")
def parent(scenario: Path) -> Path:
    result = simsocial.run(simsocial.load_scenario(scenario), out=scenario.parent / "parent")
    assert result.status == "completed"
    return result.run_dir


def test_a_kill_mid_run_resumes_to_the_same_tables(scenario: Path, parent: Path, tmp_path: Path):
    reference = kills.tables(parent)
    assert all(not reference[name].empty for name in TABLES)
    assert (reference["follows"]["step"] >= 0).any()  # agents' follows, not only the start
    trial = kills.kill_at_point(scenario, tmp_path / "killed", "step:3", reference)
    assert trial.killed and trial.resume_code == 0, trial.resume_error
    assert trial.equal, trial.difference


def test_a_branch_with_the_parents_seed_replays_it_exactly(parent: Path):
    (result,) = branch(parent, AT, keep_seed=True)
    trunk, own = load_run(parent), load_run(result.run_dir)
    for name in (*TABLES, "events", "model"):
        pd.testing.assert_frame_equal(own.table(name), trunk.table(name))


def test_a_branch_shares_the_past_and_writes_its_own_future(parent: Path):
    (result,) = branch(parent, AT)
    trunk, own = load_run(parent), load_run(result.run_dir)
    for name in ("posts", "votes", "follows", "feeds"):
        mine, theirs = own.table(name), trunk.table(name)
        pd.testing.assert_frame_equal(
            mine[mine["step"] < AT].reset_index(drop=True),
            theirs[theirs["step"] < AT].reset_index(drop=True),
        )
    pd.testing.assert_frame_equal(own.table("users"), trunk.table("users"))
    assert not own.table("feeds").equals(trunk.table("feeds"))
