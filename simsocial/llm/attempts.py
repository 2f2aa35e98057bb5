"""Attempts at one executed call: rate limit, slots, timeout, classified errors, retries.

Split from the gateway's pipeline (`simsocial.llm.gateway`), which decides *whether* a request is
sent; this decides *how*: one attempt under `config.timeout`, then retries with exponential
backoff and jitter for retryable errors. The session's circuit breaker (`simsocial.llm.breaker`)
has a say: no retry of a timeout or connection error while the session is suspect, no further
attempt once it tripped, and a backoff sleep ends the moment it trips.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from simsocial.llm.types import ProviderError, ProviderReply, ProviderRequest

if TYPE_CHECKING:
    from simsocial.llm.breaker import CircuitBreaker
    from simsocial.llm.config import LLMConfig
    from simsocial.llm.limits import RateLimiter
    from simsocial.llm.providers.base import Provider


@dataclass(slots=True)
class Outcome:
    """What the pipeline made of one request: a reply or a classified failure, and how."""

    key: str
    reply: ProviderReply | None = None
    error_kind: str | None = None
    error: str | None = None
    attempts: int = 0
    latency_s: float = 0.0
    cached: bool = False
    deduped: bool = False


class Attempts:
    """The attempt and retry half of the Gateway (a mixin: it shares the gateway's semaphore,
    per-provider slots and backoff shape)."""

    retry_initial_s: float
    _semaphore: asyncio.Semaphore
    _slots: dict[int, asyncio.Semaphore]
    _wait: Any  # tenacity wait strategy for retries 2, 3, ...

    async def execute(
        self,
        provider: Provider,
        limiter: RateLimiter | None,
        request: ProviderRequest,
        key: str,
        config: LLMConfig,
        breaker: CircuitBreaker,
    ) -> Outcome:
        """The first attempt directly (most calls need only one, and tenacity costs ~0.2 ms of
        CPU per call); errors worth retrying go to tenacity for attempts 2..retries+1."""
        tries = [1]
        start = time.perf_counter()
        try:
            try:
                reply = await self._attempt(provider, limiter, request, config.timeout, breaker)
            except ProviderError as first:
                if config.retries == 0 or not breaker.should_retry(first):
                    raise
                reply = await self._retry(provider, limiter, request, config, tries, first, breaker)
        except ProviderError as exc:
            return Outcome(
                key,
                error_kind=exc.kind,
                error=str(exc),
                attempts=0 if exc.kind == "breaker" else tries[0],  # "breaker": never sent
                latency_s=time.perf_counter() - start,
            )
        return Outcome(key, reply=reply, attempts=tries[0], latency_s=time.perf_counter() - start)

    async def _retry(
        self,
        provider: Provider,
        limiter: RateLimiter | None,
        request: ProviderRequest,
        config: LLMConfig,
        tries: list[int],
        first: ProviderError,
        breaker: CircuitBreaker,
    ) -> ProviderReply:
        """Exponential backoff with jitter (retry_initial_s, then x2 up to retry_max_s)."""
        last = [first]
        await breaker.sleep(self.retry_initial_s * (1.0 + random.random()))
        retrying = AsyncRetrying(
            stop=stop_after_attempt(config.retries),
            wait=self._wait,
            retry=retry_if_exception(breaker.should_retry),
            sleep=breaker.sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                breaker.check(last[0])
                tries[0] += 1
                try:
                    return await self._attempt(
                        provider, limiter, request, config.timeout, breaker, last[0]
                    )
                except ProviderError as exc:
                    last[0] = exc
                    raise
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _attempt(
        self,
        provider: Provider,
        limiter: RateLimiter | None,
        request: ProviderRequest,
        timeout: float,
        breaker: CircuitBreaker,
        last: ProviderError | None = None,
    ) -> ProviderReply:
        """One attempt: rate limit, a semaphore slot, a breaker check (a call still queued for a
        slot when the breaker trips is not sent), the timeout. Its result goes to the breaker."""
        if limiter is not None:
            await limiter.acquire(request)
        instant = getattr(provider, "instant", False)  # in-process, never waits: no bounds
        slots = contextlib.nullcontext() if instant else self._provider_slots(provider)
        semaphore = contextlib.nullcontext() if instant else self._semaphore
        async with semaphore, slots:
            breaker.check(last)
            try:
                reply = await _complete(provider, request, None if instant else timeout)
            except ProviderError as exc:
                breaker.attempt(exc.kind)
                raise
        breaker.attempt(None)
        return reply

    def _provider_slots(self, provider: Provider) -> contextlib.AbstractAsyncContextManager[Any]:
        """A provider that serves one call at a time (`max_in_flight`, e.g. the in-process
        llama.cpp) gets its own semaphore, so queueing behind it never counts as a timeout."""
        limit = getattr(provider, "max_in_flight", None)
        if limit is None:
            return contextlib.nullcontext()
        slots = self._slots.get(id(provider))
        if slots is None:
            slots = self._slots[id(provider)] = asyncio.Semaphore(limit)
        return slots


async def _complete(
    provider: Provider, request: ProviderRequest, timeout: float | None
) -> ProviderReply:
    """The provider's answer within `timeout` (None: in-process, unbounded); anything it raises
    becomes a classified ProviderError."""
    try:
        if timeout is None:
            return await provider.complete(request)
        async with asyncio.timeout(timeout):  # starts once the provider can take it
            return await provider.complete(request)
    except ProviderError:
        raise
    except TimeoutError as exc:
        raise ProviderError("timeout", f"no reply within {timeout:g} s") from exc
    except Exception as exc:  # a provider bug must not kill the run: record it
        raise ProviderError("other", f"{type(exc).__name__}: {exc}", retryable=False) from exc
