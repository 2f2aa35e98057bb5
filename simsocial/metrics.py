"""Custom metrics: group aggregates over agent attributes, or Python hooks, one column each.

A scenario's `metrics:` block names numbers the researcher's question needs and the built-in
reporters do not give, e.g. the share of opinion A inside one network block:

    metrics:
      share_a_block0: {mean: "opinion == 'A'", where: "block == 0"}
      zealot_share: {mean: zealot}
      clustering: {hook: clustering}

An aggregate is written in the whitelisted expression language of conditions
(simsocial.interventions.conditions) over agent attributes and persona fields, so it is checked
at load time and never `eval`ed. Each metric is computed after every step (and for the starting
state, step -1) into a `model.parquet` column, and `when:` conditions read it by name.

Over no agents, `count` and `sum` are 0 (exact), while `mean`, `min` and `max` are NaN (there is
no value); a condition reading a NaN metric stops the run with the metric and the step. An agent
whose attribute is None (e.g. `block` of an agent added by an intervention) is left out of the
aggregate, and matches no `where:`.

What an expression cannot say is a hook, registered like an intervention kind:

    @metric("clustering")
    def clustering(model) -> float:
        return nx.average_clustering(model.graph)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from simsocial.errors import RunError
from simsocial.interventions.conditions import (
    Condition,
    ConditionError,
    ConditionFailed,
    parse_condition,
)
from simsocial.interventions.select import trait_value
from simsocial.spec_base import LocatedValueError, StrictModel
from simsocial.spec_errors import did_you_mean

if TYPE_CHECKING:
    from simsocial.model import SimModel

AGGREGATES = ("mean", "sum", "count", "min", "max")
Hook = Callable[["SimModel"], float]
HOOKS: dict[str, Hook] = {}


class MetricError(RunError):
    """A custom metric that cannot be computed on this step (a text value summed, a bad hook)."""


def metric(name: str) -> Callable[[Hook], Hook]:
    """Register `compute(model) -> number` as metric hook `name`, for `{hook: name}` in a file."""

    def register(compute: Hook) -> Hook:
        HOOKS[name] = compute
        return compute

    return register


class MetricSpec(StrictModel):
    """One custom metric: exactly one aggregate (or `hook`), with an optional `where:` filter."""

    mean: str | None = Field(
        None, description="Mean over the agents of an expression (true counts as 1)."
    )
    sum: str | None = Field(None, description="Sum over the agents of an expression.")
    count: str | None = Field(None, description="Number of agents for which the expression holds.")
    min: str | None = Field(None, description="Smallest value of an expression over the agents.")
    max: str | None = Field(None, description="Largest value of an expression over the agents.")
    where: str | None = Field(
        None, description="Only agents for which this expression holds (e.g. `block == 0`)."
    )
    hook: str | None = Field(
        None, description="A Python function registered with @simsocial.metrics.metric(name)."
    )

    @model_validator(mode="after")
    def _one_aggregate(self) -> MetricSpec:
        """Exactly one of the aggregates or a hook; expressions that parse; a registered hook."""
        given = [k for k in (*AGGREGATES, "hook") if getattr(self, k) is not None]
        if len(given) != 1:
            said = f"got {', '.join(given)}" if given else "got none"
            raise LocatedValueError(
                [((), f"write exactly one of {', '.join(AGGREGATES)} or hook ({said})")]
            )
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.hook is not None:
            if self.where is not None:
                problems.append((("where",), "a hook computes its own number; drop `where`"))
            if self.hook not in HOOKS:
                known = ", ".join(sorted(HOOKS)) or "none registered"
                hint = did_you_mean(self.hook, sorted(HOOKS))
                message = f"unknown metric hook '{self.hook}'{hint}; registered: {known}"
                problems.append((("hook",), message))
        for key, text in self.expressions().items():
            try:
                parse_condition(text, strings=True)
            except ConditionError as exc:
                problems.append(((key,), str(exc)))
        if problems:
            raise LocatedValueError(problems)
        return self

    @property
    def aggregate(self) -> str:
        """`mean`, `sum`, `count`, `min`, `max` or `hook`."""
        return next(k for k in (*AGGREGATES, "hook") if getattr(self, k) is not None)

    def expressions(self) -> dict[str, str]:
        """The agent expressions this metric reads, by key (the aggregate's and `where`)."""
        keys = (*AGGREGATES, "where")
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}

    def attributes(self) -> dict[str, frozenset[str]]:
        """The agent attributes each expression reads, by key."""
        return {k: parse_condition(t, strings=True).names for k, t in self.expressions().items()}


