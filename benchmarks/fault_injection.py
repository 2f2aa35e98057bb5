"""Fault injection: SIGKILL a scripted run at random instants, resume it, compare the tables.

    python benchmarks/fault_injection.py --kills 100

Each trial starts `simsocial run` in a subprocess, kills it after a delay drawn uniformly over
the length of an uninterrupted run (start-up included, so early kills happen too), runs
`simsocial resume` and compares every table with a reference run. Prints a tally; exits 1 unless
every trial matched. Then the same for the named kill points of simsocial.faults, and
`--writers` trials of two `simsocial run --out SAME` (and two sweeps on one directory) started at
the same instant: one writes, the other is refused in one line, and nothing is mixed.
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
    parser.add_argument("--writers", type=int, default=20)
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
        writers_ok = sum(
            _writers_trial(scenario, root / f"writers-{i:02d}", reference, "run")
            for i in range(args.writers)
        )
        print(f"two runs on one directory: {writers_ok}/{args.writers} one written, one refused")
        sweeps_ok = sum(
            _writers_trial(_sweep_file(root, i), root / "sweeps" / f"s{i}", reference, "sweep")
            for i in range(args.writers)
        )
        print(f"two sweeps on one directory: {sweeps_ok}/{args.writers} one ran, one refused")
    perfect = equal == len(trials) and named_ok == len(NAMED)
    return 0 if perfect and writers_ok == sweeps_ok == args.writers else 1


def _sweep_file(root: Path, i: int) -> Path:
    path = root / f"sweep-{i}.yaml"
    path.write_text(
        f"sweep: s{i}\nscenario: scenario.yaml\nout: {root / 'sweeps'}\ngrid: {{seed: [1, 2, 3]}}\n"
    )
    return path


def _writers_trial(target: Path, out: Path, reference: dict, command: str) -> bool:
    """One trial: exactly one writer succeeded and what it wrote is whole (a run equal to the
    reference; a sweep whose table agrees with every run's manifest)."""
    succeeded, problem = kills.two_writers(target, out, reference, command)
    if command == "sweep" and not problem:
        problem = _sweep_disagreement(out)
    if problem or succeeded != 1:
        print(f"  {command} trial {out.name}: {succeeded} succeeded; {problem}")
    return succeeded == 1 and not problem


def _sweep_disagreement(sweep_dir: Path) -> str:
    import pandas as pd

    from simsocial.store import RunStore

    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    for row in table.itertuples():
        store = RunStore(sweep_dir / row.run)
        manifest = store.read_manifest()
        if manifest["status"] != row.status:
            return f"{row.run}: sweep.parquet says {row.status}, its manifest {manifest['status']}"
        store.verify_tables(manifest["tables"])
    return ""


if __name__ == "__main__":
    raise SystemExit(main())
