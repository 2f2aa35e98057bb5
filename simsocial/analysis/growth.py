"""Metrics, verdict and figures of the network-growth scenario (De Marzo, Pietronero, Garcia).

The grown network is held against two nulls of the same N, m and seed: Barabasi-Albert
(networkx; tail exponent 3 asymptotically) and uniform attachment (exponential tail). Reported:
the power-law tail fit with the likelihood-ratio tests between power law, lognormal and
exponential tails and the one they prefer, the largest hub's share of edges (the
name-prior "extreme centralisation" signature), Gini of degrees, clustering, assortativity, and
how each of the m picks per node was obtained (LLM, re-ask, fallback) with the failure counts.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import pandas as pd

from simsocial.analysis.degree import GLOSSARY as DEGREE_GLOSSARY
from simsocial.analysis.degree import (
    ccdf,
    degrees_of,
    describe,
    null_graphs,
    tail_comparisons,
)
from simsocial.analysis.glossary import FROM_EVENTS, prefixed
from simsocial.analysis.loader import Run

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PICKS = ("llm", "retry", "fallback")
FAILURES = ("invalid", "duplicate", "self", "error")
TABLE_KEYS = ("alpha", "xmin", "ks_d", "tail_preferred", "r_exp", "p_exp", "r_lognormal",
              "p_lognormal", "r_ln_exp", "p_ln_exp", "hub_share", "gini", "clustering",
              "assortativity")  # fmt: skip
NULLS = {"": "grown", "ba_": "BA null", "uniform_": "uniform null"}
_GROWN = f"of the grown network, rebuilt from the arrival events; {FROM_EVENTS}"
GLOSSARY = {
    "n": f"nodes grown, seed graph included; count; {FROM_EVENTS}",
    "m": "links made by each arriving node (growth.m); links; from spec.yaml",
    **{key: f"{line}; {_GROWN}" for key, line in DEGREE_GLOSSARY.items()},
    **prefixed(DEGREE_GLOSSARY, TABLE_KEYS, "ba_", "of the Barabasi-Albert null (same N, m, seed)"),
    **prefixed(DEGREE_GLOSSARY, TABLE_KEYS, "uniform_", "of the uniform-attachment null"),
    "picks_llm": f"links picked by the model's first reply; count; {FROM_EVENTS} (arrival)",
    "picks_retry": f"links picked by the model when re-asked once; count; {FROM_EVENTS}",
    "picks_fallback": f"links picked by the spec's fallback rule after two bad replies; count; "
    f"{FROM_EVENTS}",
    "failed_invalid": f"replies naming no shown candidate; count; {FROM_EVENTS}",
    "failed_duplicate": f"replies naming a node already picked; count; {FROM_EVENTS}",
    "failed_self": f"replies naming the newcomer itself; count; {FROM_EVENTS}",
    "failed_error": f"asks that returned no reply (LLM error); count; {FROM_EVENTS}",
    "llm_calls_per_node": "model asks per arriving node, re-asks included; asks/node; "
    f"{FROM_EVENTS}",
    "hub_name": f"name shown to the model for the largest hub; {FROM_EVENTS}",
}


def _params(run: Run) -> dict[str, Any]:
    return dict(run.spec.get("growth") or {})


def graph_at(run: Run, step: int | None = None) -> nx.Graph:
    """The network exactly as it stood after `step` (default: the end), rebuilt from the events."""
    from simsocial.scenarios.growth.process import seed_graph

    m = int(_params(run).get("m", 2))
    graph = seed_graph(m)
    arrivals = run.payloads("arrival")
    if arrivals.empty:
        return graph
    if step is not None:
        arrivals = arrivals[arrivals["step"] <= step]
    for node, picks in zip(arrivals["node"], arrivals["picks"], strict=True):
        graph.add_edges_from((int(node), int(target)) for target in picks)
    return graph


def names(run: Run) -> dict[int, str]:
    """Node id -> name shown to the model."""
    found: dict[int, str] = {}
    seed = run.payloads("seed")
    for nodes, labels in zip(seed.get("nodes", []), seed.get("names", []), strict=True):
        found.update(zip((int(n) for n in nodes), labels, strict=True))
    arrivals = run.payloads("arrival")
    if not arrivals.empty:
        found.update(zip(arrivals["node"].astype(int), arrivals["name"], strict=True))
    return found


def pick_counts(run: Run) -> dict[str, int]:
    """How the picks were made and why replies failed, summed over arrivals."""
    counts = dict.fromkeys((*PICKS, *FAILURES), 0)
    arrivals = run.payloads("arrival")
    for via, failures in zip(arrivals.get("via", []), arrivals.get("failures", []), strict=True):
        for how in via:
            counts[how] += 1
        for reason, count in (failures or {}).items():
            counts[reason] += int(count)
    return counts


def summarize(run: Run) -> dict[str, Any]:
    """Grown network vs BA and uniform nulls, pick accounting, and a one-sentence verdict."""
    params = _params(run)
    m = int(params.get("m", 2))
    graph = graph_at(run)
    seed = int(run.spec.get("seed", 0))
    metrics: dict[str, Any] = {"n": graph.number_of_nodes(), "m": m}
    grown = describe(graph)
    metrics.update(grown)
    for null, null_graph in null_graphs(max(graph.number_of_nodes(), m + 2), m, seed).items():
        described = describe(null_graph)
        metrics.update({f"{null}_{key}": described.get(key) for key in TABLE_KEYS})
    counts = pick_counts(run)
    metrics.update({f"picks_{k}": counts[k] for k in PICKS})
    metrics.update({f"failed_{k}": counts[k] for k in FAILURES})
    arrivals = max(1, graph.number_of_nodes() - m - 1)
    calls = counts["llm"] + 2 * counts["retry"] + 2 * counts["fallback"]
    metrics["llm_calls_per_node"] = calls / arrivals
    hub = max(graph.degree(), key=lambda pair: pair[1])[0] if len(graph) else None
    metrics["hub_name"] = names(run).get(int(hub)) if hub is not None else None
    metrics["verdict"] = verdict(metrics)
    return metrics


def verdict(metrics: dict[str, Any]) -> str:
    """One plain sentence: tail exponent vs BA, the exponential test, centralisation."""
    hub, ba_hub = metrics["hub_share"], metrics.get("ba_hub_share") or 0.0
    ratio = f"{hub / ba_hub:.1f}x the BA null" if ba_hub else "no BA null"
    central = f"the largest hub ({metrics.get('hub_name')}) holds {hub:.0%} of edges ({ratio})"
    fallbacks = metrics.get("picks_fallback", 0)
    note = f"; {fallbacks} pick(s) fell back to the spec's rule" if fallbacks else ""
    if metrics.get("alpha") is None:
        return f"No tail fit ({metrics.get('fit_error')}); {central}{note}."
    ba_alpha = metrics.get("ba_alpha")
    ba = f"BA null {ba_alpha:.2f}" if ba_alpha is not None else "BA null not fitted"
    return (
        f"Preferred tail: {_preferred(metrics.get('tail_preferred'))} "
        f"({tail_comparisons(metrics)}); power-law exponent alpha = {metrics['alpha']:.2f} "
        f"({ba}); {central}{note}."
    )


def _preferred(tail: str | None) -> str:
    """The kept tail model, or the models the likelihood ratios cannot tell apart."""
    if tail is None:
        return "not testable"
    return f"{tail}, not distinguishable" if " or " in tail else tail


def figures(run: Run) -> list[tuple[str, Figure]]:
    """The degree CCDF against both nulls (the fit table is an HTML table: `tables`)."""
    from simsocial.analysis.plots import new_figure, styled

    params = _params(run)
    m = int(params.get("m", 2))
    graph = graph_at(run)
    if graph.number_of_nodes() <= m + 1:
        return []
    nulls = null_graphs(graph.number_of_nodes(), m, int(run.spec.get("seed", 0)))
    metrics = summarize(run)
    with styled():
        fig, ax = new_figure()
        for label, g, style in (
            ("grown (LLM)", graph, "o-"),
            ("Barabasi-Albert null", nulls["ba"], "s--"),
            ("uniform attachment null", nulls["uniform"], "^:"),
        ):
            k, p = ccdf(degrees_of(g))
            ax.loglog(k, p, style, markersize=3, label=label)
        if metrics.get("alpha") is not None:
            k, p = ccdf(degrees_of(graph))
            xmin = metrics["xmin"]
            at = p[np.searchsorted(k, xmin)]
            xs = np.geomspace(xmin, k.max(), 20)
            ax.loglog(xs, at * (xs / xmin) ** (1 - metrics["alpha"]), "k-", lw=1,
                      label=f"fit alpha = {metrics['alpha']:.2f}")  # fmt: skip
        ax.set_xlabel("degree k")
        ax.set_ylabel("P(K >= k)")
        ax.set_title(f"Degree CCDF, N = {graph.number_of_nodes()}, m = {m}")
        ax.legend()
    return [("degree_ccdf", fig)]


def tables(run: Run) -> list[tuple[str, pd.DataFrame]]:
    """The tail fit and network metrics of the grown network beside both nulls."""
    metrics = summarize(run)
    rows = [
        {"metric": key, **{name: metrics.get(f"{prefix}{key}") for prefix, name in NULLS.items()},
         "meaning": GLOSSARY[key]}
        for key in TABLE_KEYS
    ]  # fmt: skip
    return [("Tail fit and network metrics, grown vs nulls", pd.DataFrame(rows))]


def arrival_log(run: Run) -> list[dict[str, Any]]:
    """The arrival events as plain dicts (for notebooks), picks and failures included."""
    return [json.loads(p) for p in run.events[run.events["kind"] == "arrival"]["payload"]]
