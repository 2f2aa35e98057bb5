"""The feed kind's measurements, from a run's tables alone (users, posts, votes, follows, feeds
and the events), so any feed run directory, finished or not, can be measured.

Definitions live in `simsocial.analysis.interactions` (E-I with its independents rule, Gini,
out-party share); this module says which rows feed them:

- parties come from users.community: "democrat" -1, "republican" +1, "independent" 0 (an
  independent's interactions are left out of E-I and counted);
- follows: `ei_follows` is the follow network as it ends, the starting network (step -1)
  included, as the model's column counts it; since that mostly reflects the homophily the
  network was built with, the follows agents made during the run (step 0 on, still on at the
  end) are measured apart (`ei_follows_made`). Follower Gini is over the final network;
- toxicity: the last score per post of the `toxicity` events whose judge is a model (a score of
  None is a judge failure, counted apart); `offensive` events give the offline offensive_prob;
- out-party share shown: per partisan viewer over the whole run (`outparty_share`), then the
  mean over viewers, each counting once; per step the same within the step.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from simsocial.analysis import interactions as ia
from simsocial.analysis.loader import Run
from simsocial.platform.html import frame

# what came out of a run, compared across arms of a sweep by default (ScenarioKind.outcomes)
OUTCOMES = ("ei_likes", "ei_comments", "ei_reposts", "ei_follows", "ei_follows_made",
            "toxicity_mean", "offensive_prob_mean", "gini_followers", "gini_reposts",
            "outparty_shown")  # fmt: skip
PARTY = {"democrat": -1, "republican": 1, "independent": 0}
EI_KINDS = {"like": "likes", "comment": "comments", "repost": "reposts", "follow": "follows"}
OFFLINE = "offline"
LEVELS = (0, 1, 2, 3)
BOOTSTRAP = 2000  # resamples behind each E-I CI (multinomial, seeded with the run's seed)


def tables_of(run: Run) -> dict[str, pd.DataFrame]:
    """The platform tables, each with its columns even when the run wrote none."""
    return {name: frame(run.table(name), name) for name in ("users", "posts", "votes", "follows")}


def parties(users: pd.DataFrame) -> np.ndarray:
    """-1/0/+1 per user id (indexed by user_id) from the community column; an unknown label
    is an error, not an independent."""
    if users.empty:
        return np.zeros(0, dtype=np.int8)
    labels = users["community"].astype(str).str.casefold()
    unknown = sorted(set(labels) - set(PARTY))
    if unknown:
        raise ValueError(f"users.community has labels that are not parties: {unknown}")
    side = np.zeros(int(users["user_id"].max()) + 1, dtype=np.int8)
    side[users["user_id"].to_numpy(dtype=np.int64)] = labels.map(PARTY).to_numpy(dtype=np.int8)
    return side


def interaction_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every like, comment, repost and follow as (kind, actor, target, step)."""
    return ia.interactions(tables["posts"], tables["votes"], tables["follows"])


def ei_rows(table: pd.DataFrame, side: np.ndarray, seed: int) -> pd.DataFrame:
    """E-I per interaction type (the final follow network), then the follows agents made, with
    counts and a bootstrap CI; indexed by likes, comments, reposts, follows, follows_made."""
    rows = ia.ei_by_kind(table, side, bootstrap=BOOTSTRAP, seed=seed).rename(index=EI_KINDS)
    made = table[(table["kind"] == "follow") & (table["step"] >= 0)]
    rows.loc["follows_made"] = pd.Series(
        ia.ei_index(
            made["actor"].to_numpy(), made["target"].to_numpy(), side,
            bootstrap=BOOTSTRAP, seed=seed + len(rows),
        )
    )  # fmt: skip
    return rows


def ei_counts(row: pd.Series) -> str:
    """One line of the counts behind an E-I value, the left-out ones named."""
    return (
        f"external {int(row['external'])}, internal {int(row['internal'])}; left out: "
        f"independent {int(row['independent'])}, self {int(row['self'])}"
    )


def toxicity_scores(run: Run) -> pd.DataFrame:
    """The last toxicity event per post: post_id, score (NaN: no score), judge."""
    judged = run.payloads("toxicity")
    if judged.empty or "post_id" not in judged:
        return pd.DataFrame({"post_id": [], "score": [], "judge": []})
    judged = judged.drop_duplicates("post_id", keep="last")
    return pd.DataFrame(
        {
            "post_id": judged["post_id"].astype("int64").to_numpy(),
            "score": pd.to_numeric(judged["score"], errors="coerce").to_numpy(dtype=float),
            "judge": judged["judge"].astype(str).to_numpy(),
        }
    )


def toxicity_stats(scores: pd.DataFrame) -> dict[str, Any]:
    """Mean score and the uncivil share over posts a model judge scored; failures apart."""
    by_model = scores[scores["judge"] != OFFLINE]
    valid = by_model["score"].dropna()
    judges = sorted(set(scores["judge"]))
    return {
        "toxicity_mean": float(valid.mean()) if len(valid) else None,
        "toxicity_uncivil_share": float((valid >= 1).mean()) if len(valid) else None,
        "toxicity_judged": len(valid),
        "toxicity_failures": int(by_model["score"].isna().sum()),
        "toxicity_judge": ", ".join(judges) if judges else None,
    }


