"""Opinion dynamics at scale keeps today's results: every table of small runs, cell for cell.

The reference in tests/data/opinion_scale/ was written by the code before the scale work (the
step loop on networkx and Mesa agents, one gather per step, rows held until the flush), with
`python tests/scenarios/test_opinion_scale.py` (run that again only on purpose: it overwrites the
reference). Each scenario covers a path the compact step loop must reproduce: synchronous and
random_sequential update, random and sequential names, log-probabilities on and off (draw
counters), a stochastic block model (`block`), consensus before the last step, and every
intervention hook (set_state, broadcast, add_agents, remove_agents, remove_edges).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import simsocial
from simsocial.spec import parse_scenario

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "opinion_scale"
TABLES = ("model", "agents", "events", "llm_calls", "graphs")
# differ between two runs of the same code: wall time and the run's own id
VOLATILE = {"llm_calls": ("latency_s", "run_id")}

WS = {"generator": "watts_strogatz", "n": 200, "params": {"k": 10, "p": 0.1}}
SCENARIOS: dict[str, dict[str, Any]] = {
    "sync_ws": {"steps": 3, "update": "synchronous", "network": WS},
    "sequential_ws": {"steps": 2, "update": "random_sequential", "network": WS},
    "sync_consensus": {
        "steps": 40,
        "update": "synchronous",
        "llm": {"model": "scripted/majority?beta=4"},
        "network": {"generator": "watts_strogatz", "n": 40, "params": {"k": 8, "p": 0.2}},
        "opinion": {"experiment": "dynamics", "initial_m": 0.3},
    },
    "sync_blocks_interventions": {
        "steps": 4,
        "update": "synchronous",
        "llm": {"model": "scripted/majority?beta=1", "logprobs": "off", "temperature": 0.7},
        "network": {
            "generator": "stochastic_block",
            "params": {"sizes": [60, 60], "p": [[0.2, 0.02], [0.02, 0.2]]},
        },
        "opinion": {"experiment": "dynamics", "naming": "sequential"},
        "interventions": [
            {
                "at": 1,
                "do": "set_state",
                "select": {"ids": [1, 2, 3]},
                "state": {"zealot": True, "opinion": "B"},
            },
            {"at": 1, "do": "broadcast", "select": {"ids": [5, 6, 70]}, "message": "Pick B."},
            {"at": 2, "do": "add_agents", "count": 3, "state": {"opinion": "A"}, "connect": 4},
            {"at": 2, "do": "remove_agents", "select": {"ids": [10, 80]}},
            {"at": 3, "do": "remove_edges", "fraction": 0.05},
        ],
    },
    "sequential_interventions": {
        "steps": 3,
        "update": "random_sequential",
        "llm": {"model": "scripted/majority?beta=2", "logprobs": "off", "temperature": 0.5},
        "network": {"generator": "barabasi_albert", "n": 80, "params": {"m": 2}},
        "interventions": [
            {"at": 1, "do": "add_agents", "count": 2, "state": {"opinion": "B"}, "connect": 3},
            {"at": 1, "do": "remove_edges", "select": {"ids": [4]}},
            {"at": 2, "do": "broadcast", "select": {"fraction": 0.1}, "message": "News."},
        ],
    },
}


def scenario(name: str, out: Path) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": name,
        "kind": "opinion",
        "seed": 7,
        "llm": {"model": "scripted/majority?beta=0.5"},
        "opinion": {"experiment": "dynamics"},
        "outputs": {"dir": str(out), "report": False},
    }
    data.update(SCENARIOS[name])
    return data


def tables(name: str, out: Path) -> dict[str, pd.DataFrame]:
    """Every table of one run of `name`, volatile columns dropped."""
    result = simsocial.run(parse_scenario(scenario(name, out)))
    assert result.status == "completed", result.manifest.get("error")
    return {
        table: result.table(table).drop(columns=list(VOLATILE.get(table, ()))) for table in TABLES
    }


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_tables_match_the_reference(tmp_path: Path, name: str) -> None:
    """Same seed, same tables as the code before the compact step loop: values, types, order."""
    for table, frame in tables(name, tmp_path).items():
        expected = pd.read_parquet(REFERENCE / name / f"{table}.parquet")
        pd.testing.assert_frame_equal(
            frame.reset_index(drop=True), expected.reset_index(drop=True), check_exact=True
        )


def regenerate(out: Path) -> None:
    """Write the reference tables (only from code whose results are the reference)."""
    for name in sorted(SCENARIOS):
        folder = REFERENCE / name
        folder.mkdir(parents=True, exist_ok=True)
        for table, frame in tables(name, out / name).items():
            frame.to_parquet(folder / f"{table}.parquet", index=False, compression="zstd")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        regenerate(Path(tmp))
    sys.exit(0)
