"""The local OpenAI-compatible test server itself: answers, faults, counting, shutdown."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from simsocial.testing import OpenAIServer


def post(url: str, body: dict) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


CHAT = {"model": "t", "messages": [{"role": "user", "content": "pick [z] or [k]"}]}


@pytest.mark.parametrize("process", [False, True])
def test_server_answers_counts_and_frees_its_port(process: bool) -> None:
    """Thread or child process: deterministic answer, usage, request count, clean stop."""
    with OpenAIServer(process=process) as server:
        status, body = post(server.base_url + "/chat/completions", CHAT)
        data = json.loads(body)
        assert status == 200 and data["choices"][0]["message"]["content"] == "[z]"
        assert data["usage"]["prompt_tokens"] > 0
        status, body = post(server.base_url + "/embeddings", {"model": "e", "input": ["a", "b"]})
        assert status == 200 and len(json.loads(body)["data"]) == 2
        assert server.requests == 2
        port = server.port
    with socket.socket() as sock, pytest.raises(ConnectionRefusedError):
        sock.connect(("127.0.0.1", port))  # nothing listens any more


def test_scheduled_faults_come_in_order() -> None:
    """schedule=[429, 500, malformed, truncated] then normal answers."""
    with OpenAIServer(schedule=["429", "500", "malformed", "truncated"]) as server:
        url = server.base_url + "/chat/completions"
        statuses = [post(url, CHAT) for _ in range(5)]
    assert [s for s, _ in statuses] == [429, 500, 200, 200, 200]
    for _, body in statuses[2:4]:
        with pytest.raises(ValueError):
            json.loads(body)
    assert json.loads(statuses[4][1])["choices"][0]["message"]["content"] == "[z]"


def test_fault_rates_are_deterministic() -> None:
    """Rate faults depend on the seed and request number only."""
    server = OpenAIServer(faults={"500": 0.3}, seed=5)
    first = [server._fault(i) for i in range(100)]
    assert first == [OpenAIServer(faults={"500": 0.3}, seed=5)._fault(i) for i in range(100)]
    assert 15 < first.count("500") < 45


def test_unknown_fault_kind_is_rejected() -> None:
    """A typo in a fault name fails at construction."""
    with pytest.raises(ValueError, match="unknown fault"):
        OpenAIServer(faults={"503": 0.1})
