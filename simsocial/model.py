"""The model base: stepping schemes that batch LLM asks, event logging, checkpoint state.

A scenario subclasses `SimModel`, builds its agents in `__init__`, and in `step()` calls
`consult(agents)` (everyone sees the state at t), `consult_rounds(decisions)` (decisions of
several rounds each, advanced together: `simsocial.rounds`) or `consult_sequential(order)` (one
at a time in the given order, batching only agents whose inputs cannot depend on each other).
This module is the one place that gathers: scenarios and minds only yield asks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import networkx as nx

from simsocial.agents import LLMAgent
from simsocial.networks import independent_batches
from simsocial.rounds import Rounds, advance
from simsocial.state import Stateful

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa

    from simsocial.llm import Session
    from simsocial.spec_models import ScenarioSpec

EventSink = Callable[[int, int, str, dict[str, Any]], None]


class SimModel(Stateful, mesa.Model):
    """A Mesa model whose agents think through one shared LLM session."""

    STATE = ("done",)
    # the kind's own tables of the run directory (name -> Arrow schema), registered with the
    # store before anything is written; their rows come from `drain_tables` after every step
    TABLES: ClassVar[dict[str, pa.Schema]] = {}

    def __init__(self, spec: ScenarioSpec, session: Session, log_event: EventSink | None = None):
        super().__init__(rng=spec.seed)
        self.spec = spec
        self.session = session
        self.step_index = 0
        self.done = False
        self.graph: nx.Graph | None = None
        # the runner records the state before step 0 as step -1; a model whose steps are
        # independent measurements (opinion adoption) has no starting state and says so
        self.has_starting_state = True
        self._log_event = log_event
        # set by the runner: writes the rows and call records buffered so far (`spill`)
        self.spill_sink: Callable[[], None] | None = None
        # set by the runner: the run directory, for kinds that write files beside the tables
        # (images, adapters); None when a model is built outside a run
        self.run_dir: Path | None = None

    def log(self, kind: str, payload: dict[str, Any], agent_id: int = -1) -> None:
        """Record an action in events.parquet."""
        if self._log_event is not None:
            self._log_event(self.step_index, agent_id, kind, payload)

    def spill(self) -> None:
        """Write the events and call records of the step so far as part files, so a step of a
        million decisions never holds them all; call it between gathers. As safe as a step's
        end: `resume` drops parts written after the last checkpoint and redoes the step."""
        if self.spill_sink is not None:
            self.spill_sink()

    def consult_rounds(self, decisions: Sequence[Rounds[Any]]) -> list[Any]:
        """Advance every decision together, one gather per round across all of them (asks are
        prepared in the order given, then in each decision's own order); their results."""
        return advance(decisions, self._gather)

    def consult(self, agents: Iterable[LLMAgent]) -> int:
        """Every agent's `decide()` together; how many asks were made."""
        return sum(self.consult_rounds([agent.decide() for agent in agents]))

    def _gather(self, asks: list[Any]) -> list[Any]:
        return self.session.gather(asks)

    def consult_sequential(
        self, order: Sequence[int], after_each: Callable[[LLMAgent], bool] | None = None
    ) -> int:
        """Strict sequential semantics with batched calls.

        Agents act in `order` (agent ids, repeats allowed). Consecutive agents that are neither the
        same nor neighbours in `self.graph` cannot influence each other's inputs, so they are asked
        together; answers are applied in order. `after_each` may return True to stop (e.g. at
        consensus); the rest of the order is then skipped.
        """
        if self.graph is None:
            raise RuntimeError("consult_sequential needs self.graph")
        by_id = {agent.unique_id: agent for agent in self.agents}
        acted = 0
        for batch in independent_batches(list(order), self.graph):
            members = [by_id[i] for i in batch]
            askers, asks = [], []
            for agent in members:
                ask = agent.ask()
                askers.append(agent)
                asks.append(ask)
            real = [a for a in asks if a is not None]
            answers = iter(self._gather(real)) if real else iter(())
            for agent, ask in zip(askers, asks, strict=True):
                if ask is not None:
                    agent.receive(next(answers))
                acted += 1
                if after_each is not None and after_each(agent):
                    return acted
        return acted

    # --- state for checkpoint/resume -------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        """The fields named in `STATE` (simsocial.state), and each `Stateful` agent's state by
        id; a subclass declares its fields, or extends this for what fields cannot say."""
        state = super().get_state()
        agents = {int(a.unique_id): a.get_state() for a in self.agents if isinstance(a, Stateful)}
        if agents:
            state["agents"] = agents
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        by_id = {int(a.unique_id): a for a in self.agents}
        for agent_id, saved in (state.get("agents") or {}).items():
            by_id[int(agent_id)].set_state(saved)

    def capture(self) -> dict[str, Any]:
        """The model's part of a checkpoint (the runner adds the session's and the schedule's)."""
        return {
            "scenario": self.get_state(),
            "rng": self.rng.bit_generator.state,
            "random": self.random.getstate(),
        }

    def restore(self, captured: dict[str, Any]) -> None:
        """Overwrite the state with `capture()`'s; interventions that fired before it (added
        agents, cut links) are replayed first by the runner."""
        self.set_state(captured["scenario"])
        self.rng.bit_generator.state = captured["rng"]
        self.random.setstate(captured["random"])

    # --- what interventions use; the hooks a kind offers are the protocols of simsocial.hooks
    # --- it implements (add_agent, remove_agent, remove_edges, deliver)

    def intervention_agents(self) -> dict[int, Any]:
        """The agents selectors choose from, by id."""
        return {int(agent.unique_id): agent for agent in self.agents}

    def agents_changed(self, ids: list[int]) -> None:
        """Agents were set, added or removed: recompute derived counts, check values."""

    def params_changed(self, path: str) -> None:
        """`set_param` changed the spec at `path` (already written into `self.spec`)."""

    def remove_edges(self, edges: list[tuple[int, int]]) -> None:
        """Cut links of the network (the `CutsLinks` hook of every model that has one)."""
        if self.graph is None:
            raise NotImplementedError("this model has no network")
        self.graph.remove_edges_from(edges)

    # --- hooks for the runner ---------------------------------------------------------------

    def reporters(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Mesa DataCollector reporters (model, agent) for model.parquet and agents.parquet."""
        return {}, {}

    def agent_columns(self) -> dict[str, Any] | None:
        """agents.parquet as columns (agent_id first, then one array each), for a model whose
        agents are arrays rather than Mesa agents; None: the agent reporters make the rows."""
        return None

    def graph_edges(self) -> Iterable[tuple[int, int]] | None:
        """The network's edges for graphs.parquet (an (E, 2) array will do), or None."""
        return None if self.graph is None else self.graph.edges()

    def drain_tables(self) -> dict[str, pa.Table]:
        """Rows added to the kind's own tables since the last call (the runner writes them after
        the starting state and after every step, before a checkpoint counts them)."""
        return {}

    def prompt_templates(self) -> dict[str, str]:
        """Scenario prompt templates by name, hashed into the manifest."""
        return {}

    def summary(self) -> dict[str, Any]:
        """A few numbers for the progress line."""
        return {}

    def manifest_extras(self) -> dict[str, Any]:
        """Scenario numbers written into manifest.json when the run ends (e.g. call counts)."""
        return {}
