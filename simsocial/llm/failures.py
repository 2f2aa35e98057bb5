"""Failure kinds in words: what a summary prints instead of "replies that could not be parsed".

Every failed ask ends with exactly one kind (`CallRecord.error_kind`, counted in the session's
`failures_by_kind`). A 429, a budget stop and a cache miss are different events with different
remedies, so a summary names each kind and says what it means.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MEANINGS: dict[str, str] = {
    "rate_limit": "HTTP 429 after every retry; lower llm.max_concurrency or set llm.rate_limit",
    "server": "the provider answered 5xx after every retry",
    "timeout": "no reply within llm.timeout, retries included",
    "connection": "the endpoint could not be reached",
    "bad_response": "the provider's reply was malformed or truncated",
    "auth": "credentials missing or rejected (401); never retried",
    "permission": "the key may not use this model (403); never retried",
    "not_found": "model or endpoint unknown to the provider (404); never retried",
    "bad_request": "the provider refused the request itself (400); never retried",
    "parse": "the reply named none of the options",
    "validation": "the structured reply failed validation after one repair",
    "budget": "not asked: the run's llm.budget was spent",
    "replay_miss": "not in the cache; --replay answers only from the cache",
    "breaker": "not asked: the circuit breaker had stopped calls to a failing model",
    "other": "an unclassified provider error (see llm_calls.parquet)",
}

# kinds that say nothing about the model's answers: it was never asked
NOT_ASKED = frozenset({"budget", "replay_miss", "breaker"})


def describe_failures(stats: Mapping[str, Any]) -> list[str]:
    """One line per failure kind of a session's `stats()` (or its `failures_by_kind`), most
    frequent first, e.g. "12 replay_miss (not in the cache; --replay answers only from the
    cache)": what the CLI and manifest summaries print."""
    counts = stats.get("failures_by_kind", stats)
    lines = []
    for kind, n in sorted(counts.items(), key=lambda item: (-int(item[1]), item[0])):
        if int(n) > 0:
            meaning = MEANINGS.get(kind, "an unknown failure kind")
            lines.append(f"{int(n)} {kind} ({meaning})")
    return lines


def unparseable(stats: Mapping[str, Any]) -> int:
    """Asks whose reply came back but could not be read (parse + validation): the only failures
    a report may call "replies that could not be parsed"."""
    counts = stats.get("failures_by_kind", stats)
    return int(counts.get("parse", 0)) + int(counts.get("validation", 0))
