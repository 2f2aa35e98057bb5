"""What a generation of images is measured by, all through the classifier's labels and features:
diversity (label entropy), prompt fidelity, the share matching the audience's tastes, and a
Fréchet (FID-style) distance between feature distributions. Plain numpy and scipy."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np
from scipy import linalg

from simsocial.media.dataset import ATTRIBUTES, SLOTS, parse_prompt


def entropy_bits(values: Iterable[str]) -> float:
    """Shannon entropy (bits) of the empirical distribution of `values`."""
    counts = np.array(list(Counter(values).values()), dtype=float)
    if counts.sum() == 0:
        return 0.0
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def diversity(labels: Sequence[dict[str, str]], slots: Sequence[str] = SLOTS) -> float:
    """Mean over slots of the label entropy, each divided by its maximum (log2 of the number of
    values): 1 when every value is equally common, 0 when one value is all there is."""
    if not labels:
        return 0.0
    parts = [entropy_bits(row[s] for row in labels) / np.log2(len(ATTRIBUTES[s])) for s in slots]
    return float(np.mean(parts))


def matches_prompt(prompt: str, labels: dict[str, str]) -> bool:
    """Whether the image shows every attribute its prompt names."""
    return all(labels[slot] == value for slot, value in parse_prompt(prompt).named().items())


def fidelity(prompts: Sequence[str], labels: Sequence[dict[str, str]]) -> float:
    """Share of images whose labels match their prompt."""
    if not labels:
        return float("nan")
    return float(np.mean([matches_prompt(p, row) for p, row in zip(prompts, labels, strict=True)]))


def taste_words(text: str) -> dict[str, str]:
    """The attribute words a stated taste names (word -> slot)."""
    named = parse_prompt(text).named()
    return {value: slot for slot, value in named.items()}


def taste_share(labels: Sequence[dict[str, str]], tastes: Sequence[str]) -> float:
    """Mean over viewers of the share of images showing something their taste names (viewers
    whose taste names no attribute are left out); NaN when none names one."""
    shares = []
    for taste in tastes:
        words = taste_words(taste)
        if words and labels:
            shares.append(np.mean([any(row[s] == w for w, s in words.items()) for row in labels]))
    return float(np.mean(shares)) if shares else float("nan")


def share_of(labels: Sequence[dict[str, str]], slot: str, value: str) -> float:
    return float(np.mean([row[slot] == value for row in labels])) if labels else float("nan")


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between Gaussian fits of two
    feature sets (rows = images), the FID formula on the classifier's features."""
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():  # few images: a singular product is expected, handled below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov_a @ cov_b)
        if not np.isfinite(root).all():  # nudge both, as FID code does
            eps = np.eye(len(cov_a)) * 1e-6
            root = linalg.sqrtm((cov_a + eps) @ (cov_b + eps))
    root = np.real(root)
    value = float(((mu_a - mu_b) ** 2).sum() + np.trace(cov_a + cov_b - 2 * root))
    return max(value, 0.0)


def bootstrap_ci(
    labels: Sequence[dict[str, str]], seed: int, n: int = 1000, level: float = 0.95
) -> tuple[float, float]:
    """Basic bootstrap interval of `diversity` over images (resampled with replacement): how
    much a generation's diversity varies by sampling alone. The basic interval (reflected
    around the estimate) corrects the downward bias resampling gives a plug-in entropy."""
    if not labels:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    rows = list(labels)
    values = [diversity([rows[i] for i in rng.integers(0, len(rows), len(rows))]) for _ in range(n)]
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    estimate = diversity(rows)
    return float(2 * estimate - high), float(2 * estimate - low)


def resampling_null(
    previous: Sequence[dict[str, str]],
    chosen: Sequence[int],
    n: int,
    prior_share: float,
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """95% interval of the diversity a perfect learner would give the next generation: `n`
    labels drawn from the chosen images of `previous` (indices), or, with `prior_share`, from the
    whole of it (the adapter's prior preservation). A chain of adapters loses diversity even when
    the choice is random (genetic drift); this is the interval that drift alone explains."""
    if not chosen or not previous or n <= 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    pool, picked = np.arange(len(previous)), np.asarray(chosen)
    draws = []
    for _ in range(resamples):
        from_prior = rng.random(n) < prior_share
        rows = np.where(from_prior, rng.choice(pool, n), rng.choice(picked, n))
        draws.append(diversity([previous[i] for i in rows]))
    low, high = np.quantile(draws, [0.025, 0.975])
    return float(low), float(high)
