"""The gateway: the one process-wide door every model call goes through.

What happens to one call (`Gateway.call`), in order:

1. **cache**    the request key (`ProviderRequest.key()`: model, messages, every sampling
                parameter, draw index) is looked up in the session's on-disk cache -> a hit is
                free and counted as `cache_hits`.
2. **replay**   in replay-only mode a miss is a recorded "replay_miss" failure naming the request.
3. **de-dup**   an identical key already in flight (any session) is awaited, not re-sent
                -> `dedup_hits`.
4. **budget**   a spent budget fails the call with "budget" and marks the session exhausted.
5. **call**     rate limiter -> semaphore (bounded calls in flight, shared by all sessions) ->
                provider (see `simsocial.llm.providers.route`), each attempt under
                `config.timeout`; tenacity retries retryable `ProviderError`s (429, 5xx, timeouts,
                connection errors, malformed replies) with exponential backoff and jitter.
6. **count**    tokens, cost, latency and attempts go to the session's stats; a success is
                written to the cache. Failures are returned as values, never raised.

The gateway owns one asyncio event loop on a daemon thread, so synchronous callers (Mesa steps)
and async callers share the same semaphore, providers, caches and in-flight table.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import random
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from simsocial.llm.accounting import Stats, budget_reached
from simsocial.llm.cache import ResponseCache
from simsocial.llm.config import Budget, LLMConfig, RateLimit
from simsocial.llm.limits import RateLimiter
from simsocial.llm.providers import canonical_model, make_provider, route
from simsocial.llm.providers.base import Provider
from simsocial.llm.types import ProviderError, ProviderReply, ProviderRequest

if TYPE_CHECKING:
    from simsocial.llm.session import Session

T = TypeVar("T")


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


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def _provider_key(config: LLMConfig) -> tuple[str, str, str | None, str | None]:
    return (route(config.model, config.api_base), config.model, config.api_base, config.api_key_env)


class Gateway:
    """Process-wide: event loop thread, semaphore, rate limiters, de-dup table, providers, caches.

    `retry_initial_s` / `retry_max_s` shape the backoff (tests make them tiny).
    """

    def __init__(
        self,
        max_concurrency: int = 64,
        rate_limit: RateLimit | None = None,
        *,
        retry_initial_s: float = 0.5,
        retry_max_s: float = 20.0,
    ):
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.max_concurrency = max_concurrency
        self.rate_limit = rate_limit
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        # waits before retries 2, 3, ... (the first retry waits retry_initial_s, see _retry)
        self._wait = wait_exponential_jitter(
            multiplier=2 * retry_initial_s, max=retry_max_s, jitter=retry_initial_s
        )
        self.auto_size = False  # the default gateway grows to a session's max_concurrency
        # a budget over every session of this gateway (a sweep's), beside each run's own
        self.budget: Budget | None = None
        self.totals = Stats()
        self._loop = asyncio.new_event_loop()
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._providers: dict[tuple[str, str, str | None, str | None], Provider] = {}
        self._provider_locks: dict[tuple[str, str, str | None, str | None], asyncio.Lock] = {}
        self._limiters: dict[tuple[str, str, str | None, str | None], RateLimiter | None] = {}
        self._inflight: dict[str, asyncio.Future[Outcome]] = {}
        self._slots: dict[int, asyncio.Semaphore] = {}
        self._caches: dict[Path, ResponseCache] = {}
        self._caches_lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="simsocial-llm-gateway", daemon=True
        )
        self._thread.start()

    # -- sessions and plumbing --------------------------------------------------------------------

    def session(
        self,
        config: LLMConfig | None = None,
        run_id: str = "",
        cache_dir: Path | None = None,
        stream: int = 0,
    ) -> Session:
        """A per-run face of the gateway: its own draw counters, records, stats and budget.
        `stream` (the run's seed) separates the random draws of runs with different seeds."""
        from simsocial.llm.session import Session

        config = config or LLMConfig()
        if self.auto_size and config.max_concurrency > self.max_concurrency:
            self.set_max_concurrency(config.max_concurrency)
        return Session(self, config, run_id=run_id, cache_dir=cache_dir, stream=stream)

    def set_max_concurrency(self, n: int) -> None:
        """Raise the number of calls in flight (lowering is not supported while running)."""
        extra = n - self.max_concurrency
        if extra <= 0:
            return
        self.max_concurrency = n

        def grow() -> None:
            for _ in range(extra):
                self._semaphore.release()

        self._loop.call_soon_threadsafe(grow)

    def open_cache(self, directory: Path) -> ResponseCache:
        """One open cache per directory, shared by every session that names it."""
        directory = Path(directory).expanduser().resolve()
        with self._caches_lock:
            cache = self._caches.get(directory)
            if cache is None:
                cache = self._caches[directory] = ResponseCache(directory)
            return cache

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule a coroutine on the gateway loop from any thread."""
        if self._closed:
            coro.close()
            raise RuntimeError("the LLM gateway is closed")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def on_loop_thread(self) -> bool:
        return threading.current_thread() is self._thread

    # -- the pipeline ----------------------------------------------------------------------------

    async def call(
        self,
        session: Session,
        request: ProviderRequest,
        key: str | None = None,
        config: LLMConfig | None = None,
    ) -> Outcome:
        """Answer one request: cache -> replay -> de-dup -> budget -> provider (see module doc)."""
        key = key or request.key()
        stats = session.stats_
        cache = session.cache
        if cache is not None:
            hit = cache.get(key)
            if hit is not None:
                stats.cache_hits += 1
                return Outcome(key, reply=hit, cached=True)
        if session.config.replay:
            return Outcome(
                key, error_kind="replay_miss", error=session.replay_miss_message(request, key)
            )
        shared = self._inflight.get(key)
        if shared is not None:
            outcome = replace(await asyncio.shield(shared), deduped=True, attempts=0, latency_s=0.0)
            stats.dedup_hits += 1
            if outcome.reply is not None and cache is not None:
                cache.put(key, request.model, outcome.reply)
            return outcome
        reason = budget_reached(session.config.budget, stats) or budget_reached(
            self.budget, self.totals
        )
        if reason is not None or session.budget_exhausted:
            session.budget_exhausted = True
            return Outcome(key, error_kind="budget", error=reason or "budget spent")

        future: asyncio.Future[Outcome] = self._loop.create_future()
        self._inflight[key] = future
        stats.calls += 1  # reserved before the await, so concurrent asks respect a call budget
        self.totals.calls += 1
        try:
            outcome = await self._call_provider(session, request, key, config)
        except BaseException:
            future.cancel()
            raise
        finally:
            del self._inflight[key]
        future.set_result(outcome)

        stats.attempts_total += outcome.attempts
        stats.retries += max(0, outcome.attempts - 1)
        stats.latency_s_total += outcome.latency_s
        if outcome.reply is not None:
            for totals in (stats, self.totals):
                totals.prompt_tokens += outcome.reply.prompt_tokens
                totals.completion_tokens += outcome.reply.completion_tokens
                totals.cost_usd += outcome.reply.cost_usd
            if cache is not None:
                cache.put(key, request.model, outcome.reply)
        if (
            budget_reached(session.config.budget, stats) is not None
            or budget_reached(self.budget, self.totals) is not None
        ):
            session.budget_exhausted = True
        return outcome

    async def _call_provider(
        self,
        session: Session,
        request: ProviderRequest,
        key: str,
        config: LLMConfig | None = None,
    ) -> Outcome:
        """The first attempt directly (most calls need only one, and tenacity costs ~0.2 ms of
        CPU per call); retryable failures go to tenacity for attempts 2..retries+1."""
        config = config or session.config  # a persona's pinned model travels with its ask
        provider = await self._provider(config)
        limiter = self._limiter(config)
        tries = [1]
        start = time.perf_counter()
        try:
            try:
                reply = await self._attempt(provider, limiter, request, config.timeout)
            except ProviderError as first:
                if not first.retryable or config.retries == 0:
                    raise
                reply = await self._retry(provider, limiter, request, config, tries)
        except ProviderError as exc:
            return Outcome(
                key,
                error_kind=exc.kind,
                error=str(exc),
                attempts=tries[0],
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
    ) -> ProviderReply:
        """Exponential backoff with jitter (retry_initial_s, then x2 up to retry_max_s)."""
        await asyncio.sleep(self.retry_initial_s * (1.0 + random.random()))
        retrying = AsyncRetrying(
            stop=stop_after_attempt(config.retries),
            wait=self._wait,
            retry=retry_if_exception(_retryable),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                tries[0] += 1
                return await self._attempt(provider, limiter, request, config.timeout)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _attempt(
        self,
        provider: Provider,
        limiter: RateLimiter | None,
        request: ProviderRequest,
        timeout: float,
    ) -> ProviderReply:
        """One attempt: rate limit, a semaphore slot, the timeout; anything a provider raises
        becomes a classified ProviderError."""
        if limiter is not None:
            await limiter.acquire(request)
        instant = getattr(provider, "instant", False)  # in-process, never waits: no bounds
        slots = contextlib.nullcontext() if instant else self._provider_slots(provider)
        semaphore = contextlib.nullcontext() if instant else self._semaphore
        async with semaphore, slots:
            try:
                if instant:
                    return await provider.complete(request)
                async with asyncio.timeout(timeout):  # starts once the provider can take it
                    return await provider.complete(request)
            except ProviderError:
                raise
            except TimeoutError as exc:
                raise ProviderError("timeout", f"no reply within {timeout:g} s") from exc
            except Exception as exc:  # a provider bug must not kill the run: record it
                raise ProviderError(
                    "other", f"{type(exc).__name__}: {exc}", retryable=False
                ) from exc

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

    async def _provider(self, config: LLMConfig) -> Provider:
        """The provider for a config, built once per (path, model, api_base, key env)."""
        key = _provider_key(config)
        provider = self._providers.get(key)
        if provider is not None:
            return provider
        lock = self._provider_locks.setdefault(key, asyncio.Lock())
        async with lock:
            provider = self._providers.get(key)
            if provider is None:
                # built off the loop: litellm takes seconds to import, llama.cpp to load a model
                provider = await asyncio.to_thread(make_provider, config)
                self._providers[key] = provider
        return provider

    def _limiter(self, config: LLMConfig) -> RateLimiter | None:
        key = _provider_key(config)
        if key not in self._limiters:
            limit = config.rate_limit or self.rate_limit
            self._limiters[key] = RateLimiter(limit) if limit and (limit.rpm or limit.tpm) else None
        return self._limiters[key]

    # -- shutdown ---------------------------------------------------------------------------------

    def flush(self) -> None:
        """Commit every cache's buffered writes."""
        with self._caches_lock:
            for cache in self._caches.values():
                cache.flush()

    def close(self) -> None:
        """Close providers and caches and stop the loop thread. Idempotent."""
        if self._closed:
            return
        providers = list(self._providers.values())

        async def shutdown() -> None:
            await asyncio.gather(*(p.aclose() for p in providers), return_exceptions=True)

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(timeout=30)
        self._closed = True
        with self._caches_lock:
            for cache in self._caches.values():
                cache.close()
            self._caches.clear()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> Gateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_DEFAULT: Gateway | None = None
_DEFAULT_LOCK = threading.Lock()


def get_gateway() -> Gateway:
    """The process-wide default gateway, created on first use and closed at interpreter exit."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None or _DEFAULT._closed:
            _DEFAULT = Gateway()
            _DEFAULT.auto_size = True
            atexit.register(_DEFAULT.close)
        return _DEFAULT


__all__ = ["Gateway", "Outcome", "canonical_model", "get_gateway"]
