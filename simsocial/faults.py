"""A seam for fault-injection tests: die with SIGKILL at a named point of the run's write path.

`SIMSOCIAL_KILL_AT=<point>[:<n>]` kills the process the n-th time (default the first) it passes
`kill_point(<point>)`. Points, in the order a run passes them: `step` (after a step, before its
rows are logged), `flush` (between two tables' part files), `checkpoint` (parts written, the
checkpoint not yet), `consolidate` (between two consolidated tables), `commit` (every table
consolidated, the manifest not yet), `discard` (manifest committed, parts half deleted),
`report` (the report written to its temporary name, not yet renamed). Unset, it costs one
comparison.
"""

from __future__ import annotations

import os
import signal

ENV = "SIMSOCIAL_KILL_AT"
POINTS = ("step", "flush", "checkpoint", "consolidate", "commit", "discard", "report")


def _target() -> tuple[str, int] | None:
    raw = os.environ.get(ENV)
    if not raw:
        return None
    name, _, nth = raw.partition(":")
    return name, int(nth or 1)


_TARGET = _target()
_seen: dict[str, int] = {}


def kill_point(name: str) -> None:
    """SIGKILL this process here if SIMSOCIAL_KILL_AT names this point and its count is due."""
    if _TARGET is None or _TARGET[0] != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= _TARGET[1]:
        os.kill(os.getpid(), signal.SIGKILL)
