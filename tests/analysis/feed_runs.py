"""A hand-written feed run directory whose every metric is known, for the analysis tests.

Users: Ann 0 and Bob 1 democrats, Cat 2, Dan 3 and Fay 5 republicans, Eve 4 independent.
Posts 0 (Ann), 1 (Cat), 2 (Eve), 10 (Fay); comments 3 Bob -> 0 (internal), 4 Dan -> 0
(external), 5 Cat -> 1 (self), 6 Ann -> 2 (independent): E-I comments 0. Reposts of post 1
(Cat) by Dan, Fay (internal) and Bob (external): E-I -1/3, repost Gini 5/6 (Cat holds all).
Likes: Bob -> 0, Dan -> 1, Fay -> 1 internal; Cat -> 0, Ann -> 10 external; Eve -> 1
independent; Ann -> 0 self (and one down-vote, not a like): E-I (2 - 3)/5 = -0.2.
Follows: the initial network 0->1, 1->0, 2->3, 3->2, 0->2, 5->2, 4->0 at step -1; then 1->3
(external), 5->3 (internal), 0->2 unfollowed, 2->0 (external), 3->0 followed and unfollowed.
Final network (ei_follows): 2 external, 6 internal, 1 independent: E-I -0.5; followers
[3, 1, 2, 3, 0, 0]: Gini 25/54. Agents' follows kept (ei_follows_made): 2 external, 1
internal: E-I +1/3.
Feeds: step 0 Ann sees [1, 2, 0] (1/3 out-party), Cat [0, 1] (1/2), Eve [0, 1] (independent,
left out); step 1 Ann [10, 1] (1), Dan [0, 2, 1, 10] (1/4). Over the run Ann 3/5, Cat 1/2,
Dan 1/4: mean 0.45; 13 impressions.
Toxicity: posts 0, 1, 3, 4, 6 scored 0, 2, 1, 3, 0 (post 3 scored twice, the last holds), post
5 unscored: mean 1.2, 3 of 5 at 1 or above. Offensive: 0.1, 0.5, 0.9: mean 0.5.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from simsocial.platform.tables import SCHEMAS

USERS = [
    (0, "Ann", "democrat"), (1, "Bob", "democrat"), (2, "Cat", "republican"),
    (3, "Dan", "republican"), (4, "Eve", "independent"), (5, "<b>Fay</b>", "republican"),
]  # fmt: skip
# post_id, thread_id, parent_id, author, step, order, kind, text, shared_id
POSTS = [
    (0, 0, -1, 0, 0, 0, "post", "Senate passes the budget.", -1),
    (1, 1, -1, 2, 0, 0, "post", "Border bill stalls <script>x</script>", -1),
    (2, 2, -1, 4, 0, 0, "post", "Local election turnout up.", -1),
    (3, 0, 0, 1, 0, 1, "reply", "Good news.", -1),
    (4, 0, 0, 3, 0, 2, "reply", "You people are clueless.", -1),
    (5, 1, 1, 2, 0, 1, "reply", "Adding a source.", -1),
    (6, 2, 2, 0, 1, 1, "reply", "Nice to see.", -1),
    (7, 7, -1, 3, 1, 0, "share", "", 1),
    (8, 8, -1, 1, 1, 0, "share", "worth reading", 1),
    (9, 9, -1, 5, 1, 0, "share", "", 1),
    (10, 10, -1, 5, 1, 0, "post", "Tax plan explained.", -1),
]
VOTES = [(1, 0, 1, 0), (2, 0, 1, 0), (3, 1, 1, 0), (5, 1, 1, 1), (4, 1, 1, 1), (0, 10, 1, 1),
         (0, 0, 1, 1), (3, 0, -1, 1)]  # fmt: skip
FOLLOWS = [
    (0, 1, -1, True), (1, 0, -1, True), (2, 3, -1, True), (3, 2, -1, True), (0, 2, -1, True),
    (5, 2, -1, True), (4, 0, -1, True), (1, 3, 0, True), (5, 3, 1, True), (0, 2, 1, False),
    (2, 0, 2, True), (3, 0, 2, True), (3, 0, 3, False),
]  # fmt: skip
FEEDS = {(0, 0): [1, 2, 0], (0, 2): [0, 1], (0, 4): [0, 1], (1, 0): [10, 1], (1, 3): [0, 2, 1, 10]}
TOXICITY = [(3, 3), (0, 0), (1, 2), (3, 1), (4, 3), (5, None), (6, 0)]
OFFENSIVE = {0: 0.1, 1: 0.5, 4: 0.9}
ACTIONS = ([("post", True)] * 4 + [("like", True)] * 7 + [("comment", True)] * 4
           + [("repost", True)] * 3 + [("follow", True)] * 4 + [("nothing", True)] * 2
           + [("like", False)])  # fmt: skip
KNOWN = {
    "users": 6, "democrats": 2, "republicans": 3, "independents": 1,
    "persona_source": "synthetic-anes-2020-marginals", "personas_synthetic": True,
    "ranker": "bridging",
    "posts": 4, "comments": 4, "likes": 7, "reposts": 3, "follows": 4, "actions": 25,
    "actions_by": "comment: 4, follow: 4, like: 8, nothing: 2, post: 4, repost: 3",
    "actions_invalid": 1, "action_failures": 2, "action_failures_by": "comment: 1, like: 1",
    "ei_likes": -0.2, "ei_comments": 0.0, "ei_reposts": -1 / 3, "ei_follows": -0.5,
    "ei_follows_made": 1 / 3, "toxicity_mean": 1.2, "toxicity_uncivil_share": 0.6,
    "toxicity_judged": 5, "toxicity_failures": 1, "toxicity_judge": "judge-model",
    "offensive_prob_mean": 0.5, "offensive_scored": 3, "gini_followers": 25 / 54,
    "gini_reposts": 5 / 6, "outparty_shown": 0.45, "feed_impressions": 13,
}  # fmt: skip
COUNTS = {
    "likes": (2, 3, 1, 1), "comments": (1, 1, 1, 1), "reposts": (1, 2, 0, 0),
    "follows": (2, 6, 1, 0), "follows_made": (2, 1, 0, 0),
}  # fmt: skip


def events() -> pd.DataFrame:
    rows: list[tuple[int, int, str, dict[str, Any]]] = [
        (-1, -1, "personas", {"source": "synthetic-anes-2020-marginals", "n": 6,
                              "synthetic": True, "users": 6}),
    ]  # fmt: skip
    rows += [(0, i % 6, "action", {"action": a, "valid": v}) for i, (a, v) in enumerate(ACTIONS)]
    rows += [
        (0, 1, "action_failed", {"action": "like", "reason": "no such post", "reply": "x"}),
        (1, 2, "action_failed", {"action": "comment", "reason": "empty", "reply": ""}),
    ]
    rows += [
        (1, -1, "toxicity", {"post_id": p, "score": s, "judge": "judge-model"}) for p, s in TOXICITY
    ]
    rows += [
        (1, -1, "offensive", {"post_id": p, "offensive_prob": v}) for p, v in OFFENSIVE.items()
    ]
    return pd.DataFrame(
        {
            "step": [r[0] for r in rows],
            "agent_id": [r[1] for r in rows],
            "kind": [r[2] for r in rows],
            "payload": [json.dumps(r[3]) for r in rows],
        }
    )


def tables() -> dict[str, pd.DataFrame]:
    users = pd.DataFrame(USERS, columns=["user_id", "name", "community"])
    users = users.assign(persona=[f"persona of {n}" for n in users["name"]], step=-1)
    posts = pd.DataFrame(POSTS, columns=SCHEMAS["posts"].names[:9])
    posts = posts.assign(news_ref=None, image_ref=None)
    feeds = pd.DataFrame(
        [(s, v, r, p) for (s, v), shown in FEEDS.items() for r, p in enumerate(shown)],
        columns=["step", "viewer", "rank", "post_id"],
    )
    return {
        "users": users[SCHEMAS["users"].names],
        "posts": posts,
        "votes": pd.DataFrame(VOTES, columns=SCHEMAS["votes"].names),
        "follows": pd.DataFrame(FOLLOWS, columns=SCHEMAS["follows"].names),
        "feeds": feeds,
        "events": events(),
    }


def write_feed_run(
    run_dir: Path, frames: dict[str, pd.DataFrame] | None = None, ranker: str = "bridging"
) -> Path:
    """A feed run directory as `simsocial run` leaves it (manifest, spec.yaml, Parquet)."""
    spec = {"name": "feed_known", "kind": "feed", "seed": 7, "steps": 2,
            "llm": {"model": "scripted/feed", "temperature": 0.7},
            "feed": {"ranker": ranker, "k": 10, "params": {}}}  # fmt: skip
    run_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "run_id": run_dir.name, "scenario": "feed_known", "kind": "feed", "seed": 7,
        "status": "completed", "model": "scripted/feed", "temperature": 0.7, "steps_done": 2,
        "versions": {"simsocial": "0.1.0"}, "llm": {"calls": 30}, "spec": spec, "parent": None,
    }  # fmt: skip
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    (run_dir / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    for name, table in (tables() if frames is None else frames).items():
        table.to_parquet(run_dir / f"{name}.parquet", index=False)
    return run_dir
