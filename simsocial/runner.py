"""Run a scenario into a run directory, and resume one that was interrupted.

The loop is the same for a fresh run and a resumed one: step the model, log what it did, flush a
chunk and checkpoint every `outputs.flush_every` steps, stop at `steps`, when the model is done, or
when the LLM budget is spent; then consolidate the tables, write the manifest and the report.
"""

from __future__ import annotations

import hashlib
import platform
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simsocial.errors import RunError
from simsocial.faults import kill_point
from simsocial.llm.failures import NOT_ASKED, describe_failures
from simsocial.runlock import DirectoryLock
from simsocial.store import ENDED, RunStore, utc_now, write_atomic

if TYPE_CHECKING:
    import pandas as pd

    from simsocial.llm import Gateway, LLMConfig, Session
    from simsocial.model import SimModel
    from simsocial.spec_models import ScenarioSpec

RECORDED_PACKAGES = (
    "simsocial", "mesa", "litellm", "openai", "networkx", "numpy", "pandas", "pydantic",
    "scipy", "pyarrow", "llama_cpp_python",
)  # fmt: skip


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


def new_run_id(spec: ScenarioSpec) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    salt = hashlib.blake2b(f"{stamp}{spec.model_dump_json()}".encode(), digest_size=3).hexdigest()
    return f"{stamp}-s{spec.seed}-{salt}"


def new_manifest(spec: ScenarioSpec, run_id: str, steps_done: int = 0) -> dict[str, Any]:
    """The manifest of a run that is about to start; the runner fills in the rest as it goes."""
    return {
        "run_id": run_id,
        "scenario": spec.name,
        "kind": spec.kind,
        "seed": spec.seed,
        "status": "running",
        "started_at": utc_now(),
        "ended_at": None,
        "model": spec.llm.model,
        "temperature": spec.llm.temperature,
        "steps_done": steps_done,
        "versions": package_versions(),
        "spec": spec.model_dump(mode="json"),
        "parent": None,
    }


RESUME_KEYS = (
    "llm.budget", "llm.timeout", "llm.retries", "llm.max_concurrency", "llm.rate_limit",
    "llm.breaker", "llm.api_base", "outputs.report",
)  # fmt: skip
"""What `resume --set` may change: how the run reaches its model, never what the run is."""


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
        _clear_unstarted(run_dir)
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
        spec = _resumed_spec(run_dir, overrides)
        preflight_models(spec)
        store = RunStore(run_dir)
        if not store.manifest_path.exists():  # killed between spec.yaml and the manifest
            store.write_manifest(new_manifest(spec, new_run_id(spec)))
        manifest = store.read_manifest()
        if manifest.get("tables") is not None:
            if manifest.get("status") == "budget_exhausted" and overrides:
                _reopen(store, manifest)
            else:
                return _finish_ended(spec, store, manifest)
        elif manifest.get("status") in ENDED:
            raise RunError(f"{run_dir} already ended ({manifest['status']}); nothing to resume")
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
    model: SimModel = model_cls(spec, session, store.log_event)
    start = 0
    checkpoint = store.load_checkpoint(rewind=rewind) if resuming else None
    if checkpoint is not None:
        model.restore(checkpoint["model"])
        session.set_state(checkpoint["session"])
        start = checkpoint["next_step"]
    elif model.graph is not None:
        store.add_graph(-1, model.graph.edges())
    store.update_manifest(prompt_templates=_templates(model), warnings=store.warnings or None)

    bar = _progress(spec, session, start) if progress else None
    try:
        status = _step_through(spec, store, model, session, start, bar)
        error = _stopped_by_model(session) if status == "failed" else None
    except KeyboardInterrupt:
        status, error = "interrupted", "stopped by the user; `simsocial resume` continues it"
    except Exception as exc:  # a scenario bug: keep what was written, say what happened
        _stop(store, session, model, "failed", f"{type(exc).__name__}: {exc}", bar)
        raise
    if status not in ENDED:
        manifest = _stop(store, session, model, status, error, bar)
        return Result(run_dir=store.run_dir, status=status, manifest=manifest)
    if bar is not None:
        bar.stop()
    store.add_calls(session.drain_records())
    store.flush()
    tables = store.consolidate()
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
        report="pending" if wants_report else "off",
        cache=_cache_health(session),
        unfired=model.interventions.unfired(steps_done=_steps_done(store)) or None,
        **model.manifest_extras(),
    )
    store.discard_parts()
    if wants_report:
        manifest = _write_report(store)
    return Result(run_dir=store.run_dir, status=status, manifest=manifest)


