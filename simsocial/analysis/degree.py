"""Degree-distribution measures of a grown network, and the null models to hold them against.

The tail fit is Clauset-Shalizi-Newman through the `powerlaw` package: discrete fit with its
default x_min search (minimal KS distance), then normalised log-likelihood ratios between the
three candidate tails, pair by pair: power law vs exponential, power law vs lognormal, lognormal
vs exponential (R > 0 favours the first; p says whether the sign is significant). A power law
that beats an exponential is not yet a power law: a lognormal often fits heavy tails as well or
better, so the preferred tail is the one no significant ratio rejects, and a tie is said as one.
`powerlaw` talks on stdout/stderr and warns freely; all of it is silenced here.
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
TAILS = {"power_law": "power law", "lognormal": "lognormal", "exponential": "exponential"}
# (first, second, key suffix): r_<suffix> > 0 favours the first model.
PAIRS = (
    ("power_law", "exponential", "exp"),
    ("power_law", "lognormal", "lognormal"),
    ("lognormal", "exponential", "ln_exp"),
)
RATIO_KEYS = tuple(f"{rp}_{suffix}" for _, _, suffix in PAIRS for rp in ("r", "p"))
_LR = "normalised log-likelihood ratio (Vuong R, >0 favours the first)"
_P = "p-value of the sign of R (below 0.1: trusted)"
_FIT = "powerlaw package, Clauset-Shalizi-Newman discrete fit of the degrees"
GLOSSARY = {
    "alpha": f"power-law tail exponent of P(k) ~ k^-alpha; dimensionless; {_FIT}",
    "xmin": f"smallest degree of the fitted tail (minimal KS distance); links; {_FIT}",
    "ks_d": f"Kolmogorov-Smirnov distance of the tail from the fit; 0-1; {_FIT}",
    "n_tail": f"nodes in the fitted tail (degree >= xmin); count; {_FIT}",
    "tail_preferred": (
        "tail model(s) no significant likelihood ratio rejects among power law, lognormal, "
        f"exponential ('a or b': not distinguishable); {_FIT}"
    ),
    "r_exp": f"power law vs exponential tail: {_LR}; {_FIT}",
    "p_exp": f"power law vs exponential tail: {_P}; {_FIT}",
    "r_lognormal": f"power law vs lognormal tail: {_LR}; {_FIT}",
    "p_lognormal": f"power law vs lognormal tail: {_P}; {_FIT}",
    "r_ln_exp": f"lognormal vs exponential tail: {_LR}; {_FIT}",
    "p_ln_exp": f"lognormal vs exponential tail: {_P}; {_FIT}",
    "fit_error": "why the tail could not be fitted (too few distinct degrees)",
    "nodes": "nodes in the network; count",
    "edges": "undirected links in the network; count",
    "max_degree": "degree of the largest hub; links",
    "hub_share": "largest hub's degree / number of edges; 0-1",
    "gini": "Gini coefficient of the degrees (0 all equal, near 1 one node holds all); 0-1",
    "clustering": "average local clustering coefficient; 0-1; networkx",
    "assortativity": "degree assortativity (Pearson r of degrees across links); -1 to 1; networkx",
}


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
        ("alpha", "xmin", "ks_d", "n_tail", "tail_preferred", *RATIO_KEYS)
    )
    data = np.asarray(degrees)
    data = data[data > 0]
    if len(np.unique(data)) < 3:
        result["fit_error"] = f"{len(np.unique(data))} distinct degree(s): nothing to fit"
        return result
    import powerlaw

    with _quiet():
        fit = powerlaw.Fit(data, discrete=True)
        values = {"alpha": fit.power_law.alpha, "xmin": fit.power_law.xmin, "ks_d": fit.power_law.D}
        for first, second, suffix in PAIRS:
            r, p = fit.distribution_compare(first, second, normalized_ratio=True)
            values.update({f"r_{suffix}": r, f"p_{suffix}": p})
    for key, value in values.items():
        result[key] = float(value) if value is not None and math.isfinite(value) else None
    result["n_tail"] = int((data >= (result["xmin"] or 0)).sum())
    result["tail_preferred"] = preferred_tail(result)
    return result


def preferred_tail(fit: dict[str, Any]) -> str | None:
    """The tail model(s) no significant likelihood ratio rejects: 'lognormal', or 'power law or
    lognormal' when the data cannot tell them apart; None when a ratio could not be computed."""
    rejected = set()
    for first, second, suffix in PAIRS:
        r, p = fit.get(f"r_{suffix}"), fit.get(f"p_{suffix}")
        if r is None or p is None:
            return None
        if p < SIGNIFICANT:
            rejected.add(second if r > 0 else first)
    kept = [TAILS[name] for name in TAILS if name not in rejected]
    return " or ".join(kept) if kept else None


def tail_comparisons(fit: dict[str, Any]) -> str:
    """'power law vs exponential R = 3.10, p = 0.002; ...': every pairwise ratio, for verdicts."""
    shown = []
    for first, second, suffix in PAIRS:
        r, p = fit.get(f"r_{suffix}"), fit.get(f"p_{suffix}")
        if r is not None and p is not None:
            shown.append(f"{TAILS[first]} vs {TAILS[second]} R = {r:.2f}, p = {p:.3f}")
    return "; ".join(shown)


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
