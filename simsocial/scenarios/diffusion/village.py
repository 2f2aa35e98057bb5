"""The villagers of a diffusion run and the prompts they are asked (named, hashed templates).

Personas come from the spec's file for the first agents and are generated for the rest: first
names from the package's list in seeded random order, an occupation and three traits each, so
prompts differ between seeds and no generated description mentions the news.

What a villager does with the model is rounds of asks (`simsocial.rounds`): its mind's and its
own asks are yielded, never gathered here; the model advances all villagers together.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import numpy as np

from simsocial.agents import LLMAgent
from simsocial.llm.prompts import Template
from simsocial.mind import Mind, SessionPort
from simsocial.mind.planning import Planner
from simsocial.personas import Persona
from simsocial.rounds import Rounds
from simsocial.state import Stateful

if TYPE_CHECKING:
    from simsocial.scenarios.diffusion.model import DiffusionModel

UTTERANCE = Template(
    "diffusion.utterance",
    "{persona}\nIt is day {day}, {clock}. Current activity: {activity}.\n"
    "What {name} remembers:\n{memories}\n"
    "What {name} remembers about {partner}:\n{about}\n\n"
    "{name} is talking with {partner}. The conversation so far:\n{dialogue}\n\n"
    "Write {name}'s next line in the conversation: one or two sentences, nothing else.",
)
NEWS_INTERVIEW = Template(
    "diffusion.interview_news",
    "{persona}\nWhat {name} remembers:\n{memories}\n\n"
    "Interviewer: {name}, do you know about {topic}? Answer [yes] or [no].",
)
ACQUAINTANCE_INTERVIEW = Template(
    "diffusion.interview_acquaintances",
    "{persona}\nWhat {name} remembers about people in town:\n{lines}\n\n"
    "Interviewer: which of these people do you know, {name}? Reply with `known`: their names.",
)
HEARD = "{speaker} said to {listener}: {text}"
ACQUAINTED = "{name} knows {other}. {description}"
NOTHING = "(nothing)"

OCCUPATIONS = (
    "baker", "teacher", "nurse", "farmer", "librarian", "carpenter", "student", "painter",
    "shop assistant", "postal worker", "mechanic", "gardener", "musician", "pharmacist",
)  # fmt: skip
TRAITS = (
    "friendly", "shy", "curious", "talkative", "reserved", "cheerful", "careful", "stubborn",
    "generous", "ambitious", "calm", "witty", "practical", "dreamy", "loyal", "sceptical",
)  # fmt: skip


def generate(rng: np.random.Generator, count: int, taken: set[str]) -> list[Persona]:
    """`count` villagers with names not in `taken` (case-insensitive)."""
    from simsocial.scenarios.growth.model import first_names

    pool = [n for n in first_names() if n.casefold() not in taken]
    order = [pool[int(i)] for i in rng.permutation(len(pool))]
    people = []
    for i in range(count):
        name = order[i % len(order)] + (f" {i // len(order) + 1}" if i >= len(order) else "")
        job = OCCUPATIONS[int(rng.integers(len(OCCUPATIONS)))]
        traits = [TRAITS[int(j)] for j in rng.choice(len(TRAITS), size=3, replace=False)]
        people.append(
            Persona(
                name=name,
                description=f"Lives in the village and works as a {job}.",
                traits=traits,
                demographics={"occupation": job},
            )
        )
    return people


def bullets(lines: list[str]) -> str:
    """`- line` rows, or the marker for an empty memory."""
    return "\n".join(f"- {line}" for line in lines) if lines else NOTHING


def mentions(text: str, keywords: list[str]) -> bool:
    """Whether an utterance carries the news: every keyword appears (case-insensitive)."""
    folded = text.casefold()
    return all(k.casefold() in folded for k in keywords)


class Villager(Stateful, LLMAgent):
    """A persona with a mind, a day plan and (beside it, for scoring only) the ground truth."""

    model: DiffusionModel
    STATE = ("mind", "planner", "informed", "aware", "known")

    def __init__(self, model: DiffusionModel, persona: Persona):
        super().__init__(model)
        self.persona = persona
        self.name = persona.name
        self.port = SessionPort(
            model.session, {"agent_id": int(self.unique_id)}, model=persona.model
        )
        self.mind = Mind(self.name, self.port, model.spec.mind)
        self.planner = Planner(
            self.port, self.name, model.spec.mind.planning, finest=0, failures=self.mind.noted
        )
        self.seeded = False
        self.informed = False  # ground truth: seeded, or told by an informed speaker
        self.aware: bool | None = None  # what the last interview said (None: no answer)
        self.known: list[str] = []

    def memories(self, query: str, now: float) -> Rounds[str]:
        """Retrieved memories as bullets; a seeded agent always knows its news."""
        lines = yield from self.mind.context(query, now)
        if self.seeded:
            lines = f"- {self.model.params.news}" + (f"\n{lines}" if lines else "")
        return lines or NOTHING

    def about(self, other: str, now: float, k: int = 3) -> Rounds[list[str]]:
        return [r.text for r in (yield from self.mind.about(other, now, k))]

    def plan(self, day_start: float) -> Rounds[list[Any]]:
        """The day plan (its last five reflections feed it)."""
        reflections = [r.text for r in self.mind.stream.records if r.kind == "reflection"][-5:]
        return (yield from self.planner.plan_day(self.persona.render(), reflections, day_start))

    def speak(self, listener: Villager, dialogue: list[tuple[str, str]], now: float) -> Rounds[Any]:
        """The next line to `listener`: recall (embedding rounds), then the utterance."""
        step = yield from self.planner.current(now)
        memories = yield from self.memories(f"{self.name} talking with {listener.name}", now)
        about = yield from self.about(listener.name, now)
        prompt = UTTERANCE.render(
            persona=self.persona.render(),
            day=self.model.step_index + 1,
            clock=f"{int(now % 24):02d}:{int(now % 1 * 60):02d}",
            activity=step.activity if step is not None else "going about the day",
            name=self.name,
            memories=memories,
            partner=listener.name,
            about=bullets(about),
            dialogue=bullets([f"{s}: {t}" for s, t in dialogue]) if dialogue else "(just met)",
        )
        ask = self.model.session.ask_complete(
            prompt,
            max_tokens=self.model.params.utterance_tokens,
            meta=self.model.meta(self),
            model=self.persona.model,
        )
        (answer,) = yield [ask]
        return answer

    def remember(
        self, texts: list[str], about: list[str], now: float, kind: str
    ) -> Rounds[tuple[int, int]]:
        """Perceive `texts` (each about the named person, "" for none); returns the rating asks
        and the other mind asks (reflection) it took."""
        calls, rated = self.port.calls, self.mind.asked["importance"]
        yield from self.mind.perceive(texts, now, kind=kind, about=about)
        importance = self.mind.asked["importance"] - rated
        return importance, self.port.calls - calls - importance


def failures(villagers: list[Villager]) -> dict[str, int]:
    """What the model failed to give the village, by kind, summed over agents (for the manifest:
    unrated memories, failed importance batches, day plans, interviews; empty when none)."""
    total: Counter[str] = Counter()
    for agent in villagers:
        total.update(agent.mind.failures())
    return dict(sorted(total.items()))
