"""Synthetic run directories with known answers, written to the run-directory contract by hand.

`adoption_run_dir` draws binomial counts from P(m) = (1 + tanh(beta0 m)) / 2, so a correct fit
recovers beta0; `dynamics_run_dir` writes a hand-made trajectory whose consensus time is known.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from simsocial.analysis.fits import tanh_curve
from simsocial.scenarios.opinion.spec import DEFAULT_GRID

SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "demarzo2024"


def write_run_dir(
    run_dir: Path,
    spec: dict[str, Any],
    tables: dict[str, pd.DataFrame],
    *,
    model: str = "scripted/majority?beta=3",
    status: str = "completed",
) -> Path:
    """A run directory as `simsocial run` leaves it: manifest, spec.yaml, Parquet tables."""
    run_dir.mkdir(parents=True, exist_ok=True)
    manifest = {
        "run_id": "20250101-000000-s1-abcdef",
        "scenario": spec["name"],
        "kind": "opinion",
        "seed": spec.get("seed", 1),
        "status": status,
        "started_at": "2025-01-01T00:00:00+00:00",
        "ended_at": "2025-01-01T00:01:00+00:00",
        "model": model,
        "temperature": 0.2,
        "steps_done": spec.get("steps", 0),
        "versions": {"simsocial": "0.1.0"},
        "prompt_templates": {"opinion.template": "0123456789ab"},
        "llm": {
            "calls": 3000,
            "cache_hits": 12,
            "failures_by_kind": {"parse": 7},
            "prompt_tokens": 123456,
            "completion_tokens": 9000,
            "cost_usd": 0.0,
        },
        "spec": spec,
        "parent": None,
    }
    (run_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    (run_dir / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    for name, frame in tables.items():
        frame.to_parquet(run_dir / f"{name}.parquet", index=False)
    return run_dir


def events_frame(rows: list[tuple[int, int, str, dict[str, Any]]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "step": [r[0] for r in rows],
            "agent_id": [r[1] for r in rows],
            "kind": [r[2] for r in rows],
            "payload": [json.dumps(r[3]) for r in rows],
        }
    )
    return frame.astype({"step": "int64", "agent_id": "int64"})


def simulated_adoption(
    run_dir: Path,
    beta0: float,
    seed: int = 0,
    *,
    n: int = 50,
    queries: int = 200,
    grid: list[float] | None = None,
    failed_per_m: int = 0,
    model: str = "scripted/majority?beta=3",
) -> Path:
    """An adoption run whose replies follow the tanh curve with majority force beta0."""
    rng = np.random.default_rng(seed)
    grid = list(DEFAULT_GRID if grid is None else grid)
    model_rows, events = [], []
    for step, m in enumerate(grid):
        usable = queries - failed_per_m
        adopt_a = int(rng.binomial(usable, tanh_curve(m, beta0)))
        replies = ["A"] * adopt_a + ["B"] * (usable - adopt_a) + [None] * failed_per_m
        for i, adopted in enumerate(replies):
            payload = {"m": m, "majority_label": "k", "reply": f"[{adopted}]", "adopted": adopted}
            events.append((step, i, "reply", payload))
        model_rows.append(
            {
                "step": step,
                "m": m,
                "adopt_a": adopt_a,
                "adopt_b": usable - adopt_a,
                "failed": failed_per_m,
                "queries": queries,
                "p_a": adopt_a / usable,
            }
        )
    spec = {
        "name": "opinion_adoption",
        "kind": "opinion",
        "seed": seed,
        "steps": len(grid),
        "llm": {"model": model, "temperature": 0.2},
        "opinion": {"experiment": "adoption", "group_size": n, "queries": queries, "grid": grid},
    }
    tables = {"model": pd.DataFrame(model_rows), "events": events_frame(events)}
    return write_run_dir(run_dir, spec, tables, model=model)


# The hand-made dynamics run: N = 10 on a complete graph, m0 = 0 (5 A, 5 B). Updates 1-4 change
# nothing, 5-9 turn the five B agents (ids 5..9) to A one by one, so m reaches 1 at t = 9:
# T_c / N = 0.9.
DYNAMICS_N = 10
DYNAMICS_TC = 9


def handmade_dynamics(run_dir: Path) -> Path:
    n = DYNAMICS_N
    opinions = {i: "A" if i < 5 else "B" for i in range(n)}
    events: list[tuple[int, int, str, dict[str, Any]]] = []
    n_a = 5
    for t in range(1, DYNAMICS_TC + 1):
        agent = t - 1 if t <= 4 else t  # 0..3 already hold A; 5..9 switch from B
        old, opinions[agent] = opinions[agent], "A"
        n_a += old == "B"
        m = (2 * n_a - n) / n
        events.append(
            (0, agent, "update", {"t": t, "old": old, "new": "A", "m": m, "failed": False})
        )
    events.append((0, -1, "consensus", {"t": DYNAMICS_TC, "tc_over_n": DYNAMICS_TC / n, "m": 1.0}))
    model_rows = pd.DataFrame(
        [{"step": 0, "m": 1.0, "n_a": n, "n_b": 0, "updates": DYNAMICS_TC, "consensus": True}]
    )
    agents = pd.DataFrame({"step": 0, "agent_id": range(n), "opinion": ["A"] * n})
    edges = [(u, v) for u in range(n) for v in range(u + 1, n)]
    graphs = pd.DataFrame(
        {"step": -1, "source": [u for u, _ in edges], "target": [v for _, v in edges]}
    )
    spec = {
        "name": "opinion_consensus",
        "kind": "opinion",
        "seed": 3,
        "steps": 10,
        "update": "random_sequential",
        "llm": {"model": "scripted/majority?beta=8", "temperature": 0.2},
        "network": {"generator": "complete", "n": n},
        "opinion": {"experiment": "dynamics", "initial_m": 0.0},
    }
    tables = {
        "model": model_rows,
        "agents": agents,
        "events": events_frame(events),
        "graphs": graphs,
    }
    return write_run_dir(run_dir, spec, tables, model="scripted/majority?beta=8")


@pytest.fixture
def adoption_run_dir(tmp_path: Path) -> Callable[..., Path]:
    """adoption_run_dir(beta0, seed=0, **options) -> a fresh simulated adoption run directory."""
    counter = iter(range(10_000))

    def make(beta0: float, seed: int = 0, **options: Any) -> Path:
        return simulated_adoption(tmp_path / f"adoption-{next(counter)}", beta0, seed, **options)

    return make


@pytest.fixture
def dynamics_run_dir(tmp_path: Path) -> Path:
    return handmade_dynamics(tmp_path / "dynamics")


@pytest.fixture
def shared_data() -> Path:
    """The published adoption curves (../shared/data/demarzo2024); skip where CI lacks them."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"published data not found at {SHARED_DATA}")
    return SHARED_DATA
