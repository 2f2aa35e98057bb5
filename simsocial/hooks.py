"""What a model offers interventions: small protocols, checked with `isinstance`.

An intervention kind names the hook it needs (`@intervention(..., needs="add_agent")`); a model
supports it when it implements the matching protocol here, so a kind a scenario cannot honour is
refused before the first step with one line, instead of failing mid-run.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class AddsAgents(Protocol):
    def add_agent(self, state: dict[str, Any], neighbours: list[int]) -> int:
        """Create an agent with `state`, linked to `neighbours`; return its id."""
        ...


@runtime_checkable
class RemovesAgents(Protocol):
    def remove_agent(self, agent_id: int) -> None:
        """The agent leaves, with its links."""
        ...


@runtime_checkable
class CutsLinks(Protocol):
    def remove_edges(self, edges: list[tuple[int, int]]) -> None:
        """These links of the model's network are cut."""
        ...


@runtime_checkable
class HearsBroadcasts(Protocol):
    def deliver(self, ids: list[int], message: str) -> None:
        """A broadcast reaches these agents; what it means is the scenario's."""
        ...


@runtime_checkable
class InjectsSpeaker(Protocol):
    def inject_speaker(self, thread: int, reply: int, persona: str, mode: str) -> None:
        """`persona` writes reply `reply` of thread `thread`, in place of the speaker the rules
        would pick (mode replace) or as an extra reply there (insert)."""
        ...


HOOKS: dict[str, type] = {
    "add_agent": AddsAgents,
    "remove_agent": RemovesAgents,
    "remove_edges": CutsLinks,
    "deliver": HearsBroadcasts,
    "inject_speaker": InjectsSpeaker,
}


def supports(model: Any, hook: str) -> bool:
    """Whether `model` implements `hook`; cutting links also needs a network to cut."""
    if not isinstance(model, HOOKS[hook]):
        return False
    return hook != "remove_edges" or getattr(model, "graph", None) is not None
