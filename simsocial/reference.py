"""The scenario reference (docs/reference.md), generated from the code so it cannot drift.

Every key comes from the pydantic spec models (meaning = the field's description, default = the
field's default), the network generators from `simsocial.networks.PARAMETERS`, the intervention
kinds from their registered parameters models, agent attributes and condition metrics from each
kind's `vocabulary()`, and the metrics a sweep compares from each analysis module's `GLOSSARY`.
A test regenerates the file and fails on any difference, and fails when a field has no
description. Regenerate with:

    python -m simsocial.reference > docs/reference.md
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from simsocial.vocabulary import Population, shown

# Spec variants that change what a kind's agents and conditions can name (one vocabulary each),
# and what a kind's defaults need to validate (growth's default n needs more than 10 steps).
VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "growth": {"": {"steps": 1000}},
    "opinion": {
        "experiment: adoption": {"opinion": {"experiment": "adoption"}},
        "experiment: dynamics": {
            "opinion": {"experiment": "dynamics"},
            "network": {"generator": "complete", "n": 2},
        },
    },
    "survey": {"": {"survey": {"personas": {"synthetic_anes": {"n": 1}}}}},
}
# A population that shows the network traits every network offers (node) and an SBM's (block).
POPULATION = Population(nodes=[0, 1], blocks=2, persona_fields=frozenset())
NETWORK_TRAITS = {
    "node": "original node id in the network (edge-list ids are kept)",
    "block": "stochastic block (0..k-1); only with generator stochastic_block",
}


def field_rows(model: type[BaseModel], prefix: str = "") -> Iterator[tuple[str, str, str, str]]:
    """(key, type, default, meaning) of every field of `model`, nested models walked in place."""
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        yield key, type_name(info.annotation), default_of(info), description(model, name)
        for nested, suffix in nested_models(info.annotation):
            yield from field_rows(nested, f"{key}{suffix}.")


def description(model: type[BaseModel], name: str) -> str:
    """The field's description, else the same field's in a base class (a kind narrows `kind`),
    else the nested model's docstring; empty when none says anything."""
    for cls in model.__mro__:
        fields = getattr(cls, "model_fields", {})
        if name in fields and fields[name].description:
            return " ".join(fields[name].description.split())
    for nested, _ in nested_models(model.model_fields[name].annotation):
        if nested.__doc__:
            return " ".join(nested.__doc__.split())
    return ""


def nested_models(annotation: Any) -> Iterator[tuple[type[BaseModel], str]]:
    """Models inside an annotation, with the key suffix a user writes: `` / `[]` / `.<name>`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, ""
        return
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (list, tuple):
        for arg in args:
            for model, suffix in nested_models(arg):
                yield model, f"[]{suffix}"
    elif origin is dict and len(args) == 2:
        for model, suffix in nested_models(args[1]):
            yield model, f".<name>{suffix}"
    elif origin in (typing.Union, types.UnionType):
        for arg in args:
            yield from nested_models(arg)


def type_name(annotation: Any) -> str:
    """A short readable type: `int`, `"a" | "b"`, `list[float]`, `LLMConfig`, `int | None`."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " | ".join(json.dumps(a) for a in args)
    if origin is Annotated:
        return type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(type_name(a) for a in args)
    if annotation is type(None):
        return "None"
    if annotation is Ellipsis:
        return "..."
    if annotation is Any:
        return "any"
    if origin is not None:
        return f"{getattr(origin, '__name__', str(origin))}[{', '.join(map(type_name, args))}]"
    return annotation.__name__ if isinstance(annotation, type) else str(annotation)


def default_of(info: Any) -> str:
    """The default as a user would write it; `required` when there is none."""
    if info.default_factory is not None:
        value = info.default_factory()
        return "see keys below" if isinstance(value, BaseModel) else _json(value)
    if info.default is PydanticUndefined:
        return "required"
    return _json(info.default)


def _json(value: Any) -> str:
    text = json.dumps(value, default=str)
    return f"`{text}`" if len(text) <= 60 else f"`{text[:57]}...`"


def missing_descriptions() -> list[str]:
    """Every spec key, over every kind and intervention, that has no meaning to show."""
    missing = [f"{kind}: {key}" for kind, spec in specs() for key, *_, says in field_rows(spec)
               if not says]  # fmt: skip
    for name, params in intervention_models():
        missing += [f"do: {name}: {key}" for key, *_, says in field_rows(params) if not says]
    return missing


