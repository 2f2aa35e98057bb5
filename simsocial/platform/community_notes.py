"""A Community-Notes-style bridging ranker: matrix factorisation of the vote matrix.

Community Notes (Wojcik et al. 2022, "Birdwatch: crowd wisdom and bridging algorithms can
inform understanding and reduce the spread of misinformation", arXiv 2210.15723) models each
rating as

    r_up ~ mu + b_u + c_p + f_u g_p

(a global mean, a user intercept, a post intercept and a one-dimensional user-post factor) and
fits it by least squares with regularisation 0.15 on the intercepts and 0.03 on the factors.
The factor soaks up what one side of a divide likes and the other does not; what is left in the
post intercept c_p is approval that holds across the divide, and posts rank by it. Because the
intercepts are penalised five times harder than the factors, a post liked heavily by one faction
only is explained mostly by its factor, while a post liked by both factions can only be
explained by its intercept.

Here the ratings are the platform's votes: +1 a like (up-vote), -1 a down-vote. The published
model leaves unobserved pairs out (`unobserved_weight: 0`), which needs down-votes: with likes
only every rating is +1, mu explains them all and every intercept is 0 (the order falls back to
newest first). So by default every unobserved (user, post) pair also enters as a 0 rating, all of
them together weighing 0.02 of the votes (a per-pair weight of 0.02 x votes / unobserved pairs,
so the balance does not change with the platform's size): enough to place users on the factor
axis by what they did not like, too little to drown the likes. On a hand-made two-faction case
with down-votes a total weight up to 0.05 keeps the published order, 0.1 overturns it; with
likes only 0.02 to 0.3 give the bridging order. Users who never voted are left out; every
candidate post is in (with no votes, its intercept says so).

Fit by alternating least squares: each user's (b_u, f_u) and each post's (c_p, g_p) is a 2x2
ridge solve, done for all at once with sparse products (the all-pairs terms are sums over the
other side, so a sweep costs the number of votes, not users x posts), with mu solved jointly
with each side. After each sweep the fit steps to the least penalty along the directions no
prediction depends on (constants between mu and the intercepts, b += k f against g -= k, the
factors' scale), along which ALS otherwise crawls for hundreds of sweeps. The user factors start
on the leading singular axis of the double-centred vote matrix (dense SVD when small, ARPACK
from a seeded start vector when large; a seeded random draw when that matrix is zero): on the
benchmark's 3x10^5 likes a random start settled in a worse optimum whose factor ignored party
(objective 11,894 against 11,312, factor-party correlation 0.01 against 0.89). Sweeps stop when
no post intercept moves by 1e-4, or after `iterations` (30: on that benchmark the top 10 then
equals a 1,000-sweep fit's). Deterministic throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt
from scipy.sparse.linalg import ArpackError, LinearOperator, svds

from simsocial.platform.feed_rankers import WindowParams, recent
from simsocial.platform.rankers import ranker, same_for_all, top_k


class CommunityNotesParams(WindowParams):
    intercept_reg: PositiveFloat = Field(0.15, description="Ridge on user and post intercepts.")
    factor_reg: PositiveFloat = Field(0.03, description="Ridge on user and post factors.")
    unobserved_weight: float = Field(
        0.02,
        ge=0,
        le=100,
        description="Total weight of the unobserved pairs as 0 ratings, relative to the votes "
        "(0: the published model).",
    )
    iterations: PositiveInt = Field(30, description="Most alternating least-squares sweeps.")
    start: Literal["svd", "random"] = Field(
        "svd", description="User factors start on the leading axis of the votes, or at random."
    )
    seed: NonNegativeInt = Field(
        0, description="Seed of the start: the SVD's start vector, or the random factors."
    )


@dataclass(frozen=True)
class BridgingFit:
    """A fitted model: ids in the model and their parameters (aligned), and the sweeps run."""

    mu: float
    users: np.ndarray
    user_intercept: np.ndarray
    user_factor: np.ndarray
    posts: np.ndarray
    post_intercept: np.ndarray
    post_factor: np.ndarray
    sweeps: int


@dataclass(frozen=True)
class _Side:
    """One side of the vote matrix as rows: who voted on what, each row's count and sum of
    ratings; `rated` is None when every rating is +1 (then it equals `observed`)."""

    observed: sp.csr_matrix
    rated: sp.csr_matrix | None
    count: np.ndarray
    rating_sum: np.ndarray

    @classmethod
    def of(cls, observed: sp.csr_matrix, rated: sp.csr_matrix, likes_only: bool) -> _Side:
        count = np.asarray(observed.sum(axis=1)).ravel()
        rating_sum = np.asarray(rated.sum(axis=1)).ravel()
        return cls(observed, None if likes_only else rated, count, rating_sum)


def _side(
    side: _Side,
    other_intercept: np.ndarray,
    other_factor: np.ndarray,
    weight: float,
    regs: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, float]:
    """Every row's (intercept, factor) and mu, given the other side, solved jointly.

    Observed pairs weigh 1 = weight + (1 - weight); every pair, observed or not, weighs
    `weight` with rating 0 where unobserved, so its terms are sums over the whole other side.
    Each row is a 2x2 ridge solve whose right-hand side is linear in mu, so mu is eliminated
    exactly (its normal equation is linear too): solving mu apart from the intercepts would
    zig-zag along the shift between them for hundreds of sweeps."""
    g, c = other_factor, other_intercept
    columns = np.column_stack([g, g * g, c, c * g])
    seen = np.ascontiguousarray((side.observed @ columns).T)  # sums of g, g^2, c, c g at votes
    everyone = columns.sum(axis=0)
    count, n_other = side.count, len(g)
    rated_g = seen[0] if side.rated is None else side.rated @ g
    rest = 1.0 - weight
    a11 = weight * n_other + rest * count + regs[0]
    a12 = weight * everyone[0] + rest * seen[0]
    a22 = weight * everyone[1] + rest * seen[1] + regs[1]
    det = a11 * a22 - a12**2
    r1 = side.rating_sum - weight * everyone[2] - rest * seen[2]
    r2 = rated_g - weight * everyone[3] - rest * seen[3]
    m1 = a11 - regs[0]  # the right-hand side is (r1, r2) - mu (m1, a12)
    x0 = ((a22 * r1 - a12 * r2) / det, (a11 * r2 - a12 * r1) / det)
    x1 = ((a22 * m1 - a12 * a12) / det, (a11 * a12 - a12 * m1) / det)

    def fitted(intercept: np.ndarray, factor: np.ndarray) -> float:
        """Weighted sum over pairs of intercept + factor x other factor. (No `@`: on busy
        cores OpenBLAS threads made each 10^5-long dot 40 times slower than a product-sum.)"""
        everywhere = n_other * intercept.sum() + everyone[0] * factor.sum()
        at_votes = (count * intercept).sum() + (seen[0] * factor).sum()
        return float(weight * everywhere + rest * at_votes)

    total = weight * len(det) * n_other + rest * count.sum()
    constant = weight * len(det) * everyone[2] + rest * seen[2].sum()
    mu = (side.rating_sum.sum() - constant - fitted(*x0)) / (total - fitted(*x1))
    return x0[0] - mu * x1[0], x0[1] - mu * x1[1], mu


def _regauge(
    mu: float,
    b: np.ndarray,
    f: np.ndarray,
    c: np.ndarray,
    g: np.ndarray,
    regs: tuple[float, float],
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Move along the directions that change no prediction, to the least penalty on each.

    mu + b_u + c_p + f_u g_p is unchanged by moving a constant from b or c into mu, by
    b_u += k f_u with g_p -= k, by c_p += k g_p with f_u -= k, and by f s, g / s; only the
    penalties change, so each step below is an exact minimisation. ALS crawls along these
    directions (each sweep corrects them by about penalty / ratings); stepping straight to
    their minimum cuts the sweeps several-fold."""
    li, lf = regs
    mu, b, c = mu + b.mean() + c.mean(), b - b.mean(), c - c.mean()
    k = (lf * g.sum() - li * (b * f).sum()) / (li * (f * f).sum() + lf * len(g))
    b, g = b + k * f, g - k
    k = (lf * f.sum() - li * (c * g).sum()) / (li * (g * g).sum() + lf * len(f))
    c, f = c + k * g, f - k
    ff, gg = (f * f).sum(), (g * g).sum()
    if ff > 0 and gg > 0:
        scale = (gg / ff) ** 0.25
        f, g = f * scale, g / scale
    return mu, b, f, c, g


