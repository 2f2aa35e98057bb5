"""The feed kind at scale: every feed ranker for 10^4 viewers over 10^5 posts, and the
interaction metrics over 10^6 interactions.

Part 1 fills a platform with 10^5 top-level posts by 10^4 users (parties and partisanship in
two-decimal steps as ANES gives them, a follow network with 3 to 37 follows each and 70% of them
within the party, likes three times as likely within the party, reposts and comments) and ranks
k = 10 posts for every user with each ranker; the issue's target is under 1 s per step. `view`
is building the PlatformView once (every step pays it once, whatever the ranker); `ours` is one
ranker's `FeedSpec.rank` on it. Two references measured in the same run: the ideal (a global
engagement key from precomputed arrays and one argpartition: the floor of any feed) and, for
the per-viewer rankers, the obvious loop over viewers (a mask or a key over all posts and an
argpartition per viewer), timed on 200 viewers and scaled to all.

Part 2 times the E-I index of every interaction kind and the Gini of followers and reposts over
10^6 interactions (target under 1 s), against bare numpy (the party gathers and counts with no
kinds, no independents rule, no table) and pandas (a merge of parties and a groupby), and the
reading of the interactions from platform tables of the same size.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from simsocial.analysis.interactions import (
    KINDS,
    ei_by_kind,
    follower_gini,
    gini,
    interactions,
    repost_gini,
)
from simsocial.platform import Platform, PlatformView
from simsocial.platform.rankers import FeedSpec

RANKERS = (
    "chronological",
    "followed_engagement",
    "all_engagement",
    "bridging",
    "outparty_boost",
    "downplay_dominant",
    "community_notes",
)
PER_VIEWER = ("chronological", "followed_engagement", "outparty_boost")


def filled(posts: int, users: int, seed: int) -> tuple[Platform, dict[str, np.ndarray]]:
    """The platform and its users' attributes, built through its columns directly."""
    rng = np.random.default_rng(seed)
    lean = np.round(np.clip(rng.normal(0, 0.5, users), -1, 1), 2)
    party = np.sign(lean).astype(np.int64)
    platform = Platform()
    for i in range(users):
        platform.add_user(f"u{i}", "", "c", 0)
    author = rng.integers(0, users, posts)
    columns = platform.posts.data
    ids = list(range(posts))
    columns.update(post_id=ids, thread_id=ids, parent_id=[-1] * posts, author=author.tolist())
    columns.update(step=np.sort(rng.integers(0, 100, posts)).tolist(), order=[0] * posts)
    columns.update(kind=["post"] * posts, text=[""] * posts, shared_id=[-1] * posts)
    columns.update(news_ref=[None] * posts, image_ref=[None] * posts)
    by_party = [np.flatnonzero(party == p) for p in (-1, 0, 1)]
    for source in range(users):
        count = int(rng.integers(3, 38))
        same = rng.random(count) < 0.7
        pool = by_party[party[source] + 1]
        targets = np.where(same, rng.choice(pool, count), rng.integers(0, users, count))
        platform.following[source] = set(targets.tolist()) - {source}
    voter = rng.integers(0, users, 6 * posts)
    post = rng.integers(0, posts, 6 * posts)
    odds = np.where(party[voter] == party[author[post]], 0.75, 0.25)
    keep = rng.random(len(voter)) < odds
    pairs = np.unique(np.stack([voter[keep], post[keep]]), axis=1)
    votes = platform.tables.votes.data
    votes.update(voter=pairs[0].tolist(), post_id=pairs[1].tolist())
    votes.update(value=[1] * pairs.shape[1], step=[99] * pairs.shape[1])
    platform.ups = np.bincount(pairs[1], minlength=posts).tolist()
    platform.downs = [0] * posts
    platform.replies = rng.poisson(1.0, posts).tolist()
    platform.shares = rng.poisson(0.3, posts).tolist()
    return platform, {"party": party, "partisanship": lean}


