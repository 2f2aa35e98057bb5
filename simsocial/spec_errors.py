"""Readable scenario errors: pydantic's validation errors turned into one plain line per problem.

A scientist editing YAML should read `scenarios/x.yaml:12: network.n: must be a positive integer,
got "ten"`, never a pydantic dump. The expected shape is described from the model's own
annotations, so a new scenario kind gets good messages without writing any.
"""

from __future__ import annotations

import difflib
import json
import types
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import BaseModel, ValidationError

from simsocial.errors import SimsocialError
from simsocial.spec_base import LocatedValueError

Loc = tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, with where it is."""

    file: str | None
    line: int | None
    path: str
    message: str
    override: bool = False

    def __str__(self) -> str:
        if self.override:
            return f"--set {self.path}: {self.message}"
        where = f"{self.file or '<scenario>'}" + (f":{self.line}" if self.line else "")
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(SimsocialError):
    """A scenario that cannot be used as written; `str()` is one line per problem."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def show_value(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it in YAML: strings in double quotes, true/false/null, short."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    else:
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except (ValueError, TypeError):  # cyclic (YAML anchors) or odd keys
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or the list of valid choices."""
    options = list(choices)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (expected one of: {', '.join(options)})" if options else ""


# --- what a field expects, in words ------------------------------------------------------

_NOUNS = {int: "integer", float: "number", str: "text", bool: "true/false value"}


def _unwrap(annotation: Any, meta: list[Any]) -> tuple[Any, list[Any]]:
    """Strip Annotated[...] (collecting its constraints) and `| None`."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation, *extra = get_args(annotation)
            meta = [*meta, *extra]
            continue
        if get_origin(annotation) in (Union, types.UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) == 1:
                annotation = members[0]
                continue
        return annotation, meta


def _bounds(meta: list[Any]) -> str:
    """' between 0 and 2', ' >= 0', ' > 0' from annotated_types constraints."""

    def num(x: Any) -> str:
        return f"{x:g}" if isinstance(x, float) else str(x)

    limits = {at.Gt: "gt", at.Ge: "ge", at.Lt: "lt", at.Le: "le"}
    found = {type(m).__name__: getattr(m, limits[type(m)]) for m in meta if type(m) in limits}
    if "Ge" in found and "Le" in found:
        return f" between {num(found['Ge'])} and {num(found['Le'])}"
    ops = {"Gt": ">", "Ge": ">=", "Lt": "<", "Le": "<="}
    return "".join(f" {op} {num(found[name])}" for name, op in ops.items() if name in found)


def describe(annotation: Any, meta: list[Any] | None = None) -> str | None:
    """'a positive integer', "one of 'a', 'b'", 'a list of numbers' ... or None for Any."""
    annotation, meta = _unwrap(annotation, list(meta or []))
    origin = get_origin(annotation)
    if origin is Literal:
        return "one of " + ", ".join(show_value(v).replace('"', "'") for v in get_args(annotation))
    if origin in (Union, types.UnionType):
        parts = [describe(a) for a in get_args(annotation) if a is not type(None)]
        return " or ".join(p for p in parts if p) or None
    if annotation is bool:
        return "true or false"
    if annotation in (int, float):
        noun = _NOUNS[annotation]
        if any(isinstance(m, at.Gt) and m.gt == 0 for m in meta) and len(meta) == 1:
            return f"a positive {noun}"
        return f"an {noun}{_bounds(meta)}" if noun == "integer" else f"a {noun}{_bounds(meta)}"
    if annotation is str:
        return "non-empty text" if any(isinstance(m, at.MinLen) for m in meta) else "text"
    if origin in (list, tuple, set, frozenset):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        item = _unwrap(args[0], [])[0] if args else None
        noun = _NOUNS.get(item)
        items = f"{noun}s" if noun else "items"
        if origin is tuple and Ellipsis not in get_args(annotation):
            return f"a list of {len(args)} {items}"
        return f"a list of {items}"
    if origin is dict or annotation is dict:
        return "a mapping"
    if _is_model(annotation):
        keys = list(annotation.model_fields)
        shown = ", ".join(keys[:6]) + (", ..." if len(keys) > 6 else "")
        return f"a mapping (keys: {shown})"
    return None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


