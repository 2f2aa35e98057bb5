"""The platform refuses invalid actions with a reason, keeps its tables append-only, and comes
back from a checkpoint exactly (the drained rows are not written twice)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from simsocial import checkpoint
from simsocial.platform import SCHEMAS, InvalidAction, Platform


def forum(users: int = 4) -> Platform:
    platform = Platform()
    for i in range(users):
        platform.add_user(f"user{i}", f"persona {i}", "r/test", 0)
    return platform


@pytest.mark.parametrize(
    ("setup", "action", "reason"),
    [
        (None, lambda p: p.reply(0, 99, "hi", 1), "there is no post 99"),
        (None, lambda p: p.reply(9, 0, "hi", 1), "there is no user 9"),
        (None, lambda p: p.reply(1, 0, "   ", 1), "the text is empty"),
        (
            lambda p: p.vote(1, 0, 1, 1),
            lambda p: p.vote(1, 0, -1, 2),
            "user 1 already voted on post 0",
        ),
        (None, lambda p: p.vote(1, 0, 0, 1), "a vote is +1 or -1, not 0"),
        (None, lambda p: p.follow(2, 2, 1), "user 2 cannot follow themself"),
        (lambda p: p.follow(2, 3, 1), lambda p: p.follow(2, 3, 2), "user 2 already follows user 3"),
        (None, lambda p: p.unfollow(2, 3, 1), "user 2 does not follow user 3"),
        (None, lambda p: p.share(1, 5, 1), "there is no post 5"),
    ],
)
def test_invalid_actions_are_refused_with_their_reason_and_change_nothing(setup, action, reason):
    platform = forum()
    platform.post(0, "first", 0)
    if setup is not None:
        setup(platform)
    before = checkpoint.dumps(platform.get_state())
    with pytest.raises(InvalidAction) as refused:
        action(platform)
    assert str(refused.value) == reason
    assert checkpoint.dumps(platform.get_state()) == before  # no table, count or set changed


def test_threads_votes_and_follows_are_recorded_in_order():
    platform = forum()
    top = platform.post(0, "headline", 0)
    first = platform.reply(1, top, "a reply", 1)
    nested = platform.reply(2, first, "a reply to the reply", 2)
    other = platform.post(3, "another headline", 2)
    shared = platform.share(1, other, 3, "look")
    platform.vote(2, top, 1, 3)
    platform.vote(3, top, -1, 3)
    platform.like(1, top, 3)
    platform.follow(0, 1, 3)
    platform.unfollow(0, 1, 4)

    assert platform.thread(top) == [top, first, nested]
    assert [platform.row(p)["order"] for p in (top, first, nested)] == [0, 1, 2]
    assert platform.row(nested)["parent_id"] == first and platform.row(nested)["kind"] == "reply"
    assert platform.row(shared)["shared_id"] == other and platform.row(shared)["kind"] == "share"
    assert (platform.row(top)["ups"], platform.row(top)["downs"], platform.row(top)["score"]) == (
        2, 1, 1,
    )  # fmt: skip
    assert platform.following == {0: set()}
    view = platform.view(now=4)
    assert view.candidates.tolist() == [top, other, shared]  # top-level posts
    assert view.replies[top] == 2 and view.score[top] == 1
    with pytest.raises(ValueError):
        view.step[0] = 9  # rankers read, never write


def test_drain_hands_each_row_once_in_the_table_schema():
    platform = forum(2)
    first = platform.drain()
    assert set(first) == {"users"} and first["users"].num_rows == 2
    assert platform.drain() == {}
    platform.post(0, "hello", 1)
    platform.vote(1, 0, 1, 1)
    second = platform.drain()
    assert set(second) == {"posts", "votes"}
    for name, rows in second.items():
        assert rows.schema == SCHEMAS[name]
    assert second["posts"].column("text").to_pylist() == ["hello"]


def test_checkpointed_state_resumes_exactly_and_does_not_redrain():
    platform = forum(3)
    top = platform.post(0, "headline", 0)
    platform.reply(1, top, "reply", 1)
    platform.vote(2, top, 1, 1)
    platform.follow(2, 0, 1)
    drained = platform.drain()
    restored = Platform()
    restored.set_state(checkpoint.loads(checkpoint.dumps(platform.get_state())))

    assert restored.drain() == {}  # written before the checkpoint: never again
    for name in SCHEMAS:
        assert getattr(restored.tables, name).data == getattr(platform.tables, name).data
    restored.reply(2, top, "after resume", 2)
    platform.reply(2, top, "after resume", 2)
    assert restored.drain()["posts"].equals(platform.drain()["posts"])
    with pytest.raises(InvalidAction):
        restored.vote(2, top, -1, 2)  # the vote set came back too
    assert isinstance(drained["users"], pa.Table)
