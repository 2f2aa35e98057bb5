"""Who interacts across the party divide, how unequal attention is, and what agents were shown.

Pure functions over arrays and DataFrames (no run directory): the feed report and the twin feed
them the platform tables. Parties are -1, 0, +1 per user id; 0 (or a missing value) is an
independent.

- E-I index (Krackhardt & Stern 1988): (external - internal) / (external + internal) over
  directed interactions (actor -> the user acted on), -1 when everything stays inside a party,
  +1 when everything crosses. Rule for independents: an interaction with an independent on
  either end is neither external nor internal; it is left out and counted (`independent`), as
  are interactions with oneself (`self`). The bootstrap CI resamples interactions, which treats
  them as independent draws: across seeds (a sweep) is the honest interval for a ranker.
- Gini (the sorted-rank formula sum (2i - n - 1) x_(i) / (n sum x)): 0 when all hold the same,
  (n - 1)/n when one holds everything; every user counts, those with nothing too.
- Out-party share: of the posts a partisan viewer was shown, the fraction written by the other
  party (posts by independents and by the viewer's own party count as not out-party).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KINDS = ("like", "comment", "repost", "follow")
EI_COLUMNS = ("ei", "external", "internal", "independent", "self", "n", "ci_low", "ci_high")


def interactions(posts: pd.DataFrame, votes: pd.DataFrame, follows: pd.DataFrame) -> pd.DataFrame:
    """Every interaction as (kind, actor, target, step) from the platform tables.

    like: an up-vote, on the post's author; comment: a reply, on the author of the post replied
    to; repost: a share, on the author of the post shared; follow: a follow still on at the end
    (the last row of each source-target pair), on the account followed."""
    ids = posts["post_id"].to_numpy()
    author = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int64)
    author[ids] = posts["author"].to_numpy()
    liked = votes[votes["value"] > 0]
    replies = posts[posts["kind"] == "reply"]
    shares = posts[posts["kind"] == "share"]
    last = follows.drop_duplicates(["source", "target"], keep="last")
    last = last[last["on"].astype(bool)]
    parts = [
        ("like", liked["voter"], author[liked["post_id"].to_numpy()], liked["step"]),
        ("comment", replies["author"], author[replies["parent_id"].to_numpy()], replies["step"]),
        ("repost", shares["author"], author[shares["shared_id"].to_numpy()], shares["step"]),
        ("follow", last["source"], last["target"].to_numpy(), last["step"]),
    ]
    frames = [
        pd.DataFrame(
            {
                "kind": kind,
                "actor": np.asarray(actor, dtype=np.int64),
                "target": np.asarray(target, dtype=np.int64),
                "step": np.asarray(step, dtype=np.int64),
            }
        )
        for kind, actor, target, step in parts
    ]
    return pd.concat(frames, ignore_index=True)


def parties(party: np.ndarray) -> np.ndarray:
    """-1, 0, +1 per user; a missing value is an independent."""
    return np.sign(np.nan_to_num(np.asarray(party, dtype=np.float64))).astype(np.int8)


def classify(actor: np.ndarray, target: np.ndarray, party: np.ndarray) -> np.ndarray:
    """Each interaction's class: 0 external, 1 internal, 2 independent on an end, 3 self."""
    actor, target = np.asarray(actor, dtype=np.int64), np.asarray(target, dtype=np.int64)
    side = parties(party)
    a, t = side[actor], side[target]
    kind = np.where((a == 0) | (t == 0), 2, np.where(a == t, 1, 0))
    return np.where(actor == target, 3, kind).astype(np.int8)


def ei_from_counts(
    counts: np.ndarray, *, bootstrap: int = 0, level: float = 0.95, seed: int = 0
) -> dict[str, float]:
    """The E-I index and its counts from (external, internal, independent, self) counts.

    The bootstrap resamples the n interactions with replacement, which for a statistic of the
    class counts is one multinomial draw of the four counts per resample."""
    external, internal, independent, own = (int(x) for x in counts)
    n = external + internal + independent + own
    low = high = float("nan")
    if bootstrap and external + internal:
        draws = np.random.default_rng(seed).multinomial(n, counts / n, size=bootstrap)
        inside = draws[:, 0] + draws[:, 1]
        resampled = (draws[:, 0] - draws[:, 1])[inside > 0] / inside[inside > 0]
        tail = 100 * (1 - level) / 2
        low, high = np.percentile(resampled, [tail, 100 - tail])
    return {
        "ei": (external - internal) / (external + internal) if external + internal else np.nan,
        "external": external,
        "internal": internal,
        "independent": independent,
        "self": own,
        "n": n,
        "ci_low": float(low),
        "ci_high": float(high),
    }


