"""Plain data that crosses the gateway: what is asked, what a provider answers, what is recorded."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import numpy as np

Verb = Literal["complete", "choose", "structured", "embed"]

ErrorKind = Literal[
    "rate_limit",  # 429
    "server",  # 5xx
    "timeout",
    "connection",
    "bad_response",  # malformed / truncated JSON from the provider
    "auth",  # 401, missing or rejected credentials: never retried
    "permission",  # 403: never retried
    "not_found",  # 404, unknown model or endpoint: never retried
    "bad_request",  # 400/422, the provider refuses the request itself: never retried
    "parse",  # reply did not name an option
    "validation",  # structured output failed pydantic validation after the repair round
    "budget",  # the run's budget was spent before this call
    "replay_miss",  # replay-only mode and the request is not cached
    "breaker",  # the session's circuit breaker is open: the provider was not contacted
    "other",
]

RETRYABLE_KINDS: frozenset[str] = frozenset(
    {"rate_limit", "server", "timeout", "connection", "bad_response"}
)


@dataclass(slots=True)
class ProviderRequest:
    """One model call, fully specified. Its hash is the cache key and the de-duplication key."""

    model: str
    messages: list[dict[str, str]]
    temperature: float = 0.2
    max_tokens: int = 64
    # choose(): the labels the reply must be one of. Providers may constrain decoding to them
    # and return one log-probability per label.
    choice_labels: list[str] | None = None
    want_logprobs: bool = False
    # structured(): a JSON Schema the reply must satisfy (providers may enforce it).
    json_schema: dict[str, Any] | None = None
    # n-th sample of the same request in one run (only meaningful at temperature > 0).
    draw: int = 0
    # the run's seed, so runs with different seeds sample afresh where answers are random
    stream: int = 0
    extra: dict[str, Any] = field(default_factory=dict)
    # memo of key() for the (draw, stream) it was computed at; requests are not mutated after
    # dispatch except for `draw` and `stream`, which are assigned once while the ask is prepared
    _key_memo: tuple[tuple[int, int], str] | None = field(
        default=None, init=False, compare=False, repr=False
    )

    def key(self) -> str:
        """Content address: every parameter that can change the answer."""
        if self._key_memo is not None and self._key_memo[0] == (self.draw, self.stream):
            return self._key_memo[1]
        # fields read directly (asdict() deep-copies the messages: 4x slower, same bytes)
        payload = {name: getattr(self, name) for name in _REQUEST_FIELDS}
        if self.temperature == 0 or self.want_logprobs:
            payload["draw"] = payload["stream"] = 0  # deterministic: shared by every draw and run
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        key = hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()
        self._key_memo = ((self.draw, self.stream), key)
        return key

    def prompt_text(self) -> str:
        return json.dumps(self.messages, ensure_ascii=False)


_REQUEST_FIELDS = tuple(f.name for f in fields(ProviderRequest) if f.name != "_key_memo")


@dataclass(slots=True)
class ProviderReply:
    """What a provider returns for one call."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    # log-probability of each choice label, when the provider can give them
    label_logprobs: dict[str, float] | None = None
    # False when the provider has no price for the model: cost_usd is then unknown, not $0
    priced: bool = True

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, blob: str) -> ProviderReply:
        return cls(**json.loads(blob))


# HTTP answers that retrying cannot change, and the failure kind each is recorded as
FINAL_STATUS: dict[int, ErrorKind] = {
    400: "bad_request",
    401: "auth",
    403: "permission",
    404: "not_found",
    422: "bad_request",
}


class ProviderError(Exception):
    """A failed provider call, classified so the gateway knows whether to retry."""

    def __init__(self, kind: ErrorKind, message: str, *, retryable: bool | None = None):
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.retryable = retryable if retryable is not None else kind in RETRYABLE_KINDS


@dataclass(slots=True)
class CallRecord:
    """One row of llm_calls.parquet. Written for every call, answered or failed."""

    request_hash: str
    verb: Verb
    model: str
    path: str  # which door the call took: scripted | embedded | openai-http | litellm
    prompt: str
    reply: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    attempts: int = 0
    cached: bool = False
    error_kind: str | None = None
    error: str | None = None
    draw: int = 0
    temperature: float = 0.0
    options: str | None = None  # choose(): JSON of the labels shown, in order, and their mapping
    probabilities: str | None = None  # choose(): JSON of the distribution, when known
    run_id: str = ""
    step: int = -1
    agent_id: int = -1

    @property
    def ok(self) -> bool:
        return self.error_kind is None


@dataclass(slots=True)
class Completion:
    text: str | None
    record: CallRecord

    @property
    def ok(self) -> bool:
        return self.text is not None


@dataclass(slots=True)
class Choice:
    """choose(): the option picked (an element of the caller's options), or None on failure."""

    choice: Any | None
    index: int | None
    probabilities: dict[int, float] | None  # option index -> probability, when known
    record: CallRecord

    @property
    def ok(self) -> bool:
        return self.index is not None


@dataclass(slots=True)
class Structured:
    value: Any | None  # a validated pydantic instance, or None on recorded failure
    record: CallRecord

    @property
    def ok(self) -> bool:
        return self.value is not None


@dataclass(slots=True)
class Embedding:
    """embed(): unit-norm float32 rows, one per text, or None on a recorded failure."""

    vectors: np.ndarray | None
    record: CallRecord

    @property
    def ok(self) -> bool:
        return self.vectors is not None
