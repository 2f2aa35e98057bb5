"""Network builders: known sizes and edge counts, seeding, edge-list files, independent batches."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from simsocial.networks import NetworkError, build_network, independent_batches, node_traits
from simsocial.spec_models import NetworkSpec


def net(
    generator: str, n: int | None = None, path: str | None = None, **params: Any
) -> NetworkSpec:
    return NetworkSpec(generator=generator, n=n, params=params, path=path)


def edges(graph: nx.Graph) -> set[frozenset[int]]:
    return {frozenset(e) for e in graph.edges()}


@pytest.mark.parametrize(
    ("spec", "nodes", "n_edges"),
    [
        (net("complete", 10), 10, 45),
        (net("barabasi_albert", 50, m=3), 50, 3 * 47),
        (net("watts_strogatz", 20, k=4, p=0.3), 20, 40),
        (net("erdos_renyi", 12, p=1.0), 12, 66),
        (net("erdos_renyi", 12, p=0.0), 12, 0),
        (net("lattice", dim=[3, 4]), 12, 17),
        (net("lattice", dim=[3, 4], periodic=True), 12, 24),
        (net("stochastic_block", sizes=[3, 4], p=[[1, 0], [0, 1]]), 7, 3 + 6),
    ],
)
def test_generators_give_known_sizes(spec: NetworkSpec, nodes: int, n_edges: int) -> None:
    """Each generator gives nodes 0..n-1 and the edge count its definition fixes."""
    graph = build_network(spec, seed=1)
    assert sorted(graph) == list(range(nodes))
    assert graph.number_of_edges() == n_edges


def test_lattice_keeps_grid_positions() -> None:
    """Lattice nodes are numbered row by row and remember their (row, col)."""
    graph = build_network(net("lattice", dim=[3, 4]), seed=0)
    assert graph.nodes[0]["pos"] == (0, 0) and graph.nodes[5]["pos"] == (1, 1)
    assert graph.has_edge(0, 1) and graph.has_edge(0, 4) and not graph.has_edge(3, 4)


def test_stochastic_block_has_no_cross_edges_at_p_zero() -> None:
    """Blocks with zero cross probability stay apart and carry their block index."""
    graph = build_network(net("stochastic_block", sizes=[3, 4], p=[[1, 0], [0, 1]]), seed=0)
    assert [graph.nodes[i]["block"] for i in range(7)] == [0, 0, 0, 1, 1, 1, 1]
    assert nx.number_connected_components(graph) == 2


def test_watts_strogatz_is_connected() -> None:
    """The small-world graph is redrawn until connected, since consensus needs that."""
    for seed in range(5):
        assert nx.is_connected(build_network(net("watts_strogatz", 30, k=2, p=0.5), seed=seed))


@pytest.mark.parametrize(
    "spec",
    [
        net("erdos_renyi", 30, p=0.2),
        net("barabasi_albert", 30, m=2),
        net("watts_strogatz", 30, k=4, p=0.5),
        net("stochastic_block", sizes=[15, 15], p=[[0.5, 0.1], [0.1, 0.5]]),
    ],
)
def test_random_generators_follow_the_seed(spec: NetworkSpec) -> None:
    """Same seed, same graph; another seed, another graph."""
    assert edges(build_network(spec, seed=7)) == edges(build_network(spec, seed=7))
    assert edges(build_network(spec, seed=7)) != edges(build_network(spec, seed=8))


def test_n_from_the_scenario_fills_in() -> None:
    """A scenario that knows its agent count can supply n; a conflicting n is an error."""
    assert build_network(net("complete"), seed=0, n=5).number_of_edges() == 10
    with pytest.raises(NetworkError, match=r"network\.n is 6 but the scenario has 5 agents"):
        build_network(net("complete", 6), seed=0, n=5)
    with pytest.raises(NetworkError, match=r"network\.n: is required"):
        build_network(net("barabasi_albert", m=2), seed=0)


def test_edge_list_round_trip(tmp_path: Path) -> None:
    """A graph written by networkx comes back with the same edges and its labels kept."""
    original = nx.karate_club_graph()
    path = tmp_path / "karate.txt"
    nx.write_edgelist(original, path, data=False)
    graph = build_network(net("edge_list", path=str(path)), seed=0)
    assert graph.number_of_nodes() == 34
    labels = nx.get_node_attributes(graph, "label")
    assert edges(nx.relabel_nodes(graph, labels)) == edges(original)


def test_edge_list_relabels_in_sorted_order(tmp_path: Path) -> None:
    """Integer labels sort numerically, other labels as text; comments and blank lines skipped."""
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("# who follows whom\n10 2\n\n2 3  # trailing comment\n3 10\n")
    graph = build_network(net("edge_list", path=str(numbers)), seed=0)
    assert [graph.nodes[i]["label"] for i in range(3)] == [2, 3, 10]
    assert edges(graph) == {frozenset({0, 1}), frozenset({1, 2}), frozenset({0, 2})}
    names = tmp_path / "names.txt"
    names.write_text("bob alice\nalice carol\n")
    graph = build_network(net("edge_list", path=str(names)), seed=0)
    assert [graph.nodes[i]["label"] for i in range(3)] == ["alice", "bob", "carol"]
    assert edges(graph) == {frozenset({0, 1}), frozenset({0, 2})}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (net("edge_list", path="/nonexistent/edges.txt"), "network.path: .*file not found"),
        (
            NetworkSpec.model_construct(generator="barabasi_albert", n=5, params={"m": 5}),
            r"params\.m: must be below n = 5",
        ),
        (
            NetworkSpec.model_construct(generator="erdos_renyi", n=5, params={"p": 2}),
            r"params\.p: must be a probability",
        ),
        (
            NetworkSpec.model_construct(generator="watts_strogatz", n=5, params={"p": 0.1}),
            r"params\.k: is required",
        ),
        (
            NetworkSpec.model_construct(generator="lattice", n=None, params={"dim": [3]}),
            r"params\.dim: must be \[rows, cols\]",
        ),
    ],
)
def test_bad_parameters_name_the_parameter(spec: NetworkSpec, message: str) -> None:
    """Building from a bad description raises NetworkError naming the key, not a networkx error."""
    with pytest.raises(NetworkError, match=message):
        build_network(spec, seed=0)


def test_edge_list_without_edges_is_an_error(tmp_path: Path) -> None:
    """An empty edge list is reported, not turned into an empty population."""
    path = tmp_path / "empty.txt"
    path.write_text("# nothing\n")
    with pytest.raises(NetworkError, match="has no edges"):
        build_network(net("edge_list", path=str(path)), seed=0)


def test_spec_level_checks_and_implied_size() -> None:
    """The spec reports missing or unknown parameters; lattice and blocks fix n themselves."""
    assert net("lattice", dim=[3, 4]).n == 12
    assert net("stochastic_block", sizes=[2, 5], p=[[0.1, 0.2], [0.2, 0.1]]).n == 7
    with pytest.raises(ValidationError, match="is required for barabasi_albert"):
        net("barabasi_albert", 10)
    with pytest.raises(ValidationError, match="did you mean 'p'"):
        net("erdos_renyi", 10, p=0.1, pp=0.2)
    with pytest.raises(ValidationError, match="has 12 nodes"):
        net("lattice", 10, dim=[3, 4])


def test_independent_batches_known_answers() -> None:
    """A path graph splits at neighbours and repeats; a complete graph runs one at a time."""
    path = nx.path_graph(4)
    assert independent_batches([0, 2, 1, 3], path) == [[0, 2], [1, 3]]
    assert independent_batches([0, 3, 0, 2], path) == [[0, 3], [0, 2]]
    assert independent_batches([3, 1, 2], nx.complete_graph(4)) == [[3], [1], [2]]
    assert independent_batches([], path) == []
    assert independent_batches([0, 1, 2, 3], nx.empty_graph(4)) == [[0, 1, 2, 3]]


@settings(max_examples=200, deadline=None)
@given(
    n=st.integers(1, 25),
    p=st.floats(0, 1),
    graph_seed=st.integers(0, 1000),
    order=st.lists(st.integers(0, 24), max_size=80),
)
def test_independent_batches_property(n: int, p: float, graph_seed: int, order: list[int]) -> None:
    """Batches are independent sets without repeats, greedy, and concatenate back to the order."""
    graph = nx.gnp_random_graph(n, p, seed=graph_seed)
    order = [i % n for i in order]
    batches = independent_batches(order, graph)
    assert [i for batch in batches for i in batch] == order
    for batch in batches:
        assert batch and len(set(batch)) == len(batch)
        assert not any(graph.has_edge(u, v) for u in batch for v in batch)
    for before, after in itertools.pairwise(batches):
        first = after[0]
        assert first in before or any(graph.has_edge(first, u) for u in before)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1 2\n2 3\n3 x\n", 'edges.txt:3: node id "x" is not an integer like "1" (line 1); ids '
         "must be all integers or all names"),
        ("alice bob\nbob 7\n", 'edges.txt:2: node id "7" is not a name like "alice" (line 1)'),
        ("1 2\n2 3 0.5\n", 'edges.txt:2: expected two node ids "u v", got 3 fields: "2 3 0.5"'),
        ("1\n", 'edges.txt:1: expected two node ids "u v", got 1 field: "1"; is this an edge '
         "list?"),
        ("1 2\n4 4\n", 'edges.txt:2: self-loop "4 4": a node cannot be its own neighbour'),
        ("root:x:0:0:root:/root:/bin/bash\n", "edges.txt:1: expected two node ids"),
        ("# only comments\n\n", "edges.txt: has no edges (every line is blank or a # comment)"),
    ],
    ids=["name among integers", "integer among names", "weights", "one id", "self-loop",
         "passwd", "empty"],
)  # fmt: skip
def test_edge_list_lines_are_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    """Every line is two node ids of one kind; the error names the file and the line."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "edges.txt").write_text(text)
    with pytest.raises(NetworkError) as info:
        build_network(net("edge_list", path=str(tmp_path / "edges.txt")), seed=0)
    assert str(info.value).startswith(f"network.path: {message}")


def test_edge_list_not_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Binary data is named as such, with the line of the first bad byte."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "edges.txt").write_bytes(b"1 2\n\x89PNG\x00\n")
    with pytest.raises(NetworkError, match=r"edges\.txt:2: not UTF-8 text \(byte 0x89\)"):
        build_network(net("edge_list", path=str(tmp_path / "edges.txt")), seed=0)


def test_node_traits_keep_ids_and_blocks(tmp_path: Path) -> None:
    """Agents get the edge list's own ids (not 0..n-1) and the stochastic block of their node."""
    (tmp_path / "edges.txt").write_text("10 20\n20 30\n")
    graph = build_network(net("edge_list", path=str(tmp_path / "edges.txt")), seed=0)
    assert [node_traits(graph, u) for u in graph] == [{"node": 10}, {"node": 20}, {"node": 30}]
    blocks = build_network(net("stochastic_block", sizes=[2, 3], p=[[1, 0], [0, 1]]), seed=0)
    assert [node_traits(blocks, u)["block"] for u in blocks] == [0, 0, 1, 1, 1]