def _step_through(
    spec: ScenarioSpec,
    store: RunStore,
    model: SimModel,
    session: Session,
    start: int,
    bar: _ProgressLine | None,
) -> str:
    """The step loop; returns how it ended. Rows of a step are durable once its checkpoint is."""
    from simsocial.collect import collect_step
    from simsocial.interventions import apply_due

    for step in range(start, spec.steps):
        if model.done:
            break
        model.step_index = step
        apply_due(model)  # interventions fire before the step's agents act
        model.step()
        kill_point("step")
        if session.tripped is not None:  # this step's decisions were lost: resume redoes it
            return "failed"
        model_rows, agent_rows = collect_step(model)
        store.add_rows("model", model_rows)
        store.add_rows("agents", agent_rows)
        last = model.done or step + 1 >= spec.steps or session.budget_exhausted
        if _snapshot_due(spec, step, last) and model.graph is not None:
            store.add_graph(step, model.graph.edges())
        if bar is not None:
            bar.advance(model.summary())
        if last or (step + 1) % spec.outputs.flush_every == 0:
            store.add_calls(session.drain_records())
            store.save_checkpoint(
                {
                    "next_step": step + 1,
                    "model": model.capture(),
                    "session": session.get_state(),
                },
                keep=spec.outputs.keep_checkpoints,
            )
            store.update_manifest(steps_done=step + 1, llm=session.stats())
        if session.budget_exhausted:
            return "budget_exhausted"
    return "completed"


def _stop(
    store: RunStore,
    session: Session,
    model: SimModel,
    status: str,
    error: str | None,
    bar: _ProgressLine | None,
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
        **model.manifest_extras(),
    )


def preflight_models(spec: ScenarioSpec) -> None:
    """Check, before anything is written, that every model the run will call can answer."""
    from simsocial.llm.preflight import preflight

    preflight(models_of(spec))


def models_of(spec: ScenarioSpec) -> list[LLMConfig]:
    """The run's model, the models personas pin, and models a set_param intervention switches
    to: each with the run's other llm keys."""
    from simsocial.personas import load

    strings = []
    personas = getattr(getattr(spec, spec.kind, None), "personas", None)
    if isinstance(personas, str | Path):
        strings += [p.model for p in load(personas) if p.model]
    for entry in spec.interventions:
        extra = entry.model_extra or {}
        if entry.do == "set_param" and extra.get("path") == "llm.model":
            strings.append(str(extra.get("value")))
    others = dict.fromkeys(m for m in strings if m != spec.llm.model)
    return [spec.llm, *(spec.llm.model_copy(update={"model": m}) for m in others)]


def failed_share(stats: dict[str, Any]) -> float:
    """Failed asks over all asks (a budget stop is its own status, not a failure here)."""
    failures = stats.get("failures_by_kind", {})
    failed = sum(n for kind, n in failures.items() if kind != "budget")
    not_sent = sum(n for kind, n in failures.items() if kind in NOT_ASKED)
    asked = stats.get("calls", 0) + stats.get("cache_hits", 0) + stats.get("dedup_hits", 0)
    total = asked + not_sent
    return round(failed / total, 6) if total else 0.0


def replay_misses(stats: dict[str, Any]) -> int:
    return int(stats.get("failures_by_kind", {}).get("replay_miss", 0))


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


def _write_report(store: RunStore) -> dict[str, Any]:
    from simsocial.analysis.report import write_report

    write_report(store.run_dir)
    return store.update_manifest(report="written")


def _finish_ended(spec: ScenarioSpec, store: RunStore, manifest: dict[str, Any]) -> Result:
    """A run killed after its commit point: its tables are whole; finish what came after."""
    store.verify_tables(manifest["tables"])
    finished = False
    if store.parts_dir.exists():
        store.discard_parts()
        finished = True
    if manifest.get("report") == "pending":
        manifest = _write_report(store)
        finished = True
    if not finished:
        raise RunError(f"{store.run_dir} already ended ({manifest['status']}); nothing to resume")
    return Result(run_dir=store.run_dir, status=str(manifest["status"]), manifest=manifest)


