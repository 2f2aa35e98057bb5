"""The forum's metrics, figures, report and multiverse spread on run directories written by hand
(tests/analysis/forum_runs.py), so every number has a known answer and no model runs."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from forum_runs import KNOWN, tables, write_forum_run
from scipy.stats import bootstrap

from simsocial.analysis import forum, load_run, summary_json, write_report
from simsocial.analysis.forum_spread import spread, spread_figure
from simsocial.analysis.forum_threads import replies
from simsocial.analysis.glossary import NO_DESCRIPTION
from simsocial.scenarios import KINDS, ScenarioKind


@pytest.fixture(autouse=True)
def forum_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    """The report finds the forum's analysis whether or not the kind is registered yet."""
    if "forum" not in KINDS:
        kind = ScenarioKind(name="forum", summary="forum", spec="x:Y", model="x:Y",
                            analysis="simsocial.analysis.forum", trajectory="replies")  # fmt: skip
        monkeypatch.setitem(KINDS, "forum", kind)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    return write_forum_run(tmp_path / "forum")


def test_summary_has_the_known_answers(run_dir):
    """Every count and share of the hand-written run, and the same speaker twice found once."""
    metrics = forum.summarize(load_run(run_dir))
    for key, value in KNOWN.items():
        assert metrics[key] == pytest.approx(value), key
    assert metrics["thread_length_sd"] == pytest.approx(np.std([4, 3, 0, 0], ddof=1))
    assert "2 time(s), which the policy forbids" in metrics["verdict"]
    assert metrics["new_speaker_share_coin"] is None  # no model.parquet
    assert "judge (judge-model) found 25% of 8 posts" in metrics["verdict"]
    assert "1 without a verdict" in metrics["verdict"]


def test_speaker_flags_per_reply(run_dir):
    """The top post counts as writing in the thread, for new speakers and for the same
    speaker twice (Bob answering his own top post right after it)."""
    flagged = replies(load_run(run_dir).table("posts")).set_index("post_id")
    assert flagged["new_speaker"].to_dict() == {
        1: True, 2: False, 3: False, 4: True, 6: False, 7: True, 8: True,
    }  # fmt: skip
    assert flagged.index[flagged["same_speaker"]].tolist() == [3, 6]


def test_the_coin_share_is_the_model_column(tmp_path):
    """new_speaker_share_coin: the last written value of model.parquet's column, in the verdict."""
    model = pd.DataFrame({"step": [-1, 0, 1, 2], "new_speaker_share": [None, 0.4, 0.5, None]})
    run = load_run(write_forum_run(tmp_path / "coin", {**tables(), "model": model}))
    metrics = forum.summarize(run)
    assert metrics["new_speaker_share_coin"] == 0.5
    assert (
        "57% of replies by a new speaker (50% where the rules' coin had a choice)"
        in (metrics["verdict"])
    )


def test_realism_error_has_a_seeded_bootstrap_ci(run_dir):
    """3 wrong of 9 answered pairs; the CI is scipy's percentile bootstrap with the run's seed
    (the realism check's own error_rate), reproducible."""
    metrics = forum.summarize(load_run(run_dir))
    wrong = np.array([0.0] * 6 + [1.0] * 3)
    expected = bootstrap((wrong,), np.mean, method="percentile",
                         rng=np.random.default_rng(7)).confidence_interval  # fmt: skip
    assert metrics["realism_ci_low"] == pytest.approx(expected.low)
    assert metrics["realism_ci_high"] == pytest.approx(expected.high)
    assert metrics["realism_ci_low"] < 1 / 3 < metrics["realism_ci_high"]
    assert forum.summarize(load_run(run_dir))["realism_ci_low"] == metrics["realism_ci_low"]
    assert "41% for human judges, chance 50%" in metrics["verdict"]


def realism_only(answers: list[bool | None]) -> dict[str, pd.DataFrame]:
    """The known run with its realism events replaced by these answers."""
    frames = tables()
    events = frames["events"][frames["events"]["kind"] != "realism"]
    extra = [
        {"step": 3, "agent_id": -1, "kind": "realism",
         "payload": json.dumps({"pair": i, "real_first": True, "guessed_real": None,
                                "correct": c})}
        for i, c in enumerate(answers)
    ]  # fmt: skip
    return {**frames, "events": pd.concat([events, pd.DataFrame(extra)], ignore_index=True)}


def test_realism_without_spread_one_pair_or_none(tmp_path):
    """All right: error 0 with a CI of [0, 0]; one pair: no CI, said so; no pairs: None."""
    right = forum.summarize(load_run(write_forum_run(tmp_path / "a", realism_only([True] * 5))))
    assert (right["realism_error"], right["realism_ci_low"], right["realism_ci_high"]) == (0, 0, 0)
    one = forum.summarize(load_run(write_forum_run(tmp_path / "b", realism_only([False, None]))))
    assert one["realism_error"] == 1.0 and one["realism_ci_low"] is None
    assert one["realism_n"] == 1 and one["realism_failures"] == 1 and "no CI" in one["verdict"]
    none = forum.summarize(load_run(write_forum_run(tmp_path / "c", realism_only([]))))
    assert none["realism_error"] is None and "realism" not in none["verdict"]


def test_offline_judge_is_named_a_proxy(tmp_path):
    """With the offline lexicon score the verdict does not claim a judge measured it."""
    frames = tables()
    events = frames["events"]
    events["payload"] = events["payload"].str.replace('"judge-model"', '"offline"')
    metrics = forum.summarize(load_run(write_forum_run(tmp_path / "offline", frames)))
    assert metrics["judge"] == "offline"
    assert "offline lexicon proxy (not a judge) flags 25%" in metrics["verdict"]


