"""Intervention kinds of the forum: WhatIf puts a given persona into a thread at a given reply.

Social Simulacra's WhatIf asks how a thread would go had someone else spoken: `replace` gives
reply K of the thread to the persona instead of the speaker the rules would pick, `insert` adds
the persona's reply as reply K (the rules' replies follow it). Either way the thread then goes on
under its usual rules. Only a model implementing `InjectsSpeaker` (simsocial.hooks) accepts it,
so other kinds refuse it before the first step.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator

from simsocial.interventions.registry import Act, intervention
from simsocial.spec_base import StrictModel


class WhatIfParams(StrictModel):
    thread: NonNegativeInt = Field(..., description="Which thread: 0 is the first top post.")
    reply: PositiveInt = Field(..., description="K: the reply position the persona writes (1..).")
    persona: str = Field(
        ...,
        min_length=1,
        description='Who: "[Name] what they do" (e.g. "[Troll] shares trolling comments.") or '
        '"Name, one-liner".',
    )
    mode: Literal["replace", "insert"] = Field(
        "replace",
        description="replace: the persona writes reply K instead of the rules' speaker; insert: "
        "an extra reply K, the rules' replies after it.",
    )

    @field_validator("persona")
    @classmethod
    def _persona_shape(cls, value: str) -> str:
        from simsocial.scenarios.forum.personas import parse_injected

        parse_injected(value)
        return value


@intervention("whatif", WhatIfParams, needs="inject_speaker")
def whatif(act: Act) -> dict[str, Any]:
    """Put a persona into a forum thread at reply K (replace its speaker, or insert a reply)."""
    params = act.params
    # the pending injection is model state: on replay the checkpoint restores it (or its being
    # spent) right after this call, so replay only repeats the registration
    act.model.inject_speaker(params.thread, params.reply, params.persona, params.mode)  # type: ignore[attr-defined]
    return {
        "ids": [],
        "thread": params.thread,
        "reply": params.reply,
        "persona": params.persona,
        "mode": params.mode,
    }
