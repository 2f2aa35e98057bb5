"""Comparing the arms of a sweep: per-arm means and effects against a baseline, with bootstrap CIs.

An *arm* is one combination of grid values and variant; its replicates share seeds with the
replicates of every other arm (common random numbers, see simsocial.sweeps). So the effect of an
arm against its baseline is estimated on *paired* differences, replicate r against replicate r,
which removes the seed-to-seed noise both arms share. Confidence intervals come from
`scipy.stats.bootstrap` over replicates (percentile method: BCa is unstable with the handful of
replicates sweeps usually have).

A bootstrap interval from a handful of pairs is too narrow (the resamples can only recombine the
few values there are), so an effect on fewer than `min_pairs` pairs (default `MIN_PAIRS`) carries
no significance flag (`significant` is None) and a `warning` saying so; the interval is still
shown, as a description of those pairs.

The baseline is named by the values of some parameters, e.g. `{"network.generator": "complete"}`
or `{"variant": "no_zealots"}`. Every arm is compared with the arm that has the baseline's values
for those parameters and its own values for all the others, so a baseline of "zero zealots" is
applied within each topology.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from simsocial.store import ENDED

PARAM_PREFIX = "param."
METRIC_PREFIX = "metric."
MIN_PAIRS = 5  # fewest paired replicates for which an effect gets a significance flag


def arm_columns(table: pd.DataFrame) -> list[str]:
    """The columns that identify an arm: the grid parameters, then the variant."""
    params = [c for c in table.columns if c.startswith(PARAM_PREFIX)]
    return [*params, "variant"] if table["variant"].nunique() > 1 or not params else params


def arm_label(row: Mapping[str, Any], columns: list[str]) -> str:
    return ", ".join(
        f"{c.removeprefix(PARAM_PREFIX)}={row[c]}" if c != "variant" else str(row[c])
        for c in columns
    )


def numeric_metrics(table: pd.DataFrame) -> list[str]:
    """Metric names (without the prefix) whose values are numbers or booleans."""
    names = []
    for column in table.columns:
        if column.startswith(METRIC_PREFIX):
            values = table[column].dropna()
            if len(values) and all(isinstance(v, int | float | bool | np.number) for v in values):
                names.append(column.removeprefix(METRIC_PREFIX))
    return names


def bootstrap_ci(
    values: np.ndarray, confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean; a single or constant sample has a zero-width CI."""
    from scipy.stats import bootstrap

    values = np.asarray(values, dtype=float)
    if len(values) < 2 or np.ptp(values) == 0:
        mean = float(values.mean()) if len(values) else float("nan")
        return mean, mean
    result = bootstrap(
        (values,),
        np.mean,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def arm_means(table: pd.DataFrame, metric: str, confidence: float = 0.95) -> pd.DataFrame:
    """Per arm: the mean of `metric` over finished replicates, with its bootstrap CI, and the
    replicate values themselves (`values`, in replicate order) so a mean is never read alone."""
    done = _finished(table, metric)
    columns = arm_columns(table)
    rows = []
    for _, group in done.groupby(columns, sort=False, dropna=False):
        group = group.sort_values("replicate")
        values = group[METRIC_PREFIX + metric].astype(float).to_numpy()
        low, high = bootstrap_ci(values, confidence)
        first = group.iloc[0]
        rows.append(
            {
                "arm": arm_label(first, columns),
                **{c: first[c] for c in columns},
                "metric": metric,
                "n": len(values),
                "mean": float(values.mean()),
                "ci_low": low,
                "ci_high": high,
                "replicates": [int(r) for r in group["replicate"]],
                "values": values.tolist(),
            }
        )
    return pd.DataFrame(rows)


def effects(
    table: pd.DataFrame,
    metric: str,
    baseline: Mapping[str, Any] | None = None,
    confidence: float = 0.95,
    min_pairs: int = MIN_PAIRS,
) -> pd.DataFrame:
    """Per arm: mean paired difference of `metric` from its baseline arm, with a bootstrap CI.

    `baseline` maps parameter names (with or without `param.`; `variant` for the variant) to the
    baseline's values; by default the first arm of the table is the baseline of every arm.
    `significant` is None with a `warning` when there are fewer than `min_pairs` pairs.
    """
    if min_pairs < 1:
        raise ValueError(f"min_pairs must be at least 1, not {min_pairs}")
    done = _finished(table, metric)
    columns = arm_columns(table)
    if done.empty:
        return pd.DataFrame()
    wanted = _baseline_values(done, columns, baseline)
    column = METRIC_PREFIX + metric
    by_arm = {
        key if isinstance(key, tuple) else (key,): group.set_index("replicate")[column]
        for key, group in done.groupby(columns, sort=False, dropna=False)
    }
    rows = []
    for key, values in by_arm.items():
        current = dict(zip(columns, key, strict=True))
        base_key = tuple(wanted.get(c, current[c]) for c in columns)
        base = by_arm.get(base_key)
        if base is None or base_key == key:
            continue
        paired = pd.concat([values, base], axis=1, keys=["arm", "base"]).dropna()
        diffs = (paired["arm"].astype(float) - paired["base"].astype(float)).to_numpy()
        if len(diffs) == 0:
            continue
        low, high = bootstrap_ci(diffs, confidence)
        enough = len(diffs) >= min_pairs
        rows.append(
            {
                "arm": arm_label(current, columns),
                "baseline": arm_label(dict(zip(columns, base_key, strict=True)), columns),
                **current,
                "metric": metric,
                "n_pairs": len(diffs),
                "effect": float(diffs.mean()),
                "ci_low": low,
                "ci_high": high,
                "significant": bool(low > 0 or high < 0) if enough else None,
                "warning": None if enough else too_few_pairs(len(diffs), min_pairs),
            }
        )
    return pd.DataFrame(rows)


def too_few_pairs(pairs: int, min_pairs: int) -> str:
    """The warning of an effect estimated on fewer pairs than a significance claim needs."""
    noun = "pair" if pairs == 1 else "pairs"
    return f"{pairs} {noun}: too few for a significance claim (at least {min_pairs})"


def _finished(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    column = METRIC_PREFIX + metric
    if column not in table.columns:
        raise KeyError(f"no metric {metric!r} in the sweep table")
    done = table[table["status"].isin(ENDED)]
    return done[done[column].notna()]


def _baseline_values(
    table: pd.DataFrame, columns: list[str], baseline: Mapping[str, Any] | None
) -> dict[str, Any]:
    if not baseline:
        first = table.iloc[0]
        return {c: first[c] for c in columns}
    wanted = {}
    for name, value in baseline.items():
        column = name if name in columns else PARAM_PREFIX + name
        if column not in columns:
            known = ", ".join(c.removeprefix(PARAM_PREFIX) for c in columns)
            raise ValueError(f"baseline names {name!r}, which the sweep does not vary ({known})")
        matches = [v for v in table[column].unique() if _same(v, value)]
        if not matches:
            raise ValueError(f"baseline {name}={value!r} is not a value the sweep ran")
        wanted[column] = matches[0]
    return wanted


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, int | float | np.number) and isinstance(b, int | float):
        return bool(np.isclose(float(a), float(b)))
    return str(a) == str(b)
