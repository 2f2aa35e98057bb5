"""Several endpoints for one model: which server takes the next call.

`llm.endpoints` lists more base URLs serving the same model as `llm.api_base` (replicas of one
vLLM deployment on several GPUs or machines). The OpenAI HTTP path keeps one connection pool and
sends each call to the endpoint with the fewest calls in flight (ties in turn), so a faster
replica takes more of the work. An endpoint that refused a connection rests for `REST_S`
seconds, unless every endpoint is resting: the gateway's retry of that call (a "connection"
failure is retried) then goes to another one. The cache key and the de-duplication key do not
name the endpoint: replicas serving one model are one model.

Why not litellm's Router: it sits on the litellm path, which costs ~10 ms of CPU per call and
caps a process near 100 calls/s, i.e. exactly where several endpoints are wanted it would be the
bottleneck; and it would be a second config format for a list of URLs.
"""

from __future__ import annotations

import time

REST_S = 5.0


class Spread:
    """Calls in flight per endpoint, and which endpoints are resting after a refusal."""

    def __init__(self, endpoints: int):
        self.in_flight = [0] * endpoints
        self.resting_until = [0.0] * endpoints
        self.sent = [0] * endpoints  # calls started, for tests and the benchmark
        self._turn = 0

    def pick(self) -> int:
        """The endpoint for the next call (counted in flight until `done`)."""
        count = len(self.in_flight)
        now = time.monotonic()
        awake = [i for i in range(count) if self.resting_until[i] <= now] or list(range(count))
        start, self._turn = self._turn, (self._turn + 1) % count
        chosen = min(awake, key=lambda i: (self.in_flight[i], (i - start) % count))
        self.in_flight[chosen] += 1
        self.sent[chosen] += 1
        return chosen

    def done(self, endpoint: int, refused: bool = False) -> None:
        self.in_flight[endpoint] -= 1
        if refused:
            self.resting_until[endpoint] = time.monotonic() + REST_S
