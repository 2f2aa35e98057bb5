"""The social-media platform: users, posts, votes and follows, changed only by validated actions.

A scenario (the forum, the feed) owns one `Platform`, lets its agents act on it, and gives
rankers a read-only `PlatformView`. Every action is checked before it is applied: a reply to a
post that does not exist, a second vote on the same post or a self-follow raises
`InvalidAction` with a one-line reason, which the scenario re-asks once and then records as a
failure (the growth scenario's policy), so nothing invalid ever reaches a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from simsocial.platform.tables import SCHEMAS, Columns
from simsocial.state import Stateful


class InvalidAction(ValueError):
    """An action the platform refuses; the message is the reason, said to the agent on re-ask."""


@dataclass(frozen=True)
class PlatformView:
    """What a ranker may read: arrays over every post (index = post_id), never the platform.

    `candidates` are the post ids a feed may show (e.g. the forum's top-level posts); `now` is
    the simulation clock (the step being run)."""

    now: int
    candidates: np.ndarray
    step: np.ndarray
    author: np.ndarray
    thread: np.ndarray
    parent: np.ndarray
    score: np.ndarray  # ups - downs
    ups: np.ndarray
    downs: np.ndarray
    replies: np.ndarray  # direct and indirect replies in the post's thread (top posts)
    shares: np.ndarray  # times the post was shared (reposted)
    vote_voter: np.ndarray  # every vote, in the order cast: who, on which post, +1 or -1
    vote_post: np.ndarray
    vote_value: np.ndarray
    following: dict[int, frozenset[int]]  # user -> the users they follow now
    users: dict[str, np.ndarray]  # per-user attributes the scenario supplies (e.g. party)


class Platform(Stateful):
    """The platform's state: four append-only tables, and the derived counts rankers need."""

    STATE = ("tables", "ups", "downs", "replies", "shares", "voted", "following")

    def __init__(self) -> None:
        self.tables = _Tables()
        self.ups: list[int] = []  # per post
        self.downs: list[int] = []
        self.replies: list[int] = []  # per post: replies in the thread it starts
        self.shares: list[int] = []  # per post: times shared
        self.voted: set[tuple[int, int]] = set()  # (voter, post)
        self.following: dict[int, set[int]] = {}

    # --- reading -------------------------------------------------------------------------------

    @property
    def users(self) -> Columns:
        return self.tables.users

    @property
    def posts(self) -> Columns:
        return self.tables.posts

    def n_users(self) -> int:
        return len(self.tables.users)

    def n_posts(self) -> int:
        return len(self.tables.posts)

    def row(self, post_id: int) -> dict[str, Any]:
        """One post as a dict of its columns, with its ups, downs and score."""
        self._check_post(post_id)
        row = {name: column[post_id] for name, column in self.posts.data.items()}
        ups, downs = self.ups[post_id], self.downs[post_id]
        return {**row, "ups": ups, "downs": downs, "score": ups - downs}

    def thread(self, thread_id: int) -> list[int]:
        """The post ids of a thread in the order they were written (the top post first)."""
        threads = self.posts.array("thread_id")
        return np.flatnonzero(threads == thread_id).tolist()

    def has_voted(self, voter: int, post_id: int) -> bool:
        return (voter, post_id) in self.voted

    def view(
        self,
        now: int,
        candidates: np.ndarray | None = None,
        users: dict[str, np.ndarray] | None = None,
    ) -> PlatformView:
        """A read-only view for rankers; `candidates` default to the top-level posts, `users`
        are per-user attribute arrays indexed by user id (e.g. partisanship)."""
        posts = self.posts
        parent = posts.array("parent_id")
        ups = np.asarray(self.ups, dtype=np.int64)
        downs = np.asarray(self.downs, dtype=np.int64)
        if candidates is None:
            candidates = np.flatnonzero(parent == -1)
        arrays = [posts.array(c) for c in ("step", "author", "thread_id")]
        votes = [self.tables.votes.array(c) for c in ("voter", "post_id", "value")]
        attributes = {name: np.asarray(values) for name, values in (users or {}).items()}
        for array in (*arrays, *votes, *attributes.values(), parent, ups, downs):
            array.flags.writeable = False
        return PlatformView(
            now=now,
            candidates=candidates,
            step=arrays[0],
            author=arrays[1],
            thread=arrays[2],
            parent=parent,
            score=ups - downs,
            ups=ups,
            downs=downs,
            replies=np.asarray(self.replies, dtype=np.int64),
            shares=np.asarray(self.shares, dtype=np.int64),
            vote_voter=votes[0],
            vote_post=votes[1],
            vote_value=votes[2],
            following={user: frozenset(f) for user, f in self.following.items()},
            users=attributes,
        )

    # --- actions -------------------------------------------------------------------------------

    def add_user(self, name: str, persona: str, community: str, step: int) -> int:
        return self.users.append(len(self.users), name, persona, community, step)

    def post(
        self,
        author: int,
        text: str,
        step: int,
        *,
        news_ref: str | None = None,
        image_ref: str | None = None,
    ) -> int:
        """A new top-level post starting its own thread; its id."""
        self._check_user(author)
        _check_text(text)
        post_id = len(self.posts)
        return self._append(
            post_id, post_id, -1, author, step, 0, "post", text, -1, news_ref, image_ref
        )

    def reply(self, author: int, parent_id: int, text: str, step: int) -> int:
        """A reply to `parent_id`, in that post's thread; its id."""
        self._check_user(author)
        self._check_post(parent_id)
        _check_text(text)
        thread_id = self.posts.data["thread_id"][parent_id]
        order = self.replies[thread_id] + 1
        self.replies[thread_id] = order
        return self._append(
            len(self.posts),
            thread_id,
            parent_id,
            author,
            step,
            order,
            "reply",
            text,
            -1,
            None,
            None,
        )

    def share(self, author: int, post_id: int, step: int, text: str = "") -> int:
        """Pass a post on as a new top-level post of the sharer (a retweet, a crosspost)."""
        self._check_user(author)
        self._check_post(post_id)
        self.shares[post_id] += 1
        new_id = len(self.posts)
        return self._append(new_id, new_id, -1, author, step, 0, "share", text, post_id, None, None)

    def vote(self, voter: int, post_id: int, value: int, step: int) -> None:
        """An up (+1) or down (-1) vote; one per voter and post."""
        self._check_user(voter)
        self._check_post(post_id)
        if value not in (1, -1):
            raise InvalidAction(f"a vote is +1 or -1, not {value}")
        if (voter, post_id) in self.voted:
            raise InvalidAction(f"user {voter} already voted on post {post_id}")
        self.voted.add((voter, post_id))
        if value > 0:
            self.ups[post_id] += 1
        else:
            self.downs[post_id] += 1
        self.tables.votes.append(voter, post_id, value, step)

    def like(self, voter: int, post_id: int, step: int) -> None:
        self.vote(voter, post_id, 1, step)

    def follow(self, source: int, target: int, step: int) -> None:
        self._check_pair(source, target)
        followed = self.following.setdefault(source, set())
        if target in followed:
            raise InvalidAction(f"user {source} already follows user {target}")
        followed.add(target)
        self.tables.follows.append(source, target, step, True)

    def unfollow(self, source: int, target: int, step: int) -> None:
        self._check_pair(source, target)
        followed = self.following.get(source, set())
        if target not in followed:
            raise InvalidAction(f"user {source} does not follow user {target}")
        followed.discard(target)
        self.tables.follows.append(source, target, step, False)

    # --- the run directory --------------------------------------------------------------------

    def drain(self) -> dict[str, pa.Table]:
        """Rows added since the last drain, per table."""
        drained = {}
        for name in SCHEMAS:
            rows = getattr(self.tables, name).drain()
            if rows is not None:
                drained[name] = rows
        return drained

    # --- checks ----------------------------------------------------------------------------------

    def _append(self, *row: Any) -> int:
        post_id = self.posts.append(*row)
        self.ups.append(0)
        self.downs.append(0)
        self.replies.append(0)
        self.shares.append(0)
        return post_id

    def _check_user(self, user: int) -> None:
        if not 0 <= user < len(self.users):
            raise InvalidAction(f"there is no user {user}")

    def _check_post(self, post_id: int) -> None:
        if not 0 <= post_id < len(self.posts):
            raise InvalidAction(f"there is no post {post_id}")

    def _check_pair(self, source: int, target: int) -> None:
        self._check_user(source)
        self._check_user(target)
        if source == target:
            raise InvalidAction(f"user {source} cannot follow themself")


class _Tables(Stateful):
    STATE = tuple(SCHEMAS)

    def __init__(self) -> None:
        self.users = Columns(SCHEMAS["users"])
        self.posts = Columns(SCHEMAS["posts"])
        self.votes = Columns(SCHEMAS["votes"])
        self.follows = Columns(SCHEMAS["follows"])


def _check_text(text: str) -> None:
    if not isinstance(text, str) or not text.strip():
        raise InvalidAction("the text is empty")
