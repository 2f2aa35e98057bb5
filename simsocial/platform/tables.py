"""The platform's tables: their Arrow schemas and an append-only columnar store for them.

Columns are Python lists while a run goes (an append is a few list appends, so validated actions
go in at well over 10^5 per second) and numpy arrays when read (`Columns.array`, cached until
the next append). Rows since the last `drain` go to the run directory as one Arrow table per
table and step; the drain cursor is part of the checkpointed state, so a resumed run writes each
row exactly once.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

USERS = pa.schema(
    [
        ("user_id", pa.int64()),
        ("name", pa.string()),
        ("persona", pa.string()),
        ("community", pa.string()),
        ("step", pa.int64()),
    ]
)
POSTS = pa.schema(
    [
        ("post_id", pa.int64()),
        ("thread_id", pa.int64()),
        ("parent_id", pa.int64()),  # -1: a top-level post
        ("author", pa.int64()),
        ("step", pa.int64()),
        ("order", pa.int64()),  # position in its thread: 0 is the top post
        ("kind", pa.string()),  # post, reply or share
        ("text", pa.string()),
        ("shared_id", pa.int64()),  # the post a share passes on, else -1
        ("news_ref", pa.string()),  # optional references to a news item or an image
        ("image_ref", pa.string()),
    ]
)
VOTES = pa.schema(
    [
        ("voter", pa.int64()),
        ("post_id", pa.int64()),
        ("value", pa.int64()),  # +1 up (or a like), -1 down
        ("step", pa.int64()),
    ]
)
FOLLOWS = pa.schema(
    [
        ("source", pa.int64()),
        ("target", pa.int64()),
        ("step", pa.int64()),
        ("on", pa.bool_()),  # True: follows from this step, False: unfollowed
    ]
)
SCHEMAS: dict[str, pa.Schema] = {
    "users": USERS,
    "posts": POSTS,
    "votes": VOTES,
    "follows": FOLLOWS,
}
_NUMPY = {pa.int64(): np.int64, pa.bool_(): np.bool_}


class Columns:
    """One append-only table: a list per column, rows numbered from 0."""

    def __init__(self, schema: pa.Schema):
        self.schema = schema
        self.data: dict[str, list[Any]] = {name: [] for name in schema.names}
        self.drained = 0  # rows already handed to the run directory
        self._arrays: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.data[self.schema.names[0]])

    def append(self, *values: Any) -> int:
        """One row, values in schema order; its row number."""
        for column, value in zip(self.data.values(), values, strict=True):
            column.append(value)
        if self._arrays:
            self._arrays = {}
        return len(self) - 1

    def array(self, name: str) -> np.ndarray:
        """A column as a numpy array (numbers) or object array (text); do not modify it."""
        found = self._arrays.get(name)
        if found is None or len(found) != len(self):
            kind = _NUMPY.get(self.schema.field(name).type, object)
            found = np.asarray(self.data[name], dtype=kind)
            self._arrays[name] = found
        return found

    def drain(self) -> pa.Table | None:
        """Rows appended since the last drain, as an Arrow table (None when there are none)."""
        end = len(self)
        if end == self.drained:
            return None
        start, self.drained = self.drained, end
        return pa.table(
            {
                name: pa.array(col[start:end], type=self.schema.field(name).type)
                for name, col in self.data.items()
            },
            schema=self.schema,
        )

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"drained": self.drained}
        for name, column in self.data.items():
            kind = _NUMPY.get(self.schema.field(name).type)
            state[name] = np.asarray(column, dtype=kind) if kind is not None else list(column)
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        self.drained = int(state["drained"])
        self.data = {name: _as_list(state[name]) for name in self.schema.names}
        self._arrays = {}


def _as_list(saved: Any) -> list[Any]:
    return saved.tolist() if isinstance(saved, np.ndarray) else list(saved)
