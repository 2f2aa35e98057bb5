"""The one exception family a user sees as a one-line message instead of a traceback."""

from __future__ import annotations


class SimsocialError(Exception):
    """A mistake the user can fix (bad file, bad run directory, missing optional package)."""


class RunError(SimsocialError):
    """A run cannot start or continue (e.g. nothing to resume)."""


class InterventionError(SimsocialError):
    """An intervention that cannot be applied to this model (unknown ids, unsupported kind)."""
