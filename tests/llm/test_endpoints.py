"""One run's calls spread over several OpenAI-compatible endpoints (`llm.endpoints`).

Every test starts its own loopback servers (simsocial.testing.OpenAIServer, threads on
127.0.0.1) and stops them when it ends; each is bounded by the gateway timeout and a few hundred
requests at most.
"""

from __future__ import annotations

import socket
from typing import Any

import pandas as pd
import pytest
import yaml

import simsocial
from simsocial.llm import Gateway, LLMConfig
from simsocial.llm.preflight import PreflightError, preflight
from simsocial.spec import parse_scenario
from simsocial.testing import OpenAIServer


def spread_config(first: str, *more: str, **keys: Any) -> LLMConfig:
    keys.setdefault("cache", "off")
    return LLMConfig(model="openai/replica", api_base=first, endpoints=list(more), **keys)


def closed_port_url() -> str:
    """A base URL where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_calls_are_spread_over_two_servers_and_answered_as_by_one(gateway: Gateway) -> None:
    """200 asks, 16 in flight, two equal servers: each takes 40-60% of them, and the answers
    and records are those of the same asks sent to one server."""
    prompts = [f"question [{i}]" for i in range(200)]
    gateway.set_max_concurrency(16)
    with OpenAIServer(latency_s=0.01) as one, OpenAIServer(latency_s=0.01) as two:
        session = gateway.session(spread_config(one.base_url, two.base_url))
        spread = session.gather([session.ask_complete(p) for p in prompts])
        counts = (one.requests, two.requests)
    with OpenAIServer(latency_s=0.01) as alone:
        single = gateway.session(spread_config(alone.base_url))
        reference = single.gather([single.ask_complete(p) for p in prompts])
    assert [a.text for a in spread] == [a.text for a in reference] == [f"[{i}]" for i in range(200)]
    assert [a.record.request_hash for a in spread] == [a.record.request_hash for a in reference]
    assert sum(counts) == 200 and min(counts) >= 80
    assert session.stats()["calls"] == 200 and session.stats()["retries"] == 0


def test_a_faster_server_takes_more_of_the_calls(gateway: Gateway) -> None:
    """The fewest calls in flight wins: a server answering 25x faster takes most of them."""
    gateway.set_max_concurrency(8)
    with OpenAIServer(latency_s=0.002) as fast, OpenAIServer(latency_s=0.05) as slow:
        session = gateway.session(spread_config(fast.base_url, slow.base_url))
        answers = session.gather([session.ask_complete(f"q [{i}]") for i in range(160)])
        assert all(a.ok for a in answers)
        assert fast.requests > 1.5 * slow.requests


def test_an_endpoint_that_refuses_connections_rests_and_the_others_answer(
    gateway: Gateway,
) -> None:
    """A dead replica: its calls fail with 'connection', are retried on the live one, and it
    is skipped while it rests; every ask is answered."""
    with OpenAIServer(latency_s=0.005) as live:
        session = gateway.session(spread_config(closed_port_url(), live.base_url, retries=3))
        answers = session.gather([session.ask_complete(f"q [{i}]") for i in range(60)])
        stats = session.stats()
        served = live.requests
    assert [a.text for a in answers] == [f"[{i}]" for i in range(60)]
    assert served == 60
    assert 1 <= stats["retries"] <= 10  # a few were sent to the dead one before it rested


def test_a_whole_run_spread_over_two_servers_equals_one_server(tmp_path, gateway) -> None:
    """An opinion run whose calls go to two servers writes the tables of a one-server run."""

    def answer(body: dict[str, Any]) -> str:  # both replicas: the label of the first friend
        prompt = body["messages"][-1]["content"]
        return "[" + prompt.split("\n")[3].split(": ")[1] + "]"

    def run(out: str, *servers: OpenAIServer) -> simsocial.Result:
        data = {
            "name": "spread",
            "kind": "opinion",
            "seed": 3,
            "steps": 2,
            "update": "synchronous",
            "llm": {
                "model": "openai/replica",
                "api_base": servers[0].base_url,
                "endpoints": [s.base_url for s in servers[1:]],
                "cache": "off",
                "temperature": 0.7,
            },
            "network": {"generator": "watts_strogatz", "n": 60, "params": {"k": 4, "p": 0.1}},
            "opinion": {"experiment": "dynamics"},
            "outputs": {"dir": str(tmp_path / out), "report": False},
        }
        return simsocial.run(parse_scenario(data), gateway=gateway)

    with OpenAIServer(answer=answer) as one, OpenAIServer(answer=answer) as two:
        spread = run("spread", one, two)
        assert one.requests > 0 and two.requests > 0
    with OpenAIServer(answer=answer) as alone:
        single = run("single", alone)
    assert spread.status == single.status == "completed"
    for table in ("events", "agents", "model"):
        assert spread.table(table).equals(single.table(table))
    volatile = ["latency_s", "run_id"]
    calls = spread.llm_calls.drop(columns=volatile)
    assert calls.equals(single.llm_calls.drop(columns=volatile))
    assert len(calls) == 120 and calls.error_kind.isna().all()


def test_endpoints_need_the_http_path() -> None:
    """Replicas are spread by the OpenAI HTTP path only; elsewhere they are refused."""
    with pytest.raises(ValueError, match=r"llm\.endpoints needs llm\.api_base"):
        LLMConfig(model="openai/x", endpoints=["http://127.0.0.1:1/v1"])
    with pytest.raises(ValueError, match=r"llm\.endpoints needs llm\.api_base"):
        LLMConfig(model="scripted/random", endpoints=["http://127.0.0.1:1/v1"])


def test_preflight_probes_every_endpoint() -> None:
    """A replica nobody listens on is named before the run starts."""
    dead = closed_port_url()
    with OpenAIServer(models=["replica"]) as server:
        preflight([spread_config(server.base_url, server.base_url)], timeout=5)
        with pytest.raises(PreflightError, match=r"cannot reach .* fix llm.endpoints"):
            preflight([spread_config(server.base_url, dead)], timeout=5)


def test_a_sweep_on_local_ray_spreads_every_run_over_the_endpoints(tmp_path) -> None:
    """Several processes (Ray workers) share two replicas: every run's calls reach both, and
    the sweep's table is the one a single server gives."""
    pytest.importorskip("ray")

    def answer(body: dict[str, Any]) -> str:  # both replicas: the label of the first friend
        prompt = body["messages"][-1]["content"]
        return "[" + prompt.split("\n")[3].split(": ")[1] + "]"

    def sweep(folder: str, *servers: OpenAIServer) -> Any:
        root = tmp_path / folder
        root.mkdir()
        llm = {
            "model": "openai/replica",
            "api_base": servers[0].base_url,
            "endpoints": [s.base_url for s in servers[1:]],
            "cache": "off",
            "temperature": 0.7,
            "timeout": 20,  # a stalled call is retried, not waited on for a minute
        }
        scenario = {
            "name": "spread",
            "kind": "opinion",
            "steps": 2,
            "llm": llm,
            "network": {"generator": "watts_strogatz", "n": 40, "params": {"k": 4, "p": 0.1}},
            "opinion": {"experiment": "dynamics"},
            "outputs": {"report": False},
        }
        (root / "spread.yaml").write_text(yaml.safe_dump(scenario))
        path = root / "sweep.yaml"
        path.write_text(
            f"sweep: s\nscenario: spread.yaml\nout: {root / 'out'}\nseed: 2\nreplicates: 3\n"
            "max_parallel: 3\nmetrics: [final_m]\n"
        )
        return simsocial.sweep(path, backend="ray").table

    with OpenAIServer(answer=answer) as one, OpenAIServer(answer=answer) as two:
        spread = sweep("spread", one, two)
        counts = (one.requests, two.requests)
    with OpenAIServer(answer=answer) as alone:
        single = sweep("single", alone)
    assert set(spread.status) == {"completed"}
    assert sum(counts) == 3 * 2 * 40 and min(counts) > 0
    metrics = [c for c in spread.columns if c.startswith("metric.") or c == "seed"]
    pd.testing.assert_frame_equal(spread[metrics], single[metrics])
