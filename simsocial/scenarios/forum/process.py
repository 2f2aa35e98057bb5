"""The thread rules of SimReddit (Park et al., UIST 2022) as pure functions of a random generator.

A thread draws its continuation probability p once, from U(lo, hi). At each step it writes one
more reply while a coin flip with p succeeds, at most `max_replies` replies; the first failed
flip closes it. The next speaker is a new persona (one who has written nothing in the thread yet)
with probability `new_speaker_p`, otherwise an earlier participant who did not write the last
post, so nobody writes twice in a row. The model and the tests use these same functions, so the
statistics a twin checks are the model's own rules, not a copy of them.

Random draws are made in a fixed number per call (one uniform per flip, two per speaker), so the
generator's stream never depends on which branch a rule took.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# how a speaker was chosen: by the coin between two non-empty pools ("new", "earlier"), or
# forced because only one pool had anyone ("forced_new", "forced_earlier")
RULES = ("new", "earlier", "forced_new", "forced_earlier")


@dataclass(frozen=True)
class Speaker:
    """Who writes next and by which rule."""

    user: int
    rule: str

    @property
    def decided(self) -> bool:
        """Whether the coin chose between two non-empty pools (what the new-speaker share
        counts: a forced speaker says nothing about the coin)."""
        return self.rule in ("new", "earlier")


def draw_p(rng: np.random.Generator, lo: float, hi: float) -> float:
    """A thread's continuation probability, uniform on [lo, hi]."""
    return float(lo + (hi - lo) * rng.random())


def continues(rng: np.random.Generator, p: float) -> bool:
    """One flip: does the thread get another reply?"""
    return bool(rng.random() < p)


def next_speaker(
    rng: np.random.Generator,
    speakers: Sequence[int],
    population: Sequence[int],
    new_speaker_p: float,
) -> Speaker:
    """The next reply's author, given the thread's authors so far (top post first).

    With probability `new_speaker_p` a persona of `population` who has not written in the thread,
    else an earlier author other than the last one, each uniformly. When only one of the two
    pools has anyone, the speaker comes from it whatever the coin says ("forced"): the first
    reply is always a new persona (the only earlier author wrote the last post), and once every
    persona has written, an earlier one speaks. With at least two personas one pool is never
    empty; with one, the only persona cannot reply to themself and ValueError says so.
    """
    want_new = rng.random() < new_speaker_p
    u = rng.random()
    written = set(speakers)
    last = speakers[-1] if speakers else None
    fresh = [user for user in population if user not in written]
    earlier = sorted(written - {last})
    if fresh and earlier:
        pool, rule = (fresh, "new") if want_new else (earlier, "earlier")
    elif fresh or earlier:
        pool, rule = (fresh, "forced_new") if fresh else (earlier, "forced_earlier")
    else:
        raise ValueError("no one can reply: a thread needs at least two personas")
    return Speaker(pool[int(u * len(pool))], rule)


def thread_authors(
    rng: np.random.Generator,
    starter: int,
    population: Sequence[int],
    p: float,
    max_replies: int,
    new_speaker_p: float,
) -> tuple[list[int], list[Speaker]]:
    """One whole thread under the rules: its authors (starter first) and how each replier was
    chosen. The model runs the same rules one step at a time; this is the twin's reference."""
    authors = [starter]
    chosen: list[Speaker] = []
    while len(chosen) < max_replies and continues(rng, p):
        speaker = next_speaker(rng, authors, population, new_speaker_p)
        authors.append(speaker.user)
        chosen.append(speaker)
    return authors, chosen


def simulate(
    rng: np.random.Generator,
    threads: int,
    population: Sequence[int],
    continue_p: tuple[float, float],
    max_replies: int,
    new_speaker_p: float,
) -> list[tuple[list[int], list[Speaker]]]:
    """`threads` independent threads, each started by a persona drawn uniformly."""
    out = []
    for _ in range(threads):
        p = draw_p(rng, *continue_p)
        starter = population[int(rng.integers(len(population)))]
        out.append(thread_authors(rng, starter, population, p, max_replies, new_speaker_p))
    return out
