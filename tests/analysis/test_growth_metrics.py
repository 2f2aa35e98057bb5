"""Degree metrics and tail fits give known answers on graphs and samples built to have them."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from simsocial.analysis.degree import (
    ccdf,
    fit_tail,
    gini,
    network_metrics,
    null_graphs,
    preferred_tail,
    tail_comparisons,
    verdict_on_tail,
)
from simsocial.analysis.growth import verdict
from simsocial.scenarios.growth.model import first_names, make_names
from simsocial.scenarios.growth.process import grow, pick_index, sample_candidates


def discrete_power_law(alpha: float, xmin: int, size: int, seed: int) -> np.ndarray:
    """Clauset-Shalizi-Newman's approximate discrete power-law sampler (their appendix D)."""
    u = np.random.default_rng(seed).random(size)
    return np.floor((xmin - 0.5) * (1 - u) ** (-1 / (alpha - 1)) + 0.5).astype(int)


def test_gini_known_values():
    """Equal degrees give 0; one node holding everything among n gives (n - 1) / n."""
    assert gini(np.array([3, 3, 3, 3])) == 0.0
    assert gini(np.array([0, 0, 0, 8])) == pytest.approx(0.75)
    assert gini(np.array([1, 2, 3, 4])) == pytest.approx(0.25)


def test_ccdf_known_values():
    """P(K >= k) at each distinct degree."""
    k, p = ccdf(np.array([1, 2, 2, 3]))
    assert k.tolist() == [1, 2, 3] and p.tolist() == [1.0, 0.75, 0.25]


def test_star_and_complete_graph_metrics():
    """A star: the hub holds every edge, assortativity -1; K5: no hub, clustering 1."""
    star = network_metrics(nx.star_graph(9))
    assert star["hub_share"] == 1.0 and star["clustering"] == 0.0
    assert star["assortativity"] == pytest.approx(-1.0)
    complete = network_metrics(nx.complete_graph(5))
    assert complete["hub_share"] == pytest.approx(0.4) and complete["gini"] == 0.0
    assert complete["clustering"] == 1.0 and complete["assortativity"] is None


def test_fit_recovers_a_known_exponent_and_prefers_power_law():
    """A discrete power law with alpha 2.5 from x_min 5: alpha recovered, exponential rejected."""
    fit = fit_tail(discrete_power_law(2.5, 5, 20_000, seed=1))
    assert fit["alpha"] == pytest.approx(2.5, abs=0.05)
    assert fit["xmin"] == pytest.approx(5, abs=2)
    assert fit["r_exp"] > 0 and fit["p_exp"] < 0.01 and fit["ks_d"] < 0.02
    assert verdict_on_tail(fit) == "favoured over"


def test_fit_rejects_power_law_for_a_geometric_sample():
    """Geometric degrees: the likelihood ratio is negative and significant."""
    fit = fit_tail(np.random.default_rng(2).geometric(0.2, 20_000))
    assert fit["r_exp"] < 0 and fit["p_exp"] < 0.01
    assert verdict_on_tail(fit) == "rejected in favour of"


def test_lognormal_sample_prefers_lognormal():
    """Rounded-up lognormal degrees: the lognormal beats both the power law and the exponential."""
    fit = fit_tail(np.ceil(np.random.default_rng(3).lognormal(1.5, 1.0, 20_000)).astype(int))
    assert fit["tail_preferred"] == "lognormal"
    assert fit["r_lognormal"] < 0 and fit["p_lognormal"] < 0.01
    assert fit["r_ln_exp"] > 0 and fit["p_ln_exp"] < 0.01


def test_power_law_sample_keeps_the_power_law():
    """A pure power law is kept; a lognormal may mimic it: said as a tie, never as a win."""
    for seed in (1, 4):
        fit = fit_tail(discrete_power_law(2.5, 5, 20_000, seed=seed))
        assert fit["tail_preferred"] in ("power law", "power law or lognormal")
        assert fit["p_exp"] < 0.01 and fit["p_ln_exp"] < 0.01  # the exponential is out


def test_exponential_sample_is_not_called_a_power_law():
    """Geometric degrees: the exponential (or a lognormal tie) is kept, the power law never."""
    for seed, p in ((2, 0.2), (5, 0.1)):
        fit = fit_tail(np.random.default_rng(seed).geometric(p, 5_000))
        assert "power law" not in fit["tail_preferred"]
        assert "exponential" in fit["tail_preferred"]


