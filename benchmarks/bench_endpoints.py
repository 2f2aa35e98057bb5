"""Gateway throughput with two OpenAI-compatible endpoints against one (`llm.endpoints`).

Each loopback server (a child process) answers at most `--capacity` requests at a time, each
after `--latency` seconds, like an inference server with a fixed number of batch slots: one
server tops out at capacity / latency requests per second. The gateway (max_concurrency above
what two servers can take) gathers the same asks once with one endpoint and once with two;
rounds alternate so a noisy neighbour hits both alike. Ideal ratio: 2.0.

    .venv/bin/python benchmarks/bench_endpoints.py [--requests 1200] [--capacity 8]
"""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import ExitStack

from simsocial.llm import Gateway, LLMConfig
from simsocial.testing import OpenAIServer


def throughput(bases: list[str], requests: int, concurrency: int, tag: str) -> float:
    """Calls per second of one gather of `requests` asks spread over `bases`."""
    with Gateway(max_concurrency=concurrency) as gateway:
        config = LLMConfig(
            model="openai/replica",
            api_base=bases[0],
            endpoints=bases[1:],
            cache="off",
            max_concurrency=concurrency,
        )
        session = gateway.session(config)
        session.complete("warm-up [ok]")  # the connection pool, outside the timing
        asks = [session.ask_complete(f"{tag} request [{i}]") for i in range(requests)]
        start = time.perf_counter()
        answers = session.gather(asks)
        rate = requests / (time.perf_counter() - start)
    assert all(a.ok for a in answers), session.stats()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1200)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--capacity", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ones: list[float] = []
    twos: list[float] = []
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                OpenAIServer(latency_s=args.latency, capacity=args.capacity, process=True)
            )
            for _ in range(2)
        ]
        bases = [server.base_url for server in servers]
        for r in range(args.rounds):
            ones.append(throughput(bases[:1], args.requests, args.concurrency, f"one{r}"))
            twos.append(throughput(bases, args.requests, args.concurrency, f"two{r}"))
        served = [server.requests for server in servers]
    one, two = statistics.median(ones), statistics.median(twos)
    ceiling = args.capacity / args.latency
    print(
        f"\n{args.requests} requests per gather, gateway concurrency {args.concurrency}; each "
        f"server answers {args.capacity} at a time after {args.latency * 1000:.0f} ms "
        f"(ceiling {ceiling:.0f} calls/s per server); median of {args.rounds} alternating rounds\n"
    )
    print("| endpoints | calls/s | share of the ceiling |")
    print("|---|---|---|")
    print(f"| 1 | {one:.0f} | {one / ceiling:.2f} |")
    print(f"| 2 | {two:.0f} | {two / (2 * ceiling):.2f} |")
    print(f"\nratio two/one: {two / one:.2f} (ideal 2.00)")
    print(f"requests each server received (all rounds, warm-ups included): {served}")
    rounds = ", ".join(f"({a:.0f}, {b:.0f})" for a, b in zip(ones, twos, strict=True))
    print(f"per round (one, two calls/s): {rounds}")


if __name__ == "__main__":
    main()
