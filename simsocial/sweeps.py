"""Sweeps: many variants and replicates of one scenario, each its own run directory.

A sweep file (`SweepSpec`; the README's "Sweeps" section has a full example) names a scenario, a
grid of dotted-path values, optional named variants crossed with it, a baseline and the metrics
the report compares. Replicate r of every variant gets the same seed (common random numbers, so
variants are compared on equal footing). Backends: `threads` (default) runs the models
concurrently in one process sharing one LLM gateway, so the concurrency limit and the cache are
global and even a strictly sequential model keeps the LLM busy; `processes` spreads CPU-bound
(scripted) runs over a process pool; `ray` sends each run to a Ray cluster (local by default).
All three write the same run directories and the same sweep.parquet. One failing run does not
stop the others; it is listed with its error. Running the same sweep again skips finished runs
and resumes interrupted ones.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, PositiveInt, model_validator

from simsocial.errors import SimsocialError
from simsocial.llm.config import Budget
from simsocial.parts import write_atomic
from simsocial.runlock import DirectoryLock
from simsocial.spec_base import StrictModel
from simsocial.store import ENDED, RunStore, write_json_atomic

if TYPE_CHECKING:
    import pandas as pd

FINISHED = set(ENDED)
Backend = Literal["threads", "processes", "ray"]
Outcome = tuple[str, str | None, dict[str, Any]]


class Variant(StrictModel):
    name: str = Field(..., min_length=1, description="Label of this variant in sweep.parquet.")
    set: dict[str, Any] = Field(default_factory=dict, description="Dotted-path overrides.")


class SweepSpec(StrictModel):
    """A sweep file."""

    sweep: str = Field(..., min_length=1, description="Sweep name; its directory under `out`.")
    scenario: str = Field(..., description="Scenario file, relative to the sweep file.")
    seed: int = Field(0, ge=0, description="Root seed from which replicate seeds derive.")
    replicates: PositiveInt = Field(1, description="Runs per combination, each with its own seed.")
    set: dict[str, Any] = Field(
        default_factory=dict, description="Dotted-path overrides applied to every run."
    )
    grid: dict[str, list[Any]] = Field(default_factory=dict, description="Values per dotted path.")
    variants: list[Variant] = Field(default_factory=list, description="Named override sets.")
    max_parallel: PositiveInt = Field(8, description="Runs in flight at once.")
    backend: Backend = Field(
        "threads",
        description=(
            "threads: concurrent models on one shared gateway (LLM-bound runs); processes: a "
            "process pool (CPU-bound scripted runs); ray: Ray tasks (`pip install simsocial[ray]`)."
        ),
    )
    out: str = Field("runs/sweeps", description="Root directory of sweep directories.")
    baseline: dict[str, Any] | None = Field(
        None,
        description=(
            "The arm effects are measured against, by parameter values (e.g. {opinion.n: 50} or "
            "{variant: control}); unnamed parameters keep each arm's own value. Default: first arm."
        ),
    )
    metrics: list[str] | None = Field(
        None,
        description=(
            "Metrics the sweep report compares (default: the kind's outcomes and the scenario's "
            "own `metrics:`; constant ones are listed, not compared)."
        ),
    )
    min_pairs: PositiveInt | None = Field(
        None,
        description=(
            "Fewest paired replicates an effect needs for a significance flag; below it the "
            "report warns instead (default simsocial.analysis.compare.MIN_PAIRS, 5)."
        ),
    )
    budget: Budget | None = Field(
        None,
        description=(
            "A budget over all runs together (threads backend: they share one gateway); runs "
            "stopped by it end as budget_exhausted with everything written."
        ),
    )

    @model_validator(mode="after")
    def _baseline_is_an_arm(self) -> SweepSpec:
        """Catch a baseline the sweep will never run before running anything."""
        names = {v.name for v in self.variants} or {"base"}
        for key, value in (self.baseline or {}).items():
            values = names if key == "variant" else self.grid.get(key)
            if values is None:
                known = ", ".join([*self.grid, "variant"])
                raise ValueError(f"baseline: {key!r} is not varied by the sweep (varied: {known})")
            if value not in values:
                raise ValueError(f"baseline: {key}={value!r} is not among the sweep's values")
        return self


@dataclass
class PlannedRun:
    """One run of the sweep: where it goes and what it overrides."""

    name: str
    variant: str
    replicate: int
    seed: int
    overrides: dict[str, Any]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class SweepResult:
    sweep_dir: Path
    table: pd.DataFrame


def replicate_seeds(root: int, replicates: int) -> list[int]:
    """Independent, reproducible seeds for replicates (numpy's SeedSequence spawning)."""
    import numpy as np

    children = np.random.SeedSequence(root).spawn(replicates)
    return [int(child.generate_state(1)[0]) for child in children]


def plan(spec: SweepSpec) -> list[PlannedRun]:
    """Every run of the sweep, in a fixed order: grid combinations x variants x replicates."""
    keys = list(spec.grid)
    combos = [
        dict(zip(keys, values, strict=True)) for values in itertools.product(*spec.grid.values())
    ]
    variants = spec.variants or [Variant(name="base")]
    seeds = replicate_seeds(spec.seed, spec.replicates)
    runs: list[PlannedRun] = []
    for combo, variant in itertools.product(combos, variants):
        for replicate, seed in enumerate(seeds):
            overrides = {**spec.set, **combo, **variant.set, "seed": seed}
            runs.append(
                PlannedRun(
                    name=f"run-{len(runs):04d}",
                    variant=variant.name,
                    replicate=replicate,
                    seed=seed,
                    overrides=overrides,
                    params=dict(combo),
                )
            )
    return runs


def load_sweep(path: str | Path) -> SweepSpec:
    from simsocial.spec import load_file

    return load_file(path, SweepSpec)


def sweep(
    path: str | Path,
    *,
    progress: bool = False,
    backend: Backend | None = None,
    ray_address: str | None = None,
) -> SweepResult:
    """Run (or finish) every run of a sweep file; write and return sweep.parquet."""
    path = Path(path)
    spec = load_sweep(path)
    backend = backend or spec.backend
    sweep_dir = (Path(spec.out) / spec.sweep).resolve()  # absolute: workers may have another cwd
    with DirectoryLock(sweep_dir):  # one sweep per directory: runs and sweep.parquet agree
        return _sweep_in(path, spec, sweep_dir, backend, ray_address, progress)


def _sweep_in(
    path: Path,
    spec: SweepSpec,
    sweep_dir: Path,
    backend: Backend,
    ray_address: str | None,
    progress: bool,
) -> SweepResult:
    from simsocial.spec import load_scenario

    scenario_path = path.parent / spec.scenario
    runs = plan(spec)
    # validate every combination before running any, so a typo fails fast and located
    specs = {
        run.name: load_scenario(
            scenario_path,
            overrides={**run.overrides, "outputs.dir": str(sweep_dir), "outputs.report": False},
        )
        for run in runs
    }
    from simsocial.llm.preflight import preflight
    from simsocial.preflight import models_of

    preflight(config for scenario in specs.values() for config in models_of(scenario))
    if spec.budget is not None and backend != "threads":
        raise SimsocialError(
            f"{path}: budget: a sweep-wide budget needs backend threads (one shared gateway); "
            "put a per-run budget in the scenario's llm.budget instead"
        )
    gateway = _budgeted_gateway(spec.budget) if spec.budget is not None else None
    jobs = [(run.name, specs[run.name], sweep_dir / run.name) for run in runs]
    rows: dict[str, dict[str, Any]] = {}
    bar = _Bar(len(runs)) if progress else None
    by_name = {run.name: run for run in runs}
    try:
        for name, outcome in _dispatch(backend, jobs, spec.max_parallel, ray_address, gateway):
            rows[name] = _row(by_name[name], sweep_dir / name, *outcome)
            if bar is not None:
                bar.advance()
    finally:
        if bar is not None:
            bar.stop()
        if gateway is not None:
            gateway.close()
    import pandas as pd

    table = pd.DataFrame([rows[run.name] for run in runs])
    write_atomic(sweep_dir / "sweep.parquet", table.to_parquet(index=False))
    write_json_atomic(sweep_dir / "sweep.json", spec.model_dump(mode="json"))
    return SweepResult(sweep_dir=sweep_dir, table=table)


Job = tuple[str, Any, Path]


def _budgeted_gateway(budget: Budget) -> Any:
    """A gateway of the sweep's own whose budget covers every run on it."""
    from simsocial.llm import Gateway

    gateway = Gateway()
    gateway.auto_size = True
    gateway.budget = budget
    return gateway


def _dispatch(
    backend: Backend,
    jobs: list[Job],
    max_parallel: int,
    ray_address: str | None,
    gateway: Any = None,
) -> Iterator[tuple[str, Outcome]]:
    """(run name, outcome) as runs finish, on the chosen backend."""
    if backend == "ray":
        yield from _dispatch_ray(jobs, max_parallel, ray_address)
        return
    pool: Executor
    if backend == "processes":
        # spawn, not fork: the parent holds threads (gateway loop) that fork would copy mid-state
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=max_parallel, mp_context=context)
    else:
        pool = ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="sweep")
    with pool:
        futures = {
            pool.submit(_execute, spec, run_dir, gateway): name for name, spec, run_dir in jobs
        }
        for future in as_completed(futures):
            yield futures[future], _outcome(future.result)


