"""What a cache hit costs: the SQLite lookup alone, and a whole answered ask through the gateway.

Target (issue 3): a cache hit costs under 1 ms.

    .venv/bin/python benchmarks/bench_cache.py [--entries 20000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from simsocial.llm import Gateway, LLMConfig, ProviderReply
from simsocial.llm.cache import ResponseCache
from simsocial.testing import OpenAIServer

TARGET_S = 1e-3


def lookup_cost(directory: Path, entries: int) -> float:
    """Median seconds per ResponseCache.get on a committed cache of `entries` replies."""
    cache = ResponseCache(directory / "raw")
    reply = ProviderReply(
        text="[k] because most of my friends think so", prompt_tokens=120, completion_tokens=9
    )
    for i in range(entries):
        cache.put(f"key-{i:08d}", "openai/m", reply)
    cache.flush()
    keys = [f"key-{i:08d}" for i in range(0, entries, max(1, entries // 5000))]
    timings = []
    for key in keys:
        start = time.perf_counter()
        assert cache.get(key) is not None
        timings.append(time.perf_counter() - start)
    cache.close()
    return statistics.median(timings)


def gateway_hit_costs(directory: Path, n: int) -> tuple[float, float]:
    """Seconds per cached ask in one gather of n, and per single synchronous cached call."""
    with OpenAIServer() as server, Gateway() as gw:
        config = LLMConfig(model="openai/m", api_base=server.base_url, cache=str(directory / "gw"))
        session = gw.session(config)
        session.gather([session.ask_complete(f"prompt {i}", temperature=0.0) for i in range(n)])
        assert session.stats()["calls"] == n
        replay = gw.session(config.model_copy(update={"replay": True}))
        asks = [replay.ask_complete(f"prompt {i}", temperature=0.0) for i in range(n)]
        start = time.perf_counter()
        replay.gather(asks)
        batched = (time.perf_counter() - start) / n
        singles = []
        for i in range(200):
            start = time.perf_counter()
            replay.complete(f"prompt {i}", temperature=0.0)
            singles.append(time.perf_counter() - start)
        assert replay.stats()["calls"] == 0 and replay.stats()["cache_hits"] == n + 200
    return batched, statistics.median(singles)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--asks", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lookup = lookup_cost(Path(tmp), args.entries)
        batched, single = gateway_hit_costs(Path(tmp), args.asks)
    rows = [
        (f"SQLite lookup ({args.entries} entries)", lookup),
        (f"cached ask in a gather of {args.asks}", batched),
        ("single sync complete(), cached", single),
    ]
    print(f"\n{'cache hit':<40}{'ours (ms)':>11}{'target (ms)':>13}{'ratio':>8}")
    for name, seconds in rows:
        print(f"{name:<40}{seconds * 1e3:>11.3f}{TARGET_S * 1e3:>13.3f}{seconds / TARGET_S:>8.3f}")
    verdict = "PASS" if max(s for _, s in rows) < TARGET_S else "FAIL"
    print(f"\ntarget: every cache hit under 1 ms (ratio < 1) -> {verdict}")


if __name__ == "__main__":
    main()
