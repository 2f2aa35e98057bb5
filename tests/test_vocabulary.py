"""Each kind's declared vocabulary (what validate checks interventions against) matches the model
it describes: the metrics conditions can read, the hooks it implements, the traits its agents
carry. A new reporter or hook that is not declared fails here, not in a user's validate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simsocial.hooks import supports
from simsocial.interventions import metrics
from simsocial.interventions.select import _has
from simsocial.scenarios import KINDS
from simsocial.spec import parse_scenario
from simsocial.vocabulary import Population

HOOKS = ("add_agent", "remove_agent", "remove_edges", "deliver")
SBM = {"generator": "stochastic_block", "params": {"sizes": [3, 4], "p": [[0.5, 0.1], [0.1, 0.5]]}}

CASES: list[tuple[str, dict[str, Any]]] = [
    ("opinion adoption", {"kind": "opinion", "opinion": {"queries": 4, "grid": [0.0, 0.5]}}),
    (
        "opinion dynamics",
        {"kind": "opinion", "network": SBM, "opinion": {"experiment": "dynamics"}},
    ),
    ("growth", {"kind": "growth", "steps": 40, "growth": {"n": 10}}),
    ("diffusion", {"kind": "diffusion", "network": SBM, "mind": {"reflection": False}}),
]


@pytest.mark.parametrize(("name", "data"), CASES, ids=[c[0] for c in CASES])
def test_vocabulary_matches_the_model(name, data, make_session, tmp_path: Path) -> None:
    """Declared metrics are exactly what conditions read; declared hooks are implemented;
    declared traits (persona fields aside) are on every agent."""
    spec = parse_scenario({"name": "v", "llm": {"model": "scripted/random"}, **data})
    network = spec.network
    population = Population(
        nodes=network.n if network else None,
        blocks=len(network.params["sizes"]) if network and "sizes" in network.params else None,
    )
    vocabulary = spec.vocabulary(population)
    model = KINDS[spec.kind].load("model")(spec, make_session("scripted/random"))
    assert set(metrics(model)) == set(vocabulary.metrics)
    assert all(supports(model, hook) for hook in vocabulary.hooks)
    agents = model.intervention_agents()
    persona = {"description", "traits", "occupation", "model", "name"}
    for trait in set(vocabulary.traits) - persona:
        assert all(_has(agent, trait) for agent in agents.values()), trait
    assert set(vocabulary.state) <= set(vocabulary.traits)
    if network is not None:
        blocks = sorted({getattr(a, "block", None) for a in agents.values()})
        assert blocks == [0, 1]
