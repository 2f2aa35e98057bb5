"""Replicates share the gateway: a sweep of 20 LLM-bound replicates vs one replicate.

Each replicate is strictly sequential majority dynamics (complete graph, so every update waits
for the previous one): N = 10 agents, one step = 10 calls in a row against a loopback
OpenAI-compatible server answering after 200 ms. Alone it takes about 10 x 0.2 s; twenty of them
run as concurrent models on one gateway should take barely longer. Target: sweep / single <= 1.5.
A second row uses 3 steps (30 calls in a row), closer to real runs, where the fixed per-run cost
(set-up, consolidating Parquet, the summary: ~40 ms of CPU each, serialised by the GIL) weighs less.
One-off imports are done before either measurement: mesa, and scipy (through the opinion
analysis, which the sweep's summaries use and a lone run without a report does not): it takes
~0.6 s once per process, and would otherwise be charged to the sweep alone.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import mesa  # noqa: F401  (imported up front: not part of either measurement)

import simsocial
import simsocial.analysis.opinion  # scipy: see above
from simsocial.testing import OpenAIServer

SCENARIO = """\
name: bench_sweep
kind: opinion
seed: 1
steps: {steps}
update: random_sequential
llm: {{model: openai/bench, api_base: "{base}", cache: "off", max_concurrency: 200}}
network: {{generator: complete, n: 10}}
opinion:
  experiment: dynamics
  template: "Your friends and their opinions:\n{{friends}}\nReply with [k] or [z]."
outputs: {{report: false}}
"""


def measure(server: OpenAIServer, root: Path, steps: int, replicates: int) -> dict[str, object]:
    """Wall time of one replicate, then of a sweep of `replicates` of them."""
    root.mkdir()
    (root / "s.yaml").write_text(SCENARIO.format(base=server.base_url, steps=steps))
    (root / "sweep.yaml").write_text(
        f"sweep: b\nscenario: s.yaml\nreplicates: {replicates}\n"
        f"max_parallel: {replicates}\nout: {root / 'out'}\n"
    )
    spec = simsocial.load_scenario(root / "s.yaml", overrides={"outputs.dir": str(root)})
    start = time.perf_counter()
    single = simsocial.run(spec)
    one = time.perf_counter() - start
    start = time.perf_counter()
    result = simsocial.sweep(root / "sweep.yaml")
    many = time.perf_counter() - start
    return {
        "calls": int(single.manifest["llm"]["calls"]),
        "one": one,
        "many": many,
        "statuses": result.table.status.value_counts().to_dict(),
    }


def main() -> None:
    replicates = 20
    print("| replicates | calls each | one replicate s | sweep s | sweep/one | target |")
    print("|---|---|---|---|---|---|")
    with OpenAIServer(latency_s=0.2, process=True) as server, tempfile.TemporaryDirectory() as tmp:
        for steps in (1, 3):
            row = measure(server, Path(tmp) / f"steps{steps}", steps, replicates)
            ratio = float(row["many"]) / float(row["one"])
            print(
                f"| {replicates} | {row['calls']} | {row['one']:.2f} | {row['many']:.2f} | "
                f"{ratio:.2f} | <= 1.5 {'met' if ratio <= 1.5 else 'MISSED'} |"
            )
            print(f"run statuses: {row['statuses']}")


if __name__ == "__main__":
    main()
