"""Degree-distribution measures of a grown network, and the null models to hold them against.

The tail fit is Clauset-Shalizi-Newman through the `powerlaw` package: discrete fit with its
default x_min search (minimal KS distance), then log-likelihood ratios of the power law against
an exponential and a lognormal (R > 0 favours the power law; p says whether the sign is
significant). `powerlaw` talks on stdout/stderr and warns freely; all of it is silenced here.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from typing import Any

import networkx as nx
import numpy as np

SIGNIFICANT = 0.1  # p-value below which the sign of a likelihood ratio is trusted (CSN 2009)


def degrees_of(graph: nx.Graph) -> np.ndarray:
    return np.fromiter((d for _, d in graph.degree()), dtype=np.int64, count=len(graph))


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0: all equal; near 1: one holds everything)."""
    x = np.sort(np.asarray(values, dtype=float))
    if len(x) == 0 or x.sum() == 0:
        return 0.0
    ranks = np.arange(1, len(x) + 1)
    return float((2 * ranks - len(x) - 1) @ x / (len(x) * x.sum()))


def ccdf(degrees: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, P(K >= k)) at each distinct degree k."""
    values, counts = np.unique(np.asarray(degrees), return_counts=True)
    tail = counts[::-1].cumsum()[::-1] / counts.sum()
    return values, tail


@contextlib.contextmanager
def _quiet() -> Any:
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        warnings.catch_warnings(),
        np.errstate(all="ignore"),
    ):
        warnings.simplefilter("ignore")
        yield


def fit_tail(degrees: np.ndarray) -> dict[str, Any]:
    """Power-law tail fit: alpha, x_min, KS distance D, tail size, and the likelihood-ratio tests.

    Values are None when the degrees are too few or too uniform to fit (fewer than 3 distinct
    values), with the reason under `fit_error`.
    """
    result: dict[str, Any] = dict.fromkeys(
        ("alpha", "xmin", "ks_d", "n_tail", "r_exp", "p_exp", "r_lognormal", "p_lognormal")
    )
    data = np.asarray(degrees)
    data = data[data > 0]
    if len(np.unique(data)) < 3:
        result["fit_error"] = f"{len(np.unique(data))} distinct degree(s): nothing to fit"
        return result
    import powerlaw

    with _quiet():
        fit = powerlaw.Fit(data, discrete=True)
        r_exp, p_exp = fit.distribution_compare("power_law", "exponential", normalized_ratio=True)
        r_ln, p_ln = fit.distribution_compare("power_law", "lognormal", normalized_ratio=True)
    values = {
        "alpha": fit.power_law.alpha,
        "xmin": fit.power_law.xmin,
        "ks_d": fit.power_law.D,
        "r_exp": r_exp,
        "p_exp": p_exp,
        "r_lognormal": r_ln,
        "p_lognormal": p_ln,
    }
    for key, value in values.items():
        result[key] = float(value) if value is not None and math.isfinite(value) else None
    result["n_tail"] = int((data >= (result["xmin"] or 0)).sum())
    return result


def network_metrics(graph: nx.Graph) -> dict[str, Any]:
    """Size, the largest hub's share of edges, Gini of degrees, clustering, assortativity."""
    degrees = degrees_of(graph)
    edges = graph.number_of_edges()
    with _quiet():
        assortativity = nx.degree_assortativity_coefficient(graph) if edges else float("nan")
    return {
        "nodes": graph.number_of_nodes(),
        "edges": edges,
        "max_degree": int(degrees.max()) if len(degrees) else 0,
        "hub_share": float(degrees.max() / edges) if edges else 0.0,
        "gini": gini(degrees),
        "clustering": float(nx.average_clustering(graph)),
        "assortativity": float(assortativity) if math.isfinite(assortativity) else None,
    }


def describe(graph: nx.Graph) -> dict[str, Any]:
    """network_metrics and fit_tail of one graph, in one dict."""
    return {**network_metrics(graph), **fit_tail(degrees_of(graph))}


def null_graphs(n: int, m: int, seed: int) -> dict[str, nx.Graph]:
    """Barabasi-Albert (networkx) and uniform attachment (our seed and rule), same n, m, seed."""
    from simsocial.scenarios.growth.process import grow

    return {
        "ba": nx.barabasi_albert_graph(n, m, seed=seed),
        "uniform": grow(n, m, seed, "uniform"),
    }


def verdict_on_tail(fit: dict[str, Any]) -> str:
    """'favoured over', 'rejected in favour of' or 'not distinguishable from' (vs exponential)."""
    r, p = fit.get("r_exp"), fit.get("p_exp")
    if r is None or p is None:
        return "not testable against"
    if p < SIGNIFICANT:
        return "favoured over" if r > 0 else "rejected in favour of"
    return "not distinguishable from"
