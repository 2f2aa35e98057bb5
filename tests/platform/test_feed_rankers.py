"""The feed rankers order posts by their stated rules on platforms whose answer is known by hand,
match a per-viewer brute force on random platforms, pad short feeds, and name bad parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from simsocial.platform import Platform, PlatformView, feed_rankers
from simsocial.platform.community_notes import CommunityNotesParams, fit_bridging
from simsocial.platform.rankers import FeedSpec

FEED_RANKERS = (
    "chronological",
    "followed_engagement",
    "all_engagement",
    "bridging",
    "outparty_boost",
    "downplay_dominant",
    "community_notes",
)


def users(n: int) -> Platform:
    platform = Platform()
    for i in range(n):
        platform.add_user(f"u{i}", "", "c", 0)
    return platform


def rank(view: PlatformView, name: str, k: int, viewers: list[int], **params: object) -> list:
    feeds = FeedSpec(ranker=name, k=k, params=params).rank(
        view, np.array(viewers), np.random.default_rng(0)
    )
    assert feeds.shape == (len(viewers), k)
    return feeds.tolist()


def like(platform: Platform, post: int, voters: range | list[int]) -> None:
    for voter in voters:
        platform.like(voter, post, 1)


def test_chronological_shows_followed_accounts_newest_first_then_others():
    platform = users(5)
    platform.follow(0, 1, 0)
    platform.follow(0, 2, 0)
    for author, step in [(1, 0), (3, 5), (2, 2), (0, 6), (4, 3), (1, 2)]:
        platform.post(author, f"by {author} at {step}", step)
    view = platform.view(7)
    # followed: posts 5 and 2 (step 2: the later post first), 0; then others, never the viewer's own
    assert rank(view, "chronological", 5, [0]) == [[5, 2, 0, 1, 4]]
    assert rank(view, "chronological", 5, [0], fill=False) == [[5, 2, 0, -1, -1]]
    # a viewer who follows no one sees everyone else's newest
    assert rank(view, "chronological", 3, [4]) == [[3, 1, 5]]


def test_followed_engagement_ranks_likes_plus_comments_among_followed_only():
    platform = users(8)
    platform.follow(0, 1, 0)
    platform.follow(0, 2, 0)
    quiet, liked, commented, outside = (platform.post(a, "news", 0) for a in (1, 1, 2, 3))
    like(platform, liked, range(3, 6))  # 3 likes
    for author in (4, 5, 6, 7):  # 4 comments
        platform.reply(author, commented, "a comment", 1)
    like(platform, outside, range(1, 8))  # the most engaged post, by an unfollowed account
    view = platform.view(2)
    assert rank(view, "followed_engagement", 4, [0]) == [[commented, liked, quiet, -1]]
    assert rank(view, "followed_engagement", 4, [0], fill=True)[0][3] == outside
    assert rank(view, "all_engagement", 2, [0, 5]) == [[outside, commented]] * 2


def parties(platform: Platform, party: list[int], lean: list[float] | None = None) -> PlatformView:
    supplied = {"party": np.array(party)}
    if lean is not None:
        supplied["partisanship"] = np.array(lean)
    return platform.view(5, users=supplied)


def test_bridging_counts_likes_across_the_divide_and_independents_for_both():
    platform = users(9)  # 0-3: party -1, 4-7: party +1, 8: independent
    cross, own, by_right, by_independent = (platform.post(a, "p", 0) for a in (0, 1, 4, 8))
    like(platform, cross, [4, 5])  # two likes from the other party
    like(platform, own, [0, 2, 3])  # three likes, all from the author's own party
    like(platform, by_right, [8])  # an independent's like counts as the other party's
    like(platform, by_independent, [0, 4])  # an independent's post: min(1, 1), newer
    view = parties(platform, [-1] * 4 + [1] * 4 + [0])
    assert rank(view, "bridging", 4, [0]) == [[cross, by_independent, by_right, own]]
    assert rank(view, "top", 1, [0]) == [[own]]  # what bridging overturns


def test_outparty_boost_is_its_formula_per_viewer():
    platform = users(4)
    lean = [-0.8, 0.9, -0.7, 0.1]
    posts = [platform.post(a, "p", 0) for a in (0, 1, 2, 3)]
    for sharer, post in [(1, 0), (3, 2), (2, 1)]:
        platform.share(sharer, post, 1)
    view = parties(platform, [-1, 1, -1, 1], lean)

    def expected(viewer: int) -> list[int]:
        shares = view.shares
        key = {
            p: (shares[p] + 1) * math.log(1 + 3 + abs(lean[viewer] - lean[view.author[p]]))
            for p in view.candidates.tolist()
        }
        return sorted(key, key=lambda p: (-key[p], -p))[:3]

    got = rank(view, "outparty_boost", 3, [0, 1, 3])
    assert got == [expected(0), expected(1), expected(3)]
    assert got[0][0] == posts[1] and got[1][0] == posts[0]  # each side sees the other's first


def test_downplay_dominant_divides_reposts_by_the_authors_reach():
    platform = users(12)
    for follower in range(2, 11):
        platform.follow(follower, 1, 0)
    popular, modest = platform.post(1, "by a star", 0), platform.post(11, "by nobody", 0)
    for sharer in (2, 3, 4, 5):
        platform.share(sharer, popular, 1)  # (4 + 1) / (1 + 9) = 0.5
    platform.share(2, modest, 1)  # (1 + 1) / (1 + 0) = 2
    view = platform.view(2, candidates=np.array([popular, modest]))
    assert rank(view, "downplay_dominant", 2, [0]) == [[modest, popular]]
    assert rank(view, "downplay_dominant", 2, [0], strength=0) == [[popular, modest]]


def factions(explicit: bool) -> Platform:
    """Users 0-9 and 10-19 in two factions; posts 0-3 theirs, 4-7 the others'; post 8 liked by
    four of each, post 9 by all ten of the first faction only; down-votes across if explicit."""
    platform = users(20)
    for post in range(10):
        platform.post(post, "p", 0)
    a, b = range(10), range(10, 20)
    for posts, mine, theirs in ((range(4), a, b), (range(4, 8), b, a)):
        for post in posts:
            like(platform, post, mine)
            for voter in theirs if explicit else ():
                platform.vote(voter, post, -1, 1)
    like(platform, 8, [0, 1, 2, 3, 10, 11, 12, 13])
    like(platform, 9, a)
    return platform


@pytest.mark.parametrize(("explicit", "weight"), [(True, 0.0), (True, 0.02), (False, 0.02)])
def test_community_notes_ranks_approval_across_factions_above_one_sided_approval(
    explicit: bool, weight: float
):
    view = factions(explicit).view(2)
    feeds = [
        rank(view, "community_notes", 2, [0], unobserved_weight=weight, seed=seed)[0]
        for seed in (0, 1)
    ]
    assert feeds == [[8, 9], [8, 9]]  # the same order from another starting draw
    assert rank(view, "top", 1, [0]) == [[9]]  # ten likes beat eight on raw counts
    fit = fit_bridging(
        view.vote_voter, view.vote_post, view.vote_value, view.candidates, CommunityNotesParams()
    )
    # the factor splits the factions: the first faction's posts load one way, the other's
    # the other way, and the post liked by both sides loads on neither
    assert np.sign(fit.post_factor[0]) == -np.sign(fit.post_factor[4])
    assert abs(fit.post_factor[8]) < 0.1 * abs(fit.post_factor[0])


@pytest.mark.parametrize(("explicit", "weight"), [(True, 0.0), (False, 0.02), (True, 0.3)])
def test_community_notes_fit_is_a_stationary_point_of_the_dense_objective(
    explicit: bool, weight: float
):
    """The ALS algebra (sparse sums, mu eliminated, regauging) against the objective written
    densely over every (user, post) pair: its gradient vanishes at the fit."""
    view = factions(explicit).view(2)
    params = CommunityNotesParams(unobserved_weight=weight, iterations=5000)
    fit = fit_bridging(
        view.vote_voter, view.vote_post, view.vote_value, view.candidates, params, tol=1e-12
    )
    u = np.searchsorted(fit.users, view.vote_voter)
    p = np.searchsorted(fit.posts, view.vote_post)
    ratings = np.zeros((len(fit.users), len(fit.posts)))
    ratings[u, p] = view.vote_value
    pairs = weight * len(u) / (ratings.size - len(u))
    weights = np.full(ratings.shape, pairs)
    weights[u, p] = 1.0
    b, f, c, g = fit.user_intercept, fit.user_factor, fit.post_intercept, fit.post_factor
    predicted = fit.mu + b[:, None] + c[None, :] + np.outer(f, g)
    error = weights * (predicted - ratings)
    li, lf = params.intercept_reg, params.factor_reg
    gradient = np.concatenate(
        [
            [error.sum()],
            error.sum(axis=1) + li * b,
            error @ g + lf * f,
            error.sum(axis=0) + li * c,
            error.T @ f + lf * g,
        ]
    )
    assert np.abs(gradient).max() < 1e-6


def test_community_notes_with_likes_only_and_no_unobserved_weight_falls_back_to_newest():
    view = factions(explicit=False).view(2)
    assert rank(view, "community_notes", 3, [0], unobserved_weight=0) == [[9, 8, 7]]


def random_platform(seed: int) -> tuple[Platform, PlatformView, np.ndarray]:
    """Many ties (few steps, few reposts), follows of every size, some missing partisanship."""
    rng = np.random.default_rng(seed)
    n = 30
    platform = users(n)
    for source in range(n):
        for target in rng.choice(n, size=rng.integers(0, 6), replace=False):
            if target != source:
                platform.follow(source, int(target), 0)
    for _ in range(120):
        platform.post(int(rng.integers(n)), "p", int(rng.integers(4)))
    for _ in range(400):
        voter, post = int(rng.integers(n)), int(rng.integers(120))
        if not platform.has_voted(voter, post):
            platform.like(voter, post, 4)
    for _ in range(60):
        platform.reply(int(rng.integers(n)), int(rng.integers(120)), "c", 4)
    for _ in range(40):
        platform.share(int(rng.integers(n)), int(rng.integers(120)), 4)
    lean = np.round(rng.uniform(-1, 1, n), 1)
    lean[rng.choice(n, 3, replace=False)] = np.nan
    view = platform.view(5, users={"partisanship": lean, "party": np.sign(np.nan_to_num(lean))})
    return platform, view, lean


def brute_force_home(view: PlatformView, viewer: int, key: np.ndarray, k: int, fill: bool):
    order = sorted(view.candidates.tolist(), key=lambda p: (-key[p], -p))
    followed = view.following.get(viewer, frozenset())
    feed = [p for p in order if view.author[p] in followed][:k]
    if fill:
        others = [p for p in order if view.author[p] not in followed and view.author[p] != viewer]
        feed += others[: k - len(feed)]
    return feed + [-1] * (k - len(feed))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_follow_based_feeds_match_a_per_viewer_brute_force(seed: int):
    _, view, _ = random_platform(seed)
    viewers = list(range(30))
    engagement = view.ups + view.replies
    for k in (3, 10):
        for fill in (False, True):
            chrono = rank(view, "chronological", k, viewers, fill=fill)
            engaged = rank(view, "followed_engagement", k, viewers, fill=fill)
            for v in viewers:
                assert chrono[v] == brute_force_home(view, v, view.step, k, fill)
                assert engaged[v] == brute_force_home(view, v, engagement, k, fill)


@pytest.mark.parametrize(("seed", "block"), [(0, 4_000_000), (1, 4_000_000), (2, 7)])
def test_outparty_boost_matches_a_per_viewer_brute_force(
    seed: int, block: int, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(feed_rankers, "BLOCK", block)  # 7: one viewer group at a time
    _, view, lean = random_platform(seed)
    for k in (1, 5, 20):
        got = rank(view, "outparty_boost", k, list(range(30)))
        for viewer in range(30):
            gap = np.nan_to_num(np.abs(lean[viewer] - lean[view.author]))
            key = (view.shares + 1) * np.log(1 + 3 + gap)
            order = sorted(view.candidates.tolist(), key=lambda p: (-key[p], -p))
            assert got[viewer] == order[:k]


@pytest.mark.parametrize("name", FEED_RANKERS)
def test_short_and_empty_feeds_are_padded(name: str):
    platform = users(3)
    platform.follow(0, 1, 0)
    platform.post(1, "only post", 0)
    supplied = {"party": np.array([-1, 1, 0]), "partisanship": np.array([-0.5, 0.5, 0.0])}
    assert rank(platform.view(1, users=supplied), name, 3, [0]) == [[0, -1, -1]]
    empty = users(3).view(1, users=supplied)
    assert rank(empty, name, 2, [0, 2]) == [[-1, -1], [-1, -1]]


def test_window_keeps_only_recent_posts():
    platform = users(3)
    old, new = platform.post(1, "old", 0), platform.post(2, "new", 4)
    like(platform, old, [0, 2])
    view = platform.view(5)
    assert rank(view, "all_engagement", 2, [0]) == [[old, new]]
    assert rank(view, "all_engagement", 2, [0], window=2) == [[new, -1]]


def test_missing_attributes_and_bad_parameters_are_named():
    platform = users(2)
    platform.post(0, "p", 0)
    with pytest.raises(ValueError, match=r"'bridging' needs users\['party'\]"):
        rank(platform.view(1), "bridging", 2, [0])
    with pytest.raises(ValueError, match=r"'outparty_boost' needs users\['partisanship'\]"):
        rank(platform.view(1), "outparty_boost", 2, [0])
    with pytest.raises(ValidationError, match=r"params\.strength"):
        FeedSpec(ranker="downplay_dominant", params={"strength": -1})
    with pytest.raises(ValidationError, match=r"params\.bogus"):
        FeedSpec(ranker="bridging", params={"bogus": 1})
    with pytest.raises(ValidationError, match=r"params\.unobserved_weight"):
        FeedSpec(ranker="community_notes", params={"unobserved_weight": -1})
    with pytest.raises(ValidationError, match=r"unknown ranker 'bridgin' \(did you mean"):
        FeedSpec(ranker="bridgin")
