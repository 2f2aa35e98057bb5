"""Kill a run as a crash would, resume it, and compare its tables with an uninterrupted run.

Used by tests/test_crash_safety.py (each named kill point of simsocial.faults, a few random
instants) and by benchmarks/fault_injection.py (100 random instants). A run is started with the
real CLI in a subprocess and killed with SIGKILL, either at a named point (SIMSOCIAL_KILL_AT) or
after a random delay; `simsocial resume` then has to give the same tables.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simsocial.faults import ENV

VOLATILE = ("latency_s", "run_id")  # wall-clock time and the run's own id differ by design
CLI = [sys.executable, "-m", "simsocial.cli"]


@dataclass
class Trial:
    """What one kill did: how the killed process ended, what resume said, whether it matched."""

    killed: bool
    resume_code: int | None
    resume_error: str
    equal: bool
    difference: str = ""


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def tables(run_dir: Path) -> dict[str, pd.DataFrame]:
    """A run's tables as DataFrames, without the columns that differ between two equal runs."""
    from simsocial.analysis import load_run

    run = load_run(run_dir)
    found = {}
    for name in run.table_names():
        frame = run.table(name)
        found[name] = frame.drop(columns=[c for c in VOLATILE if c in frame.columns])
    return found


def difference(run_dir: Path, reference: dict[str, pd.DataFrame]) -> str:
    """Empty when `run_dir` has exactly the reference tables; else what differs."""
    got = tables(run_dir)
    for name, expected in reference.items():
        try:
            pd.testing.assert_frame_equal(got[name], expected)
        except AssertionError as exc:
            return f"{name}: {str(exc).splitlines()[0]} ({len(got[name])} vs {len(expected)} rows)"
    return ""


def finish(run_dir: Path, scenario: Path) -> subprocess.CompletedProcess[str]:
    """Resume a killed run; one killed before it wrote anything is started again (resume says
    so in one line, which is the documented answer for that instant)."""
    done = cli("resume", str(run_dir), "--quiet")
    if done.returncode != 0 and ("start it again" in done.stderr or not run_dir.exists()):
        return cli("run", str(scenario), "--out", str(run_dir), "--quiet")
    return done


def judge(run_dir: Path, scenario: Path, killed: bool, reference: dict[str, pd.DataFrame]) -> Trial:
    done = finish(run_dir, scenario)
    ended_already = "nothing to resume" in done.stderr
    if done.returncode != 0 and not ended_already:
        return Trial(killed, done.returncode, done.stderr.strip(), equal=False)
    diff = difference(run_dir, reference)
    return Trial(killed, done.returncode, done.stderr.strip(), equal=not diff, difference=diff)


def kill_at_point(
    scenario: Path, run_dir: Path, point: str, reference: dict[str, pd.DataFrame]
) -> Trial:
    """Run with SIMSOCIAL_KILL_AT=point, then resume and compare."""
    env = {**os.environ, ENV: point}
    started = cli("run", str(scenario), "--out", str(run_dir), "--quiet", env=env)
    killed = started.returncode == -signal.SIGKILL
    return judge(run_dir, scenario, killed, reference)


def kill_after(
    scenario: Path, run_dir: Path, delay_s: float, reference: dict[str, pd.DataFrame]
) -> Trial:
    """Start a run, SIGKILL it after `delay_s` (if it is still going), resume, compare."""
    proc = subprocess.Popen(
        [*CLI, "run", str(scenario), "--out", str(run_dir), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay_s)
    killed = proc.poll() is None
    if killed:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return judge(run_dir, scenario, killed, reference)


def two_writers(
    scenario: Path, run_dir: Path, reference: dict[str, pd.DataFrame], command: str = "run"
) -> tuple[int, str]:
    """Start two `simsocial run --out run_dir` (or two `sweep FILE`) at the same instant.
    Returns (how many exited 0, what differs from the reference: empty when nothing).
    Exactly one may write; the other must be refused in one line."""
    args = ["run", str(scenario), "--out", str(run_dir), "--quiet"]
    if command == "sweep":
        args = ["sweep", str(scenario), "--quiet"]
    procs = [
        subprocess.Popen(
            [*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    succeeded = sum(p.returncode == 0 for p in procs)
    for proc, err in zip(procs, errors, strict=True):
        refused = "PID" in err or "already holds a run" in err
        if proc.returncode != 0 and (not refused or len(err.strip().splitlines()) != 1):
            return succeeded, f"the second writer was not refused in one line: {err.strip()}"
    if command == "sweep":
        return succeeded, ""
    return succeeded, difference(run_dir, reference)
