"""The on-disk response cache: content-addressed, shared across runs and processes.

Key = `ProviderRequest.key()` (model, messages, every sampling parameter and the draw index);
value = the `ProviderReply` as JSON. Only successful replies are stored, so a failure is retried
by the next run. One SQLite file per directory in WAL mode: readers never block, several
processes of a sweep can share it, and writes are buffered and committed in batches so a call
costs one dict insert, not one fsync. A hit is a primary-key lookup (microseconds).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

from simsocial.llm.config import LLMConfig
from simsocial.llm.types import ProviderReply

CACHE_FILENAME = "llm_cache.sqlite"


def default_cache_dir() -> Path:
    """Where cache='auto' puts the cache when the caller names no directory."""
    env = os.environ.get("SIMSOCIAL_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "simsocial" / "llm"


def resolve_cache_dir(config: LLMConfig, path: str, cache_dir: Path | None) -> Path | None:
    """'off' -> None; a path -> that path; 'auto' -> cache_dir (or the user cache), except for
    the scripted provider, which is cheaper to run than to look up (unless replaying)."""
    if config.cache == "off":
        if config.replay:
            raise ValueError("llm.replay needs a cache: set llm.cache to 'auto' or a directory")
        return None
    if config.cache == "auto":
        if path == "scripted" and not config.replay:
            return None
        return Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return Path(config.cache).expanduser()


class ResponseCache:
    """A key -> ProviderReply store in `<directory>/llm_cache.sqlite`."""

    def __init__(
        self, directory: Path | str, *, flush_every: int = 256, flush_after_s: float = 2.0
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / CACHE_FILENAME
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS replies ("
            "key TEXT PRIMARY KEY, model TEXT, reply TEXT NOT NULL, created REAL)"
        )
        self._db.commit()
        self._pending: dict[str, tuple[str, str, float]] = {}
        self._flush_every = flush_every
        self._flush_after_s = flush_after_s
        self._last_flush = time.monotonic()

    def get(self, key: str) -> ProviderReply | None:
        with self._lock:
            pending = self._pending.get(key)
            if pending is not None:
                return ProviderReply.from_json(pending[1])
            row = self._db.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        return ProviderReply.from_json(row[0]) if row else None

    def put(self, key: str, model: str, reply: ProviderReply) -> None:
        with self._lock:
            self._pending[key] = (model, reply.to_json(), time.time())
            due = (
                len(self._pending) >= self._flush_every
                or time.monotonic() - self._last_flush > self._flush_after_s
            )
        if due:
            self.flush()

    def flush(self) -> None:
        """Commit buffered writes (called in batches, after each gather, and on close)."""
        with self._lock:
            if not self._pending:
                self._last_flush = time.monotonic()
                return
            rows = [(k, m, r, t) for k, (m, r, t) in self._pending.items()]
            self._db.executemany(
                "INSERT OR IGNORE INTO replies (key, model, reply, created) VALUES (?, ?, ?, ?)",
                rows,
            )
            self._db.commit()
            self._pending.clear()
            self._last_flush = time.monotonic()

    def __len__(self) -> int:
        with self._lock:
            stored = self._db.execute("SELECT COUNT(*) FROM replies").fetchone()[0]
            return int(stored) + len(self._pending)

    def __contains__(self, key: str) -> bool:
        with self._lock:
            if key in self._pending:
                return True
            return (
                self._db.execute("SELECT 1 FROM replies WHERE key = ?", (key,)).fetchone()
                is not None
            )

    def close(self) -> None:
        self.flush()
        with self._lock:
            self._db.close()
