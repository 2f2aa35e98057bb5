"""A run directory nothing can corrupt: kills at every phase, damaged files, crafted checkpoints."""

from __future__ import annotations

import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest

import simsocial
from simsocial.cli import main
from simsocial.faults import POINTS
from simsocial.store import RunStore
from simsocial.testing import kills

SCENARIO = """\
name: crash_test
kind: opinion
seed: 5
steps: 6
update: random_sequential
llm:
  model: "scripted/majority?beta=1"
network:
  generator: watts_strogatz
  n: 24
  params: {{k: 4, p: 0.2}}
opinion:
  experiment: dynamics
outputs:
  dir: {out}
  report: {report}
"""


def write_scenario(tmp_path: Path, report: bool = False) -> Path:
    path = tmp_path / ("with_report.yaml" if report else "scenario.yaml")
    path.write_text(SCENARIO.format(out=tmp_path / "runs", report=str(report).lower()))
    return path


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    return write_scenario(tmp_path)


@pytest.fixture
def reference(scenario: Path, tmp_path: Path) -> dict:
    result = simsocial.run(simsocial.load_scenario(scenario), out=tmp_path / "reference")
    return kills.tables(result.run_dir)


# the n-th pass of each point falls inside the run (5 tables flush per checkpoint, 6 steps)
KILL_POINTS = {
    "step": "step:3",
    "flush": "flush:12",
    "checkpoint": "checkpoint:4",
    "consolidate": "consolidate:1",
    "commit": "commit",
    "discard": "discard:2",
    "report": "report",
}


def test_every_named_point_is_covered():
    """The table of kill points names every seam of simsocial.faults."""
    assert set(KILL_POINTS) == set(POINTS)


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_a_kill_at_each_phase_resumes_to_the_uninterrupted_tables(point, tmp_path, reference):
    """SIGKILL at the named phase, `simsocial resume`, and every table equals a clean run."""
    scenario = write_scenario(tmp_path, report=point == "report")
    run_dir = tmp_path / "killed"
    trial = kills.kill_at_point(scenario, run_dir, KILL_POINTS[point], reference)
    assert trial.killed, "the kill point was never reached"
    assert trial.resume_code == 0, trial.resume_error
    assert trial.equal, trial.difference
    manifest = RunStore(run_dir).read_manifest()
    assert manifest["status"] == "completed"
    assert not (run_dir / "parts").exists()
    if point == "report":
        assert (run_dir / "report.html").exists() and manifest["report"] == "written"


def test_kills_at_random_instants_resume_to_the_same_tables(scenario, tmp_path, reference):
    """A few random instants (benchmarks/fault_injection.py runs 100)."""
    for i, delay in enumerate((0.9, 1.3, 1.7, 2.1)):
        trial = kills.kill_after(scenario, tmp_path / f"random-{i}", delay, reference)
        assert trial.equal, f"delay {delay}: {trial.resume_error or trial.difference}"


def test_a_second_writer_is_refused_with_the_holders_pid(scenario, tmp_path):
    """While one process holds a run directory, another run into it stops at once."""
    from simsocial.runlock import DirectoryBusy, DirectoryLock

    target = tmp_path / "busy"
    spec = simsocial.load_scenario(scenario)
    with DirectoryLock(target):
        for _ in range(20):
            with pytest.raises(DirectoryBusy, match=r"PID \d+"):
                simsocial.run(spec, out=target)
        assert not (target / "manifest.json").exists()
    assert simsocial.run(spec, out=target).status == "completed"


def test_two_runs_started_at_once_one_writes_the_other_is_refused(scenario, tmp_path, reference):
    """Two real processes on one --out (benchmarks/fault_injection.py runs 20 trials)."""
    for i in range(2):
        succeeded, problem = kills.two_writers(scenario, tmp_path / f"both-{i}", reference)
        assert succeeded == 1 and problem == ""


def test_a_lock_left_by_a_dead_process_is_taken_over(scenario, tmp_path):
    """A holder killed with SIGKILL leaves its lock file; the next run proceeds."""
    import subprocess
    import sys

    target = tmp_path / "orphan"
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys, time; from simsocial.runlock import DirectoryLock; "
            f"DirectoryLock({str(target)!r}).acquire(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout.readline().strip() == "held"
    refused = kills.cli("run", str(scenario), "--out", str(target), "--quiet")
    assert refused.returncode != 0 and f"PID {holder.pid}" in refused.stderr
    assert "Traceback" not in refused.stderr
    holder.kill()
    holder.wait()
    assert simsocial.run(simsocial.load_scenario(scenario), out=target).status == "completed"


