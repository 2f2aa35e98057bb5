"""The OpenAI HTTP fast path against a local server with injected faults."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from simsocial.llm import Gateway, LLMConfig
from simsocial.testing import OpenAIServer


class Verdict(BaseModel):
    label: str
    confidence: float


def http_config(server: OpenAIServer, **keys: object) -> LLMConfig:
    return LLMConfig(model="openai/test-model", api_base=server.base_url, cache="off", **keys)


def test_three_verbs_over_http(gateway: Gateway) -> None:
    """complete, choose (with logprobs) and structured all work on the fast path."""
    with OpenAIServer() as server:
        session = gateway.session(http_config(server))
        text = session.complete("Reply [hello] please")
        assert text.text == "[hello]" and text.record.path == "openai-http"
        assert text.record.prompt_tokens > 0 and text.record.attempts == 1
        choice = session.choose("Pick a fruit.", ["apple", "pear"], rng=np.random.default_rng(3))
        shown_first = json.loads(choice.record.options)["shown"][0]  # the server answers [a]
        assert choice.probabilities == {
            shown_first: pytest.approx(0.6),
            1 - shown_first: pytest.approx(0.4),
        }
        verdict = session.structured("Judge it.", Verdict)
        assert verdict.ok and verdict.value == Verdict(label="text", confidence=0.0)
        assert server.requests == 3


def test_every_request_ends_answered_or_recorded_under_faults() -> None:
    """429/500/malformed/truncated/hang at random: nothing lost, retries counted, server agrees.

    The breaker is off: this is about retries. On a loaded machine the first 50 connections at
    once can all outlast the 0.5 s timeout, and the breaker would then (rightly) judge the server
    gone and fail the rest unsent; `test_breaker.py` covers that."""
    faults = {"429": 0.15, "500": 0.15, "malformed": 0.1, "truncated": 0.1, "hang": 0.05}
    gateway = Gateway(max_concurrency=50, retry_initial_s=0.001, retry_max_s=0.01)
    with gateway as gw, OpenAIServer(latency_s=0.01, faults=faults, seed=1, hang_s=5) as server:
        config = http_config(server, timeout=0.5, retries=3, breaker={"enabled": False})
        session = gw.session(config)
        answers = session.gather([session.ask_complete(f"question [{i}]") for i in range(200)])
        records = session.drain_records()
        stats = session.stats()
        received = server.requests
    assert len(answers) == 200 and len(records) == 200
    assert all(a.text == f"[{i}]" or a.record.error_kind for i, a in enumerate(answers))
    assert stats["attempts_total"] == sum(r.attempts for r in records)
    assert stats["retries"] == stats["attempts_total"] - 200 > 0
    # an attempt the client abandons before the server reads it is not seen there (loaded CPU)
    assert 200 < received <= stats["attempts_total"]
    failed = Counter(r.error_kind for r in records if r.error_kind)
    assert sum(a.ok for a in answers) + sum(failed.values()) == 200
    assert set(failed) <= {"rate_limit", "server", "bad_response", "timeout", "connection"}
    assert dict(failed) == stats["failures_by_kind"]


def test_each_fault_kind_is_retried_to_success(gateway: Gateway) -> None:
    """A scheduled 429, 500, malformed, truncated and hang: the sixth attempt answers."""
    schedule = ["429", "500", "malformed", "truncated", "hang"]
    with OpenAIServer(schedule=schedule, hang_s=5) as server:
        session = gateway.session(http_config(server, timeout=0.5, retries=5))
        answer = session.complete("say [ok]")
        assert answer.text == "[ok]" and answer.record.attempts == 6
        assert server.requests == 6 and session.stats()["retries"] == 5


def test_retries_exhausted_is_recorded_with_its_kind(gateway: Gateway) -> None:
    """Three 500s with retries=2: a 'server' failure after 3 attempts, no exception."""
    with OpenAIServer(schedule=["500", "500", "500"]) as server:
        session = gateway.session(http_config(server, retries=2))
        answer = session.complete("hello")
        assert answer.text is None and answer.record.error_kind == "server"
        assert answer.record.attempts == 3 and "HTTP 500" in answer.record.error


def test_client_errors_are_not_retried(gateway: Gateway) -> None:
    """A 404 (wrong api_base) fails at once as 'not_found'."""
    with OpenAIServer() as server:
        config = LLMConfig(model="openai/x", api_base=server.base_url + "/wrong", cache="off")
        answer = gateway.session(config).complete("hello")
        assert answer.record.error_kind == "not_found" and answer.record.attempts == 1


def test_connection_refused_is_a_connection_failure(gateway: Gateway) -> None:
    """Nothing listening: retried, then recorded as 'connection'."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = LLMConfig(
        model="openai/x", api_base=f"http://127.0.0.1:{port}/v1", cache="off", retries=1
    )
    answer = gateway.session(config).complete("hello")
    assert answer.record.error_kind == "connection" and answer.record.attempts == 2


def test_identical_concurrent_requests_hit_the_server_once(gateway: Gateway) -> None:
    """10 identical T=0 requests in flight together: one request reaches the server."""
    with OpenAIServer(latency_s=0.1) as server:
        session = gateway.session(http_config(server, temperature=0.0))
        answers = session.gather([session.ask_complete("same [x]") for _ in range(10)])
        assert {a.text for a in answers} == {"[x]"}
        assert server.requests == 1 and session.stats()["dedup_hits"] == 9


def _asks(session, rng):
    asks = [session.ask_complete(f"note [{i % 4}]", meta={"step": i}) for i in range(12)]
    asks += [session.ask_choose(f"q{i}", ["k", "z", "w"], rng=rng) for i in range(12)]
    asks += [session.ask_structured(f"judge {i}", Verdict) for i in range(4)]
    return asks


def test_replay_with_the_server_stopped_gives_identical_records(tmp_path: Path) -> None:
    """A run through the server, then replay-only from its cache after the server is gone."""
    with Gateway(retry_initial_s=0.001) as gw, OpenAIServer(latency_s=0.01) as server:
        config = LLMConfig(model="openai/m", api_base=server.base_url, temperature=0.7)
        first = gw.session(config, cache_dir=tmp_path)
        original = first.gather(_asks(first, np.random.default_rng(4)))
        assert first.stats()["calls"] == 28
    with Gateway() as gw:
        again = gw.session(config.model_copy(update={"replay": True}), cache_dir=tmp_path)
        replayed = again.gather(_asks(again, np.random.default_rng(4)))
        assert again.stats()["calls"] == 0 and again.stats()["cache_hits"] == 28

    def essence(answers):
        return [
            (a.record.request_hash, a.record.reply, a.record.options, a.record.probabilities)
            for a in answers
        ]

    assert essence(original) == essence(replayed)
    assert all(a.ok for a in replayed)
