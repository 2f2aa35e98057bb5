"""Analysis of run directories: loaders to pandas/networkx, fits, figures and the HTML report.

`load_run`, `Run` and `RunDirError` are imported on first use, so `import simsocial.analysis`
does not pull in pandas or matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Run", "RunDirError", "load_run", "summary_json", "write_report"]

if TYPE_CHECKING:
    from simsocial.analysis.loader import Run, RunDirError, load_run
    from simsocial.analysis.report import summary_json, write_report

_HOMES = {
    "Run": "simsocial.analysis.loader",
    "RunDirError": "simsocial.analysis.loader",
    "load_run": "simsocial.analysis.loader",
    "summary_json": "simsocial.analysis.report",
    "write_report": "simsocial.analysis.report",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'simsocial.analysis' has no attribute {name!r}")
