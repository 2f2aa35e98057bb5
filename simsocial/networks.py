"""Who sees whom: the `network:` block of a scenario turned into a seeded networkx graph.

Every graph has nodes 0..n-1, so agents can be laid on it by index. The parameter rules live in
`check_network`, used both by the spec (so `simsocial validate` reports them with a line number)
and by `build_network` (so a spec built in Python gets the same plain messages). networkx itself is
imported only when a graph is built, which keeps `simsocial validate` fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from simsocial.errors import SimsocialError
from simsocial.limits import agents_problem, graph_problem
from simsocial.spec_errors import show_value
from simsocial.userfiles import UserFileError

if TYPE_CHECKING:
    import networkx as nx

    from simsocial.spec_models import NetworkSpec

# generator -> (parameter -> what it means); every parameter is required except `periodic`.
PARAMETERS: dict[str, dict[str, str]] = {
    "complete": {},
    "erdos_renyi": {"p": "probability of each edge"},
    "barabasi_albert": {"m": "edges each new node brings"},
    "watts_strogatz": {"k": "ring neighbours of each node", "p": "rewiring probability"},
    "lattice": {"dim": "[rows, cols]", "periodic": "wrap around the edges (true/false)"},
    "stochastic_block": {"sizes": "list of block sizes", "p": "matrix of edge probabilities"},
    "edge_list": {},
}
OPTIONAL = {"periodic"}


class NetworkError(SimsocialError, ValueError):
    """A network that cannot be built as asked; the message names the parameter."""


class ParamProblem(NamedTuple):
    """One broken rule: where below `network:` (e.g. ("params", "m")) and what is wrong."""

    where: tuple[str | int, ...]
    message: str


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_prob(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def _check_prob(problems: list[ParamProblem], where: tuple[str | int, ...], value: Any) -> None:
    if not _is_prob(value):
        problems.append(
            ParamProblem(where, f"must be a probability in [0, 1], got {show_value(value)}")
        )


def _check_int(problems: list[ParamProblem], key: str, value: Any, low: int, n: int | None) -> None:
    """An integer parameter at least `low` and, when n is known, below n."""
    if not _is_int(value) or value < low:
        problems.append(
            ParamProblem(("params", key), f"must be an integer >= {low}, got {show_value(value)}")
        )
    elif n is not None and value >= n:
        problems.append(
            ParamProblem(("params", key), f"must be below n = {n}, got {show_value(value)}")
        )


def _check_blocks(problems: list[ParamProblem], sizes: Any, p: Any) -> None:
    if not isinstance(sizes, list) or not sizes or not all(_is_int(s) and s > 0 for s in sizes):
        problems.append(
            ParamProblem(
                ("params", "sizes"),
                f"must be a non-empty list of positive integers, got {show_value(sizes)}",
            )
        )
        return
    k = len(sizes)
    if not isinstance(p, list) or len(p) != k or not all(isinstance(r, list) for r in p):
        problems.append(
            ParamProblem(
                ("params", "p"),
                f"must be a {k} x {k} matrix (one row per block), got {show_value(p)}",
            )
        )
        return
    for i, row in enumerate(p):
        if len(row) != k:
            problems.append(
                ParamProblem(("params", "p", i), f"must have {k} entries, got {show_value(row)}")
            )
            return
        for j, value in enumerate(row):
            _check_prob(problems, ("params", "p", i, j), value)
    if not problems and any(p[i][j] != p[j][i] for i in range(k) for j in range(i)):
        problems.append(ParamProblem(("params", "p"), f"must be symmetric, got {show_value(p)}"))


def implied_size(generator: str, params: Mapping[str, Any]) -> int | None:
    """The node count a lattice or stochastic block model fixes by itself (else None)."""
    try:
        if generator == "lattice":
            rows, cols = params["dim"]
            return int(rows) * int(cols)
        if generator == "stochastic_block":
            return sum(int(s) for s in params["sizes"])
    except (KeyError, TypeError, ValueError):
        return None
    return None


def check_network(
    generator: str, params: Mapping[str, Any], n: int | None, path: str | None
) -> list[ParamProblem]:
    """Every broken parameter rule of one network description (empty list when it is fine)."""
    known = PARAMETERS.get(generator)
    if known is None:
        return [ParamProblem(("generator",), f"unknown generator {show_value(generator)}")]
    problems: list[ParamProblem] = []
    for key in params:
        if key not in known:
            close = difflib.get_close_matches(str(key), list(known), n=1)
            hint = f"did you mean '{close[0]}'?" if close else _takes(generator)
            problems.append(
                ParamProblem(("params", key), f"unknown parameter '{key}' for {generator} ({hint})")
            )
    for key, meaning in known.items():
        if key not in params and key not in OPTIONAL:
            problems.append(
                ParamProblem(("params", key), f"is required for {generator} ({meaning})")
            )
    if generator == "edge_list" and not path:
        problems.append(ParamProblem(("path",), "is required for edge_list (the edge-list file)"))
    if generator != "edge_list" and path is not None:
        problems.append(ParamProblem(("path",), f"is only used by edge_list, not {generator}"))
    if problems:
        return problems
    if generator in {"erdos_renyi", "watts_strogatz"}:
        _check_prob(problems, ("params", "p"), params["p"])
    if generator == "barabasi_albert":
        _check_int(problems, "m", params["m"], 1, n)
    if generator == "watts_strogatz":
        _check_int(problems, "k", params["k"], 2, n)
    if generator == "lattice":
        dim = params["dim"]
        if not (isinstance(dim, list) and len(dim) == 2 and all(_is_int(d) and d > 0 for d in dim)):
            problems.append(
                ParamProblem(
                    ("params", "dim"),
                    f"must be [rows, cols], two positive integers, got {show_value(dim)}",
                )
            )
        if not isinstance(params.get("periodic", False), bool):
            problems.append(
                ParamProblem(
                    ("params", "periodic"),
                    f"must be true or false, got {show_value(params['periodic'])}",
                )
            )
    if generator == "stochastic_block":
        _check_blocks(problems, params["sizes"], params["p"])
    implied = implied_size(generator, params)
    if not problems and implied is not None and n is not None and n != implied:
        problems.append(
            ParamProblem(
                ("n",), f"is {n} but {generator} {_describe(generator, params)} has {implied} nodes"
            )
        )
    if not problems:
        problems.extend(_size_problems(generator, params, n, implied))
    return problems


def _size_problems(
    generator: str, params: Mapping[str, Any], n: int | None, implied: int | None
) -> list[ParamProblem]:
    """Node count and estimated graph memory against the stated limits (simsocial.limits)."""
    size = n if n is not None else implied
    if size is None:
        return []
    where: tuple[str | int, ...] = ("n",)
    if n is None:
        where = ("params", "dim" if generator == "lattice" else "sizes")
    too_many = agents_problem(size, "nodes")
    if too_many:
        message = too_many if n is not None else f"give {size:,} nodes, but n {too_many}"
        return [ParamProblem(where, message)]
    too_big = graph_problem(generator, size, params)
    return [ParamProblem(where, too_big)] if too_big else []


def _takes(generator: str) -> str:
    names = ", ".join(PARAMETERS[generator])
    return f"{generator} takes {names}" if names else f"{generator} takes no parameters"


def _describe(generator: str, params: Mapping[str, Any]) -> str:
    return f"dim {params['dim']}" if generator == "lattice" else f"sizes {params['sizes']}"


def build_network(spec: NetworkSpec, seed: int, n: int | None = None) -> nx.Graph:
    """The graph the spec asks for, drawn with `seed`; nodes are 0..n-1.

    `n` is the number of agents when the scenario knows it from elsewhere (e.g. a persona file);
    it must agree with `spec.n` when both are given. watts_strogatz uses networkx's
    connected_watts_strogatz_graph (redraws up to 100 times until connected), since a
    disconnected graph can never reach consensus. Edge-list nodes are relabelled 0..n-1 in sorted
    order (numerically when every label is an integer); the original label is the node attribute
    "label" (see `node_traits`), and a stochastic block model's nodes carry "block".
    """
    import networkx as nx

    if n is not None and spec.n is not None and n != spec.n:
        raise NetworkError(f"network.n is {spec.n} but the scenario has {n} agents")
    size = n if n is not None else spec.n
    problems = check_network(spec.generator, spec.params, size, spec.path)
    if problems:
        where, message = problems[0]
        raise NetworkError(f"network.{'.'.join(map(str, where))}: {message}")
    if spec.generator == "edge_list":
        graph = read_edge_list(Path(str(spec.path)))
        if size is not None and graph.number_of_nodes() != size:
            raise NetworkError(
                f"network.path: {spec.path} has {graph.number_of_nodes()} nodes, expected {size}"
            )
        return graph
    implied = implied_size(spec.generator, spec.params)
    size = size if size is not None else implied
    if size is None:
        raise NetworkError(f"network.n: is required for {spec.generator}")
    p = spec.params
    try:
        if spec.generator == "complete":
            return nx.complete_graph(size)
        if spec.generator == "erdos_renyi":
            return nx.fast_gnp_random_graph(size, p["p"], seed=seed)
        if spec.generator == "barabasi_albert":
            return nx.barabasi_albert_graph(size, p["m"], seed=seed)
        if spec.generator == "watts_strogatz":
            return nx.connected_watts_strogatz_graph(size, p["k"], p["p"], seed=seed)
        if spec.generator == "lattice":
            grid = nx.grid_2d_graph(*p["dim"], periodic=bool(p.get("periodic", False)))
            order = sorted(grid)
            graph = nx.relabel_nodes(grid, {node: i for i, node in enumerate(order)})
            nx.set_node_attributes(graph, dict(enumerate(order)), "pos")
            return graph
        return nx.stochastic_block_model(p["sizes"], p["p"], seed=seed)
    except nx.NetworkXException as exc:
        raise NetworkError(f"network ({spec.generator}): {exc}") from exc


def read_edge_list(path: Path) -> nx.Graph:
    """An undirected graph from a strict 'u v' file (see simsocial.edgelists), nodes 0..n-1 in
    sorted order, each with its original id as the node attribute "label"."""
    import networkx as nx

    from simsocial.edgelists import read

    try:
        parsed = read(path)
    except UserFileError as exc:
        raise NetworkError(f"network.path: {exc}") from None
    graph = nx.Graph()
    graph.add_nodes_from((i, {"label": label}) for i, label in enumerate(parsed.labels))
    graph.add_edges_from(parsed.edges)
    return graph


def node_traits(graph: nx.Graph, node: int) -> dict[str, Any]:
    """What an agent laid on `node` carries from the network: its original id (`node`: the
    edge-list id, else the generator's 0..n-1) and its stochastic block (`block`) if any."""
    data = graph.nodes[node]
    traits: dict[str, Any] = {"node": data.get("label", node)}
    if "block" in data:
        traits["block"] = int(data["block"])
    return traits


def independent_batches(order: Sequence[int], graph: nx.Graph) -> list[list[int]]:
    """Split `order` into consecutive batches in which no two members are equal or adjacent.

    Agents in one batch cannot see each other's update, so asking them together gives the same
    result as asking them one after another (random_sequential). Greedy: a batch closes when the
    next agent repeats or neighbours one of its members.
    """
    batches: list[list[int]] = []
    batch: list[int] = []
    members: set[int] = set()
    for agent in order:
        neighbours = graph.adj[agent]
        if agent in members or (
            any(m in neighbours for m in members)
            if len(members) < len(neighbours)
            else any(nb in members for nb in neighbours)
        ):
            batches.append(batch)
            batch, members = [], set()
        batch.append(agent)
        members.add(agent)
    if batch:
        batches.append(batch)
    return batches
