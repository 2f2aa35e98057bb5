"""Client-side rate limits (requests and tokens per minute) for metered providers.

A token bucket per dimension: capacity = the per-minute allowance, refilled continuously, so
bursts up to one minute's allowance pass at once and the long-run rate never exceeds the limit.
The token cost of a request is estimated before the call (prompt characters / 4 + max_tokens),
which is what providers meter against as well.
"""

from __future__ import annotations

import asyncio
import time

from simsocial.llm.config import RateLimit
from simsocial.llm.types import ProviderRequest


def estimate_tokens(request: ProviderRequest) -> int:
    """Rough token count of a request: ~4 characters per token plus the completion allowance."""
    chars = sum(len(m.get("content") or "") for m in request.messages)
    return chars // 4 + request.max_tokens


class _Bucket:
    def __init__(self, per_minute: int):
        self.capacity = float(per_minute)
        self.level = float(per_minute)
        self.rate = per_minute / 60.0
        self.stamp = time.monotonic()

    def wait_time(self, amount: float) -> float:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now
        amount = min(amount, self.capacity)  # one oversized request still passes when full
        if self.level >= amount:
            self.level -= amount
            return 0.0
        return (amount - self.level) / self.rate


class RateLimiter:
    """Await `acquire(request)` before a call; waits until both buckets allow it (FIFO)."""

    def __init__(self, limit: RateLimit):
        self.limit = limit
        self._requests = _Bucket(limit.rpm) if limit.rpm else None
        self._tokens = _Bucket(limit.tpm) if limit.tpm else None
        self._lock = asyncio.Lock()

    async def acquire(self, request: ProviderRequest) -> None:
        async with self._lock:
            for bucket, amount in (
                (self._requests, 1.0),
                (self._tokens, float(estimate_tokens(request))),
            ):
                if bucket is None:
                    continue
                delay = bucket.wait_time(amount)
                while delay > 0:
                    await asyncio.sleep(delay)
                    delay = bucket.wait_time(amount)
