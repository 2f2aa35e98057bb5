"""Drive one mind operation (rounds of asks) to its result in a test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from simsocial.rounds import Rounds, drive


def run(rounds: Rounds[Any], answer: Callable[[list[Any]], list[Any]] | None = None) -> Any:
    """Fake asks answer themselves (the default); pass a session's `gather` for real asks."""
    return drive(rounds, answer or list)
