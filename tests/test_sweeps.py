"""Sweeps: every combination runs once into its own directory; reruns skip; failures isolated."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import simsocial
from simsocial.errors import SimsocialError
from simsocial.spec import SpecError
from simsocial.sweeps import SweepSpec, Variant, plan

SCENARIO = """\
name: tiny
kind: opinion
seed: 0
steps: 4
update: random_sequential
llm: {model: "scripted/majority?beta=8"}
network: {generator: complete, n: 20}
opinion: {experiment: dynamics}
"""


def write_sweep(tmp_path: Path, body: str) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "tiny.yaml").write_text(SCENARIO)
    path = tmp_path / "sweep.yaml"
    path.write_text(f"sweep: s\nscenario: tiny.yaml\nout: {tmp_path / 'out'}\n{body}")
    return path


def test_plan_crosses_grid_variants_and_replicates_with_common_seeds():
    """2 x 2 grid, 2 variants, 3 replicates = 24 runs; replicate r has one seed everywhere."""
    spec = SweepSpec(
        sweep="s",
        scenario="x.yaml",
        seed=5,
        replicates=3,
        grid={"network.n": [10, 20], "llm.temperature": [0.2, 0.7]},
        variants=[Variant(name="a"), Variant(name="b", set={"opinion.initial_m": 0.5})],
    )
    runs = plan(spec)
    assert len(runs) == 24 and len({r.name for r in runs}) == 24
    seeds = {(r.replicate, r.seed) for r in runs}
    assert len(seeds) == 3  # the same three seeds for every combination
    assert [r.seed for r in plan(spec)] == [r.seed for r in runs]  # reproducible


def test_sweep_writes_one_row_per_run_and_matches_single_runs(tmp_path):
    """sweep.parquet has a row per run with its metrics, equal to running that spec alone."""
    path = write_sweep(tmp_path, "seed: 3\nreplicates: 2\ngrid:\n  network.n: [10, 20]\n")
    result = simsocial.sweep(path)
    table = pd.read_parquet(result.sweep_dir / "sweep.parquet")
    assert len(table) == 4 and set(table.status) == {"completed"}
    first = table.iloc[0]
    alone = simsocial.load_scenario(
        tmp_path / "tiny.yaml",
        overrides={"seed": int(first.seed), "network.n": 10, "outputs.dir": str(tmp_path / "solo")},
    )
    solo = simsocial.run(alone, report=False)
    assert solo.model["updates"].iloc[-1] == first["metric.updates"]


def test_rerun_skips_finished_runs(tmp_path):
    """Running a finished sweep again touches none of its runs."""
    path = write_sweep(tmp_path, "replicates: 2\n")
    first = simsocial.sweep(path)
    manifests = sorted(first.sweep_dir.glob("run-*/manifest.json"))
    before = [json.loads(m.read_text())["ended_at"] for m in manifests]
    simsocial.sweep(path)
    assert [json.loads(m.read_text())["ended_at"] for m in manifests] == before


def test_a_failing_run_does_not_stop_the_sweep(tmp_path):
    """A variant that fails at run time (a condition dividing by zero) fails alone, with its
    error in the table."""
    broken = "[{when: 'm / (n_a - n_a) > 1', do: broadcast, message: x}]"
    body = f"variants:\n  - {{name: ok}}\n  - {{name: broken, set: {{interventions: {broken}}}}}\n"
    table = simsocial.sweep(write_sweep(tmp_path, body)).table
    by_variant = table.set_index("variant")
    assert by_variant.loc["ok", "status"] == "completed"
    assert by_variant.loc["broken", "status"] == "failed"
    assert "divides by zero" in by_variant.loc["broken", "error"]


def test_a_variant_whose_model_cannot_answer_stops_the_sweep_before_any_run(tmp_path):
    """Preflight covers every variant: a typo in one model string is one line, up front."""
    from simsocial.llm.preflight import PreflightError

    body = "variants:\n  - {name: ok}\n  - {name: broken, set: {llm.model: 'scripted/nosuch'}}\n"
    with pytest.raises(PreflightError, match="nosuch"):
        simsocial.sweep(write_sweep(tmp_path, body))
    assert not any((tmp_path / "out" / "s").glob("*/manifest.json"))


def test_sweep_file_errors_are_located(tmp_path):
    """A typo in the sweep file names its line."""
    with pytest.raises(SpecError, match=r"sweep.yaml:4: replicats: unknown key"):
        simsocial.sweep(write_sweep(tmp_path, "replicats: 2\n"))


def test_example_sweeps_are_valid():
    """Every example sweep file loads, and each of its runs is a valid scenario."""
    from simsocial.sweeps import load_sweep

    root = Path(__file__).resolve().parents[1] / "scenarios" / "sweeps"
    files = sorted(root.glob("*.yaml"))
    assert files
    for path in files:
        spec = load_sweep(path)
        for run in plan(spec):
            simsocial.load_scenario(path.parent / spec.scenario, overrides=run.overrides)


@pytest.mark.slow
def test_kill_9_mid_sweep_then_rerun_completes_without_redoing_runs(tmp_path):
    """SIGKILL a sweep, run it again: finished runs are kept, the table equals a clean sweep."""
    import os
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "tiny.yaml").write_text(
        SCENARIO.replace("steps: 4", "steps: 15")
        .replace("n: 20", "n: 60")
        .replace("beta=8", "beta=0.5")
    )
    body = "seed: 4\nreplicates: 6\nmax_parallel: 2\n"
    killed = tmp_path / "killed.yaml"
    killed.write_text(f"sweep: k\nscenario: tiny.yaml\nout: {tmp_path / 'out'}\n{body}")
    clean = tmp_path / "clean.yaml"
    clean.write_text(f"sweep: c\nscenario: tiny.yaml\nout: {tmp_path / 'out'}\n{body}")
    cli = [sys.executable, "-m", "simsocial.cli", "sweep", "--quiet"]
    proc = subprocess.Popen([*cli, str(killed)])
    sweep_dir = tmp_path / "out" / "k"
    deadline = time.monotonic() + 120

    def finished() -> list[Path]:
        done = []
        for manifest in sweep_dir.glob("run-*/manifest.json"):
            try:
                if json.loads(manifest.read_text())["status"] == "completed":
                    done.append(manifest)
            except (ValueError, KeyError):
                continue
        return done

    while time.monotonic() < deadline and len(finished()) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    kept = {m: json.loads(m.read_text())["ended_at"] for m in finished()}
    assert 2 <= len(kept) < 6, "the kill came too late to test anything"
    assert subprocess.run([*cli, str(killed)]).returncode == 0
    assert {m: json.loads(m.read_text())["ended_at"] for m in kept} == kept  # none done twice
    resumed = pd.read_parquet(sweep_dir / "sweep.parquet")
    expected = simsocial.sweep(clean).table
    columns = [c for c in expected.columns if c != "run_dir"]
    pd.testing.assert_frame_equal(resumed[columns], expected[columns])


@pytest.mark.parametrize("backend", ["processes", "ray"])
def test_other_backends_give_the_same_table_as_threads(tmp_path, backend):
    """Same root seed: the process pool and local Ray write the same metrics as threads."""
    if backend == "ray":
        pytest.importorskip("ray")
    body = "seed: 4\nreplicates: 2\ngrid:\n  network.n: [10, 16]\nmax_parallel: 2\n"
    threads = simsocial.sweep(write_sweep(tmp_path / "t", body)).table
    other = simsocial.sweep(write_sweep(tmp_path / "o", body), backend=backend).table
    metrics = [c for c in threads.columns if c.startswith(("metric.", "param.")) or c == "seed"]
    assert set(other.status) == {"completed"}
    pd.testing.assert_frame_equal(other[metrics], threads[metrics])


def test_sweep_command_reports_effects_against_the_baseline(tmp_path, capsys):
    """`simsocial sweep` then `simsocial report SWEEP_DIR --json`: arms, effects, CIs, HTML."""
    from simsocial.cli import main

    body = (
        "replicates: 3\ngrid:\n  llm.model: ['scripted/majority?beta=8', 'scripted/random']\n"
        "baseline: {llm.model: 'scripted/majority?beta=8'}\nmetrics: [updates]\n"
    )
    path = write_sweep(tmp_path, body)
    assert main(["sweep", str(path), "--quiet"]) == 0
    sweep_dir = tmp_path / "out" / "s"
    html = (sweep_dir / "report.html").read_text()
    assert "effect" in html and "bootstrap" in html and "data:image/png;base64" in html
    capsys.readouterr()
    assert main(["report", str(sweep_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    (effect,) = summary["metrics"]["updates"]["effects"]
    assert effect["arm"] == "llm.model=scripted/random" and effect["n_pairs"] == 3
    assert effect["ci_low"] <= effect["effect"] <= effect["ci_high"]


def test_a_baseline_outside_the_grid_is_a_located_error(tmp_path):
    path = write_sweep(tmp_path, "grid:\n  network.n: [10, 20]\nbaseline: {network.n: 30}\n")
    with pytest.raises(SpecError, match=r"network.n=30 is not among the sweep's values"):
        simsocial.sweep(path)


def test_a_sweep_budget_is_shared_by_all_its_runs(tmp_path):
    """budget: {calls: 100} over four runs of 30-50 calls each, one after another: the total
    stays within it and the runs that found it spent end cleanly as budget_exhausted."""
    path = write_sweep(tmp_path, "replicates: 4\nmax_parallel: 1\nbudget: {calls: 100}\n")
    table = simsocial.sweep(path).table
    calls = [
        json.loads((Path(d) / "manifest.json").read_text())["llm"]["calls"] for d in table.run_dir
    ]
    assert sum(calls) <= 100 and calls[-1] == 0
    assert table.status.iloc[0] == "completed" and table.status.iloc[-1] == "budget_exhausted"


def test_a_sweep_budget_needs_the_shared_gateway(tmp_path):
    path = write_sweep(tmp_path, "budget: {calls: 10}\nbackend: processes\n")
    with pytest.raises(SimsocialError, match="needs backend threads"):
        simsocial.sweep(path)


def test_by_default_a_sweep_compares_the_kind_outcomes_and_no_constants(tmp_path):
    """No `metrics:` in the sweep file: the opinion kind's outcomes that vary are compared;
    counts (updates) are not, and constants (n, failed) are listed as constant."""
    from simsocial.analysis.sweep_report import sweep_summary
    from simsocial.scenarios import KINDS

    body = "replicates: 2\ngrid:\n  llm.model: ['scripted/majority?beta=8', 'scripted/random']\n"
    sweep_dir = simsocial.sweep(write_sweep(tmp_path, body)).sweep_dir
    summary = sweep_summary(sweep_dir)
    assert summary["metrics"] and set(summary["metrics"]) <= set(KINDS["opinion"].outcomes)
    assert "updates" not in summary["metrics"] and "n" not in summary["metrics"]
    assert summary["min_pairs"] == 5
    for effect in (e for m in summary["metrics"].values() for e in m["effects"]):
        assert effect["significant"] is None and effect["warning"].startswith("2 pairs")


def test_a_scenario_metric_is_compared_by_default_at_its_final_value(tmp_path):
    """A `metrics:` block in the scenario: its last model.parquet value is the run's metric,
    and the report compares it beside the kind's outcomes (live once custom metrics land)."""
    pytest.importorskip("simsocial.metrics")
    from simsocial.analysis.sweep_report import sweep_summary

    body = "replicates: 2\ngrid:\n  llm.model: ['scripted/majority?beta=8', 'scripted/random']\n"
    path = write_sweep(tmp_path, body)
    (tmp_path / "tiny.yaml").write_text(
        SCENARIO + "metrics:\n  share_a: {mean: \"opinion == 'A'\"}\n"
    )
    result = simsocial.sweep(path)
    for _, row in result.table.iterrows():
        last = pd.read_parquet(Path(row.run_dir) / "model.parquet")["share_a"].iloc[-1]
        assert row["metric.share_a"] == pytest.approx(last)
    summary = sweep_summary(result.sweep_dir)
    assert "share_a" in summary["metrics"] and "scenario's own metrics" in summary["metrics_from"]
