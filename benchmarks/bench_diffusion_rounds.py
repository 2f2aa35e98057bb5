"""Diffusion with minds against a slow loopback server: does a day cost rounds, not agents?

The gossip twin (`scripted/gossip`) answers behind an OpenAI-compatible loopback server with
200 ms latency; 25 villagers on a complete graph reflect (threshold lowered so they do) and plan.
Per simulated day: wall time, the number of sequential rounds that reached the server (gathers
with at least one remote ask), the target rounds x latency x 1.3, and the server's peak of
concurrent requests (it must reach the number of agents acting at once, not 1).

    .venv/bin/python benchmarks/bench_diffusion_rounds.py [--agents 25 --days 2 --latency 0.2]

Run the same script with PYTHONPATH pointing at an older checkout to measure "before".
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import time
from typing import Any

from simsocial.llm import Gateway
from simsocial.llm.scripted import ScriptedProvider
from simsocial.llm.types import ProviderRequest
from simsocial.scenarios.diffusion.model import DiffusionModel
from simsocial.spec import parse_scenario
from simsocial.testing.openai_server import OpenAIServer

TWIN = "scripted/gossip?p=0.5&about=mayor"


class PeakServer(OpenAIServer):
    """The loopback server, counting chat requests in flight and their peak."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.in_flight = 0
        self.peak = 0

    async def _chat(self, request: Any) -> Any:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            return await super()._chat(request)
        finally:
            self.in_flight -= 1


def twin_answer() -> Any:
    """The server's reply: what the scripted gossip twin says to the same request."""
    provider = ScriptedProvider(TWIN)
    pool = concurrent.futures.ThreadPoolExecutor(1)

    def answer(body: dict[str, Any]) -> str:
        response_format = body.get("response_format") or {}
        schema = (response_format.get("json_schema") or {}).get("schema")
        request = ProviderRequest(
            model=TWIN,
            messages=body["messages"],
            temperature=float(body.get("temperature", 1.0)),
            max_tokens=int(body.get("max_tokens") or 64),
            json_schema=schema,
        )
        return pool.submit(asyncio.run, provider.complete(request)).result().text

    return answer


def spec(agents: int, days: int, base_url: str) -> Any:
    return parse_scenario(
        {
            "name": "bench_rounds",
            "kind": "diffusion",
            "seed": 7,
            "steps": days,
            "llm": {
                "model": "openai/gossip",
                "api_base": base_url,
                "temperature": 1.0,
                "embedding_model": "hash",
                "cache": "off",
                "max_concurrency": 128,
            },
            "network": {"generator": "complete", "n": agents},
            "diffusion": {"turns": 2, "rounds_per_day": 2},
            "mind": {"reflection_threshold": 20, "planning": True},
            "outputs": {"report": False},
        }
    )


def counting(session: Any) -> list[int]:
    """Count outermost gathers that carry at least one ask for the server."""
    rounds, depth, gather = [0], [0], session.gather

    def wrapped(asks: Any, *a: Any, **kw: Any) -> Any:
        remote = any(getattr(ask, "verb", "") != "embed" for ask in asks)
        depth[0] += 1
        try:
            if depth[0] == 1 and remote:
                rounds[0] += 1
            return gather(asks, *a, **kw)
        finally:
            depth[0] -= 1

    session.gather = wrapped
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=25)
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.2)
    args = parser.parse_args()
    with PeakServer(latency_s=args.latency, answer=twin_answer()) as server:
        scenario = spec(args.agents, args.days, server.base_url)
        gateway = Gateway(max_concurrency=128)
        try:
            session = gateway.session(scenario.llm, run_id="bench", stream=scenario.seed)
            rounds = counting(session)
            model = DiffusionModel(scenario, session)
            rows = []
            for day in range(args.days):
                server.peak, before, start = 0, rounds[0], time.perf_counter()
                model.step_index = day
                model.step()
                wall = time.perf_counter() - start
                n = rounds[0] - before
                rows.append((day + 1, wall, n, n * args.latency * 1.3, server.peak))
            reflections = sum(a.mind.reflector.stats.reflections for a in model.villagers)
        finally:
            gateway.close()
    print(f"{args.agents} agents, latency {args.latency * 1000:.0f} ms, reflections {reflections}")
    print("| day | wall s | remote rounds | target s (rounds x lat x 1.3) | ratio | peak |")
    print("|---|---|---|---|---|---|")
    for day, wall, n, target, peak in rows:
        ratio = wall / (n * args.latency) if n else float("nan")
        print(f"| {day} | {wall:.2f} | {n} | {target:.2f} | {ratio:.2f} | {peak} |")


if __name__ == "__main__":
    main()
