"""What a scenario's interventions may name, known before any model is built.

`simsocial validate` must catch what `run` would trip over at step 2: a selector naming a trait no
agent has, a state value outside the scenario's labels, a condition over a metric the model does
not report, a kind the model cannot apply. Each scenario kind declares these in its spec
(`ScenarioSpec.vocabulary`) from the spec and the files it names, without importing mesa; a test
holds every declaration to the model it describes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A set of allowed values (checked), or None: any value of a known trait.
Values = tuple[Any, ...] | None
BOOL: Values = (True, False)


@dataclass(frozen=True)
class Population:
    """What the spec's files say about the agents: network node ids, blocks, persona fields."""

    nodes: list[Any] | None = None  # original node ids, when a network is laid out
    blocks: int | None = None  # number of stochastic blocks
    persona_fields: frozenset[str] = frozenset()  # persona keys and demographics in the files
    personas: int = 0  # personas the files hold


@dataclass(frozen=True)
class Vocabulary:
    """Traits selectors may read, state `set_state`/`add_agents` may write, metrics conditions
    may read, and the model hooks (simsocial.model.SimModel) the scenario implements."""

    kind: str
    traits: dict[str, Values] = field(default_factory=dict)
    state: dict[str, Values] = field(default_factory=dict)
    metrics: frozenset[str] = frozenset({"step"})
    hooks: frozenset[str] = frozenset()
    note: str = ""  # why hooks or state are missing, for the messages


def network_traits(population: Population) -> dict[str, Values]:
    """`node` (the original id) and, in a stochastic block model, `block` (0..k-1)."""
    traits: dict[str, Values] = {}
    if population.nodes is not None:
        traits["node"] = None
    if population.blocks is not None:
        traits["block"] = tuple(range(population.blocks))
    return traits


def allows(values: Values, value: Any) -> bool:
    """Whether `value` is one of `values` (type-exact: 1 is not true), or any value is allowed."""
    if values is None:
        return True
    return any(type(value) is type(v) and value == v for v in values)


def shown(values: Values) -> str:
    """'A' or 'B'; true or false; 0, 1 or 2."""
    if values is None:
        return "any value"
    words = [("true" if v else "false") if isinstance(v, bool) else repr(v) for v in values]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
