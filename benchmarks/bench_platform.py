"""The platform layer at scale: ranking a front page for many viewers, and appending actions.

Part 1 fills a platform with 10^6 top-level posts (scores from 3x10^6 votes, steps spread over
1,000 steps) and ranks a `hot` front page of k = 10 for 10,000 viewers, the issue's target being
at most 1 s. Two references measured in the same run: the ideal (the hot keys of precomputed
numpy arrays and one argpartition, with nothing else: no view, no tie rule, no feed rows) and a
peer's approach (pandas: a DataFrame of the posts, the hot column, `nlargest`), as a notebook
user would write it.

Part 2 appends 10^5 validated actions (posts, replies, votes, follows in the mix a forum step
makes) to the platform, and the same number of rows as bare tuple appends to Python lists (the
ideal: what an append costs with no validation); the target is 10^5 actions/s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from simsocial.platform import Platform
from simsocial.platform.rankers import FeedSpec


def filled(posts: int, users: int, seed: int) -> Platform:
    """A platform of `posts` top-level posts with votes, built through its columns directly
    (a million validated posts would time the appends, which part 2 measures)."""
    rng = np.random.default_rng(seed)
    platform = Platform()
    for i in range(users):
        platform.add_user(f"u{i}", "", "c", 0)
    columns = platform.posts.data
    ids = list(range(posts))
    columns["post_id"] = ids
    columns["thread_id"] = ids
    columns["parent_id"] = [-1] * posts
    columns["author"] = rng.integers(0, users, posts).tolist()
    columns["step"] = np.sort(rng.integers(0, 1000, posts)).tolist()
    columns["order"] = [0] * posts
    columns["kind"] = ["post"] * posts
    columns["text"] = [""] * posts
    columns["shared_id"] = [-1] * posts
    for name in ("news_ref", "image_ref"):
        columns[name] = [None] * posts
    platform.ups = rng.poisson(2.0, posts).tolist()
    platform.downs = rng.poisson(1.0, posts).tolist()
    platform.replies = [0] * posts
    platform.shares = [0] * posts
    return platform


def bench_ranking(posts: int, viewers: int, k: int, repeats: int) -> dict[str, float]:
    platform = filled(posts, 1000, seed=1)
    spec = FeedSpec(ranker="hot", k=k)
    viewer_ids = np.arange(viewers)
    rng = np.random.default_rng(0)
    platform.view(1000)  # the column arrays are cached after the first view

    def ours() -> np.ndarray:
        return spec.rank(platform.view(1000), viewer_ids, rng)

    view = platform.view(1000)
    score, step = view.score.astype(np.float64), view.step

    def ideal() -> np.ndarray:
        keys = np.sign(score) * np.log10(np.maximum(np.abs(score), 1.0)) + step
        return np.argpartition(-keys, k)[:k]

    frame = pd.DataFrame({"score": score, "step": step})

    def peer() -> np.ndarray:
        hot = np.sign(frame["score"]) * np.log10(frame["score"].abs().clip(lower=1)) + frame["step"]
        return frame.assign(hot=hot).nlargest(k, "hot").index.to_numpy()

    timings = {
        name: best_of(fn, repeats)
        for name, fn in [("ours", ours), ("ideal", ideal), ("peer", peer)]
    }
    top = ours()[0]
    assert set(top.tolist()) == set(ideal().tolist()) or len(set(top) & set(ideal())) >= k - 1
    return timings


def bench_appends(actions: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    users = 1000
    kinds = rng.choice(4, size=actions, p=[0.05, 0.25, 0.6, 0.1])  # post, reply, vote, follow
    picks = rng.integers(0, users, size=(actions, 2)).tolist()
    platform = Platform()
    for i in range(users):
        platform.add_user(f"u{i}", "", "c", 0)
    platform.post(0, "first", 0)
    start = time.perf_counter()
    refused = 0
    for i, (kind, (a, b)) in enumerate(zip(kinds.tolist(), picks, strict=True)):
        try:
            if kind == 0:
                platform.post(a, "a headline", i)
            elif kind == 1:
                platform.reply(a, b % platform.n_posts(), "a reply", i)
            elif kind == 2:
                platform.vote(a, b % platform.n_posts(), 1 if b % 3 else -1, i)
            else:
                platform.follow(a, b, i)
        except ValueError:
            refused += 1
    platform.drain()
    ours = time.perf_counter() - start
    rows: list[list[tuple[int, ...]]] = [[], [], [], []]
    start = time.perf_counter()
    for i, (kind, (a, b)) in enumerate(zip(kinds.tolist(), picks, strict=True)):
        rows[kind].append((a, b, i))
    ideal = time.perf_counter() - start
    return {"ours": ours, "ideal": ideal, "refused": refused}


def best_of(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--viewers", type=int, default=10_000)
    parser.add_argument("--actions", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    ranking = bench_ranking(args.posts, args.viewers, 10, args.repeats)
    ours, ideal, peer = ranking["ours"], ranking["ideal"], ranking["peer"]
    print(f"hot front page, {args.viewers:,} viewers x {args.posts:,} posts (k=10):")
    print(f"  ours {ours:.3f} s (target <= 1 s)")
    print(f"  ideal (keys + argpartition) {ideal:.3f} s: ratio {ours / ideal:.2f}")
    print(f"  peer (pandas nlargest) {peer:.3f} s: ratio {ours / peer:.2f}")

    appends = bench_appends(args.actions, seed=2)
    rate, bare = args.actions / appends["ours"], args.actions / appends["ideal"]
    print(f"appending {args.actions:,} actions ({appends['refused']:,} refused as invalid):")
    print(f"  ours {rate:,.0f} actions/s (target >= 100,000/s)")
    print(f"  ideal (bare list appends) {bare:,.0f}/s: ratio {bare / rate:.1f}")


if __name__ == "__main__":
    main()
