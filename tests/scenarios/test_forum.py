"""The forum kind end to end on its scripted twin (`scripted/forum`), whose answers are known.

Thread statistics are fixed by the rules alone (the exact mean length, a new-speaker share of
1/2, nobody twice in a row); invalid actions are re-asked once, then recorded; expansion rejects
duplicates and malformed lines; WhatIf puts its persona at reply K; the judge flags exactly the
troll's uncivil reply; validate locates bad keys.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import simsocial
from simsocial.analysis import load_run
from simsocial.errors import SimsocialError
from simsocial.hooks import supports
from simsocial.interventions import metrics
from simsocial.scenarios import KINDS
from simsocial.spec import json_schema, parse_scenario
from simsocial.vocabulary import Population

LO, HI, MAX_REPLIES = 0.65, 1.0, 8
TROLL = "[Troll] shares trolling comments."


def forum_spec(tmp_path: Path, model: str = "scripted/forum", **forum: Any) -> Any:
    extra = {k: forum.pop(k) for k in ("interventions", "steps", "feed", "seed") if k in forum}
    data = {
        "name": "forum_twin",
        "kind": "forum",
        "seed": 3,
        "llm": {"model": model, "temperature": 0.7},
        "forum": {"population": 12, "threads": 3, "voters": 2, **forum},
        "outputs": {"dir": str(tmp_path / "runs"), "report": False},
        **extra,
    }
    return parse_scenario(data)


def forum_run(tmp_path: Path, model: str = "scripted/forum", **forum: Any) -> Any:
    result = simsocial.run(forum_spec(tmp_path, model, **forum))
    assert result.status == "completed", result.manifest.get("error")
    return result, load_run(result.run_dir)


def prompts(result: Any, purpose_text: str) -> list[str]:
    calls = result.llm_calls
    return [
        json.loads(p)[-1]["content"]
        for p in calls["prompt"]
        if purpose_text in json.loads(p)[-1]["content"]
    ]


def test_the_twin_grows_threads_by_the_rules_alone(tmp_path):
    """200 threads: the exact mean length, a new-speaker share of 1/2, nobody twice in a row."""
    result, run = forum_run(
        tmp_path, population=40, threads=200, voters=1, judge={"model": "offline"}
    )
    posts = run.table("posts")
    replies = posts[posts["kind"] == "reply"].groupby("thread_id").size()
    lengths = replies.reindex(posts.loc[posts["kind"] == "post", "thread_id"], fill_value=0)
    assert len(lengths) == 200 and lengths.max() <= MAX_REPLIES
    moments = [(HI ** (r + 1) - LO ** (r + 1)) / ((r + 1) * (HI - LO)) for r in range(10)]
    expected = sum(moments[1 : MAX_REPLIES + 1])
    assert abs(lengths.mean() - expected) < 4 * lengths.std() / np.sqrt(200)
    last = result.model.iloc[-1]
    assert last["same_speaker_twice"] == 0 and last["threads_open"] == 0
    for _, thread in posts.sort_values(["thread_id", "order"]).groupby("thread_id"):
        authors = thread["author"].tolist()
        assert all(a != b for a, b in itertools.pairwise(authors))
    counts = result.manifest["forum_counts"]
    n = counts["new"] + counts["earlier"]
    assert last["new_speaker_share"] == pytest.approx(counts["new"] / n)
    interval = stats.binomtest(counts["new"], n, 0.5).proportion_ci(confidence_level=0.999)
    assert interval.low <= 0.5 <= interval.high
    assert counts["forced_new"] >= (lengths > 0).sum()  # every first reply is a new persona


def test_votes_come_from_the_front_page(tmp_path):
    """Each step's voters see the ranked top posts and vote once per post they did not write."""
    result, run = forum_run(tmp_path, population=10, threads=4, voters=5, feed={"ranker": "top"})
    pages = run.payloads("front_page")
    assert len(pages) == len(result.model) - 1  # one per step
    votes, posts = run.table("votes"), run.table("posts")
    assert not votes.duplicated(["voter", "post_id"]).any()
    author = dict(zip(posts["post_id"], posts["author"], strict=True))
    assert all(author[p] != v for v, p in zip(votes["voter"], votes["post_id"], strict=True))
    for page in pages.itertuples():
        cast = votes[votes["step"] == page.step]
        assert set(cast["voter"]) <= set(page.voters) and set(cast["post_id"]) <= set(page.shown)
        assert page.ranker == "top" and len(page.voters) == 5
    assert set(votes["value"]) <= {1, -1}