def best_of(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def loop_over_viewers(name: str, view: PlatformView, viewers: np.ndarray, k: int) -> None:
    """The obvious per-viewer ranking: a key over all candidates and an argpartition each."""
    candidates = view.candidates
    author = view.author[candidates]
    engagement = (view.ups + view.replies)[candidates].astype(np.float64)
    step = view.step[candidates].astype(np.float64)
    lean = view.users["partisanship"]
    weight = view.shares[candidates] + 1.0
    for viewer in viewers.tolist():
        if name == "outparty_boost":
            keys = weight * np.log(4.0 + np.abs(lean[viewer] - lean[author]))
        else:
            followed = np.isin(author, list(view.following.get(viewer, ())))
            base = step if name == "chronological" else engagement
            keys = np.where(followed, base, -np.inf)
        np.argpartition(-keys, k)[:k]


def bench_rankers(posts: int, users: int, k: int, repeats: int) -> None:
    platform, attributes = filled(posts, users, seed=1)
    viewers = np.arange(users)
    rng = np.random.default_rng(0)
    view_s = best_of(lambda: platform.view(100, users=attributes), repeats)
    view = platform.view(100, users=attributes)
    engagement = (view.ups + view.replies).astype(np.float64)
    ideal = best_of(lambda: np.argpartition(-(view.ups + view.replies), k)[:k], repeats)
    follows = sum(len(f) for f in view.following.values())
    print(
        f"feeds for {users:,} viewers over {posts:,} posts (k={k}); {len(view.vote_post):,} "
        f"likes, {follows:,} follows; engagement range {engagement.max():.0f}"
    )
    print(f"  building the view once per step: {view_s:.3f} s")
    print(f"  ideal (precomputed key + argpartition): {ideal * 1e3:.2f} ms")
    header = f"  {'ranker':<20} {'ours (s)':>9} {'+ view (s)':>11} {'/ ideal':>9} {'loop (s)':>9}"
    print(header + f" {'loop / ours':>11}")
    sample = viewers[:200]
    for name in RANKERS:
        spec = FeedSpec(ranker=name, k=k)
        ours = best_of(lambda spec=spec: spec.rank(view, viewers, rng), repeats)
        line = f"  {name:<20} {ours:9.3f} {ours + view_s:11.3f} {ours / ideal:9.0f}"
        if name in PER_VIEWER:
            loop = best_of(lambda n=name: loop_over_viewers(n, view, sample, k), 1)
            loop *= len(viewers) / len(sample)
            line += f" {loop:9.2f} {loop / ours:11.1f}"
        print(line)


def bench_metrics(n: int, users: int, repeats: int) -> None:
    rng = np.random.default_rng(2)
    party = rng.choice([-1, 0, 1], size=users, p=[0.45, 0.1, 0.45])
    table = pd.DataFrame(
        {
            "kind": pd.Categorical.from_codes(rng.integers(0, 4, n), KINDS),
            "actor": rng.integers(0, users, n),
            "target": rng.integers(0, users, n),
            "step": rng.integers(0, 100, n),
        }
    )

    def ours() -> None:
        ei_by_kind(table, party)
        follower_gini(table, users)
        repost_gini(table, users)

    actor, target = table["actor"].to_numpy(), table["target"].to_numpy()

    def bare() -> None:
        a, t = party[actor], party[target]
        external = np.count_nonzero(a != t)
        (external - (n - external)) / n
        gini(np.bincount(target, minlength=users))

    def peer() -> None:
        sides = pd.Series(party, name="side")
        merged = table.join(sides.rename("a"), on="actor").join(sides.rename("t"), on="target")
        merged = merged[(merged["a"] != 0) & (merged["t"] != 0)]
        counts = (
            (merged["a"] != merged["t"])
            .groupby(merged["kind"], observed=True)
            .agg(["sum", "count"])
        )
        (2 * counts["sum"] - counts["count"]) / counts["count"]
        table.groupby("target").size().reindex(range(users), fill_value=0)

    timings = {name: best_of(fn, repeats) for name, fn in [("ours", ours), ("bare", bare)]}
    timings["peer"] = best_of(peer, repeats)
    print(f"E-I of {len(KINDS)} kinds + Gini of followers and reposts, {n:,} interactions:")
    print(f"  ours {timings['ours']:.3f} s (target < 1 s)")
    print(f"  bare numpy {timings['bare']:.3f} s: ratio {timings['ours'] / timings['bare']:.1f}")
    print(f"  pandas merge + groupby {timings['peer']:.3f} s: ratio ", end="")
    print(f"{timings['ours'] / timings['peer']:.2f}")
    gini_s = best_of(lambda: gini(rng.random(n)), repeats)
    print(f"  Gini of {n:,} values alone: {gini_s:.3f} s")

    posts = pd.DataFrame(
        {
            "post_id": np.arange(n),
            "author": rng.integers(0, users, n),
            "parent_id": rng.integers(-1, n, n),
            "kind": rng.choice(["post", "reply", "share"], n),
            "shared_id": rng.integers(0, n, n),
            "step": rng.integers(0, 100, n),
        }
    )
    votes = pd.DataFrame({"voter": actor, "post_id": rng.integers(0, n, n), "value": 1, "step": 0})
    follows = pd.DataFrame({"source": actor, "target": target, "step": 0, "on": True})
    read = best_of(lambda: interactions(posts, votes, follows), repeats)
    print(f"  reading interactions from {n:,}-row posts, votes and follows tables: {read:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    bench_rankers(args.posts, args.users, 10, args.repeats)
    bench_metrics(args.interactions, args.users, args.repeats)


if __name__ == "__main__":
    main()
