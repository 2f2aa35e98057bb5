"""The forum's rule-violation judge: an LLM ask with a known answer on scripted twins, and the
offline lexicon score with hand-computed values."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pydantic import ValidationError

from simsocial.scenarios.forum.judge import (
    DEFAULT_RULES,
    POST_TEXT,
    JudgeSpec,
    judge_ask,
    offline_score,
    rule_keywords,
    verdict,
)

RULES = ["No spoilers for unreleased episodes.", "Be kind to each other."]
POST = "Spoilers ahead: the unreleased episodes reveal who the killer is."


def ask(session, text: str = POST, model: str | None = None, seed: int = 0, **kw):
    rng = np.random.default_rng(seed)
    return judge_ask(session, text, "r/mysteryshows", "fans of mystery TV", RULES, model, rng, **kw)


def prompt_of(answer) -> str:
    """The text the judge was shown (the record keeps the messages as JSON)."""
    return json.loads(answer.record.prompt)[-1]["content"]


# --- the LLM judge through a real gateway and session -----------------------------------------


@pytest.mark.parametrize(("answer", "expected"), [("violates", True), ("follows", False)])
def test_a_fixed_twin_judge_gives_its_verdict_whatever_the_option_order(
    make_session, answer: str, expected: bool
) -> None:
    """Options are shuffled per ask; the twin answers by option text, so every order agrees."""
    session = make_session(f"scripted/fixed?answer={answer}")
    answers = session.gather([ask(session, seed=seed) for seed in range(8)])
    assert [verdict(a) for a in answers] == [expected] * 8
    firsts = {"a) violates" in prompt_of(a) for a in answers}
    assert firsts == {True, False}  # both orders were shown


def test_the_prompt_names_every_rule_and_shows_the_text_between_markers(make_session) -> None:
    """The rubric lists the community's rules and the paper's three; the text is extractable."""
    session = make_session("scripted/fixed?answer=violates")
    (answer,) = session.gather([ask(session)])
    prompt = prompt_of(answer)
    for rule in [*RULES, *DEFAULT_RULES]:
        assert f"- {rule}\n" in prompt
    assert '"r/mysteryshows", a community for fans of mystery TV' in prompt
    match = POST_TEXT.search(prompt)
    assert match is not None and match.group(1) == POST
    assert "a) " in prompt and "b) " in prompt and "violates" in prompt and "follows" in prompt


def test_a_rule_the_community_already_has_is_listed_once(make_session) -> None:
    session = make_session("scripted/fixed?answer=follows")
    rng = np.random.default_rng(0)
    rules = ["no trolling", "No spoilers."]
    (answer,) = session.gather([judge_ask(session, "hi", "c", "g", rules, None, rng)])
    assert prompt_of(answer).casefold().count("no trolling") == 1


def test_the_judge_is_asked_at_temperature_zero_and_cached(make_session, tmp_path) -> None:
    """Temperature 0: no draw counter, so the same post asked twice is one cached answer."""
    session = make_session("scripted/random", cache=str(tmp_path / "cache"))
    (first,) = session.gather([ask(session)])
    (again,) = session.gather([ask(session)])
    assert first.record.temperature == 0.0 and again.record.draw == 0
    assert first.record.request_hash == again.record.request_hash
    assert not first.record.cached and again.record.cached
    assert verdict(again) == verdict(first)


def test_a_pinned_judge_model_answers_instead_of_the_agents_model(make_session) -> None:
    """`model=` pins the judge apart from the run's llm.model (here: always 'violates')."""
    session = make_session("scripted/fixed?answer=follows")
    pinned = "scripted/fixed?answer=violates"
    answers = session.gather([ask(session, model=pinned), ask(session)])
    assert [verdict(a) for a in answers] == [True, False]
    assert answers[0].record.model == pinned and answers[1].record.model != pinned


