"""The feed kind's rankers: Törnberg et al. 2023 (arXiv 2310.05984) and Larooij & Törnberg 2025.

Every ranker here is registered by name like new/top/hot, pure and vectorised. Engagement is
likes plus comments (`ups + replies`), the paper's "most liked and commented". Ties go to the
newer post (larger id), as in `top_k`. Rankers that read a per-user attribute (`party` in
{-1, 0, +1}, `partisanship` in [-1, 1]) take it from `view.users`, which the scenario supplies.

Per-viewer rankers never loop over viewers: follow-based feeds gather each followed author's k
best posts through the follow matrix (scipy.sparse) and merge them in one sort; the out-party
boost ranks only the posts that can reach any viewer's top k and groups viewers by partisanship.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import Field, PositiveInt

from simsocial.platform.rankers import ranker, same_for_all, top_k
from simsocial.spec_base import StrictModel

BLOCK = 4_000_000  # keys scored at once by outparty_boost (32 MB)


class WindowParams(StrictModel):
    window: PositiveInt | None = Field(
        None, description="Only posts at most this many steps old (None: every post)."
    )


class FollowedParams(WindowParams):
    fill: bool = Field(
        False,
        description="Pad a feed short of k followed posts with the best posts of others.",
    )


class ChronologicalParams(StrictModel):
    fill: bool = Field(
        True, description="After the followed accounts' posts, the newest posts of others."
    )


class DownplayParams(WindowParams):
    strength: float = Field(
        1.0,
        ge=0,
        description="Exponent on (1 + author's followers): 1 ranks by reposts per follower, 0 "
        "by reposts alone.",
    )


# --- shared pieces ---------------------------------------------------------------------------


def recent(view: Any, window: int | None) -> np.ndarray:
    """The view's candidates, only those at most `window` steps old when a window is given."""
    candidates = np.asarray(view.candidates, dtype=np.int64)
    if window is None:
        return candidates
    return candidates[view.now - view.step[candidates] <= window]


def attribute(view: Any, name: str, ranker_name: str) -> np.ndarray:
    """A per-user attribute the ranker needs, with an error that says who must supply it."""
    if name not in view.users:
        raise ValueError(
            f"ranker {ranker_name!r} needs users[{name!r}] in the platform view "
            "(the scenario passes it to Platform.view)"
        )
    return np.asarray(view.users[name])


def party_of(view: Any, ranker_name: str) -> np.ndarray:
    """Party per user as -1, 0, +1; a missing value counts as independent (0)."""
    party = attribute(view, "party", ranker_name).astype(np.float64)
    return np.sign(np.nan_to_num(party)).astype(np.int64)


def engagement(view: Any, candidates: np.ndarray) -> np.ndarray:
    """Likes plus comments: the paper's 'most liked and commented'."""
    return (view.ups[candidates] + view.replies[candidates]).astype(np.float64)


