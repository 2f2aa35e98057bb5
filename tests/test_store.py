"""The run directory keeps what was flushed and forgets exactly what came after a checkpoint."""

from __future__ import annotations

import duckdb
import pandas as pd

from simsocial.store import RunStore


def test_parts_consolidate_into_one_parquet_duckdb_reads(tmp_path):
    """Events flushed in chunks end as one events.parquet that pandas and DuckDB agree on."""
    store = RunStore(tmp_path)
    for step in range(3):
        store.log_event(step, 1, "post", {"text": f"hello {step}"})
        store.flush()
    store.consolidate()
    frame = pd.read_parquet(tmp_path / "events.parquet")
    assert frame["step"].tolist() == [0, 1, 2]
    count = duckdb.sql(f"SELECT count(*) FROM '{tmp_path / 'events.parquet'}'").fetchall()[0][0]
    assert count == 3


def test_checkpoint_discards_parts_written_after_it(tmp_path):
    """A part flushed after the last checkpoint (a killed run) is dropped on resume."""
    store = RunStore(tmp_path)
    store.log_event(0, 1, "a", {})
    store.save_checkpoint({"next_step": 1})
    store.log_event(1, 1, "b", {})
    store.flush()  # written, but no checkpoint follows: the process dies here
    reopened = RunStore(tmp_path)
    state = reopened.load_checkpoint()
    assert state is not None and state["next_step"] == 1
    reopened.consolidate()
    assert pd.read_parquet(tmp_path / "events.parquet")["kind"].tolist() == ["a"]


def test_no_checkpoint_means_start_over(tmp_path):
    """Without any checkpoint, resume starts from nothing rather than from half a step."""
    store = RunStore(tmp_path)
    store.log_event(0, 1, "a", {})
    store.flush()
    assert RunStore(tmp_path).load_checkpoint() is None
    assert RunStore(tmp_path).tables["events"].part_files() == []


def test_empty_tables_still_readable(tmp_path):
    """A run that logged nothing still leaves Parquet files with the right columns."""
    store = RunStore(tmp_path)
    store.consolidate()
    assert list(pd.read_parquet(tmp_path / "events.parquet").columns) == [
        "step", "agent_id", "kind", "payload",
    ]  # fmt: skip
