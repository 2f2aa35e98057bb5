"""Importance rating: batched, trivial events skipped, cached, failures fall back and count."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from simsocial.llm import Session
from simsocial.mind.importance import ImportanceRater, Ratings
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
    assert rater.rate("Ann", texts, trivial) == [2, 3, 1, 4, 5, 1, 2, 1]
    assert rater.calls == 3 and len(port.prompts) == 3
    assert rater.rate("Ann", ["a b c", "a b"]) == [3, 2]
    assert rater.calls == 3 and rater.failures == 0


def test_wrong_length_answer_falls_back(fake_port: type) -> None:
    """An answer with too few ratings gives the default for that batch and counts a failure."""
    port = fake_port(lambda p, s: Ratings(ratings=[9]))
    rater = ImportanceRater(port, batch=5, default=3)
    assert rater.rate("Ann", ["a", "b"]) == [3, 3]
    assert rater.failures == 1


def test_scripted_session_rates_through_one_call(
    make_session: Callable[..., Session], tmp_path: Path
) -> None:
    """Through a real scripted session: one call for a batch, ratings within 1-10."""
    port = SessionPort(make_session("scripted/random"))
    rater = ImportanceRater(port, batch=10, default=4)
    got = rater.rate("Ann", ["saw a bird", "heard Ann is running for mayor"])
    assert port.calls == 1 and all(1 <= v <= 10 for v in got)
