"""Run a scenario into a run directory, and resume one that was interrupted.

The loop is the same for a fresh run and a resumed one: step the model, log what it did, flush a
chunk and checkpoint every `outputs.flush_every` steps, stop at `steps`, when the model is done,
when the LLM budget is spent or when the circuit breaker stops a failing model; then consolidate
the tables, commit them in the manifest with the status, and write the report. What resume does
in each phase is in simsocial.resuming; what the manifest records in simsocial.manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simsocial.errors import RunError
from simsocial.faults import kill_point
from simsocial.interventions import Schedule, metrics
from simsocial.llm.failures import describe_failures
from simsocial.llm.prompts import record_usage
from simsocial.manifest import failed_share, new_manifest, new_run_id, replay_misses
from simsocial.metrics import CustomMetrics
from simsocial.parts import DamagedRun, write_atomic
from simsocial.preflight import preflight_models
from simsocial.progress import ProgressLine
from simsocial.resuming import (
    clear_unstarted,
    commit_report,
    finish_ended,
    refuse_if_still_spent,
    reopen,
    resumed_spec,
)
from simsocial.runlock import DirectoryLock
from simsocial.store import ENDED, RunStore, utc_now

if TYPE_CHECKING:
    import pandas as pd

    from simsocial.llm import Gateway, Session
    from simsocial.model import SimModel
    from simsocial.spec_models import ScenarioSpec


@dataclass
class Result:
    """What `simsocial.run` returns: where the run went, and its tables on demand."""

    run_dir: Path
    status: str
    manifest: dict[str, Any]
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            from simsocial.analysis.loader import read_table

            recorded = (self.manifest.get("tables") or {}).get(name) or {}
            self._tables[name] = read_table(self.run_dir, name, recorded.get("digest"))
        return self._tables[name]

    @property
    def events(self) -> pd.DataFrame:
        return self.table("events")

    @property
    def llm_calls(self) -> pd.DataFrame:
        return self.table("llm_calls")

    @property
    def model(self) -> pd.DataFrame:
        return self.table("model")

    @property
    def agents(self) -> pd.DataFrame:
        return self.table("agents")


def run(
    spec: ScenarioSpec,
    *,
    out: str | Path | None = None,
    replay: bool = False,
    gateway: Gateway | None = None,
    progress: bool = False,
    report: bool | None = None,
) -> Result:
    """Run `spec` into a fresh run directory (default `<outputs.dir>/<name>/<run-id>/`)."""
    from simsocial.spec import dump_spec

    if replay:
        spec = spec.model_copy(update={"llm": spec.llm.model_copy(update={"replay": True})})
    run_id = new_run_id(spec)
    run_dir = Path(out) if out is not None else Path(spec.outputs.dir) / spec.name / run_id
    if run_dir.exists() and not run_dir.is_dir():
        raise RunError(f"{run_dir} is a file; --out must name a directory")
    preflight_models(spec)
    with DirectoryLock(run_dir):
        if (run_dir / "manifest.json").exists():
            raise RunError(
                f"{run_dir} already holds a run; choose another --out or `simsocial resume` it"
            )
        clear_unstarted(run_dir)
        store = RunStore(run_dir)
        write_atomic(run_dir / "spec.yaml", dump_spec(spec).encode())
        store.write_manifest(new_manifest(spec, run_id))
        return execute_in(spec, store, gateway=gateway, progress=progress, report=report)


def resume(
    run_dir: str | Path,
    *,
    gateway: Gateway | None = None,
    progress: bool = False,
    rewind: bool = False,
    overrides: list[str] | None = None,
) -> Result:
    """Continue an interrupted run from its last checkpoint, to the same result; finish the last
    phase of one killed while it was ending; continue a budget-exhausted one given `overrides`
    that raise its budget (only RESUME_KEYS)."""
    from simsocial.spec import dump_spec

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        why = "it is a file" if run_dir.exists() else "it does not exist"
        raise RunError(f"{run_dir} is not a run directory: {why}")
    with DirectoryLock(run_dir):
        if not (run_dir / "spec.yaml").exists():
            raise RunError(
                f"{run_dir} holds no run: it was stopped before it wrote its spec; "
                f"start it again with `simsocial run FILE --out {run_dir}`"
            )
        spec = resumed_spec(run_dir, overrides)
        store = RunStore(run_dir)
        manifest = store.read_manifest() if store.manifest_path.exists() else None
        reopening = False
        if manifest is not None:
            if (manifest.get("branch") or {}).get("ready") is False:
                raise RunError(
                    f"{run_dir} is a branch that was stopped while it was being set up; "
                    "delete it and branch again"
                )
            committed = manifest.get("tables") is not None
            reopening = committed and manifest.get("status") == "budget_exhausted"
            if committed and not (reopening and overrides):  # no model call: no preflight
                return finish_ended(store, manifest)
            if not committed and manifest.get("status") in ENDED:
                raise RunError(f"{run_dir} already ended ({manifest['status']}); nothing to resume")
        preflight_models(spec)  # only now: the run is about to call its models
        if manifest is None:  # killed between spec.yaml and the manifest
            store.write_manifest(new_manifest(spec, new_run_id(spec)))
        elif reopening:
            refuse_if_still_spent(spec, manifest)
            reopen(store, manifest)
        if overrides:  # kept with the run, so a later resume continues with them
            write_atomic(run_dir / "spec.yaml", dump_spec(spec).encode())
        store.discard_consolidated()
        store.update_manifest(
            status="running", resumed_at=utc_now(), resumed_with=list(overrides or []) or None
        )
        return execute_in(
            spec, store, gateway=gateway, progress=progress, resuming=True, rewind=rewind
        )


def execute_in(
    spec: ScenarioSpec,
    store: RunStore,
    *,
    gateway: Gateway | None,
    progress: bool,
    report: bool | None = None,
    resuming: bool = False,
    rewind: bool = False,
) -> Result:
    """Step the model in `store`'s run directory (from its checkpoint when `resuming`) to the
    end, then commit its tables; shared by run, resume and branch."""
    from simsocial.llm import get_gateway
    from simsocial.scenarios import KINDS

    manifest = store.read_manifest()
    gateway = gateway or get_gateway()
    cache_dir = Path(spec.outputs.dir) / ".llm-cache"
    session = gateway.session(
        spec.llm,
        run_id=manifest["run_id"],
        cache_dir=cache_dir,
        stream=_draw_stream(spec, manifest),
    )
    model_cls = KINDS[spec.kind].load("model")
    register_tables(store, spec)
    model: SimModel = model_cls(spec, session, store.log_event)
    model.spill_sink = lambda: store.spill(session.drain_records())
    model.run_dir = store.run_dir
    start = 0
    custom = CustomMetrics(spec.metrics)
    custom.check(set(metrics(model)))
    schedule = Schedule(spec.interventions, custom)  # the runner's: when interventions fire
    checkpoint = store.load_checkpoint(rewind=rewind) if resuming else None
    if checkpoint is not None:
        schedule.replay(model, checkpoint.get("interventions", []))  # before the state
        model.restore(checkpoint["model"])
        session.set_state(checkpoint["session"])
        start = checkpoint["next_step"]
    else:
        _collect_start(store, model, custom)
    used, earlier = record_usage(), manifest.get("prompt_templates") or {}

    def templates() -> dict[str, str]:
        return _templates(earlier, model, used)

    store.update_manifest(warnings=store.warnings or None)

    bar = ProgressLine(spec, session, start) if progress else None
    try:
        status = _step_through(spec, store, model, schedule, custom, session, start, bar, templates)
        error = _stopped_by_model(session) if status == "failed" else None
    except KeyboardInterrupt:
        status, error = "interrupted", "stopped by the user; `simsocial resume` continues it"
    except Exception as exc:  # a scenario bug: keep what was written, say what happened
        _stop(store, session, model, "failed", f"{type(exc).__name__}: {exc}", bar, templates)
        raise
    if status not in ENDED:
        manifest = _stop(store, session, model, status, error, bar, templates)
        return Result(run_dir=store.run_dir, status=status, manifest=manifest)
    if bar is not None:
        bar.stop()
    store.add_calls(session.drain_records())
    store.flush()
    try:
        tables = store.consolidate()
    except DamagedRun as exc:  # a part changed under the run: say so, resume names the step
        store.update_manifest(status="failed", ended_at=utc_now(), error=str(exc))
        raise
    kill_point("commit")
    wants_report = report if report is not None else spec.outputs.report
    stats = session.stats()
    share = failed_share(stats)
    if status == "completed" and (share > spec.llm.failure_tolerance or replay_misses(stats)):
        status = "completed_with_failures"
    manifest = store.update_manifest(
        fsync=True,
        status=status,
        ended_at=utc_now(),
        llm=stats,
        failed_share=share,
        failures=describe_failures(stats) or None,
        error=None,
        tables=tables,
        prompt_templates=templates(),
        report="pending" if wants_report else "off",
        cache=_cache_health(session),
        unfired=schedule.unfired(steps_done=_steps_done(store)) or None,
        **model.manifest_extras(),
    )
    store.discard_parts()
    if wants_report:
        manifest = commit_report(store)
    return Result(run_dir=store.run_dir, status=status, manifest=manifest)


def _step_through(
    spec: ScenarioSpec,
    store: RunStore,
    model: SimModel,
    schedule: Schedule,
    custom: CustomMetrics,
    session: Session,
    start: int,
    bar: ProgressLine | None,
    templates: Callable[[], dict[str, str]],
) -> str:
    """The step loop; returns how it ended. Rows of a step are durable once its checkpoint is."""
    from simsocial.collect import collect_step

    for step in range(start, spec.steps):
        if model.done:
            break
        model.step_index = step
        schedule.apply_due(model)  # interventions fire before the step's agents act
        model.step()
        kill_point("step")
        if session.tripped is not None:  # this step's decisions were lost: resume redoes it
            return "failed"
        _drain(store, model)
        model_rows, agent_rows = collect_step(model, custom)
        store.add_rows("model", model_rows)
        store.add_rows("agents", agent_rows)
        last = model.done or step + 1 >= spec.steps or session.budget_exhausted
        if _snapshot_due(spec, step, last):
            store.add_graph(step, model.graph_edges())
        if bar is not None:
            bar.advance(model.summary())
        if last or (step + 1) % spec.outputs.flush_every == 0:
            store.add_calls(session.drain_records())
            store.save_checkpoint(
                {
                    "next_step": step + 1,
                    "model": model.capture(),
                    "interventions": schedule.get_state(),
                    "session": session.get_state(),
                },
                keep=spec.outputs.keep_checkpoints,
            )
            store.update_manifest(
                steps_done=step + 1, llm=session.stats(), prompt_templates=templates()
            )
        if session.budget_exhausted:
            return "budget_exhausted"
    return "completed"


def _collect_start(store: RunStore, model: SimModel, custom: CustomMetrics) -> None:
    """Step -1 is the starting state, before any step or intervention: the network (as in
    graphs.parquet) and, for a model that has one, the model and agent rows. Written only by a
    fresh start; a resumed run's rows before its checkpoint are already counted."""
    from simsocial.collect import collect_step

    _drain(store, model)  # e.g. the platform's users and their first follows
    store.add_graph(-1, model.graph_edges())
    if model.has_starting_state:
        model.step_index = -1
        model_rows, agent_rows = collect_step(model, custom)
        model.step_index = 0
        store.add_rows("model", model_rows)
        store.add_rows("agents", agent_rows)


