"""Feed rankers: which posts each viewer sees, chosen by name in the scenario file.

A ranker is a pure function of a read-only `PlatformView`, the viewers, k, its parameters and a
random generator (only `random` uses it), returning a (viewers x k) array of post ids, -1 where
fewer than k posts can be shown. It is registered like an intervention kind:

    class NewParams(StrictModel): ...

    @ranker("new", NewParams)
    def new(view, viewers, k, params, rng) -> np.ndarray: ...

and selected with `feed: {ranker: hot, k: 10, params: {...}}`, so `--set feed.ranker=top` and
sweeps swap rankers. Rankers whose order is the same for every viewer (new, top, hot) compute it
once over the candidates, vectorised, and hand every viewer the same row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, PositiveInt, ValidationError, model_validator

from simsocial.spec_base import LocatedValueError, StrictModel

RankFunction = Callable[[Any, np.ndarray, int, Any, np.random.Generator], np.ndarray]


@dataclass(frozen=True)
class Ranker:
    name: str
    params: type[BaseModel]
    rank: RankFunction
    summary: str = ""


RANKERS: dict[str, Ranker] = {}


def ranker(name: str, params: type[BaseModel]) -> Callable[[RankFunction], RankFunction]:
    """Register `rank` as ranker `name` with its parameters model."""

    def register(rank: RankFunction) -> RankFunction:
        if name in RANKERS:
            raise ValueError(f"ranker {name!r} is already registered")
        summary = (rank.__doc__ or "").strip().splitlines()[0] if rank.__doc__ else ""
        RANKERS[name] = Ranker(name, params, rank, summary)
        return rank

    return register


class FeedSpec(StrictModel):
    """The `feed:` block: which ranker orders what agents see, and how many posts they see."""

    ranker: str = Field("hot", description="A registered ranker: new, top, hot, random, ...")
    k: PositiveInt = Field(10, description="Posts shown to each viewer.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="The ranker's own parameters (e.g. hot: decay_steps)."
    )

    @model_validator(mode="after")
    def _known(self) -> FeedSpec:
        from simsocial.spec_errors import did_you_mean

        found = RANKERS.get(self.ranker)
        if found is None:
            raise LocatedValueError(
                [
                    (
                        ("ranker",),
                        f"unknown ranker '{self.ranker}'{did_you_mean(self.ranker, RANKERS)}",
                    )
                ]
            )
        try:
            found.params.model_validate(self.params)
        except ValidationError as exc:
            raise LocatedValueError(
                [
                    (("params", *map(str, e["loc"])), f"{e['msg']} for ranker '{self.ranker}'")
                    for e in exc.errors()
                ]
            ) from None
        return self

    def rank(self, view: Any, viewers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Post ids per viewer (rows), -1 where fewer than k posts can be shown."""
        chosen = RANKERS[self.ranker]
        params = chosen.params.model_validate(self.params)
        return chosen.rank(view, np.asarray(viewers, dtype=np.int64), self.k, params, rng)


# --- the rankers -----------------------------------------------------------------------------


class NoParams(StrictModel):
    pass


class HotParams(StrictModel):
    decay_steps: float = Field(
        1.0,
        gt=0,
        description=(
            "Steps after which a post needs 10x the net votes to rank as high (Reddit: 45,000 s)."
        ),
    )


def top_k(keys: np.ndarray, candidates: np.ndarray, k: int) -> np.ndarray:
    """The k candidates with the largest keys, best first; ties go to the newer post (larger
    id); padded with -1."""
    if len(candidates) == 0:
        return np.full(k, -1, dtype=np.int64)
    if len(candidates) > k:
        # the k-th largest key; keep every candidate at least that large, so ties are decided
        # by post id below, not by argpartition's arbitrary order
        kth = np.partition(keys, len(keys) - k)[len(keys) - k]
        keep = keys >= kth
        keys, candidates = keys[keep], candidates[keep]
    order = np.lexsort((-candidates, -keys))[:k]
    chosen = candidates[order].astype(np.int64)
    return np.concatenate([chosen, np.full(k - len(chosen), -1, dtype=np.int64)])


def same_for_all(row: np.ndarray, viewers: np.ndarray) -> np.ndarray:
    """One feed row handed to every viewer (read-only: it is the same memory)."""
    return np.broadcast_to(row, (len(viewers), len(row)))


def hot_scores(view: Any, candidates: np.ndarray, decay_steps: float) -> np.ndarray:
    """Reddit's hot: sign(s) log10(max(|s|, 1)) + age term, on the simulation clock."""
    score = view.score[candidates].astype(np.float64)
    magnitude = np.log10(np.maximum(np.abs(score), 1.0))
    return np.sign(score) * magnitude + view.step[candidates] / decay_steps


@ranker("new", NoParams)
def new(
    view: Any, viewers: np.ndarray, k: int, params: Any, rng: np.random.Generator
) -> np.ndarray:
    """Newest first (chronological)."""
    candidates = view.candidates
    return same_for_all(top_k(view.step[candidates].astype(np.float64), candidates, k), viewers)


@ranker("top", NoParams)
def top(
    view: Any, viewers: np.ndarray, k: int, params: Any, rng: np.random.Generator
) -> np.ndarray:
    """Highest net score (ups - downs) first; newer first among equals."""
    candidates = view.candidates
    return same_for_all(top_k(view.score[candidates].astype(np.float64), candidates, k), viewers)


@ranker("hot", HotParams)
def hot(
    view: Any, viewers: np.ndarray, k: int, params: Any, rng: np.random.Generator
) -> np.ndarray:
    """Reddit's hot ranking: log-scaled net score plus recency."""
    candidates = view.candidates
    keys = hot_scores(view, candidates, params.decay_steps)
    return same_for_all(top_k(keys, candidates, k), viewers)


@ranker("random", NoParams)
def random_feed(
    view: Any, viewers: np.ndarray, k: int, params: Any, rng: np.random.Generator
) -> np.ndarray:
    """k posts drawn uniformly without replacement, separately for each viewer (a null model)."""
    candidates = view.candidates
    take = min(k, len(candidates))
    feeds = np.full((len(viewers), k), -1, dtype=np.int64)
    for row in range(len(viewers)):
        feeds[row, :take] = rng.choice(candidates, size=take, replace=False)
    return feeds


from simsocial.platform import feed_rankers  # noqa: E402, F401  (registers the feed rankers)