def leading_axis(rated: sp.csr_matrix, seed: int) -> np.ndarray | None:
    """The users' side of the leading singular pair of the double-centred rating matrix (None
    when it is zero: nothing to start from). Dense below 10^5 entries, else ARPACK."""
    n_users, n_posts = rated.shape
    rows = np.asarray(rated.sum(axis=1)).ravel() / n_posts
    cols = np.asarray(rated.sum(axis=0)).ravel() / n_users
    grand = rows.mean()
    if n_users * n_posts <= 100_000:
        centred = rated.toarray() - rows[:, None] - cols[None, :] + grand
        left, values, _ = np.linalg.svd(centred, full_matrices=False)
        return left[:, 0] if values[0] > 1e-9 else None
    transposed = rated.T.tocsr()

    def matvec(x: np.ndarray) -> np.ndarray:
        x = np.ravel(x)
        return rated @ x - rows * x.sum() - (cols * x).sum() + grand * x.sum()

    def rmatvec(y: np.ndarray) -> np.ndarray:
        y = np.ravel(y)
        return transposed @ y - cols * y.sum() - (rows * y).sum() + grand * y.sum()

    operator = LinearOperator(rated.shape, matvec=matvec, rmatvec=rmatvec, dtype=np.float64)
    start = np.random.default_rng(seed).normal(size=min(rated.shape))
    try:
        left, values, _ = svds(operator, k=1, v0=start, tol=1e-4)
    except ArpackError:
        return None
    return left[:, 0] if values[0] > 1e-9 else None


