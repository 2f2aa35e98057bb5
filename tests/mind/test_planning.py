"""Planning: day chunks cover the day, decomposition fills parents exactly, reactions insert."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from driving import run
from pydantic import BaseModel

from simsocial.mind.planning import DayPlan, DayStep, Planner, Reaction, SubStep, SubSteps


def reply(prompt: str, schema: type[BaseModel]) -> Any:
    """Day: work at 9, sleep at 22 (unsorted); substeps 30+30+60 min; always react."""
    if schema is DayPlan:
        return DayPlan(
            steps=[
                DayStep(start_hour=22, activity="sleep"),
                DayStep(start_hour=9, activity="work"),
            ]
        )
    if schema is SubSteps:
        return SubSteps(
            steps=[
                SubStep(activity="a", minutes=30),
                SubStep(activity="b", minutes=30),
                SubStep(activity="c", minutes=60),
            ]
        )
    return Reaction(react="mayor" in prompt, activity="talk to Ann", minutes=45)


def test_day_plan_covers_the_day(fake_port: type) -> None:
    """Chunks are sorted, a sleep chunk fills from midnight, the last runs to hour 24."""
    planner = Planner(fake_port(reply), "Ann")
    day = run(planner.plan_day("Ann is a baker.", [], day_start=24.0))
    assert [(s.start, s.end, s.activity) for s in day] == [
        (24.0, 33.0, "sleep"),
        (33.0, 46.0, "work"),
        (46.0, 48.0, "sleep"),
    ]


def test_decomposition_on_demand_fills_parent(fake_port: type) -> None:
    """13 h of work split 30:30:60 -> 3.25 h, 3.25 h, 6.5 h; the first again into minutes."""
    port = fake_port(reply)
    planner = Planner(port, "Ann")
    run(planner.plan_day("Ann", [], 0.0))
    calls = planner.calls
    step = run(planner.current(9.5))
    assert planner.calls == calls + 2  # work -> hour level, then its first part -> fine level
    work = planner.day[1]
    assert [(c.start, c.end) for c in work.children] == [(9.0, 12.25), (12.25, 15.5), (15.5, 22.0)]
    assert step is not None and step.level == 2
    assert (step.start, step.end, step.activity) == pytest.approx((9.0, 9.8125, "a"), abs=1e-9)
    run(planner.current(9.6))
    assert planner.calls == calls + 2  # already decomposed: no new call


def test_reaction_inserts_and_trims(fake_port: type) -> None:
    """Hearing news at 10.0 inserts 45 minutes of 'talk to Ann'; work resumes at 10.75."""
    planner = Planner(fake_port(reply), "Ann")
    run(planner.plan_day("Ann", [], 0.0))
    assert not run(planner.react("a bird sings", 10.0))
    assert run(planner.react("Ann is running for mayor", 10.0))
    spans = [(s.start, s.end, s.activity) for s in planner.day]
    assert spans == [
        (0.0, 9.0, "sleep"),
        (9.0, 10.0, "work"),
        (10.0, 10.75, "talk to Ann"),
        (10.75, 22.0, "work"),
        (22.0, 24.0, "sleep"),
    ]
    assert run(planner.current(10.5)).activity == "talk to Ann"


def test_planning_off_makes_no_calls(fake_port: type) -> None:
    """enabled=False: no plan, no current step, no reaction, zero calls."""
    port = fake_port(reply)
    planner = Planner(port, "Ann", enabled=False)
    assert run(planner.plan_day("Ann", [], 0.0)) == [] and run(planner.current(5.0)) is None
    assert not run(planner.react("Ann is running for mayor", 5.0)) and port.prompts == []


def test_missing_answers_are_counted_not_made_up(fake_port: type) -> None:
    """A failed day plan leaves the day unplanned (no all-day "sleep"); a reaction without an
    activity is no reaction; both are failures by kind, shared with the counter passed in."""
    noted: Counter[str] = Counter()
    planner = Planner(fake_port(lambda p, s: None), "Ann", failures=noted)
    assert run(planner.plan_day("Ann", [], 0.0)) == [] and run(planner.current(5.0)) is None
    assert noted == {"day_plan": 1}

    def vague(prompt: str, schema: type[BaseModel]) -> Any:
        return Reaction(react=True, activity=" ") if schema is Reaction else reply(prompt, schema)

    other = Planner(fake_port(vague), "Bo")
    run(other.plan_day("Bo", [], 0.0))
    assert not run(other.react("Ann is running for mayor", 10.0)) and other.failures == {"react": 1}
