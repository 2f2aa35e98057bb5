"""Selectors: which agents an intervention touches (ids, traits, a random share, network hubs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, NonNegativeInt, model_validator

from simsocial.errors import InterventionError
from simsocial.spec_base import LocatedValueError, StrictModel

if TYPE_CHECKING:
    from simsocial.model import SimModel


class Selector(StrictModel):
    """Which agents: `ids` and/or a `trait` filter, then at most one of fraction/random/top_degree.

    Without any key, every agent is selected. Random picks use the model's seeded RNG.
    """

    ids: list[int] | None = Field(None, description="These agent ids.")
    trait: dict[str, Any] | None = Field(
        None,
        description=(
            "Agents whose attribute (or persona field) equals the value, or is in it when the "
            "value is a list; e.g. {opinion: A}."
        ),
    )
    fraction: float | None = Field(
        None, ge=0.0, le=1.0, description="This share of the candidates, drawn at random."
    )
    random: NonNegativeInt | None = Field(None, description="This many candidates, at random.")
    top_degree: NonNegativeInt | None = Field(
        None, description="The k candidates with the most network neighbours (ties: lowest id)."
    )

    @model_validator(mode="after")
    def _one_pick(self) -> Selector:
        picks = [k for k in ("fraction", "random", "top_degree") if getattr(self, k) is not None]
        if len(picks) > 1:
            raise LocatedValueError(
                [((picks[1],), f"choose one of fraction, random, top_degree, not {picks}")]
            )
        return self


def select(model: SimModel, selector: Selector) -> list[int]:
    """Sorted ids of the selected agents; random picks draw from `model.rng`."""
    agents = model.intervention_agents()
    ids = sorted(agents)
    if selector.ids is not None:
        unknown = sorted(set(selector.ids) - set(agents))
        if unknown:
            raise InterventionError(f"select.ids: no agents with ids {unknown}")
        wanted = set(selector.ids)
        ids = [i for i in ids if i in wanted]
    if selector.trait:
        for key in selector.trait:
            if agents and not any(_has(agent, key) for agent in agents.values()):
                raise InterventionError(
                    f"select.trait: no agent has a trait '{key}', so nobody would be selected"
                )
        ids = [i for i in ids if _matches(agents[i], selector.trait)]
    if selector.fraction is not None:
        return _draw(model, ids, round(selector.fraction * len(ids)))
    if selector.random is not None:
        return _draw(model, ids, min(selector.random, len(ids)))
    if selector.top_degree is not None:
        if model.graph is None:
            raise InterventionError("select.top_degree needs a network, and this model has none")
        degree = model.graph.degree
        ranked = sorted(ids, key=lambda i: (-degree[i] if i in model.graph else 0, i))
        return sorted(ranked[: selector.top_degree])
    return ids


def _draw(model: SimModel, ids: list[int], k: int) -> list[int]:
    if k <= 0:
        return []
    picks = model.rng.choice(len(ids), size=k, replace=False)
    return sorted(ids[int(p)] for p in picks)


def _matches(agent: Any, trait: dict[str, Any]) -> bool:
    """Every key matches: equal, one of a list of values, or contained in a list attribute."""
    for key, wanted in trait.items():
        value = trait_value(agent, key)
        if isinstance(wanted, list):
            ok = value in wanted
        elif isinstance(value, list | tuple | set):
            ok = wanted in value
        else:
            ok = value == wanted
        if not ok:
            return False
    return True


def _has(agent: Any, key: str) -> bool:
    """Whether `key` is an attribute of the agent, or a field or demographic of its persona."""
    if hasattr(agent, key):
        return True
    persona = getattr(agent, "persona", None)
    if isinstance(persona, dict):
        return key in persona or key in (persona.get("demographics") or {})
    if persona is None:
        return False
    demographics = getattr(persona, "demographics", None)
    return hasattr(persona, key) or (isinstance(demographics, dict) and key in demographics)


def trait_value(agent: Any, key: str) -> Any:
    """An agent attribute, else a persona field or demographic (object or mapping), else None."""
    if hasattr(agent, key):
        return getattr(agent, key)
    persona = getattr(agent, "persona", None)
    if isinstance(persona, dict):
        return persona.get(key, (persona.get("demographics") or {}).get(key))
    if persona is not None:
        if hasattr(persona, key):
            return getattr(persona, key)
        demographics = getattr(persona, "demographics", None)
        if isinstance(demographics, dict):
            return demographics.get(key)
    return None
