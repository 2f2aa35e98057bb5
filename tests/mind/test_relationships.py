"""Relationship memory: retrievable by name, only among memories about that person."""

from __future__ import annotations

from typing import Any

import numpy as np
from driving import run
from pydantic import BaseModel

from simsocial.mind.config import MindConfig
from simsocial.mind.core import Mind
from simsocial.mind.importance import Ratings
from simsocial.mind.relationships import Opinion


def reply(prompt: str, schema: type[BaseModel]) -> Any:
    """Every memory rated 4; opinions say how many memory lines they saw."""
    if issubclass(schema, Ratings):
        return Ratings(ratings=[4] * sum(1 for ln in prompt.splitlines() if ln[:1].isdigit()))
    lines = prompt.split("\n\n")[0].splitlines()[1:]
    return Opinion(summary=f"{len(lines)} memories", closeness=3)


def test_about_returns_only_that_persons_memories(fake_port: type) -> None:
    """Bob's 2 memories come back for Bob, none for a stranger; Ann's never mix in."""
    mind = Mind("Cy", fake_port(reply), MindConfig(reflection=False), dim=4)
    run(mind.observe(["Bob bakes bread", "Bob likes chess"], now=0.0, about=["Bob"]))
    run(mind.observe(["Ann runs for mayor"], now=1.0, about=["Ann"]))
    run(mind.observe(["it rained"], now=2.0))
    assert sorted(r.text for r in run(mind.about("Bob", 3.0))) == [
        "Bob bakes bread",
        "Bob likes chess",
    ]
    assert [r.text for r in run(mind.about("Ann", 3.0))] == ["Ann runs for mayor"]
    assert run(mind.about("Dee", 3.0)) == [] and mind.relationships.known() == ["Ann", "Bob"]


def test_about_ranks_within_subset(fake_port: type) -> None:
    """Among Bob's memories the one embedded like the query 'Bob' ranks first."""
    vectors = {
        "Bob": np.array([1.0, 0, 0, 0]),
        "Bob at work": np.array([0, 1.0, 0, 0]),
        "Bob and I talked": np.array([1.0, 0, 0, 0]),
    }
    mind = Mind("Cy", fake_port(reply, vectors), MindConfig(reflection=False, k=1), dim=4)
    run(mind.observe(["Bob at work", "Bob and I talked"], now=0.0, about=["Bob"]))
    assert [r.text for r in run(mind.about("Bob", 0.0))] == ["Bob and I talked"]


def test_opinion_cached_until_new_memory(fake_port: type) -> None:
    """One call per opinion; a new memory about Bob invalidates the cache."""
    port = fake_port(reply)
    mind = Mind("Cy", port, MindConfig(reflection=False), dim=4)
    run(mind.observe(["Bob bakes bread"], now=0.0, about=["Bob"]))
    rel = mind.relationships
    first = run(rel.opinion("Bob", run(mind.about("Bob", 1.0)), port))
    n = len(port.prompts)
    assert first is not None and first.summary == "1 memories"
    assert (
        run(rel.opinion("Bob", run(mind.about("Bob", 1.0)), port)) is first
        and len(port.prompts) == n
    )
    run(mind.observe(["Bob won chess"], now=2.0, about=["Bob"]))
    assert run(rel.opinion("Bob", run(mind.about("Bob", 3.0)), port)).summary == "2 memories"
