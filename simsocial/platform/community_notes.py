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
newest first). So by default each unobserved (user, post) pair enters as a 0 rating with weight
0.05: one like weighs as much as twenty unseen pairs, enough to place users on the factor axis
by what they did not like, not enough to drown the likes. Users who never voted are left out;
every candidate post is in (with no votes its intercept says so).

Fit by alternating least squares: each user's (b_u, f_u) and each post's (c_p, g_p) is a 2x2
ridge solve, done for all at once with sparse products (the all-pairs terms of the unobserved
weight are sums over the other side, so the cost is the number of votes, not users x posts),
with mu solved jointly with each side. Sweeps stop when no post intercept moves by 1e-6 or after
`iterations`. Factors start from a seeded normal draw, so a fit is deterministic. On tiny,
weakly determined data ALS creeps along the intercept/factor split for hundreds of sweeps (the
order of posts settles long before the values do); on 3x10^5 votes it converges in about 40.
L-BFGS on the same objective was tried and needed over a thousand iterations at that size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from pydantic import Field, NonNegativeInt, PositiveFloat, PositiveInt

from simsocial.platform.feed_rankers import WindowParams, recent
from simsocial.platform.rankers import ranker, same_for_all, top_k


class CommunityNotesParams(WindowParams):
    intercept_reg: PositiveFloat = Field(0.15, description="Ridge on user and post intercepts.")
    factor_reg: PositiveFloat = Field(0.03, description="Ridge on user and post factors.")
    unobserved_weight: float = Field(
        0.05,
        ge=0,
        le=1,
        description="Weight of each unobserved pair as a 0 rating (0: the published model).",
    )
    iterations: PositiveInt = Field(100, description="Most alternating least-squares sweeps.")
    seed: NonNegativeInt = Field(0, description="Seed of the factors' starting draw.")


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


def _side(
    observed: sp.csr_matrix,
    rated: sp.csr_matrix,
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
    columns = np.column_stack(
        [np.ones_like(other_factor), other_factor, other_factor**2, other_intercept]
    )
    columns = np.column_stack([columns, other_intercept * other_factor])
    seen = observed @ columns  # per row: n, sum g, sum g^2, sum c, sum c g over its votes
    everyone = columns.sum(axis=0)
    given = rated @ columns[:, :2]
    rest = 1.0 - weight
    a11 = weight * everyone[0] + rest * seen[:, 0] + regs[0]
    a12 = weight * everyone[1] + rest * seen[:, 1]
    a22 = weight * everyone[2] + rest * seen[:, 2] + regs[1]
    det = a11 * a22 - a12**2
    r1 = given[:, 0] - weight * everyone[3] - rest * seen[:, 3]
    r2 = given[:, 1] - weight * everyone[4] - rest * seen[:, 4]
    m1 = a11 - regs[0]  # the right-hand side is (r1, r2) - mu (m1, a12)
    x0 = ((a22 * r1 - a12 * r2) / det, (a11 * r2 - a12 * r1) / det)
    x1 = ((a22 * m1 - a12 * a12) / det, (a11 * a12 - a12 * m1) / det)

    def fitted(intercept: np.ndarray, factor: np.ndarray) -> float:
        """Weighted sum over pairs of intercept + factor x other factor."""
        everywhere = everyone[0] * intercept.sum() + everyone[1] * factor.sum()
        at_votes = seen[:, 0] @ intercept + seen[:, 1] @ factor
        return float(weight * everywhere + rest * at_votes)

    total = weight * len(det) * everyone[0] + rest * seen[:, 0].sum()
    constant = weight * len(det) * everyone[3] + rest * seen[:, 3].sum()
    mu = (given[:, 0].sum() - constant - fitted(*x0)) / (total - fitted(*x1))
    return x0[0] - mu * x1[0], x0[1] - mu * x1[1], mu


def fit_bridging(
    voter: np.ndarray,
    post: np.ndarray,
    value: np.ndarray,
    extra_posts: np.ndarray,
    params: CommunityNotesParams,
    tol: float = 1e-6,
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
    observed_t, rated_t = observed.T.tocsr(), rated.T.tocsr()
    weight, regs = params.unobserved_weight, (params.intercept_reg, params.factor_reg)
    b, c, g = np.zeros(shape[0]), np.zeros(shape[1]), np.zeros(shape[1])
    f = np.random.default_rng(params.seed).normal(0.0, 0.1, shape[0])
    mu, sweeps = 0.0, 0
    while sweeps < params.iterations and len(rating):
        sweeps += 1
        before = c
        c, g, _ = _side(observed_t, rated_t, b, f, weight, regs)
        b, f, mu = _side(observed, rated, c, g, weight, regs)
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
