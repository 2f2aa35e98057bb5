"""The feed kind's twin with a known answer (`scripted/feed`): likes and comments depend only on
whether author and reader share a party, so each ranker's E-I index follows from what it showed.

For every ranker the measured E-I of likes and of comments must match the expectation computed
from the run's own `feeds` table under the twin's rule (`feed_twin.expected_ei`), within four
standard deviations; and the rankers must order as in Törnberg et al. (2023): bridging above
all-users engagement above followed engagement. Why they order so under a rule that knows only
party: with unequal parties (65/35 here) all-users engagement ranks the majority's posts (liked
by its many members) and bridging the minority's (liked by the many of the other party), while
the followed feed shows mostly one's own party (90% of follows here), so the majority, who make
most interactions, see the least out-party content under followed and the most under bridging.
The toxicity twin scores exactly the uncivil comments, whose share depends on the party pair.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from feed_twin import expected_ei, feed_spec, parties, split, write_survey

import simsocial
from simsocial.analysis import load_run
from simsocial.analysis.interactions import ei_by_kind, interactions
from simsocial.llm import scripted_feed

RANKERS = ("followed_engagement", "chronological", "all_engagement", "bridging")
MODEL = "scripted/feed"


def twin_run(root: Path, ranker: str, n: int, steps: int, seed: int = 1) -> tuple[Any, Any]:
    root.mkdir(parents=True, exist_ok=True)
    survey = write_survey(root / "survey.csv", split(n, 0.65), [3] * n)  # once a day: p = 1
    spec = feed_spec(
        root / ranker,
        model=MODEL,
        seed=seed,
        steps=steps,
        twitter={
            "personas": {"anes": str(survey), "n": n, "replace": False, "weighted": False},
            "follows": {"same_party": 0.9},
            "judge": {"model": None},
        },
        feed={"ranker": ranker, "k": 10},
    )
    result = simsocial.run(spec)
    assert result.status == "completed", result.manifest.get("error")
    return result, load_run(result.run_dir)


def measured(run: Any) -> Any:
    table = interactions(run.table("posts"), run.table("votes"), run.table("follows"))
    return ei_by_kind(table, parties(run))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Any]]:
    root = tmp_path_factory.mktemp("feed_twin")
    return {ranker: twin_run(root, ranker, n=100, steps=6) for ranker in RANKERS}


@pytest.mark.parametrize("ranker", RANKERS)
def test_measured_ei_matches_what_the_ranker_showed(runs, ranker):
    result, run = runs[ranker]
    expected = expected_ei(run, scripted_feed.rates({}))
    found = measured(run)
    for kind in ("like", "comment"):
        mean, sd = expected[kind]
        row = found.loc[kind]
        assert row["external"] + row["internal"] > 80, (kind, row.to_dict())
        assert abs(row["ei"] - mean) < 4 * sd, (kind, row["ei"], mean, sd)
    column = result.model.iloc[-1]
    assert column["ei_likes"] == pytest.approx(found.loc["like", "ei"])
    assert column["ei_comments"] == pytest.approx(found.loc["comment", "ei"])


def test_rankers_order_as_in_the_paper(runs):
    """bridging > all_engagement > followed_engagement, for likes and for comments, measured;
    and the out-party share of what was shown in the same order."""
    ei = {ranker: measured(runs[ranker][1])["ei"] for ranker in RANKERS}
    for kind in ("like", "comment"):
        order = [ei[r][kind] for r in ("bridging", "all_engagement", "followed_engagement")]
        assert order[0] > order[1] > order[2], (kind, order)
    shown = {r: runs[r][0].model.iloc[-1]["outparty_shown"] for r in RANKERS}
    assert shown["bridging"] > shown["all_engagement"] > shown["followed_engagement"], shown


def test_feeds_hold_every_post_acted_on(runs):
    """Likes, comments and reposts only target posts the actor was shown in that step."""
    _, run = runs["bridging"]
    feeds = run.table("feeds")
    seen = set(zip(feeds["step"], feeds["viewer"], feeds["post_id"], strict=True))
    votes, posts = run.table("votes"), run.table("posts")
    acted = list(zip(votes["step"], votes["voter"], votes["post_id"], strict=True))
    replies = posts[posts["kind"] == "reply"]
    acted += list(zip(replies["step"], replies["author"], replies["parent_id"], strict=True))
    assert acted and all(a in seen for a in acted)
    assert feeds.groupby(["step", "viewer"])["rank"].max().max() == 9  # k = 10


def test_the_toxicity_judge_scores_exactly_the_uncivil_comments(runs):
    """Every post and comment is scored; 2 iff it carries the twin's uncivil marker; the share
    of uncivil comments matches the twin's rate for same- and other-party replies."""
    result, run = runs["all_engagement"]
    posts = run.table("posts")
    scores = run.payloads("toxicity").set_index("post_id")
    written = posts[posts["text"].str.len() > 0]
    assert set(scores.index) == set(written["post_id"])
    assert set(scores["judge"]) == {MODEL}
    marker = written.set_index("post_id")["text"].str.contains(scripted_feed.UNCIVIL)
    assert (scores["score"] == np.where(marker[scores.index], 2, 0)).all()
    side = parties(run)
    replies = posts[posts["kind"] == "reply"]
    author = posts.set_index("post_id")["author"]
    same = side[replies["author"].to_numpy()] == side[author[replies["parent_id"]].to_numpy()]
    uncivil = replies["text"].str.contains(scripted_feed.UNCIVIL).to_numpy()
    rates = scripted_feed.rates({})
    for mask, rate in ((same, rates["uncivil_same"]), (~same, rates["uncivil_diff"])):
        n = int(mask.sum())
        assert n > 20
        assert abs(uncivil[mask].mean() - rate) < 4 * np.sqrt(rate * (1 - rate) / n)
    assert result.model.iloc[-1]["toxicity_mean"] == pytest.approx(scores["score"].mean())


@pytest.mark.slow
def test_the_order_holds_on_a_bigger_platform_and_other_seeds(tmp_path):
    for seed in (2, 3):
        ei = {}
        for ranker in ("followed_engagement", "all_engagement", "bridging"):
            _, run = twin_run(tmp_path / f"s{seed}", ranker, n=300, steps=8, seed=seed)
            expected = expected_ei(run, scripted_feed.rates({}))
            ei[ranker] = measured(run)["ei"]
            for kind in ("like", "comment"):
                mean, sd = expected[kind]
                assert abs(ei[ranker][kind] - mean) < 4 * sd, (seed, ranker, kind)
        for kind in ("like", "comment"):
            assert ei["bridging"][kind] > ei["all_engagement"][kind]
            assert ei["all_engagement"][kind] > ei["followed_engagement"][kind]
