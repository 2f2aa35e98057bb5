"""The feed kind's rules on its scripted twin: the homophilous starting network, activity from the
Twitter-use answer (and the named rule for a missing one), invalid actions re-asked once then
recorded, enrichment and the offline judge named as such, and validate's located errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from feed_twin import feed_spec, split, write_survey

import simsocial
from simsocial.analysis import load_run
from simsocial.errors import SimsocialError
from simsocial.interventions import metrics
from simsocial.personas.anes_codes import TWITTER_PER_DAY
from simsocial.scenarios import KINDS
from simsocial.scenarios.feed.network import homophilous, same_party_share
from simsocial.vocabulary import Population

NEWS = Path(__file__).parents[2] / "scenarios" / "data" / "synthetic_news.csv"


def feed_run(tmp_path: Path, model: str = "scripted/feed", **keys: Any) -> tuple[Any, Any]:
    result = simsocial.run(feed_spec(tmp_path, model=model, **keys))
    assert result.status == "completed", result.manifest.get("error")
    return result, load_run(result.run_dir)


def prompts(result: Any, text: str) -> list[str]:
    found = (json.loads(p)[-1]["content"] for p in result.llm_calls["prompt"])
    return [p for p in found if text in p]


def test_the_starting_network_is_homophilous_within_its_ci():
    party = np.array(split(400, 0.55))
    for same in (0.7, 0.3):
        follows = homophilous(party, 3, 8, same, np.random.default_rng(5))
        out = np.bincount([s for s, _ in follows.edges], minlength=400)
        assert out.min() >= 3 and out.max() <= 8
        assert len(set(follows.edges)) == len(follows.edges)
        assert all(s != t for s, t in follows.edges)
        hits, n = same_party_share(follows.edges, party)
        assert abs(hits / n - same) < 4 * np.sqrt(same * (1 - same) / n), (same, hits / n)
        assert follows.counts["switched"] == follows.counts["short"] == 0


def test_the_run_starts_from_that_network(tmp_path):
    result, run = feed_run(tmp_path, steps=1, twitter={"follows": {"min": 2, "max": 4}})
    follows = run.table("follows")
    start = follows[follows["step"] == -1]
    assert (
        start.groupby("source").size().between(2, 4).all() and len(start["source"].unique()) == 30
    )
    (network,) = run.payloads("network").to_dict("records")
    assert network["same"] + network["other"] == len(start)
    assert result.manifest["feed_counts"]["network_same"] == network["same"]


def test_a_follows_file_replaces_the_random_network(tmp_path):
    edges = tmp_path / "follows.txt"
    edges.write_text("# who follows whom\n0 1\n1 0\n2 0\n")
    _, run = feed_run(tmp_path, steps=1, twitter={"follows": {"file": str(edges)}})
    start = run.table("follows").query("step == -1")
    assert list(zip(start["source"], start["target"], strict=True)) == [(0, 1), (1, 0), (2, 0)]


def test_activity_follows_the_twitter_answer_and_counts_the_missing_rule(tmp_path):
    codes = [1, 2, 3, 4, 5, 6, -1] * 10  # -1: not answered
    survey = write_survey(tmp_path / "survey.csv", split(70, 0.5), codes)
    personas = {"anes": str(survey), "n": 70, "replace": False, "weighted": False}
    twitter = {"personas": personas, "activity": {"steps_per_day": 2, "missing": 0.5}}
    result, run = feed_run(tmp_path, "scripted/feed?post=0&follow=0", steps=8, twitter=twitter)
    (personas_event,) = run.payloads("personas").to_dict("records")
    rows = [int(case) - 100000 for case in personas_event["respondents"]]  # user -> survey row
    expected = np.array([min(1.0, TWITTER_PER_DAY.get(codes[r], 0.5) / 2) for r in rows])
    assert personas_event["activity_missing"] == 10
    assert result.manifest["feed_counts"]["activity_missing"] == 10
    active = result.model.loc[result.model["step"] >= 0, "active"].to_numpy()
    mean, var = expected.sum(), (expected * (1 - expected)).sum()
    assert abs(active.sum() - 8 * mean) < 4 * np.sqrt(8 * var)
    per_user = (
        run.payloads("action")
        .groupby("agent_id")
        .size()
        .reindex(range(70), fill_value=0)
        .to_numpy()
    )
    heavy, light = expected == 1.0, expected < 0.1  # codes 1-2 every step; 5-6 rarely
    assert (per_user[heavy] == 8).all() and per_user[light].mean() < 1


def test_invalid_actions_are_asked_again_once_then_recorded(tmp_path):
    result, run = feed_run(tmp_path / "first", "scripted/feed?wrong=first", steps=2)
    assert run.payloads("action_failed").empty
    acted = run.payloads("action")
    assert acted["valid"].all()
    reasked = prompts(result, "was not accepted: post 1000000000 is not in your feed")
    assert len(reasked) == len(acted) == result.model["active"].sum()

    result, run = feed_run(tmp_path / "always", "scripted/feed?wrong=always", steps=2)
    failed = run.payloads("action_failed")
    assert len(failed) == result.model["active"].sum() == result.manifest["feed_counts"]["failed"]
    assert set(failed["action"]) == {"like"}
    assert set(failed["reason"]) == {"post 1000000000 is not in your feed"}
    assert not run.payloads("action")["valid"].any()
    assert run.table("posts").empty and run.table("votes").empty


def test_every_action_kind_reaches_its_table(tmp_path):
    twitter = {"news": str(NEWS), "follows": {"min": 1, "max": 2}}
    twin = "scripted/feed?like_same=0.1&comment_same=0.1&post=0.3&follow=0.7"
    feed = {"ranker": "all_engagement", "k": 10}  # others' posts too: someone to follow
    result, run = feed_run(tmp_path, twin, steps=4, twitter=twitter, feed=feed)
    kinds = set(run.payloads("action")["action"])
    assert {"post", "like", "comment", "follow"} <= kinds
    posts = run.table("posts")
    shared = posts[posts["kind"] == "post"]
    assert shared["news_ref"].notna().all()  # the twin shares the first news item it is shown
    assert (run.table("follows")["step"] >= 0).any()
    last = result.model.iloc[-1]
    assert last["posts"] == len(shared) and last["likes"] == len(run.table("votes"))
    assert prompts(result, "<<<NEWS\n[news ")


def test_enrichment_runs_first_and_the_prompts_carry_the_bio(tmp_path):
    twitter = {"personas": {"synthetic_anes": {"n": 12}, "enrich": True}}
    result, run = feed_run(tmp_path, steps=1, twitter=twitter)
    (enriched,) = run.payloads("enriched").to_dict("records")
    assert enriched["asked"] == enriched["enriched"] == 12
    acts = prompts(result, "Your party:")
    assert acts and all("\nYour bio: " in p for p in acts)
    assert all("Your bio" not in text for text in run.table("users")["persona"])


def test_the_offline_judge_is_named_and_scores_nothing(tmp_path):
    result, run = feed_run(tmp_path, steps=2)
    judged = run.payloads("toxicity")
    assert len(judged) and set(judged["judge"]) == {"offline"} and judged["score"].isna().all()
    assert result.model["toxicity_mean"].isna().all()
    offensive = run.payloads("offensive")
    assert len(offensive) == len(judged) and offensive["offensive_prob"].between(0, 1).all()


def test_the_personas_event_marks_synthetic_personas(tmp_path):
    _, run = feed_run(tmp_path, steps=1)
    (event,) = run.payloads("personas").to_dict("records")
    assert event["synthetic"] is True and event["users"] == 30
    assert event["activity_missing"] == 30  # synthetic personas have no Twitter-use answer
    users = run.table("users")
    assert set(users["community"]) <= {"democrat", "republican", "independent"}
    assert (users["step"] == -1).all()


def test_validate_locates_bad_feed_keys(tmp_path):
    cases = {
        r"twitter\.folows: unknown key": {"twitter": {"folows": {}}},
        r"twitter\.follows\.min: is 9, more than max \(8\)": {"twitter": {"follows": {"min": 9}}},
        r"twitter\.follows\.max: is 8, but each of the 5 users has 4 others": {
            "twitter": {"personas": {"synthetic_anes": {"n": 5}}}
        },
        r"feed\.ranker: unknown ranker 'bridgin'": {"feed": {"ranker": "bridgin"}},
        r"network: is not used by the feed kind": {"network": {"generator": "complete", "n": 3}},
    }
    for message, keys in cases.items():
        with pytest.raises(SimsocialError, match=message):
            feed_spec(tmp_path, **keys)
    bad = tmp_path / "news.csv"
    bad.write_text("title,summary,source\nA,b,c\n")
    with pytest.raises(SimsocialError, match=r"twitter\.news: .*news\.csv:1: needs the columns"):
        feed_spec(tmp_path, twitter={"news": str(bad)})
    bad.write_text("title,summary,source,date\nA,b,c,2020-07-01\nB,b,c,July 1\n")
    with pytest.raises(SimsocialError, match=r"news\.csv:3: the date 'July 1' is not a date"):
        feed_spec(tmp_path, twitter={"news": str(bad)})
    edges = tmp_path / "follows.txt"
    edges.write_text("0 1\n3 3\n")
    with pytest.raises(SimsocialError, match=r"follows\.txt:2: user 3 cannot follow themself"):
        feed_spec(tmp_path, twitter={"follows": {"file": str(edges)}})


def test_the_vocabulary_matches_the_model(make_session, tmp_path):
    spec = feed_spec(tmp_path)
    vocabulary = spec.vocabulary(Population())
    model = KINDS["feed"].load("model")(spec, make_session("scripted/feed"))
    assert set(metrics(model)) == set(vocabulary.metrics)


def test_a_pinned_judge_model_is_preflighted(tmp_path):
    from simsocial.preflight import models_of

    spec = feed_spec(tmp_path, twitter={"judge": {"model": "scripted/fixed"}})
    assert [c.model for c in models_of(spec)] == ["scripted/feed", "scripted/fixed"]
