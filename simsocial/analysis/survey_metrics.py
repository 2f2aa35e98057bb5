"""How well answers match the personas' own, each with a percentile bootstrap CI.

The statistics of one group come from its confusion table of (true option, answer) pairs. The
bootstrap (`scipy.stats.bootstrap`, seeded) resamples respondents, so each pair stays together,
and builds all resampled tables at once (one `bincount`):

- accuracy: the diagonal over n.
- Cohen's kappa: (p_o - p_e) / (1 - p_e) with p_e = sum_i rows_i cols_i / n^2. By hand because
  scikit-learn is not a dependency (only the optional feed extra pulls it in) and statsmodels'
  `cohens_kappa` takes one table at a time; here it is three array operations on every resampled
  table together (the tests check it against scikit-learn where installed).
- Cramér's V: `scipy.stats.contingency.association` on the observed table (empty rows and
  columns dropped); its resampled values by the same chi-square formula over all tables at once.
- total variation distance: half the L1 distance between the answers' distribution and the true
  answers' distribution of the same respondents.
- Spearman (ordinal items, pairs with both answers on the scale): `scipy.stats.spearmanr`;
  resampled by ranking every resample along its axis and correlating row by row.
- Brier score (when probabilities exist): sum over options of (p - 1[true])^2, averaged (0..2).
- reliability: every (answer, option) pair's stated probability, binned, against how often that
  option was the true answer; the expected calibration error weighs the gaps by bin size.
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import association

BATCH_CELLS = 4_000_000  # resampled indices held at once (memory bound for large audits)
AGREEMENT = ("accuracy", "kappa", "cramers_v", "tvd")


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float

    @property
    def ci(self) -> tuple[float, float]:
        return (self.low, self.high)


@dataclass(frozen=True)
class Resampling:
    """How intervals are drawn: resamples, level, and the seed every group's stream derives
    from (with the group's label, so no result depends on the order groups are measured in)."""

    resamples: int = 2000
    confidence: float = 0.95
    seed: int = 0

    def rng(self, label: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(label.encode())])


def tables(truth: np.ndarray, answer: np.ndarray, k: int, idx: np.ndarray) -> np.ndarray:
    """Confusion tables (..., k, k) of the pairs at `idx` (..., n): rows truth, columns answer."""
    cells = truth[idx] * k + answer[idx]
    flat = cells.reshape(-1, cells.shape[-1])
    offset = np.arange(len(flat))[:, None] * (k * k)
    counts = np.bincount((flat + offset).ravel(), minlength=len(flat) * k * k)
    return counts.reshape(*cells.shape[:-1], k, k).astype(float)


def agreement_of(table: np.ndarray) -> np.ndarray:
    """accuracy, kappa, Cramér's V and TVD of tables (..., k, k), stacked on the first axis."""
    n = table.sum(axis=(-2, -1))
    rows, cols = table.sum(axis=-1), table.sum(axis=-2)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.trace(table, axis1=-2, axis2=-1) / n
        chance = (rows * cols).sum(axis=-1) / n**2
        kappa = (observed - chance) / (1.0 - chance)
        expected = rows[..., :, None] * cols[..., None, :] / n[..., None, None]
        chi2 = np.where(expected > 0, (table - expected) ** 2 / expected, 0.0).sum(axis=(-2, -1))
        dim = np.minimum((rows > 0).sum(axis=-1), (cols > 0).sum(axis=-1)) - 1
        v = np.where(dim > 0, np.sqrt(chi2 / (n * np.maximum(dim, 1))), np.nan)
        tvd = 0.5 * np.abs(rows - cols).sum(axis=-1) / n
    return np.stack([observed, kappa, v, tvd])


def cramers_v(table: np.ndarray) -> float:
    """scipy's Cramér's V of one table without its empty rows and columns (nan below 2x2)."""
    kept = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(kept.shape) < 2:
        return float("nan")
    return float(association(kept.astype(int), method="cramer"))


