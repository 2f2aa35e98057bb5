"""Planning: a day plan in broad strokes, decomposed on demand, revised on reaction (Park 4.3).

Levels: 0 = the day plan (a few chunks from persona and recent reflections), 1 = hour-long
steps, 2 = 5-15 minute steps. A chunk is only decomposed when the agent reaches it, so unused
detail costs no calls. The model proposes durations; they are rescaled to fill the parent chunk
exactly, so a plan always covers its time without gaps or overlaps. `react` asks whether an
observation calls for a change; if so the current activity is cut at `now` and the reaction is
inserted for its duration, pushing nothing else (later steps keep their times, overlaps trimmed).
Times are simulation hours. Hours before the first chunk are sleep (the night before the plan).

Nothing is made up when the model gives no usable answer (the schemas ask for at least one step,
so the session has re-asked once): a missing day plan leaves the day unplanned (`current` is
None), a missing decomposition leaves its chunk undivided, a reaction without an activity is no
reaction; each is counted in `failures` by kind. Every method that may ask is rounds of asks
(`simsocial.rounds`): `yield from planner.current(now)`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from simsocial.llm.prompts import Template
from simsocial.mind.llm_port import AskPort, values
from simsocial.rounds import Rounds

DAY_PLAN = Template(
    "mind.plan_day",
    "{persona}\nRecent thoughts of {name}:\n{reflections}\n\n"
    "Plan {name}'s day in broad strokes, 4 to 8 chunks, as `steps`: each with `start_hour` "
    "(0-23, in increasing order) and `activity`.",
)
DECOMPOSE = Template(
    "mind.plan_decompose",
    "{name} plans to {activity} from hour {start:.2f} for {minutes} minutes. Break this into "
    "{grain} steps as `steps`: each with `activity` and `minutes`.",
)
REACT = Template(
    "mind.plan_react",
    "{name} is currently: {activity}.\nObservation: {observation}\n\n"
    "Should {name} react to the observation? Reply with `react` (true or false), and if true the "
    "new `activity` and its `minutes`.",
)
GRAIN = {1: "hour-long", 2: "5 to 15 minute"}


class DayStep(BaseModel):
    start_hour: int = Field(ge=0, le=23)
    activity: str = Field(max_length=60)


class DayPlan(BaseModel):
    steps: list[DayStep] = Field(min_length=1, max_length=8)  # bounded: constrained models stop


class SubStep(BaseModel):
    activity: str
    minutes: int = Field(ge=1)


class SubSteps(BaseModel):
    steps: list[SubStep] = Field(min_length=1)


class Reaction(BaseModel):
    react: bool
    activity: str = ""
    minutes: int = Field(default=30, ge=1)


@dataclass(slots=True)
class Step:
    """A planned activity over [start, end) hours; children fill it at the next level."""

    start: float
    end: float
    activity: str
    level: int
    children: list[Step] = field(default_factory=list)

    def to_data(self) -> dict[str, Any]:
        """Plain data for a checkpoint (children included)."""
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Step:
        children = [cls.from_data(c) for c in data["children"]]
        return cls(data["start"], data["end"], data["activity"], data["level"], children)


def fill(parent: Step, parts: list[SubStep]) -> list[Step]:
    """Lay `parts` end to end over the parent, durations rescaled to fill it exactly."""
    total = sum(p.minutes for p in parts)
    span = parent.end - parent.start
    steps, t = [], parent.start
    for i, p in enumerate(parts):
        end = parent.end if i == len(parts) - 1 else t + span * p.minutes / total
        steps.append(Step(t, end, p.activity, parent.level + 1))
        t = end
    return steps


def at(steps: list[Step], now: float) -> Step | None:
    return next((s for s in steps if s.start <= now < s.end), None)


class Planner:
    """One agent's plan; `enabled=False` makes every method a no-op without calls."""

    def __init__(
        self,
        llm: AskPort,
        name: str,
        enabled: bool = True,
        finest: int = 2,
        failures: Counter[str] | None = None,
    ) -> None:
        self.llm = llm
        self.name = name
        self.enabled = enabled
        self.finest = finest
        self.day: list[Step] = []
        self.calls = 0
        # pass a mind's `noted` counter to have plan failures reported and checkpointed with it
        self.failures: Counter[str] = Counter() if failures is None else failures

    def get_state(self) -> dict[str, Any]:
        """The day's plan as plain data (the rest is configuration)."""
        return {"day": [step.to_data() for step in self.day]}

    def set_state(self, state: dict[str, Any]) -> None:
        self.day = [Step.from_data(step) for step in state["day"]]

    def _ask(self, prompt: str, schema: type[BaseModel]) -> Rounds[Any]:
        self.calls += 1
        (answer,) = yield from values(self.llm, [prompt], schema)
        return answer

    def plan_day(
        self, persona: str, reflections: list[str], day_start: float
    ) -> Rounds[list[Step]]:
        """Ask for the day's chunks; each lasts until the next starts, the last until midnight."""
        if not self.enabled:
            return []
        answer = yield from self._ask(self.day_prompt(persona, reflections), DayPlan)
        return self.set_day(answer, day_start)

    def day_prompt(self, persona: str, reflections: list[str]) -> str:
        """The day-plan prompt, so a scenario can ask it for many agents in one batch."""
        return DAY_PLAN.render(
            persona=persona, name=self.name, reflections="\n".join(reflections) or "(none)"
        )

    def set_day(self, answer: DayPlan | None, day_start: float) -> list[Step]:
        """Lay out the day from a day-plan answer; without one (or with no steps) the day is
        unplanned and the failure counted."""
        if answer is None or not answer.steps:
            self.failures["day_plan"] += 1
            self.day = []
            return self.day
        steps = sorted(answer.steps, key=lambda s: s.start_hour)
        steps = [
            s for i, s in enumerate(steps) if i == 0 or s.start_hour != steps[i - 1].start_hour
        ]
        if steps[0].start_hour != 0:
            steps.insert(0, DayStep(start_hour=0, activity="sleep"))
        bounds = [s.start_hour for s in steps[1:]] + [24]
        self.day = [
            Step(day_start + s.start_hour, day_start + b, s.activity, 0)
            for s, b in zip(steps, bounds, strict=True)
        ]
        return self.day

    def decompose(self, step: Step) -> Rounds[list[Step]]:
        """Children of a step at the next level (asked once, then kept)."""
        if step.children or step.level >= self.finest:
            return step.children
        prompt = DECOMPOSE.render(
            name=self.name,
            activity=step.activity,
            start=step.start % 24,
            minutes=round((step.end - step.start) * 60),
            grain=GRAIN[step.level + 1],
        )
        answer = yield from self._ask(prompt, SubSteps)
        if answer is None or not answer.steps:
            self.failures["decompose"] += 1
            parts = [SubStep(activity=step.activity, minutes=1)]  # the chunk stays undivided
        else:
            parts = answer.steps
        step.children = fill(step, parts)
        return step.children

    def current(self, now: float) -> Rounds[Step | None]:
        """The finest planned step at `now`, decomposing the path to it on demand."""
        if not self.enabled:
            return None
        step = at(self.day, now)
        while step is not None and step.level < self.finest:
            inner = at((yield from self.decompose(step)), now)
            if inner is None:
                break
            step = inner
        return step

    def react(self, observation: str, now: float) -> Rounds[bool]:
        """Ask whether to react; if so insert the reaction at `now` into the day plan."""
        step = yield from self.current(now)
        if step is None:
            return False
        prompt = REACT.render(name=self.name, activity=step.activity, observation=observation)
        answer = yield from self._ask(prompt, Reaction)
        if answer is None or (answer.react and not answer.activity.strip()):
            self.failures["react"] += 1
            return False
        if not answer.react:
            return False
        self.insert(Step(now, now + answer.minutes / 60, answer.activity, self.finest), now)
        return True

    def insert(self, new: Step, now: float) -> None:
        """Put `new` into the day plan at its time, trimming the chunks it overlaps."""
        kept: list[Step] = []
        for s in self.day:
            if s.end <= new.start or s.start >= new.end:
                kept.append(s)
                continue
            if s.start < new.start:
                kept.append(Step(s.start, new.start, s.activity, s.level))
            if s.end > new.end:
                kept.append(Step(new.end, s.end, s.activity, s.level))
        self.day = sorted([*kept, new], key=lambda s: s.start)
