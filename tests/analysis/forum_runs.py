"""Hand-written forum run directories whose every metric is known, for the analysis tests.

Users 0-5 (Ann, Bob, Cat, Dan, "<b>Eve</b>" and a troll). Four threads:

- thread 0 (Ann): 1 Bob -> 0 (new), 2 Ann -> 1 (not new: Ann wrote the top post),
  3 Ann -> 2 (not new, and Ann also wrote reply 2: the same speaker twice), 4 Cat -> 0 (new);
- thread 5 (Bob, text with a <script> tag): 6 Bob -> 5 (not new, and the same speaker twice:
  Bob wrote the top post right before), 7 the troll -> 6 (new, put there by a WhatIf), 8 Dan -> 7
  (new);
- thread 9 (Eve, whose name is markup): no replies; thread 10: Dan shares post 0, no replies.

So lengths are [4, 3, 0, 0], new speakers 4 of 7 replies, the same speaker twice twice.
Votes: post 0 three up and one down (score 2), post 5 two down (-2), post 9 one up (1), post 10
none (0), reply 1 one up: 8 votes, 5 up. The judge decides 8 posts, 2 violate (5 and 7), post 8
has no verdict; post 1 was judged twice and the last verdict (follows) holds. Realism: 6 pairs
right, 3 wrong, 1 unanswered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from simsocial.platform.tables import SCHEMAS

USERS = [
    (0, "Ann", "hikes every weekend"),
    (1, "Bob", "sells tents"),
    (2, "Cat", "new to hiking"),
    (3, "Dan", "a ranger"),
    (4, "<b>Eve</b>", 'says "hi" & <leaves>'),
    (5, "Troll", "[Troll] shares trolling comments."),
]
# post_id, thread_id, parent_id, author, step, order, kind, text, shared_id
POSTS = [
    (0, 0, -1, 0, 0, 0, "post", "Best hiking boots?\nI need advice for rocky trails.", -1),
    (1, 0, 0, 1, 0, 1, "reply", "Try my shop's boots.", -1),
    (2, 0, 1, 0, 1, 2, "reply", "Any other ideas?", -1),
    (3, 0, 2, 0, 1, 3, "reply", "Also: budget is tight.", -1),
    (4, 0, 0, 2, 2, 4, "reply", "Trail runners work for me.", -1),
    (5, 5, -1, 1, 1, 0, "post", "<script>alert(1)</script> Which tent for rain?", -1),
    (6, 5, 5, 1, 1, 1, "reply", "Mine is a 2-person dome.", -1),
    (7, 5, 6, 5, 2, 2, "reply", "lol tents are for cowards", -1),
    (8, 5, 7, 3, 2, 3, "reply", "Please keep it civil.", -1),
    (9, 9, -1, 4, 2, 0, "post", "First time camping, tips?", -1),
    (10, 10, -1, 3, 2, 0, "share", "worth a read", 0),
]
VOTES = [(1, 0, 1, 0), (2, 0, 1, 1), (3, 0, 1, 1), (4, 0, -1, 2), (0, 5, -1, 1), (2, 5, -1, 2),
         (0, 9, 1, 2), (3, 1, 1, 2)]  # fmt: skip
JUDGED = {0: False, 1: False, 2: False, 3: False, 4: False, 5: True, 6: False, 7: True, 8: None}
REALISM = [True] * 6 + [False] * 3 + [None]
KNOWN = {
    "personas": 6, "threads": 4, "replies": 7, "mean_replies": 1.75, "thread_length_median": 1.5,
    "thread_length_min": 0, "thread_length_max": 4, "new_speaker_share": 4 / 7,
    "same_speaker_twice": 2, "whatif_replies": 1, "judged": 8, "violations": 2,
    "violation_rate": 0.25, "judge_failures": 1, "judge": "judge-model", "votes": 8, "upvotes": 5,
    "downvotes": 3, "up_share": 5 / 8, "votes_per_thread": 2.0, "score_mean": 0.25,
    "score_median": 0.5, "score_min": -2, "score_max": 2, "front_pages": 3, "action_failures": 3,
    "action_failures_by": "reply: 2, vote: 1", "expansion_attempts": 8, "expansion_accepted": 5,
    "expansion_rejected": 3, "realism_error": 1 / 3, "realism_n": 9, "realism_failures": 1,
}  # fmt: skip


def events() -> pd.DataFrame:
    rows: list[tuple[int, int, str, dict[str, Any]]] = [
        (-1, -1, "expanded", {"attempts": 8, "accepted": 5, "rejected": [
            {"line": "Ann, hikes", "reason": "duplicate"}, {"line": "???", "reason": "malformed"},
            {"line": "Bob", "reason": "malformed"}]}),
        (0, 1, "judged", {"post_id": 1, "violates": True, "score": None, "judge": "judge-model"}),
    ]  # fmt: skip
    rows += [
        (1, -1, "judged", {"post_id": p, "violates": v, "score": None, "judge": "judge-model"})
        for p, v in JUDGED.items()
    ]
    rows += [
        (2, 5, "whatif", {"thread_id": 5, "at_reply": 2, "persona": "[Troll]", "mode": "insert",
                          "post_id": 7}),
        (1, 1, "action_failed", {"action": "reply", "reason": "empty", "reply": ""}),
        (1, 2, "action_failed", {"action": "vote", "reason": "twice", "reply": "up"}),
        (2, 3, "action_failed", {"action": "reply", "reason": "empty", "reply": ""}),
    ]  # fmt: skip
    for step, shown in enumerate([[0], [0, 5], [9, 0, 5, 10]]):
        rows.append((step, -1, "front_page", {"ranker": "hot", "shown": shown, "voters": [1, 2]}))
    for pair, correct in enumerate(REALISM):
        guess = None if correct is None else ("first" if correct else "second")
        payload = {"pair": pair, "real_first": True, "guessed_real": guess, "correct": correct}
        rows.append((3, -1, "realism", payload))
    return pd.DataFrame(
        {
            "step": [r[0] for r in rows],
            "agent_id": [r[1] for r in rows],
            "kind": [r[2] for r in rows],
            "payload": [json.dumps(r[3]) for r in rows],
        }
    )


def tables() -> dict[str, pd.DataFrame]:
    users = pd.DataFrame(USERS, columns=["user_id", "name", "persona"])
    users = users.assign(community="hiking", step=-1)
    posts = pd.DataFrame(POSTS, columns=SCHEMAS["posts"].names[:9])
    posts = posts.assign(news_ref=None, image_ref=None)
    votes = pd.DataFrame(VOTES, columns=SCHEMAS["votes"].names)
    return {"users": users, "posts": posts, "votes": votes, "events": events()}


def write_forum_run(
    run_dir: Path,
    frames: dict[str, pd.DataFrame] | None = None,
    branch: dict[str, Any] | None = None,
) -> Path:
    """A forum run directory as `simsocial run` leaves it (manifest, spec.yaml, Parquet)."""
    spec = {
        "name": "forum_known", "kind": "forum", "seed": 7, "steps": 3,
        "llm": {"model": "scripted/forum", "temperature": 0.7},
        "forum": {"community": {"name": "Hikers", "goal": "hiking", "rules": ["No ads."]},
                  "max_replies": 8},
    }  # fmt: skip
    run_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "run_id": run_dir.name, "scenario": "forum_known", "kind": "forum", "seed": 7,
        "status": "completed", "model": "scripted/forum", "temperature": 0.7, "steps_done": 3,
        "versions": {"simsocial": "0.1.0"}, "llm": {"calls": 12}, "spec": spec,
        "parent": None, **({"branch": branch} if branch else {}),
    }  # fmt: skip
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    (run_dir / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    for name, table in (frames or tables()).items():
        table.to_parquet(run_dir / f"{name}.parquet", index=False)
    return run_dir
