"""The memory stream of a generative agent (Park et al. 2023, section 4.1).

Records are plain data (ids, text, times, numbers), never agent objects, so a stream survives a
checkpoint or a Parquet/JSON file unchanged. Columns live in numpy arrays so retrieval scores a
whole stream in a few vector operations. Simulation time is measured in hours (float). A record
whose importance rating failed is kept *unrated* (importance None, NaN in the column): the agent
did perceive it, and no number is invented for it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

KINDS = ("observation", "reflection", "plan", "conversation")


@dataclass(slots=True)
class Record:
    """One memory: what happened, when, how important, and (reflections) on what evidence."""

    id: int
    text: str
    kind: str
    created: float
    last_access: float
    importance: int | None
    depth: int = 0
    evidence: list[int] = field(default_factory=list)


class MemoryStream:
    """Append-only list of records with their embeddings as one float32 matrix."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.records: list[Record] = []
        self._emb = np.zeros((16, dim), dtype=np.float32)
        self._last = np.zeros(16, dtype=np.float64)
        self._imp = np.zeros(16, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.records)

    @property
    def embeddings(self) -> np.ndarray:
        return self._emb[: len(self.records)]

    @property
    def last_access(self) -> np.ndarray:
        return self._last[: len(self.records)]

    @property
    def importance(self) -> np.ndarray:
        return self._imp[: len(self.records)]

    def add(
        self,
        text: str,
        kind: str,
        now: float,
        importance: int | None,
        embedding: np.ndarray,
        evidence: list[int] | None = None,
        depth: int = 0,
    ) -> int:
        """Append a record and return its id (its position in the stream); importance None
        keeps it unrated."""
        if kind not in KINDS:
            raise ValueError(f"memory kind must be one of {KINDS}, got {kind!r}")
        if importance is not None and not 1 <= int(importance) <= 10:
            raise ValueError(f"importance must be an integer 1-10, got {importance!r}")
        vec = np.asarray(embedding, dtype=np.float32).reshape(-1)
        if vec.shape[0] != self.dim:
            raise ValueError(f"embedding has {vec.shape[0]} dims, the stream holds {self.dim}")
        n = len(self.records)
        if n == self._emb.shape[0]:
            self._emb = np.concatenate([self._emb, np.zeros_like(self._emb)])
            self._last = np.concatenate([self._last, np.zeros_like(self._last)])
            self._imp = np.concatenate([self._imp, np.zeros_like(self._imp)])
        self._emb[n] = vec
        self._last[n] = now
        self._imp[n] = np.nan if importance is None else importance
        rating = None if importance is None else int(importance)
        self.records.append(
            Record(n, text, kind, float(now), float(now), rating, depth, evidence or [])
        )
        return n

    def touch(self, ids: np.ndarray | list[int], now: float) -> None:
        """Mark records as accessed at `now` (retrieval does this; recency restarts)."""
        for i in ids:
            self.records[int(i)].last_access = float(now)
        self._last[np.asarray(ids, dtype=np.int64)] = now

    def recent(self, n: int) -> list[Record]:
        """The `n` most recently created records, oldest first."""
        return self.records[-n:] if n > 0 else []

    # -- serialisation ----------------------------------------------------------------------------

    def to_rows(self) -> list[dict[str, Any]]:
        """Plain dict rows, embedding included as a list of floats."""
        return [{**asdict(r), "embedding": self._emb[r.id].tolist()} for r in self.records]

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]], dim: int) -> MemoryStream:
        stream = cls(dim)
        for i, row in enumerate(rows):
            if int(row["id"]) != i:
                raise ValueError(f"memory row {i} has id {row['id']}; ids must be 0..n-1 in order")
            stream.add(
                row["text"],
                row["kind"],
                row["created"],
                _rating(row["importance"]),
                np.asarray(row["embedding"], dtype=np.float32),
                [int(e) for e in row["evidence"]],
                int(row["depth"]),
            )
            stream.touch([i], float(row["last_access"]))
        return stream

    def to_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps({"dim": self.dim, "records": self.to_rows()}))

    @classmethod
    def from_json(cls, path: str | Path) -> MemoryStream:
        data = json.loads(Path(path).read_text())
        return cls.from_rows(data["records"], int(data["dim"]))

    def to_parquet(self, path: str | Path) -> None:
        import pandas as pd

        frame = pd.DataFrame(self.to_rows())
        frame.attrs["dim"] = self.dim
        frame.to_parquet(path, index=False)

    @classmethod
    def from_parquet(cls, path: str | Path, dim: int) -> MemoryStream:
        import pandas as pd

        frame = pd.read_parquet(path)
        rows = [
            {**row, "evidence": list(row["evidence"]), "embedding": list(row["embedding"])}
            for row in frame.to_dict("records")
        ]
        return cls.from_rows(rows, dim)


def _rating(value: Any) -> int | None:
    """A stored importance: None (JSON) and NaN (Parquet) both mean the record is unrated."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return int(value)