def register_tables(store: RunStore, spec: ScenarioSpec) -> None:
    """The scenario kind's own tables, before any row is written or a checkpoint loaded."""
    from simsocial.scenarios import KINDS

    for name, schema in KINDS[spec.kind].load("model").TABLES.items():
        store.register_table(name, schema)


def _drain(store: RunStore, model: SimModel) -> None:
    for name, rows in model.drain_tables().items():
        store.add_rows(name, rows)


def _stop(
    store: RunStore,
    session: Session,
    model: SimModel,
    status: str,
    error: str | None,
    bar: ProgressLine | None,
    templates: Callable[[], dict[str, str]],
) -> dict[str, Any]:
    """Record a run that did not end: rows after the last checkpoint are flushed for people to
    look at, and discarded by `resume`, which continues from the checkpoint."""
    if bar is not None:
        bar.stop()
    store.add_calls(session.drain_records())
    store.flush()
    return store.update_manifest(
        status=status,
        ended_at=utc_now(),
        llm=session.stats(),
        error=error,
        cache=_cache_health(session),
        prompt_templates=templates(),
        **model.manifest_extras(),
    )


def _stopped_by_model(session: Session) -> str:
    return (
        f"stopped: {session.tripped}; nothing of the step that tripped it was kept, and "
        "`simsocial resume` redoes it once the model answers"
    )


def _steps_done(store: RunStore) -> int:
    return int(store.read_manifest().get("steps_done", 0))


def _cache_health(session: Session) -> dict[str, Any] | None:
    """Damage the response cache survived (moved aside, damaged rows read as misses)."""
    return (session.cache.health() or None) if session.cache is not None else None


def _draw_stream(spec: ScenarioSpec, manifest: dict[str, Any]) -> int:
    """The run's seed, or a branch's own seed, so that a branch samples its own LLM draws."""
    return int((manifest.get("branch") or {}).get("seed", spec.seed))


def _snapshot_due(spec: ScenarioSpec, step: int, last: bool) -> bool:
    every = spec.outputs.snapshot_every
    return last if every is None else (last or (step + 1) % every == 0)


def _templates(earlier: dict[str, str], model: SimModel, used: set[str]) -> dict[str, str]:
    """The templates this run rendered (so far, across resumes) and the scenario's own."""
    from simsocial.llm.prompts import hashes

    return {**earlier, **hashes(used), **model.prompt_templates()}
