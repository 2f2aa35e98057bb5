"""End to end: a scenario file becomes a run directory; a killed run resumes to the same result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import simsocial
from simsocial.analysis import load_run

DYNAMICS = """\
name: consensus_test
kind: opinion
seed: 11
steps: {steps}
update: random_sequential
llm:
  model: "scripted/majority?beta={beta}"
network:
  generator: {generator}
  n: {n}
  params: {params}
opinion:
  experiment: dynamics
outputs:
  dir: {out}
  report: false
"""

VOLATILE = ["latency_s", "run_id"]


def write_dynamics(
    tmp_path: Path, *, n: int = 60, steps: int = 40, beta: float = 8.0, complete: bool = False
) -> Path:
    path = tmp_path / "dynamics.yaml"
    network = ("complete", "{}") if complete else ("watts_strogatz", "{k: 6, p: 0.1}")
    text = DYNAMICS.format(
        steps=steps, beta=beta, n=n, out=tmp_path / "runs", generator=network[0], params=network[1]
    )
    path.write_text(text)
    return path


def tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    run = load_run(run_dir)
    return {
        "events": run.events,
        "model": run.model,
        "agents": run.agents,
        "llm_calls": run.llm_calls.drop(columns=VOLATILE),
    }


def test_strong_majority_reaches_consensus(tmp_path):
    """With the scripted tanh policy at beta = 8 the group agrees, and T_c/N is recorded."""
    spec = simsocial.load_scenario(write_dynamics(tmp_path, complete=True))
    result = simsocial.run(spec)
    assert result.status == "completed"
    consensus = result.events[result.events.kind == "consensus"]
    assert len(consensus) == 1
    payload = json.loads(consensus.payload.iloc[0])
    assert abs(payload["m"]) == 1.0 and payload["tc_over_n"] > 0
    assert result.model["consensus"].iloc[-1]
    assert len(result.llm_calls) == payload["t"]  # one call per single-agent update


def test_same_seed_same_outputs(tmp_path):
    """Two runs of one spec write identical tables (reproducible to the row)."""
    spec = simsocial.load_scenario(write_dynamics(tmp_path, steps=3, beta=1.0))
    first = tables(simsocial.run(spec, out=tmp_path / "a").run_dir)
    second = tables(simsocial.run(spec, out=tmp_path / "b").run_dir)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])


@pytest.mark.slow
def test_kill_9_then_resume_equals_uninterrupted(tmp_path):
    """SIGKILL mid-run, `simsocial resume`, and the outputs equal an uninterrupted run."""
    scenario = write_dynamics(tmp_path, n=400, steps=30, beta=0.3)
    reference = simsocial.run(simsocial.load_scenario(scenario), out=tmp_path / "reference")
    killed_dir = tmp_path / "killed"
    cli = [sys.executable, "-m", "simsocial.cli"]
    proc = subprocess.Popen([*cli, "run", str(scenario), "--out", str(killed_dir), "--quiet"])
    manifest = killed_dir / "manifest.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if manifest.exists() and json.loads(manifest.read_text()).get("steps_done", 0) >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    status = json.loads(manifest.read_text())
    assert status["status"] == "running" and status["steps_done"] < 30, "kill came too late"
    done = subprocess.run(
        [*cli, "resume", str(killed_dir), "--quiet"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    resumed, expected = tables(killed_dir), tables(reference.run_dir)
    for name in expected:
        pd.testing.assert_frame_equal(resumed[name], expected[name])


def test_the_manifest_lists_only_the_templates_the_run_used(tmp_path):
    """A process that has loaded the mind (its templates registered) runs an opinion scenario:
    the manifest lists the opinion prompt and the choose wrapper, none of the mind's."""
    import simsocial.mind  # registers the mind's templates in this process
    from simsocial.llm.prompts import all_templates

    assert any(name.startswith("mind.") for name in all_templates())
    spec = simsocial.load_scenario(write_dynamics(tmp_path, steps=2, beta=1.0))
    listed = simsocial.run(spec).manifest["prompt_templates"]
    assert "opinion.template" in listed
    assert not any(name.startswith("mind.") for name in listed)
