"""The leaf of the spec layer: the base model and the error a validator raises to blame a key.

Everything that validates part of a scenario (spec models, networks, interventions, persona and
edge-list readers) imports from here and from simsocial.spec_errors, never from simsocial.spec
(which imports them all), so the spec layer has no import cycle.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

Loc = tuple[str, ...]


class LocatedValueError(ValueError):
    """Raised by a model validator to blame keys below its model (e.g. `params.m`), not the block.

    `problems` holds (path relative to the model, message) pairs; simsocial.spec reports each one
    at its own line.
    """

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]):
        self.problems = problems
        super().__init__("; ".join(f"{'.'.join(map(str, w))}: {m}" for w, m in problems))


class StrictModel(BaseModel):
    """Unknown keys are errors: a typo in a scenario file must not be silently ignored."""

    model_config = ConfigDict(extra="forbid")