def test_two_sweeps_on_one_directory_the_second_is_refused(tmp_path):
    """A sweep holds its directory; a second sweep on it stops with one line."""
    from simsocial.runlock import DirectoryBusy, DirectoryLock

    write_scenario(tmp_path)
    sweep_file = tmp_path / "sweep.yaml"
    sweep_file.write_text(
        f"sweep: busy\nscenario: scenario.yaml\nout: {tmp_path / 'sweeps'}\n"
        "grid: {seed: [1, 2]}\n"
    )
    with DirectoryLock(tmp_path / "sweeps" / "busy"):
        for _ in range(20):
            with pytest.raises(DirectoryBusy):
                simsocial.sweep(sweep_file)
    assert set(simsocial.sweep(sweep_file).table.status) == {"completed"}


# --- checkpoints are data --------------------------------------------------------------------


class _Payload:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


def _killed_run(scenario: Path, tmp_path: Path, point: str = "step:4") -> Path:
    run_dir = tmp_path / "killed"
    trial = kills.cli(
        "run",
        str(scenario),
        "--out",
        str(run_dir),
        "--quiet",
        env={**_env(), "SIMSOCIAL_KILL_AT": point},
    )
    assert trial.returncode == -9
    return run_dir


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


@pytest.mark.parametrize("name", ["latest.ckpt", "state.pkl"])
def test_a_crafted_checkpoint_cannot_run_code(scenario, tmp_path, capsys, name):
    """A pickle with a __reduce__ payload in place of a checkpoint: refused, nothing runs."""
    run_dir = _killed_run(scenario, tmp_path)
    marker = tmp_path / "marker"
    for old in (run_dir / "checkpoint").glob("*"):
        old.unlink()
    (run_dir / "checkpoint" / name).write_bytes(pickle.dumps(_Payload(marker)))
    code = main(["resume", str(run_dir), "--quiet"])
    assert not marker.exists()
    err = capsys.readouterr().err
    if name == "state.pkl":
        assert code == 1 and "pickle" in err and len(err.strip().splitlines()) == 1
    else:  # the only checkpoint is not one: start over, with a warning, to the same result
        assert code == 0 and "not a simsocial checkpoint" in err


def test_a_damaged_latest_checkpoint_falls_back_to_the_previous(
    scenario, tmp_path, reference, capsys
):
    run_dir = _killed_run(scenario, tmp_path)
    latest = run_dir / "checkpoint" / "latest.ckpt"
    latest.write_bytes(latest.read_bytes()[:-20] + b"x" * 20)
    assert main(["resume", str(run_dir), "--quiet"]) == 0
    err = capsys.readouterr().err
    assert "latest.ckpt is damaged" in err and "resumed from step" in err
    assert kills.difference(run_dir, reference) == ""


