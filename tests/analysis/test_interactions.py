"""E-I index, Gini and out-party exposure on hand-computed examples, and the interactions read
off the platform tables."""

from __future__ import annotations

import numpy as np
import pytest

from simsocial.analysis.degree import gini as degree_gini
from simsocial.analysis.interactions import (
    ei_by_kind,
    ei_index,
    follower_gini,
    gini,
    interactions,
    outparty_share,
    repost_gini,
    shown_long,
)
from simsocial.platform import Platform

PARTY = np.array([-1, -1, 1, 1, 0])  # users 0-1 one party, 2-3 the other, 4 independent


def test_ei_is_minus_one_inside_plus_one_across_and_their_balance_between():
    assert ei_index([0, 1, 2], [1, 0, 3], PARTY)["ei"] == -1
    assert ei_index([0, 1, 2], [2, 3, 0], PARTY)["ei"] == 1
    mixed = ei_index([0, 0, 1, 2], [2, 3, 2, 3], PARTY)  # three across, one inside
    assert mixed["ei"] == pytest.approx((3 - 1) / (3 + 1))
    assert (mixed["external"], mixed["internal"], mixed["n"]) == (3, 1, 4)


def test_independents_and_self_interactions_are_left_out_and_counted():
    result = ei_index([0, 4, 2, 3, 0], [2, 0, 4, 3, 0], PARTY)
    assert (result["external"], result["internal"]) == (1, 0)
    assert (result["independent"], result["self"], result["n"]) == (2, 2, 5)
    assert result["ei"] == 1
    assert np.isnan(ei_index([4, 0], [0, 4], PARTY)["ei"])
    # a missing party counts as independent
    assert ei_index([0, 1], [2, 2], np.array([-1, -1, np.nan]))["independent"] == 2


def test_bootstrap_interval_brackets_the_estimate_and_is_seeded():
    rng = np.random.default_rng(3)
    actor, target = rng.integers(0, 5, 2000), rng.integers(0, 5, 2000)
    first = ei_index(actor, target, PARTY, bootstrap=500, seed=1)
    again = ei_index(actor, target, PARTY, bootstrap=500, seed=1)
    assert first == again
    assert first["ci_low"] < first["ei"] < first["ci_high"]
    assert first["ci_high"] - first["ci_low"] < 0.15
    across = ei_index([0, 1, 2], [2, 3, 0], PARTY, bootstrap=50)
    assert across["ci_low"] == across["ci_high"] == 1
    assert np.isnan(ei_index([0], [1], PARTY)["ci_low"])


def feed_platform() -> Platform:
    platform = Platform()
    for i in range(5):
        platform.add_user(f"u{i}", "", "c", 0)
    first = platform.post(0, "by 0", 0)
    second = platform.post(2, "by 2", 0)
    platform.like(1, first, 1)  # inside
    platform.like(2, first, 1)  # across
    platform.vote(3, first, -1, 1)  # a down-vote is no like
    platform.reply(3, second, "c", 1)  # inside
    platform.reply(4, first, "c", 1)  # an independent
    platform.share(1, second, 2)  # across
    platform.follow(0, 2, 1)
    platform.follow(0, 1, 1)
    platform.unfollow(0, 2, 2)  # gone by the end
    platform.follow(3, 0, 2)
    return platform


def test_interactions_are_read_off_the_platform_tables():
    tables = {name: t.to_pandas() for name, t in feed_platform().drain().items()}
    table = interactions(tables["posts"], tables["votes"], tables["follows"])
    pairs = {
        kind: sorted(zip(rows["actor"], rows["target"], strict=True))
        for kind, rows in table.groupby("kind")
    }
    assert pairs == {
        "like": [(1, 0), (2, 0)],
        "comment": [(3, 2), (4, 0)],
        "repost": [(1, 2)],
        "follow": [(0, 1), (3, 0)],
    }
    by_kind = ei_by_kind(table, PARTY)
    assert by_kind.index.tolist() == ["like", "comment", "repost", "follow"]
    assert by_kind["ei"].tolist() == [0.0, -1.0, 1.0, 0.0]
    assert by_kind.loc["comment", "independent"] == 1
    assert follower_gini(table, 5) == pytest.approx(gini([1, 1, 0, 0, 0]))
    assert repost_gini(table, 5) == pytest.approx(4 / 5)


def test_gini_of_equal_values_is_zero_and_one_holder_is_n_minus_one_over_n():
    assert gini(np.full(7, 3.0)) == 0
    assert gini(np.zeros(4)) == 0
    assert gini(np.array([0, 0, 0, 9])) == pytest.approx(3 / 4)
    assert gini(np.array([1, 2, 3, 4])) == pytest.approx(0.25)  # mean |xi - xj| / (2 mean)
    values = np.random.default_rng(0).poisson(3, 300)
    pairwise = np.abs(values[:, None] - values[None, :]).mean() / (2 * values.mean())
    assert gini(values) == pytest.approx(pairwise)
    assert gini(values) == pytest.approx(degree_gini(values))


def test_outparty_share_counts_posts_by_the_other_party():
    author = np.array([0, 2, 4, 1])  # post -> author
    feeds = np.array([[1, 2, 0, -1], [0, 3, -1, -1], [1, 0, 3, 2]])
    shown = shown_long(np.array([0, 2, 4]), feeds, step=3)
    assert len(shown) == 9 and (shown["step"] == 3).all()
    share = outparty_share(shown["viewer"], shown["post_id"], author, PARTY)
    assert share.loc[0].tolist() == [3, 1, pytest.approx(1 / 3)]  # one of three by party +1
    assert share.loc[2].tolist() == [2, 2, 1.0]  # both by party -1
    assert share.loc[4, "shown"] == 4 and np.isnan(share.loc[4, "share"])  # an independent
