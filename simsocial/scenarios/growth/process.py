"""The growth rule without a language model: seed graph, candidate sampling, proportional picks.

The scenario model uses these functions for what is not the LLM's decision (which candidates are
shown, the fallback pick after a failed reply), and `grow` runs the same rule with a pick made by
formula instead of by a model. `grow(rule="uniform")` is the uniform-attachment null;
`grow(rule="degree")` is preferential attachment P ∝ degree + offset (Barabasi-Albert when the
offset is 0 and every node is shown), the known answer of the scripted degree picker.
"""

from __future__ import annotations

from typing import Literal

import networkx as nx
import numpy as np

Rule = Literal["uniform", "degree"]


def seed_graph(m: int) -> nx.Graph:
    """The complete graph on m + 1 nodes (0..m): every seed node has degree m, none is special."""
    return nx.complete_graph(m + 1)


def sample_candidates(
    rng: np.random.Generator, existing: int, degrees: np.ndarray, shown: int | None, rule: Rule
) -> np.ndarray | None:
    """Node ids shown to an arriving node, or None when all `existing` nodes (0..existing-1) are.

    A subset is drawn without replacement when there are more than `shown` nodes: uniformly, or
    with probability proportional to degree (`degrees[:existing]`).
    """
    if shown is None or existing <= shown:
        return None
    if rule == "uniform":
        return np.sort(rng.choice(existing, size=shown, replace=False))
    weights = degrees[:existing].astype(float)
    return np.sort(rng.choice(existing, size=shown, replace=False, p=weights / weights.sum()))


def pick_index(rng: np.random.Generator, weights: np.ndarray | None, count: int) -> int:
    """One index in 0..count-1: uniform when `weights` is None, else proportional to them."""
    if weights is None or float(weights.sum()) <= 0:
        return int(rng.integers(count))
    cumulative = np.cumsum(weights, dtype=float)
    return int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))


def grow(
    n: int,
    m: int,
    seed: int,
    rule: Rule = "uniform",
    *,
    shown: int | None = None,
    sampling: Rule = "uniform",
    offset: float = 0.0,
) -> nx.Graph:
    """Grow n nodes from the seed graph; each arrival links to m distinct existing nodes.

    Candidates are all existing nodes, or `shown` of them sampled by `sampling`; each of the m
    picks is uniform (`rule="uniform"`) or ∝ degree + offset (`rule="degree"`) among the
    candidates not yet picked.
    """
    if n < m + 1:
        raise ValueError(f"n = {n} is smaller than the seed graph (m + 1 = {m + 1} nodes)")
    rng = np.random.default_rng(seed)
    graph = seed_graph(m)
    degrees = np.zeros(n, dtype=np.int64)
    degrees[: m + 1] = m
    for node in range(m + 1, n):
        sampled = sample_candidates(rng, node, degrees, shown, sampling)
        pool = np.arange(node) if sampled is None else sampled
        if rule == "uniform":
            chosen = [int(c) for c in pool[rng.choice(len(pool), size=m, replace=False)]]
        else:
            weights = degrees[pool] + float(offset)
            chosen = []
            for _ in range(m):
                position = pick_index(rng, weights, len(pool))
                chosen.append(int(pool[position]))
                weights[position] = 0.0  # m distinct targets
        for target in chosen:
            graph.add_edge(node, target)
            degrees[target] += 1
        degrees[node] = m
    return graph
