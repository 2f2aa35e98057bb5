"""The calibrated synthetic sampler: its tables imply the published marginals exactly, 20,000
draws reproduce each one within binomial error, and every output says it is synthetic."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from simsocial.personas.anes import Respondent
from simsocial.personas.anes_synthetic import (
    IDEOLOGY_GIVEN_PARTY,
    PUBLISHED,
    SOURCE,
    TARGETS,
    VOTE_GIVEN_PARTY,
    expected_marginals,
    synthetic_sample,
)

N = 20_000


@pytest.fixture(scope="module")
def drawn() -> list[Respondent]:
    return synthetic_sample(N, seed=2020).personas


def observed(people: list[Respondent], name: str) -> Counter[Any]:
    if name == "age_group":
        return Counter(p.age_group for p in people)
    if name == "vote_choice":
        return Counter(p.vote_choice for p in people if p.vote_choice is not None)
    return Counter(p.answers[name] for p in people)


def test_targets_are_the_published_figures_and_the_tables_imply_them() -> None:
    """Normalising the figures that sum to 1.001 or 0.999 moves none by 0.001; the raked vote
    table and the independent draws give every target exactly in expectation."""
    for name, published in PUBLISHED.items():
        assert all(abs(TARGETS[name][k] - v) < 0.001 for k, v in published.items())
    for name, shares in expected_marginals().items():
        assert shares.keys() == TARGETS[name].keys()
        assert all(abs(shares[k] - TARGETS[name][k]) < 1e-12 for k in shares), name
    assert np.allclose(VOTE_GIVEN_PARTY.sum(axis=1), 1) and (VOTE_GIVEN_PARTY > 0).all()
    assert np.allclose(IDEOLOGY_GIVEN_PARTY.sum(axis=1), 1)
    assert VOTE_GIVEN_PARTY[0, 0] > 0.9 and VOTE_GIVEN_PARTY[6, 1] > 0.9  # strong partisans


@pytest.mark.parametrize("name", list(TARGETS))
def test_samples_reproduce_each_marginal(drawn: list[Respondent], name: str) -> None:
    """Each category's share within 4 binomial standard errors of its target."""
    counts = observed(drawn, name)
    total = sum(counts.values())
    assert total == N and set(counts) == set(TARGETS[name])
    for category, p in TARGETS[name].items():
        assert abs(counts[category] / total - p) < 4 * (p * (1 - p) / total) ** 0.5, category


def test_every_output_is_marked_synthetic(drawn: list[Respondent]) -> None:
    sample = synthetic_sample(50, seed=1)
    assert SOURCE == "synthetic-anes-2020-marginals"
    assert all(p.source == SOURCE and p.id.startswith("synthetic-") for p in drawn)
    assert sample.how["source"] == SOURCE and sample.how["synthetic"] is True
    assert sample.how["not_simulated"] == [
        "income", "religion", "state", "twitter_use", "political_posting"
    ]  # fmt: skip
    assert all(p.answers["income"] is None and p.answers["state"] is None for p in drawn)
    assert [p.model_dump() for p in sample.personas] == [
        p.model_dump() for p in synthetic_sample(50, seed=1).personas
    ]


def test_partisanship_follows_party_id(drawn: list[Respondent]) -> None:
    """Mean thermometer partisanship rises with party ID; strong partisans mostly love their
    party and hate the other."""
    means = [
        np.mean([p.partisanship for p in drawn if p.answers["party_id"] == k]) for k in range(1, 8)
    ]
    assert means == sorted(means) and means[0] < -0.5 and means[6] > 0.5
    strong_d = [p for p in drawn if p.answers["party_id"] == 1]
    assert np.mean(["Democrats" in p.love for p in strong_d]) > 0.3
    assert np.mean(["Republicans" in p.hate for p in strong_d]) > 0.4


def test_turnout_below_one_keeps_the_vote_among_voters() -> None:
    people = synthetic_sample(N, seed=5, turnout=0.6).personas
    voters = [p for p in people if p.vote_choice is not None]
    assert abs(len(voters) / N - 0.6) < 4 * (0.24 / N) ** 0.5
    share = sum(p.vote_choice == "Biden" for p in voters) / len(voters)
    p = TARGETS["vote_choice"]["Biden"]
    assert abs(share - p) < 4 * (p * (1 - p) / len(voters)) ** 0.5
    with pytest.raises(ValueError, match="turnout"):
        synthetic_sample(3, seed=0, turnout=0)