def test_a_random_twin_judge_says_violates_about_half_the_time(make_session) -> None:
    """scripted/random over distinct posts: a binomial share near 1/2 (seeded, fixed)."""
    session = make_session("scripted/random")
    rng = np.random.default_rng(7)  # the model's stream: one generator for every ask
    asks = [judge_ask(session, f"post {i}", "c", "g", RULES, None, rng) for i in range(400)]
    answers = session.gather(asks)
    share = np.mean([verdict(a) for a in answers])
    assert abs(share - 0.5) < 4 * np.sqrt(0.25 / 400)


def test_an_unparseable_judge_answer_is_none(make_session) -> None:
    """A reply naming neither option is a failure the caller counts, not a verdict."""
    session = make_session("scripted/fixed?answer=maybe")
    (answer,) = session.gather([ask(session)])
    assert verdict(answer) is None and answer.record.error_kind is not None
    assert verdict(None) is None


def test_a_long_post_is_cut_to_the_judges_budget(make_session) -> None:
    session = make_session("scripted/fixed?answer=violates")
    long = " ".join(["word"] * 2000)
    (answer,) = session.gather([ask(session, text=long, max_chars=300)])
    shown = POST_TEXT.search(prompt_of(answer))
    assert shown is not None and len(shown.group(1)) <= 300 and shown.group(1).endswith("…")


def test_the_offline_judge_asks_no_model(make_session) -> None:
    with pytest.raises(ValueError, match="offline_score"):
        ask(make_session(), model="offline")


# --- the spec block ------------------------------------------------------------------------------


def test_judge_spec_defaults_bounds_and_descriptions() -> None:
    spec = JudgeSpec()
    assert (spec.model, spec.threshold) == (None, 0.5)
    assert JudgeSpec(model="offline", threshold=0.25).threshold == 0.25
    for bad in ({"threshold": 1.5}, {"threshold": -0.1}, {"model": " "}, {"judge": "x"}):
        with pytest.raises(ValidationError):
            JudgeSpec.model_validate(bad)
    assert all(field.description for field in JudgeSpec.model_fields.values())


# --- the offline lexicon score ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("I loved the new season, what a twist!", 0.0),
        ("Which episode was your favourite?", 1 / 3),  # 'episode': 1 of 3 keywords
        (POST, 1.0),  # spoiler, unreleased, episode: all three
        ("You are an idiot.", 0.5),  # one lexicon term
        ("You are an idiot, lol.", 1.0),  # two lexicon terms
        ("Check out my channel and subscribe! https://example.com", 1.0),
        ("", 0.0),
    ],
)
def test_offline_score_known_values(text: str, score: float) -> None:
    assert offline_score(text, RULES) == pytest.approx(score)


def test_offline_score_is_deterministic_and_within_unit_interval() -> None:
    rng = np.random.default_rng(3)
    vocabulary = [
        "spoiler",
        "episodes",
        "idiot",
        "lol",
        "kind",
        "cooking",
        "subscribe",
        "the",
        "a",
        "of",
    ]
    for _ in range(200):
        text = " ".join(rng.choice(vocabulary, size=int(rng.integers(0, 12))))
        score = offline_score(text, RULES)
        assert 0.0 <= score <= 1.0 and score == offline_score(text, RULES)


def test_only_prohibitions_give_rule_keywords() -> None:
    """'Be kind' or 'Posts must be about cooking' cannot be checked by word matching; 'No X',
    'Do not X' and a bare 'X' (the paper's 'NOT <rule>' form) can, with crude stems."""
    assert rule_keywords("Be kind to each other.") == frozenset()
    assert rule_keywords("Posts must be about cooking") == frozenset()
    assert rule_keywords("Posts must not contain links") == {"contain", "link"}
    assert rule_keywords("Do not share personal information") == {
        "share",
        "personal",
        "information",
    }
    assert rule_keywords("self-promotion") == {"promotion"}
    assert offline_score("I love cooking", ["Posts must be about cooking"]) == 0.0
    assert offline_score("A shameless self-promotion", ["self-promotion"]) == 1.0