def test_an_empty_run_is_analysed(tmp_path):
    """A run that wrote no table yet: zeros and None, no figures, no sections."""
    empty = {"events": pd.DataFrame(columns=["step", "agent_id", "kind", "payload"])}
    run = load_run(write_forum_run(tmp_path / "empty", empty))
    metrics = forum.summarize(run)
    assert metrics["threads"] == 0 and metrics["mean_replies"] is None
    assert metrics["violation_rate"] is None and metrics["realism_error"] is None
    assert metrics["verdict"] == "No threads were written."
    assert forum.figures(run) == [] and forum.sections(run) == []


def test_every_metric_has_a_glossary_line(run_dir):
    metrics = forum.summarize(load_run(run_dir))
    assert sorted(k for k in metrics if k != "verdict" and k not in forum.GLOSSARY) == []


def test_figures_and_thread_table(run_dir):
    """Lengths, scores, votes per step and front-page ranks; one table row per thread."""
    run = load_run(run_dir)
    assert [name for name, _ in forum.figures(run)] == [
        "thread_lengths", "scores", "votes_by_step", "front_page_ranks",
    ]  # fmt: skip
    ((title, table),) = forum.tables(run)
    assert title == "Threads"
    assert table["replies"].tolist() == [4, 3, 0, 0]
    assert table["same_speaker_twice"].tolist() == [1, 1, 0, 0]
    assert table["violations"].tolist() == [0, 2, 0, 0]
    assert table["whatif"].tolist() == [0, 1, 0, 0]
    assert table["score"].tolist() == [2, -2, 1, 0]


def test_report_renders_the_front_page_and_every_thread(run_dir):
    """Sections after the figures: the front page in the last round's order, each thread with
    its badges, model text escaped, every metric explained, the platform tables noted."""
    page = write_report(run_dir).read_text()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;Eve&lt;/b&gt;" in page and "<b>Eve</b>" not in page
    text = html.unescape(page)
    assert "Front page after step 2 (ranker hot)" in text
    for thread in (0, 5, 9, 10):
        assert f'id="thread-{thread}"' in page
    front = page[page.index("ss-front") :]
    assert (
        front.index('href="#post-9"')
        < front.index('href="#post-0"')
        < front.index('href="#post-5"')
    )
    assert "Thread #0: Best hiking boots?" in text
    assert page.count('class="ss-badge ss-badge-whatif"') == 1
    assert page.count('class="ss-badge ss-badge-violation"') == 2
    assert NO_DESCRIPTION not in text
    for key in KNOWN:
        assert forum.GLOSSARY[key] in text
    assert "every post, reply and share" in text  # FILE_NOTES for posts.parquet
    assert (run_dir / "figures" / "thread_lengths.png").exists()
    summary = json.loads(json.dumps(summary_json(run_dir), allow_nan=False))
    assert summary["metrics"]["same_speaker_twice"] == 2


def drop_posts(frames: dict[str, pd.DataFrame], gone: set[int]) -> dict[str, pd.DataFrame]:
    """The run without some posts and without the judge's verdicts on them."""
    posts = frames["posts"][~frames["posts"]["post_id"].isin(gone)]
    events = frames["events"]
    judged_gone = events["payload"].map(
        lambda p: json.loads(p).get("post_id") in gone and "violates" in json.loads(p)
    )
    return {**frames, "posts": posts, "events": events[~judged_gone]}


def test_spread_across_universes(run_dir):
    """Parent and two branches: each universe's outcomes read from its own tables, shown as a
    figure and a table in the parent's report."""
    frames = tables()
    write_forum_run(run_dir / "branches" / "at1-0", drop_posts(frames, {3, 4}),
                    branch={"at": 1, "index": 0, "seed": 11})  # fmt: skip
    kinder = tables()
    events = kinder["events"]
    troll = events["payload"].str.contains('"post_id": 7, "violates": true')
    events.loc[troll, "payload"] = events.loc[troll, "payload"].str.replace("true", "false")
    hotter = {"at": 1, "index": 1, "overrides": {"llm.temperature": 0.8}}
    write_forum_run(run_dir / "branches" / "at1-1", kinder, branch=hotter)
    table = spread(run_dir)
    assert table["role"].tolist() == ["parent", "branch", "branch"]
    assert table["label"].tolist() == ["parent", "at 1 #0 seed 11", "at 1 #1 llm.temperature=0.8"]
    assert table["mean_replies"].tolist() == [1.75, 1.25, 1.75]
    assert table["violation_rate"].tolist() == pytest.approx([0.25, 2 / 6, 1 / 8])
    assert table["thread_lengths"].tolist() == [[4, 3, 0, 0], [2, 3, 0, 0], [4, 3, 0, 0]]
    assert table["new_speaker_share"].tolist() == pytest.approx([4 / 7, 3 / 5, 4 / 7])
    assert spread_figure(run_dir) is not None
    assert spread_figure(run_dir / "branches" / "at1-0") is None
    run = load_run(run_dir)
    assert "universes" in [name for name, _ in forum.figures(run)]
    assert [title for title, _ in forum.tables(run)] == ["Threads", "Outcomes across universes"]
    page = html.unescape(write_report(run_dir).read_text())
    assert "Outcomes across universes" in page and "figures/universes.png" in page