def level_counts(scores: pd.DataFrame) -> pd.Series:
    """Posts per codebook level 0-3, from a model judge."""
    valid = scores.loc[scores["judge"] != OFFLINE, "score"].dropna().astype(int)
    return valid.value_counts().reindex(list(LEVELS), fill_value=0)


def offensive_stats(run: Run) -> dict[str, Any]:
    """Mean offline offensive_prob over the posts scored (last score per post)."""
    scored = run.payloads("offensive")
    if scored.empty or "offensive_prob" not in scored:
        return {"offensive_prob_mean": None, "offensive_scored": 0}
    values = scored.drop_duplicates("post_id", keep="last")["offensive_prob"].astype(float)
    return {"offensive_prob_mean": float(values.mean()), "offensive_scored": len(values)}


def offensive_values(run: Run) -> np.ndarray:
    scored = run.payloads("offensive")
    if scored.empty or "offensive_prob" not in scored:
        return np.zeros(0)
    return scored.drop_duplicates("post_id", keep="last")["offensive_prob"].to_numpy(dtype=float)


def shown_of(run: Run, posts: pd.DataFrame) -> pd.DataFrame:
    """feeds.parquet rows (step, viewer, post_id) whose post is in posts.parquet."""
    feeds = run.table("feeds")
    if feeds.empty:
        return pd.DataFrame({"step": [], "viewer": [], "post_id": []}, dtype="int64")
    known = feeds["post_id"].isin(posts["post_id"])
    return feeds.loc[known, ["step", "viewer", "post_id"]].astype("int64")


def authors(posts: pd.DataFrame) -> np.ndarray:
    """post id -> author (-1 for ids with no post)."""
    ids = posts["post_id"].to_numpy(dtype=np.int64)
    author = np.full(int(ids.max()) + 1 if len(ids) else 0, -1, dtype=np.int64)
    author[ids] = posts["author"].to_numpy(dtype=np.int64)
    return author


def outparty_mean(shown: pd.DataFrame, author: np.ndarray, side: np.ndarray) -> float | None:
    """Mean over partisan viewers of the out-party share of what each was shown."""
    if shown.empty:
        return None
    per = ia.outparty_share(shown["viewer"], shown["post_id"], author, side)["share"].dropna()
    return float(per.mean()) if len(per) else None


def outparty_by_step(shown: pd.DataFrame, author: np.ndarray, side: np.ndarray) -> pd.DataFrame:
    """Per step and viewer party (democrat, republican): the mean out-party share shown."""
    rows = []
    for step, group in shown.groupby("step", sort=True):
        per = ia.outparty_share(group["viewer"], group["post_id"], author, side)
        party = side[per.index.to_numpy()]
        for name, sign in (("democrat", -1), ("republican", 1)):
            values = per["share"].to_numpy()[party == sign]
            rows.append({"step": int(step), "party": name,
                         "share": float(values.mean()) if len(values) else np.nan})  # fmt: skip
    return pd.DataFrame(rows, columns=["step", "party", "share"])


def action_stats(run: Run, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """What agents did (from the tables), what they chose (from `action` events), failures."""
    posts, votes, follows = tables["posts"], tables["votes"], tables["follows"]
    chosen = run.payloads("action")
    failed = run.payloads("action_failed")
    by_choice = Counter(str(a) for a in chosen.get("action", []))
    invalid = int((~chosen["valid"].astype(bool)).sum()) if "valid" in chosen else 0
    by_failure = Counter(str(a) for a in failed.get("action", []))
    return {
        "posts": int((posts["kind"] == "post").sum()),
        "comments": int((posts["kind"] == "reply").sum()),
        "likes": int((votes["value"] > 0).sum()),
        "reposts": int((posts["kind"] == "share").sum()),
        "follows": int(((follows["step"] >= 0) & follows["on"].astype(bool)).sum()),
        "actions": sum(by_choice.values()),
        "actions_by": _counts(by_choice),
        "actions_invalid": invalid,
        "action_failures": len(failed),
        "action_failures_by": _counts(by_failure),
    }


def persona_stats(run: Run, users: pd.DataFrame) -> dict[str, Any]:
    """Users by party and where the personas came from (the `personas` event): synthetic when
    the event says so, not synthetic when it names a survey file, else unknown (None)."""
    labels = Counter(users["community"].astype(str).str.casefold())
    found = run.payloads("personas")
    last = found.iloc[-1].to_dict() if not found.empty else {}
    source = last.get("source")
    synthetic = last.get("synthetic")  # the synthetic sampler says so; a survey file names itself
    if synthetic is None and last.get("file"):
        synthetic = False
    return {
        "users": len(users),
        "democrats": labels["democrat"],
        "republicans": labels["republican"],
        "independents": labels["independent"],
        "persona_source": None if source is None else str(source),
        "personas_synthetic": None if synthetic is None else bool(synthetic),
    }


def _counts(counter: Counter[str]) -> str | None:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counter.items())) or None
