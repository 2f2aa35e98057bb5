"""The growth scenario grows the networks its scripted twins predict and accounts for each pick."""

from __future__ import annotations

import json
import re

import networkx as nx
import numpy as np
import pytest

import simsocial
from simsocial.analysis import load_run
from simsocial.analysis.degree import degrees_of, fit_tail, network_metrics
from simsocial.analysis.growth import graph_at, summarize
from simsocial.errors import SimsocialError
from simsocial.scenarios.growth.process import grow
from simsocial.spec import parse_scenario

LINE = re.compile(r"^(\w+) \(followers: (\d+)\)$", re.MULTILINE)


def growth_run(tmp_path, model: str, seed: int = 1, **growth):
    """Run a growth scenario with the given scripted policy; return (result, loaded run)."""
    growth = {"n": 60, "m": 2, "arrivals_per_step": 10, **growth}
    steps = -(-(growth["n"] - growth["m"] - 1) // growth["arrivals_per_step"])
    spec = parse_scenario(
        {
            "name": "growth_twin",
            "kind": "growth",
            "seed": seed,
            "steps": steps,
            "llm": {"model": model, "temperature": 1.0},
            "growth": growth,
            "outputs": {"dir": str(tmp_path / "runs"), "report": False, "snapshot_every": 2},
        }
    )
    result = simsocial.run(spec)
    return result, load_run(result.run_dir)


def edge_set(graph: nx.Graph) -> set[tuple[int, int]]:
    return {(min(u, v), max(u, v)) for u, v in graph.edges()}


def user_text(prompt: str) -> str:
    return json.loads(prompt)[-1]["content"]


def test_too_few_steps_is_a_located_error():
    """A spec whose steps cannot grow n nodes names `steps` and the number needed."""
    with pytest.raises(SimsocialError, match=r"steps: must be at least 37"):
        parse_scenario({"name": "g", "kind": "growth", "steps": 5, "growth": {"n": 40, "m": 2}})


def test_prompts_show_true_follower_counts_and_the_sample_is_recorded(tmp_path):
    """Each prompt lists K candidates with their degree at that moment; picks come from them."""
    result, run = growth_run(
        tmp_path, "scripted/degree?offset=0", n=40, candidates={"max_shown": 6}
    )
    arrivals = run.payloads("arrival")
    assert len(arrivals) == 37 and run.graph().number_of_edges() == 3 + 2 * 37
    graph = nx.complete_graph(3)
    names = {}
    for seed_event in run.payloads("seed").itertuples():
        names.update(zip(seed_event.nodes, seed_event.names, strict=True))
    calls = result.llm_calls.sort_values(["step", "agent_id"], kind="stable")
    by_node = {node: group for node, group in calls.groupby("agent_id")}
    for row in arrivals.itertuples():
        names[row.node] = row.name
        shown = list(range(row.node)) if row.shown is None else row.shown
        assert (row.shown is None) == (row.node <= 6)
        assert len(shown) == min(6, row.node) and set(row.picks) <= set(shown)
        first_prompt = user_text(by_node[row.node].prompt.iloc[0])
        listed = {name: int(k) for name, k in LINE.findall(first_prompt)}
        assert listed == {names[c]: graph.degree(c) for c in shown}
        graph.add_edges_from((row.node, t) for t in row.picks)
    assert edge_set(graph) == edge_set(graph_at(run))


def test_snapshots_and_events_rebuild_the_same_network(tmp_path):
    """The graph snapshot at a step equals the network rebuilt from the arrival events."""
    _, run = growth_run(tmp_path, "scripted/random", n=80, naming="sequential")
    assert run.graph_steps() == [-1, 1, 3, 5, 7]
    for step in (1, 5, 7):
        snapshot, rebuilt = run.graph(step), graph_at(run, step)
        assert edge_set(snapshot) == edge_set(rebuilt)
        assert rebuilt.number_of_nodes() == min(80, 3 + 10 * (step + 1))


def test_failed_replies_are_reasked_once_then_replaced_and_counted(tmp_path):
    """fixed answer 'user0' under sequential ids: the second pick is a duplicate twice, then a
    fallback; every count in the events and in summarize() is the known one."""
    _, run = growth_run(tmp_path, "scripted/fixed?answer=user0", n=30, naming="sequential")
    metrics = summarize(run)
    arrivals = 27
    assert metrics["picks_llm"] == arrivals and metrics["picks_fallback"] == arrivals
    assert metrics["failed_duplicate"] == 2 * arrivals and metrics["failed_invalid"] == 0
    assert metrics["llm_calls_per_node"] == 3.0 == len(run.llm_calls) / arrivals
    assert graph_at(run).degree(0) == 2 + arrivals
    repair = [p for p in run.llm_calls.prompt if "already chose" in user_text(p)]
    assert len(repair) == arrivals


def test_anonymous_candidates_without_counts(tmp_path):
    """show_names/show_degree off: prompts carry labels only, and every pick is still valid."""
    result, run = growth_run(
        tmp_path,
        "scripted/random",
        n=30,
        candidates={"show_names": False, "show_degree": False},
    )
    text = user_text(result.llm_calls.prompt.iloc[-1])
    assert "followers" not in text and re.search(r"^\w+\) anonymous user$", text, re.MULTILINE)
    assert summarize(run)["picks_llm"] == 2 * 27


def test_checkpoint_state_continues_to_the_same_network():
    """A model restored from a mid-run checkpoint grows the network of an uninterrupted one."""
    from simsocial.llm import get_gateway
    from simsocial.scenarios.growth.model import GrowthModel

    spec = parse_scenario(
        {
            "name": "growth_twin",
            "kind": "growth",
            "seed": 4,
            "steps": 5,
            "llm": {"model": "scripted/degree?offset=1", "temperature": 1.0},
            "growth": {"n": 50, "m": 2, "arrivals_per_step": 10, "naming": "random"},
        }
    )
    gateway = get_gateway()

    def advance(model, steps):
        for step in steps:
            model.step_index = step
            model.step()

    whole = GrowthModel(spec, gateway.session(spec.llm))
    advance(whole, range(5))
    first_session = gateway.session(spec.llm)
    first = GrowthModel(spec, first_session)
    advance(first, range(2))
    saved, session_state = first.capture(), first_session.get_state()
    second_session = gateway.session(spec.llm)
    second_session.set_state(session_state)
    resumed = GrowthModel(spec, second_session)
    resumed.restore(saved)
    advance(resumed, range(2, 5))
    assert resumed.done and resumed.names == whole.names
    assert edge_set(resumed.graph) == edge_set(whole.graph)
    assert resumed.counts == whole.counts


def test_uniform_picker_is_rejected_as_a_power_law(tmp_path):
    """scripted/random (uniform attachment): the likelihood ratio favours an exponential tail."""
    _, run = growth_run(tmp_path, "scripted/random", n=1000, arrivals_per_step=100, seed=3)
    metrics = summarize(run)
    assert metrics["r_exp"] < 0 and metrics["p_exp"] < 0.1
    assert metrics["uniform_r_exp"] < 0 and metrics["ba_r_exp"] > 0


def test_name_prior_centralises_and_random_names_remove_it(tmp_path):
    """A fixed preference for 'Emma' makes her a hub far above BA; with random names (no Emma)
    every pick is re-asked, falls back to uniform, and the hub share drops below BA's."""
    fixed = "scripted/fixed?answer=Emma"
    grow_args = {"n": 400, "arrivals_per_step": 100, "candidates": {"max_shown": 400}}
    _, realistic = growth_run(tmp_path / "r", fixed, naming="realistic", **grow_args)
    central = summarize(realistic)
    assert central["hub_name"] == "Emma"
    assert central["hub_share"] > 3 * central["ba_hub_share"]
    _, random = growth_run(tmp_path / "x", fixed, naming="random", **grow_args)
    spread = summarize(random)
    assert spread["hub_share"] < central["ba_hub_share"]
    assert spread["picks_fallback"] == 2 * 397 and spread["failed_invalid"] == 4 * 397
    assert spread["picks_llm"] == 0


@pytest.mark.slow
def test_scripted_degree_picker_matches_barabasi_albert_at_10000(tmp_path):
    """Full pipeline, N = 10,000, m = 2, K = 30, two seeds: alpha within BA's band and mean."""
    alphas, ba = [], []
    for seed in (1, 2):
        _, run = growth_run(
            tmp_path / str(seed),
            "scripted/degree?offset=0",
            seed=seed,
            n=10_000,
            arrivals_per_step=1000,
        )
        alphas.append(fit_tail(degrees_of(graph_at(run)))["alpha"])
        ba.append(fit_tail(degrees_of(nx.barabasi_albert_graph(10_000, 2, seed=seed)))["alpha"])
    assert all(2.4 <= a <= 3.2 for a in alphas), alphas
    assert abs(np.mean(alphas) - np.mean(ba)) < 0.3, (alphas, ba)


@pytest.mark.slow
def test_growth_rule_matches_barabasi_albert_over_ten_seeds():
    """The scenario's rule (K = 30 uniform sample, pick ∝ degree) over 10 seeds at N = 10,000."""
    alphas = [
        fit_tail(degrees_of(grow(10_000, 2, s, "degree", shown=30)))["alpha"] for s in range(10)
    ]
    ba = [
        fit_tail(degrees_of(nx.barabasi_albert_graph(10_000, 2, seed=s)))["alpha"]
        for s in range(10)
    ]
    assert all(2.4 <= a <= 3.2 for a in alphas), alphas
    assert abs(np.mean(alphas) - np.mean(ba)) < 0.3, (alphas, ba)
    uniform = network_metrics(grow(10_000, 2, 0, "uniform"))
    assert uniform["max_degree"] < 40  # exponential tail: no hubs (BA's largest is ~100+)
