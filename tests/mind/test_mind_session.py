"""The mind through a real scripted session, and its checkpoint state round trip."""

from __future__ import annotations

import json
from collections.abc import Callable

from simsocial.llm import Session
from simsocial.mind import Mind, MindConfig, SessionPort


def test_mind_runs_on_scripted_session(make_session: Callable[..., Session]) -> None:
    """Scripted minimal replies: ratings fall back to the default, reflection stores nothing,
    recall works on hash embeddings; 1 rating call + 1 question call are made."""
    port = SessionPort(make_session("scripted/random", embedding_model="hash"))
    mind = Mind("Ann", port, MindConfig(reflection_threshold=10, importance_default=6))
    mind.observe(["Ann heard that Sam runs for mayor", "Ann baked bread"], now=0.0)
    assert [r.importance for r in mind.stream.records] == [6, 6]
    assert mind.rater.failures == 1 and mind.reflector.stats.reflections == 1
    assert [r.kind for r in mind.stream.records] == ["observation", "observation"]
    assert mind.recall("mayor", 1.0, k=1)[0].text == "Ann heard that Sam runs for mayor"
    mind.observe(["Ann heard that Sam runs for mayor"], now=2.0)  # cached: no rating call
    assert port.calls == 2 and mind.stream.embeddings.shape == (3, 384)


def test_state_round_trip_through_json(make_session: Callable[..., Session]) -> None:
    """get_state survives JSON; the restored mind recalls the same records the same way."""
    port = SessionPort(make_session("scripted/random", embedding_model="hash"))
    mind = Mind("Ann", port, MindConfig(reflection=False))
    mind.observe(["Bob bakes", "Sam runs for mayor", "rain"], now=0.0, about=["Bob"])
    twin = Mind("Ann", port, MindConfig(reflection=False))
    twin.set_state(json.loads(json.dumps(mind.get_state())))
    assert twin.stream.records == mind.stream.records
    assert [r.id for r in twin.recall("mayor", 5.0)] == [r.id for r in mind.recall("mayor", 5.0)]
    assert twin.relationships.known() == ["Bob"] and twin.rater.cache == mind.rater.cache
