"""What one query shows: friends as `<name>: <label>` lines, names fresh or fixed, order shuffled.

Shared by both experiments, so that a respondent (adoption) and a network node (dynamics) draw
from the model's RNG in the same order: the label of A (one uniform), the order of the lines (a
permutation), then the names. That order is part of the published seeds' results: change it and
every run's prompts change.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from functools import lru_cache
from itertools import product

import numpy as np

LETTERS = string.ascii_lowercase


@lru_cache(maxsize=4)
def _name_table(low: int, high: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every name of `low`..`high` letters, with each length's offset and count in the table."""
    lengths = range(low, high + 1)
    tables = [["".join(p) for p in product(LETTERS, repeat=n)] for n in lengths]
    sizes = np.array([len(t) for t in tables])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return np.array([name for t in tables for name in t]), offsets, sizes


def random_names(rng: np.random.Generator, count: int, lengths: tuple[int, int]) -> list[str]:
    """`count` distinct random lowercase names; each length in `lengths` equally likely."""
    low, high = lengths
    if high > 4:  # too many strings to tabulate: spell them out
        spelled: set[str] = set()
        while len(spelled) < count:
            size = int(rng.integers(low, high + 1))
            spelled.add("".join(rng.choice(list(LETTERS), size=size)))
        return sorted(spelled)  # sorted: set order depends on the process's hash seed
    table, offsets, sizes = _name_table(low, high)
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        need = count - len(names)
        which = rng.integers(0, len(sizes), size=need)
        picks = offsets[which] + (rng.random(need) * sizes[which]).astype(np.int64)
        for name in table[picks].tolist():
            if name not in seen:
                seen.add(name)
                names.append(name)
    return names[:count]


def friend_lines(
    rng: np.random.Generator,
    codes: Sequence[int],
    labels: tuple[str, str],
    naming: str,
    name_length: tuple[int, int],
) -> tuple[str, str, str]:
    """(the friend list, the label shown for A, the label shown for B) of one query; `codes`
    holds each friend's opinion, 0 for A and 1 for B, in the network's neighbour order."""
    first, second = labels
    label_a, label_b = (first, second) if rng.random() < 0.5 else (second, first)
    order = rng.permutation(len(codes))
    if naming == "random":
        names = random_names(rng, len(codes), name_length)
    else:
        names = [f"agent{i}" for i in range(len(codes))]
    shown = (label_a, label_b)
    lines = "\n".join(
        f"{name}: {shown[codes[i]]}" for name, i in zip(names, order.tolist(), strict=True)
    )
    return lines, label_a, label_b
