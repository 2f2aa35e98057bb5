"""One writer per run directory (and per sweep directory).

An OS lock (`fcntl.flock`) on `<dir>/.lock`, held for as long as a run, resume, branch or sweep
writes there. The kernel drops the lock when its holder dies, so a lock left by a killed process
is taken over without any stale-lock guessing; the file keeps the holder's PID so that a refused
second writer can say who holds it. Written here rather than with `filelock`, which takes the
same flock but cannot tell the second process who holds it.
"""

from __future__ import annotations

import os
from pathlib import Path
from types import TracebackType

from simsocial.errors import RunError

try:
    import fcntl
except ImportError:  # Windows: no flock; one writer is then the user's responsibility
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".lock"


class DirectoryBusy(RunError):
    """Another live process is writing to this directory."""


class DirectoryLock:
    """`with DirectoryLock(path):` or acquire()/release(). Two holders in one process conflict
    too (flock is per open file), so two threads cannot write one directory either."""

    def __init__(self, directory: Path | str):
        self.directory = Path(directory).resolve()
        self._fd: int | None = None

    def acquire(self) -> DirectoryLock:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / LOCK_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise DirectoryBusy(
                    f"{self.directory} is being written by another simsocial process "
                    f"(PID {holder}); wait for it to end, or use another directory"
                ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> DirectoryLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
