"""Who follows whom at the start: a homophilous random network, or a file of follows.

Generated (`twitter.follows`): each user follows m others, m uniform in [min, max]; each follow
goes to a user of the follower's own party with probability `same_party`, else to a user of
another party (independents: their own party is the other independents), drawn uniformly among
those not yet followed. When the wanted pool is used up the follow goes to the other pool and is
counted (`switched`); when both are, the user follows fewer (`short`). Among partisans the
share of same-party follows is therefore `same_party` in expectation while no pool runs out.

A file (`twitter.follows.file`) lists one follow per line, `source target` (user ids from 0, the
order personas are drawn in; blank lines and `#` comments skipped); a follow is directed, unlike
the undirected `network:` edge lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simsocial.userfiles import UserFileError, display, read_text


@dataclass(frozen=True)
class Follows:
    """The starting follows (source, target) in creation order, and how they were made."""

    edges: list[tuple[int, int]]
    counts: dict[str, int]


def homophilous(
    party: np.ndarray, lo: int, hi: int, same_party: float, rng: np.random.Generator
) -> Follows:
    """Each user's follows in user order (see the module docstring)."""
    party = np.asarray(party)
    n = len(party)
    edges: list[tuple[int, int]] = []
    counts = {"same": 0, "other": 0, "switched": 0, "short": 0}
    for source in range(n):
        wanted = int(rng.integers(lo, hi + 1))
        free = np.ones(n, dtype=bool)
        free[source] = False
        own = party == party[source]
        for made in range(wanted):
            same = bool(rng.random() < same_party)
            pool = np.flatnonzero(free & (own if same else ~own))
            if len(pool) == 0:
                pool = np.flatnonzero(free)
                if len(pool) == 0:
                    counts["short"] += wanted - made
                    break
                counts["switched"] += 1
            target = int(pool[rng.integers(len(pool))])
            free[target] = False
            edges.append((source, target))
            counts["same" if own[target] else "other"] += 1
    return Follows(edges, counts)


def read_follows(path: str | Path, n_users: int | None = None) -> Follows:
    """Directed follows from a `source target` file; with `n_users`, ids must be below it.
    UserFileError names the file and line of a bad line, a self-follow or a repeat."""
    shown = display(path)
    edges: list[tuple[int, int]] = []
    seen: dict[tuple[int, int], int] = {}
    for number, raw in enumerate(read_text(path, "a file of follows").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2 or not all(f.isdigit() for f in fields):
            message = f'expected "source target" as two user ids (0, 1, ...), got {line!r}'
            raise UserFileError(shown, number, message)
        source, target = int(fields[0]), int(fields[1])
        if source == target:
            raise UserFileError(shown, number, f"user {source} cannot follow themself")
        for user in (source, target):
            if n_users is not None and user >= n_users:
                message = (
                    f"user {user} does not exist: there are {n_users} users (0..{n_users - 1})"
                )
                raise UserFileError(shown, number, message)
        if (source, target) in seen:
            message = f"repeats the follow {source} -> {target} (line {seen[(source, target)]})"
            raise UserFileError(shown, number, message)
        seen[(source, target)] = number
        edges.append((source, target))
    if not edges:
        raise UserFileError(shown, None, "has no follows (every line is blank or a # comment)")
    return Follows(edges, {"from_file": len(edges)})


def same_party_share(edges: list[tuple[int, int]], party: np.ndarray) -> tuple[int, int]:
    """(same-party follows, follows) among follows between partisans."""
    party = np.asarray(party)
    pairs = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    a, b = party[pairs[:, 0]], party[pairs[:, 1]]
    partisan = (a != 0) & (b != 0)
    return int((partisan & (a == b)).sum()), int(partisan.sum())