class _AgentView(Mapping[str, Any]):
    """An agent read as a mapping of names, as the expression evaluator reads metrics."""

    def __init__(self, agent: Any):
        self.agent = agent

    def __getitem__(self, key: str) -> Any:
        return trait_value(self.agent, key)

    def get(self, key: str, default: Any = None) -> Any:
        return trait_value(self.agent, key)

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass(frozen=True)
class _Compiled:
    name: str
    aggregate: str
    value: Condition | None
    where: Condition | None
    hook: str | None


class CustomMetrics:
    """The scenario's metrics, parsed once; `values(model)` computes them for the current state."""

    def __init__(self, specs: Mapping[str, MetricSpec]):
        self.metrics = [
            _Compiled(
                name,
                spec.aggregate,
                None
                if spec.hook
                else parse_condition(spec.expressions()[spec.aggregate], strings=True),
                _parse(spec.where) if spec.where else None,
                spec.hook,
            )
            for name, spec in specs.items()
        ]

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def check(self, builtin: set[str]) -> None:
        """A custom metric named like one of the model's own would hide it: refused."""
        for m in self.metrics:
            if m.name in builtin:
                raise MetricError(
                    f"metrics.{m.name}: clashes with the built-in metric '{m.name}'; rename it"
                )

    def values(self, model: SimModel, step: int) -> dict[str, float]:
        """Every metric's value for the model as it stands (after `step`)."""
        if not self.metrics:
            return {}
        agents = [_AgentView(a) for a in model.intervention_agents().values()]
        return {m.name: self._one(m, model, agents, step) for m in self.metrics}

    def _one(self, m: _Compiled, model: SimModel, agents: list[_AgentView], step: int) -> float:
        where = f"metrics.{m.name}"
        try:
            if m.hook is not None:
                return _number(HOOKS[m.hook](model), f"{where}: hook '{m.hook}' returned")
            assert m.value is not None
            chosen = agents if m.where is None else [a for a in agents if m.where.holds(a)]
            if m.aggregate == "count":
                return float(sum(1 for a in chosen if m.value.holds(a)))
            numbers = [v for v in (m.value.value(a) for a in chosen) if v is not None]
            numbers = [_number(v, f"{where}.{m.aggregate}: `{m.value.text}` is") for v in numbers]
        except ConditionFailed as exc:
            raise MetricError(f"{where}: cannot be computed at step {step}: {exc}") from None
        return _aggregate(m.aggregate, numbers)


def _parse(text: str) -> Condition:
    return parse_condition(text, strings=True)


def _number(value: Any, said: str) -> float:
    if isinstance(value, bool | int | float):
        return float(value)
    raise MetricError(f"{said} {value!r}, not a number; compare it, e.g. `opinion == 'A'`")


def _aggregate(kind: str, numbers: list[float]) -> float:
    """sum of none is 0; mean, min and max of none are NaN (no value to report)."""
    if kind == "sum":
        return float(math.fsum(numbers))
    if not numbers:
        return math.nan
    if kind == "mean":
        return math.fsum(numbers) / len(numbers)
    return min(numbers) if kind == "min" else max(numbers)


def check_names(names: list[str], builtin: frozenset[str] | set[str]) -> list[tuple[str, str]]:
    """(name, problem) for names that are not identifiers, are `step`, or clash with a built-in."""
    problems = []
    for name in names:
        if not name.isidentifier() or name == "step":
            problems.append((name, "a metric name must be a plain identifier other than `step`"))
        elif name in builtin:
            problems.append((name, f"clashes with the built-in metric '{name}'; rename it"))
    return problems


def unknown_attribute(name: str, known: list[str], kind: str) -> str:
    """The located message for an expression naming an attribute the agents do not have."""
    if not known:
        return f"agents of scenario kind '{kind}' have no attributes to aggregate; use a hook"
    hint = did_you_mean(name, known)
    hint = hint if "did you mean" in hint else ""
    return f"unknown attribute '{name}'{hint}; known: {', '.join(known)}"
