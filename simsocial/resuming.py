"""What `resume` does with a run directory in each phase a kill or a stop can leave it in.

Running (no committed tables): the runner continues from the checkpoint. Committed (the manifest
records the tables): the tables are verified and what came after the commit is finished (parts
deleted, report written). Committed as `budget_exhausted` and resumed with a larger budget: the
tables are turned back into parts and the run continues (`reopen`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simsocial.errors import RunError
from simsocial.parts import read_verified
from simsocial.store import RunStore

if TYPE_CHECKING:
    from simsocial.runner import Result
    from simsocial.spec_models import ScenarioSpec

RESUME_KEYS = (
    "llm.budget", "llm.timeout", "llm.retries", "llm.max_concurrency", "llm.rate_limit",
    "llm.breaker", "llm.api_base", "llm.endpoints", "outputs.report",
)  # fmt: skip
"""What `resume --set` may change: how the run reaches its model, never what the run is."""


def finish_ended(store: RunStore, manifest: dict[str, Any]) -> Result:
    """A run killed after its commit point: its tables are whole; finish what came after."""
    store.verify_tables(manifest["tables"])
    finished = False
    if store.parts_dir.exists():
        store.discard_parts()
        finished = True
    if manifest.get("report") == "pending":
        manifest = commit_report(store)
        finished = True
    if not finished:
        hint = ""
        if manifest["status"] == "budget_exhausted":
            hint = (
                "; `--set llm.budget.usd=...` (or calls, tokens) with a larger budget continues it"
            )
        raise RunError(
            f"{store.run_dir} already ended ({manifest['status']}); nothing to resume{hint}"
        )
    from simsocial.runner import Result

    return Result(run_dir=store.run_dir, status=str(manifest["status"]), manifest=manifest)


def refuse_if_still_spent(spec: ScenarioSpec, manifest: dict[str, Any]) -> None:
    """Refuse to reopen a run whose budget, with the new settings, is spent already."""
    from simsocial.llm.accounting import Stats, budget_reached

    reason = budget_reached(spec.llm.budget, Stats.from_dict(manifest.get("llm") or {}))
    if reason is not None:
        raise RunError(
            f"{manifest.get('run_id', 'the run')}: {reason} with these settings; raise "
            "llm.budget (e.g. --set llm.budget.calls=...) to continue"
        )


def reopen(store: RunStore, manifest: dict[str, Any]) -> None:
    """Turn a committed, budget-exhausted run back into a running one: each verified table
    becomes the single part its last checkpoint counts, so stepping can continue. A kill before
    the manifest says `running` leaves the committed run as it was (resume finishes it again);
    a kill after it leaves a running run that resumes from the new checkpoint."""
    store.verify_tables(manifest["tables"])
    state = store.read_checkpoint()
    if state is None or any(
        state["rows"].get(name, 0) != info["rows"] for name, info in manifest["tables"].items()
    ):
        raise RunError(f"{store.run_dir}: its last checkpoint does not match its tables")
    for name, table in store.tables.items():
        table.truncate(0)
        info = manifest["tables"][name]
        path = store.run_dir / f"{name}.parquet"
        if info["rows"]:
            table.write_part(read_verified(path, info["digest"]))
    clean = {k: v for k, v in state.items() if k not in ("parts", "rows")}
    store.save_checkpoint(clean)
    # the commit point of reopening: from here the parts are the run; the tables go after it
    store.update_manifest(fsync=True, status="running", tables=None, report=None)
    store.discard_consolidated()


def resumed_spec(run_dir: Path, overrides: list[str] | None) -> ScenarioSpec:
    """The run's own spec, with run-control overrides; anything else is refused, since it would
    change what the run is."""
    from simsocial.spec import load_scenario

    if not overrides:
        return load_scenario(run_dir / "spec.yaml")
    for override in overrides:
        key = override.partition("=")[0].strip()
        if not any(key == k or key.startswith(k + ".") for k in RESUME_KEYS):
            raise RunError(
                f"resume --set {key}: only run-control keys can change on resume "
                f"({', '.join(RESUME_KEYS)}); to change the scenario, branch or run it again"
            )
    return load_scenario(run_dir / "spec.yaml", overrides=overrides)


def clear_unstarted(run_dir: Path) -> None:
    """Leftovers of a run killed before its manifest existed: nothing of it was committed."""
    for name in ("parts", "checkpoint"):
        shutil.rmtree(run_dir / name, ignore_errors=True)


def commit_report(store: RunStore) -> dict[str, Any]:
    from simsocial.analysis.report import write_report

    write_report(store.run_dir)
    return store.update_manifest(report="written")