def test_preferred_tail_rules():
    """A model is dropped only by a significant ratio against it; a missing one decides nothing."""
    ratios = {"r_exp": 3.0, "p_exp": 0.001, "r_lognormal": -2.27, "p_lognormal": 0.023}
    assert preferred_tail({**ratios, "r_ln_exp": 4.0, "p_ln_exp": 0.001}) == "lognormal"
    tie = {**ratios, "p_lognormal": 0.4, "r_ln_exp": 4.0, "p_ln_exp": 0.001}
    assert preferred_tail(tie) == "power law or lognormal"
    assert preferred_tail(ratios) is None
    shown = tail_comparisons({**ratios, "r_ln_exp": 4.0, "p_ln_exp": 0.001})
    assert "power law vs lognormal R = -2.27, p = 0.023" in shown


def test_growth_verdict_names_the_preferred_tail_with_its_ratios():
    """The issue's case: R = -2.27, p = 0.023 against the lognormal is said as a lognormal tail."""
    metrics = {
        "alpha": 2.6, "xmin": 4.0, "r_exp": 3.1, "p_exp": 0.002, "r_lognormal": -2.27,
        "p_lognormal": 0.023, "r_ln_exp": 4.0, "p_ln_exp": 0.001, "hub_share": 0.05,
        "ba_hub_share": 0.04, "ba_alpha": 2.9, "hub_name": "Emma",
    }  # fmt: skip
    metrics["tail_preferred"] = preferred_tail(metrics)
    said = verdict(metrics)
    assert said.startswith("Preferred tail: lognormal (power law vs exponential R = 3.10")
    assert "power law vs lognormal R = -2.27, p = 0.023" in said


def test_fit_reports_too_few_distinct_degrees():
    """A regular graph has nothing to fit: None values and a reason, not an exception."""
    fit = fit_tail(np.full(50, 4))
    assert fit["alpha"] is None and "distinct" in fit["fit_error"]
    assert verdict_on_tail(fit) == "not testable against"


def test_nulls_have_the_requested_size_and_seeded_ba():
    """BA is networkx's graph for the seed; uniform attachment has m links per arrival."""
    nulls = null_graphs(200, 3, seed=5)
    assert set(nulls["ba"].edges()) == set(nx.barabasi_albert_graph(200, 3, seed=5).edges())
    uniform = nulls["uniform"]
    assert uniform.number_of_nodes() == 200
    assert uniform.number_of_edges() == 6 + 3 * (200 - 4)


def test_grow_links_each_arrival_to_m_distinct_earlier_nodes():
    """Every node after the seed links to exactly m distinct, earlier nodes."""
    graph = grow(300, 3, seed=7, rule="degree", shown=20)
    for node in range(4, 300):
        earlier = [v for v in graph.neighbors(node) if v < node]
        assert len(earlier) == 3 == len(set(earlier))


def test_candidate_sample_is_all_then_k_distinct():
    """All nodes while there are at most K; then K distinct ids, weighted by degree on request."""
    rng = np.random.default_rng(0)
    degrees = np.ones(100, dtype=np.int64)
    assert sample_candidates(rng, 10, degrees, 10, "uniform") is None
    sample = sample_candidates(rng, 100, degrees, 10, "uniform")
    assert len(set(sample.tolist())) == 10 and sample.max() < 100
    degrees[:] = 0
    degrees[[3, 8, 42]] = 5
    assert set(sample_candidates(rng, 100, degrees, 3, "degree").tolist()) == {3, 8, 42}


def test_pick_index_is_proportional_and_skips_zero_weights():
    """Proportional picks match their weights; a zero weight is never picked."""
    rng = np.random.default_rng(3)
    weights = np.array([1.0, 0.0, 3.0])
    picks = np.bincount([pick_index(rng, weights, 3) for _ in range(20_000)], minlength=3)
    assert picks[1] == 0 and picks[2] / picks.sum() == pytest.approx(0.75, abs=0.015)


def test_naming_schemes():
    """200 distinct first names, suffixed once used up; sequential ids; fresh random strings."""
    rng = np.random.default_rng(0)
    names = first_names()
    assert len(names) == 200 == len(set(names))
    realistic = make_names("realistic", 450, rng)
    assert len(set(realistic)) == 450 and set(realistic[:200]) == set(names)
    assert realistic[200] == realistic[0] + "2" and realistic[400] == realistic[0] + "3"
    assert make_names("sequential", 3, rng) == ["user0", "user1", "user2"]
    random = make_names("random", 500, rng, length=7)
    assert len(set(random)) == 500 and all(len(n) == 7 and n.isalpha() for n in random)
