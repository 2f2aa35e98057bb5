"""The majority-force fits: the paper's numbers on its data, and honest intervals on twins."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from simsocial.analysis.fits import (
    coordination_expected,
    critical_size,
    fit_beta_lsq,
    fit_beta_mle,
    tanh_curve,
)
from simsocial.scenarios.opinion.spec import DEFAULT_GRID

# README of ../shared/data/demarzo2024: least-squares beta per file (the paper's figures).
PUBLISHED = {
    "claude-3-5-sonnet-20240620": 9.14,
    "claude-3-opus-20240229": 8.55,
    "gpt-4-turbo-2024-04-09": 4.84,
    "gpt-4-0613": 3.72,
    "gpt-4o-2024-05-13": 2.86,
    "claude-3-sonnet-20240229": 2.66,
    "meta-llama-3-70b-instruct": 1.47,
    "claude-2.0": 0.80,
    "gpt-3.5-turbo-1106": 0.16,
    "claude-3-haiku-20240307": 0.11,
}
STRONG_TO_WEAK = [
    "claude-3-5-sonnet-20240620",
    "gpt-4-turbo-2024-04-09",
    "gpt-4o-2024-05-13",
    "meta-llama-3-70b-instruct",
    "gpt-3.5-turbo-1106",
]


def test_tanh_curve_is_the_adoption_probability():
    """P(0) = 1/2, P(-m) = 1 - P(m), and a large beta is a step at m = 0."""
    m = np.array([-0.5, 0.0, 0.5])
    assert tanh_curve(m, 2.0)[1] == 0.5
    assert tanh_curve(m, 2.0)[0] == pytest.approx(1 - tanh_curve(m, 2.0)[2])
    assert tanh_curve(m, 2.0)[2] == pytest.approx((1 + math.tanh(1.0)) / 2)
    assert tanh_curve(m, 200.0).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_least_squares_gives_the_published_beta(shared_data, name):
    """curve_fit on the published fractions reproduces the paper's beta to 2 decimals."""
    data = pd.read_csv(shared_data / f"{name}.csv")
    fit = fit_beta_lsq(data["m"], data["p_a"])
    assert round(fit.beta, 2) == PUBLISHED[name]
    assert 0 < fit.stderr < 0.5


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_likelihood_interval_is_sensible_on_published_data(shared_data, name):
    """The binomial fit lands near the published beta, inside its own closed 95% interval."""
    data = pd.read_csv(shared_data / f"{name}.csv")
    fit = fit_beta_mle(data["m"], data["adopt_a"], data["queries"])
    assert fit.converged
    assert fit.ci_low < fit.beta < fit.ci_high
    assert math.isfinite(fit.ci_low) and math.isfinite(fit.ci_high)
    assert abs(fit.beta - PUBLISHED[name]) <= 0.2 * PUBLISHED[name] + 0.05


def test_likelihood_intervals_order_the_models_by_strength(shared_data):
    """Claude 3.5 Sonnet > GPT-4 Turbo > GPT-4o > Llama 3 70B > GPT-3.5, intervals disjoint."""
    fits = []
    for name in STRONG_TO_WEAK:
        data = pd.read_csv(shared_data / f"{name}.csv")
        fits.append(fit_beta_mle(data["m"], data["adopt_a"], data["queries"]))
    for stronger, weaker in itertools.pairwise(fits):
        assert stronger.ci_low > weaker.ci_high


def test_critical_sizes_of_published_models(shared_data):
    """N_c = exp(2 beta): GPT-4 Turbo coordinates at N = 50, Llama 3 70B and GPT-3.5 do not."""
    sizes = {}
    for name in PUBLISHED:
        data = pd.read_csv(shared_data / f"{name}.csv")
        beta = fit_beta_lsq(data["m"], data["p_a"]).beta
        sizes[name] = critical_size(beta)
        assert coordination_expected(beta, 50) == (sizes[name] > 50)
    assert sizes["gpt-4-turbo-2024-04-09"] == pytest.approx(math.exp(2 * 4.839), rel=1e-3)
    assert coordination_expected(4.84, 50) and coordination_expected(2.86, 50)
    assert not coordination_expected(1.47, 50) and not coordination_expected(0.16, 50)


def test_threshold_is_half_log_n():
    """beta > ln(N)/2 exactly: beta = 2 coordinates at N = 54 but not at N = 55 (e^4 = 54.6)."""
    assert coordination_expected(2.0, 54) and not coordination_expected(2.0, 55)
    assert critical_size(2.0) == pytest.approx(math.exp(4.0))


def test_all_majority_replies_give_an_open_interval():
    """Every reply with the majority: beta at the cap, CI open above, no crash."""
    m = np.array([-0.6, -0.2, 0.0, 0.2, 0.6])
    fit = fit_beta_mle(m, [0, 0, 100, 200, 200], [200] * 5)
    assert not fit.converged and fit.beta == 50.0 and fit.ci_high == math.inf
    assert 2 < fit.ci_low < 50
    flipped = fit_beta_mle(m, [200, 200, 100, 0, 0], [200] * 5)
    assert flipped.beta == -50.0 and flipped.ci_low == -math.inf
    assert flipped.ci_high == pytest.approx(-fit.ci_low)


def test_all_a_everywhere_is_no_majority_force():
    """Always answering A whatever m is a label bias, not a majority force: beta near 0."""
    m = np.array(DEFAULT_GRID)
    fit = fit_beta_mle(m, [200] * len(m), [200] * len(m))
    assert fit.converged and abs(fit.beta) < 1e-3 and fit.ci_low < 0 < fit.ci_high


def test_no_information_is_a_readable_error():
    """Replies only at m = 0 (or none at all) say nothing about beta: ValueError, not nonsense."""
    with pytest.raises(ValueError, match="no replies at any m != 0"):
        fit_beta_mle([0.0, 0.5], [30, 0], [60, 0])
    with pytest.raises(ValueError, match="between 0 and queries"):
        fit_beta_mle([0.5], [10], [5])


def coverage(beta0: float, seeds: int = 200) -> tuple[float, float]:
    """Share of seeds whose 95% interval covers beta0: (likelihood, least squares +- 1.96 se)."""
    n, queries = 50, 200
    m = (2 * np.round(n * (1 + np.array(DEFAULT_GRID)) / 2) - n) / n
    rng = np.random.default_rng(round(beta0 * 1000))
    counts = rng.binomial(queries, tanh_curve(m, beta0), size=(seeds, len(m)))
    trials = np.full(len(m), queries)
    mle = lsq = 0
    for adopt_a in counts:
        fit = fit_beta_mle(m, adopt_a, trials)
        mle += fit.ci_low <= beta0 <= fit.ci_high
        ls = fit_beta_lsq(m, adopt_a / queries)
        lsq += abs(ls.beta - beta0) <= 1.96 * ls.stderr
    return mle / seeds, lsq / seeds


@pytest.mark.parametrize("beta0", [0.5, 3.0, 8.0])
def test_likelihood_interval_covers_true_beta_on_twins(beta0):
    """N = 50, 15 grid values, 200 queries, 200 seeds: the 95% CI covers beta0 in >= 90%."""
    mle, lsq = coverage(beta0)
    assert mle >= 0.90
    if beta0 == 8.0:  # the paper's least squares under-covers a strong force (about 62%)
        assert lsq < 0.80 < mle
