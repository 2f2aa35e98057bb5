"""LLM enrichment through a real Gateway and Session with the scripted provider: one round of
structured asks, answers folded into the personas, failures counted, calls cached."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from simsocial.llm import Session
from simsocial.personas.anes_synthetic import synthetic_sample
from simsocial.personas.enrich import BIO_MAX, ENRICH, Enrichment, enrich
from simsocial.rounds import drive

PEOPLE = synthetic_sample(6, seed=11).personas


def test_one_round_of_asks_enriches_every_persona(make_session: Callable[..., Session]) -> None:
    """scripted/fixed answers the minimal valid instance: every field is "text"."""
    session = make_session("scripted/fixed")
    rounds = enrich(session, PEOPLE)
    asks = next(rounds)
    assert len(asks) == len(PEOPLE) and all(a.verb == "structured" for a in asks)
    assert PEOPLE[0].text.split(" You")[0] in asks[0].request.messages[-1]["content"]
    with pytest.raises(StopIteration) as done:
        rounds.send(session.gather(asks))
    people, report = done.value.value
    assert [p.id for p in people] == [p.id for p in PEOPLE]
    assert all(
        p.occupation == "text" and p.hobbies == ("text",) and p.bio == "text" for p in people
    )
    assert "Your occupation is text. You like text." in people[0].text
    assert report.asked == 6 and report.enriched == 6 and report.failed == 0
    assert report.as_dict()["template"] == ENRICH.name
    assert PEOPLE[0].occupation is None  # the originals are untouched


def test_failed_calls_are_counted_and_leave_the_persona_as_it_was(
    make_session: Callable[..., Session],
) -> None:
    """A reply that never parses (even after the repair) is a counted failure, nothing made up."""
    session = make_session("scripted/fixed?invalid=always")
    people, report = drive(enrich(session, PEOPLE[:3]), session.gather)
    assert people == PEOPLE[:3]
    assert report.enriched == 0 and report.failures == {"validation": 3} and report.failed == 3


def test_a_bio_over_140_characters_does_not_validate() -> None:
    """The schema holds the limit, so the structured verb repairs once and then fails."""
    fine = {"occupation": "nurse", "hobbies": ["fishing"], "bio": "x" * BIO_MAX}
    assert Enrichment.model_validate(fine).bio == "x" * 140
    with pytest.raises(ValidationError, match="at most 140 characters"):
        Enrichment.model_validate(fine | {"bio": "x" * (BIO_MAX + 1)})
    assert Enrichment.model_json_schema()["properties"]["bio"]["maxLength"] == 140


def test_enrichment_is_cached_like_every_call(
    make_session: Callable[..., Session], tmp_path: Path
) -> None:
    """A second session on the same cache answers every ask from it."""
    cache = str(tmp_path / "cache")
    first = make_session("scripted/fixed", cache=cache, temperature=0)
    drive(enrich(first, PEOPLE[:2]), first.gather)
    assert [r.cached for r in first.drain_records()] == [False, False]
    again = make_session("scripted/fixed", cache=cache, temperature=0)
    people, report = drive(enrich(again, PEOPLE[:2]), again.gather)
    assert [r.cached for r in again.drain_records()] == [True, True]
    assert report.enriched == 2 and people[0].bio == "text"
