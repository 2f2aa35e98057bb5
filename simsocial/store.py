"""The run directory: append-only Parquet chunks, a manifest, checkpoints.

Layout (see README): manifest.json, spec.yaml, <table>.parquet for events, llm_calls, model,
agents and graphs, checkpoint/, report.html. While a run is going, rows are appended as numbered
part files under parts/ and flushed in chunks; a run killed with SIGKILL loses at most the
rows after its last checkpoint, and `resume` discards exactly those before it continues. When the
run ends the parts are consolidated into one Parquet file per table, which pandas and DuckDB read.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Iterable
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

TABLES = ("events", "llm_calls", "model", "agents", "graphs")

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


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_json_atomic(path: Path, data: Any, pretty: bool = True) -> None:
    """Write-then-rename, so a reader never sees half a file, even after SIGKILL. `pretty=False`
    writes one line with the C encoder (indenting runs the pure-Python one, ~10x slower)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    text = json.dumps(data, indent=2 if pretty else None, default=str, ensure_ascii=False)
    tmp.write_text(text)
    os.replace(tmp, path)


def part_files(run_dir: Path, name: str) -> list[Path]:
    """The part files of table `name` in a run directory, in order."""
    return sorted((Path(run_dir) / "parts").glob(f"{name}-*.parquet"))


class ChunkedTable:
    """Rows buffered in memory, written as numbered Parquet part files parts/<name>-NNNNNN.parquet
    on flush (one flat folder: on overlay filesystems every directory costs milliseconds)."""

    def __init__(self, directory: Path, name: str, schema: pa.Schema | None = None):
        self.directory = directory
        self.name = name
        self.schema = schema
        self.rows: list[dict[str, Any]] = []
        self.parts = len(self.part_files())
        self.written = 0  # rows in part files since the run began (set again on resume)

    def part_files(self) -> list[Path]:
        return part_files(self.directory.parent, self.name)

    def part_path(self, index: int) -> Path:
        if not self.directory.exists():  # a stat per flush is cheaper than a mkdir
            self.directory.mkdir(exist_ok=True)
        return self.directory / f"{self.name}-{index:06d}.parquet"

    def append(self, row: dict[str, Any]) -> None:
        self.rows.append(row)

    def extend(self, rows: Iterable[dict[str, Any]]) -> None:
        self.rows.extend(rows)

    def flush(self) -> None:
        if not self.rows:
            return
        table = pa.Table.from_pylist(self.rows, schema=self.schema)
        target = self.part_path(self.parts)
        tmp = target.with_suffix(".tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, target)
        self.parts += 1
        self.written += len(self.rows)
        self.rows.clear()

    def truncate(self, parts: int, written: int = 0) -> None:
        """Drop part files written after the checkpoint that recorded `parts`."""
        for extra in self.part_files()[parts:]:
            extra.unlink()
        self.parts = parts
        self.written = written
        self.rows.clear()

    def read_all(self) -> pa.Table | None:
        """Every flushed row, in order (None if nothing was flushed)."""
        files = self.part_files()
        if not files:
            return None
        return pa.concat_tables([pq.read_table(f) for f in files], promote_options="permissive")

    def consolidate(self, target: Path) -> None:
        files = self.part_files()
        if len(files) == 1:  # one chunk is already the table: move it, don't rewrite it
            os.replace(files[0], target)
            return
        merged = self.read_all()
        if merged is None:
            merged = (self.schema or pa.schema([])).empty_table()
        pq.write_table(merged, target)


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

    @property
    def manifest_path(self) -> Path:
        return self.run_dir / "manifest.json"

    def read_manifest(self) -> dict[str, Any]:
        return json.loads(self.manifest_path.read_text())

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Compact while the run goes (it is rewritten at every checkpoint), indented for people
        once it has ended."""
        write_json_atomic(self.manifest_path, manifest, pretty=manifest.get("status") != "running")

    def update_manifest(self, **fields: Any) -> dict[str, Any]:
        manifest = self.read_manifest() if self.manifest_path.exists() else {}
        manifest.update(fields)
        self.write_manifest(manifest)
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

    def add_rows(self, table: str, rows: Iterable[dict[str, Any]]) -> None:
        self.tables[table].extend(rows)

    def add_graph(self, step: int, edges: Iterable[tuple[int, int]]) -> None:
        self.tables["graphs"].extend(
            {"step": step, "source": int(u), "target": int(v)} for u, v in edges
        )

    def flush(self) -> None:
        for table in self.tables.values():
            table.flush()

    def save_checkpoint(self, state: dict[str, Any], keep: bool = False) -> None:
        """Flush first, then record how many parts and rows belong to this point in the run.

        With `keep`, a copy stays as checkpoint/step-NNNNNN.pkl (NNNNNN = steps done), a point
        `simsocial branch` can fork from.
        """
        self.flush()
        state = {
            **state,
            "parts": {name: t.parts for name, t in self.tables.items()},
            "rows": {name: t.written for name, t in self.tables.items()},
        }
        blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
        targets = [self.checkpoint_dir / "state.pkl"]
        if keep and "next_step" in state:
            targets.insert(0, self.branch_point(state["next_step"]))
        for target in targets:
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(blob)
            os.replace(tmp, target)

    def branch_point(self, steps_done: int) -> Path:
        return self.checkpoint_dir / f"step-{steps_done:06d}.pkl"

    def branch_points(self) -> list[int]:
        """Steps-done values a branch can start from."""
        return sorted(
            int(p.stem.removeprefix("step-")) for p in self.checkpoint_dir.glob("step-*.pkl")
        )

    def load_checkpoint(self) -> dict[str, Any] | None:
        """The last checkpoint, with the part files written after it discarded."""
        target = self.checkpoint_dir / "state.pkl"
        if not target.exists():
            for table in self.tables.values():
                table.truncate(0)
            return None
        with target.open("rb") as fh:
            state = pickle.load(fh)
        for name, table in self.tables.items():
            table.truncate(state["parts"].get(name, 0), state.get("rows", {}).get(name, 0))
        return state

    def consolidate(self) -> None:
        for name, table in self.tables.items():
            table.consolidate(self.run_dir / f"{name}.parquet")

    def discard_parts(self) -> None:
        shutil.rmtree(self.parts_dir, ignore_errors=True)


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)
