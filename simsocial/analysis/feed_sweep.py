"""The feed sweep over rankers: per ranker, each outcome's mean over seeds with a bootstrap CI,
beside what Törnberg et al. (2023) reported for the rankers they ran.

Replicates are the seeds: replicate r of every ranker shares one seed (common random numbers),
so the spread over replicates is what a ranker's result is worth. The CIs are
`simsocial.analysis.compare.arm_means` (percentile bootstrap of the mean, `scipy.stats.bootstrap`
seeded with 0), the same intervals the sweep report shows per metric. The sweep report shows the
table when the sweep varies `feed.ranker` (`sweep_tables`, the report's hook for a kind).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from simsocial.analysis.compare import arm_means, numeric_metrics
from simsocial.analysis.feed_metrics import OUTCOMES
from simsocial.analysis.feed_paper import PAPER, SCALE_NOTE, reported

RANKER = "param.feed.ranker"
COLUMNS = ("outcome", "ranker", "arm", "n", "mean", "ci_low", "ci_high", "values", "paper", "note")


def ranker_table(
    sweep_dir: str | Path, outcomes: Sequence[str] = OUTCOMES, confidence: float = 0.95
) -> pd.DataFrame:
    """One row per outcome and arm (a ranker, with any other swept values): replicates n, mean,
    bootstrap CI, the replicate values, and the paper's value for that ranker (None where the
    paper ran no such ranker or reported no such outcome). Outcomes the sweep table lacks, or
    that no finished run has, are left out."""
    table = pd.read_parquet(Path(sweep_dir) / "sweep.parquet")
    if RANKER not in table.columns:
        raise ValueError(f"{sweep_dir}: the sweep does not vary feed.ranker")
    available = numeric_metrics(table)
    rows = []
    for outcome in outcomes:
        if outcome not in available:
            continue
        for arm in arm_means(table, outcome, confidence).to_dict("records"):
            paper = reported(str(arm[RANKER]), outcome)
            rows.append(
                {
                    "outcome": outcome,
                    "ranker": str(arm[RANKER]),
                    "arm": arm["arm"],
                    "n": arm["n"],
                    "mean": arm["mean"],
                    "ci_low": arm["ci_low"],
                    "ci_high": arm["ci_high"],
                    "values": arm["values"],
                    "paper": paper,
                    "note": SCALE_NOTE.get(outcome) if paper is not None else None,
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def sweep_tables(sweep_dir: str | Path) -> list[tuple[str, pd.DataFrame]]:
    """The per-ranker table for the sweep report, when the sweep varies feed.ranker over more
    than one value; replicate values joined into one cell."""
    table = pd.read_parquet(Path(sweep_dir) / "sweep.parquet")
    if RANKER not in table.columns or table[RANKER].nunique() < 2:
        return []
    ranked = ranker_table(sweep_dir)
    shown = ranked.assign(values=[", ".join(f"{v:.3g}" for v in vs) for vs in ranked["values"]])
    title = f"Per ranker: mean over seeds, 95% bootstrap CI, and {PAPER} for its feeds"
    return [(title, shown)]
