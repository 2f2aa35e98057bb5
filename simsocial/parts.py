"""Part files: the append-only chunks a running table is written in, each named by its digest.

`parts/<table>-NNNNNN-<digest>.parquet`: the digest of the file's bytes is in its name, so a
damaged or swapped part is recognised without any other record; a checkpoint only counts them.
Every file is written to a temporary name and renamed (`write_atomic`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from simsocial import checkpoint
from simsocial.errors import RunError


class DamagedRun(RunError):
    """A file of the run directory is missing or does not match what was recorded."""


def write_atomic(path: Path, data: bytes, *, fsync: bool = False) -> None:
    """Write-then-rename, so a reader never sees half a file, even after SIGKILL; `fsync` for
    the commit points a power cut must not undo either."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def part_files(run_dir: Path, name: str) -> list[Path]:
    """The part files of table `name` in a run directory, in order."""
    return sorted((Path(run_dir) / "parts").glob(f"{name}-*.parquet"))


def read_verified(path: Path, expected: str | None) -> pa.Table:
    """A Parquet file whose bytes must hash to `expected` (when given); damage is one line."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DamagedRun(f"{path} is missing") from None
    except OSError as exc:
        raise DamagedRun(f"{path} cannot be read: {exc.strerror or exc}") from None
    if expected is not None and checkpoint.digest(data) != expected:
        raise DamagedRun(f"{path} is damaged (its checksum does not match)")
    try:
        return pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise DamagedRun(f"{path} is not a readable Parquet file ({exc})") from None


class ChunkedTable:
    """Rows buffered in memory, written as numbered Parquet part files on flush (one flat folder:
    on overlay filesystems every directory costs milliseconds)."""

    def __init__(self, directory: Path, name: str, schema: pa.Schema | None = None):
        self.directory = directory
        self.name = name
        self.schema = schema
        self.rows: list[dict[str, Any]] = []
        self.batches: list[pa.Table] = []  # columnar rows, after `rows` in order
        self.parts = 0  # durable part files (set from the checkpoint on resume)
        self.written = 0  # rows in those part files

    def part_files(self) -> list[Path]:
        return part_files(self.directory.parent, self.name)

    def part_index(self, path: Path) -> int:
        return int(path.stem.split("-")[1])

    def append(self, row: dict[str, Any]) -> None:
        self.rows.append(row)

    def extend(self, rows: Iterable[dict[str, Any]]) -> None:
        self.rows.extend(rows)

    def append_table(self, rows: pa.Table) -> None:
        """Columnar rows; dict rows buffered before them stay before them (`rows` always
        follow `batches`)."""
        if rows.num_rows:
            self._batch_rows()
            self.batches.append(rows if self.schema is None else rows.cast(self.schema))

    def _batch_rows(self) -> None:
        if self.rows:
            self.batches.append(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def write_part(self, table: pa.Table) -> None:
        """One more part file, named by index and digest."""
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        data = sink.getvalue().to_pybytes()
        if not self.directory.exists():  # a stat per flush is cheaper than a mkdir
            self.directory.mkdir(exist_ok=True)
        name = f"{self.name}-{self.parts:06d}-{checkpoint.digest(data)}.parquet"
        write_atomic(self.directory / name, data)
        self.parts += 1
        self.written += table.num_rows

    def flush(self) -> None:
        self._batch_rows()
        if not self.batches:
            return
        merged = pa.concat_tables(self.batches, promote_options="permissive")
        self.batches = []
        self.write_part(merged.combine_chunks())

    def truncate(self, parts: int, written: int = 0) -> None:
        """Drop part files written after the checkpoint that recorded `parts`."""
        for extra in self.part_files():
            if self.part_index(extra) >= parts:
                extra.unlink()
        self.parts = parts
        self.written = written
        self.rows.clear()
        self.batches.clear()

    def problem(self, parts: int, written: int) -> str | None:
        """Why the first `parts` part files are not the ones a checkpoint counted, if they are
        not: a missing index, a digest that does not match, a row count that differs."""
        by_index: dict[int, Path] = {}
        for path in self.part_files():
            by_index.setdefault(self.part_index(path), path)
        rows = 0
        for index in range(parts):
            path = by_index.get(index)
            if path is None:
                return f"part {index} of table {self.name} is missing from parts/"
            try:
                data = path.read_bytes()
                if checkpoint.digest(data) != path.stem.split("-")[2]:
                    return f"parts/{path.name} is damaged (its checksum does not match)"
                rows += pq.read_metadata(pa.BufferReader(data)).num_rows
            except (OSError, IndexError, pa.ArrowException) as exc:
                return f"parts/{path.name} cannot be read ({exc})"
        if rows != written:
            return f"table {self.name} has {rows} rows in parts/, the checkpoint counted {written}"
        return None

    def read_all(self) -> pa.Table | None:
        """Every flushed row, in order, each part verified (None if nothing was flushed)."""
        files = [p for p in self.part_files() if self.part_index(p) < self.parts]
        if not files:
            return None
        tables = [read_verified(f, f.stem.split("-")[2]) for f in files]
        return pa.concat_tables(tables, promote_options="permissive")

    def consolidate(self, target: Path) -> dict[str, Any]:
        """Write `target` from the parts (verified, counted) and return its rows and digest."""
        merged = self.read_all()
        if merged is None:
            merged = (self.schema or pa.schema([])).empty_table()
        if merged.num_rows != self.written:
            raise DamagedRun(
                f"table {self.name}: {merged.num_rows} rows in parts/, {self.written} written"
            )
        sink = pa.BufferOutputStream()
        pq.write_table(merged, sink)
        data = sink.getvalue().to_pybytes()
        write_atomic(target, data, fsync=True)
        return {"rows": merged.num_rows, "digest": checkpoint.digest(data)}
