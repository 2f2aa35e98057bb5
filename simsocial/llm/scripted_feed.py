"""The scripted feed policy (``scripted/feed``): a Törnberg-feed twin whose engagement is known.

Whether a user likes or comments on a post depends only on whether the post's author shares the
user's party, so the E-I index each ranker should produce follows from what it showed (the
`feeds` table) alone. The rule, for the feed as ranked (`outcome_probabilities`):

- posts are read top down; the user's own posts are skipped. A post by an author of the same
  party (the same label: Democrat, Republican or independent) is liked with `like_same`,
  commented on with `comment_same`, reposted with `repost_same`, else passed; by any other
  author with the `_diff` rates. A post the user already liked cannot be liked again (its
  other rates stay). The first post acted on ends the reading: one action per ask.
- a comment is uncivil ("Only idiots would believe this.", the marker `UNCIVIL`) with
  `uncivil_same` or `uncivil_diff`, else civil;
- nothing read acted on: a post with probability `post` (sharing the first news item shown, or
  an own text without news), else a follow with `follow` (the author of the first post shown
  the user neither wrote nor follows), else nothing.

The toxicity judge (a structured ask listing ``[id] text`` lines between ``<<<POSTS`` and
``POSTS>>>``) scores a text 2 (very uncivil) when it contains the marker, else 0. With
``wrong=first`` the first answer likes a post that does not exist (the model must re-ask once;
the re-ask, whose prompt says the answer "was not accepted", is answered by the rule) and with
``wrong=always`` every answer does (so every action fails). Draws are uniforms hashed from the
request key, so the same request always gets the same answer and draws at temperature > 0
differ. The prompt layout parsed here is `simsocial.scenarios.feed.prompt`'s.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

RATES = {
    "like_same": 0.3,
    "like_diff": 0.05,
    "comment_same": 0.1,
    "comment_diff": 0.05,
    "repost_same": 0.02,
    "repost_diff": 0.005,
    "uncivil_same": 0.1,
    "uncivil_diff": 0.4,
    "post": 0.5,
    "follow": 0.1,
}
PARAMS = {*RATES, "wrong"}
UNCIVIL = "idiots"
NO_POST = 10**9
REASKED = "was not accepted"
VIEWER = re.compile(r"^You are user (\d+)\. Your party: (\w+)\.$", re.MULTILINE)
FEED = re.compile(r"^<<<FEED\n(.*?)\nFEED>>>$", re.MULTILINE | re.DOTALL)
NEWS = re.compile(r"^<<<NEWS\n(.*?)\nNEWS>>>$", re.MULTILINE | re.DOTALL)
FEED_LINE = re.compile(
    r"^\[post (\d+)\] \[user (\d+)\] (\w+) \| [^|]*?"
    r"((?: \| (?:your post|you liked this|you follow them))*) \| ",
    re.MULTILINE,
)
NEWS_LINE = re.compile(r"^\[news (\d+)\] ", re.MULTILINE)
POSTS = re.compile(r"^<<<POSTS\n(.*?)\nPOSTS>>>$", re.MULTILINE | re.DOTALL)
POST_LINE = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Shown:
    """A post of the feed as the twin reads it."""

    post_id: int
    author: int
    party: str
    own: bool
    liked: bool
    followed: bool


def rates(params: dict[str, str]) -> dict[str, float]:
    """The policy's rates from the model string's parameters (ValueError when out of range)."""
    found = {name: float(params.get(name, default)) for name, default in RATES.items()}
    for name, value in found.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"scripted/feed {name}={value} is not a probability")
    for kind in ("same", "diff"):
        total = sum(found[f"{act}_{kind}"] for act in ("like", "comment", "repost"))
        if total > 1.0:
            raise ValueError(
                f"scripted/feed like, comment and repost _{kind} add up to {total} > 1"
            )
    if found["post"] + found["follow"] > 1.0:
        raise ValueError("scripted/feed post + follow add up to more than 1")
    if params.get("wrong", "first") not in ("first", "always"):
        raise ValueError(f"scripted/feed wrong= must be 'first' or 'always', not {params['wrong']}")
    return found


def post_rates(viewer: str, post: Shown, r: dict[str, float]) -> tuple[float, float, float]:
    """(like, comment, repost) probabilities of one post, given that it is read."""
    if post.own:
        return 0.0, 0.0, 0.0
    kind = "same" if post.party == viewer else "diff"
    like = 0.0 if post.liked else r[f"like_{kind}"]
    return like, r[f"comment_{kind}"], r[f"repost_{kind}"]


def outcome_probabilities(
    viewer: str, feed: list[Shown], r: dict[str, float]
) -> list[tuple[float, float, float]]:
    """Per post of the feed, the chance the ask ends in a like, a comment or a repost of it."""
    reach, out = 1.0, []
    for post in feed:
        like, comment, repost = post_rates(viewer, post, r)
        out.append((reach * like, reach * comment, reach * repost))
        reach *= 1.0 - like - comment - repost
    return out


def _uniform(*parts: object) -> float:
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2.0**64


def read_feed(prompt: str) -> tuple[int, str, list[Shown], list[int]] | None:
    """(viewer, party, feed, news ids) of a feed prompt; None for any other prompt."""
    viewer, feed = VIEWER.search(prompt), FEED.search(prompt)
    if viewer is None or feed is None:
        return None
    posts = [
        Shown(
            int(post),
            int(author),
            party,
            "your post" in marks,
            "you liked this" in marks,
            "you follow them" in marks,
        )
        for post, author, party, marks in FEED_LINE.findall(feed.group(1))
    ]
    block = NEWS.search(prompt)
    news = [int(i) for i in NEWS_LINE.findall(block.group(1))] if block else []
    return int(viewer.group(1)), viewer.group(2), posts, news


def decide(key: str, prompt: str, params: dict[str, str]) -> dict[str, Any] | None:
    """The feed action for a feed prompt (see the module docstring); None for other prompts."""
    read = read_feed(prompt)
    if read is None:
        return None
    _, party, feed, news = read
    wrong = params.get("wrong")
    if wrong == "always" or (wrong == "first" and REASKED not in prompt):
        return {"action": "like", "post_id": NO_POST}
    r = rates(params)
    for j, post in enumerate(feed):
        like, comment, repost = post_rates(party, post, r)
        u = _uniform(key, "read", j)
        if u < like:
            return {"action": "like", "post_id": post.post_id}
        if u < like + comment:
            same = post.party == party
            uncivil = _uniform(key, "uncivil", j) < r["uncivil_same" if same else "uncivil_diff"]
            text = f"Only {UNCIVIL} would believe this." if uncivil else "Fair point, thanks."
            return {"action": "comment", "post_id": post.post_id, "text": text}
        if u < like + comment + repost:
            return {"action": "repost", "post_id": post.post_id}
    u = _uniform(key, "else")
    if u < r["post"]:
        if news:
            return {"action": "post", "news_id": news[0], "text": "Worth a read."}
        return {"action": "post", "text": "Just thinking out loud today."}
    if u < r["post"] + r["follow"]:
        target = next((p.author for p in feed if not p.own and not p.followed), None)
        if target is not None:
            return {"action": "follow", "target": target}
    return {"action": "nothing"}


def scores(prompt: str) -> dict[str, Any] | None:
    """The toxicity judge's scores for a batch prompt; None for any other prompt."""
    block = POSTS.search(prompt)
    if block is None:
        return None
    lines = POST_LINE.findall(block.group(1))
    return {
        "scores": [
            {"post_id": int(i), "score": 2 if UNCIVIL in text.casefold() else 0}
            for i, text in lines
        ]
    }


def structured(key: str, prompt: str, params: dict[str, str]) -> str | None:
    """The JSON reply to a structured ask this policy knows (feed action, toxicity batch)."""
    found = decide(key, prompt, params)
    if found is None:
        found = scores(prompt)
    return None if found is None else json.dumps(found)