def ei_index(
    actor: np.ndarray,
    target: np.ndarray,
    party: np.ndarray,
    *,
    bootstrap: int = 0,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """The E-I index of directed interactions actor -> target, with the counts behind it.

    Returns ei (NaN when no interaction is between partisans), external, internal,
    independent (left out: an independent on either end), self (left out), n (all given) and,
    with `bootstrap` resamples, a percentile CI at `level` (else NaN)."""
    counts = np.bincount(classify(actor, target, party), minlength=4)
    return ei_from_counts(counts, bootstrap=bootstrap, level=level, seed=seed)


def ei_by_kind(
    table: pd.DataFrame,
    party: np.ndarray,
    *,
    kinds: tuple[str, ...] = KINDS,
    bootstrap: int = 0,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """The E-I index per interaction kind (rows in `kinds` order) of an `interactions` table:
    one pass over the table, whatever the number of kinds."""
    codes = pd.Categorical(table["kind"], categories=list(kinds)).codes.astype(np.int64)
    cls = classify(table["actor"].to_numpy(), table["target"].to_numpy(), party)
    known = codes >= 0
    counts = np.bincount(codes[known] * 4 + cls[known], minlength=4 * len(kinds))
    rows = {
        name: ei_from_counts(
            counts[4 * i : 4 * i + 4], bootstrap=bootstrap, level=level, seed=seed + i
        )
        for i, name in enumerate(kinds)
    }
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(EI_COLUMNS))


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values: 0 all equal, (n - 1)/n one holds everything."""
    x = np.sort(np.asarray(values, dtype=np.float64))
    n, total = len(x), x.sum()
    if n == 0 or total == 0:
        return 0.0
    ranks = 2 * np.arange(1, n + 1) - n - 1
    return float((ranks * x).sum() / (n * total))  # no `@`: a BLAS dot is slow on busy cores


def received(ids: np.ndarray, n_users: int) -> np.ndarray:
    """How many times each of n_users users appears in `ids` (zeros included)."""
    return np.bincount(np.asarray(ids, dtype=np.int64), minlength=n_users)


def follower_gini(table: pd.DataFrame, n_users: int) -> float:
    """Gini of followers per user in the final follow network of an `interactions` table."""
    return gini(received(table.loc[table["kind"] == "follow", "target"].to_numpy(), n_users))


def repost_gini(table: pd.DataFrame, n_users: int) -> float:
    """Gini of reposts received per user (shares of their posts) in an `interactions` table."""
    return gini(received(table.loc[table["kind"] == "repost", "target"].to_numpy(), n_users))


def shown_long(viewers: np.ndarray, feeds: np.ndarray, step: int) -> pd.DataFrame:
    """A ranker's (viewers x k) feeds as (step, viewer, post_id) rows, padding dropped."""
    feeds = np.asarray(feeds)
    viewer = np.repeat(np.asarray(viewers, dtype=np.int64), feeds.shape[1])
    post = feeds.ravel()
    kept = post >= 0
    return pd.DataFrame({"step": step, "viewer": viewer[kept], "post_id": post[kept]})


def outparty_share(
    viewer: np.ndarray, post: np.ndarray, author: np.ndarray, party: np.ndarray
) -> pd.DataFrame:
    """Per viewer: posts shown, how many by the other party, and the share (NaN for
    independents, who have no other party).

    `viewer` and `post` are one row per post shown (any steps; -1 padding is dropped), `author`
    maps post id to author, `party` user id to party."""
    viewer, post = np.asarray(viewer, dtype=np.int64), np.asarray(post, dtype=np.int64)
    kept = post >= 0
    viewer, post = viewer[kept], post[kept]
    side = parties(party)
    mine, theirs = side[viewer], side[np.asarray(author)[post]]
    crossing = (mine != 0) & (mine == -theirs)
    users, which = np.unique(viewer, return_inverse=True)
    shown = np.bincount(which, minlength=len(users))
    outparty = np.bincount(which, weights=crossing, minlength=len(users)).astype(np.int64)
    share = np.where(side[users] != 0, outparty / np.maximum(shown, 1), np.nan)
    return pd.DataFrame(
        {"shown": shown, "outparty": outparty, "share": share},
        index=pd.Index(users, name="viewer"),
    )
