"""Rounds of asks: how an agent (or a part of its mind) says what it wants to know.

A decision is a generator. Each `yield` hands over a list of prepared asks (made with a
session's synchronous `ask_*` methods) and receives the list of their answers, in order; the
generator may yield again (the next round depends on the answers) and finally returns its
result. Parts compose with `yield from`:

    def speak(self, now):
        memories = yield from self.mind.context(query, now)      # an embedding round
        (line,) = yield [session.ask_complete(prompt(memories))]  # the utterance round
        return line.text

`advance` drives many such generators in lockstep: round by round, every generator still
running hands over its asks, all of them are answered by one `answer` call (a session's
`gather`: concurrently), and each gets its own answers back. A round of N agents therefore
costs one latency, not N.

Determinism: asks are prepared in a fixed order before anything executes: round by round,
generators in the order given (agent order), and within a generator in the order it yields
them. Draw indices, option shuffles and the choose() uniform are all fixed at preparation
(`simsocial.llm.session`), so which call finishes first never matters: same seed + same cache
gives the same answers, byte for byte. A generator cannot be checkpointed; `advance` returns
only when every generator has finished, so a checkpoint (between steps) never sees an open
round.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar

R = TypeVar("R")

# yields lists of asks, receives lists of answers, returns R
Rounds = Generator[list[Any], list[Any], R]
Answerer = Callable[[list[Any]], list[Any]]


def advance(rounds: Sequence[Rounds[Any]], answer: Answerer) -> list[Any]:
    """Run every generator to its end, one `answer` call per round across all of them; their
    results in the order given. A generator that yields no asks in a round simply waits."""
    results: list[Any] = [None] * len(rounds)
    active: list[tuple[int, Rounds[Any], list[Any]]] = []
    for i, gen in enumerate(rounds):
        _step(i, gen, None, results, active)
    while active:
        asks = [ask for _, _, mine in active for ask in mine]
        answers = iter(answer(asks) if asks else [])
        waiting, active = active, []
        for i, gen, mine in waiting:
            _step(i, gen, [next(answers) for _ in mine], results, active)
    return results


def drive(rounds: Rounds[R], answer: Answerer) -> R:
    """Run one generator to its end (one-off callers and tests; a model uses `advance`)."""
    (result,) = advance([rounds], answer)
    return result


def _step(
    i: int,
    gen: Rounds[Any],
    sent: list[Any] | None,
    results: list[Any],
    active: list[tuple[int, Rounds[Any], list[Any]]],
) -> None:
    """Resume one generator (its first start when `sent` is None) and file what it did."""
    try:
        asks = next(gen) if sent is None else gen.send(sent)
    except StopIteration as stop:
        results[i] = stop.value
        return
    active.append((i, gen, list(asks)))
