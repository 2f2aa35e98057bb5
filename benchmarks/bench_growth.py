"""Network growth: LLM calls per arriving node, prompt size per call as N grows, and nodes/s.

Part 1 grows networks of increasing N with the scripted preferential picker, once with every
existing node shown (K = all) and once with a sampled candidate list (K = 30), and reads the
calls and prompt tokens from llm_calls.parquet (the scripted provider counts a token per 4
characters). The reference for calls per node is m (one call per link, no re-asks); with K = all
the prompt grows linearly with N, with K = 30 it stays flat.

Part 2 is end to end (spec -> Parquet) at N = 10,000, m = 2, K = 30 on the scripted provider,
against the same growth rule run without any LLM (`simsocial.scenarios.growth.process.grow`,
the reference): the ratio is what the prompt/parse/gateway/logging path costs per node.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import mesa  # noqa: F401  (imported up front: its import is not per-node cost)

import simsocial
from simsocial.scenarios.growth.process import grow
from simsocial.spec import parse_scenario

M = 2


def grow_run(root: Path, n: int, shown: int, arrivals_per_step: int) -> tuple[float, object]:
    """Run the growth scenario; (wall seconds, Result)."""
    spec = parse_scenario(
        {
            "name": f"bench_growth_{n}_{shown}",
            "kind": "growth",
            "seed": 1,
            "steps": -(-(n - M - 1) // arrivals_per_step),
            "llm": {"model": "scripted/degree?offset=0", "temperature": 1.0},
            "growth": {
                "n": n,
                "m": M,
                "arrivals_per_step": arrivals_per_step,
                "candidates": {"max_shown": shown},
            },
            "outputs": {"dir": str(root), "report": False},
        }
    )
    start = time.perf_counter()
    result = simsocial.run(spec)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--big", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print(f"{'N':>7} {'K':>5} {'calls/node':>11} {'ref (m)':>8} {'tokens/call':>12}"
              f" {'max tokens':>11}")  # fmt: skip
        for n in args.sizes:
            for shown in (n, 30):
                _, result = grow_run(root, n, shown, max(1, n // 20))
                calls = result.llm_calls
                arrivals = n - M - 1
                print(
                    f"{n:>7,} {'all' if shown == n else shown:>5} {len(calls) / arrivals:>11.2f} "
                    f"{M:>8} {calls.prompt_tokens.mean():>12.0f} {calls.prompt_tokens.max():>11,}"
                )
        n = args.big
        wall, result = grow_run(root, n, 30, n // 100)
        start = time.perf_counter()
        grow(n, M, 1, "degree", shown=30)
        reference = time.perf_counter() - start
        ours, ideal = (n - M - 1) / wall, (n - M - 1) / reference
        print()
        print(f"{'end to end, N = ' + format(n, ','):<28} {'nodes/s':>9} {'calls/s':>9}")
        print(
            f"{'simsocial run (scripted)':<28} {ours:>9,.0f} {len(result.llm_calls) / wall:>9,.0f}"
        )
        print(f"{'growth rule, no LLM (ref)':<28} {ideal:>9,.0f} {'-':>9}")
        print(f"{'ratio ours / reference':<28} {ours / ideal:>9.2f}")


if __name__ == "__main__":
    main()
