"""The agents of opinion dynamics as columns: a million of them in tens of megabytes.

A Mesa agent costs about a kilobyte (its attribute dict, the model's registries, a weak
reference); the dynamics only need an id, an opinion, a zealot flag, where the agent sits in
the drawn network and a pending broadcast. So the population is a few numpy arrays, ordered by
id (the order Mesa's AgentSet had: ids are given in creation order and never reused), and an
agent is an `AgentView` made on demand for interventions, selectors and metrics, whose
attributes read and write the arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from simsocial.interventions import InterventionError

if TYPE_CHECKING:
    import networkx as nx

OPINIONS = ("A", "B")  # code 0 and 1


class Population:
    """Columns by position; `ids` ascending."""

    def __init__(
        self,
        opinions: np.ndarray,
        node: np.ndarray,
        block: np.ndarray | None,
    ):
        n = len(opinions)
        self.ids = np.arange(1, n + 1, dtype=np.int64)
        self.next_id = n + 1
        self.opinion = opinions.astype(np.int8)
        self.zealot = np.zeros(n, dtype=bool)
        self.node = node  # int64, or object for edge-list labels; None once added
        self.block = block  # stochastic block per agent, None without blocks
        self.notes: dict[int, str] = {}  # a broadcast message for the agent's next prompt

    @classmethod
    def on_network(cls, drawn: nx.Graph, holds_b: np.ndarray) -> Population:
        """Agent u on node u of the drawn graph (ids 1..n), holding B where `holds_b`."""
        node, block = _node_traits(drawn)
        return cls(holds_b, node, block)

    def __len__(self) -> int:
        return len(self.ids)

    def position(self, agent_id: int) -> int:
        """Where the agent `agent_id` sits in the arrays (KeyError when there is none)."""
        at = int(np.searchsorted(self.ids, agent_id))
        if at >= len(self.ids) or self.ids[at] != agent_id:
            raise KeyError(agent_id)
        return at

    def count_a(self) -> int:
        return int(len(self.ids) - np.count_nonzero(self.opinion))

    # --- agents as objects, for interventions, selectors and metrics --------------------------

    def views(self) -> dict[int, AgentView]:
        return {agent_id: AgentView(self, agent_id) for agent_id in self.ids.tolist()}

    def add(self, opinion: str) -> AgentView:
        """A new agent (the next id) holding `opinion`, outside the drawn network."""
        if opinion not in OPINIONS:
            raise InterventionError(f"opinion must be 'A' or 'B', got {[opinion]}")
        agent_id = self.next_id
        self.next_id += 1
        self.ids = np.append(self.ids, agent_id)
        self.opinion = np.append(self.opinion, np.int8(OPINIONS.index(opinion)))
        self.zealot = np.append(self.zealot, False)
        self.node = np.append(self.node.astype(object), None)
        if self.block is not None:
            self.block = np.append(self.block.astype(object), None)
        return AgentView(self, agent_id)

    def remove(self, agent_id: int) -> None:
        at = self.position(agent_id)
        self.ids = np.delete(self.ids, at)
        self.opinion = np.delete(self.opinion, at)
        self.zealot = np.delete(self.zealot, at)
        self.node = np.delete(self.node, at)
        if self.block is not None:
            self.block = np.delete(self.block, at)
        self.notes.pop(agent_id, None)

    # --- agents.parquet and checkpoints -------------------------------------------------------

    def columns(self) -> dict[str, pa.Array]:
        """The agent table's columns (beside step and agent_id), typed as Mesa's rows were."""
        opinion = pa.DictionaryArray.from_arrays(pa.array(self.opinion), pa.array(OPINIONS))
        columns = {
            "opinion": opinion.cast(pa.string()),
            "zealot": pa.array(self.zealot),
            "node": _column(self.node),
        }
        if self.block is not None:
            columns["block"] = _column(self.block)
        return columns

    def get_state(self) -> dict[str, Any]:
        return {
            "ids": self.ids.copy(),
            "opinion": self.opinion.copy(),
            "zealot": self.zealot.copy(),
            "notes": dict(self.notes),
            "next_id": self.next_id,
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Opinions, zealots and notes of a checkpoint; who exists was rebuilt by replaying the
        interventions, so the ids must agree."""
        if not np.array_equal(state["ids"], self.ids):
            raise ValueError("the checkpoint's agents are not the ones the replay rebuilt")
        self.opinion = np.asarray(state["opinion"], dtype=np.int8).copy()
        self.zealot = np.asarray(state["zealot"], dtype=bool).copy()
        self.notes = {int(k): v for k, v in state["notes"].items()}
        self.next_id = int(state["next_id"])


def _column(values: np.ndarray) -> pa.Array:
    """The column as Mesa's DataCollector rows typed it: integers are int64, but once an added
    agent has None among them, pandas made the column float64 with NaN for None."""
    if values.dtype != object:
        return pa.array(values)
    items = values.tolist()
    known = [v for v in items if v is not None]
    if known and len(known) < len(items) and all(_is_int(v) for v in known):
        return pa.array([np.nan if v is None else float(v) for v in items], type=pa.float64())
    return pa.array(items)


def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


class AgentView:
    """One agent, read and written through the population's arrays (by id, so a view stays
    right while others are added or removed)."""

    __slots__ = ("_population", "unique_id")

    def __init__(self, population: Population, agent_id: int):
        self._population = population
        self.unique_id = agent_id

    def _at(self) -> int:
        return self._population.position(self.unique_id)

    @property
    def opinion(self) -> str:
        return OPINIONS[int(self._population.opinion[self._at()])]

    @opinion.setter
    def opinion(self, value: Any) -> None:
        if value not in OPINIONS:
            raise InterventionError(f"opinion must be 'A' or 'B', got {[str(value)]}")
        self._population.opinion[self._at()] = OPINIONS.index(value)

    @property
    def zealot(self) -> bool:
        return bool(self._population.zealot[self._at()])

    @zealot.setter
    def zealot(self, value: Any) -> None:
        self._population.zealot[self._at()] = bool(value)

    @property
    def note(self) -> str | None:
        return self._population.notes.get(self.unique_id)

    @note.setter
    def note(self, value: str | None) -> None:
        if value is None:
            self._population.notes.pop(self.unique_id, None)
        else:
            self._population.notes[self.unique_id] = value

    @property
    def node(self) -> Any:
        value = self._population.node[self._at()]
        return value.item() if isinstance(value, np.generic) else value

    @property
    def block(self) -> int | None:
        if self._population.block is None:
            return None
        value = self._population.block[self._at()]
        return None if value is None else int(value)


def _node_traits(drawn: nx.Graph) -> tuple[np.ndarray, np.ndarray | None]:
    """What each agent carries from the network (`simsocial.networks.node_traits`): its
    original id (an edge list's label, else the node) and its stochastic block, if any."""
    import networkx as nx

    n = drawn.number_of_nodes()
    labels = nx.get_node_attributes(drawn, "label")
    if labels:
        values = [labels.get(u, u) for u in range(n)]
        kinds = {type(v) for v in values}
        node = np.array(values, dtype=np.int64 if kinds <= {int} else object)
    else:
        node = np.arange(n, dtype=np.int64)
    blocks = nx.get_node_attributes(drawn, "block")
    if not blocks:
        return node, None
    if len(blocks) == n:
        return node, np.array([int(blocks[u]) for u in range(n)], dtype=np.int64)
    return node, np.array([int(blocks[u]) if u in blocks else None for u in range(n)], object)
