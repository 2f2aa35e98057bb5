"""What each active user was shown: the `feeds` table and the out-party share of it.

Every post a ranker put in an active user's feed is one row (step, viewer, rank, post_id; rank 0
is the top, padding left out), so the report can compute anything about exposure afterwards.
Rows wait here until the runner drains them after the step (always before a checkpoint), so the
checkpoint holds none. Per viewer, posts shown and posts by the other party are counted as the
steps go (`simsocial.analysis.interactions.outparty_share`'s rule: independents have no other
party), for the `outparty_shown` column: the mean over partisan viewers of their share.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from simsocial.analysis.interactions import outparty_share
from simsocial.state import Stateful

FEEDS = pa.schema(
    [
        ("step", pa.int64()),
        ("viewer", pa.int64()),
        ("rank", pa.int64()),  # 0: the top of the feed
        ("post_id", pa.int64()),
    ]
)


class ShownLog(Stateful):
    """The feeds rows not yet drained, and per-viewer counts of posts shown and out-party posts."""

    STATE = ("rows", "shown", "outparty")

    def __init__(self, n_users: int) -> None:
        self.rows: dict[str, list[int]] = {name: [] for name in FEEDS.names}
        self.shown = np.zeros(n_users, dtype=np.int64)
        self.outparty = np.zeros(n_users, dtype=np.int64)

    def record(
        self,
        step: int,
        viewers: np.ndarray,
        feeds: np.ndarray,
        author: np.ndarray,
        party: np.ndarray,
    ) -> None:
        """One step's feeds (viewers x k, -1 padding)."""
        feeds = np.asarray(feeds)
        rank = np.broadcast_to(np.arange(feeds.shape[1]), feeds.shape)
        viewer = np.broadcast_to(np.asarray(viewers)[:, None], feeds.shape)
        kept = feeds >= 0
        self.rows["step"] += [step] * int(kept.sum())
        self.rows["viewer"] += viewer[kept].tolist()
        self.rows["rank"] += rank[kept].tolist()
        self.rows["post_id"] += feeds[kept].tolist()
        if kept.any():
            found = outparty_share(viewer[kept], feeds[kept], author, party)
            users = found.index.to_numpy()
            self.shown[users] += found["shown"].to_numpy()
            self.outparty[users] += found["outparty"].to_numpy()

    def drain(self) -> pa.Table | None:
        if not self.rows["step"]:
            return None
        table = pa.table({n: pa.array(v, type=pa.int64()) for n, v in self.rows.items()})
        self.rows = {name: [] for name in FEEDS.names}
        return table

    def outparty_mean(self, party: np.ndarray) -> float | None:
        """Mean over partisan viewers shown anything of their out-party share (None: none)."""
        partisan = (np.asarray(party) != 0) & (self.shown > 0)
        if not partisan.any():
            return None
        return float((self.outparty[partisan] / self.shown[partisan]).mean())