def fit_bridging(
    voter: np.ndarray,
    post: np.ndarray,
    value: np.ndarray,
    extra_posts: np.ndarray,
    params: CommunityNotesParams,
    tol: float = 1e-4,
) -> BridgingFit:
    """Fit mu + b_u + c_p + f_u g_p to the votes (see the module docstring); stop when no
    post intercept moves by more than `tol` in a sweep."""
    users, u = np.unique(voter, return_inverse=True)
    posts, p = np.unique(np.concatenate([post, extra_posts]), return_inverse=True)
    p = p[: len(post)]
    rating = np.asarray(value, dtype=np.float64)
    shape = (len(users), len(posts))
    observed = sp.csr_matrix((np.ones(len(rating)), (u, p)), shape=shape)
    rated = sp.csr_matrix((rating, (u, p)), shape=shape)
    likes_only = bool(np.all(rating == 1.0))
    by_user = _Side.of(observed, rated, likes_only)
    by_post = _Side.of(observed.T.tocsr(), rated.T.tocsr(), likes_only)
    regs = (params.intercept_reg, params.factor_reg)
    unobserved = shape[0] * shape[1] - len(rating)
    weight = params.unobserved_weight * len(rating) / unobserved if unobserved > 0 else 0.0
    b, c, g = np.zeros(shape[0]), np.zeros(shape[1]), np.zeros(shape[1])
    axis = leading_axis(rated, params.seed) if params.start == "svd" and len(rating) else None
    if axis is None:
        f = np.random.default_rng(params.seed).normal(0.0, 0.1, shape[0])
    else:
        f = axis * 0.1 * np.sqrt(shape[0])
    mu, sweeps = 0.0, 0
    while sweeps < params.iterations and len(rating):
        sweeps += 1
        before = c
        c, g, _ = _side(by_post, b, f, weight, regs)
        b, f, mu = _side(by_user, c, g, weight, regs)
        mu, b, f, c, g = _regauge(mu, b, f, c, g, regs)
        if np.max(np.abs(c - before), initial=0.0) < tol:
            break
    return BridgingFit(mu, users, b, f, posts, c, g, sweeps)


@ranker("community_notes", CommunityNotesParams)
def community_notes(
    view: Any, viewers: np.ndarray, k: int, params: CommunityNotesParams, rng: np.random.Generator
) -> np.ndarray:
    """Highest post intercept of a Community-Notes matrix factorisation of the votes first.

    Bridging by model rather than by party labels: approval the one-dimensional factor cannot
    attribute to one side ranks high (see the module docstring for the model and its fit)."""
    candidates = recent(view, params.window)
    fit = fit_bridging(view.vote_voter, view.vote_post, view.vote_value, candidates, params)
    keys = fit.post_intercept[np.searchsorted(fit.posts, candidates)]
    return same_for_all(top_k(keys, candidates, k), viewers)
