"""The registry of intervention kinds, selectors, and the load-time checks of a spec's list.

Only pydantic is imported here: `simsocial validate` checks interventions without mesa. A kind is
a parameters model (the keys it accepts beside at/when/repeat/do) and an apply function:

    class PauseParams(StrictModel):
        steps: PositiveInt

    @intervention("pause", PauseParams)
    def pause(act: Act) -> dict[str, Any]:
        act.model.paused = act.params.steps
        return {"steps": act.params.steps}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from simsocial.interventions.conditions import ConditionError, parse_condition
from simsocial.interventions.select import Selector, select

if TYPE_CHECKING:
    from simsocial.model import SimModel
    from simsocial.spec_models import InterventionSpec, ScenarioSpec

Where = tuple[str | int, ...]


@dataclass
class Act:
    """One application of a kind: the model, its parameters, and the recorded payload on replay.

    On resume, fired interventions are re-applied to the fresh model with `replay` set to the
    payload they returned, so a kind must take its random choices from there when replaying.
    """

    model: SimModel
    params: Any
    index: int
    replay: dict[str, Any] | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    def select(self, selector: Selector | None = None) -> list[int]:
        """Ids chosen by the selector now, or the ids recorded when this application first ran."""
        if self.replay is not None:
            return list(self.replay["ids"])
        return select(self.model, selector or Selector())


@dataclass(frozen=True)
class InterventionKind:
    """A registered kind: its parameters model, apply function and the model hook it needs."""

    name: str
    params: type[BaseModel]
    apply: Callable[[Act], dict[str, Any]]
    needs: str | None = None
    summary: str = ""


KINDS: dict[str, InterventionKind] = {}

# changing these mid-run would not take effect, or would change what the run is
FROZEN_PATHS = ("name", "kind", "seed", "steps", "network", "outputs", "interventions")


def intervention(
    name: str, params: type[BaseModel], *, needs: str | None = None
) -> Callable[[Callable[[Act], dict[str, Any]]], Callable[[Act], dict[str, Any]]]:
    """Register `apply` as intervention kind `name`; `needs` names a SimModel hook it calls."""

    def register(apply: Callable[[Act], dict[str, Any]]) -> Callable[[Act], dict[str, Any]]:
        summary = (apply.__doc__ or "").strip().splitlines()[0] if apply.__doc__ else ""
        KINDS[name] = InterventionKind(name, params, apply, needs, summary)
        return apply

    return register


def parse_params(spec: InterventionSpec) -> BaseModel:
    """The kind's parameters from the spec's extra keys (already checked at load time)."""
    return KINDS[spec.do].params.model_validate(spec.model_extra or {})


def check_intervention(spec: InterventionSpec) -> list[tuple[Where, str]]:
    """Problems of one list entry, each with the key it concerns."""
    from simsocial.spec_errors import Problem, did_you_mean, translate

    problems: list[tuple[Where, str]] = []
    if (spec.at is None) == (spec.when is None):
        problems.append(((), "needs exactly one of `at: STEP` or `when: CONDITION`"))
    if spec.repeat and spec.when is None:
        problems.append((("repeat",), "only applies with `when:`"))
    if spec.when is not None:
        try:
            parse_condition(spec.when)
        except ConditionError as exc:
            problems.append((("when",), str(exc)))
    kind = KINDS.get(spec.do)
    if kind is None:
        hint = did_you_mean(spec.do, KINDS)
        problems.append((("do",), f"unknown intervention kind '{spec.do}'{hint}"))
        return problems
    try:
        kind.params.model_validate(spec.model_extra or {})
    except ValidationError as exc:

        def place(path: tuple[str, ...], message: str) -> Problem:
            return Problem(None, None, ".".join(path), message)

        for problem in translate(exc, kind.params, place):
            where = tuple(problem.path.split(".")) if problem.path else ()
            message = problem.message
            if "unknown key" in message:
                message = f"{message} for `do: {spec.do}`"
            problems.append((where, message))
    return problems


def check_against_spec(spec: ScenarioSpec) -> list[tuple[Where, str]]:
    """`set_param` entries must name a changeable path whose new value validates."""
    from simsocial.overrides import apply_overrides
    from simsocial.spec_errors import Problem, SpecError, translate

    problems: list[tuple[Where, str]] = []
    base = spec.model_dump(mode="json", exclude={"interventions"})
    for i, item in enumerate(spec.interventions):
        if item.do != "set_param":
            continue
        params = parse_params(item)
        path: str = params.path  # type: ignore[attr-defined]
        where: Where = ("interventions", i)
        if path.split(".")[0] in FROZEN_PATHS:
            message = f"'{path}' cannot change mid-run (fixed: {', '.join(FROZEN_PATHS)})"
            problems.append(((*where, "path"), message))
            continue
        fixed = _population_key(path, type(spec).POPULATION_KEYS)
        if fixed is not None:
            message = (
                f"'{fixed}' fixes the population and cannot change mid-run; use add_agents, "
                "remove_agents or remove_edges"
            )
            problems.append(((*where, "path"), message))
            continue
        try:
            type(spec).model_validate(apply_overrides(base, {path: params.value}))  # type: ignore[attr-defined]
        except (ValidationError, SpecError) as exc:

            def place(at: tuple[str, ...], message: str) -> Problem:
                return Problem(None, None, ".".join(at), message)

            found = (
                translate(exc, type(spec), place)
                if isinstance(exc, ValidationError)
                else exc.problems
            )
            for problem in found:
                problems.append(((*where, "value"), f"{problem.path}: {problem.message}"))
    return problems


def _population_key(path: str, keys: tuple[str, ...]) -> str | None:
    """The population key that `path` sets or lies inside (e.g. growth.n for growth), or None."""
    for key in keys:
        if path == key or path.startswith(key + ".") or key.startswith(path + "."):
            return key
    return None
