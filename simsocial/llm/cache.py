"""The on-disk response cache: content-addressed, shared across runs and processes.

Key = `ProviderRequest.key()` (model, messages, every sampling parameter and the draw index);
value = the `ProviderReply` as JSON. Only successful replies are stored, so a failure is retried
by the next run. One SQLite file per directory in WAL mode: readers never block, several
processes of a sweep can share it, and writes are buffered and committed in batches so a call
costs one dict insert, not one fsync. A hit is a primary-key lookup (microseconds).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

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
    """A key -> ProviderReply store in `<directory>/llm_cache.sqlite`.

    Damage is never fatal, only counted: a file SQLite cannot open is moved aside to
    `llm_cache.sqlite.corrupt` and a fresh one started (`moved_aside`); a row whose reply does
    not parse or does not match its stored digest is a miss (`damaged_rows`); a write that fails
    is dropped (`write_errors`). The runner puts these counts in the manifest.
    """

    def __init__(
        self, directory: Path | str, *, flush_every: int = 256, flush_after_s: float = 2.0
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / CACHE_FILENAME
        self._lock = threading.Lock()
        self.damaged_rows = 0
        self.write_errors = 0
        self.moved_aside: Path | None = None
        try:
            self._db = self._open()
        except sqlite3.DatabaseError:
            self._db = self._open_fresh()
        self._pending: dict[str, tuple[str, str, float]] = {}
        self._flush_every = flush_every
        self._flush_after_s = flush_after_s
        self._last_flush = time.monotonic()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS replies ("
                "key TEXT PRIMARY KEY, model TEXT, reply TEXT NOT NULL, created REAL, digest TEXT)"
            )
            columns = {row[1] for row in db.execute("PRAGMA table_info(replies)")}
            if "digest" not in columns:  # a cache written before rows carried digests
                db.execute("ALTER TABLE replies ADD COLUMN digest TEXT")
            db.commit()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _open_fresh(self) -> sqlite3.Connection:
        """Move a file SQLite cannot read out of the way (with its WAL) and start anew."""
        self.moved_aside = self.path.with_name(CACHE_FILENAME + ".corrupt")
        os.replace(self.path, self.moved_aside)
        for suffix in ("-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        return self._open()

    def get(self, key: str) -> ProviderReply | None:
        with self._lock:
            pending = self._pending.get(key)
            if pending is not None:
                return ProviderReply.from_json(pending[1])
            try:
                row = self._db.execute(
                    "SELECT reply, digest FROM replies WHERE key = ?", (key,)
                ).fetchone()
            except sqlite3.DatabaseError:
                self.damaged_rows += 1
                return None
            if row is None:
                return None
            reply = _parse(row[0], row[1])
            if reply is None:
                self.damaged_rows += 1
            return reply

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
            rows = [(k, m, r, t, _digest(r)) for k, (m, r, t) in self._pending.items()]
            try:
                self._db.executemany(
                    "INSERT OR IGNORE INTO replies (key, model, reply, created, digest) "
                    "VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
                self._db.commit()
            except sqlite3.DatabaseError:
                self.write_errors += len(rows)
            self._pending.clear()
            self._last_flush = time.monotonic()

    def health(self) -> dict[str, Any]:
        """What went wrong with this file, for the manifest (empty when nothing did)."""
        found: dict[str, Any] = {}
        if self.moved_aside is not None:
            found["moved_aside"] = str(self.moved_aside)
        if self.damaged_rows:
            found["damaged_rows"] = self.damaged_rows
        if self.write_errors:
            found["write_errors"] = self.write_errors
        return found

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


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _parse(text: str, digest: str | None) -> ProviderReply | None:
    """A stored reply, or None when it is damaged (a digest mismatch or unreadable JSON)."""
    if digest is not None and _digest(text) != digest:
        return None
    try:
        return ProviderReply.from_json(text)
    except (ValueError, TypeError):
        return None
