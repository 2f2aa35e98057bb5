"""Which metrics a sweep compares, and the final values of a scenario's own (custom) metrics.

By default a sweep compares the kind's declared outcomes (`ScenarioKind.outcomes`) plus the
custom metrics the scenario file defines (its top-level `metrics:` mapping), not every number of
the summary: the rest counts what the model did, not what came out of it (zealots are never
asked, so `updates` falls with their share while nothing else changes). A metric with one value
in every finished run (`n`, `failed` on a clean sweep) has no effect to estimate; it is listed as
constant instead of compared. Names given explicitly (the sweep file's `metrics:` or an argument)
replace the default; the ones the sweep table lacks are listed, not dropped silently.

A custom metric's value for a run is the last row of its `model.parquet` column: the metric is
computed every step, and a sweep compares where the run ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simsocial.analysis.compare import METRIC_PREFIX, numeric_metrics
from simsocial.analysis.loader import Run, load_run
from simsocial.store import ENDED


@dataclass(frozen=True)
class Selection:
    """The metrics a sweep report compares, and why the others are not compared."""

    compared: list[str]
    source: str  # one line: where the list came from
    constant: dict[str, Any] = field(default_factory=dict)  # name -> its one value
    missing: list[str] = field(default_factory=list)  # named, but not numbers in the table


def custom_metric_names(run: Run) -> list[str]:
    """The names of the scenario's own metrics: the keys of its top-level `metrics:` mapping."""
    declared = run.spec.get("metrics") or {}
    if not isinstance(declared, dict):
        raise ValueError(f"{run.run_dir}: the spec's metrics is not a mapping: {declared!r}")
    return [str(name) for name in declared]


def final_custom_values(run_dir: str | Path) -> dict[str, Any]:
    """Per custom metric: its value in the last row of model.parquet (None when the run wrote
    no row or no such column, so the sweep table still has the column)."""
    return final_values(load_run(run_dir))


def final_values(run: Run) -> dict[str, Any]:
    """`final_custom_values` of a run already loaded (the report reads them too)."""
    names = custom_metric_names(run)
    if not names:
        return {}
    model = run.model
    last = model.iloc[-1] if not model.empty else pd.Series(dtype=object)
    return {name: _plain(last[name]) if name in last.index else None for name in names}


def sweep_kind(sweep_dir: Path, table: pd.DataFrame) -> tuple[str | None, list[str]]:
    """The kind of the sweep's runs and the custom metric names, from the first run directory
    that has a manifest (every run of a sweep shares its scenario's kind and metrics)."""
    for name in table["run"]:
        if (sweep_dir / str(name) / "manifest.json").exists():
            run = load_run(sweep_dir / str(name))
            return run.kind or None, custom_metric_names(run)
    return None, []


def default_outcomes(kind: str | None) -> tuple[str, ...]:
    """The kind's declared outcomes; () when the kind is unknown here or declares none."""
    from simsocial.scenarios import KINDS

    return KINDS[kind].outcomes if kind in KINDS else ()


def select_metrics(
    table: pd.DataFrame,
    explicit: Sequence[str] | None,
    kind: str | None,
    custom: Sequence[str] = (),
) -> Selection:
    """The metrics to compare: `explicit` if given, else the kind's outcomes plus `custom`
    (every numeric metric when the kind declares none); constant ones are set aside."""
    available = numeric_metrics(table)
    outcomes = default_outcomes(kind)
    if explicit:
        wanted, named = list(explicit), list(explicit)
        source = "the metrics named for this report"
    elif outcomes:
        wanted = [m for m in outcomes if m in available] + [c for c in custom if c not in outcomes]
        named = list(custom)
        own = " and the scenario's own metrics" if custom else ""
        source = f"the {kind} kind's outcomes{own}"
    else:
        wanted, named = [*available, *(c for c in custom if c not in available)], list(custom)
        source = f"every numeric metric (kind {kind or 'unknown'} declares no outcomes)"
    done = table[table["status"].isin(ENDED)]
    compared, constant = [], {}
    for metric in dict.fromkeys(wanted):
        if metric not in available:
            continue
        values = done[METRIC_PREFIX + metric].dropna()
        if values.nunique() <= 1:
            constant[metric] = _plain(values.iloc[0]) if len(values) else None
        else:
            compared.append(metric)
    missing = [m for m in dict.fromkeys(named) if m not in available]
    return Selection(compared=compared, source=source, constant=constant, missing=missing)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value, so rows and JSON stay plain."""
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value
