"""Memory retrieval latency: top-10 of recency + importance + relevance, 384-d embeddings.

Part 1: one query over a stream of 10^3, 10^4 and 10^5 records (`simsocial.mind.retrieve`, which
also min-max normalises the three terms and updates last access), against the bare ideal of the
relevance term alone: one float32 matmul and `np.argpartition`. Target: under 5 ms at 10^5.
Part 2: 1,000 agents, each querying its own 10^3-record stream (one `retrieve` per agent, as
a model step does), against the same ideal per agent and a fully batched einsum + argpartition.
Times are medians of repeated runs (wall clock, this machine, whatever else it is doing). The
last column reads the embedding matrix once (`sum`): 10^5 x 384 float32 is 154 MB, so no exact
single query can beat that memory-bandwidth floor. Multithreaded BLAS wakes its second thread
late when the other core is busy, which shows up as a ~8 ms step at 10^4 under load.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from simsocial.mind.memory import MemoryStream
from simsocial.mind.retrieval import retrieve

DIM = 384
K = 10


def unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.standard_normal((n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def make_stream(rng: np.random.Generator, n: int) -> MemoryStream:
    """n records over n / 10 simulated hours with importance 1-10 and random unit embeddings."""
    stream = MemoryStream(DIM)
    vectors = unit_rows(rng, n)
    importance = rng.integers(1, 11, size=n)
    for i in range(n):
        stream.add(f"memory {i}", "observation", i / 10, int(importance[i]), vectors[i])
    return stream


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm caches and BLAS threads
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def ideal(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Relevance only: matmul + argpartition (no normalisation, no other terms, no ordering)."""
    return np.argpartition(-(matrix @ query), K)[:K]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--agents", type=int, default=1_000)
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    query = unit_rows(rng, 1)[0]
    print(f"{'records':>9} {'retrieve ms':>12} {'ideal ms':>9} {'ratio':>6} {'read floor ms':>14}")
    for n in args.sizes:
        stream = make_stream(rng, n)
        now = n / 10 + 1
        ours = median_ms(lambda s=stream, t=now: retrieve(s, query, t, K), args.repeats)
        bare = median_ms(lambda e=stream.embeddings: ideal(e, query), args.repeats)
        floor = median_ms(lambda e=stream.embeddings: e.sum(), args.repeats)
        print(f"{n:>9,} {ours:>12.3f} {bare:>9.3f} {ours / bare:>6.1f} {floor:>14.3f}")

    agents, n = args.agents, 1_000
    streams = [make_stream(rng, n) for _ in range(agents)]
    queries = unit_rows(rng, agents)
    stacked = np.stack([s.embeddings for s in streams])
    now = n / 10 + 1
    repeats = max(3, args.repeats // 10)

    def every_agent() -> None:
        for stream, q in zip(streams, queries, strict=True):
            retrieve(stream, q, now, K)

    def every_agent_ideal() -> None:
        for stream, q in zip(streams, queries, strict=True):
            ideal(stream.embeddings, q)

    def batched_ideal() -> None:
        np.argpartition(-np.einsum("and,ad->an", stacked, queries), K, axis=1)[:, :K]

    ours = median_ms(every_agent, repeats)
    loop = median_ms(every_agent_ideal, repeats)
    batch = median_ms(batched_ideal, repeats)
    print()
    print(f"{agents:,} agents x {n:,} records each: one top-{K} query per agent")
    print(f"{'retrieve per agent':<28} {ours:>9.1f} ms  ({1000 * ours / agents:.1f} us/agent)")
    print(f"{'ideal per agent (loop)':<28} {loop:>9.1f} ms  ratio {ours / loop:.1f}")
    print(f"{'ideal batched (einsum)':<28} {batch:>9.1f} ms  ratio {ours / batch:.1f}")


if __name__ == "__main__":
    main()
