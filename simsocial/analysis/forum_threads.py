"""Thread statistics of a forum run, computed from its tables alone (posts, votes, events).

Kept apart from `simsocial.analysis.forum` (the report's metrics, figures and sections) so the
definitions sit in one place that tests, the report and the multiverse spread all read:

- a thread is a top-level post (parent_id -1) with every row sharing its thread_id; its length
  is its number of replies;
- a reply is by a new speaker when its author wrote nothing earlier in the thread (the top post
  counts as writing in it);
- the same speaker twice is a reply whose author also wrote the post right before it in the
  thread (order - 1, the top post included: the rules let nobody answer themself, so the first
  reply by the top post's author is counted too, as the model's own column counts it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simsocial.analysis.loader import Run
from simsocial.platform.html import frame, vote_counts


def posts_of(run: Run) -> pd.DataFrame:
    """posts.parquet sorted by thread and position, or an empty frame with its columns."""
    posts = frame(run.table("posts"), "posts")
    return posts.sort_values(["thread_id", "order", "post_id"], ignore_index=True)


def replies(posts: pd.DataFrame) -> pd.DataFrame:
    """Every reply with `new_speaker` and `same_speaker` flags (see the module docstring)."""
    posts = posts.sort_values(["thread_id", "order", "post_id"], ignore_index=True)
    seen_before = posts.groupby(["thread_id", "author"]).cumcount() > 0
    previous_author = posts.groupby("thread_id")["author"].shift()
    is_reply = posts["parent_id"] != -1
    flagged = posts.assign(
        new_speaker=~seen_before, same_speaker=previous_author == posts["author"]
    )
    return flagged[is_reply].reset_index(drop=True)


def threads(posts: pd.DataFrame, votes: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per thread: top post, length (replies), speakers, new speakers, the same
    speaker twice, and the top post's score with its ups and downs."""
    posts = posts.sort_values(["thread_id", "order", "post_id"], ignore_index=True)
    top = posts[posts["parent_id"] == -1].set_index("thread_id")
    flagged = replies(posts).groupby("thread_id")
    counts = vote_counts(votes)
    table = pd.DataFrame(
        {
            "thread_id": top.index.astype("int64"),
            "post_id": top["post_id"].to_numpy(),
            "kind": top["kind"].to_numpy(),
            "author": top["author"].to_numpy(),
            "step": top["step"].to_numpy(),
            "text": top["text"].to_numpy(),
        }
    )
    table["replies"] = table["thread_id"].map(flagged.size()).fillna(0).astype("int64")
    table["speakers"] = (
        table["thread_id"].map(posts.groupby("thread_id")["author"].nunique()).astype("int64")
    )
    for column in ("new_speaker", "same_speaker"):
        table[f"{column}s"] = (
            table["thread_id"].map(flagged[column].sum()).fillna(0).astype("int64")
        )
    for column in ("score", "ups", "downs"):
        table[column] = table["post_id"].map(counts[column]).fillna(0).astype("int64")
    return table


def length_stats(lengths: Sequence[int] | np.ndarray) -> dict[str, float | int | None]:
    """Mean, median, spread and range of thread lengths (None without threads)."""
    values = np.asarray(lengths, dtype=float)
    if values.size == 0:
        return dict.fromkeys(
            ("mean_replies", "thread_length_median", "thread_length_sd", "thread_length_min",
             "thread_length_max")
        )  # fmt: skip
    return {
        "mean_replies": float(values.mean()),
        "thread_length_median": float(np.median(values)),
        "thread_length_sd": float(values.std(ddof=1)) if values.size > 1 else 0.0,
        "thread_length_min": int(values.min()),
        "thread_length_max": int(values.max()),
    }


def speaker_stats(posts: pd.DataFrame) -> dict[str, float | int | None]:
    """new_speaker_share (None without replies) and same_speaker_twice."""
    flagged = replies(posts)
    return {
        "new_speaker_share": float(flagged["new_speaker"].mean()) if len(flagged) else None,
        "same_speaker_twice": int(flagged["same_speaker"].sum()),
    }


def judged(run: Run) -> pd.DataFrame:
    """The judge's last verdict per post (a resumed or branched run may judge one twice)."""
    found = run.payloads("judged")
    if found.empty or "post_id" not in found:
        return pd.DataFrame(columns=["post_id", "violates", "score", "judge"])
    return found.drop_duplicates("post_id", keep="last").reset_index(drop=True)


def violation_stats(run: Run) -> dict[str, float | int | str | None]:
    """Share of judged posts that break the rules; posts with no verdict counted apart."""
    verdicts = judged(run)
    decided = verdicts[verdicts["violates"].notna()]["violates"].astype(bool)
    judges = sorted({str(j) for j in verdicts.get("judge", []) if j is not None})
    return {
        "judged": len(decided),
        "violations": int(decided.sum()),
        "violation_rate": float(decided.mean()) if len(decided) else None,
        "judge_failures": int(len(verdicts) - len(decided)),
        "judge": ", ".join(judges) or None,
    }


def vote_stats(posts: pd.DataFrame, votes: pd.DataFrame | None) -> dict[str, float | int | None]:
    """Votes cast, the share that are up, and the score distribution of top-level posts."""
    votes = frame(votes, "votes")
    top = threads(posts, votes)
    ups = int((votes["value"] > 0).sum())
    scores = top["score"].to_numpy(dtype=float)
    has = scores.size > 0
    return {
        "votes": len(votes),
        "upvotes": ups,
        "downvotes": int((votes["value"] < 0).sum()),
        "up_share": ups / len(votes) if len(votes) else None,
        "votes_per_thread": len(votes) / len(top) if len(top) else None,
        "score_mean": float(scores.mean()) if has else None,
        "score_median": float(np.median(scores)) if has else None,
        "score_min": int(scores.min()) if has else None,
        "score_max": int(scores.max()) if has else None,
    }


def realism_stats(run: Run) -> dict[str, float | int | None]:
    """The realism check's error rate with its seeded bootstrap CI (the check's own
    `error_rate`) over the pairs the judge decided; unanswered pairs counted apart."""
    from simsocial.scenarios.forum.realism import error_rate

    pairs = run.payloads("realism")
    answered = pairs["correct"].dropna() if "correct" in pairs else pd.Series(dtype=bool)
    found = error_rate(answered.astype(bool).tolist(), int(run.spec.get("seed", 0)))
    return {
        "realism_error": found["error_rate"],
        "realism_ci_low": found["ci_low"],
        "realism_ci_high": found["ci_high"],
        "realism_n": found["n"],
        "realism_failures": len(pairs) - len(answered),
    }
