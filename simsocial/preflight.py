"""Which models a scenario will call, checked before a run writes anything.

The run's own model, the models its personas or judges pin and the models a `set_param`
intervention switches to: each is checked by `simsocial.llm.preflight` (credentials, endpoint,
served model, price), so a dead model is one line and exit 2 instead of a run of failed steps.
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
    """The run's model, the models personas pin, the models a block's judges pin (the forum's
    `judge` and `realism`; "offline" asks none), and models a set_param intervention switches
    to: each with the run's other llm keys."""
    from simsocial.personas import load

    strings = []
    block = getattr(spec, getattr(spec, "BLOCK", spec.kind), None)  # the kind's own block
    personas = getattr(block, "personas", None)
    if isinstance(personas, str | Path):
        strings += [p.model for p in load(personas) if p.model]
    for part in ("judge", "realism"):  # a block's own judges (the forum's) may pin models
        pinned = getattr(getattr(block, part, None), "model", None)
        if isinstance(pinned, str) and pinned != "offline":
            strings.append(pinned)
    for entry in spec.interventions:
        extra = entry.model_extra or {}
        if entry.do == "set_param" and extra.get("path") == "llm.model":
            strings.append(str(extra.get("value")))
    others = dict.fromkeys(m for m in strings if m != spec.llm.model)
    return [spec.llm, *(spec.llm.model_copy(update={"model": m}) for m in others)]
