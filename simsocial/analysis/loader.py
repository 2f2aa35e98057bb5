"""Load a run directory into pandas and networkx, whatever state the run ended in.

A completed run has one Parquet file per table; a run that was killed or failed may only have
numbered part files under parts/, or nothing at all. `load_run` reads whichever is there
and gives an empty DataFrame for a missing table, so analysis code never special-cases a crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from simsocial.errors import SimsocialError

if TYPE_CHECKING:
    import networkx as nx

TABLES = ("events", "llm_calls", "model", "agents", "graphs")  # every run's; kinds add theirs


class RunDirError(SimsocialError, ValueError):
    """The path given is not a readable run directory."""


def _table_property(name: str) -> Any:
    """A table read on first access; assignable, so a notebook can filter it in place."""

    def get(run: Run) -> pd.DataFrame:
        return run.table(name)

    def put(run: Run, frame: pd.DataFrame) -> None:
        run._tables[name] = frame

    return property(get, put, doc=f"{name}.parquet as a DataFrame")


@dataclass
class Run:
    """One run directory: its manifest, resolved spec and tables (each read on first use, so a
    summary that needs two tables does not pay for five)."""

    run_dir: Path
    manifest: dict[str, Any]
    spec: dict[str, Any]
    _tables: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            recorded = (self.manifest.get("tables") or {}).get(name) or {}
            self._tables[name] = read_table(self.run_dir, name, recorded.get("digest"))
        return self._tables[name]

    events = _table_property("events")
    llm_calls = _table_property("llm_calls")
    model = _table_property("model")
    agents = _table_property("agents")
    graphs = _table_property("graphs")

    def table_names(self) -> list[str]:
        """Every table of the run: the committed ones, else the built-in ones and any other
        with part files (a scenario kind's own tables, e.g. posts, votes, follows)."""
        committed = self.manifest.get("tables")
        if isinstance(committed, dict):
            return list(committed)
        found = list(TABLES)
        for part in sorted((self.run_dir / "parts").glob("*-*-*.parquet")):
            name = part.name.split("-")[0]
            if name not in found:
                found.append(name)
        return found

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind") or self.spec.get("kind") or "")

    @property
    def status(self) -> str:
        return str(self.manifest.get("status", "unknown"))

    def payloads(self, kind: str) -> pd.DataFrame:
        """Events of one kind with their JSON payload spread into columns (step, agent_id first)."""
        if self.events.empty or "kind" not in self.events:
            return pd.DataFrame(columns=["step", "agent_id"])
        chosen = self.events[self.events["kind"] == kind]
        records = []
        for step, agent, payload in zip(
            chosen["step"], chosen["agent_id"], chosen["payload"], strict=True
        ):
            record = {"step": step, "agent_id": agent}  # first, so they lead the columns
            record.update(
                (k, v) for k, v in json.loads(payload).items() if k not in ("step", "agent_id")
            )
            records.append(record)
        if not records:
            return pd.DataFrame(columns=["step", "agent_id"])
        return pd.DataFrame.from_records(records)

    def graph_steps(self) -> list[int]:
        """The steps that have a network snapshot (-1 is the network before the first step)."""
        if self.graphs.empty:
            return []
        return sorted(int(s) for s in self.graphs["step"].unique())

    def graph(self, step: int | None = None) -> nx.Graph:
        """The network at `step`: the latest snapshot taken at or before it (default: the last)."""
        import networkx as nx

        steps = self.graph_steps()
        if not steps:
            raise RunDirError(f"{self.run_dir} has no network snapshots (graphs.parquet)")
        earlier = [s for s in steps if step is None or s <= step]
        if not earlier:
            raise RunDirError(f"{self.run_dir}: no network snapshot at or before step {step}")
        edges = self.graphs[self.graphs["step"] == earlier[-1]]
        graph = nx.Graph()
        if not self.agents.empty and "agent_id" in self.agents:
            graph.add_nodes_from(int(a) for a in self.agents["agent_id"].unique())
        graph.add_edges_from(
            zip(edges["source"].astype(int), edges["target"].astype(int), strict=True)
        )
        return graph


def load_run(run_dir: str | Path) -> Run:
    """Read a run directory written by `simsocial run` (any status, even a failed one)."""
    path = Path(run_dir).expanduser()
    if not path.exists():
        raise RunDirError(f"{path} does not exist")
    if not path.is_dir():
        raise RunDirError(f"{path} is a file, not a run directory")
    manifest_path = path / "manifest.json"
    if not manifest_path.exists():
        raise RunDirError(
            f"{path} is not a run directory: it has no manifest.json "
            "(run directories look like runs/<scenario>/<run-id>/)"
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunDirError(f"{manifest_path} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict):
        raise RunDirError(f"{manifest_path} must hold a JSON object")
    return Run(run_dir=path, manifest=manifest, spec=_read_spec(path, manifest))


def read_table(run_dir: Path, name: str, digest: str | None = None) -> pd.DataFrame:
    """`<name>.parquet` (checked against the manifest's `digest` when given), else its part
    files from an unfinished run, else an empty DataFrame. A damaged file is one line."""
    from simsocial.parts import part_files, read_verified

    target = run_dir / f"{name}.parquet"
    if target.exists():
        return read_verified(target, digest).to_pandas()
    parts = part_files(run_dir, name)
    if not parts:
        return pd.DataFrame()
    import pyarrow as pa

    tables = [read_verified(p, None) for p in parts]
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


def _read_spec(run_dir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """The resolved spec: the manifest's JSON copy when present (parsing YAML costs 20 ms)."""
    if isinstance(manifest.get("spec"), dict):
        return manifest["spec"]
    spec_path = run_dir / "spec.yaml"
    if spec_path.exists():
        try:
            loaded = yaml.safe_load(spec_path.read_text())
        except yaml.YAMLError as exc:
            raise RunDirError(f"{spec_path} is not valid YAML: {exc}") from exc
        if isinstance(loaded, dict):
            return loaded
    return {}
