"""Framework overhead: agent decisions per second end to end (spec -> Parquet), scripted model.

N = 1,000 agents on a Watts-Strogatz network run majority dynamics (random_sequential, batched by
independent sets) against the scripted tanh policy, so no model latency hides our own cost. The
reference ("ideal") is the same policy evaluated in a bare loop on the same prompts' inputs:
the ratio says how much the framework adds. Time is split into gateway, Mesa stepping and
logging by timing wrappers. Target: >= 2,000 decisions/s.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import mesa  # noqa: F401  (imported up front: its 1-4 s import is not per-decision cost)
import numpy as np

import simsocial
from simsocial.llm.session import Session
from simsocial.spec import parse_scenario
from simsocial.store import RunStore

TIMERS: dict[str, float] = defaultdict(float)


def timed(owner: type, name: str, bucket: str) -> None:
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            TIMERS[bucket] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def ideal_rate(n_decisions: int, degree: int, beta: float) -> float:
    """The policy alone: count the neighbours' opinions, draw from (1 + tanh(beta m)) / 2."""
    rng = np.random.default_rng(0)
    opinions = rng.integers(0, 2, size=1000)
    start = time.perf_counter()
    for _ in range(n_decisions):
        neighbours = opinions[rng.integers(0, 1000, size=degree)]
        m = (2 * neighbours.sum() - degree) / degree
        _ = rng.random() < (1 + np.tanh(beta * m)) / 2
    return n_decisions / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = parse_scenario(
            {
                "name": "bench_decisions",
                "kind": "opinion",
                "seed": 1,
                "steps": args.steps,
                "update": "random_sequential",
                "llm": {"model": "scripted/majority?beta=0.5"},
                "network": {
                    "generator": "watts_strogatz",
                    "n": args.n,
                    "params": {"k": 10, "p": 0.1},
                },
                "opinion": {"experiment": "dynamics"},
                "outputs": {"dir": str(Path(tmp) / "runs"), "report": False},
            }
        )
        timed(Session, "gather", "gateway")
        for name in ("flush", "consolidate", "save_checkpoint", "add_calls", "log_event"):
            timed(RunStore, name, "logging")
        start = time.perf_counter()
        result = simsocial.run(spec)
        wall = time.perf_counter() - start
    decisions = int(result.manifest["llm"]["calls"]) + int(
        result.manifest["llm"].get("cache_hits", 0)
    )
    ours = decisions / wall
    ideal = ideal_rate(decisions, 10, 0.5)
    other = wall - TIMERS["gateway"] - TIMERS["logging"]
    print("| N | decisions | wall s | ours dec/s | ideal dec/s | ours/ideal | target 2000 |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.n} | {decisions} | {wall:.2f} | {ours:,.0f} | {ideal:,.0f} | "
        f"{ours / ideal:.3f} | {'met' if ours >= 2000 else 'MISSED'} |"
    )
    print()
    print(
        "| share of wall time | gateway | logging (events, calls, Parquet, checkpoint) "
        "| Mesa stepping + prompts |"
    )
    print("|---|---|---|---|")
    print(
        f"| | {TIMERS['gateway'] / wall:.0%} | {TIMERS['logging'] / wall:.0%} "
        f"| {other / wall:.0%} |"
    )


if __name__ == "__main__":
    main()
