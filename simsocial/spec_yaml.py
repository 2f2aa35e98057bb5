"""YAML in, with the line of every key and bounds on what a small file may cost.

`parse` gives what `yaml.safe_load` gives plus the line of every key path, so any later problem can
be located. Before anything is built, one pass over the parser's events refuses the two ways a
short file can take minutes and gigabytes: aliases that expand (a 1 KB "billion laughs" document of
nested anchors names 9^8 values, and every walk over it pays for each) and nesting too deep for a
recursive walk. Both are located errors, found in time linear in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from simsocial.spec_errors import Problem, SpecError
from simsocial.userfiles import UserFileError, display, read_text

Loc = tuple[str, ...]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: same results, 10x faster

# Values that aliases may repeat in one document, summed over every alias. A scenario reuses a
# block or two; past this it is an alias bomb, and validating it would walk every repeat.
MAX_ALIAS_VALUES = 100_000
# Mappings and lists inside each other; a scenario uses about 6, and each level costs a frame of
# every recursive walk (constructor, line index, validation).
MAX_DEPTH = 100


def read(path: Path, what: str = "a scenario file") -> tuple[str, str]:
    """(path as shown to the user, text); every unreadable case is a located SpecError."""
    shown = display(path)
    try:
        return shown, read_text(path, what)
    except UserFileError as exc:
        raise SpecError([Problem(shown, exc.line, "", exc.detail)]) from None


def parse(text: str, shown: str) -> tuple[Any, dict[Loc, int], list[Problem]]:
    """Data as yaml.safe_load gives it, the line of every key path, and duplicate-key problems."""
    loader: Any = None
    try:
        _check_bounds(text, shown)
        loader = _Loader(text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise SpecError([Problem(shown, line, "", _yaml_message(exc, text))]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        message = f"character #x{exc.character:04x} is not allowed in YAML"
        raise SpecError([Problem(shown, line, "", message)]) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(shown, None, "", f"YAML error: {exc}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    lines: dict[Loc, int] = {}
    problems: list[Problem] = []
    if node is not None:
        _index(node, lines, problems, shown)
    return data, lines, problems


def _check_bounds(text: str, shown: str) -> None:
    """One pass over the events: the values aliases repeat, the depth, and recursive aliases."""
    sizes: dict[str, int] = {}  # anchor -> values it holds, once its node has closed
    stack: list[list[Any]] = [[None, 0]]  # open collections: [anchor, values inside so far]
    repeated = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.CollectionStartEvent):
            stack.append([event.anchor, 0])
            if len(stack) - 1 > MAX_DEPTH:
                message = f"nested more than {MAX_DEPTH} levels deep; flatten the document"
                raise SpecError([Problem(shown, line, "", message)])
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, inside = stack.pop()
            if anchor is not None:
                sizes[anchor] = inside + 1
            stack[-1][1] += inside + 1
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                sizes[event.anchor] = 1
            stack[-1][1] += 1
        elif isinstance(event, yaml.AliasEvent):
            if any(anchor == event.anchor for anchor, _ in stack):
                message = f"alias *{event.anchor} is inside its own anchor (a recursive structure)"
                raise SpecError([Problem(shown, line, "", message)])
            size = sizes.get(event.anchor, 1)  # an undefined alias: the composer reports it
            repeated += size
            stack[-1][1] += size
            if repeated > MAX_ALIAS_VALUES:
                message = (
                    f"aliases (*{event.anchor} and the ones before it) repeat more than "
                    f"{MAX_ALIAS_VALUES:,} values; a scenario may not expand that much "
                    "(an alias bomb?)"
                )
                raise SpecError([Problem(shown, line, "", message)])


def _yaml_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    problem = exc.problem or "invalid YAML"
    mark = exc.problem_mark
    if (
        "tab" in problem
        or "'\\t'" in problem
        or (mark and text[mark.index : mark.index + 1] == "\t")
    ):
        return "YAML syntax error: a tab character; YAML indents with spaces only"
    if exc.context and not exc.context.startswith("while"):
        return f"YAML syntax error: {exc.context}, {problem}"
    context = f" ({exc.context})" if exc.context else ""
    return f"YAML syntax error: {problem}{context}"


def _index(root: yaml.Node, lines: dict[Loc, int], problems: list[Problem], shown: str) -> None:
    """Record the line of every key path below `root`; flag duplicate keys (safe_load hides)."""
    todo: list[tuple[Loc, yaml.Node]] = [((), root)]
    while todo:
        at, node = todo.pop()
        lines.setdefault(at, node.start_mark.line + 1)
        children: list[tuple[Loc, yaml.Node]] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
                    continue
                here, line = (*at, key.value), key.start_mark.line + 1
                if here in lines:
                    message = f"duplicate key '{key.value}' (first at line {lines[here]})"
                    problems.append(Problem(shown, line, ".".join(here), message))
                lines[here] = line
                children.append((here, value))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*at, str(i))] = item.start_mark.line + 1
                children.append(((*at, str(i)), item))
        todo.extend(
            (here, child)
            for here, child in reversed(children)
            if isinstance(child, yaml.MappingNode | yaml.SequenceNode)
        )
