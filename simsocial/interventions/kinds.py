"""The generic intervention kinds: set state, add/remove agents, remove edges, set a parameter,
broadcast. Each returns the payload logged as its event, which is also what a replay reuses."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from simsocial.errors import InterventionError
from simsocial.interventions.registry import Act, intervention
from simsocial.interventions.select import Selector
from simsocial.spec_base import LocatedValueError, StrictModel


class SetStateParams(StrictModel):
    select: Selector = Field(default_factory=Selector, description="Which agents (default all).")
    state: dict[str, Any] = Field(
        ..., min_length=1, description="Attribute values to set, e.g. {zealot: true, opinion: B}."
    )


@intervention("set_state", SetStateParams)
def set_state(act: Act) -> dict[str, Any]:
    """Set attributes on the selected agents (e.g. make them zealots holding opinion B)."""
    ids = act.select(act.params.select)
    agents = act.model.intervention_agents()
    for i in ids:
        for key, value in act.params.state.items():
            if not hasattr(agents[i], key):
                raise InterventionError(f"agents of this scenario have no attribute '{key}'")
            setattr(agents[i], key, value)
    act.model.agents_changed(ids)
    return {"ids": ids, "state": act.params.state}


class AddAgentsParams(StrictModel):
    count: PositiveInt | None = Field(None, description="How many agents to add.")
    fraction: float | None = Field(
        None, gt=0.0, description="Add this share of the current number of agents (rounded)."
    )
    state: dict[str, Any] = Field(
        default_factory=dict, description="Their attributes, e.g. {opinion: B, zealot: true}."
    )
    connect: Literal["all"] | NonNegativeInt = Field(
        "all",
        description="Network links of each newcomer: 'all' existing agents, or k random ones.",
    )

    @field_validator("fraction")
    @classmethod
    def _sane(cls, value: float | None) -> float | None:
        if value is not None and value > 10:
            raise ValueError(f"must be at most 10 (ten times the population), got {value}")
        return value

    @model_validator(mode="after")
    def _one_size(self) -> AddAgentsParams:
        if (self.count is None) == (self.fraction is None):
            raise LocatedValueError([(("count",), "give exactly one of `count` or `fraction`")])
        return self


@intervention("add_agents", AddAgentsParams, needs="add_agent")
def add_agents(act: Act) -> dict[str, Any]:
    """Add agents with a given state (e.g. zealots who never change opinion), linked in."""
    model, params = act.model, act.params
    existing = sorted(model.intervention_agents())
    count = params.count or round(params.fraction * len(existing))
    recorded = act.replay["links"] if act.replay is not None else None
    ids: list[int] = []
    links: list[list[int]] = []
    for n in range(count):
        if recorded is not None:
            neighbours = recorded[n]
        elif params.connect == "all":
            neighbours = existing + ids
        else:
            pool = existing + ids
            k = min(params.connect, len(pool))
            neighbours = sorted(pool[int(p)] for p in model.rng.choice(len(pool), k, replace=False))
        new = model.add_agent(dict(params.state), list(neighbours))
        if act.replay is not None and new != act.replay["ids"][n]:
            raise InterventionError(f"replay created agent {new}, not {act.replay['ids'][n]}")
        ids.append(new)
        links.append(list(neighbours))
    model.agents_changed(ids)
    return {"ids": ids, "state": params.state, "links": links}


class RemoveAgentsParams(StrictModel):
    select: Selector = Field(..., description="Which agents leave.")


@intervention("remove_agents", RemoveAgentsParams, needs="remove_agent")
def remove_agents(act: Act) -> dict[str, Any]:
    """Remove the selected agents (and their links)."""
    ids = act.select(act.params.select)
    for i in ids:
        act.model.remove_agent(i)
    act.model.agents_changed([])
    return {"ids": ids}


class RemoveEdgesParams(StrictModel):
    edges: list[tuple[int, int]] | None = Field(None, description="These links.")
    fraction: float | None = Field(
        None, ge=0.0, le=1.0, description="This share of all links, drawn at random."
    )
    select: Selector | None = Field(None, description="Every link of the selected agents.")

    @model_validator(mode="after")
    def _one_choice(self) -> RemoveEdgesParams:
        given = [k for k in ("edges", "fraction", "select") if getattr(self, k) is not None]
        if len(given) != 1:
            raise LocatedValueError([((), "give exactly one of `edges`, `fraction` or `select`")])
        return self


@intervention("remove_edges", RemoveEdgesParams, needs="remove_edges")
def remove_edges(act: Act) -> dict[str, Any]:
    """Cut network links: listed ones, a random share, or all links of selected agents."""
    model, params = act.model, act.params
    graph = model.graph
    if graph is None:
        raise InterventionError("remove_edges needs a network, and this model has none")
    ids: list[int] = []
    if act.replay is not None:
        edges = [tuple(e) for e in act.replay["edges"]]
        ids = list(act.replay.get("ids", []))
    elif params.edges is not None:
        missing = [list(e) for e in params.edges if not graph.has_edge(*e)]
        if missing:
            raise InterventionError(f"remove_edges: no such links {missing}")
        edges = [tuple(e) for e in params.edges]
    elif params.fraction is not None:
        every = sorted(tuple(sorted(e)) for e in graph.edges())
        k = round(params.fraction * len(every))
        picks = model.rng.choice(len(every), size=k, replace=False) if k else []
        edges = sorted(every[int(p)] for p in picks)
    else:
        ids = act.select(params.select)
        edges = sorted({tuple(sorted(e)) for e in graph.edges(ids)})
    model.remove_edges(edges)
    return {"ids": ids, "edges": [list(e) for e in edges]}


class SetParamParams(StrictModel):
    path: str = Field(
        ..., min_length=1, description="Dotted spec path, e.g. llm.temperature, opinion.template."
    )
    value: Any = Field(..., description="The new value (validated against the scenario kind).")


@intervention("set_param", SetParamParams)
def set_param(act: Act) -> dict[str, Any]:
    """Change a scenario parameter from now on (prompt, temperature, model string ...)."""
    model, params = act.model, act.params
    from simsocial.overrides import apply_overrides

    spec = model.spec
    data = apply_overrides(spec.model_dump(mode="json"), {params.path: params.value})
    changed = type(spec).model_validate(data)
    parts = params.path.split(".")
    live: Any = spec
    fresh: Any = changed
    for part in parts[:-1]:
        live, fresh = getattr(live, part), getattr(fresh, part)
    old = getattr(live, parts[-1])
    new = getattr(fresh, parts[-1])
    if isinstance(old, BaseModel) and type(old) is type(new):
        for name in type(old).model_fields:  # in place: the model holds references to blocks
            setattr(old, name, getattr(new, name))
    else:
        setattr(live, parts[-1], new)
    if parts[0] == "llm":
        _retarget(model)
    model.params_changed(params.path)
    shown = old.model_dump(mode="json") if isinstance(old, BaseModel) else old
    return {"ids": [], "path": params.path, "old": shown, "value": params.value}


def _retarget(model: Any) -> None:
    """Point the session at the (possibly new) model string; temperature etc. are read live."""
    try:
        model.session.reconfigure(model.spec.llm)
    except ValueError as exc:
        raise InterventionError(f"set_param llm.model: {exc}") from None


class BroadcastParams(StrictModel):
    select: Selector = Field(default_factory=Selector, description="Who receives it (default all).")
    message: str = Field(..., min_length=1, description="The news item or message text.")


@intervention("broadcast", BroadcastParams, needs="deliver")
def broadcast(act: Act) -> dict[str, Any]:
    """Deliver a message to the selected agents (its meaning is the scenario's, e.g. a note)."""
    ids = act.select(act.params.select)
    act.model.deliver(ids, act.params.message)
    return {"ids": ids, "message": act.params.message}