@dataclass
class _Resolved:
    """Where a pydantic `loc` points: the user-facing path and the annotation found there."""

    path: Loc
    annotation: Any
    meta: list[Any]


def resolve(root: type[BaseModel], loc: Sequence[str | int]) -> _Resolved:
    """Follow `loc` through the model's annotations, dropping pydantic's union-member tags."""
    annotation: Any = root
    meta: list[Any] = []
    path: list[str] = []
    for seg in loc:
        annotation, meta = _unwrap(annotation, meta)
        origin = get_origin(annotation)
        if origin in (Union, types.UnionType):
            # a union-member tag: step into a model member, else describe the whole union
            member = next(
                (a for a in get_args(annotation) if _is_model(a) and a.__name__ == seg), None
            )
            if member is not None or isinstance(seg, str):
                annotation = member if member is not None else annotation
                continue
        path.append(str(seg))
        if _is_model(annotation):
            field = annotation.model_fields.get(str(seg))
            annotation, meta = (field.annotation, list(field.metadata)) if field else (Any, [])
        elif origin in (list, set, frozenset) or (
            origin is tuple and Ellipsis in get_args(annotation)
        ):
            annotation, meta = get_args(annotation)[0], []
        elif origin is tuple:
            args = get_args(annotation)
            annotation, meta = (
                (args[seg], []) if isinstance(seg, int) and seg < len(args) else (Any, [])
            )
        elif origin is dict:
            annotation, meta = get_args(annotation)[1], []
        else:
            annotation, meta = Any, []
    return _Resolved(tuple(path), annotation, meta)


# --- pydantic errors -> problems -------------------------------------------------------------


def translate(
    exc: ValidationError, root: type[BaseModel], place: Callable[[Loc, str], Problem]
) -> list[Problem]:
    """One Problem per pydantic error; `place(path, message)` adds file, line or `--set`."""
    problems: list[Problem] = []
    for error in exc.errors(include_url=False):
        loc, kind, given = error["loc"], error["type"], error.get("input")
        cause = (error.get("ctx") or {}).get("error")
        here = resolve(root, loc)
        if isinstance(cause, LocatedValueError):
            for where, message in cause.problems:
                problems.append(place(here.path + tuple(map(str, where)), message))
            continue
        if kind == "missing" and loc and isinstance(loc[-1], int):
            # a too-short tuple: blame the list, not the absent item
            here = resolve(root, loc[:-1])
            kind = "too_short"
        problems.append(place(here.path, _message(kind, error, given, here, root, loc)))
    return list(dict.fromkeys(problems))  # union members repeat the same message


def _message(
    kind: str, error: Any, given: Any, here: _Resolved, root: type[BaseModel], loc: Any
) -> str:
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        key = str(loc[-1])
        parent = _unwrap(resolve(root, loc[:-1]).annotation, [])[0]
        names = list(parent.model_fields) if _is_model(parent) else []
        return f"unknown key '{key}'{did_you_mean(key, names)}"
    if kind == "invalid_key":
        return f"keys must be text, got {show_value(given)}"
    if kind in ("value_error", "assertion_error"):
        text = str((error.get("ctx") or {}).get("error") or error["msg"])
        whole_block = isinstance(given, dict)  # a model validator: the message says it all
        return text if "got " in text or whole_block else f"{text}, got {show_value(given)}"
    expected = describe(here.annotation, here.meta)
    if expected is None:
        text = str(error["msg"]).replace("Input should be", "must be")
        return f"{text[:1].lower()}{text[1:]}, got {show_value(given)}"
    return f"must be {expected}, got {show_value(given)}"
