"""Who sees whom in the step loop: the network as CSR arrays over agent positions.

networkx draws the network (simsocial.networks) and stays the model's graph for interventions,
metrics and analysis; but at 10^6 nodes a networkx graph costs about 1 GB and seconds per copy,
while a step only needs each agent's neighbours in order. So the drawn graph becomes CSR arrays
once and is dropped, and the networkx graph is rebuilt from the arrays only when something asks
for it (`Topology.graph`); from then on networkx is the truth and the arrays are re-derived from
it at every step (an intervention may have changed it).

Order matters: a prompt lists the neighbours in networkx's adjacency order (before a seeded
shuffle), and graphs.parquet lists the edges in networkx's order. The model has always copied the
drawn graph onto agent ids by adding its edges in `G.edges()` order; the arrays reproduce that
copy's adjacency and edge order exactly, with numpy (`_copy_order`).
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import networkx as nx


class Topology:
    """CSR adjacency over positions 0..n-1 (position p is the agent `ids[p]`)."""

    def __init__(self, adjacency: Adjacency, ids: np.ndarray):
        """`adjacency` of a drawn graph on nodes 0..n-1 (`adjacency_of`); node u is the agent
        at position u (id `ids[u]`)."""
        order, degree, targets = adjacency
        n = len(order)
        self.ids = ids
        self._graph: nx.Graph | None = None
        self._edges: np.ndarray | None = None
        self._rank = np.empty(n, dtype=np.int32)
        self._rank[order] = np.arange(n, dtype=np.int32)
        self.indptr, self.indices = _copy_order(np.repeat(order, degree), targets, self._rank, n)

    @classmethod
    def drawn(cls, graph: nx.Graph, ids: np.ndarray) -> Topology:
        return cls(adjacency_of(graph), ids)

    @classmethod
    def of_graph(cls, graph: nx.Graph, ids: np.ndarray) -> Topology:
        """The arrays of a networkx graph on agent ids, which stays the truth."""
        topology = cls.__new__(cls)
        topology.ids = ids
        topology._graph = graph
        topology._edges = None
        topology._rank = np.empty(0, dtype=np.int64)
        degree = np.fromiter((len(graph.adj[i]) for i in ids.tolist()), np.int64, count=len(ids))
        neighbours = np.fromiter(
            chain.from_iterable(graph.adj[i] for i in ids.tolist()),
            dtype=np.int64,
            count=int(degree.sum()),
        )
        topology.indptr = np.concatenate([[0], np.cumsum(degree)]).astype(np.int64)
        topology.indices = np.searchsorted(ids, neighbours).astype(np.int32)
        return topology

    def neighbours(self, position: int) -> np.ndarray:
        """Positions of the neighbours of the agent at `position`, in networkx's order."""
        return self.indices[self.indptr[position] : self.indptr[position + 1]]

    def batches(self, order: list[int]) -> list[list[int]]:
        """`order` (positions, repeats allowed) cut into consecutive batches in which no two
        members are the same agent or neighbours: `simsocial.networks.independent_batches`
        on the arrays (a batch closes when the next agent repeats or neighbours a member)."""
        batches: list[list[int]] = []
        batch: list[int] = []
        members: set[int] = set()
        indptr, indices = self.indptr, self.indices
        for position in order:
            nearby = indices[indptr[position] : indptr[position + 1]].tolist()
            if position in members or not members.isdisjoint(nearby):
                batches.append(batch)
                batch, members = [], set()
            batch.append(position)
            members.add(position)
        if batch:
            batches.append(batch)
        return batches

    @property
    def materialised(self) -> bool:
        return self._graph is not None

    @property
    def graph(self) -> nx.Graph:
        """The networkx graph on agent ids, built as the model always built it: the drawn
        graph's edges added in `G.edges()` order, then every agent as a node."""
        if self._graph is None:
            import networkx as nx

            sources, targets = self._stream()
            graph = nx.Graph()
            pairs = zip(self.ids[sources].tolist(), self.ids[targets].tolist(), strict=True)
            graph.add_edges_from(pairs)
            graph.add_nodes_from(self.ids.tolist())
            self._graph = graph
        return self._graph

    def edges(self) -> np.ndarray:
        """Every edge once, as (id, id) rows in the order networkx's `graph.edges()` gives
        (computed once: until networkx is the truth, the arrays never change)."""
        if self._graph is not None:
            pairs = chain.from_iterable(self._graph.edges())
            return np.fromiter(pairs, dtype=np.int64).reshape(-1, 2)
        if self._edges is None:
            self._edges = self._copy_edges()
            self._edges.flags.writeable = False
        return self._edges

    def _copy_edges(self) -> np.ndarray:
        n = len(self.ids)
        sources, targets = self._stream()
        flat = np.column_stack([sources, targets]).ravel()
        del sources, targets
        # node order of the copy: first appearance in the edge stream, then isolated agents
        seen, first = np.unique(flat, return_index=True)
        del flat
        present = np.zeros(n, dtype=bool)
        present[seen] = True
        nodes = np.concatenate([seen[np.argsort(first)], np.flatnonzero(~present)])
        del seen, first, present
        place = np.empty(n, dtype=np.int32)
        place[nodes] = np.arange(n, dtype=np.int32)
        rows = self._rows()
        kept = np.flatnonzero(place[self.indices] >= place[rows])  # not yet passed
        kept = kept[np.argsort(place[rows[kept]], kind="stable")]
        return np.column_stack([self.ids[rows[kept]], self.ids[self.indices[kept]]])

    def _rows(self) -> np.ndarray:
        """The position whose row each entry of `indices` is in."""
        return np.repeat(np.arange(len(self.ids), dtype=np.int32), np.diff(self.indptr))

    def _stream(self) -> tuple[np.ndarray, np.ndarray]:
        """The drawn graph's `edges()` in order, as positions: each row in networkx's node
        order, the neighbours not yet passed in adjacency order."""
        rows = self._rows()
        entries = np.flatnonzero(self._rank[self.indices] >= self._rank[rows])
        entries = entries[np.argsort(self._rank[rows[entries]], kind="stable")]
        return rows[entries], self.indices[entries]


