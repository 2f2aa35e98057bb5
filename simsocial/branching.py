"""The multiverse: fork a run at a step into branches that share its past and explore its future.

A branch starts from the checkpoint the parent kept after STEP steps (outputs.keep_checkpoints):
its run directory begins with exactly the parent's rows up to that point, and its model, session
and RNG state are the parent's there. What differs after STEP is what the branch asks for: a new
seed (each branch its own, derived from the parent's seed and STEP, so the model RNG and the LLM
draws at temperature > 0 sample afresh) and/or overrides such as a changed temperature, prompt or
an intervention. With `keep_seed` and no overrides a branch replays the parent exactly.

Branches live in `<parent>/branches/at<STEP>-<i>/`, each a complete run directory whose manifest
names its parent; `simsocial.analysis.tree` reads a parent and its branches as one tree.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from simsocial import checkpoint
from simsocial.errors import RunError
from simsocial.parts import DamagedRun, part_files, read_verified, write_atomic
from simsocial.runlock import DirectoryLock
from simsocial.store import RunStore

if TYPE_CHECKING:
    from simsocial.llm import Gateway
    from simsocial.runner import Result
    from simsocial.spec_models import ScenarioSpec


def branch(
    run_dir: str | Path,
    at: int,
    n: int = 1,
    overrides: list[str] | dict[str, Any] | None = None,
    *,
    keep_seed: bool = False,
    gateway: Gateway | None = None,
    progress: bool = False,
) -> list[Result]:
    """Fork `run_dir` after `at` steps into `n` branches and run each to its end."""
    from simsocial.manifest import new_manifest, new_run_id
    from simsocial.preflight import preflight_models
    from simsocial.runner import execute_in, register_tables
    from simsocial.spec import dump_spec, load_scenario

    parent = Path(run_dir).resolve()
    manifest = _parent_manifest(parent)
    with DirectoryLock(parent):  # one brancher at a time: branch indices stay unique
        state = _branch_point(parent, at)
        spec = load_scenario(parent / "spec.yaml", overrides)
        _keep_population(load_scenario(parent / "spec.yaml"), spec)
        preflight_models(spec)
        prefix = {
            name: _prefix(parent, manifest, name, rows) for name, rows in state["rows"].items()
        }
        home = parent / "branches"
        first = len(list(home.glob(f"at{at}-*"))) if home.exists() else 0
        seeds = branch_seeds(int(manifest["seed"]), at, first + n)[first:]
        results = []
        for index, seed in enumerate(seeds, start=first):
            branch_seed = int(manifest["seed"]) if keep_seed else seed
            with DirectoryLock(home / f"at{at}-{index:02d}") as lock:
                store = RunStore(lock.directory)
                register_tables(store, spec)
                write_atomic(store.run_dir / "spec.yaml", dump_spec(spec).encode())
                store.write_manifest(
                    {
                        **new_manifest(spec, f"{new_run_id(spec)}-b{at}-{index}", steps_done=at),
                        "parent": str(parent),
                        "branch": {
                            "parent": str(parent),
                            "parent_run_id": manifest.get("run_id"),
                            "at": at,
                            "index": index,
                            "seed": branch_seed,
                            "keep_seed": keep_seed,
                            "ready": False,  # until its rows and checkpoint are written
                            "overrides": overrides
                            if isinstance(overrides, dict)
                            else list(overrides or []),
                        },
                    }
                )
                for name, table in prefix.items():
                    _write_prefix(store, name, table)
                forked = {k: v for k, v in state.items() if k not in ("parts", "rows")}
                if not keep_seed:
                    forked["model"] = {**forked["model"], **_fresh_rng(branch_seed)}
                store.save_checkpoint(forked, keep=spec.outputs.keep_checkpoints)
                store.update_manifest(branch={**store.read_manifest()["branch"], "ready": True})
                results.append(
                    execute_in(spec, store, gateway=gateway, progress=progress, resuming=True)
                )
    return results


def branch_seeds(parent_seed: int, at: int, count: int) -> list[int]:
    """Seeds of the first `count` branches at `at`: reproducible, and extendable later."""
    children = np.random.SeedSequence([parent_seed, at]).spawn(count)
    return [int(child.generate_state(1)[0]) for child in children]


def _keep_population(parent: ScenarioSpec, spec: ScenarioSpec) -> None:
    """Refuse overrides that change who the agents are or how they are linked: the branch starts
    from the parent's checkpoint, whose agents and network would silently win (or clash)."""
    from simsocial.spec_errors import Problem, SpecError, show_value

    old, new = parent.model_dump(mode="json"), spec.model_dump(mode="json")
    problems = []
    for key in type(spec).POPULATION_KEYS:
        before, after = _at(old, key), _at(new, key)
        if before != after:
            message = (
                f"a branch keeps its parent's population and network ({key} is "
                f"{show_value(before)} there); change them after the fork with interventions "
                "(add_agents, remove_agents, remove_edges)"
            )
            problems.append(Problem(None, None, key, message, True))
    if problems:
        raise SpecError(problems)


def _at(data: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        data = data.get(part) if isinstance(data, dict) else None
    return data


def _parent_manifest(parent: Path) -> dict[str, Any]:
    if not (parent / "manifest.json").exists() or not (parent / "spec.yaml").exists():
        raise RunError(f"{parent} is not a run directory (no manifest.json and spec.yaml)")
    return RunStore(parent).read_manifest()


def _branch_point(parent: Path, at: int) -> dict[str, Any]:
    store = RunStore(parent)
    path = store.branch_point(at)
    if not path.exists():
        kept = store.branch_points()
        where = (
            f"it kept checkpoints after steps {_ranges(kept)}"
            if kept
            else "it kept no checkpoints (outputs.keep_checkpoints: false)"
        )
        raise RunError(f"cannot branch {parent} at step {at}: {where}")
    return checkpoint.read(path)


def _prefix(parent: Path, manifest: dict[str, Any], name: str, rows: int) -> pa.Table | None:
    """The first `rows` rows the parent wrote to table `name` (from its committed table, or
    from its part files while it is unfinished), each file verified."""
    if rows == 0:
        return None
    recorded = (manifest.get("tables") or {}).get(name)
    if recorded is not None:
        table = read_verified(parent / f"{name}.parquet", recorded["digest"])
    else:
        files = part_files(parent, name)
        tables = [read_verified(f, f.stem.split("-")[2]) for f in files]
        table = pa.concat_tables(tables, promote_options="permissive")
    if table.num_rows < rows:
        raise DamagedRun(
            f"{parent}: table {name} has {table.num_rows} rows, the branch point {rows}"
        )
    return table.slice(0, rows)


def _write_prefix(store: RunStore, name: str, table: pa.Table | None) -> None:
    if table is not None:
        store.tables[name].write_part(table)


def _fresh_rng(seed: int) -> dict[str, Any]:
    """Model RNG states (numpy Generator and stdlib random) seeded anew for a branch."""
    return {
        "rng": np.random.default_rng(seed).bit_generator.state,
        "random": random.Random(seed).getstate(),
    }


def _ranges(values: list[int]) -> str:
    if len(values) <= 6:
        return ", ".join(map(str, values))
    return f"{values[0]}, {values[1]}, ..., {values[-1]}"
