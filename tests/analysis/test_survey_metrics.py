"""The audit's metrics against hand computations, the libraries they stand in for, and the
scripted twin's closed forms (simsocial.llm.scripted_survey.expected)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association

from simsocial.analysis.survey_metrics import (
    Resampling,
    agreement,
    agreement_of,
    brier_scores,
    calibration_error,
    cramers_v,
    reliability,
    spearman,
    tables,
)
from simsocial.llm.scripted_survey import expected

HOW = Resampling(resamples=500, confidence=0.95, seed=3)


def test_a_small_table_by_hand():
    """truth [0,0,1,1,2], answers [0,1,1,1,2]: 4 of 5 right; p_e = (2*1 + 2*3 + 1*1)/25."""
    truth, answer = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 2])
    got = agreement(truth, answer, 3, HOW, "x")
    p_e = (2 * 1 + 2 * 3 + 1 * 1) / 25
    assert got["accuracy"].value == pytest.approx(0.8)
    assert got["kappa"].value == pytest.approx((0.8 - p_e) / (1 - p_e))
    assert got["tvd"].value == pytest.approx(0.5 * (1 + 1 + 0) / 5)  # truths 2,2,1 vs 1,3,1
    table = np.array([[1, 1, 0], [0, 2, 0], [0, 0, 1]])
    assert got["cramers_v"].value == pytest.approx(association(table, method="cramer"))
    assert got["accuracy"].low <= 0.8 <= got["accuracy"].high


def test_kappa_matches_scikit_learn_where_installed():
    """By hand because scikit-learn is not a dependency; where it is installed they agree."""
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for k in (2, 3, 7):
        truth = rng.integers(0, k, 300)
        answer = np.where(rng.random(300) < 0.6, truth, rng.integers(0, k, 300))
        got = agreement(truth, answer, k, HOW, "x")["kappa"].value
        assert got == pytest.approx(metrics.cohen_kappa_score(truth, answer))


def test_the_vectorised_cramers_v_is_scipys_on_every_table():
    """The resampled values use a chi-square formula over all tables at once: it equals
    scipy's association on each table, empty rows and columns dropped."""
    rng = np.random.default_rng(1)
    truth, answer = rng.integers(0, 4, 60), rng.integers(0, 4, 60)
    idx = rng.integers(0, 60, (50, 60))
    many = tables(truth, answer, 4, idx)
    vectorised = agreement_of(many)[2]
    for table, v in zip(many, vectorised, strict=True):
        assert v == pytest.approx(cramers_v(table))
    assert np.isnan(cramers_v(np.array([[3.0, 2.0], [0.0, 0.0]])))  # one row left: undefined


def test_spearman_and_its_resampling_match_scipy():
    """Midranks by counting equal scipy's rankdata; the point value is spearmanr's."""
    rng = np.random.default_rng(2)
    x = rng.integers(0, 7, 200).astype(float)
    y = np.clip(x + rng.integers(-2, 3, 200), 0, 6)
    got = spearman(x, y, HOW, "s")
    assert got.value == pytest.approx(stats.spearmanr(x, y).statistic)
    assert got.low < got.value < got.high
    from simsocial.analysis.survey_metrics import _midranks

    codes = rng.integers(0, 5, (4, 30))
    assert np.allclose(_midranks(codes, 5), stats.rankdata(codes, axis=-1))


def test_brier_and_reliability_known_values():
    """Sure and right: 0; uniform over k: (k - 1)/k; calibrated probabilities: zero error."""
    truth = np.array([0, 1, 2, 0])
    assert brier_scores(np.eye(3)[truth], truth).tolist() == [0, 0, 0, 0]
    assert brier_scores(np.full((4, 3), 1 / 3), truth) == pytest.approx(np.full(4, 2 / 3))
    # two options at 0.75/0.25 where the first is true 3 times in 4: perfectly calibrated
    probs = np.tile([0.75, 0.25], (4, 1))
    curve = reliability(probs, np.array([0, 0, 0, 1]))
    assert curve["frequency"].tolist() == [0.25, 0.75]
    assert calibration_error(curve) == pytest.approx(0.0)


def test_intervals_are_seeded_per_group_label():
    """The same label gives the same interval; the order groups are measured in is irrelevant."""
    rng = np.random.default_rng(4)
    truth, answer = rng.integers(0, 3, 100), rng.integers(0, 3, 100)
    first = agreement(truth, answer, 3, HOW, "vote|race|Black")
    agreement(truth, answer, 3, HOW, "another group")
    again = agreement(truth, answer, 3, HOW, "vote|race|Black")
    assert first == again
    assert agreement(truth, answer, 3, HOW, "x")["accuracy"] != first["accuracy"]


@pytest.mark.parametrize(("a", "shares"), [(0.7, [0.5, 0.4, 0.1]), (0.3, [0.3] * 3 + [0.1])])
def test_simulated_twin_answers_meet_the_closed_forms(a: float, shares: list[float]):
    """Answers drawn as the twin draws them (truth with probability a, else uniform): accuracy
    and kappa fall inside their 95% intervals around the closed forms at the sample's shares."""
    rng = np.random.default_rng(5)
    k, n = len(shares), 2000
    truth = rng.choice(k, n, p=shares)
    answer = np.where(rng.random(n) < a, truth, rng.integers(0, k, n))
    got = agreement(truth, answer, k, HOW, "twin")
    known = expected(a, np.bincount(truth, minlength=k) / n)
    for name in ("accuracy", "kappa"):
        assert got[name].low <= known[name] <= got[name].high, (name, got[name], known[name])
    assert known["accuracy"] == pytest.approx(a + (1 - a) / k)


def test_closed_forms_at_the_edges():
    """a = 1: perfect agreement, no distance, no error; a = 0: chance, kappa 0."""
    perfect, blind = expected(1.0, [0.6, 0.4]), expected(0.0, [0.6, 0.4])
    assert perfect == {"accuracy": 1.0, "kappa": 1.0, "tvd": 0.0, "brier": 0.0}
    assert blind["accuracy"] == 0.5 and blind["kappa"] == 0.0
    assert blind["tvd"] == pytest.approx(0.1) and blind["brier"] == pytest.approx(0.5)


def test_reliability_bins_every_option_of_every_answer():
    """n answers over k options give n*k (probability, outcome) pairs."""
    probs = pd.DataFrame(np.random.default_rng(6).dirichlet([1, 1, 1], 50)).to_numpy()
    curve = reliability(probs, np.zeros(50, dtype=int))
    assert curve["count"].sum() == 150 and curve["bin"].between(0, 9).all()
