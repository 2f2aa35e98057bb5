"""A test-only scenario kind whose block embeds the survey persona source, as the feed kind will,
so `simsocial validate` can be run on it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simsocial.personas.anes_spec import PersonaSourceSpec
from simsocial.spec_base import StrictModel
from simsocial.spec_models import ScenarioSpec


class ProbeBlock(StrictModel):
    personas: PersonaSourceSpec = Field(..., description="Where the personas come from.")


class ProbeSpec(ScenarioSpec):
    kind: Literal["anes_probe"] = "anes_probe"
    probe: ProbeBlock
