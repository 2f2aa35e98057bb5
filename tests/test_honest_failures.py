"""A run says what happened: it refuses a dead model up front, stops when the model dies, never
calls lost decisions `completed`, and continues when given more budget."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import simsocial
from simsocial.cli import main
from simsocial.store import RunStore
from simsocial.testing import OpenAIServer

DYNAMICS = """\
name: honest
kind: opinion
seed: 3
steps: {steps}
update: synchronous
llm:
  model: "{model}"
  {extra}
network: {{generator: watts_strogatz, n: 12, params: {{k: 4, p: 0.2}}}}
opinion: {{experiment: dynamics}}
outputs: {{dir: {out}, report: false}}
"""


def scenario(
    tmp_path: Path, model: str = "scripted/majority?beta=1", steps: int = 4, **llm: object
) -> Path:
    extra = "\n  ".join(f"{k}: {v}" for k, v in llm.items())
    path = tmp_path / "honest.yaml"
    path.write_text(DYNAMICS.format(steps=steps, model=model, extra=extra, out=tmp_path / "runs"))
    return path


def always_k(body: dict) -> str:
    """The opinion prompt shows options k and z; this server always answers k."""
    return "k"


def test_a_server_that_refuses_every_call_stops_the_run_before_step_0(tmp_path, capsys):
    """401 to everything: one line, exit 2, in well under 2 s, and no run directory."""
    with OpenAIServer(status=401) as server:
        path = scenario(tmp_path, "openai/test", api_base=server.base_url)
        began = time.perf_counter()
        code = main(["run", str(path), "--out", str(tmp_path / "r"), "--quiet"])
        elapsed = time.perf_counter() - began
    err = capsys.readouterr().err.strip()
    assert code == 2 and elapsed < 2.0 and server.requests == 0  # the probe only: no chat call
    assert len(err.splitlines()) == 1 and "401" in err
    assert not (tmp_path / "r").exists()


def test_a_server_that_hangs_trips_the_breaker_and_the_run_resumes_later(tmp_path, capsys):
    """Every call hangs: the run stops within about K x timeout with status failed; resumed
    against a live server it completes."""
    timeout, k = 0.4, 4
    with OpenAIServer(hang=True, hang_s=30) as server:
        path = scenario(
            tmp_path, "openai/test", api_base=server.base_url, timeout=timeout, retries=1,
            breaker=f"{{consecutive: {k}}}",
        )  # fmt: skip
        began = time.perf_counter()
        code = main(["run", str(path), "--out", str(tmp_path / "r"), "--quiet"])
        elapsed = time.perf_counter() - began
    manifest = RunStore(tmp_path / "r").read_manifest()
    assert code == 1 and manifest["status"] == "failed"
    assert "breaker" in manifest["error"] or "in a row" in manifest["error"]
    assert elapsed < k * timeout * 2 + 3.0  # retries double each call; 3 s of start-up
    assert manifest["steps_done"] == 0  # the step that tripped it is not kept
    with OpenAIServer(answer=always_k) as live:
        code = main(
            ["resume", str(tmp_path / "r"), "--quiet", "--set", f"llm.api_base={live.base_url}"]
        )
    assert code == 0
    resumed = RunStore(tmp_path / "r").read_manifest()
    assert resumed["status"] == "completed" and resumed["steps_done"] == 4


def test_replay_against_an_empty_cache_is_not_completed(tmp_path, capsys):
    path = scenario(tmp_path)
    code = main(["run", str(path), "--out", str(tmp_path / "r"), "--quiet", "--replay"])
    out, err = capsys.readouterr()
    assert code == 1
    assert RunStore(tmp_path / "r").read_manifest()["status"] == "completed_with_failures"
    assert "replay_miss" in out and "--replay" in err


def test_lost_decisions_beyond_the_tolerance_are_said_in_the_status(tmp_path):
    """A third of the replies are malformed: completed_with_failures at the default tolerance
    of 0, completed when the scenario tolerates half."""
    with OpenAIServer(faults={"malformed": 0.3}, answer=always_k) as server:
        strict = scenario(tmp_path, "openai/test", api_base=server.base_url, retries=0)
        result = simsocial.run(simsocial.load_scenario(strict), out=tmp_path / "strict")
        assert result.status == "completed_with_failures"
        assert 0.1 < result.manifest["failed_share"] < 0.6
        assert any("bad_response" in line for line in result.manifest["failures"])
        tolerant = simsocial.load_scenario(strict, overrides=["llm.failure_tolerance=0.6"])
        assert simsocial.run(tolerant, out=tmp_path / "tolerant").status == "completed"


def test_a_run_that_spent_its_budget_continues_with_a_larger_one(tmp_path, capsys):
    path = scenario(tmp_path, steps=6, budget="{calls: 20}")
    first = simsocial.run(simsocial.load_scenario(path), out=tmp_path / "r")
    assert first.status == "budget_exhausted" and first.manifest["steps_done"] < 6
    assert main(["resume", str(tmp_path / "r"), "--quiet"]) == 1  # nothing changed: refused
    assert "already ended" in capsys.readouterr().err
    code = main(["resume", str(tmp_path / "r"), "--quiet", "--set", "llm.budget.calls=1000"])
    assert code == 0
    result = simsocial.analysis.load_run(tmp_path / "r")
    assert result.status == "completed" and result.manifest["steps_done"] == 6
    assert sorted(result.model["step"].unique().tolist())[-1] == 5


def test_resume_refuses_to_change_what_the_run_is(tmp_path, capsys):
    path = scenario(tmp_path, steps=2, budget="{calls: 5}")
    simsocial.run(simsocial.load_scenario(path), out=tmp_path / "r")
    assert main(["resume", str(tmp_path / "r"), "--set", "network.n=30"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "run-control keys" in err


@pytest.mark.parametrize("larger", [True, False])
def test_a_branch_with_a_larger_budget_is_not_exhausted(tmp_path, larger):
    path = scenario(tmp_path, steps=6, budget="{calls: 40}")
    spec = simsocial.load_scenario(path, overrides=["outputs.keep_checkpoints=true"])
    parent = simsocial.run(spec, out=tmp_path / "parent")
    assert parent.status == "budget_exhausted"
    overrides = ["llm.budget.calls=1000"] if larger else []
    from simsocial.branching import branch

    (child,) = branch(tmp_path / "parent", 1, 1, overrides)
    assert child.status == ("completed" if larger else "budget_exhausted")


def test_finishing_a_committed_run_needs_no_model(tmp_path):
    """Killed after its tables were committed, before its report: resume writes the report even
    when the run's endpoint is gone (only a resume that will call the model is preflighted)."""
    import os
    import subprocess
    import sys

    with OpenAIServer(answer=always_k) as server:
        path = scenario(tmp_path, "openai/test", api_base=server.base_url, retries=0)
        text = path.read_text().replace("report: false", "report: true")
        path.write_text(text)
        killed = subprocess.run(
            [sys.executable, "-m", "simsocial.cli", "run", str(path), "--out",
             str(tmp_path / "r"), "--quiet"],
            env={**os.environ, "SIMSOCIAL_KILL_AT": "report"}, check=False,
        )  # fmt: skip
    assert killed.returncode == -9  # the server is gone from here on
    assert RunStore(tmp_path / "r").read_manifest()["report"] == "pending"
    assert main(["resume", str(tmp_path / "r"), "--quiet"]) == 0
    assert (tmp_path / "r" / "report.html").exists()
