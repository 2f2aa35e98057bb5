"""Checkpoint state declared as fields: a class names the attributes its state is made of.

`STATE = ("informed", "aware", "mind")` is all a model or agent writes; `get_state` then returns
those attributes as plain data and `set_state` puts them back, so a new field cannot be
forgotten in one of two hand-written methods. A field holding an object with its own
`get_state`/`set_state` (a mind, a planner) is nested; a Counter comes back as a Counter. What a
checkpoint can hold is plain data (simsocial.checkpoint): dicts, lists, tuples, numbers, strings,
numpy arrays.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar


class Stateful:
    """Mixin: `get_state`/`set_state` over the attributes named in `STATE` (all classes' in the
    MRO, so a subclass adds its own to its base's)."""

    STATE: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def state_fields(cls) -> tuple[str, ...]:
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name in vars(klass).get("STATE", ()):
                if name not in names:
                    names.append(name)
        return tuple(names)

    def get_state(self) -> dict[str, Any]:
        return {name: _plain(getattr(self, name)) for name in self.state_fields()}

    def set_state(self, state: dict[str, Any]) -> None:
        for name in self.state_fields():
            setattr(self, name, _revive(getattr(self, name, None), state[name]))


def _plain(value: Any) -> Any:
    if hasattr(value, "get_state"):
        return value.get_state()
    if isinstance(value, Counter):
        return dict(value)
    return value


def _revive(current: Any, saved: Any) -> Any:
    """`saved` in the form the attribute had: nested state restored in place, Counters rebuilt."""
    if hasattr(current, "set_state"):
        current.set_state(saved)
        return current
    if isinstance(current, Counter):
        return Counter(saved)
    return saved
