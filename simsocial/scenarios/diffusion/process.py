"""Who meets whom, and what the spreading process should give when the answer is known.

Each round pairs agents by a random maximal matching of the network: nodes in random order, each
still unpaired one picks a uniformly random unpaired neighbour. On a complete graph with an even
number of agents this is a uniformly random perfect matching, for which `expected_informed`
computes the exact distribution of the number informed by a Markov-chain recursion, when each
conversation between one who knows and one who does not passes the news with probability q.
"""

from __future__ import annotations

from math import comb, factorial

import networkx as nx
import numpy as np


def random_matching(rng: np.random.Generator, graph: nx.Graph) -> list[tuple[int, int]]:
    """A random maximal matching: pairs (u, v) in the order they were formed."""
    nodes = list(graph.nodes())
    paired: set[int] = set()
    pairs = []
    for i in rng.permutation(len(nodes)):
        u = nodes[int(i)]
        if u in paired:
            continue
        free = sorted(v for v in graph.neighbors(u) if v not in paired and v != u)
        if not free:
            continue
        v = free[int(rng.integers(len(free)))]
        paired.update((u, v))
        pairs.append((u, v))
    return pairs


def _double_factorial(n: int) -> int:
    """n!! for odd n >= -1 (the number of perfect matchings of n + 1 items)."""
    out = 1
    while n > 1:
        out *= n
        n -= 2
    return out


def mixed_pairs(n: int, k: int) -> np.ndarray:
    """P(M = m), m = 0..n/2: M pairs of a uniform perfect matching of n join one of k marked
    items with an unmarked one."""
    if n % 2:
        raise ValueError("a perfect matching needs an even number of agents")
    probs = np.zeros(n // 2 + 1)
    total = _double_factorial(n - 1)
    for m in range(min(k, n - k) + 1):
        if (k - m) % 2 or (n - k - m) % 2:
            continue
        ways = comb(k, m) * comb(n - k, m) * factorial(m)
        ways *= _double_factorial(k - m - 1) * _double_factorial(n - k - m - 1)
        probs[m] = ways / total
    return probs


def pass_probability(p: float, turns: int) -> float:
    """Chance a conversation of `turns` alternating utterances passes the news on, when each
    utterance of the one who knows tells it with probability p and either may speak first."""
    first, second = (turns + 1) // 2, turns // 2
    return 1.0 - 0.5 * ((1 - p) ** first + (1 - p) ** second)


def informed_distribution(n: int, seeds: int, q: float, rounds: int) -> np.ndarray:
    """Row r: P(k informed after r rounds), k = 0..n (complete graph, even n)."""
    from scipy.stats import binom

    dist = np.zeros((rounds + 1, n + 1))
    dist[0, seeds] = 1.0
    for r in range(rounds):
        for k in np.flatnonzero(dist[r] > 0):
            for m, pm in enumerate(mixed_pairs(n, int(k))):
                if pm > 0:
                    dist[r + 1, k : k + m + 1] += (
                        dist[r, k] * pm * binom.pmf(np.arange(m + 1), m, q)
                    )
    return dist


def expected_informed(n: int, seeds: int, q: float, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of the informed fraction after each round 0..rounds."""
    dist = informed_distribution(n, seeds, q, rounds)
    frac = np.arange(n + 1) / n
    mean = dist @ frac
    return mean, np.sqrt(np.maximum(dist @ frac**2 - mean**2, 0.0))
