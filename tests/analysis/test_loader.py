"""load_run reads any run directory (complete, unfinished or empty) into pandas and networkx."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simsocial.analysis import RunDirError, load_run
from simsocial.errors import SimsocialError
from simsocial.store import RunStore


def test_load_run_reads_tables_manifest_and_spec(adoption_run_dir):
    """A completed adoption run: 15 model rows, 3000 reply events, spec and manifest as dicts."""
    run = load_run(adoption_run_dir(3.0))
    assert run.kind == "opinion" and run.status == "completed"
    assert run.spec["opinion"]["group_size"] == 50
    assert len(run.model) == 15 and len(run.events) == 15 * 200
    assert run.llm_calls.empty and run.agents.empty and run.graphs.empty


def test_payloads_expand_json_into_columns(adoption_run_dir):
    """payloads('reply') has step, agent_id and one column per payload key, row for row."""
    run = load_run(adoption_run_dir(3.0, failed_per_m=1))
    replies = run.payloads("reply")
    assert list(replies.columns[:2]) == ["step", "agent_id"]
    assert {"m", "majority_label", "reply", "adopted"} <= set(replies.columns)
    assert len(replies) == 3000
    assert replies["adopted"].isna().sum() == 15
    assert replies.groupby("step")["m"].first().tolist() == run.model["m"].tolist()
    assert run.payloads("no-such-kind").empty


def test_graph_snapshot_becomes_a_networkx_graph(dynamics_run_dir):
    """The initial complete graph on 10 agents: 45 edges, also served for later steps."""
    run = load_run(dynamics_run_dir)
    assert run.graph_steps() == [-1]
    graph = run.graph()
    assert graph.number_of_nodes() == 10 and graph.number_of_edges() == 45
    assert run.graph(5).number_of_edges() == 45
    with pytest.raises(RunDirError, match="no network snapshot at or before step -2"):
        run.graph(-2)


def test_unfinished_run_is_read_from_its_parts(tmp_path):
    """A run killed before consolidation still loads: events come from parts/events-*.parquet."""
    store = RunStore(tmp_path)
    store.write_manifest({"run_id": "x", "kind": "opinion", "status": "running"})
    for step in range(3):
        store.log_event(step, 1, "update", {"t": step + 1, "m": 0.0})
        store.flush()
    run = load_run(tmp_path)
    assert run.events["step"].tolist() == [0, 1, 2]
    assert run.payloads("update")["t"].tolist() == [1, 2, 3]
    assert run.model.empty


def test_run_that_failed_at_once_loads_empty(tmp_path):
    """Only a manifest: every table is an empty DataFrame, spec falls back to the manifest's."""
    (tmp_path / "manifest.json").write_text(json.dumps({"status": "failed", "spec": {"seed": 4}}))
    run = load_run(tmp_path)
    assert run.status == "failed" and run.spec == {"seed": 4}
    assert all(t.empty for t in (run.events, run.llm_calls, run.model, run.agents, run.graphs))
    assert run.payloads("reply").empty


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing", "does not exist"),
        (lambda p: p, "no manifest.json"),
        (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "is a file"),
        (lambda p: (p / "manifest.json").write_text("{oops") and p, "not valid JSON"),
    ],
)
def test_not_a_run_directory_is_a_plain_error(tmp_path, make, message):
    """A wrong path gives a RunDirError (a ValueError the CLI prints as one line)."""
    with pytest.raises(RunDirError, match=message) as info:
        load_run(make(tmp_path))
    assert isinstance(info.value, ValueError) and isinstance(info.value, SimsocialError)


def test_importing_analysis_does_not_import_pandas_or_matplotlib():
    """`import simsocial.analysis` stays light; load_run pulls pandas in on first use."""
    code = (
        "import sys, simsocial, simsocial.analysis as a;"
        "print('pandas' in sys.modules, 'matplotlib' in sys.modules);"
        "a.load_run; print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "True"]
