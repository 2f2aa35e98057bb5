"""Fault injection: SIGKILL a scripted run at random instants, resume it, compare the tables.

    python benchmarks/fault_injection.py --kills 100

Each trial starts `simsocial run` in a subprocess, kills it after a delay drawn uniformly over
the length of an uninterrupted run (start-up included, so early kills happen too), runs
`simsocial resume` and compares every table with a reference run. Prints a tally; exits 1 unless
every trial matched. Then the same for the named kill points of simsocial.faults.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import simsocial
from simsocial.testing import kills

SCENARIO = """\
name: fault_injection
kind: opinion
seed: 5
steps: 30
update: random_sequential
llm:
  model: "scripted/majority?beta=1"
network:
  generator: watts_strogatz
  n: 200
  params: {{k: 6, p: 0.1}}
opinion:
  experiment: dynamics
outputs:
  dir: {out}
  report: false
"""

NAMED = ("step:7", "flush:23", "checkpoint:11", "consolidate:3", "commit", "discard:9")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        scenario = root / "scenario.yaml"
        scenario.write_text(SCENARIO.format(out=root / "runs"))
        reference = kills.tables(
            simsocial.run(simsocial.load_scenario(scenario), out=root / "reference").run_dir
        )
        began = time.perf_counter()
        kills.cli("run", str(scenario), "--out", str(root / "timed"), "--quiet")
        length = time.perf_counter() - began
        print(f"uninterrupted run in a subprocess: {length:.2f} s")
        trials = []
        for i in range(args.kills):
            delay = rng.uniform(0.0, length)
            trial = kills.kill_after(scenario, root / f"random-{i:03d}", delay, reference)
            trials.append(trial)
            if not trial.equal:
                print(
                    f"  trial {i} (kill at {delay:.2f} s): {trial.resume_error or trial.difference}"
                )
        killed = sum(t.killed for t in trials)
        equal = sum(t.equal for t in trials)
        print(
            f"random kills: {equal}/{len(trials)} equal to the uninterrupted run "
            f"({killed} killed mid-run, {len(trials) - killed} had already ended)"
        )
        named_ok = 0
        for point in NAMED:
            trial = kills.kill_at_point(scenario, root / f"named-{point}", point, reference)
            named_ok += trial.killed and trial.equal
            print(f"  {point:<16} killed={trial.killed} equal={trial.equal} {trial.difference}")
        print(f"named kill points: {named_ok}/{len(NAMED)}")
    return 0 if equal == len(trials) and named_ok == len(NAMED) else 1


if __name__ == "__main__":
    raise SystemExit(main())
