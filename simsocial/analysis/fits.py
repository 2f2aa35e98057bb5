"""The majority force beta of an adoption curve P(m) = (1 + tanh(beta m)) / 2, fitted two ways.

`fit_beta_lsq` is the paper's unweighted least squares on the fractions (De Marzo, Castellano,
Garcia 2024), kept so that our numbers compare with the published ones. `fit_beta_mle` is the
primary figure: the counts are binomial, so the likelihood weighs each grid point by what it knows,
and its profile-likelihood interval keeps its 95% coverage where least squares loses it (on
simulated counts at beta = 8: least squares about 62%, likelihood about 94%).

The model is a logistic regression without intercept: (1 + tanh(x)) / 2 = sigmoid(2x), so the
log-likelihood is concave in beta and has one maximum, or none when the data are perfectly
separated (every reply with the majority); then beta runs to the cap and the interval is open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq, curve_fit, minimize_scalar
from scipy.stats import chi2

BETA_CAP = 50.0  # beyond this tanh(beta m) is a step function on any grid the paper uses
CI_DROP = float(chi2.ppf(0.95, df=1)) / 2  # 3.841 / 2: the log-likelihood drop at the 95% ends


@dataclass(frozen=True)
class LsqFit:
    """The paper's figure: beta and curve_fit's standard error."""

    beta: float
    stderr: float


@dataclass(frozen=True)
class MleFit:
    """Binomial maximum likelihood; an end of the CI is +-inf where the data cannot close it."""

    beta: float
    ci_low: float
    ci_high: float
    loglik: float
    converged: bool


def tanh_curve(m: ArrayLike, beta: float) -> np.ndarray:
    """P(m) = (1 + tanh(beta m)) / 2: the probability of joining side A at imbalance m."""
    return (1.0 + np.tanh(beta * np.asarray(m, dtype=float))) / 2.0


def fit_beta_lsq(m: ArrayLike, p: ArrayLike) -> LsqFit:
    """The published method: unweighted `curve_fit` of the tanh curve to the fractions p_a."""
    m_arr, p_arr = _finite_pairs(m, p)
    (beta,), cov = curve_fit(tanh_curve, m_arr, p_arr, p0=[1.0])
    stderr = float(np.sqrt(cov[0, 0])) if np.isfinite(cov[0, 0]) else math.inf
    return LsqFit(beta=float(beta), stderr=stderr)


def binomial_loglik(beta: float, m: np.ndarray, adopt_a: np.ndarray, adopt_b: np.ndarray) -> float:
    """log L(beta) up to a constant; stable for any beta because log sigmoid = -softplus(-x)."""
    x = 2.0 * beta * m
    return float(-(adopt_a * np.logaddexp(0.0, -x)).sum() - (adopt_b * np.logaddexp(0.0, x)).sum())


def fit_beta_mle(m: ArrayLike, adopt_a: ArrayLike, queries: ArrayLike) -> MleFit:
    """Binomial maximum likelihood of beta with a profile-likelihood 95% CI.

    `queries` counts the usable replies at each m (adopt_a + adopt_b); rows without any are
    skipped. Raises ValueError when no row with m != 0 has a reply, since then every beta fits.
    """
    m_arr = np.asarray(m, dtype=float)
    a_arr = np.asarray(adopt_a, dtype=float)
    n_arr = np.asarray(queries, dtype=float)
    if not m_arr.shape == a_arr.shape == n_arr.shape:
        raise ValueError("m, adopt_a and queries must have the same length")
    if np.any(a_arr < 0) or np.any(a_arr > n_arr):
        raise ValueError("adopt_a must lie between 0 and queries at every m")
    keep = np.isfinite(m_arr) & (n_arr > 0)
    if not (keep & (m_arr != 0)).any():
        raise ValueError("no replies at any m != 0: the data say nothing about beta")
    m_arr, a_arr, b_arr = m_arr[keep], a_arr[keep], (n_arr - a_arr)[keep]

    def negloglik(beta: float) -> float:
        return -binomial_loglik(beta, m_arr, a_arr, b_arr)

    separated = _separation(m_arr, a_arr, b_arr)
    if separated:  # every reply sides with (or against) the majority: no finite maximum
        beta, converged = separated * BETA_CAP, False
    else:
        opt = minimize_scalar(
            negloglik, bounds=(-BETA_CAP, BETA_CAP), method="bounded", options={"xatol": 1e-8}
        )
        beta, converged = float(opt.x), bool(opt.success)
    loglik = -negloglik(beta)
    cut = loglik - CI_DROP

    def above_cut(b: float) -> float:
        return -negloglik(b) - cut

    ci_low = -math.inf if above_cut(-BETA_CAP) > 0 else brentq(above_cut, -BETA_CAP, beta)
    ci_high = math.inf if above_cut(BETA_CAP) > 0 else brentq(above_cut, beta, BETA_CAP)
    return MleFit(
        beta=beta,
        ci_low=float(ci_low),
        ci_high=float(ci_high),
        loglik=loglik,
        converged=converged,
    )


def critical_size(beta: float) -> float:
    """N_c = exp(2 beta): the largest group that still coordinates if beta held at every N.

    From the condition beta > (1/2) ln N. The paper measures beta falling as N grows, so N_c from
    one group size is an upper estimate (their extrapolation gives GPT-4 Turbo about 1,000).
    """
    return math.exp(min(2.0 * beta, 700.0))


def coordination_expected(beta: float, n: int) -> bool:
    """True while beta > (1/2) ln N: a group of N with this majority force reaches consensus."""
    return beta > 0.5 * math.log(n)


def _separation(m: np.ndarray, adopt_a: np.ndarray, adopt_b: np.ndarray) -> int:
    """+1 if every reply joined the majority, -1 if every one joined the minority, else 0."""
    if not (adopt_b[m > 0].any() or adopt_a[m < 0].any()):
        return 1
    if not (adopt_a[m > 0].any() or adopt_b[m < 0].any()):
        return -1
    return 0


def _finite_pairs(m: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    m_arr = np.asarray(m, dtype=float)
    p_arr = np.asarray(p, dtype=float)
    if m_arr.shape != p_arr.shape:
        raise ValueError("m and p must have the same length")
    keep = np.isfinite(m_arr) & np.isfinite(p_arr)
    if keep.sum() < 2:
        raise ValueError("need at least two finite (m, p) points to fit beta")
    return m_arr[keep], p_arr[keep]
