"""When interventions fire: `at` a step or `when` a condition holds, checked before each step.

The runner owns the schedule (the model only offers hooks: simsocial.hooks). It calls
`schedule.apply_due(model)` after setting `model.step_index` and before `model.step()`, so an
intervention `at: t` changes what the agents of step t see, and a `when:` condition reads the
metrics as they stood after step t - 1 (at step 0: the starting state), custom ones included.
What fired is part of the checkpoint: on resume the fresh model replays those applications from
their logged payloads (same ids, same links) before its saved state is restored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simsocial.errors import InterventionError
from simsocial.hooks import supports
from simsocial.interventions.conditions import Condition, ConditionFailed, parse_condition
from simsocial.interventions.registry import KINDS, Act, InterventionKind, parse_params
from simsocial.spec_errors import did_you_mean

if TYPE_CHECKING:
    from simsocial.metrics import CustomMetrics
    from simsocial.model import SimModel
    from simsocial.spec_models import InterventionSpec


@dataclass
class _Entry:
    index: int
    spec: InterventionSpec
    kind: InterventionKind
    params: Any
    condition: Condition | None


class Schedule:
    """The scenario's interventions and which of them have fired."""

    def __init__(self, items: list[InterventionSpec], custom: CustomMetrics | None = None):
        self.custom = custom  # the scenario's `metrics:`, which conditions read by name
        self.entries = [
            _Entry(
                i,
                item,
                KINDS[item.do],
                parse_params(item),
                parse_condition(item.when) if item.when is not None else None,
            )
            for i, item in enumerate(items)
        ]
        self.fired: list[dict[str, Any]] = []
        self.last_step: int | None = None  # the last step whose interventions were checked
        self._checked = False

    def check(self, model: SimModel) -> None:
        """Kinds the model supports and metrics it has: a one-line error before any step."""
        names = set(metrics(model, self.custom))
        for entry in self.entries:
            where = f"interventions.{entry.index}"
            hook = entry.kind.needs
            if hook is not None and not supports(model, hook):
                raise InterventionError(
                    f"{where}.do: scenario kind '{model.spec.kind}' does not support "
                    f"'{entry.kind.name}'"
                )
            unknown = sorted(entry.condition.names - names) if entry.condition else []
            if unknown:
                hint = did_you_mean(unknown[0], sorted(names))
                raise InterventionError(
                    f"{where}.when: unknown metric '{unknown[0]}'{hint}; metrics: "
                    f"{', '.join(sorted(names))}"
                )
        self._checked = True

    def apply_due(self, model: SimModel) -> list[dict[str, Any]]:
        """Apply every intervention due at `model.step_index`; log and return their payloads."""
        if not self.entries:
            return []
        if not self._checked:
            self.check(model)
        step = model.step_index
        self.last_step = step
        fired_once = {f["index"] for f in self.fired}
        values: dict[str, Any] | None = None
        applied = []
        for entry in self.entries:
            if entry.condition is None:
                due = entry.spec.at == step and entry.index not in fired_once
            else:
                if entry.index in fired_once and not entry.spec.repeat:
                    continue
                values = values if values is not None else metrics(model, self.custom)
                try:
                    due = entry.condition.holds(values)
                except ConditionFailed as exc:
                    raise InterventionError(
                        f"interventions.{entry.index}.when: `{entry.condition.text}` cannot be "
                        f"evaluated at step {step}: {exc}"
                    ) from None
            if not due:
                continue
            try:
                payload = entry.kind.apply(Act(model, entry.params, entry.index))
            except InterventionError as exc:
                where = f"interventions.{entry.index} ({entry.kind.name}, step {step})"
                raise InterventionError(f"{where}: {exc}") from None
            record = {"index": entry.index, "do": entry.kind.name, "step": step, **payload}
            self.fired.append(record)
            model.log("intervention", record)
            applied.append(record)
        return applied

    def unfired(self, steps_done: int | None = None) -> list[str]:
        """One line per intervention that never fired, saying why, for the manifest and summary
        (an intervention at a step the run never reached is otherwise silent). `steps_done` is
        how many steps the run took; without it, the last step this schedule checked is named."""
        fired = {f["index"] for f in self.fired}
        if steps_done is not None:
            reached = f"the run ended after {steps_done} step{'s' if steps_done != 1 else ''}"
        elif self.last_step is None:
            reached = "no step was checked"
        else:
            reached = f"the last step checked was {self.last_step}"
        lines = []
        for entry in self.entries:
            if entry.index in fired:
                continue
            head = f"interventions.{entry.index} ({entry.kind.name}"
            if entry.condition is None:
                lines.append(f"{head} at step {entry.spec.at}): never fired; {reached}")
            else:
                lines.append(
                    f"{head} when `{entry.condition.text}`): the condition never held; {reached}"
                )
        return lines

    def get_state(self) -> list[dict[str, Any]]:
        return [dict(f) for f in self.fired]

    def replay(self, model: SimModel, fired: list[dict[str, Any]]) -> None:
        """Re-apply what fired before a checkpoint, from the logged payloads, without logging."""
        for record in fired:
            entry = self.entries[record["index"]]
            entry.kind.apply(Act(model, entry.params, entry.index, replay=record))
        self.fired = [dict(f) for f in fired]


def metrics(model: SimModel, custom: CustomMetrics | None = None) -> dict[str, Any]:
    """What conditions can read: model reporters, summary values, custom metrics, and `step`
    (the step about to run; the values are those after the step before it)."""
    model_reporters, _ = model.reporters()
    values: dict[str, Any] = {}
    for name, reporter in model_reporters.items():
        value = getattr(model, reporter) if isinstance(reporter, str) else reporter(model)
        values[name] = value
    values.update(model.summary())
    if custom is not None:
        values.update(custom.values(model, model.step_index - 1))
    values["step"] = model.step_index
    return {k: v for k, v in values.items() if isinstance(v, int | float | bool) or v is None}
