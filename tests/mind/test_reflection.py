"""Reflection triggers exactly at the threshold; evidence is validated; depth is 1 + evidence."""

from __future__ import annotations

import re
from typing import Any

from driving import run
from pydantic import BaseModel

from simsocial.mind.config import MindConfig
from simsocial.mind.core import Mind
from simsocial.mind.importance import Ratings
from simsocial.mind.reflection import Insight, Insights, Questions


def reply(prompt: str, schema: type[BaseModel]) -> Any:
    """Ratings: the number after 'imp'; 4 questions; 6 insights citing 2 shown ids and 999."""
    if issubclass(schema, Ratings):
        items = re.findall(r"^\d+\. (.+)$", prompt, re.MULTILINE)
        return Ratings(
            ratings=[int(m.group(1)) if (m := re.search(r"imp (\d+)", t)) else 2 for t in items]
        )
    if schema is Questions:
        return Questions(questions=["q1", "q2", "q3", "q4"])
    shown = [int(i) for i in re.findall(r"^\[(\d+)\]", prompt, re.MULTILINE)]
    return Insights(
        insights=[
            Insight(text=f"insight {j} on {shown[0]}", evidence=[*shown[:2], 999]) for j in range(6)
        ]
    )


def test_reflection_triggers_exactly_at_threshold(fake_port: type) -> None:
    """14x10 + 9 = 149 does not reflect; one more of importance 1 reaches 150 and does."""
    port = fake_port(reply)
    mind = Mind("Ann", port, MindConfig(reflection_threshold=150), dim=4)
    run(mind.observe([f"event {i} imp 10" for i in range(14)], now=1.0))
    run(mind.observe(["big news imp 9"], now=2.0))
    assert mind.reflector.stats.reflections == 0
    assert not any("salient high-level questions" in p for p in port.prompts)
    run(mind.observe(["small thing imp 1"], now=3.0))
    assert mind.reflector.stats.reflections == 1 and mind.reflector.accumulated == 0.0
    reflections = [r for r in mind.stream.records if r.kind == "reflection"]
    assert len(reflections) == 15  # 3 questions (4th dropped) x 5 insights (6th dropped)
    assert mind.reflector.stats.dropped_evidence == 15  # id 999 cited once per insight
    assert all(r.depth == 1 and 999 not in r.evidence and len(r.evidence) == 2 for r in reflections)


def test_reflection_off_and_depth_grows(fake_port: type) -> None:
    """With reflection off nothing reflects; a reflection citing a reflection has depth 2."""
    off = Mind("Bob", fake_port(reply), MindConfig(reflection=False), dim=4)
    run(off.observe([f"e{i} imp 10" for i in range(20)], now=0.0))
    assert all(r.kind == "observation" for r in off.stream.records)

    def cite_reflections(prompt: str, schema: type[BaseModel]) -> Any:
        if schema is Insights:
            shown = [int(i) for i in re.findall(r"^\[(\d+)\]", prompt, re.MULTILINE)]
            return Insights(insights=[Insight(text="deeper", evidence=shown)])
        return reply(prompt, schema)

    mind = Mind("Cy", fake_port(cite_reflections), MindConfig(reflection_threshold=20, k=50), dim=4)
    run(mind.observe(["a imp 10", "b imp 10"], now=0.0))  # first reflection: depth 1
    run(mind.observe(["c imp 10", "d imp 10"], now=1.0))  # sees the first reflections: depth 2
    depths = [r.depth for r in mind.stream.records if r.kind == "reflection"]
    assert depths[:3] == [1, 1, 1] and max(depths) == 2


def test_questions_see_only_recent_records(fake_port: type) -> None:
    """With 105 records the questions prompt lists ids 5..104 and not 0..4."""
    port = fake_port(reply)
    mind = Mind("Di", port, MindConfig(reflection_threshold=1e9), dim=4)
    run(mind.observe([f"e{i}" for i in range(105)], now=0.0))
    run(mind.reflect(now=1.0))
    (qprompt,) = [p for p in port.prompts if "salient" in p]
    ids = [int(i) for i in re.findall(r"^\[(\d+)\]", qprompt, re.MULTILINE)]
    assert ids == list(range(5, 105))


def test_memory_off_stores_and_recalls_nothing(fake_port: type) -> None:
    """memory=false: observe stores nothing, recall returns nothing, no LLM calls."""
    port = fake_port(reply)
    mind = Mind("Ed", port, MindConfig(memory=False), dim=4)
    assert run(mind.observe(["x imp 9"], now=0.0)) == [] and run(mind.recall("x", 1.0)) == []
    assert port.prompts == []
