"""The on-disk cache, the rate limiter, routing and the default gateway."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from simsocial.llm import LLMConfig, ProviderReply, get_gateway
from simsocial.llm.cache import CACHE_FILENAME, ResponseCache, resolve_cache_dir
from simsocial.llm.config import RateLimit
from simsocial.llm.limits import RateLimiter, _Bucket
from simsocial.llm.providers import canonical_model, route


def test_cache_round_trip_survives_reopen(tmp_path: Path) -> None:
    """A put is readable at once (buffered) and after flush + reopen (committed)."""
    cache = ResponseCache(tmp_path)
    reply = ProviderReply(
        text="[k]", prompt_tokens=5, completion_tokens=1, label_logprobs={"k": -0.1}
    )
    cache.put("abc", "m", reply)
    assert cache.get("abc") == reply and "abc" in cache
    cache.close()
    again = ResponseCache(tmp_path)
    assert again.get("abc") == reply and again.get("missing") is None
    rows = (
        sqlite3.connect(tmp_path / CACHE_FILENAME)
        .execute("SELECT key, model FROM replies")
        .fetchall()
    )
    assert rows == [("abc", "m")]


def test_failures_are_not_cached(make_session, tmp_path: Path) -> None:
    """A failed call leaves no cache entry, so the next run tries again."""
    session = make_session("scripted/fixed?fail=1", cache=str(tmp_path / "c"), retries=0)
    assert session.complete("hello").record.error_kind == "server"
    assert len(session.cache) == 0


def test_cache_auto_is_off_for_scripted_and_on_for_real_models(tmp_path: Path) -> None:
    """cache='auto': scripted runs uncached (cheaper), real models cache under cache_dir."""
    assert resolve_cache_dir(LLMConfig(model="scripted/random"), "scripted", tmp_path) is None
    real = LLMConfig(model="openai/gpt-4o")
    assert resolve_cache_dir(real, "litellm", tmp_path) == tmp_path
    assert resolve_cache_dir(real.model_copy(update={"cache": "off"}), "litellm", tmp_path) is None
    assert resolve_cache_dir(
        real.model_copy(update={"cache": "/x/y"}), "litellm", tmp_path
    ) == Path("/x/y")


def test_bucket_allows_a_minute_of_burst_then_paces() -> None:
    """rpm=60: 60 requests pass at once, the 61st waits about one second."""
    bucket = _Bucket(60)
    assert all(bucket.wait_time(1) == 0 for _ in range(60))
    assert bucket.wait_time(1) == pytest.approx(1.0, abs=0.05)


def test_rate_limiter_without_limits_is_not_built(make_session) -> None:
    """No rpm/tpm means no limiter on the call path."""
    assert RateLimiter(RateLimit(rpm=10)).limit.rpm == 10
    session = make_session("scripted/random")
    assert session.gateway._limiter(session.config) is None


@pytest.mark.parametrize(
    ("model", "api_base", "path"),
    [
        ("scripted/majority?beta=2", None, "scripted"),
        ("embedded/smollm2-135m", None, "embedded"),
        ("openai/llama", "http://h/v1", "openai-http"),
        ("hosted_vllm/meta/llama", "http://h/v1", "openai-http"),
        ("openai/gpt-4o", None, "litellm"),
        ("anthropic/claude-3-5-sonnet-20240620", None, "litellm"),
        ("litellm/openai/llama", "http://h/v1", "litellm"),
    ],
)
def test_route_names_the_door(model: str, api_base: str | None, path: str) -> None:
    """Every model string takes the documented path."""
    assert route(model, api_base) == path
    assert canonical_model("litellm/openai/llama") == "openai/llama"


def test_default_gateway_is_shared_and_grows_to_the_session() -> None:
    """get_gateway() is one object per process and raises its concurrency for a session."""
    gw = get_gateway()
    assert get_gateway() is gw
    gw.session(LLMConfig(model="scripted/random", max_concurrency=gw.max_concurrency + 10))
    assert get_gateway().max_concurrency >= 74
