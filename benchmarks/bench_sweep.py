"""Replicates share the gateway: a sweep of 20 LLM-bound replicates vs one replicate.

Each replicate is strictly sequential majority dynamics (complete graph, so every update waits
for the previous one): N = 10 agents, one step = 10 calls in a row against a loopback
OpenAI-compatible server answering after 200 ms. Alone it takes about 10 x 0.2 s; twenty of them
run as concurrent models on one gateway should take barely longer. Target: sweep / single <= 1.5.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import mesa  # noqa: F401  (imported up front: not part of either measurement)

import simsocial
from simsocial.testing import OpenAIServer

SCENARIO = """\
name: bench_sweep
kind: opinion
seed: 1
steps: 1
update: random_sequential
llm: {{model: openai/bench, api_base: "{base}", cache: "off", max_concurrency: 200}}
network: {{generator: complete, n: 10}}
opinion:
  experiment: dynamics
  template: "Your friends and their opinions:\n{{friends}}\nReply with [k] or [z]."
outputs: {{report: false}}
"""


def main() -> None:
    replicates = 20
    with OpenAIServer(latency_s=0.2, process=True) as server, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "s.yaml").write_text(SCENARIO.format(base=server.base_url))
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
        calls = int(single.manifest["llm"]["calls"])
        statuses = result.table.status.value_counts().to_dict()
    print("| replicates | calls each | one replicate s | sweep s | sweep/one | target |")
    print("|---|---|---|---|---|---|")
    ratio = many / one
    print(
        f"| {replicates} | {calls} | {one:.2f} | {many:.2f} | {ratio:.2f} | "
        f"<= 1.5 {'met' if ratio <= 1.5 else 'MISSED'} |"
    )
    print(f"run statuses: {statuses}")


if __name__ == "__main__":
    main()
