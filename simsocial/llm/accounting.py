"""What a session counts: calls, cache and de-dup hits, failures by kind, tokens, cost, latency.

Only real model calls cost tokens and money; cache hits and shared (de-duplicated) calls are
counted separately and are free. Failures are counted once per ask, by the kind of its final
outcome, so `failures_by_kind` is what the run manifest reports.
"""

from __future__ import annotations

from collections import Counter
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
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Stats:
        data = dict(data)
        data["failures_by_kind"] = Counter(data.get("failures_by_kind", {}))
        return cls(**data)


def budget_reached(budget: Budget | None, stats: Stats) -> str | None:
    """Which limit of the budget is spent (a readable reason), or None while there is room."""
    if budget is None:
        return None
    if budget.calls is not None and stats.calls >= budget.calls:
        return f"call budget of {budget.calls} spent"
    tokens = stats.prompt_tokens + stats.completion_tokens
    if budget.tokens is not None and tokens >= budget.tokens:
        return f"token budget of {budget.tokens} spent ({tokens} used)"
    if budget.usd is not None and stats.cost_usd >= budget.usd:
        return f"budget of ${budget.usd:.2f} spent (${stats.cost_usd:.4f} used)"
    return None
