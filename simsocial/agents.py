"""The LLM-backed agent: it says what it wants to ask, and later hears the answer.

Splitting a decision into asks and answers is what lets a model gather the asks of many agents
and have the gateway answer them concurrently (LLM latency dominates everything else). The
general form is `decide()`, rounds of asks (`simsocial.rounds`); a one-call decision just
overrides `ask` and `receive`, which the default `decide` turns into one round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import mesa

if TYPE_CHECKING:
    from simsocial.llm import Ask
    from simsocial.model import SimModel
    from simsocial.rounds import Rounds


class LLMAgent(mesa.Agent):
    """Base class for agents whose decisions come from a language model."""

    model: SimModel

    def ask(self) -> Ask | None:
        """The request this agent wants answered now, or None to sit this round out."""
        return None

    def receive(self, answer: Any) -> None:
        """Apply the answer (a Completion, Choice or Structured; `answer.ok` may be False)."""

    def decide(self) -> Rounds[int]:
        """This step's decision as rounds of asks; returns how many asks it made. The default
        is one round: `ask()`, then `receive()` (nothing when `ask()` is None)."""
        ask = self.ask()
        if ask is None:
            return 0
        (answer,) = yield [ask]
        self.receive(answer)
        return 1

    def meta(self) -> dict[str, int]:
        """Who and when, copied into the call record."""
        return {"step": self.model.step_index, "agent_id": int(self.unique_id)}