def _reopen(store: RunStore, manifest: dict[str, Any]) -> None:
    """Turn a committed, budget-exhausted run back into a running one: each verified table
    becomes the single part its last checkpoint counts, so stepping can continue."""
    store.verify_tables(manifest["tables"])
    state = store.read_checkpoint()
    if state is None or any(
        state["rows"].get(name, 0) != info["rows"] for name, info in manifest["tables"].items()
    ):
        raise RunError(f"{store.run_dir}: its last checkpoint does not match its tables")
    from simsocial.store import read_verified

    for name, table in store.tables.items():
        table.truncate(0)
        info = manifest["tables"][name]
        path = store.run_dir / f"{name}.parquet"
        if info["rows"]:
            table.write_part(read_verified(path, info["digest"]))
    clean = {k: v for k, v in state.items() if k not in ("parts", "rows")}
    store.save_checkpoint(clean)
    store.discard_consolidated()
    store.update_manifest(tables=None, report=None)


def _resumed_spec(run_dir: Path, overrides: list[str] | None) -> ScenarioSpec:
    """The run's own spec, with run-control overrides (written back, so a later resume sees
    them); anything else is refused, since it would change what the run is."""
    from simsocial.spec import dump_spec, load_scenario

    if not overrides:
        return load_scenario(run_dir / "spec.yaml")
    for override in overrides:
        key = override.partition("=")[0].strip()
        if not any(key == k or key.startswith(k + ".") for k in RESUME_KEYS):
            raise RunError(
                f"resume --set {key}: only run-control keys can change on resume "
                f"({', '.join(RESUME_KEYS)}); to change the scenario, branch or run it again"
            )
    spec = load_scenario(run_dir / "spec.yaml", overrides=overrides)
    write_atomic(run_dir / "spec.yaml", dump_spec(spec).encode())
    return spec


def _clear_unstarted(run_dir: Path) -> None:
    """Leftovers of a run killed before its manifest existed: nothing of it was committed."""
    for name in ("parts", "checkpoint"):
        shutil.rmtree(run_dir / name, ignore_errors=True)


def _draw_stream(spec: ScenarioSpec, manifest: dict[str, Any]) -> int:
    """The run's seed, or a branch's own seed, so that a branch samples its own LLM draws."""
    return int((manifest.get("branch") or {}).get("seed", spec.seed))


def _snapshot_due(spec: ScenarioSpec, step: int, last: bool) -> bool:
    every = spec.outputs.snapshot_every
    return last if every is None else (last or (step + 1) % every == 0)


def _templates(model: SimModel) -> dict[str, str]:
    from simsocial.llm.prompts import all_templates

    return {**all_templates(), **model.prompt_templates()}


@cache
def _versions() -> tuple[tuple[str, str], ...]:
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return tuple(versions.items())


def package_versions() -> dict[str, str]:
    """Versions recorded in the manifest (read once per process: metadata parsing is slow)."""
    return dict(_versions())


class _ProgressLine:
    """A rich progress bar: steps, calls/s, tokens, cost and failures, refreshed live."""

    def __init__(self, spec: ScenarioSpec, session: Session, start: int):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        session_stats = session.stats

        class LLMColumn(TextColumn):
            def render(self, task: Any) -> Any:
                stats = session_stats()
                elapsed = max(1e-9, task.elapsed or 1e-9)
                calls = stats.get("calls", 0) + stats.get("cache_hits", 0)
                failures = sum(stats.get("failures_by_kind", {}).values())
                tokens = stats.get("prompt_tokens", 0) + stats.get("completion_tokens", 0)
                self.text_format = (
                    f"{calls / elapsed:,.1f} calls/s  {tokens:,} tok  "
                    f"${stats.get('cost_usd', 0.0):.4f}  {failures} failed  {task.fields['extra']}"
                )
                return super().render(task)

        self.progress = Progress(
            TextColumn(f"[bold]{spec.name}[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            LLMColumn(""),
            TimeElapsedColumn(),
        )
        self.task = self.progress.add_task("steps", total=spec.steps, completed=start, extra="")
        self.progress.start()

    def advance(self, summary: dict[str, Any]) -> None:
        extra = " ".join(f"{k}={v}" for k, v in summary.items())
        self.progress.update(self.task, advance=1, extra=extra)

    def stop(self) -> None:
        self.progress.stop()


def _progress(spec: ScenarioSpec, session: Session, start: int) -> _ProgressLine:
    return _ProgressLine(spec, session, start)
