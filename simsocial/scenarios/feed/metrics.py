"""The model's E-I columns, from the platform's tables through `simsocial.analysis.interactions`
(the report computes the same numbers from the run directory, so they cannot disagree).

Cumulative to the step: every like, comment and repost so far, and the follow network as it
stands (the starting network included). Independents are left out of the E-I index by that
module's rule; an index with no partisan pair is None.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simsocial.analysis.interactions import ei_by_kind, interactions
from simsocial.platform import Platform

EI_COLUMNS = {"like": "ei_likes", "comment": "ei_comments", "repost": "ei_reposts"}
EI_COLUMNS |= {"follow": "ei_follows"}


def frames(platform: Platform) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The posts, votes and follows tables as DataFrames (the columns `interactions` reads)."""
    tables = platform.tables
    posts = pd.DataFrame(
        {c: tables.posts.array(c) for c in ("post_id", "author", "kind", "parent_id", "step")}
        | {"shared_id": tables.posts.array("shared_id")}
    )
    votes = pd.DataFrame({c: tables.votes.array(c) for c in ("voter", "post_id", "value", "step")})
    follows = pd.DataFrame({c: tables.follows.array(c) for c in ("source", "target", "step", "on")})
    return posts, votes, follows


def ei_columns(platform: Platform, party: np.ndarray) -> dict[str, float | None]:
    """ei_likes, ei_comments, ei_reposts, ei_follows so far."""
    table = interactions(*frames(platform))
    found = ei_by_kind(table, party, kinds=tuple(EI_COLUMNS))["ei"]
    return {column: _number(found[kind]) for kind, column in EI_COLUMNS.items()}


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
