"""What a session counts: calls, cache and de-dup hits, failures by kind, tokens, cost, latency.

Only real model calls cost tokens and money; cache hits and shared (de-duplicated) calls are
counted separately and are free. Failures are counted once per ask, by the kind of its final
outcome, so `failures_by_kind` is what the run manifest reports.

Budgets hold under concurrency: a call is admitted only while what was spent plus the worst case
of the calls in flight (`Pending`: their prompt estimate + max_tokens, priced by
`simsocial.llm.pricing`) is under the budget, so a run overshoots by at most one call, never by
`max_concurrency` calls. A call the cost map cannot price is counted (`unpriced_calls`), and a USD
budget with unpriced calls is reached: it cannot be enforced, and $0 would be a silent default.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from simsocial.llm.config import Budget


@dataclass
class Stats:
    calls: int = 0  # real model calls started (each may take several attempts)
    cache_hits: int = 0
    dedup_hits: int = 0
    failures_by_kind: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s_total: float = 0.0
    attempts_total: int = 0
    retries: int = 0
    unpriced_calls: int = 0  # answered calls whose cost the cost map does not know

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "cache_hits": self.cache_hits,
            "dedup_hits": self.dedup_hits,
            "failures_by_kind": dict(self.failures_by_kind),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
            "latency_s_total": self.latency_s_total,
            "attempts_total": self.attempts_total,
            "retries": self.retries,
            "unpriced_calls": self.unpriced_calls,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        data = dict(data)
        data["failures_by_kind"] = Counter(data.get("failures_by_kind", {}))
        return cls(**data)


@dataclass
class Pending:
    """The worst case of the calls in flight, held against a budget until they return."""

    calls: int = 0
    tokens: int = 0
    usd: float = 0.0

    def add(self, tokens: int, usd: float, sign: int = 1) -> None:
        self.calls += sign
        self.tokens += sign * tokens
        self.usd += sign * usd
        if self.calls == 0:  # no float residue once nothing is in flight
            self.tokens, self.usd = 0, 0.0


def budget_reached(
    budget: Budget | None, stats: Stats, pending: Pending | None = None
) -> str | None:
    """Which limit of the budget is spent (a readable reason), or None while there is room.
    With `pending`, the worst case of the calls in flight counts as spent."""
    if budget is None:
        return None
    if budget.calls is not None and stats.calls >= budget.calls:
        return f"call budget of {budget.calls} spent"
    held_tokens, held_usd = (pending.tokens, pending.usd) if pending else (0, 0.0)
    tokens = stats.prompt_tokens + stats.completion_tokens
    if budget.tokens is not None and tokens + held_tokens >= budget.tokens:
        return f"token budget of {budget.tokens} spent ({tokens} used)"
    if budget.usd is not None and stats.unpriced_calls:
        return (
            f"budget of ${budget.usd:g} cannot be enforced: {stats.unpriced_calls} calls had no "
            "price in litellm's cost map (use llm.budget.calls or llm.budget.tokens)"
        )
    if budget.usd is not None and stats.cost_usd + held_usd >= budget.usd:
        return f"budget of ${budget.usd:g} spent (${stats.cost_usd:.4f} used)"
    return None


Scope = tuple[Budget | None, Stats, Pending]


class Settled:
    """Wakes the calls waiting for budget whenever a call in flight returns (gateway loop only)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


async def admit(scopes: Sequence[Scope], settled: Settled, tokens: int, usd: float) -> str | None:
    """Hold a call's worst case (`tokens`, `usd`) against every scope's budget and return None,
    or return why it may not run. While only calls in flight stand in the way, wait for them."""
    while True:
        for budget, stats, _ in scopes:
            reason = budget_reached(budget, stats)
            if reason is not None:
                return reason
        if all(budget_reached(budget, stats, held) is None for budget, stats, held in scopes):
            for _, _, held in scopes:
                held.add(tokens, usd)
            return None
        await settled.wait()


def release(scopes: Sequence[Scope], settled: Settled, tokens: int, usd: float) -> None:
    """The call returned: its worst case is no longer held."""
    for _, _, held in scopes:
        held.add(tokens, usd, -1)
    settled.notify()
