"""What-if events in a scenario file: `at` a step or `when` a condition holds, `do` a kind.

    interventions:
      - {at: 0, do: set_state, select: {fraction: 0.1}, state: {zealot: true, opinion: B}}
      - {when: "abs(m) >= 0.9", do: set_param, path: llm.temperature, value: 1.0}

Kinds are registered with `@intervention(name, ParamsModel)`; see `registry` for writing one,
`kinds` for the generic ones, `schedule` for when they fire and how they survive resume.
"""

from __future__ import annotations

from simsocial.errors import InterventionError
from simsocial.interventions import forum_kinds as _forum_kinds  # noqa: F401  (whatif)
from simsocial.interventions import kinds as _kinds  # noqa: F401  (registers the generic kinds)
from simsocial.interventions.conditions import Condition, ConditionError, parse_condition
from simsocial.interventions.registry import (
    KINDS,
    Act,
    InterventionKind,
    check_against_spec,
    check_intervention,
    intervention,
)
from simsocial.interventions.schedule import Schedule, metrics
from simsocial.interventions.select import Selector

__all__ = [
    "KINDS",
    "Act",
    "Condition",
    "ConditionError",
    "InterventionError",
    "InterventionKind",
    "Schedule",
    "Selector",
    "check_against_spec",
    "check_intervention",
    "intervention",
    "metrics",
    "parse_condition",
]
