"""Importance rating: batched, trivial events skipped, cached; a missing rating is counted and
left missing, never replaced by a number."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from driving import run
from pydantic import BaseModel, ValidationError

from simsocial.llm import Session
from simsocial.mind.importance import ImportanceRater, Ratings, ratings_for
from simsocial.mind.llm_port import SessionPort


def by_length(prompt: str, schema: type[BaseModel]) -> Ratings:
    """Rates each listed memory by its word count (capped at 10)."""
    items = re.findall(r"^\d+\. (.+)$", prompt, re.MULTILINE)
    return Ratings(ratings=[min(10, len(t.split())) for t in items])


def test_batches_skip_trivial_and_cache(fake_port: type) -> None:
    """7 new texts in batches of 3 cost 3 calls; trivial ones are 1; repeats cost nothing."""
    port = fake_port(by_length)
    rater = ImportanceRater(port, batch=3)
    texts = ["a b", "a b c", "x", "one two three four", "p q r s t", "k", "l m", "door"]
    trivial = [False] * 7 + [True]
    assert run(rater.rate("Ann", texts, trivial)) == [2, 3, 1, 4, 5, 1, 2, 1]
    assert rater.calls == 3 and len(port.prompts) == 3
    assert run(rater.rate("Ann", ["a b c", "a b"])) == [3, 2]
    assert rater.calls == 3 and not rater.failures


def test_wrong_length_answer_leaves_the_batch_unrated(fake_port: type) -> None:
    """Too few ratings: the batch gets None (not a stock number), one failure by reason, two
    unrated memories; met again, the texts are asked again."""
    port = fake_port(lambda p, s: Ratings(ratings=[9]))
    rater = ImportanceRater(port, batch=5)
    assert run(rater.rate("Ann", ["a", "b"])) == [None, None]
    assert rater.failures == {"wrong_length": 1} and rater.unrated == 2
    assert run(rater.rate("Ann", ["a"])) == [9] and len(port.prompts) == 2  # asked again: rated


def test_out_of_range_and_missing_answers_are_named(fake_port: type) -> None:
    """A 0 is not clamped to 1 and a failed call is not a 3: both are failures by reason."""
    rater = ImportanceRater(fake_port(lambda p, s: Ratings(ratings=[0, 5])), batch=5)
    assert run(rater.rate("Ann", ["a", "b"])) == [None, None]
    dead = ImportanceRater(fake_port(lambda p, s: None), batch=5)
    assert run(dead.rate("Ann", ["a", "trivial"], [False, True])) == [None, 1]
    assert rater.failures == {"out_of_range": 1} and dead.failures == {"no_answer": 1}


def test_the_schema_asks_for_exactly_one_rating_per_memory() -> None:
    """A wrong count or a rating outside 1-10 fails validation, so the session re-asks once."""
    schema = ratings_for(2)
    assert schema(ratings=[1, 10]).ratings == [1, 10]
    for bad in ([3], [3, 4, 5], [0, 4], [4, 11]):
        with pytest.raises(ValidationError):
            schema(ratings=bad)


def test_an_unusable_reply_is_re_asked_once_then_counted(
    make_session: Callable[..., Session],
) -> None:
    """A model that never answers JSON: asked, re-asked once with the error, then a failure
    recorded in the session with its kind; the rater counts it and the text stays unrated."""
    session = make_session("scripted/fixed?invalid=always")
    port = SessionPort(session)
    rater = ImportanceRater(port, batch=10)
    assert run(rater.rate("Ann", ["saw a bird"]), port.session.gather) == [None]
    assert rater.failures == {"no_answer": 1} and rater.unrated == 1
    assert session.stats()["calls"] == 2 and sum(session.stats()["failures_by_kind"].values()) == 1


def test_scripted_session_rates_through_one_call(
    make_session: Callable[..., Session], tmp_path: Path
) -> None:
    """Through a real scripted session: one call for a batch, ratings within 1-10."""
    port = SessionPort(make_session("scripted/random"))
    rater = ImportanceRater(port, batch=10)
    got = run(
        rater.rate("Ann", ["saw a bird", "heard Ann is running for mayor"]), port.session.gather
    )
    assert port.calls == 1 and all(v is not None and 1 <= v <= 10 for v in got)
