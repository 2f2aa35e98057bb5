"""Named prompt templates, versioned by hash.

Every prompt text the package sends lives in a `Template` with a name, so the run manifest can
record exactly which wording produced the data, and nothing builds prompts by concatenating
strings in scattered places. Templates use `str.format` fields. A run records the templates it
rendered (`record_usage`, per thread: runs of a threaded sweep do not see each other's), so its
manifest lists those and no other template the process happens to have registered.
"""

from __future__ import annotations

import hashlib
import string
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

_REGISTRY: dict[str, Template] = {}
_USED: ContextVar[set[str] | None] = ContextVar("simsocial_templates_used", default=None)


@dataclass(frozen=True, slots=True)
class Template:
    """A named prompt text with `{field}` placeholders; registering it makes its hash public."""

    name: str
    text: str
    fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(f for _, f, _, _ in string.Formatter().parse(self.text) if f)
        object.__setattr__(self, "fields", names)
        known = _REGISTRY.get(self.name)
        if known is not None and known.text != self.text:
            raise ValueError(f"prompt template {self.name!r} is already registered with other text")
        _REGISTRY[self.name] = self

    @property
    def sha(self) -> str:
        """Short content hash: changes whenever the wording changes."""
        return hashlib.sha256(self.text.encode()).hexdigest()[:12]

    def render(self, **values: Any) -> str:
        missing = [f for f in self.fields if f not in values]
        if missing:
            raise KeyError(f"prompt template {self.name!r} needs {missing}")
        used = _USED.get()
        if used is not None:
            used.add(self.name)
        return self.text.format(**values)


def all_templates() -> dict[str, str]:
    """{template name: sha} of every registered template, for the run manifest."""
    return {name: tpl.sha for name, tpl in sorted(_REGISTRY.items())}


def record_usage() -> set[str]:
    """From now on, names of the templates this thread renders go into the returned set."""
    used: set[str] = set()
    _USED.set(used)
    return used


def hashes(names: set[str]) -> dict[str, str]:
    """{template name: sha} of these registered templates, for the run manifest."""
    return {name: _REGISTRY[name].sha for name in sorted(names)}


def get_template(name: str) -> Template:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no prompt template named {name!r}; known: {sorted(_REGISTRY)}") from None


CHOOSE_OPTIONS = Template(
    "llm.choose_options",
    "{prompt}\n\nOptions:\n{options}\n\n"
    "Answer with the label of exactly one option between square brackets, for example [{example}].",
)
"""choose(relabel=True): the caller's prompt followed by the shuffled, relabelled options."""

CHOOSE_OPTION_LINE = Template("llm.choose_option_line", "{label}) {text}")

STRUCTURED_INSTRUCTION = Template(
    "llm.structured_instruction",
    "{prompt}\n\nReply with a single JSON object only, no other text. "
    "It must validate against this JSON Schema:\n{schema}",
)
"""structured(): the caller's prompt plus the schema, for models that do not enforce it."""

STRUCTURED_REPAIR = Template(
    "llm.structured_repair",
    "Your reply was not valid for the schema. The validator said:\n{error}\n\n"
    "Reply again with the corrected JSON object only.",
)
"""structured(): the one repair round, sent after the model's invalid reply."""
