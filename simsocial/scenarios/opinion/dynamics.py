"""Opinion dynamics on compact arrays: the network as CSR, the agents as columns.

One synchronous step of 10^6 agents is 10^6 asks. Held at once as Mesa agents, a networkx graph,
prompts, asks, call records and row dicts, that was about 10 KB per agent; here the agents are
`Population` columns, the network `Topology` arrays, and a step asks `CHUNK` agents per gather,
writing their events and call records to part files before the next chunk (`SimModel.spill`).
The results are the same as the Mesa loop's, draw for draw: asks are prepared in id order from
the model's RNG, answers applied in that order, and networkx's neighbour order is kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from simsocial.llm import Ask
from simsocial.scenarios.opinion.naming import friend_lines
from simsocial.scenarios.opinion.population import OPINIONS, Population
from simsocial.scenarios.opinion.topology import Topology

if TYPE_CHECKING:
    import networkx as nx

    from simsocial.llm import Session
    from simsocial.scenarios.opinion.spec import OpinionParams

# A `broadcast` intervention's message, shown once at the top of the receiver's next prompt.
NEWS_NOTE = "You have just read this news: {message}\n\n"
# Agents asked per gather in a dynamics step; between chunks the step's events and call records
# go to part files, so a step of 10^6 decisions holds one chunk's asks and rows at a time.
CHUNK = 20_000


class Dynamics:
    """The dynamics half of `OpinionModel` (a mixin: it uses the model's RNG, session, log)."""

    params: OpinionParams
    session: Session
    rng: np.random.Generator
    step_index: int
    updates: int
    n_a: int
    population: Population
    topology: Topology | None = None  # dynamics: the network, as arrays and on demand networkx

    if TYPE_CHECKING:  # the model's, as SimModel and OpinionModel define them

        def log(self, kind: str, payload: dict[str, Any], agent_id: int = -1) -> None: ...
        def spill(self) -> None: ...
        def _gather(self, asks: list[Any]) -> list[Any]: ...
        def _after_update(self, agent: Any) -> bool: ...
        @property
        def magnetisation(self) -> float: ...

    # --- the network: arrays for the step loop, networkx for everyone else ------------------

    @property  # type: ignore[override]
    def graph(self) -> nx.Graph | None:
        """The networkx graph (dynamics), built from the arrays the first time it is asked for;
        from then on it is the truth (interventions change it) and the arrays follow it."""
        return None if self.topology is None else self.topology.graph

    @graph.setter
    def graph(self, value: nx.Graph | None) -> None:
        if value is not None:
            self.topology = Topology.of_graph(value, self.population.ids)

    def graph_edges(self) -> Any:
        return None if self.topology is None else self.topology.edges()

    def _follow_graph(self) -> Topology:
        """The arrays of the step about to run (re-derived when networkx is the truth)."""
        assert self.topology is not None
        if self.topology.materialised:
            self.topology = Topology.of_graph(self.topology.graph, self.population.ids)
        return self.topology

    # --- stepping ---------------------------------------------------------------------------

    def _synchronous(self) -> None:
        """Every agent sees the opinions at t, asked in chunks (one gather each) in id order,
        each answer applied in that order; rows go to disk between chunks."""
        self._follow_graph()
        before = self.population.opinion.copy()
        askers = np.flatnonzero(~self.population.zealot)  # a zealot is never asked
        for start in range(0, len(askers), CHUNK):
            if start:
                self.spill()
            chunk = askers[start : start + CHUNK].tolist()
            asks = [self._ask(position, before) for position in chunk]
            for position, answer in zip(chunk, self._gather(asks), strict=True):
                self._receive(position, answer)

    def _sequential(self) -> None:
        """N single-agent updates in random order (repeats allowed), asked together only in
        batches where no agent is another's neighbour or itself again (`Topology.batches`)."""
        topology = self._follow_graph()
        population = self.population
        order = self.rng.integers(0, len(population), size=len(population))
        asked = 0
        for batch in topology.batches(order.tolist()):
            if asked >= CHUNK:
                self.spill()
                asked = 0
            asks = [
                None if population.zealot[p] else self._ask(p, population.opinion) for p in batch
            ]
            real = [ask for ask in asks if ask is not None]
            answers = iter(self._gather(real)) if real else iter(())
            asked += len(real)
            for position, ask in zip(batch, asks, strict=True):
                if ask is not None:
                    self._receive(position, next(answers))
                if self._after_update(None):
                    return

    def _receive(self, position: int, answer: Any) -> None:
        population = self.population
        adopted = answer.index if answer.ok else None  # option 0 is A's label
        old = int(population.opinion[position])
        if adopted is not None and adopted != old:
            population.opinion[position] = adopted
            self.n_a += 1 if adopted == 0 else -1
        self.updates += 1
        self.log(
            "update",
            {
                "t": self.updates,
                "old": OPINIONS[old],
                "new": OPINIONS[int(population.opinion[position])],
                "m": self.magnetisation,
                "failed": adopted is None,
            },
            agent_id=int(population.ids[position]),
        )

    def _ask(self, position: int, opinions: np.ndarray) -> Ask:
        """The question of the dynamics agent at `position`, its neighbours' opinions read
        from `opinions` (at t for a synchronous step, live for a sequential one)."""
        assert self.topology is not None
        params = self.params
        friends, label_a, label_b = friend_lines(
            self.rng,
            opinions[self.topology.neighbours(position)].tolist(),
            params.labels,
            params.naming,
            params.name_length,
        )
        prompt = self.params.template.format(friends=friends)
        agent_id = int(self.population.ids[position])
        note = self.population.notes.pop(agent_id, None)
        if note is not None:
            prompt = NEWS_NOTE.format(message=note) + prompt
        return self.session.ask_choose(
            prompt,
            [label_a, label_b],
            rng=self.rng,
            relabel=False,
            meta={"step": self.step_index, "agent_id": agent_id},
        )
