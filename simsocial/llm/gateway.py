"""The gateway: the one process-wide door every model call goes through.

What happens to one call (`Gateway.call`), in order:

1. **cache**    the request key (`ProviderRequest.key()`: model, messages, every sampling
                parameter, draw index) is looked up in the session's on-disk cache -> a hit is
                free and counted as `cache_hits`.
2. **replay**   in replay-only mode a miss is a recorded "replay_miss" failure naming the request.
3. **breaker**  a session whose circuit breaker tripped fails the call with "breaker" without
                contacting the provider (`simsocial.llm.breaker`).
   (Embeddings take the same pipeline: `simsocial.llm.embed_verb`; the hash embedder alone is
   answered in-process by the session, recorded but neither cached nor budgeted.)
4. **de-dup**   an identical key already in flight (any session) is awaited, not re-sent
                -> `dedup_hits`.
5. **budget**   a spent budget fails the call with "budget" and marks the session exhausted;
                calls in flight count at their worst case (`simsocial.llm.accounting.admit`).
6. **call**     rate limiter -> semaphore (bounded calls in flight, shared by all sessions) ->
                provider (see `simsocial.llm.providers.route`), each attempt under
                `config.timeout`; retryable `ProviderError`s (429, 5xx, timeouts, connection
                errors, malformed replies) are retried with exponential backoff and jitter;
                401/403/404/400 never are (`simsocial.llm.attempts`).
7. **count**    tokens, cost, latency and attempts go to the session's stats, the outcome to its
                breaker; a success is written to the cache. Failures are returned as values,
                never raised.

The gateway owns one asyncio event loop on a daemon thread, so synchronous callers (Mesa steps)
and async callers share the same semaphore, providers, caches and in-flight table.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import wait_exponential_jitter

from simsocial.llm.accounting import (
    Pending,
    Scope,
    Settled,
    Stats,
    admit,
    budget_reached,
    release,
)
from simsocial.llm.attempts import Attempts, Outcome
from simsocial.llm.cache import ResponseCache
from simsocial.llm.config import Budget, LLMConfig, RateLimit
from simsocial.llm.limits import RateLimiter, estimate_tokens
from simsocial.llm.pricing import worst_case_usd
from simsocial.llm.providers import canonical_model, make_provider, route
from simsocial.llm.providers.base import Provider
from simsocial.llm.types import ProviderRequest

if TYPE_CHECKING:
    from simsocial.llm.session import Session

T = TypeVar("T")


def _worst_case(request: ProviderRequest, *budgets: Budget | None) -> tuple[int, float]:
    """Tokens and USD a request may cost at most, estimated only where a budget needs it (the
    price lookup loads litellm's cost map once)."""
    if not budgets:
        return 0, 0.0
    tokens = estimate_tokens(request) if any(b and b.tokens for b in budgets) else 0
    usd = worst_case_usd(request) if any(b and b.usd for b in budgets) else 0.0
    return tokens, usd


ProviderKey = tuple[str, str, str | None, str | None, tuple[str, ...]]


def _provider_key(config: LLMConfig) -> ProviderKey:
    path = route(config.model, config.api_base)
    return (path, config.model, config.api_base, config.api_key_env, tuple(config.endpoints))


class Gateway(Attempts):
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
        self.pending = Pending()  # the worst case of calls in flight, against `budget`
        self._settled = Settled()
        self._loop = asyncio.new_event_loop()
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._providers: dict[ProviderKey, Provider] = {}
        self._provider_locks: dict[ProviderKey, asyncio.Lock] = {}
        self._limiters: dict[ProviderKey, RateLimiter | None] = {}
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
        if session.breaker.tripped is not None:
            return Outcome(key, error_kind="breaker", error=f"not sent: {session.breaker.tripped}")
        shared = self._inflight.get(key)
        if shared is not None:
            return await self._share(session, request, shared)
        if session.budget_exhausted:
            reason = budget_reached(session.config.budget, stats) or "budget spent"
            return Outcome(key, error_kind="budget", error=reason)
        scopes = self._scopes(session)  # none without a budget: nothing to hold
        tokens, usd = _worst_case(request, *(budget for budget, _, _ in scopes))
        reason = await admit(scopes, self._settled, tokens, usd) if scopes else None
        if reason is not None:
            session.budget_exhausted = True
            return Outcome(key, error_kind="budget", error=reason)
        shared = self._inflight.get(key)  # an identical call may have started while we waited
        if shared is not None:
            if scopes:
                release(scopes, self._settled, tokens, usd)
            return await self._share(session, request, shared)

        future: asyncio.Future[Outcome] = self._loop.create_future()
        self._inflight[key] = future
        stats.calls += 1  # counted before the await, so concurrent asks respect a call budget
        self.totals.calls += 1
        try:
            config = config or session.config  # a persona's pinned model travels with its ask
            if request.extra.get("verb") == "embed":  # simsocial.llm.embed_verb
                provider = await self._provider(config, embedder=request.model)
            else:
                provider = await self._provider(config)
            outcome = await self.execute(
                provider, self._limiter(config), request, key, config, session.breaker
            )
        except BaseException:
            future.cancel()
            raise
        finally:
            del self._inflight[key]
            if scopes:
                release(scopes, self._settled, tokens, usd)
        future.set_result(outcome)
        session.breaker.record(outcome.error_kind, outcome.error)
        self._count(session, request, outcome)
        return outcome

    def _scopes(self, session: Session) -> tuple[Scope, ...]:
        """The budgets a call of this session is held against: its run's, and the gateway's."""
        scopes = (
            (session.config.budget, session.stats_, session.pending),
            (self.budget, self.totals, self.pending),
        )
        return tuple(scope for scope in scopes if scope[0] is not None)

    async def _share(
        self, session: Session, request: ProviderRequest, shared: asyncio.Future[Outcome]
    ) -> Outcome:
        """An identical request is in flight: its outcome, free for this caller."""
        outcome = replace(await asyncio.shield(shared), deduped=True, attempts=0, latency_s=0.0)
        session.stats_.dedup_hits += 1
        if outcome.reply is not None and session.cache is not None:
            session.cache.put(outcome.key, request.model, outcome.reply)
        return outcome

    def _count(self, session: Session, request: ProviderRequest, outcome: Outcome) -> None:
        """Attempts, tokens, cost (or its absence) and the budget after one executed call."""
        stats = session.stats_
        stats.attempts_total += outcome.attempts
        stats.retries += max(0, outcome.attempts - 1)
        stats.latency_s_total += outcome.latency_s
        if outcome.reply is not None:
            for totals in (stats, self.totals):
                totals.prompt_tokens += outcome.reply.prompt_tokens
                totals.completion_tokens += outcome.reply.completion_tokens
                totals.cost_usd += outcome.reply.cost_usd
                totals.unpriced_calls += not outcome.reply.priced
            if session.cache is not None:
                session.cache.put(outcome.key, request.model, outcome.reply)
        if (
            budget_reached(session.config.budget, stats) is not None
            or budget_reached(self.budget, self.totals) is not None
        ):
            session.budget_exhausted = True

    async def _provider(self, config: LLMConfig, embedder: str | None = None) -> Provider:
        """The provider for a config, built once per (path, model, api_base, key env); with
        `embedder`, that embedding model behind the provider port (same endpoint and keys)."""
        key = _provider_key(config)
        if embedder is not None:
            key = ("embed", embedder, config.api_base, config.api_key_env, tuple(config.endpoints))
        provider = self._providers.get(key)
        if provider is not None:
            return provider
        lock = self._provider_locks.setdefault(key, asyncio.Lock())
        async with lock:
            provider = self._providers.get(key)
            if provider is None:
                # built off the loop: litellm takes seconds to import, llama.cpp to load a model
                provider = await asyncio.to_thread(_make, config, embedder)
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


def _make(config: LLMConfig, embedder: str | None) -> Provider:
    if embedder is None:
        return make_provider(config)
    from simsocial.llm.embeddings import EmbedderProvider

    return EmbedderProvider(embedder, config)


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