def specs() -> list[tuple[str, type[BaseModel]]]:
    from simsocial.scenarios import KINDS

    return [(name, kind.load("spec")) for name, kind in KINDS.items()]


def intervention_models() -> list[tuple[str, type[BaseModel]]]:
    from simsocial.interventions import KINDS

    return [(name, kind.params) for name, kind in KINDS.items()]


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _cell(text: str) -> str:
    """One Markdown table cell: a `|` inside (P(A|m), int | None) must not split the row."""
    return text.replace("\n", " ").replace("|", "\\|")


def key_table(rows: list[tuple[str, str, str, str]]) -> list[str]:
    shown_rows = [(f"`{key}`", kind, default, says) for key, kind, default, says in rows]
    return table(("key", "type", "default", "meaning"), shown_rows)


def render() -> str:
    """The whole reference as Markdown."""
    from simsocial.networks import PARAMETERS
    from simsocial.spec_models import ScenarioSpec

    common = set(ScenarioSpec.model_fields)
    out = [
        "# Scenario reference",
        "",
        "Generated from the spec models by `python -m simsocial.reference > docs/reference.md`;",
        "do not edit by hand (a test fails when this file and the code disagree).",
        "",
        "## Keys of every scenario",
        "",
        *key_table(list(field_rows(ScenarioSpec))),
        "## Network generators",
        "",
        "`network.generator` and the `network.params` each one takes.",
        "",
        *table(
            ("generator", "params"),
            [
                (f"`{name}`", "; ".join(f"`{k}`: {v}" for k, v in params.items()) or "none")
                for name, params in PARAMETERS.items()
            ],
        ),
        "## Interventions",
        "",
        "Keys beside `at`, `when`, `repeat` and `do` for each `do:` kind.",
        "",
    ]
    for name, params in intervention_models():
        doc = " ".join((params.__doc__ or "").split())
        out += [f"### do: {name}", "", *([doc, ""] if doc else [])]
        out += key_table(list(field_rows(params)))
    for name, spec in specs():
        out += kind_section(name, spec, common)
    return "\n".join(out).rstrip() + "\n"


def kind_section(name: str, spec: type[BaseModel], common: set[str]) -> list[str]:
    """A kind's own keys, its agents' attributes and the metrics conditions and sweeps read."""
    from simsocial.scenarios import KINDS

    kind = KINDS[name]
    own = [row for row in field_rows(spec) if re.split(r"[.\[]", row[0])[0] not in common]
    out = [f"## Kind: {name}", "", kind.summary, "", "### Keys", "", *key_table(own)]
    for variant, data in VARIANTS.get(name, {"": {}}).items():
        instance = spec.model_validate({"name": "reference", "kind": name, **data})
        vocabulary = instance.vocabulary(POPULATION)
        if vocabulary is None:
            continue
        head = f" ({variant})" if variant else ""
        traits = [
            (f"`{k}`", shown(v), NETWORK_TRAITS.get(k, "")) for k, v in vocabulary.traits.items()
        ]
        writable = ", ".join(f"`{k}`" for k in vocabulary.state) or "nothing"
        out += [f"### Agent attributes{head}", "",
                f"What `select: {{trait: ...}}` may read; `set_state` may write: {writable}.",
                ""]  # fmt: skip
        out += table(("attribute", "values", "note"), traits) if traits else ["none", ""]
        if name == "diffusion":
            out += ["Plus every field of the persona file.", ""]
        metrics = ", ".join(f"`{m}`" for m in sorted(vocabulary.metrics))
        out += [f"### Metrics in `when:` conditions{head}", "", metrics, "",
                "Plus the scenario's own `metrics:`.", ""]  # fmt: skip
    lines = getattr(kind.load("analysis"), "GLOSSARY", {})
    outcomes = set(getattr(kind, "outcomes", ()))
    out += ["### Metrics in reports and sweeps", "",
            "Summary metrics of a run; **bold**: compared by a sweep by default.", ""]  # fmt: skip
    rows = [(f"**`{k}`**" if k in outcomes else f"`{k}`", says) for k, says in lines.items()]
    return out + table(("metric", "meaning"), rows)


def main() -> None:
    print(render(), end="")


if __name__ == "__main__":
    main()
