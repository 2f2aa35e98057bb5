"""Which models a scenario will call, checked before a run writes anything.

The run's own model, the models its personas pin and the models a `set_param` intervention
switches to: each is checked by `simsocial.llm.preflight` (credentials, endpoint, served model,
price), so a dead model is one line and exit 2 instead of a run of failed steps.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simsocial.llm import LLMConfig
    from simsocial.spec_models import ScenarioSpec


def preflight_models(spec: ScenarioSpec) -> None:
    """Check, before anything is written, that every model the run will call can answer."""
    from simsocial.llm.preflight import preflight

    preflight(models_of(spec))


def models_of(spec: ScenarioSpec) -> list[LLMConfig]:
    """The run's model, the models personas pin, and models a set_param intervention switches
    to: each with the run's other llm keys."""
    from simsocial.personas import load

    strings = []
    personas = getattr(getattr(spec, spec.kind, None), "personas", None)
    if isinstance(personas, str | Path):
        strings += [p.model for p in load(personas) if p.model]
    for entry in spec.interventions:
        extra = entry.model_extra or {}
        if entry.do == "set_param" and extra.get("path") == "llm.model":
            strings.append(str(extra.get("value")))
    others = dict.fromkeys(m for m in strings if m != spec.llm.model)
    return [spec.llm, *(spec.llm.model_copy(update={"model": m}) for m in others)]