@pytest.mark.parametrize("damage", ["flip", "delete"])
def test_a_damaged_or_missing_part_names_the_step_to_restart_from(
    scenario, tmp_path, reference, capsys, damage
):
    """Resume refuses in one line naming the part and the step; --rewind then recovers."""
    run_dir = _killed_run(scenario, tmp_path)
    part = sorted((run_dir / "parts").glob("events-000001-*.parquet"))[0]
    if damage == "flip":
        data = bytearray(part.read_bytes())
        data[len(data) // 2] ^= 0xFF
        part.write_bytes(bytes(data))
    else:
        part.unlink()
    assert main(["resume", str(run_dir), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "restart from step 1" in err and "--rewind" in err
    assert main(["resume", str(run_dir), "--quiet", "--rewind"]) == 0
    assert kills.difference(run_dir, reference) == ""


def test_a_damaged_table_of_a_finished_run_is_one_line(scenario, tmp_path, capsys):
    result = simsocial.run(simsocial.load_scenario(scenario), out=tmp_path / "done")
    events = result.run_dir / "events.parquet"
    events.write_bytes(events.read_bytes()[:100])
    assert main(["report", str(result.run_dir)]) == 1
    err = capsys.readouterr().err.strip()
    assert "events.parquet is damaged" in err and len(err.splitlines()) == 1
    assert main(["resume", str(result.run_dir)]) == 1
    assert "events.parquet is damaged" in capsys.readouterr().err


def test_a_damaged_manifest_is_one_line(scenario, tmp_path, capsys):
    run_dir = _killed_run(scenario, tmp_path)
    (run_dir / "manifest.json").write_text('{"status": "runn')
    assert main(["resume", str(run_dir)]) == 1
    err = capsys.readouterr().err.strip()
    assert "manifest.json is damaged" in err and len(err.splitlines()) == 1


# --- the response cache ----------------------------------------------------------------------


def test_a_cache_sqlite_cannot_read_is_moved_aside_and_counted(tmp_path):
    from simsocial.llm.cache import CACHE_FILENAME, ResponseCache
    from simsocial.llm.types import ProviderReply

    (tmp_path / CACHE_FILENAME).write_bytes(b"not a database" * 100)
    cache = ResponseCache(tmp_path)
    assert cache.health()["moved_aside"].endswith(".corrupt")
    cache.put("k", "m", ProviderReply(text="hello"))
    cache.flush()
    assert cache.get("k").text == "hello"
    cache.close()


def test_a_cache_row_that_does_not_match_its_digest_is_a_counted_miss(tmp_path):
    from simsocial.llm.cache import CACHE_FILENAME, ResponseCache
    from simsocial.llm.types import ProviderReply

    cache = ResponseCache(tmp_path)
    cache.put("good", "m", ProviderReply(text="kept"))
    cache.put("bad", "m", ProviderReply(text="tampered"))
    cache.close()
    db = sqlite3.connect(tmp_path / CACHE_FILENAME)
    db.execute("UPDATE replies SET reply = replace(reply, 'tampered', 'changed!') WHERE key='bad'")
    db.execute("INSERT INTO replies (key, model, reply) VALUES ('junk', 'm', '{not json')")
    db.commit()
    db.close()
    cache = ResponseCache(tmp_path)
    assert cache.get("good").text == "kept"
    assert cache.get("bad") is None and cache.get("junk") is None
    assert cache.health() == {"damaged_rows": 2}
    cache.close()


def test_a_run_over_a_damaged_cache_completes_and_says_so(tmp_path):
    """A run whose cache file is garbage completes; the manifest counts what was moved aside."""
    from simsocial.llm.cache import CACHE_FILENAME

    scenario = write_scenario(tmp_path)
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    (cache_dir / CACHE_FILENAME).write_bytes(b"\x00garbage" * 512)
    spec = simsocial.load_scenario(scenario, overrides=[f"llm.cache={cache_dir}"])
    result = simsocial.run(spec, out=tmp_path / "over-damaged-cache")
    assert result.status == "completed"
    assert result.manifest["cache"]["moved_aside"].endswith(".corrupt")
    shutil.rmtree(cache_dir)


def test_a_branch_stopped_during_its_set_up_is_not_resumed_as_a_fresh_run(
    scenario, tmp_path, capsys
):
    """Until its rows and checkpoint are written a branch says so; resume refuses in one line."""
    from simsocial.branching import branch

    parent = simsocial.run(simsocial.load_scenario(scenario), out=tmp_path / "parent")
    (child,) = branch(parent.run_dir, 2, 1, keep_seed=True)
    store = RunStore(child.run_dir)
    manifest = store.read_manifest()
    assert manifest["branch"]["ready"] is True
    store.write_manifest({**manifest, "status": "running", "tables": None,
                          "branch": {**manifest["branch"], "ready": False}})  # fmt: skip
    assert main(["resume", str(child.run_dir), "--quiet"]) == 1
    err = capsys.readouterr().err.strip()
    assert "being set up" in err and len(err.splitlines()) == 1


def test_report_of_a_run_killed_before_its_report_records_it(scenario, tmp_path, capsys):
    """`simsocial report` on a run whose manifest says the report is pending writes it and says
    so in the manifest (as resume would)."""
    run_dir = tmp_path / "pending"
    killed = kills.cli(
        "run", str(write_scenario(tmp_path, report=True)), "--out", str(run_dir), "--quiet",
        env={**_env(), "SIMSOCIAL_KILL_AT": "report"},
    )  # fmt: skip
    assert killed.returncode == -9
    assert RunStore(run_dir).read_manifest()["report"] == "pending"
    assert main(["report", str(run_dir)]) == 0
    assert RunStore(run_dir).read_manifest()["report"] == "written"
    assert (run_dir / "report.html").exists()
