"""Gateway throughput on the OpenAI HTTP fast path vs a raw aiohttp client, in the same run.

Target (issue 3): at concurrency 200 against a loopback server answering after 200 ms, the
gateway reaches at least 0.8x the raw client's calls/s. The litellm path is measured too, for
comparison. The server runs in a child process so it does not share the client's GIL.

    .venv/bin/python benchmarks/bench_gateway_http.py [--requests 2000] [--litellm-requests 400]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

import aiohttp

from simsocial.llm import Gateway, LLMConfig, ProviderRequest
from simsocial.llm.providers.openai_http import request_body
from simsocial.testing import OpenAIServer


def prompts(n: int, tag: str) -> list[str]:
    return [f"{tag} request {i}: answer with [ok]" for i in range(n)]


async def raw_client(url: str, n: int, concurrency: int, tag: str) -> tuple[float, float]:
    """The reference: POST the same JSON with one aiohttp session and a semaphore.
    Returns (calls/s, client CPU ms per call)."""
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=0)
    headers = {"Content-Type": "application/json"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as client:

        async def one(prompt: str) -> None:
            messages = [{"role": "user", "content": prompt}]
            body = request_body(ProviderRequest(model="openai/bench", messages=messages), "bench")
            async with semaphore, client.post(url, data=json.dumps(body)) as response:
                data = json.loads(await response.read())
                assert data["choices"][0]["message"]["content"] == "[ok]"

        start, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(p) for p in prompts(n, tag)))
        return n / (time.perf_counter() - start), (time.process_time() - cpu) / n * 1e3


def gateway_run(
    model: str, base_url: str, n: int, concurrency: int, tag: str
) -> tuple[float, float]:
    """The gateway, asks prepared and gathered as a simulation step does.
    Returns (calls/s, client CPU ms per call)."""
    with Gateway(max_concurrency=concurrency) as gw:
        config = LLMConfig(model=model, api_base=base_url, cache="off", max_concurrency=concurrency)
        session = gw.session(config)
        session.complete("warm-up")  # builds the provider (litellm: imports it) outside the timing
        start, cpu = time.perf_counter(), time.process_time()
        answers = session.gather([session.ask_complete(p) for p in prompts(n, tag)])
        rate = n / (time.perf_counter() - start)
        cpu_ms = (time.process_time() - cpu) / n * 1e3
        assert all(a.text == "[ok]" for a in answers), session.stats()
    return rate, cpu_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--litellm-requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-litellm", action="store_true")
    args = parser.parse_args()

    raws, ours, lites = [], [], []
    with OpenAIServer(latency_s=args.latency, process=True) as server:
        url = server.base_url + "/chat/completions"
        for r in range(args.rounds):  # alternate, so a noisy neighbour hits both alike
            raws.append(asyncio.run(raw_client(url, args.requests, args.concurrency, f"raw{r}")))
            ours.append(
                gateway_run(
                    "openai/bench", server.base_url, args.requests, args.concurrency, f"gw{r}"
                )
            )
        if not args.skip_litellm:
            model = "litellm/openai/bench"
            lites.append(
                gateway_run(model, server.base_url, args.litellm_requests, args.concurrency, "lite")
            )

    def median(rows: list[tuple[float, float]], i: int) -> float:
        return statistics.median(row[i] for row in rows)

    reference, reference_cpu = median(raws, 0), median(raws, 1)
    print(
        f"\nconcurrency {args.concurrency}, server latency {args.latency * 1000:.0f} ms, "
        f"{args.requests} requests per client and round, median of {args.rounds} alternating "
        "rounds (server in a child process)\n"
    )
    print(f"{'path':<32}{'calls/s':>9}{'raw aiohttp':>13}{'ratio':>7}{'CPU ms/call':>13}{'raw':>7}")
    rows = [("gateway, openai-http fast path", ours)] + (
        [("gateway, litellm path", lites)] if lites else []
    )
    for name, runs in rows:
        rate, cpu = median(runs, 0), median(runs, 1)
        print(
            f"{name:<32}{rate:>9.0f}{reference:>13.0f}{rate / reference:>7.2f}"
            f"{cpu:>13.2f}{reference_cpu:>7.2f}"
        )
    print(
        "\nper round (raw, gateway calls/s): "
        + ", ".join(f"({a[0]:.0f}, {b[0]:.0f})" for a, b in zip(raws, ours, strict=True))
    )
    verdict = "PASS" if median(ours, 0) / reference >= 0.8 else "FAIL"
    print(f"target: fast path >= 0.8x raw aiohttp -> {verdict}")


if __name__ == "__main__":
    main()
