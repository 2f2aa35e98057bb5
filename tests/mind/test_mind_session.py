"""The mind through a real scripted session, and its checkpoint state round trip."""

from __future__ import annotations

from collections.abc import Callable

from driving import run

from simsocial import checkpoint
from simsocial.llm import Session
from simsocial.mind import Mind, MindConfig, SessionPort


def test_mind_runs_on_scripted_session(make_session: Callable[..., Session]) -> None:
    """Scripted minimal replies are the schema's smallest valid answers: ratings of 1, one
    question, one insight "text"; recall works on hash embeddings; the second observe of a
    rated text makes no rating call."""
    port = SessionPort(make_session("scripted/random", embedding_model="hash"))
    mind = Mind("Ann", port, MindConfig(reflection_threshold=2))
    run(
        mind.observe(["Ann heard that Sam runs for mayor", "Ann baked bread"], now=0.0),
        port.session.gather,
    )
    assert [r.importance for r in mind.stream.records[:2]] == [1, 1]
    assert not mind.failures() and mind.reflector.stats.reflections == 1
    assert [r.kind for r in mind.stream.records] == ["observation", "observation", "reflection"]
    assert (
        run(mind.recall("mayor", 1.0, k=1), port.session.gather)[0].text
        == "Ann heard that Sam runs for mayor"
    )
    calls = port.calls
    run(
        mind.observe(["Ann heard that Sam runs for mayor"], now=2.0), port.session.gather
    )  # cached: no rating call
    assert port.calls == calls and mind.stream.embeddings.shape == (4, 384)


def test_a_dead_model_leaves_memories_unrated_and_never_reflects(
    make_session: Callable[..., Session],
) -> None:
    """Every call fails: memories are stored unrated, add nothing to the reflection sum, and
    every failure is counted by kind; the state round trip keeps the counts."""
    port = SessionPort(make_session("scripted/random?fail=1", embedding_model="hash", retries=0))
    mind = Mind("Ann", port, MindConfig(reflection_threshold=1))
    run(
        mind.observe(["Ann heard that Sam runs for mayor", "Ann baked bread"], now=0.0),
        port.session.gather,
    )
    assert [r.importance for r in mind.stream.records] == [None, None]
    assert mind.reflector.accumulated == 0.0 and mind.reflector.stats.reflections == 0
    assert mind.failures() == {"importance_no_answer": 1, "unrated_memories": 2}
    assert (
        run(mind.recall("mayor", 1.0, k=1), port.session.gather)[0].text
        == "Ann heard that Sam runs for mayor"
    )
    twin = Mind("Ann", port, MindConfig(reflection_threshold=1))
    twin.set_state(checkpoint.loads(checkpoint.dumps(mind.get_state())))
    assert twin.failures() == mind.failures() and twin.stream.records == mind.stream.records


def test_state_round_trip_through_a_checkpoint(make_session: Callable[..., Session]) -> None:
    """get_state survives a checkpoint file; the restored mind recalls the same records."""
    port = SessionPort(make_session("scripted/random", embedding_model="hash"))
    mind = Mind("Ann", port, MindConfig(reflection=False))
    run(
        mind.observe(["Bob bakes", "Sam runs for mayor", "rain"], now=0.0, about=["Bob"]),
        port.session.gather,
    )
    twin = Mind("Ann", port, MindConfig(reflection=False))
    twin.set_state(checkpoint.loads(checkpoint.dumps(mind.get_state())))
    assert twin.stream.records == mind.stream.records
    assert [r.id for r in run(twin.recall("mayor", 5.0), port.session.gather)] == [
        r.id for r in run(mind.recall("mayor", 5.0), port.session.gather)
    ]
    assert twin.relationships.known() == ["Bob"] and twin.rater.cache == mind.rater.cache
