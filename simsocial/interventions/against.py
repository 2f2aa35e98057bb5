"""Interventions checked against the scenario's vocabulary, so `validate` fails where `run` would.

A selector naming a trait no agent has would select nobody; a `set_state` value outside the
scenario's labels would fail at the step it fires; a condition over a metric the model does not
report would never hold; a kind needing a hook the model lacks would stop the run. Each is a
located problem here, before any model is built (simsocial.vocabulary says what each kind has).
Custom metrics (simsocial.metrics) are checked the same way: the attributes their expressions
read must be agent traits, and their names must not hide a built-in metric.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from simsocial.interventions.conditions import parse_condition
from simsocial.interventions.registry import KINDS, parse_params
from simsocial.interventions.select import Selector
from simsocial.metrics import check_names, unknown_attribute
from simsocial.spec_errors import did_you_mean, show_value
from simsocial.vocabulary import Vocabulary, allows, shown

if TYPE_CHECKING:
    from simsocial.spec_models import ScenarioSpec

Where = tuple[str | int, ...]
# kinds whose `state:` mapping writes agent attributes
STATE_KINDS = ("set_state", "add_agents")


def check_interventions(
    spec: ScenarioSpec, vocabulary: Vocabulary | None
) -> list[tuple[Where, str]]:
    """Located problems of every intervention against the run's steps and, when the kind declares
    its vocabulary, against what its agents and model have."""
    problems: list[tuple[Where, str]] = []
    if vocabulary is not None:
        vocabulary = replace(vocabulary, metrics=vocabulary.metrics | set(spec.metrics))
    for i, item in enumerate(spec.interventions):
        at: Where = ("interventions", i)
        if item.at is not None and item.at >= spec.steps:
            message = (
                f"step {item.at} is never reached: the run's steps are 0..{spec.steps - 1} "
                f"(steps: {spec.steps})"
            )
            problems.append(((*at, "at"), message))
        if vocabulary is None:
            continue
        kind = KINDS[item.do]
        if kind.needs is not None and kind.needs not in vocabulary.hooks:
            note = f" ({vocabulary.note})" if vocabulary.note else ""
            message = f"scenario kind '{vocabulary.kind}' does not support '{item.do}'{note}"
            problems.append(((*at, "do"), message))
            continue
        if item.when is not None:
            problems.extend(_metrics(item.when, vocabulary, (*at, "when")))
        params = parse_params(item)
        for name in type(params).model_fields:
            value = getattr(params, name)
            if isinstance(value, Selector) and value.trait:
                problems.extend(_traits(value.trait, vocabulary, (*at, name, "trait")))
        state = getattr(params, "state", None)
        if item.do in STATE_KINDS and isinstance(state, dict):
            problems.extend(_state(state, vocabulary, (*at, "state")))
    return problems


def check_metrics(spec: ScenarioSpec, vocabulary: Vocabulary | None) -> list[tuple[Where, str]]:
    """Located problems of the custom metrics: a name that hides a built-in metric, an
    expression reading an attribute the kind's agents do not have."""
    if vocabulary is None:
        return []
    builtin = vocabulary.metrics - {"step"}
    problems: list[tuple[Where, str]] = [
        (("metrics", name), message) for name, message in check_names(list(spec.metrics), builtin)
    ]
    known = sorted({*vocabulary.traits, *vocabulary.state})
    values = {**vocabulary.state, **vocabulary.traits}
    for name, item in spec.metrics.items():
        for key, names in item.attributes().items():
            for attribute in sorted(names - set(known)):
                message = unknown_attribute(attribute, known, vocabulary.kind)
                problems.append((("metrics", name, key), message))
        for key, text in item.expressions().items():
            for attribute, literal in compared_literals(text):
                allowed = values.get(attribute)
                if attribute in values and not allows(allowed, literal):
                    message = (
                        f"`{text}` never holds: {attribute} is {shown(allowed)} for every "
                        f"agent, never {show_value(literal)}"
                    )
                    problems.append((("metrics", name, key), message))
    return problems


def compared_literals(text: str) -> list[tuple[str, Any]]:
    """(attribute, literal) pairs an agent expression tests for equality (`opinion == 'C'`):
    a literal outside the attribute's values makes a metric silently 0 or empty."""
    pairs = []
    for node in ast.walk(parse_condition(text, strings=True).tree):
        if not isinstance(node, ast.Compare):
            continue
        operands = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, operands[:-1], operands[1:], strict=True):
            if not isinstance(op, ast.Eq | ast.NotEq):
                continue
            for named, literal in ((left, right), (right, left)):
                if isinstance(named, ast.Name) and isinstance(literal, ast.Constant):
                    pairs.append((named.id, literal.value))
    return pairs


def _metrics(text: str, vocabulary: Vocabulary, at: Where) -> list[tuple[Where, str]]:
    names = sorted(vocabulary.metrics)
    unknown = sorted(parse_condition(text).names - vocabulary.metrics)
    if not unknown:
        return []
    hint = did_you_mean(unknown[0], names)
    hint = hint if "did you mean" in hint else ""
    return [(at, f"unknown metric '{unknown[0]}'{hint}; metrics: {', '.join(names)}")]


def _traits(trait: dict[str, Any], vocabulary: Vocabulary, at: Where) -> list[tuple[Where, str]]:
    problems: list[tuple[Where, str]] = []
    known = vocabulary.traits
    for key, wanted in trait.items():
        if key not in known:
            problems.append(((*at, key), _unknown("trait", key, known, vocabulary.kind)))
            continue
        values = wanted if isinstance(wanted, list) else [wanted]
        bad = [v for v in values if not allows(known[key], v)]
        if bad:
            message = (
                f"selects nobody: {key} is {shown(known[key])} for every agent, got "
                f"{show_value(bad[0])}"
            )
            problems.append(((*at, key), message))
    return problems


def _state(state: dict[str, Any], vocabulary: Vocabulary, at: Where) -> list[tuple[Where, str]]:
    problems: list[tuple[Where, str]] = []
    settable = vocabulary.state
    for key, value in state.items():
        if key not in settable:
            problems.append(((*at, key), _unknown("state", key, settable, vocabulary.kind)))
        elif not allows(settable[key], value):
            message = f"must be {shown(settable[key])}, got {show_value(value)}"
            problems.append(((*at, key), message))
    return problems


def _unknown(what: str, key: str, known: dict[str, Any], kind: str) -> str:
    if not known:
        noun = "traits a selector can read" if what == "trait" else "state an intervention can set"
        return f"agents of scenario kind '{kind}' have no {noun}, so '{key}' cannot be used"
    noun = "trait" if what == "trait" else "settable attribute"
    hint = did_you_mean(key, sorted(known))
    hint = hint if "did you mean" in hint else ""
    return f"agents have no {noun} '{key}'{hint}; known: {', '.join(sorted(known))}"
