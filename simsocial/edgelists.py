"""Edge-list files (`u v` per line), read strictly: a bad line is `file:line: what`, not a node.

A line is two node ids separated by whitespace; blank lines and `#` comments are skipped. Ids are
all integers or all names: a file of integers with a line `3 x` has a typo, and taking "x" for an
agent would change the population without a word. Nodes are numbered 0..n-1 in sorted order
(numerically for integers) and the original ids are kept (`EdgeList.labels`), so every agent can
carry its node id into the run's tables. Only the standard library is used: `simsocial validate`
reads the file without importing networkx.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from simsocial.limits import BYTES_PER_EDGE, MAX_GRAPH_BYTES, agents_problem
from simsocial.spec_errors import show_value
from simsocial.userfiles import UserFileError, display, read_text

_INTEGER = re.compile(r"-?[0-9]+")
WHAT = "an edge list"


@dataclass(frozen=True)
class EdgeList:
    """Nodes 0..n-1 with their original ids, and the edges between them (each pair once)."""

    labels: list[int] | list[str]
    edges: list[tuple[int, int]]


def read(path: str | Path) -> EdgeList:
    """The edge list in `path`; UserFileError names the file and line of the first bad line."""
    shown = display(path)
    text = read_text(path, WHAT)
    pairs: list[tuple[str, str]] = []
    numeric: bool | None = None
    first: tuple[int, str] = (0, "")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 2:
            count = f"{len(fields)} fields" if len(fields) != 1 else "1 field"
            message = f'expected two node ids "u v", got {count}: {show_value(line)}'
            raise UserFileError(shown, number, _hint(message, numeric is None))
        u, v = fields
        for node in fields:
            is_int = bool(_INTEGER.fullmatch(node))
            if numeric is None:
                numeric, first = is_int, (number, node)
            elif is_int != numeric:
                kind = "integer" if numeric else "name"
                message = (
                    f"node id {show_value(node)} is not {'an' if numeric else 'a'} {kind} like "
                    f"{show_value(first[1])} (line {first[0]}); ids must be all integers or all "
                    "names"
                )
                raise UserFileError(shown, number, message)
        if u == v or (numeric and int(u) == int(v)):
            message = f"self-loop {show_value(line)}: a node cannot be its own neighbour"
            raise UserFileError(shown, number, message)
        pairs.append((u, v))
    if not pairs:
        raise UserFileError(shown, None, "has no edges (every line is blank or a # comment)")
    return _numbered(pairs, bool(numeric), shown)


def _numbered(pairs: list[tuple[str, str]], numeric: bool, shown: str) -> EdgeList:
    """Nodes numbered in sorted order; each undirected edge once; sizes within the limits."""
    if numeric:
        ints = {name: int(name) for pair in pairs for name in pair}
        labels: list[int] | list[str] = sorted(set(ints.values()))
        index = {value: i for i, value in enumerate(labels)}
        ids = {name: index[value] for name, value in ints.items()}
    else:
        labels = sorted({name for pair in pairs for name in pair})
        ids = {name: i for i, name in enumerate(labels)}
    too_many = agents_problem(len(labels), "nodes")
    if too_many:
        raise UserFileError(shown, None, f"has {len(labels):,} nodes, but a network {too_many}")
    edges = sorted({(min(ids[u], ids[v]), max(ids[u], ids[v])) for u, v in pairs})
    if len(edges) * BYTES_PER_EDGE > MAX_GRAPH_BYTES:
        message = (
            f"has {len(edges):,} edges; a network may have about "
            f"{MAX_GRAPH_BYTES // BYTES_PER_EDGE:,} (its memory would pass "
            f"{MAX_GRAPH_BYTES >> 30} GiB)"
        )
        raise UserFileError(shown, None, message)
    return EdgeList(labels, edges)


def _hint(message: str, at_start: bool) -> str:
    """A first line that is not an edge often means the file is something else entirely."""
    return f"{message}; is this an edge list?" if at_start else message
