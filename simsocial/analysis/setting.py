"""What the agents were placed in: the network as built and the interventions as they fired.

A result means little without its setting: consensus on a complete graph of 10 is not consensus
on a sparse ring of 1,000, and a tipping point needs the step at which zealots were planted. The
network is read from the spec (generator, parameters) and from graphs.parquet's first snapshot
(step -1: the network before the first step), so the statistics are the realised ones, not the
requested ones. Interventions join the spec's entries (what, when) with the `intervention`
events (the steps they fired and whom they touched).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import networkx as nx

from simsocial.analysis.loader import Run

CONTROL_KEYS = ("at", "when", "repeat", "do")


@dataclass(frozen=True)
class Intervention:
    """One spec entry: what it does, when it was due, the steps it fired and whom it touched."""

    index: int
    do: str
    what: str
    when: str
    fired: tuple[int, ...]
    whom: str

    @property
    def label(self) -> str:
        """Short text for a marker on a trajectory: `#0 set_state`."""
        return f"#{self.index} {self.do}"


def network_rows(run: Run) -> list[tuple[str, str]]:
    """(name, value) rows: generator and parameters from the spec, realised degree statistics
    from the first network snapshot; a kind without a network block says how it is built."""
    network = run.spec.get("network")
    rows: list[tuple[str, str]] = []
    if isinstance(network, dict):
        rows.append(("generator", str(network.get("generator", "complete"))))
        params = dict(network.get("params") or {})
        if network.get("path"):
            params["path"] = network["path"]
        rows.append(("parameters", _inline(params) if params else "none"))
    elif run.kind == "growth":
        growth = run.spec.get("growth") or {}
        grown = f"grown by arrivals: n = {growth.get('n', '?')}, m = {growth.get('m', '?')}"
        rows.append(("generator", grown))
    graph = first_graph(run)
    if graph is not None:
        rows.extend(degree_rows(graph))
    return rows


def first_graph(run: Run) -> nx.Graph | None:
    """The network before the first step (the earliest snapshot), or None without snapshots."""
    steps = run.graph_steps()
    return run.graph(steps[0]) if steps else None


def degree_rows(graph: nx.Graph) -> list[tuple[str, str]]:
    """Size, mean/min/max degree, clustering and components of one graph, shown."""
    degrees = [d for _, d in graph.degree()]
    nodes = graph.number_of_nodes()
    if not nodes:
        return [("nodes", "0")]
    return [
        ("nodes", f"{nodes:,}"),
        ("edges", f"{graph.number_of_edges():,}"),
        ("mean_degree", f"{sum(degrees) / nodes:.3g}"),
        ("min_degree", str(min(degrees))),
        ("max_degree", str(max(degrees))),
        ("clustering", f"{nx.average_clustering(graph):.3g}"),
        ("components", str(nx.number_connected_components(graph))),
    ]


def interventions(run: Run) -> list[Intervention]:
    """Every intervention of the spec with the steps it fired at (from events.parquet)."""
    fired = run.payloads("intervention")
    found = []
    for index, entry in enumerate(run.spec.get("interventions") or []):
        mine = fired[fired["index"] == index] if "index" in fired else fired.iloc[0:0]
        steps = tuple(int(s) for s in mine["step"])
        found.append(
            Intervention(
                index=index,
                do=str(entry.get("do")),
                what=_inline({k: v for k, v in entry.items() if k not in CONTROL_KEYS}),
                when=_when(entry),
                fired=steps,
                whom=_whom(entry, mine.to_dict("records")),
            )
        )
    return found


def intervention_rows(run: Run) -> list[dict[str, str]]:
    """The interventions as table rows for the report."""
    return [
        {
            "index": str(i.index),
            "do": i.do,
            "what": i.what or "—",
            "when": i.when,
            "fired": ", ".join(map(str, i.fired)) if i.fired else "never",
            "whom": i.whom,
        }
        for i in interventions(run)
    ]


def marks(run: Run) -> list[tuple[int, str]]:
    """(step, label) of every firing, for vertical lines on trajectory plots."""
    return [(step, i.label) for i in interventions(run) for step in i.fired]


def _when(entry: dict[str, Any]) -> str:
    if entry.get("when"):
        return f"when {entry['when']}" + (" (every step it holds)" if entry.get("repeat") else "")
    return f"at step {entry.get('at')}"


def _whom(entry: dict[str, Any], firings: list[dict[str, Any]]) -> str:
    """The selector as written, and what each firing touched (agents, or links removed)."""
    selector = entry.get("select")
    do = entry.get("do")
    said = _inline(selector) if isinstance(selector, dict) and selector else "all agents"
    if do in ("add_agents", "set_param", "remove_edges") and not selector:
        said = {"add_agents": "new agents", "set_param": "the model"}.get(do, "links")
    touched = [_touched(firing) for firing in firings]
    shown = ", ".join(t for t in touched if t)
    return f"{said} ({shown})" if shown else said


def _touched(firing: dict[str, Any]) -> str:
    """`3 agents` or `6 links` for one firing; empty for a firing that touches no one."""
    if isinstance(firing.get("edges"), list):
        return f"{len(firing['edges'])} links removed"
    ids = firing.get("ids")
    return f"{len(ids)} agents" if isinstance(ids, list) and ids else ""


def _inline(value: Any) -> str:
    """Compact JSON, the way a spec reads in one line."""
    return json.dumps(value, separators=(", ", ": "), default=str)
