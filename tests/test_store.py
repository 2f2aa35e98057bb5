"""The run directory keeps what was flushed and forgets exactly what came after a checkpoint."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

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


def test_a_registered_table_is_checkpointed_truncated_and_committed(tmp_path):
    """A kind's own table (the platform's posts) behaves like a built-in one: rows after the
    last checkpoint are discarded on resume, dict rows and columnar rows keep their order."""
    import pyarrow as pa

    schema = pa.schema([("post_id", pa.int64()), ("text", pa.string())])
    store = RunStore(tmp_path)
    store.register_table("posts", schema)
    store.register_table("posts", schema)  # the same again: a no-op
    store.add_rows("posts", [{"post_id": 0, "text": "dict row"}])
    store.add_rows("posts", pa.table({"post_id": [1, 2], "text": ["col a", "col b"]}))
    store.add_rows("posts", [{"post_id": 3, "text": "dict again"}])
    store.save_checkpoint({"next_step": 1})
    store.add_rows("posts", pa.table({"post_id": [4], "text": ["after the checkpoint"]}))
    store.flush()  # killed here

    reopened = RunStore(tmp_path)
    reopened.register_table("posts", schema)
    assert reopened.load_checkpoint()["rows"]["posts"] == 4
    recorded = reopened.consolidate()
    frame = pd.read_parquet(tmp_path / "posts.parquet")
    assert frame["post_id"].tolist() == [0, 1, 2, 3] and recorded["posts"]["rows"] == 4
    assert frame["text"].tolist()[:2] == ["dict row", "col a"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("events", "already registered"),
        ("posts", "already registered"),
        ("manifest", "cannot name a table"),
        ("../x", "cannot name a table"),
    ],
)
def test_registered_tables_cannot_shadow_the_run_directory(tmp_path, name, message):
    import pyarrow as pa

    store = RunStore(tmp_path)
    store.register_table("posts", pa.schema([("x", pa.int64())]))
    with pytest.raises(ValueError, match=message):
        store.register_table(name, pa.schema([("y", pa.string())]))