def _dispatch_ray(
    jobs: list[Job], max_parallel: int, ray_address: str | None
) -> Iterator[tuple[str, Outcome]]:
    # keep today's behaviour and silence Ray's notice that the default will change
    os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
    try:
        import ray
    except ImportError:
        raise SimsocialError("--backend ray needs Ray: pip install 'simsocial[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        try:
            ray.init(
                address=ray_address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = ray_address or "a local Ray"
            raise SimsocialError(f"could not start or reach {where}: {exc}") from None
    try:
        remote = ray.remote(num_cpus=1)(_execute)
        pending: dict[Any, str] = {}
        queue = list(jobs)
        while queue or pending:
            while queue and len(pending) < max_parallel:
                name, spec, run_dir = queue.pop(0)
                pending[remote.remote(spec, run_dir)] = name
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                name = pending.pop(ref)
                yield name, _outcome(lambda ref=ref: ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()


def _outcome(get: Callable[[], Outcome]) -> Outcome:
    """A worker's result; a worker that died (killed process, lost Ray node) is a failed run."""
    try:
        return get()
    except Exception as exc:
        return "failed", f"worker lost: {type(exc).__name__}: {exc}", {}


def _execute(
    spec: Any, run_dir: Path, gateway: Any = None
) -> tuple[str, str | None, dict[str, Any]]:
    """Run, resume or skip one run, then summarise it (in the worker, so summaries overlap with
    other runs' LLM waits); failures are returned, never raised."""
    from simsocial.analysis.outcomes import final_custom_values
    from simsocial.analysis.report import summary_json
    from simsocial.runner import resume, run

    try:
        if not (run_dir / "manifest.json").exists():
            if run_dir.exists():  # killed before its manifest was written: nothing to keep
                shutil.rmtree(run_dir)
            status = run(spec, out=run_dir, gateway=gateway).status
        else:
            manifest = RunStore(run_dir).read_manifest()
            status = manifest.get("status")
            if manifest.get("tables") is not None:  # committed: check it is still whole
                RunStore(run_dir).verify_tables(manifest["tables"])
                if (run_dir / "parts").exists() or manifest.get("report") == "pending":
                    status = resume(run_dir, gateway=gateway).status  # finish its ending
            elif status not in FINISHED:
                status = resume(run_dir, gateway=gateway).status
        if status not in FINISHED:
            return status, None, {}
        # the scenario's own metrics join the summary's; a custom name replaces a summary key
        metrics = {**summary_json(run_dir).get("metrics", {}), **final_custom_values(run_dir)}
        return status, None, metrics
    except Exception as exc:  # isolate: one bad run must not stop the sweep
        return "failed", f"{type(exc).__name__}: {exc}", {}


def _row(
    run: PlannedRun, run_dir: Path, status: str, error: str | None, metrics: dict[str, Any]
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run": run.name,
        "variant": run.variant,
        "replicate": run.replicate,
        "seed": run.seed,
        **{f"param.{k}": _scalar(v) for k, v in run.params.items()},
        "status": status,
        "error": error,
        "run_dir": str(run_dir),
    }
    row.update({f"metric.{k}": v for k, v in metrics.items() if _is_scalar(v)})
    return row


def _scalar(value: Any) -> Any:
    return value if _is_scalar(value) else json.dumps(value)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, bool | int | float | str)


class _Bar:
    def __init__(self, total: int):
        from rich.progress import Progress

        self.progress = Progress()
        self.task = self.progress.add_task("runs", total=total)
        self.progress.start()

    def advance(self) -> None:
        self.progress.update(self.task, advance=1)

    def stop(self) -> None:
        self.progress.stop()
