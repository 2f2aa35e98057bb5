"""The registry of scenario kinds: kind name -> where its spec, model and analysis live.

Entries are import paths, not objects, so that `simsocial validate` and `--help` never import
mesa or the plotting stack.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ScenarioKind:
    name: str
    summary: str
    spec: str  # "module:Class" of the ScenarioSpec subclass
    model: str  # "module:Class" of the mesa.Model subclass
    analysis: str  # module with summarize(run) -> dict and figures(run) -> list

    def load(self, what: str) -> Any:
        target = getattr(self, what)
        module, _, attr = target.partition(":")
        loaded = importlib.import_module(module)
        return getattr(loaded, attr) if attr else loaded


KINDS: dict[str, ScenarioKind] = {
    "opinion": ScenarioKind(
        name="opinion",
        summary="Majority-opinion dynamics (De Marzo et al. 2024): adoption curve, consensus.",
        spec="simsocial.scenarios.opinion.spec:OpinionSpec",
        model="simsocial.scenarios.opinion.model:OpinionModel",
        analysis="simsocial.analysis.opinion",
    ),
    "growth": ScenarioKind(
        name="growth",
        summary="LLM-driven network growth (De Marzo et al. 2023): degree tail, name prior.",
        spec="simsocial.scenarios.growth.spec:GrowthSpec",
        model="simsocial.scenarios.growth.model:GrowthModel",
        analysis="simsocial.analysis.growth",
    ),
    "diffusion": ScenarioKind(
        name="diffusion",
        summary="Information diffusion among generative agents (Park et al. 2023): awareness.",
        spec="simsocial.scenarios.diffusion.spec:DiffusionSpec",
        model="simsocial.scenarios.diffusion.model:DiffusionModel",
        analysis="simsocial.analysis.diffusion",
    ),
}
