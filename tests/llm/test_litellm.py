"""The litellm door (forced with the `litellm/` prefix) against the local server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from simsocial.llm import Gateway, LLMConfig
from simsocial.llm.providers.litellm_provider import classify, import_litellm
from simsocial.testing import OpenAIServer


class Verdict(BaseModel):
    label: str


@pytest.fixture(scope="module")
def shared_gateway() -> Iterator[Gateway]:
    """One gateway for the module: litellm is imported (seconds) once."""
    gw = Gateway(retry_initial_s=0.001, retry_max_s=0.01)
    yield gw
    gw.close()


def test_litellm_path_answers_all_verbs(shared_gateway: Gateway) -> None:
    """complete, choose and structured through litellm.acompletion, with usage counted."""
    with OpenAIServer() as server:
        config = LLMConfig(model="litellm/openai/test", api_base=server.base_url, cache="off")
        session = shared_gateway.session(config)
        text = session.complete("Reply [fine]")
        assert text.text == "[fine]" and text.record.path == "litellm"
        assert text.record.model == "openai/test" and text.record.prompt_tokens > 0
        assert text.record.cost_usd == 0.0  # a local model has no price in litellm's cost map
        choice = session.choose("Pick.", ["up", "down"], rng=np.random.default_rng(0))
        assert choice.ok and choice.probabilities is None  # logprobs 'auto' is off on litellm
        assert session.structured("Judge.", Verdict).value == Verdict(label="text")


def test_litellm_faults_are_classified_and_retried(shared_gateway: Gateway) -> None:
    """429 and 500 through litellm become retryable kinds; the third attempt answers."""
    with OpenAIServer(schedule=["429", "500"]) as server:
        config = LLMConfig(model="litellm/openai/test", api_base=server.base_url, cache="off")
        answer = shared_gateway.session(config).complete("say [yes]")
        assert answer.text == "[yes]" and answer.record.attempts == 3
        assert server.requests == 3


def test_litellm_and_fast_path_share_the_cache(shared_gateway: Gateway, tmp_path: Path) -> None:
    """The same request through either door has the same cache key."""
    with OpenAIServer() as server:
        fast = LLMConfig(model="openai/m", api_base=server.base_url, cache=str(tmp_path))
        slow = fast.model_copy(update={"model": "litellm/openai/m"})
        first = shared_gateway.session(fast).complete("hello [1]", temperature=0.0)
        second = shared_gateway.session(slow).complete("hello [1]", temperature=0.0)
        assert second.record.cached and second.text == first.text
        assert server.requests == 1


def test_classify_maps_litellm_exceptions() -> None:
    """litellm's exception classes map to the gateway's kinds; 4xx are not retried."""
    litellm = import_litellm()
    rate = litellm.RateLimitError("slow down", llm_provider="openai", model="m")
    bad = litellm.BadRequestError("nope", llm_provider="openai", model="m")
    assert classify(rate).kind == "rate_limit" and classify(rate).retryable
    assert classify(bad).kind == "bad_request" and not classify(bad).retryable
    final = {
        "auth": litellm.AuthenticationError("bad key", llm_provider="openai", model="m"),
        "permission": litellm.PermissionDeniedError(
            "no", llm_provider="openai", model="m", response=_response(403)
        ),
        "not_found": litellm.NotFoundError("no such model", llm_provider="openai", model="m"),
        "bad_request": litellm.ContextWindowExceededError("long", model="m", llm_provider="x"),
    }
    for kind, exc in final.items():
        assert (classify(exc).kind, classify(exc).retryable) == (kind, False)
    down = litellm.ServiceUnavailableError("down", llm_provider="openai", model="m")
    assert classify(down).kind == "server" and classify(down).retryable


def _response(status: int) -> object:
    import httpx

    return httpx.Response(status, request=httpx.Request("POST", "http://x"))


def test_missing_credentials_are_final_not_a_server_error(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No OPENAI_API_KEY: litellm wraps the SDK's "Missing credentials" as a 500; it is 'auth',
    one attempt, no retries (it used to cost four attempts per call). No network is touched."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    session = gateway.session(LLMConfig(model="openai/gpt-4o", cache="off", retries=3))
    answer = session.complete("hello")
    assert answer.record.error_kind == "auth" and answer.record.attempts == 1
    assert "Missing credentials" in (answer.record.error or "")
