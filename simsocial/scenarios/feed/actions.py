"""One user's action applied to the platform, or refused with the reason the re-ask will quote.

Checked before anything changes: a like, comment or repost must name a post of the user's own
feed this step (a post it was not shown, or that does not exist, is refused: the out-party share
of what was shown then covers every interaction), a post's news item must be one shown, a post or
comment needs text, a follow needs an existing user other than oneself not yet followed, and
the platform refuses a second like of the same post. Text longer than `max_chars` is cut at a
word (counted by the caller through `Applied.cut`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simsocial.platform import InvalidAction, Platform
from simsocial.scenarios.feed.prompt import FeedAction
from simsocial.scenarios.feed.toxicity import one_line


@dataclass(frozen=True)
class Shown:
    """What the user was shown this step: the feed's post ids and the news item ids."""

    posts: frozenset[int]
    news: frozenset[int]


@dataclass
class Applied:
    """The `action` event's payload, the new post's id (post, comment, repost) and whether its
    text was cut."""

    payload: dict[str, Any]
    created: int | None = None
    cut: bool = False


def clean(text: str | None, max_chars: int) -> tuple[str, bool]:
    """The text on one line within `max_chars`, and whether it had to be cut."""
    flat = " ".join((text or "").split())
    return one_line(flat, max_chars), len(flat) > max_chars


def apply(
    platform: Platform,
    user: int,
    act: FeedAction,
    shown: Shown,
    step: int,
    max_chars: int,
) -> Applied:
    """Apply `act` by `user`; InvalidAction (nothing changed) says why it cannot be."""
    name = act.action
    payload: dict[str, Any] = {"action": name, "valid": True}
    if name == "nothing":
        return Applied(payload)
    if name == "follow":
        if act.target is None:
            raise InvalidAction("a follow needs target: the user number to follow")
        platform.follow(user, act.target, step)
        return Applied({**payload, "target": act.target})
    if name == "post":
        text, cut = clean(act.text, max_chars)
        if not text:
            raise InvalidAction("a post needs text: your comment on the news item")
        if act.news_id is not None and act.news_id not in shown.news:
            raise InvalidAction(f"news {act.news_id} is not among the news you were shown")
        ref = str(act.news_id) if act.news_id is not None else None  # the posts' news_ref
        created = platform.post(user, text, step, news_ref=ref)
        return Applied({**payload, "news_id": act.news_id, "created": created}, created, cut)
    if act.post_id is None:
        raise InvalidAction(f"a {name} needs post_id: a post in your feed")
    if act.post_id not in shown.posts:
        raise InvalidAction(f"post {act.post_id} is not in your feed")
    payload["post_id"] = act.post_id
    if name == "like":
        platform.like(user, act.post_id, step)
        return Applied(payload)
    text, cut = clean(act.text, max_chars)
    if name == "comment":
        if not text:
            raise InvalidAction("a comment needs text")
        created = platform.reply(user, act.post_id, text, step)
    else:
        created = platform.share(user, act.post_id, step, text)
    return Applied({**payload, "created": created}, created, cut)
