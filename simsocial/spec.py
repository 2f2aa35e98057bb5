"""Scenario files in, validated specs out: YAML loading with located errors, overrides, schema.

Every problem names the file, the line and the dotted key path (`x.yaml:12: network.n: must be a
positive integer, got "ten"`), and all problems of a file are reported at once. Only pydantic and
PyYAML are imported here, so `simsocial validate` answers at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from simsocial.overrides import Overrides, apply_overrides, kind_of, parse_overrides, set_all
from simsocial.scenarios import KINDS
from simsocial.spec_content import check_content
from simsocial.spec_errors import Problem, SpecError, did_you_mean, show_value, translate
from simsocial.spec_models import ScenarioSpec
from simsocial.spec_yaml import parse as _parse_yaml
from simsocial.spec_yaml import read as _read
from simsocial.userfiles import absolute
from simsocial.userfiles import problem as file_problem

__all__ = [
    "Problem",
    "SpecError",
    "apply_overrides",
    "dump_spec",
    "json_schema",
    "load_file",
    "load_scenario",
    "parse_scenario",
    "show_value",
    "spec_for_kind",
]

Loc = tuple[str, ...]
M = TypeVar("M", bound=BaseModel)


def load_scenario(path: str | Path, overrides: Overrides = None) -> ScenarioSpec:
    """Read, override, validate a scenario file; relative paths in it resolve next to it."""
    path = Path(path)
    shown, text = _read(path)
    data, lines, problems = _parse_yaml(text, shown)
    if not isinstance(data, dict):
        if data is None:
            message = "the file is empty; a scenario needs at least `name:` and `kind:`"
        else:
            message = f"a scenario must be a mapping (name: ..., kind: ...), got {kind_of(data)}"
        raise SpecError([Problem(shown, lines.get(()), "", message)])
    changed = parse_overrides(overrides)
    data = set_all(data, changed)
    return _validate(data, shown, lines, set(changed), path.parent, problems)


def parse_scenario(
    data: Mapping[str, Any], *, source: str = "<dict>", base_dir: str | Path | None = None
) -> ScenarioSpec:
    """Validate a scenario given as a dict (Python API, sweeps); errors name `source`."""
    if not isinstance(data, Mapping):
        raise SpecError(
            [Problem(source, None, "", f"a scenario must be a mapping, got {kind_of(data)}")]
        )
    return _validate(dict(data), source, {}, set(), Path(base_dir or "."), [])


def load_file(path: str | Path, cls: type[M]) -> M:
    """Any YAML file validated against a pydantic model (e.g. a sweep file), located errors."""
    path = Path(path)
    shown, text = _read(path, "a YAML file")
    data, lines, problems = _parse_yaml(text, shown)
    if not isinstance(data, dict):
        raise SpecError(
            [Problem(shown, lines.get(()), "", f"must be a mapping, got {kind_of(data)}")]
        )

    def place(at: Loc, message: str) -> Problem:
        return Problem(shown, _line(lines, at), ".".join(at), message)

    try:
        model = cls.model_validate(data)
    except ValidationError as exc:
        problems.extend(translate(exc, cls, place))
    if problems:
        raise SpecError(sorted(problems, key=lambda p: p.line or 0))
    return model


def spec_for_kind(kind: str) -> type[ScenarioSpec]:
    """The ScenarioSpec subclass registered for `kind`."""
    if kind not in KINDS:
        raise SpecError([Problem(None, None, "kind", _unknown_kind(kind))])
    return KINDS[kind].load("spec")


def dump_spec(spec: ScenarioSpec) -> str:
    """The resolved spec as YAML; loading it gives the same spec back."""
    data = spec.model_dump(mode="json")
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files: one alternative per registered kind, chosen by `kind`."""
    from pydantic.json_schema import models_json_schema

    specs = {name: spec_for_kind(name) for name in KINDS}
    refs, schema = models_json_schema(
        [(cls, "validation") for cls in specs.values()], ref_template="#/$defs/{model}"
    )
    defs = schema.get("$defs", {})
    mapping = {}
    for name, cls in specs.items():
        ref = refs[(cls, "validation")]["$ref"]
        mapping[name] = ref
        entry = defs[ref.rsplit("/", 1)[-1]]
        entry["required"] = sorted({*entry.get("required", []), "kind"})
        entry["properties"]["kind"] = {"const": name, "description": KINDS[name].summary}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "simsocial scenario",
        "description": "A simsocial scenario file; `kind` picks the scenario model.",
        "type": "object",
        "oneOf": [{"$ref": ref} for ref in mapping.values()],
        "discriminator": {"propertyName": "kind", "mapping": mapping},
        "$defs": defs,
    }