Adjacency = tuple[np.ndarray, np.ndarray, np.ndarray]


def adjacency_of(drawn: nx.Graph) -> Adjacency:
    """(networkx's node order, each node's degree in that order, the neighbours in adjacency
    order), int32: all the arrays need from a drawn graph, so it can be dropped before they are
    sorted (a networkx graph of 10^6 nodes and degree 10 is about 1.3 GB)."""
    n = drawn.number_of_nodes()
    order = np.fromiter(drawn, dtype=np.int32, count=n)
    degree = np.fromiter((len(nbrs) for _, nbrs in drawn.adjacency()), np.int32, count=n)
    targets = np.fromiter(
        chain.from_iterable(nbrs for _, nbrs in drawn.adjacency()),
        dtype=np.int32,
        count=int(degree.sum()),
    )
    return order, degree, targets


def _copy_order(
    sources: np.ndarray, targets: np.ndarray, rank: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """CSR (indptr, int32 indices) of the copy `Graph(G.edges())`, from G's adjacency entries
    (`sources`, `targets` in G's node order, then adjacency order).

    The copy adds the edges in G.edges() order: row y, then y's neighbours not yet passed. So
    node u first hears of its neighbours passed before it (rank lower), in the order they were
    passed, then of the rest in its own adjacency order.
    """
    neighbour_rank = rank[targets]
    later = neighbour_rank >= rank[sources]
    within = np.where(later, np.arange(len(sources), dtype=np.int32), neighbour_rank)
    del neighbour_rank
    entries = np.lexsort((within, later, sources))
    del within, later
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(sources, minlength=n), out=indptr[1:])
    return indptr, targets[entries]
