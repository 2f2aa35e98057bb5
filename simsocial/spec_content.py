"""What a valid-looking spec's files hold, and whether its interventions fit its agents.

Runs after the spec's keys are valid and its paths resolved, so `simsocial validate` reads what
`run` will read: the edge list (every line two node ids), the persona files (a `name` column, rows
that are personas), and then checks each intervention against the scenario's vocabulary (traits,
state values, metrics, hooks). A block that names a file of its own (e.g. the forum's real
threads) reads it in a `check_files()` method returning (key path within the block, message)
pairs. Problems come back as (key path, message) pairs for the loader to locate at the key's
line; a problem inside a named file carries that file's own `file:line`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from simsocial.spec_models import ScenarioSpec
from simsocial.userfiles import UserFileError
from simsocial.vocabulary import Population

Where = tuple[str | int, ...]


def check_content(spec: ScenarioSpec) -> list[tuple[Where, str]]:
    """Every problem in the spec's files, then in its interventions against its agents."""
    problems: list[tuple[Where, str]] = []
    nodes, blocks = _network(spec, problems)
    fields: set[str] = set()
    count = 0
    for where, path in _persona_files(spec, ()):
        from simsocial.personas import PersonaError, load

        try:
            people = load(path)
        except PersonaError as exc:
            problems.append((where, str(exc)))
            continue
        count += len(people)
        fields |= {"name", "description", "traits", "model"}
        fields |= {key for p in people for key in p.demographics}
    problems.extend(_block_files(spec, ()))
    if problems:
        return problems
    population = Population(nodes, blocks, frozenset(fields), count)
    problems.extend(spec.check_population(population))
    if spec.interventions or spec.metrics:
        from simsocial.interventions.against import check_interventions, check_metrics

        vocabulary = spec.vocabulary(population)
        problems.extend(check_metrics(spec, vocabulary))
        problems.extend(check_interventions(spec, vocabulary))
    return problems


def _network(
    spec: ScenarioSpec, problems: list[tuple[Where, str]]
) -> tuple[int | None, int | None]:
    """(nodes, stochastic blocks) of the spec's network; an edge list is read to count them."""
    network = spec.network
    if network is None:
        return None, None
    if network.generator == "stochastic_block":
        return network.n, len(network.params["sizes"])
    if network.generator != "edge_list" or network.path is None:
        return network.n, None
    from simsocial.edgelists import read

    try:
        found = len(read(network.path).labels)
    except UserFileError as exc:
        problems.append((("network", "path"), str(exc)))
        return None, None
    if network.n is not None and network.n != found:
        problems.append((("network", "n"), f"is {network.n} but the edge list has {found} nodes"))
    return found, None


def _persona_files(model: BaseModel, at: Where) -> Iterator[tuple[Where, str]]:
    """(key path, resolved path) of every field marked as a persona file (PERSONA_FILE)."""
    for name, field in type(model).model_fields.items():
        value: Any = getattr(model, name)
        extra = field.json_schema_extra
        if isinstance(value, BaseModel):
            yield from _persona_files(value, (*at, name))
        elif isinstance(value, str) and isinstance(extra, dict) and extra.get("x-persona-file"):
            yield (*at, name), value


def _block_files(model: BaseModel, at: Where) -> Iterator[tuple[Where, str]]:
    """What each block's own `check_files()` finds in the files it names, at any depth."""
    check = getattr(model, "check_files", None)
    if callable(check):
        for where, message in check():
            yield (*at, *where), message
    for name in type(model).model_fields:
        value: Any = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _block_files(value, (*at, name))