# --- validation ------------------------------------------------------------------------------


def _validate(
    data: dict[str, Any],
    shown: str,
    lines: dict[Loc, int],
    changed: set[Loc],
    base_dir: Path,
    problems: list[Problem],
) -> ScenarioSpec:
    def place(path: Loc, message: str) -> Problem:
        created = path not in lines and any(c[: len(path)] == path for c in changed)
        if created or any(path[: len(c)] == c for c in changed):
            return Problem(None, None, ".".join(path), message, True)
        return Problem(shown, _line(lines, path), ".".join(path), message)

    kind = data.get("kind")
    cls: type[ScenarioSpec] = ScenarioSpec
    if "kind" not in data:
        problems.append(place(("kind",), f"is required (one of {_kinds()})"))
    elif not isinstance(kind, str) or kind not in KINDS:
        problems.append(place(("kind",), _unknown_kind(kind)))
    else:
        cls = spec_for_kind(kind)
    spec: ScenarioSpec | None = None
    try:
        spec = cls.model_validate(data)
    except ValidationError as exc:
        found = translate(exc, cls, place)
        if cls is ScenarioSpec:  # the kind is unknown, so its own blocks cannot be judged
            found = [p for p in found if p.path != "kind" and "unknown key" not in p.message]
        problems.extend(found)
    else:
        problems.extend(_resolve_paths(spec, (), base_dir, place))
        if not problems:
            problems.extend(place(tuple(map(str, w)), m) for w, m in check_content(spec))
    if problems or spec is None:
        raise SpecError(sorted(problems, key=lambda p: (p.override, p.line or 0)))
    return spec


def _line(lines: dict[Loc, int], path: Loc) -> int | None:
    """The line of `path`, or of its nearest written parent (a missing key: its block)."""
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _kinds() -> str:
    return ", ".join(f"'{k}'" for k in KINDS)


def _unknown_kind(kind: Any) -> str:
    hint = did_you_mean(kind, KINDS) if isinstance(kind, str) else ""
    hint = hint if "did you mean" in hint else ""
    return f"unknown kind {show_value(kind)}{hint}; known kinds: {_kinds()}"


def _resolve_paths(model: BaseModel, at: Loc, base: Path, place: Any) -> list[Problem]:
    """Make fields marked RELATIVE_PATH absolute against `base`; report paths that cannot be
    read as files (missing, a directory, a device, a symlink loop, unreadable, too large)."""
    problems: list[Problem] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        extra = field.json_schema_extra
        if isinstance(value, BaseModel):
            problems.extend(_resolve_paths(value, (*at, name), base, place))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    problems.extend(_resolve_paths(item, (*at, name, str(i)), base, place))
        elif (
            isinstance(value, str | Path)
            and isinstance(extra, dict)
            and extra.get("x-relative-path")
        ):
            resolved = absolute(base, str(value))
            setattr(model, name, resolved if isinstance(value, Path) else str(resolved))
            reason = file_problem(resolved, "a file")
            if reason is not None:
                problems.append(place((*at, name), f"{reason}: {show_value(value)} ({resolved})"))
    return problems


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Multi-line strings (prompt templates) as `|` blocks, lists of scalars on one line (on
    libyaml's emitter where PyYAML has it: 5x faster, and every run writes its spec)."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    flat = all(not isinstance(item, list | dict) for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)
