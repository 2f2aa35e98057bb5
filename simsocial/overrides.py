"""`--set path=value` overrides: pure functions over the plain data of a scenario file.

Kept apart from simsocial.spec (which imports every scenario kind) so that interventions, sweeps
and branches can apply overrides without importing the loader.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from simsocial.spec_base import Loc
from simsocial.spec_errors import Problem, SpecError, show_value

Overrides = list[str] | Mapping[str, Any] | None


def apply_overrides(data: Mapping[str, Any], overrides: Overrides) -> dict[str, Any]:
    """A copy of `data` with `--set path=value` overrides (strings or a {path: value} dict)."""
    return set_all(dict(data), parse_overrides(overrides))


def parse_overrides(overrides: Overrides) -> dict[Loc, Any]:
    """`path=value` strings (value read as YAML) or a {path: value} dict -> {path tuple: value}."""
    if not overrides:
        return {}
    if isinstance(overrides, Mapping):
        items = [(str(k), v) for k, v in overrides.items()]
    else:
        items = []
        for text in overrides:
            key, sep, raw = str(text).partition("=")
            if not sep:
                raise SpecError([Problem(None, None, key.strip(), "expected PATH=VALUE", True)])
            try:
                value = yaml.safe_load(raw)
            except yaml.YAMLError as exc:
                problem = getattr(exc, "problem", None) or "invalid"
                message = f"value {show_value(raw)} is not valid YAML ({problem})"
                raise SpecError([Problem(None, None, key.strip(), message, True)]) from None
            items.append((key, value))
    parsed: dict[Loc, Any] = {}
    for key, value in items:
        parts = tuple(part.strip() for part in key.strip().split("."))
        if not all(parts):
            raise SpecError(
                [Problem(None, None, key.strip(), "must be a dotted key path like network.n", True)]
            )
        parsed[parts] = value
    return parsed


def set_all(data: dict[str, Any], changes: dict[Loc, Any]) -> dict[str, Any]:
    """A deep copy of `data` with each change applied, creating missing mappings on the way."""
    data = copy.deepcopy(data)
    for parts, value in changes.items():
        target: Any = data
        for i in range(len(parts)):
            key = _key(target, parts, i)
            if i == len(parts) - 1:
                target[key] = value
            else:
                if isinstance(target, dict) and target.get(key) is None:
                    target[key] = {}
                target = target[key]
    return data


def _key(target: Any, parts: Loc, i: int) -> str | int:
    """The key for `parts[i]` in `target`: a mapping key or an existing list index."""
    part = parts[i]
    if isinstance(target, dict):
        return part
    if isinstance(target, list) and part.isdigit() and int(part) < len(target):
        return int(part)
    where = ".".join(parts[:i])
    message = f"cannot set '{part}' inside {where}, which is {kind_of(target)}"
    raise SpecError([Problem(None, None, ".".join(parts), message, True)])


def kind_of(value: Any) -> str:
    """How a value is named in an error: "a list", "a mapping" or the value itself."""
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a mapping"
    return show_value(value)
