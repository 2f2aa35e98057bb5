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

import json
import sys
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import simsocial
from simsocial.runner import resume
from simsocial.scenarios.opinion import dynamics
from simsocial.scenarios.opinion import model as opinion_model
from simsocial.scenarios.opinion.topology import Topology
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
    assert_reference(name, tmp_path)


def assert_reference(name: str, out: Path) -> None:
    for table, frame in tables(name, out).items():
        expected = pd.read_parquet(REFERENCE / name / f"{table}.parquet")
        pd.testing.assert_frame_equal(
            frame.reset_index(drop=True), expected.reset_index(drop=True), check_exact=True
        )


@pytest.mark.parametrize("name", ["sync_ws", "sequential_ws", "sync_blocks_interventions"])
def test_chunked_steps_spill_rows_and_keep_the_tables(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Asked 37 agents per gather, rows written to part files between gathers: same tables."""
    spills: list[int] = []
    monkeypatch.setattr(dynamics, "CHUNK", 37)
    spill = opinion_model.OpinionModel.spill
    monkeypatch.setattr(
        opinion_model.OpinionModel, "spill", lambda self: (spills.append(1), spill(self))
    )
    assert_reference(name, tmp_path)
    assert len(spills) >= 5


def test_a_kill_after_a_spill_resumes_to_the_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parts spilled mid-step after the last checkpoint are dropped by resume, which redoes
    the step: the tables are the reference's."""
    monkeypatch.setattr(dynamics, "CHUNK", 50)
    receive = opinion_model.OpinionModel._receive
    seen = [0]

    def killed(self: Any, position: int, answer: Any) -> None:
        seen[0] += 1
        if seen[0] == 200 + 120:  # step 1, after two spills
            raise KeyboardInterrupt
        receive(self, position, answer)

    monkeypatch.setattr(opinion_model.OpinionModel, "_receive", killed)
    result = simsocial.run(parse_scenario(scenario("sync_ws", tmp_path)), out=tmp_path / "run")
    assert result.status == "interrupted"
    assert len(list((tmp_path / "run" / "parts").glob("llm_calls-*"))) >= 4
    monkeypatch.setattr(opinion_model.OpinionModel, "_receive", receive)
    resumed = resume(tmp_path / "run")
    assert resumed.status == "completed"
    for table in TABLES:
        frame = resumed.table(table).drop(columns=list(VOLATILE.get(table, ())))
        expected = pd.read_parquet(REFERENCE / "sync_ws" / f"{table}.parquet")
        pd.testing.assert_frame_equal(frame, expected, check_exact=True)


def test_identical_asks_in_a_step_are_one_call_each_agent_drawing_its_own(tmp_path: Path) -> None:
    """Fixed names (agent0, agent1 ...) make neighbourhoods with the same opinions in the same
    order ask the same question. Against a model with latency (as any endpoint has), such asks
    in one gather are one call; with log-probabilities that call gives the distribution and
    each agent samples its answer with its own seeded uniform, so the decisions are those of a
    run where every ask is its own call."""
    data = scenario("sync_ws", tmp_path / "shared")
    data["opinion"].update(naming="sequential", initial_m=0.8)
    data["llm"]["model"] = "scripted/majority?beta=0.5&latency=0.001"
    shared = simsocial.run(parse_scenario(data))
    data["outputs"]["dir"] = str(tmp_path / "alone")
    data["llm"]["model"] = "scripted/majority?beta=0.5"  # in-process: one call after another
    alone = simsocial.run(parse_scenario(data))
    saved = shared.manifest["llm"]["dedup_hits"]
    assert alone.manifest["llm"]["dedup_hits"] == 0 and saved >= 60
    assert shared.manifest["llm"]["calls"] + saved == 600 == alone.manifest["llm"]["calls"]
    for table in ("events", "agents", "model"):
        assert shared.table(table).equals(alone.table(table))
    calls = shared.llm_calls
    followers = calls[calls.attempts == 0]
    assert len(followers) == saved and (followers.cost_usd == 0).all()
    picked = calls.options.map(lambda o: json.loads(o)["picked"])
    by_question = picked.groupby(calls.request_hash).nunique()
    assert (by_question > 1).any()  # one question, different answers: each agent's own draw


def test_a_checkpoint_of_mesa_agents_restores_into_the_arrays(tmp_path: Path) -> None:
    """A run checkpointed before the arrays (one state per Mesa agent) resumes: its opinions,
    zealots and notes land in the population, and checkpoints now hold arrays."""
    from simsocial.llm import Gateway

    spec = parse_scenario(scenario("sync_consensus", tmp_path))
    with Gateway() as gateway:
        model = opinion_model.OpinionModel(spec, gateway.session(spec.llm))
        agents = {i: {"opinion": "A", "zealot": False, "note": None} for i in range(1, 41)}
        agents[3] = {"opinion": "B", "zealot": True, "note": "Pick B."}
        model.set_state({"done": False, "updates": 80, "consensus_at": None, "agents": agents})
    views = model.intervention_agents()
    assert (views[3].opinion, views[3].zealot, views[3].note) == ("B", True, "Pick B.")
    assert model.n_a == 39 and model.updates == 80
    state = model.get_state()
    assert "agents" not in state and state["population"]["opinion"].tolist() == [0, 0, 1] + [0] * 37


def copied(graph: nx.Graph) -> nx.Graph:
    """How the model used to put the drawn graph on agent ids 1..n (the order to keep)."""
    ids = range(1, graph.number_of_nodes() + 1)
    copy = nx.Graph((u + 1, v + 1) for u, v in graph.edges())
    copy.add_nodes_from(ids)
    return copy


def shuffled_graph(seed: int) -> nx.Graph:
    """Nodes inserted in random order, edges in random order, a self-loop, isolated nodes."""
    rng = np.random.default_rng(seed)
    base = nx.fast_gnp_random_graph(60, 0.06, seed=seed)
    graph = nx.Graph()
    graph.add_nodes_from(rng.permutation(60).tolist())
    edges = list(base.edges())
    rng.shuffle(edges)
    graph.add_edges_from([*edges, (7, 7)])
    return graph


GRAPHS = {
    "watts_strogatz": lambda: nx.connected_watts_strogatz_graph(300, 10, 0.1, seed=3),
    "barabasi_albert": lambda: nx.barabasi_albert_graph(300, 2, seed=3),
    "stochastic_block": lambda: nx.stochastic_block_model(
        [50, 60], [[0.2, 0.01], [0.01, 0.2]], seed=3
    ),
    "lattice": lambda: nx.convert_node_labels_to_integers(nx.grid_2d_graph(7, 9)),
    "shuffled_1": lambda: shuffled_graph(1),
    "shuffled_2": lambda: shuffled_graph(2),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_arrays_keep_networkx_order(name: str) -> None:
    """Neighbour order (what a prompt lists), edge order (graphs.parquet) and the graph built
    on demand are those of the networkx copy the model used to make."""
    drawn = GRAPHS[name]()
    reference = copied(drawn)
    ids = np.arange(1, drawn.number_of_nodes() + 1)
    topology = Topology.drawn(drawn, ids)
    for position, agent_id in enumerate(ids.tolist()):
        shown = ids[topology.neighbours(position)].tolist()
        assert shown == list(reference.adj[agent_id])
    assert list(map(tuple, topology.edges().tolist())) == list(reference.edges())
    graph = topology.graph
    assert list(graph) == list(reference)
    assert all(list(graph.adj[x]) == list(reference.adj[x]) for x in reference)
    again = Topology.of_graph(reference, ids)
    assert np.array_equal(again.indptr, topology.indptr)
    assert np.array_equal(again.indices, topology.indices)


def test_batches_match_networkx_independent_batches() -> None:
    """Sequential updates batch exactly as `simsocial.networks.independent_batches` does."""
    from simsocial.networks import independent_batches

    drawn = GRAPHS["watts_strogatz"]()
    ids = np.arange(1, 301)
    order = np.random.default_rng(4).integers(0, 300, size=600)
    batches = Topology.drawn(drawn, ids).batches(order.tolist())
    expected = independent_batches(ids[order].tolist(), copied(drawn))
    assert [ids[b].tolist() for b in batches] == expected


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
