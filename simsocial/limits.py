"""Stated limits on sizes a scenario may ask for, and why each is where it is.

A typo such as `network.n: 1000000000` or `steps: 1e26` should be one clear line from `simsocial
validate`, not a MemoryError an hour into a run that leaves its manifest at `running`. Each limit
is far above what a study of LLM agents can afford (every agent asks a model at least once a
step), so a scientist hits one only by mistake, and each message says what the limit protects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Agents in one population (network nodes, respondents, arrivals). Agents and graph nodes cost
# about a kilobyte each in memory: 10^7 of them is already ~10 GB, and 10^7 LLM calls a step.
MAX_AGENTS = 10_000_000
# Model steps in one run: each writes table rows and asks the model; 10^7 is years of calls.
MAX_STEPS = 10_000_000
# Items listed in one prompt (friends shown, candidates shown): 10^5 lines is about a million
# tokens, beyond the context window of any model.
MAX_PROMPT_ITEMS = 100_000
# A networkx graph costs about this much per edge (an adjacency entry each way and a shared
# attribute dict, measured on CPython 3.11), and a model holds its graph more than once while it
# lays agents on it.
BYTES_PER_EDGE = 300
MAX_GRAPH_BYTES = 8 << 30


def within(value: int, problem: str | None) -> int:
    """`value` when its limit check found no problem; a field validator's one line."""
    if problem:
        raise ValueError(problem)
    return value


def agents_problem(count: int, what: str = "agents") -> str | None:
    """Why `count` agents is too many, or None."""
    if count > MAX_AGENTS:
        return (
            f"must be at most {MAX_AGENTS:,} {what} (each costs about 1 KB and an LLM call a "
            f"step), got {count:,}"
        )
    return None


def steps_problem(steps: int) -> str | None:
    """Why `steps` is too many, or None."""
    if steps > MAX_STEPS:
        shown = f"{steps:,}" if steps < 10**15 else f"{float(steps):.3g}"
        return (
            f"must be at most {MAX_STEPS:,} (each step writes table rows and asks the model), "
            f"got {shown}"
        )
    return None


def prompt_items_problem(count: int, what: str) -> str | None:
    """Why listing `count` items in one prompt is too many, or None."""
    if count > MAX_PROMPT_ITEMS:
        return (
            f"must be at most {MAX_PROMPT_ITEMS:,} {what} (about a million tokens in one prompt, "
            f"beyond any model's context), got {count:,}"
        )
    return None


def expected_edges(generator: str, n: int, params: Mapping[str, Any]) -> float:
    """About how many edges the generator draws on n nodes (parameters already checked)."""
    pairs = n * (n - 1) / 2
    if generator == "complete":
        return pairs
    if generator == "erdos_renyi":
        return float(params["p"]) * pairs
    if generator == "barabasi_albert":
        return float(params["m"]) * max(0, n - int(params["m"]))
    if generator == "watts_strogatz":
        return n * int(params["k"]) / 2
    if generator == "lattice":
        return 2.0 * n
    if generator == "stochastic_block":
        sizes, p = params["sizes"], params["p"]
        total = 0.0
        for i, a in enumerate(sizes):
            total += float(p[i][i]) * a * (a - 1) / 2
            total += sum(float(p[i][j]) * a * b for j, b in enumerate(sizes) if j > i)
        return total
    return 0.0


def graph_problem(generator: str, n: int, params: Mapping[str, Any]) -> str | None:
    """Why a graph this large cannot be held in memory, with the estimate, or None."""
    edges = expected_edges(generator, n, params)
    need = edges * BYTES_PER_EDGE
    if need <= MAX_GRAPH_BYTES:
        return None
    return (
        f"{generator} on n = {n:,} nodes has about {edges:.2g} edges, about {_bytes(need)} in "
        f"memory; the limit is {_bytes(MAX_GRAPH_BYTES)} (about "
        f"{MAX_GRAPH_BYTES // BYTES_PER_EDGE:.2g} edges): use fewer nodes or a sparser network"
    )


def _bytes(count: float) -> str:
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20)):
        if count >= scale:
            return f"{count / scale:.3g} {unit}"
    return f"{count:.0f} bytes"
