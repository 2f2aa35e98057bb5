"""The run directory: append-only Parquet chunks, a manifest, checkpoints, in a crash-safe order.

Layout (see README): manifest.json, spec.yaml, <table>.parquet for events, llm_calls, model,
agents and graphs (and the tables a scenario kind registers, e.g. the platform's posts, votes
and follows), checkpoint/, report.html. While a run goes, rows are appended as part files
parts/<table>-NNNNNN-<digest>.parquet (the digest of the file's bytes is in its name, so a
damaged or swapped part is recognised) and flushed at each checkpoint. Every file is written to a
temporary name and renamed, and nothing is deleted before what replaces it is durable:

1. stepping   parts, then the checkpoint that counts them (checkpoint/latest.ckpt; the one before
              stays as previous.ckpt). A kill loses at most the rows after the last checkpoint,
              and `resume` discards exactly those.
2. tables     each table consolidated from its verified parts into <table>.parquet.
3. commit     the manifest records the final status and each table's rows and digest: from here
              on the tables are the run, and the parts may go.
4. discard    parts/ deleted; then the report is written (the manifest says whether it was).

`resume` reads the manifest to know which phase was reached (simsocial.runner).
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from simsocial import checkpoint
from simsocial.errors import RunError
from simsocial.faults import kill_point
from simsocial.parts import ChunkedTable, DamagedRun, write_atomic

TABLES = ("events", "llm_calls", "model", "agents", "graphs")  # every run has these

# Fixed column types, so that part files from different chunks always concatenate.
EVENT_SCHEMA = pa.schema(
    [
        ("step", pa.int64()),
        ("agent_id", pa.int64()),
        ("kind", pa.string()),
        ("payload", pa.string()),
    ]
)
GRAPH_SCHEMA = pa.schema([("step", pa.int64()), ("source", pa.int64()), ("target", pa.int64())])
FIXED_SCHEMAS = {"events": EVENT_SCHEMA, "graphs": GRAPH_SCHEMA}
LATEST, PREVIOUS = "latest.ckpt", "previous.ckpt"
# statuses of a run whose tables are committed; `completed_with_failures` lost more decisions
# than llm.failure_tolerance allows, `budget_exhausted` stopped when its budget was spent
ENDED = ("completed", "completed_with_failures", "budget_exhausted")


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_json_atomic(path: Path, data: Any, pretty: bool = True, fsync: bool = False) -> None:
    """`pretty=False` writes one line with the C encoder (indenting runs the pure-Python one,
    ~10x slower)."""
    text = json.dumps(data, indent=2 if pretty else None, default=str, ensure_ascii=False)
    write_atomic(path, text.encode(), fsync=fsync)


class RunStore:
    """Everything a run writes goes through here, so the layout lives in one place."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.parts_dir = self.run_dir / "parts"
        self.checkpoint_dir = self.run_dir / "checkpoint"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoint_dir.mkdir(exist_ok=True)
        self.tables = {
            name: ChunkedTable(self.parts_dir, name, FIXED_SCHEMAS.get(name)) for name in TABLES
        }
        self.warnings: list[str] = []  # recoveries made on resume, for the manifest

    @property
    def manifest_path(self) -> Path:
        return self.run_dir / "manifest.json"

    def read_manifest(self) -> dict[str, Any]:
        try:
            manifest = json.loads(self.manifest_path.read_text())
        except FileNotFoundError:
            raise RunError(f"{self.run_dir} has no manifest.json") from None
        except (OSError, ValueError) as exc:
            raise DamagedRun(f"{self.manifest_path} is damaged ({exc})") from None
        if not isinstance(manifest, dict):
            raise DamagedRun(f"{self.manifest_path} does not hold a JSON object")
        return manifest

    def write_manifest(self, manifest: dict[str, Any], fsync: bool = False) -> None:
        """Compact while the run goes (it is rewritten at every checkpoint), indented for people
        once it has ended."""
        pretty = manifest.get("status") != "running"
        write_json_atomic(self.manifest_path, manifest, pretty=pretty, fsync=fsync)

    def update_manifest(self, fsync: bool = False, **fields: Any) -> dict[str, Any]:
        manifest = self.read_manifest() if self.manifest_path.exists() else {}
        manifest.update(fields)
        self.write_manifest(manifest, fsync=fsync)
        return manifest

    def log_event(self, step: int, agent_id: int, kind: str, payload: dict[str, Any]) -> None:
        self.tables["events"].append(
            {
                "step": step,
                "agent_id": agent_id,
                "kind": kind,
                "payload": json.dumps(payload, separators=(",", ":"), default=_jsonable),
            }
        )

    def add_calls(self, records: Iterable[Any]) -> None:
        """CallRecords (flat dataclasses) as rows; `asdict` would deep-copy every field."""
        rows = self.tables["llm_calls"]
        for record in records:
            if is_dataclass(record):
                names = _field_names(type(record))
                rows.append({name: getattr(record, name) for name in names})
            else:
                rows.append(record)

    def register_table(self, name: str, schema: pa.Schema) -> None:
        """A scenario's own table (`<name>.parquet`), checkpointed, consolidated, committed,
        resumed and branched like the built-in ones. Registered before anything is written or a
        checkpoint is loaded; registering the same table again with the same schema is a no-op."""
        table = self.tables.get(name)
        if table is not None:
            if name in TABLES or table.schema != schema:
                raise ValueError(f"table {name!r} is already registered with another schema")
            return
        if not name.isidentifier() or name in ("manifest", "spec", "report", "sweep"):
            raise ValueError(f"{name!r} cannot name a table of the run directory")
        self.tables[name] = ChunkedTable(self.parts_dir, name, schema)

    def add_rows(self, table: str, rows: Iterable[dict[str, Any]] | pa.Table) -> None:
        """Rows as dicts, or columnar rows (cast to the table's registered schema)."""
        if isinstance(rows, pa.Table):
            self.tables[table].append_table(rows)
        else:
            self.tables[table].extend(rows)

    def add_graph(self, step: int, edges: Iterable[tuple[int, int]] | np.ndarray | None) -> None:
        """One snapshot (none without a network), as columns: a dict per edge would cost a
        gigabyte at 10^7 edges."""
        if edges is None:
            return
        if not isinstance(edges, np.ndarray):
            edges = np.fromiter(itertools.chain.from_iterable(edges), dtype=np.int64)
        pairs = edges.reshape(-1, 2).astype(np.int64, copy=False)
        columns = {
            "step": np.full(len(pairs), step, dtype=np.int64),
            "source": pairs[:, 0],
            "target": pairs[:, 1],
        }
        self.tables["graphs"].append_table(pa.table(columns, schema=GRAPH_SCHEMA))

    def spill(self, records: Iterable[Any]) -> None:
        """Mid-step (`SimModel.spill`): these call records, and every buffered row, to parts."""
        self.add_calls(records)
        self.flush()

    def flush(self) -> None:
        for table in self.tables.values():
            table.flush()
            kill_point("flush")

    # --- checkpoints --------------------------------------------------------------------------

    def save_checkpoint(self, state: dict[str, Any], keep: bool = False) -> None:
        """Flush first, then record how many parts and rows belong to this point in the run.

        The checkpoint before stays as previous.ckpt (a fallback if the latest is damaged). With
        `keep`, a copy stays as checkpoint/step-NNNNNN.ckpt (NNNNNN = steps done), a point
        `simsocial branch` can fork from.
        """
        self.flush()
        kill_point("checkpoint")
        state = {
            **state,
            "parts": {name: t.parts for name, t in self.tables.items()},
            "rows": {name: t.written for name, t in self.tables.items()},
        }
        blob = checkpoint.dumps(state)
        if keep and "next_step" in state:
            write_atomic(self.branch_point(state["next_step"]), blob)
        latest = self.checkpoint_dir / LATEST
        if latest.exists():
            os.replace(latest, self.checkpoint_dir / PREVIOUS)
        write_atomic(latest, blob, fsync=True)

    def branch_point(self, steps_done: int) -> Path:
        return self.checkpoint_dir / f"step-{steps_done:06d}.ckpt"

    def branch_points(self) -> list[int]:
        """Steps-done values a branch can start from."""
        return sorted(
            int(p.stem.removeprefix("step-")) for p in self.checkpoint_dir.glob("step-*.ckpt")
        )

    def load_checkpoint(self, rewind: bool = False) -> dict[str, Any] | None:
        """The newest checkpoint whose parts are whole, with the parts after it discarded.

        A damaged checkpoint falls back to the one before it (a warning). Damaged or missing
        parts are an error naming the step the run can restart from, unless `rewind` accepts
        restarting there (earlier rows are recomputed, the same with the same seed and cache).
        """
        for folder in (self.run_dir, self.parts_dir, self.checkpoint_dir):
            for leftover in folder.glob("*.tmp"):
                leftover.unlink()
        damaged: list[str] = []
        part_problem: str | None = None
        chosen: dict[str, Any] | None = None
        for path in self._checkpoint_candidates():
            try:
                state = checkpoint.read(path)
            except checkpoint.CheckpointError as exc:
                damaged.append(str(exc))
                continue
            problem = self._parts_problem(state)
            if problem is None:
                chosen = state
                break
            part_problem = part_problem or problem
        restart = int(chosen["next_step"]) if chosen is not None else 0
        if part_problem is not None and not rewind:
            raise DamagedRun(
                f"{part_problem}; the run can restart from step {restart}: "
                f"`simsocial resume {self.run_dir} --rewind`"
            )
        if part_problem is not None:
            self.warnings.append(f"{part_problem}; restarted from step {restart}")
        if damaged:
            self.warnings.append(f"{'; '.join(damaged)}; resumed from step {restart}")
        for name, table in self.tables.items():
            if chosen is None:
                table.truncate(0)
            else:
                table.truncate(chosen["parts"].get(name, 0), chosen["rows"].get(name, 0))
        return chosen

    def read_checkpoint(self) -> dict[str, Any] | None:
        """The newest readable checkpoint, without checking parts (a committed run has none)."""
        for path in self._checkpoint_candidates():
            try:
                return checkpoint.read(path)
            except checkpoint.CheckpointError as exc:  # an older one will do: say so
                self.warnings.append(f"{exc}; used an earlier checkpoint")
        return None

    def _checkpoint_candidates(self) -> list[Path]:
        named = [self.checkpoint_dir / LATEST, self.checkpoint_dir / PREVIOUS]
        kept = [self.branch_point(s) for s in reversed(self.branch_points())]
        candidates = [p for p in named + kept if p.exists()]
        if not candidates and any(self.checkpoint_dir.glob("*.pkl")):
            raise RunError(
                f"{self.run_dir} was written by an older simsocial whose pickle checkpoints are "
                "no longer read (a pickle can run code); run the scenario again"
            )
        return candidates

    def _parts_problem(self, state: dict[str, Any]) -> str | None:
        for name, table in self.tables.items():
            problem = table.problem(state["parts"].get(name, 0), state["rows"].get(name, 0))
            if problem is not None:
                return problem
        return None

    # --- the end of a run ------------------------------------------------------------------------

    def consolidate(self) -> dict[str, dict[str, Any]]:
        """One verified Parquet file per table; returns {table: {rows, digest}} for the
        manifest, which is the commit point (the parts stay until it is written)."""
        written = {}
        for name, table in self.tables.items():
            written[name] = table.consolidate(self.run_dir / f"{name}.parquet")
            kill_point("consolidate")
        return written

    def discard_consolidated(self) -> None:
        """Tables of an earlier, uncommitted consolidation (a kill before the manifest said so):
        they are rebuilt at the end, and until then the parts are the truth."""
        for name in self.tables:
            (self.run_dir / f"{name}.parquet").unlink(missing_ok=True)

    def discard_parts(self) -> None:
        for path in self.parts_dir.glob("*"):
            path.unlink()
            kill_point("discard")
        shutil.rmtree(self.parts_dir, ignore_errors=True)

    def verify_tables(self, recorded: dict[str, dict[str, Any]]) -> None:
        """Check each committed table against the digest the manifest recorded for it."""
        for name, info in recorded.items():
            path = self.run_dir / f"{name}.parquet"
            try:
                data = path.read_bytes()
            except OSError:
                raise DamagedRun(
                    f"{path} is missing; the run cannot be rebuilt from its parts (deleted at "
                    "the end of the run): run the scenario again"
                ) from None
            if checkpoint.digest(data) != info["digest"]:
                raise DamagedRun(
                    f"{path} is damaged (its checksum does not match the manifest); "
                    "run the scenario again"
                )


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