def test_invalid_actions_are_asked_again_once_then_recorded(tmp_path):
    result, run = forum_run(tmp_path / "first", "scripted/forum?invalid=first")
    assert run.payloads("action_failed").empty
    written = run.table("posts")
    assert len(written) > 3
    reasked = prompts(result, "was not accepted: the text is empty")
    assert len(reasked) == len(written)  # every post and reply: once blank, then accepted

    result, run = forum_run(tmp_path / "always", "scripted/forum?invalid=always")
    failed = run.payloads("action_failed")
    assert list(failed["action"]) == ["post"] * 3
    assert set(failed["reason"]) == {"the text is empty"}
    assert run.table("posts").empty and result.model.iloc[-1]["threads_open"] == 0
    assert result.manifest["forum_counts"]["failed"] == 3


def test_expansion_rejects_duplicates_and_malformed_lines(tmp_path):
    _, run = forum_run(tmp_path, "scripted/forum?bad=2", population=25, expand_batch=5)
    (expanded,) = run.payloads("expanded").to_dict("records")
    users = run.table("users")
    assert len(users) == 25 and users["name"].str.casefold().is_unique
    assert expanded["accepted"] == 15 and expanded["short"] == 0
    rejected = expanded["rejected"]
    malformed = [r for r in rejected if r["reason"].startswith("malformed")]
    copies = [r for r in rejected if "second account" in r["line"]]
    assert len(malformed) == len(copies) == expanded["asks"]  # the twin's two bad lines per ask
    assert all(r["reason"].startswith("duplicate") for r in copies)
    assert expanded["attempts"] == expanded["accepted"] + len(rejected)


def test_an_expanded_population_is_reusable_as_seeds(tmp_path):
    result, run = forum_run(tmp_path / "first", population=15)
    users = run.table("users")
    _, rerun = forum_run(
        tmp_path / "again", seeds=str(result.run_dir / "users.parquet"), population=15
    )
    assert rerun.payloads("expanded").iloc[0]["accepted"] == 0
    assert list(rerun.table("users")["name"]) == list(users["name"])
    csv = tmp_path / "seeds.csv"
    csv.write_text('name,description\nAda Byron,"a mathematician, poet"\nAlan Kay,an inventor\n')
    _, from_csv = forum_run(tmp_path / "csv", seeds=str(csv), population=6)
    assert list(from_csv.table("users")["persona"][:2]) == ["a mathematician, poet", "an inventor"]


@pytest.mark.parametrize(("mode", "replies"), [("replace", 3), ("insert", 4)])
def test_whatif_puts_the_persona_at_reply_k(tmp_path, mode, replies):
    """A troll at reply 2 of thread 1: its reply is order 2, the only one the judge flags."""
    whatif = {"at": 0, "do": "whatif", "thread": 1, "reply": 2, "persona": TROLL, "mode": mode}
    result, run = forum_run(
        tmp_path, continue_p=[1.0, 1.0], max_replies=3, steps=5, interventions=[whatif]
    )
    posts, users = run.table("posts"), run.table("users")
    troll = int(users.loc[users["name"] == "Troll", "user_id"].iloc[0])
    thread_1 = posts[posts["thread_id"] == posts.loc[posts["kind"] == "post", "post_id"].iloc[1]]
    assert len(thread_1) - 1 == replies
    assert thread_1.loc[thread_1["order"] == 2, "author"].tolist() == [troll]
    assert (posts["author"] == troll).sum() == 1 or mode == "insert"
    (fired,) = run.payloads("whatif").to_dict("records")
    assert fired["at_reply"] == 2 and fired["mode"] == mode
    judged = run.payloads("judged")
    flagged = judged.loc[judged["violates"].astype(bool), "post_id"].tolist()
    assert flagged == posts.loc[posts["author"] == troll, "post_id"].tolist()
    assert result.model.iloc[-1]["same_speaker_twice"] == 0


def test_a_whatif_whose_thread_closes_first_is_recorded_without_a_post(tmp_path):
    whatif = {"at": 0, "do": "whatif", "thread": 0, "reply": 2, "persona": TROLL}
    _, run = forum_run(tmp_path, continue_p=[0.0, 0.0], interventions=[whatif])
    (missed,) = run.payloads("whatif").to_dict("records")
    assert missed["post_id"] is None and missed["reason"] == "the thread closed after 0 replies"
    assert "Troll" not in set(run.table("users")["name"])


def test_whatif_is_refused_where_it_cannot_apply(tmp_path):
    opinion = {"name": "o", "kind": "opinion", "llm": {"model": "scripted/random"}}
    whatif = {"at": 0, "do": "whatif", "thread": 0, "reply": 1, "persona": TROLL}
    with pytest.raises(SimsocialError, match=r"interventions.0.do: .*does not support 'whatif'"):
        parse_scenario({**opinion, "interventions": [whatif]})
    with pytest.raises(SimsocialError, match=r"interventions.0.persona: .*\[Name\]"):
        forum_spec(tmp_path, interventions=[{**whatif, "persona": "nobody"}])
    with pytest.raises(SimsocialError, match="thread 7 does not exist"):
        simsocial.run(forum_spec(tmp_path, interventions=[{**whatif, "thread": 7}]))


