"""Rankers order what viewers see by their published rules, pad short feeds, and are chosen
(and checked) by name in the scenario file."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from simsocial.platform import Platform
from simsocial.platform.rankers import RANKERS, FeedSpec, NoParams, ranker, same_for_all


def board(votes: dict[int, tuple[int, int]], steps: list[int]) -> Platform:
    """Posts written at `steps`, with (ups, downs) per post from distinct voters."""
    platform = Platform()
    voters = max((u + d for u, d in votes.values()), default=0) + 1
    for i in range(voters):
        platform.add_user(f"u{i}", "", "c", 0)
    for step in steps:
        platform.post(0, f"post at {step}", step)
    for post, (ups, downs) in votes.items():
        for voter in range(1, ups + 1):
            platform.vote(voter, post, 1, steps[post])
        for voter in range(ups + 1, ups + downs + 1):
            platform.vote(voter, post, -1, steps[post])
    return platform


def feed(platform: Platform, name: str, k: int, now: int = 10, **params: float) -> list[int]:
    ranked = FeedSpec(ranker=name, k=k, params=params).rank(
        platform.view(now), np.array([0, 1]), np.random.default_rng(0)
    )
    assert ranked.shape == (2, k)
    return ranked[0].tolist()


def test_new_is_chronological_with_ties_to_the_later_post():
    platform = board({}, [0, 3, 1, 3])
    assert feed(platform, "new", 3) == [3, 1, 2]


def test_top_orders_by_net_score():
    platform = board({0: (5, 1), 1: (1, 4), 2: (2, 0)}, [0, 1, 2])
    assert feed(platform, "top", 3) == [0, 2, 1]


def test_hot_is_reddits_formula_on_the_simulation_clock():
    votes = {0: (100, 0), 1: (1, 0), 2: (0, 10)}
    platform = board(votes, [0, 2, 3])
    decay = 2.0

    def hot(post: int, step: int) -> float:
        s = votes[post][0] - votes[post][1]
        return (
            math.copysign(1, s) * math.log10(max(abs(s), 1)) + step / decay if s else step / decay
        )

    expected = sorted(range(3), key=lambda p: -hot(p, [0, 2, 3][p]))
    assert feed(platform, "hot", 3, decay_steps=decay) == expected == [0, 1, 2]
    # with a fast decay recency wins: the newest post leads despite 100 net votes elsewhere
    assert feed(platform, "hot", 3, decay_steps=0.1)[0] == 2


def test_short_feeds_are_padded_and_random_differs_per_viewer():
    platform = board({}, list(range(30)))
    assert feed(platform, "new", 40)[30:] == [-1] * 10
    rows = FeedSpec(ranker="random", k=5).rank(
        platform.view(30), np.arange(50), np.random.default_rng(1)
    )
    assert all(len(set(row)) == 5 for row in rows.tolist())
    assert len({tuple(row) for row in rows.tolist()}) > 40
    assert feed(Platform(), "hot", 3) == [-1, -1, -1]


def test_unknown_rankers_and_parameters_are_named():
    with pytest.raises(ValidationError, match=r"unknown ranker 'hott' \(did you mean 'hot'\?\)"):
        FeedSpec(ranker="hott")
    with pytest.raises(ValidationError, match=r"params\.decay_steps"):
        FeedSpec(ranker="hot", params={"decay_steps": -1})
    with pytest.raises(ValidationError, match=r"params\.bogus"):
        FeedSpec(ranker="new", params={"bogus": 1})


def test_a_registered_ranker_is_selectable_by_name():
    @ranker("oldest_test", NoParams)
    def oldest(view, viewers, k, params, rng):  # type: ignore[no-untyped-def]
        """Oldest first."""
        return same_for_all(view.candidates[:k], viewers)

    try:
        assert feed(board({}, [0, 1, 2]), "oldest_test", 2) == [0, 1]
        assert RANKERS["oldest_test"].summary == "Oldest first."
        with pytest.raises(ValueError, match="already registered"):
            ranker("oldest_test", NoParams)(oldest)
    finally:
        del RANKERS["oldest_test"]
