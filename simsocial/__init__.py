"""simsocial: agent-based social simulation with LLM-backed Mesa agents.

Public API (kept small): `load_scenario`, `run`, `resume`, `sweep`, and
`simsocial.analysis.load_run`.
Everything heavy is imported on first use, so `import simsocial` stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["load_scenario", "resume", "run", "sweep"]

if TYPE_CHECKING:
    from simsocial.runner import resume, run
    from simsocial.spec import load_scenario
    from simsocial.sweeps import sweep


def __getattr__(name: str) -> Any:
    if name == "load_scenario":
        from simsocial.spec import load_scenario

        return load_scenario
    if name == "sweep":
        from simsocial.sweeps import sweep

        return sweep
    if name in {"run", "resume"}:
        from simsocial import runner

        return getattr(runner, name)
    raise AttributeError(f"module 'simsocial' has no attribute {name!r}")
