"""The circuit breaker: a session stops calling a model that keeps failing.

Without it a run whose model is gone (a key revoked, a server down or hung) walks through every
step, each decision costing `(retries + 1) x timeout`, and ends `completed` with nothing decided.
The breaker watches the outcome of every *executed* call of a session (one that reached the
provider; cache hits, de-duplicated calls, budget stops and replay misses never do) and trips when

- `consecutive` executed calls in a row failed, or
- over the last `window` executed calls (once that many were made), more than
  `max_failure_share` of them failed.

Tripped, it is a one-line reason (`tripped`), every later call of the session fails at once with
kind "breaker" without contacting the provider, retries in progress stop at their next attempt,
and the runner stops the run with status `failed` (everything written, resumable). The breaker is
not checkpointed: a resumed run starts with it closed, since the user has presumably fixed the
cause.

Retries multiply the wait for a dead endpoint: K hung calls take K x (retries + 1) x timeout. So
while the session is *suspect* a timeout or connection error is not retried. It is suspect when
its last executed call failed, or when `consecutive` attempts in a row (of any of its calls in
flight) timed out or could not connect, with no answer in between. One call at a time, the first
call to a dead server pays its retries and the next ones one timeout each: the breaker trips
after about (K + retries) x timeout. Many calls at once all time out together, all but the first
K fail at once, and the breaker trips after about one timeout. Rate limits and 5xx are retried
as always; they are what a healthy but busy provider says.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

from simsocial.llm.config import Breaker
from simsocial.llm.types import ProviderError

# failures that mean "nobody is answering": not retried while the session is suspect
GONE_KINDS = frozenset({"timeout", "connection"})


class CircuitBreaker:
    """Counts a session's executed calls; `tripped` is the reason once it opened, else None.

    `record` runs on the gateway loop (as does everything but reading `tripped`)."""

    def __init__(self, config: Breaker):
        self.config = config
        self.tripped: str | None = None
        self.consecutive = 0
        self.gone_attempts = 0  # attempts in a row that timed out or could not connect
        self._window: deque[bool] = deque(maxlen=config.window)
        self._opened = asyncio.Event()  # bound to the gateway loop on first await

    @property
    def suspect(self) -> bool:
        """Timeouts and connection errors are not retried: the last executed call failed, or the
        last `consecutive` attempts found nobody answering."""
        return self.config.enabled and (
            self.consecutive > 0 or self.gone_attempts >= self.config.consecutive
        )

    def attempt(self, error_kind: str | None) -> None:
        """One attempt's result (None: answered), for `suspect`; only calls can trip."""
        self.gone_attempts = self.gone_attempts + 1 if error_kind in GONE_KINDS else 0

    def configure(self, config: Breaker) -> None:
        """Follow a changed `llm.breaker` (e.g. an intervention); the counts carry on."""
        if config.window != self.config.window:
            self._window = deque(self._window, maxlen=config.window)
        self.config = config

    def record(self, error_kind: str | None, error: str | None) -> None:
        """The final outcome of one executed call (error_kind None: answered)."""
        if self.tripped is not None:
            return
        failed = error_kind is not None
        self.consecutive = self.consecutive + 1 if failed else 0
        self._window.append(failed)
        if not (failed and self.config.enabled):
            return
        last = f"{error_kind}: {error}"
        if self.consecutive >= self.config.consecutive:
            self.trip(f"{self.consecutive} calls in a row failed ({last})")
            return
        failures, size = sum(self._window), len(self._window)
        if size >= self.config.window and failures / size > self.config.max_failure_share:
            self.trip(
                f"{failures} of the last {size} calls failed, more than "
                f"{self.config.max_failure_share:.0%} (last: {last})"
            )

    def trip(self, reason: str) -> None:
        """Open the breaker: later calls fail fast, backoff sleeps end now."""
        self.tripped = reason
        self._opened.set()

    def check(self, last: ProviderError | None = None) -> None:
        """Raise instead of another attempt once tripped (`last`: the error being retried)."""
        if self.tripped is None:
            return
        if last is None:
            raise ProviderError("breaker", f"not sent: {self.tripped}", retryable=False)
        raise ProviderError(last.kind, f"{last} (not retried: {self.tripped})", retryable=False)

    def should_retry(self, exc: BaseException) -> bool:
        """Whether the gateway retries this error: retryable, and not a sign of a dead endpoint
        while the session is suspect."""
        if not isinstance(exc, ProviderError) or not exc.retryable:
            return False
        return not (exc.kind in GONE_KINDS and self.suspect)

    async def sleep(self, seconds: float) -> None:
        """A backoff wait that ends early when the breaker trips."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._opened.wait(), seconds)