def agreement(
    truth: np.ndarray, answer: np.ndarray, k: int, how: Resampling, label: str
) -> dict[str, Estimate]:
    """accuracy, kappa, Cramér's V and TVD of option indices 0..k-1, with intervals."""
    n = len(truth)
    observed = tables(truth, answer, k, np.arange(n))
    point = agreement_of(observed)
    point[2] = cramers_v(observed)

    def statistic(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        return agreement_of(tables(truth, answer, k, idx.astype(int)))

    low, high = _interval(statistic, n, len(AGREEMENT), how, label)
    return {
        name: Estimate(float(point[i]), float(low[i]), float(high[i]))
        for i, name in enumerate(AGREEMENT)
    }


def spearman(
    truth_rank: np.ndarray, answer_rank: np.ndarray, how: Resampling, label: str
) -> Estimate:
    """Rank correlation of scale positions 0..m-1 (pairs with both on the scale)."""
    n = len(truth_rank)
    value = float("nan")  # constant ranks (one answer for everyone): no correlation defined
    if n > 1 and np.ptp(truth_rank) > 0 and np.ptp(answer_rank) > 0:
        value = float(stats.spearmanr(truth_rank, answer_rank).statistic)
    x_codes, y_codes = truth_rank.astype(int), answer_rank.astype(int)
    m = int(max(x_codes.max(), y_codes.max())) + 1 if n else 1

    def statistic(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        idx = idx.astype(int)
        x, y = _midranks(x_codes[idx], m), _midranks(y_codes[idx], m)
        x -= x.mean(axis=-1, keepdims=True)
        y -= y.mean(axis=-1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = (x * y).sum(-1) / np.sqrt((x * x).sum(-1) * (y * y).sum(-1))
        return np.asarray(r)[None]

    low, high = _interval(statistic, n, 1, how, label)
    return Estimate(value, float(low[0]), float(high[0]))


def _midranks(codes: np.ndarray, m: int) -> np.ndarray:
    """Average ranks (ties share their mean rank, as scipy's rankdata) of small integer codes
    0..m-1 along the last axis, by counting: rank of v = #(< v) + (#(== v) + 1) / 2. Counting
    instead of sorting keeps thousands of resamples fast."""
    flat = codes.reshape(-1, codes.shape[-1])
    offset = np.arange(len(flat))[:, None] * m
    counts = np.bincount((flat + offset).ravel(), minlength=len(flat) * m).reshape(len(flat), m)
    below = np.cumsum(counts, axis=1) - counts
    table = below + (counts + 1) / 2.0
    return np.take_along_axis(table, flat, axis=1).reshape(codes.shape)


def brier_scores(probs: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Per answer: sum over options of (p - 1[option is the truth])^2."""
    hit = np.zeros_like(probs)
    hit[np.arange(len(truth)), truth] = 1.0
    return ((probs - hit) ** 2).sum(axis=1)


def mean_with_ci(values: np.ndarray, how: Resampling, label: str) -> Estimate:
    """The mean of per-answer values (e.g. Brier scores) with its interval."""

    def statistic(idx: np.ndarray, axis: int = -1) -> np.ndarray:
        return values[idx.astype(int)].mean(axis=-1)[None]

    low, high = _interval(statistic, len(values), 1, how, label)
    return Estimate(float(values.mean()), float(low[0]), float(high[0]))


def reliability(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Stated probability vs observed frequency, every (answer, option) pair binned on [0, 1]:
    bin, mean_p, frequency, count (empty bins left out)."""
    hit = np.zeros_like(probs)
    hit[np.arange(len(truth)), truth] = 1.0
    p, y = probs.ravel(), hit.ravel()
    which = np.minimum((p * bins).astype(int), bins - 1)
    frame = pd.DataFrame({"bin": which, "p": p, "y": y})
    out = frame.groupby("bin").agg(
        mean_p=("p", "mean"), frequency=("y", "mean"), count=("y", "size")
    )
    return out.reset_index()


def calibration_error(curve: pd.DataFrame) -> float:
    """Expected calibration error: |frequency - mean_p| weighted by each bin's share."""
    weights = curve["count"] / curve["count"].sum()
    return float((weights * (curve["frequency"] - curve["mean_p"]).abs()).sum())


def _interval(
    statistic: Callable[..., np.ndarray], n: int, m: int, how: Resampling, label: str
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap bounds of `m` statistics over n respondents (nan below 2)."""
    if n < 2:
        return np.full(m, np.nan), np.full(m, np.nan)
    with warnings.catch_warnings():  # all resamples equal (e.g. every answer right): no spread
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        result = stats.bootstrap(
            (np.arange(n),),
            statistic,
            n_resamples=how.resamples,
            confidence_level=how.confidence,
            method="percentile",
            vectorized=True,
            batch=max(1, BATCH_CELLS // n),
            rng=how.rng(label),
        )
    ci = result.confidence_interval
    return np.atleast_1d(ci.low), np.atleast_1d(ci.high)
