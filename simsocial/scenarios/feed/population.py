"""Survey personas as platform users: their party, their lean and how often they are active.

- Party: the sign of the persona's partisanship (Republican minus Democratic thermometer):
  Democrat -1, Republican +1, independent 0 (a gap of exactly 0). A persona without
  partisanship (the ANES sampler never draws one, but a file may map one in) counts as an
  independent and is counted as `party_missing`.
- Activity: the Twitter-use answer (V202544) as times per day (`anes_codes.TWITTER_PER_DAY`,
  the published normalisation); a persona is active in a step with probability
  min(1, rate / steps_per_day). Rule for a missing answer (every synthetic persona, and
  respondents who did not answer): the rate `activity.missing` (times per day), counted as
  `activity_missing` in the `personas` event and the manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simsocial.personas.anes_text import describe
from simsocial.personas.respondent import Respondent

PARTY_NAMES = {-1: "Democrat", 0: "independent", 1: "Republican"}
COMMUNITY = {-1: "democrat", 0: "independent", 1: "republican"}  # the users table's label


@dataclass(frozen=True)
class Users:
    """Per user id: persona text, party (-1, 0, +1), partisanship (NaN unknown), activity."""

    people: list[dict[str, Any]]
    party: np.ndarray
    lean: np.ndarray
    p_active: np.ndarray
    counts: dict[str, int]


def party_code(r: Respondent) -> int:
    gap = r.partisan_gap
    return 0 if gap is None else int(np.sign(gap))


def build_users(
    personas: Sequence[Respondent], *, steps_per_day: int, missing_rate: float
) -> Users:
    """Users in draw order, with the activity rule and the counted missing values."""
    people: list[dict[str, Any]] = []
    party = np.zeros(len(personas), dtype=np.int64)
    lean = np.full(len(personas), np.nan)
    rates = np.zeros(len(personas))
    counts = {"activity_missing": 0, "party_missing": 0}
    for i, r in enumerate(personas):
        party[i] = party_code(r)
        if r.partisanship is None:
            counts["party_missing"] += 1
        else:
            lean[i] = r.partisanship
        rate = r.posts_per_day
        if rate is None:
            counts["activity_missing"] += 1
            rate = missing_rate
        rates[i] = rate
        people.append(
            {
                "name": f"user{i}",
                "respondent": r.id,
                "text": describe(r),
                "bio": r.bio,
                "twitter_use": r.answers["twitter_use"],
                "rate": float(rate),
            }
        )
    p_active = np.minimum(1.0, rates / steps_per_day)
    return Users(people, party, lean, p_active, counts)


def enriched_text(person: dict[str, Any], r: Respondent) -> dict[str, Any]:
    """The person with the enriched persona's text (occupation, hobbies) and bio."""
    return {**person, "text": describe(r), "bio": r.bio}