def test_the_rules_judge_and_the_offline_score_are_named(tmp_path):
    _, run = forum_run(tmp_path / "llm")
    judged = run.payloads("judged")
    assert set(judged["judge"]) == {"scripted/forum"} and len(judged) == len(run.table("posts"))
    _, run = forum_run(tmp_path / "offline", judge={"model": "offline"})
    judged = run.payloads("judged")
    assert set(judged["judge"]) == {"offline"} and judged["score"].between(0, 1).all()


def test_the_realism_check_runs_once_all_threads_closed(tmp_path):
    real = Path(__file__).parents[2] / "scenarios" / "data" / "synthetic_real_threads.jsonl"
    result, run = forum_run(tmp_path, realism={"real": str(real), "pairs": 12})
    pairs = run.payloads("realism")
    assert len(pairs) == 12 and set(pairs["step"]) == {result.model["step"].max()}
    assert pairs["real_first"].nunique() == 2
    assert (pairs["correct"] == ((pairs["guessed_real"] == "first") == pairs["real_first"])).all()


def test_ablations_and_the_completion_form_change_the_prompts(tmp_path):
    rule = 'breaking the rule "Stay on topic"'
    result, _ = forum_run(tmp_path / "full")
    replies = prompts(result, "wrote the following comment")
    assert replies and all(rule in p and "does not share content" in p for p in replies)
    result, _ = forum_run(tmp_path / "np", ablation="no_personas")
    assert not any("does not share content" in p for p in prompts(result, "following"))
    result, _ = forum_run(tmp_path / "nc", ablation="no_community")
    written = prompts(result, "following")
    assert written and not any("Stay on topic" in p or "kitchen tips" in p for p in written)
    result, run = forum_run(tmp_path / "completion", form="completion")
    assert all('<span class="comment">' in p for p in prompts(result, "wrote the following"))
    assert len(run.table("posts")) > 3


def test_a_template_override_is_used_and_recorded(tmp_path):
    text = "OVERRIDE {context}\n{name} posted the following headline to {forum}:"
    result, _ = forum_run(tmp_path, templates={"post": text})
    assert len(prompts(result, "OVERRIDE")) == 3
    assert "forum.templates.post.chat" in result.manifest["prompt_templates"]


def test_validate_locates_bad_forum_keys(tmp_path):
    cases = {
        "forum.threadz: unknown key": {"threadz": 3},
        "forum.seeds.1: malformed": {"seeds": ["Ada Byron, a poet", "no comma here"]},
        "forum.templates.reply: must use the fields": {"templates": {"reply": "{name}"}},
        "forum.continue_p: must be": {"continue_p": [0.9, 0.1]},
    }
    for message, forum in cases.items():
        with pytest.raises(SimsocialError, match=message):
            forum_spec(tmp_path, **forum)
    with pytest.raises(SimsocialError, match=r"feed\.ranker: unknown ranker 'hott'"):
        forum_spec(tmp_path, feed={"ranker": "hott"})
    with pytest.raises(SimsocialError, match="steps: must be at least 9"):
        forum_spec(tmp_path, steps=4)
    bad = tmp_path / "seeds.csv"
    bad.write_text("name,about\nAda,poet\n")
    with pytest.raises(SimsocialError, match=r"forum.seeds: .*needs the columns"):
        forum_spec(tmp_path, seeds=str(bad))
    schema = json_schema()
    assert {"$ref": "#/$defs/ForumSpec"} in schema["oneOf"]
    assert "ForumParams" in schema["$defs"] and "WhatIfParams" not in schema["$defs"]


def test_the_vocabulary_matches_the_model(make_session, tmp_path):
    spec = forum_spec(tmp_path)
    vocabulary = spec.vocabulary(Population())
    model = KINDS["forum"].load("model")(spec, make_session("scripted/forum"))
    assert set(metrics(model)) == set(vocabulary.metrics)
    assert all(supports(model, hook) for hook in vocabulary.hooks)


def test_judge_and_realism_models_are_preflighted(tmp_path):
    from simsocial.preflight import models_of

    real = Path(__file__).parents[2] / "scenarios" / "data" / "synthetic_real_threads.jsonl"
    spec = forum_spec(
        tmp_path,
        judge={"model": "scripted/fixed"},
        realism={"real": str(real), "model": "scripted/random"},
    )
    assert [c.model for c in models_of(spec)] == [
        "scripted/forum",
        "scripted/fixed",
        "scripted/random",
    ]
    assert [c.model for c in models_of(forum_spec(tmp_path, judge={"model": "offline"}))] == [
        "scripted/forum"
    ]
