"""One LLM action on the platform, as rounds: ask, apply, re-ask once, then record a failure.

The growth scenario's policy for anything an LLM decides: an answer the platform refuses (empty
text, no parseable choice, no reply at all) is asked again once with the reason appended; a
second refusal is an `action_failed` event with the action, the reason and the raw reply, and
nothing reaches the tables. Applying happens as each answer comes back, in the order the
decisions were given to the model, so post and vote ids never depend on timing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from simsocial.platform import InvalidAction
from simsocial.rounds import Rounds

T = TypeVar("T")


def attempt(
    log: Callable[[str, dict[str, Any], int], None],
    action: str,
    actor: int,
    make: Callable[[str | None], Any],
    apply: Callable[[Any], T],
) -> Rounds[T | None]:
    """Ask `make(None)`; `apply` its answer (InvalidAction: refused); on a refusal ask
    `make(reason)` once more; a second refusal is logged as `action_failed`, result None."""
    reason: str | None = None
    reply: str | None = None
    for _ in range(2):
        (answer,) = yield [make(reason)]
        try:
            return apply(answer)
        except InvalidAction as exc:
            reason = str(exc)
            reply = getattr(answer.record, "reply", None)
    log("action_failed", {"action": action, "reason": reason, "reply": reply}, actor)
    return None


def no_reply(answer: Any) -> InvalidAction:
    """The refusal for an answer that never came (the call failed after its retries)."""
    error = getattr(answer.record, "error", None) or "the call failed"
    return InvalidAction(f"no reply came back ({error})")
