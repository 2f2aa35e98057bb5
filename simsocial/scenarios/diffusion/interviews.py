"""The interviews of a diffusion run: what agents *say* they know, scored against the truth.

Every day each agent is asked "Do you know about <topic>?" (yes or no, conditioned on the
memories retrieved for the topic); on the first and last day each is also shown what it
remembers about every other villager and asked whom it knows. Relationship density counts only
pairs who both name each other: 2|E| / (|V| (|V| - 1)). An interview without a usable answer is
logged as failed, leaves `aware` None (not "no") and is counted on the agent's mind. Each
interview is rounds of asks per agent (recall, then the question), advanced together.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, create_model

from simsocial.scenarios.diffusion.village import ACQUAINTANCE_INTERVIEW, NEWS_INTERVIEW, NOTHING

if TYPE_CHECKING:
    from simsocial.rounds import Rounds
    from simsocial.scenarios.diffusion.model import DiffusionModel
    from simsocial.scenarios.diffusion.village import Villager


class Acquaintances(BaseModel):
    """The names an agent says it knows."""

    known: list[str]


@cache
def acquaintances_for(others: int) -> type[Acquaintances]:
    """At most `others` names: the bound keeps a grammar-constrained model from listing on."""
    field = (list[str], Field(max_length=others))
    return create_model(f"Acquaintances{others}", __base__=Acquaintances, known=field)


def ask_news(model: DiffusionModel, a: Villager, now: float) -> Rounds[Any]:
    """Recall for the topic, then "Do you know about <topic>?" (yes or no)."""
    memories = yield from a.memories(model.params.topic, now)
    prompt = NEWS_INTERVIEW.render(
        persona=a.persona.render(), name=a.name, memories=memories, topic=model.params.topic
    )
    (answer,) = yield [
        model.session.ask_choose(
            prompt,
            ["yes", "no"],
            rng=model.rng,
            relabel=False,
            meta=model.meta(a),
            model=a.persona.model,
        )
    ]
    return answer


def interview_news(model: DiffusionModel, now: float) -> None:
    """Ask "Do you know about <topic>?" to everyone, scored against the ground truth."""
    agents = model.villagers
    answers = model.consult_villagers([ask_news(model, a, now) for a in agents])
    model.calls["interview"] += len(agents)
    for agent, answer in zip(agents, answers, strict=True):
        # no answer is no answer: neither aware nor unaware, and counted
        agent.aware = None if answer.choice is None else answer.choice == "yes"
        if answer.choice is None:
            agent.mind.note("interview_news_unanswered")
        model.log(
            "interview",
            {
                "question": "news",
                "name": agent.name,
                "day": model.step_index + 1,
                "answer": answer.choice,
                "reply": answer.record.reply,
                "informed": agent.informed,
                "seeded": agent.seeded,
            },
            agent.unique_id,
        )


def ask_acquaintances(model: DiffusionModel, a: Villager, now: float) -> Rounds[Any]:
    """What `a` remembers about each other villager (one embedding round), then whom it knows."""
    others = [b for b in model.villagers if b is not a]
    found = yield from a.mind.about_many([b.name for b in others], now, 1)
    lines = [
        f"- {b.name}: {rs[0].text if rs else NOTHING}" for b, rs in zip(others, found, strict=True)
    ]
    prompt = ACQUAINTANCE_INTERVIEW.render(
        persona=a.persona.render(), name=a.name, lines="\n".join(lines)
    )
    (answer,) = yield [
        model.session.ask_structured(
            prompt, acquaintances_for(len(others)), meta=model.meta(a), model=a.persona.model
        )
    ]
    return answer


def interview_acquaintances(model: DiffusionModel, now: float, when: str) -> float:
    """Whom does each agent say it knows? Density over pairs who both name each other."""
    agents = model.villagers
    answers = model.consult_villagers([ask_acquaintances(model, a, now) for a in agents])
    model.calls["acquaintances"] += len(agents)
    for agent, answer in zip(agents, answers, strict=True):
        if answer.value is None:
            agent.mind.note("interview_acquaintances_unanswered")
        named = answer.value.known if answer.value is not None else []  # names no one
        found = [model.by_name.get(n.strip().casefold()) for n in named]
        agent.known = sorted({f.name for f in found if f is not None and f is not agent})
        model.log(
            "interview",
            {
                "question": "acquaintances",
                "when": when,
                "name": agent.name,
                "day": model.step_index + 1,
                "known": agent.known,
                "failed": answer.value is None,
            },
            agent.unique_id,
        )
    return density(agents)


def density(agents: list[Villager]) -> float:
    """2|E| / (|V| (|V| - 1)) over pairs who both say they know each other."""
    names = {a.name: set(a.known) for a in agents}
    mutual = sum(1 for a, ks in names.items() for b in ks if a < b and a in names.get(b, ()))
    n = len(names)
    return 2 * mutual / (n * (n - 1)) if n > 1 else 0.0