def best_first(keys: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Candidates by key, largest first; the newer post (larger id) first among equal keys."""
    return candidates[np.lexsort((-candidates, -keys))]


def follow_edges(view: Any) -> tuple[np.ndarray, np.ndarray]:
    """(source, target) of every follow in the view, as arrays."""
    following = view.following
    counts = np.fromiter((len(f) for f in following.values()), np.int64, len(following))
    sources = np.fromiter(following.keys(), np.int64, len(following))
    chained = itertools.chain.from_iterable(following.values())
    targets = np.fromiter(chained, np.int64, int(counts.sum()))
    return np.repeat(sources, counts), targets


def population(view: Any, viewers: np.ndarray, *ids: np.ndarray) -> int:
    """How many user ids the matrices need: every id the view or the call mentions."""
    sizes = [len(a) for a in view.users.values()]
    sizes += [int(a.max()) + 1 for a in (view.author, view.vote_voter, viewers, *ids) if len(a)]
    return max(sizes, default=0)


def follow_matrix(sources: np.ndarray, targets: np.ndarray, size: int) -> sp.csr_matrix:
    ones = np.ones(len(sources), dtype=np.int8)
    return sp.csr_matrix((ones, (sources, targets)), shape=(size, size))


def followed_feeds(
    view: Any, viewers: np.ndarray, ordered: np.ndarray, k: int, follows: sp.csr_matrix
) -> np.ndarray:
    """Per viewer, the first k posts of `ordered` (best first) by accounts the viewer follows.

    No viewer takes more than k posts from one author, so each author's k best ranks are
    gathered through the viewer's row of the follow matrix and merged in one sort, keyed by
    viewer then rank: the cost is (follows of the viewers) x k, not viewers x posts."""
    n = len(ordered)
    authors = view.author[ordered]
    by_author = np.argsort(authors, kind="stable")  # ranks grouped by author, best first
    grouped = authors[by_author]
    within = np.arange(n) - np.searchsorted(grouped, grouped, side="left")
    keep = within < k
    best = np.full((follows.shape[1], k), n, dtype=np.int64)  # n: no post
    best[grouped[keep], within[keep]] = by_author[keep]
    rows = follows[viewers]
    counts = np.diff(rows.indptr)
    owner = np.repeat(np.arange(len(viewers), dtype=np.int64), counts * k)
    merged = np.sort(owner * (n + 1) + best[rows.indices].ravel())
    offsets = np.arange(k)
    valid = offsets < (counts * k)[:, None]
    at = np.where(valid, rows.indptr[:-1, None] * k + offsets, 0)
    ranks = merged[at] - np.arange(len(viewers))[:, None] * (n + 1) if merged.size else at
    return np.append(ordered, -1)[np.where(valid, ranks, n)]


def fill_from_others(
    feeds: np.ndarray,
    viewers: np.ndarray,
    ordered: np.ndarray,
    authors: np.ndarray,
    excluded: sp.csr_matrix,
) -> np.ndarray:
    """Pad each feed's -1 tail with the best posts of `ordered` whose author the viewer is not
    excluded from (followed or themself): a prefix of 2k posts usually suffices; rows still short
    look four times further, until the whole order is read."""
    k = feeds.shape[1]
    have = (feeds >= 0).sum(axis=1)
    rows = np.flatnonzero(have < k)
    length = min(len(ordered), 2 * k)
    while rows.size and length:
        free = excluded[viewers[rows]][:, authors[:length]].toarray() == 0
        taken = np.cumsum(free, axis=1)
        need = (k - have[rows])[:, None]
        r, c = np.nonzero(free & (taken <= need))
        feeds[rows[r], have[rows[r]] + taken[r, c] - 1] = ordered[c]
        if length == len(ordered):
            break
        rows = rows[taken[:, -1] < need[:, 0]]
        length = min(len(ordered), 4 * length)
    return feeds


def home_feed(view: Any, viewers: np.ndarray, ordered: np.ndarray, k: int, fill: bool) -> Any:
    """Followed accounts' posts in `ordered` order, then (with `fill`) everyone else's."""
    sources, targets = follow_edges(view)
    size = population(view, viewers, sources, targets)
    follows = follow_matrix(sources, targets, size)
    feeds = followed_feeds(view, viewers, ordered, k, follows)
    if fill:
        excluded = follows + sp.identity(size, dtype=np.int8, format="csr")
        feeds = fill_from_others(feeds, viewers, ordered, view.author[ordered], excluded)
    return feeds


# --- the rankers -----------------------------------------------------------------------------


@ranker("chronological", ChronologicalParams)
def chronological(
    view: Any, viewers: np.ndarray, k: int, params: ChronologicalParams, rng: np.random.Generator
) -> np.ndarray:
    """Newest first among posts by accounts the viewer follows, then (fill) others' newest.

    The reverse-chronological home timeline, the baseline Larooij & Törnberg (2025) test as an
    intervention. Followed posts always come first; `fill` (default on) pads a feed short of k
    with the newest posts of accounts the viewer neither follows nor is, because a follow-only
    timeline starves agents who follow few accounts and no one could discover whom to follow."""
    candidates = view.candidates
    ordered = best_first(view.step[candidates].astype(np.float64), candidates)
    return home_feed(view, viewers, ordered, k, params.fill)


@ranker("followed_engagement", FollowedParams)
def followed_engagement(
    view: Any, viewers: np.ndarray, k: int, params: FollowedParams, rng: np.random.Generator
) -> np.ndarray:
    """Most liked and commented (ups + replies) among posts by accounts the viewer follows.

    Törnberg et al. (2023), platform 1 (the 'echo chamber'): only followed accounts, so `fill`
    is off by default; turned on, a short feed is padded with others' most engaged posts."""
    candidates = recent(view, params.window)
    ordered = best_first(engagement(view, candidates), candidates)
    return home_feed(view, viewers, ordered, k, params.fill)


@ranker("all_engagement", WindowParams)
def all_engagement(
    view: Any, viewers: np.ndarray, k: int, params: WindowParams, rng: np.random.Generator
) -> np.ndarray:
    """Most liked and commented (ups + replies) among all users' posts, the same for everyone.

    Törnberg et al. (2023), platform 2 ('breaking the echo chamber')."""
    candidates = recent(view, params.window)
    return same_for_all(top_k(engagement(view, candidates), candidates, k), viewers)


def bridging_likes(view: Any, candidates: np.ndarray) -> np.ndarray:
    """Likes from the party other than the author's; an independent's like counts for both
    parties; an independent author's post counts the smaller of its two parties' tallies."""
    party = party_of(view, "bridging")
    liked = view.vote_value > 0
    voter = party[view.vote_voter[liked]]
    post = view.vote_post[liked]
    size = len(view.author)
    negative = np.bincount(post, weights=(voter <= 0), minlength=size)[candidates]
    positive = np.bincount(post, weights=(voter >= 0), minlength=size)[candidates]
    author = party[view.author[candidates]]
    return np.select([author > 0, author < 0], [negative, positive], np.minimum(negative, positive))


@ranker("bridging", WindowParams)
def bridging(
    view: Any, viewers: np.ndarray, k: int, params: WindowParams, rng: np.random.Generator
) -> np.ndarray:
    """Most liked by users of the party other than the author's, the same for everyone.

    Törnberg et al. (2023), platform 3. Rule: a post by a party +1 author counts the likes of
    party -1 users and independents, and the other way round; an independent's like counts for
    both parties; a post by an independent counts min(likes from the -1 side, likes from the
    +1 side), independents' likes in both, so it ranks high only when both sides like it.
    A missing party counts as independent. Down-votes do not enter."""
    candidates = recent(view, params.window)
    return same_for_all(top_k(bridging_likes(view, candidates), candidates, k), viewers)


@ranker("downplay_dominant", DownplayParams)
def downplay_dominant(
    view: Any, viewers: np.ndarray, k: int, params: DownplayParams, rng: np.random.Generator
) -> np.ndarray:
    """(reposts + 1) / (1 + author's followers)^strength, the same for everyone.

    Larooij & Törnberg (2025) 'downplaying dominant voices'; this rule is ours: it starts from
    their engagement weight (reposts + 1) and divides by the author's reach, so with strength 1
    a post ranks by reposts per follower and an account's audience, which feeds the rich-get-
    richer loop behind follower inequality, stops counting in its favour."""
    candidates = recent(view, params.window)
    _, targets = follow_edges(view)
    followers = np.bincount(targets, minlength=population(view, viewers, targets))
    reach = (1.0 + followers[view.author[candidates]]) ** params.strength
    keys = (view.shares[candidates] + 1.0) / reach
    return same_for_all(top_k(keys, candidates, k), viewers)


def level_extremes(level: np.ndarray, y: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Within each level, the k posts of lowest y and the k of highest y (newer first among
    equal y) and the k newest (for viewers with no gap to tell them apart): indices."""
    known = ~np.isnan(y)
    picked = []
    for keys, mask in (((-ids, y), known), ((-ids, -y), known), ((-ids,), np.ones_like(known))):
        index = np.flatnonzero(mask)
        order = index[np.lexsort((*(key[index] for key in keys), level[index]))]
        grouped = level[order]
        within = np.arange(len(order)) - np.searchsorted(grouped, grouped, side="left")
        picked.append(order[within < k])
    return np.unique(np.concatenate(picked))


def widest_gap(x: np.ndarray, y: np.ndarray) -> float:
    """The largest |x - y| over known values (0 when either side has none)."""
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if not len(x) or not len(y):
        return 0.0
    return float(max(x.max() - y.min(), y.max() - x.min(), 0.0))


@ranker("outparty_boost", WindowParams)
def outparty_boost(
    view: Any, viewers: np.ndarray, k: int, params: WindowParams, rng: np.random.Generator
) -> np.ndarray:
    """(reposts + 1) ln(1 + 3 + |partisanship gap|) between viewer and author, per viewer.

    Larooij & Törnberg (2025) 'boosting out-partisan content'. A missing partisanship gives a
    gap of 0. Exact without scoring viewers x posts: a post can enter some viewer's top k only
    if its largest key reaches the k-th largest smallest key; among posts of equal reposts a
    viewer's best are those of most extreme author partisanship (or, with no gap to tell them
    apart, the newest), so only the k lowest, k highest and k newest per repost count are
    scored, once per distinct viewer partisanship (ANES gives at most 201). Fast when reposts
    are concentrated (10^4 viewers x 10^5 posts: 10 ms); its worst case is reposts spread
    evenly over hundreds of values with a continuous partisanship (2 s on the same sizes)."""
    candidates = recent(view, params.window)
    lean = attribute(view, "partisanship", "outparty_boost").astype(np.float64)
    weight = view.shares[candidates] + 1.0
    y = lean[view.author[candidates]]
    x = lean[viewers]
    if len(candidates) > k:
        floor = np.partition(weight, len(weight) - k)[len(weight) - k] * np.log(4.0)
        keep = np.flatnonzero(weight * np.log(4.0 + widest_gap(x, y)) >= floor)
        keep = keep[level_extremes(weight[keep], y[keep], candidates[keep], k)]
        candidates, weight, y = candidates[keep], weight[keep], y[keep]
    newest = np.argsort(-candidates)
    candidates, weight, y = candidates[newest], weight[newest], y[newest]
    groups, which = np.unique(x, return_inverse=True)
    feeds = np.full((len(groups), k), -1, dtype=np.int64)
    block = max(1, BLOCK // max(1, len(candidates)))  # bounds the keys held at once
    for start in range(0, len(groups), block):
        gap = np.nan_to_num(np.abs(groups[start : start + block, None] - y[None, :]))
        rows, columns = top_k_per_row(weight * np.log(4.0 + gap), k)
        feeds[start + rows, columns[1]] = candidates[columns[0]]
    return feeds[which.ravel()]


def top_k_per_row(keys: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k largest keys, the earlier column first among equal keys, as (rows,
    (columns, places)): a partition finds each row's k-th key, and only the keys reaching it
    (k, more on ties) are sorted, not the whole row."""
    width = keys.shape[1]
    if width > k:
        kth = np.partition(keys, width - k, axis=1)[:, width - k]
        rows, columns = np.nonzero(keys >= kth[:, None])
    else:
        rows, columns = np.nonzero(np.ones(keys.shape, dtype=bool))
    order = np.lexsort((columns, -keys[rows, columns], rows))
    rows, columns = rows[order], columns[order]
    places = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
    kept = places < k
    return rows[kept], np.stack([columns[kept], places[kept]])


from simsocial.platform import community_notes  # noqa: E402, F401  (registers community_notes)
