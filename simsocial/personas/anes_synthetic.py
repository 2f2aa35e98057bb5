"""Synthetic ANES-like personas for users without the survey file, calibrated to its marginals.

Every record says `source: "synthetic-anes-2020-marginals"`, and so does the sample's manifest:
these are not survey respondents. The published weighted ANES 2020 marginals (`PUBLISHED`)
are matched exactly in expectation; the three that round to 1.001 or 0.999 are divided by their
sum (`TARGETS`, within 0.001 of the published figures).

Joint assumptions (stated because the marginals alone do not fix them):
- party ID, age group, gender, education and race are independent of one another;
- age is uniform within its group (70+ is 70..80, where 80 means 80 or older);
- every respondent voted unless `turnout` < 1, and non-voters are chosen independently of
  everything else, so the vote marginal among voters is untouched;
- vote given party ID is `VOTE_BASE` (plausible shares per party-ID point) raked by one
  multiplier per candidate until the vote marginal among voters equals `TARGETS` exactly
  (`VOTE_GIVEN_PARTY`); vote codes are 1 Biden, 2 Trump, 5 other candidate;
- ideology given party ID is `IDEOLOGY_GIVEN_PARTY` (not calibrated: no marginal was given);
- the Democratic and Republican Party thermometers given party ID are rounded normals clipped
  to 0..100 (`THERMOMETERS_GIVEN_PARTY`), so partisanship's sign mostly, not always, matches
  party ID, as in the survey; the Biden and Trump thermometers are drawn given the vote
  (`CANDIDATES_GIVEN_VOTE`); love and hate lists come from these four ratings only;
- income, religion, state, Twitter use and political posting are not simulated (None, and
  listed under `not_simulated` in the manifest).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from simsocial.personas import anes_codes as codes
from simsocial.personas.anes_sampler import PersonaSample
from simsocial.personas.respondent import Respondent, hated, loved

SOURCE = "synthetic-anes-2020-marginals"

PUBLISHED: dict[str, dict[Any, float]] = {
    "party_id": {1: 0.219, 2: 0.115, 3: 0.114, 4: 0.139, 5: 0.103, 6: 0.108, 7: 0.203},
    "age_group": {"18-29": 0.197, "30-39": 0.178, "40-49": 0.166, "50-59": 0.176,
                  "60-69": 0.161, "70+": 0.123},
    "gender": {1: 0.480, 2: 0.520},
    "education": {1: 0.081, 2: 0.277, 3: 0.290, 4: 0.226, 5: 0.126},
    "race": {1: 0.657, 2: 0.113, 3: 0.133, 4: 0.039, 5: 0.020, 6: 0.038},
    "vote_choice": {"Biden": 0.543, "Trump": 0.431, "other": 0.025},
}  # fmt: skip
TARGETS = {
    name: {k: v / sum(shares.values()) for k, v in shares.items()}
    for name, shares in PUBLISHED.items()
}
NOT_SIMULATED = ("income", "religion", "state", "twitter_use", "political_posting")

VOTE_CODES = (1, 2, 5)  # Biden, Trump, other candidate
# P(Biden, Trump, other | party ID 1..7) before raking.
VOTE_BASE = np.array(
    [
        [0.97, 0.02, 0.01],
        [0.88, 0.10, 0.02],
        [0.88, 0.07, 0.05],
        [0.50, 0.40, 0.10],
        [0.09, 0.85, 0.06],
        [0.12, 0.86, 0.02],
        [0.02, 0.97, 0.01],
    ]
)
IDEOLOGY_CODES = (1, 2, 3, 4, 5, 6, 7, 99)
IDEOLOGY_GIVEN_PARTY = np.array(
    [
        [0.18, 0.35, 0.15, 0.17, 0.03, 0.02, 0.01, 0.09],
        [0.05, 0.22, 0.20, 0.35, 0.06, 0.03, 0.01, 0.08],
        [0.08, 0.28, 0.22, 0.25, 0.05, 0.02, 0.01, 0.09],
        [0.02, 0.05, 0.08, 0.45, 0.08, 0.06, 0.02, 0.24],
        [0.01, 0.02, 0.05, 0.30, 0.25, 0.25, 0.05, 0.07],
        [0.01, 0.02, 0.05, 0.32, 0.22, 0.25, 0.05, 0.08],
        [0.01, 0.01, 0.02, 0.12, 0.14, 0.42, 0.22, 0.06],
    ]
)
# (Democratic mean, Republican mean, sd) of the party thermometers per party-ID point.
THERMOMETERS_GIVEN_PARTY = np.array(
    [
        [85, 10, 15],
        [70, 22, 18],
        [62, 25, 18],
        [45, 45, 20],
        [25, 62, 18],
        [22, 70, 18],
        [10, 87, 15],
    ],
    dtype=float,
)
# (Biden mean, Trump mean, sd) per vote: Biden, Trump, other, did not vote.
CANDIDATES_GIVEN_VOTE = np.array(
    [[78, 8, 15], [10, 80, 15], [25, 25, 18], [40, 40, 25]], dtype=float
)


def _raked(base: np.ndarray, rows: np.ndarray, target: np.ndarray) -> np.ndarray:
    """`base` with one multiplier per column, rows renormalised, so `rows @ result == target`."""
    scale = np.ones(base.shape[1])
    for _ in range(10_000):
        table = base * scale
        table /= table.sum(axis=1, keepdims=True)
        margin = rows @ table
        if np.max(np.abs(margin - target)) < 1e-14:
            return table
        scale *= target / margin
    raise RuntimeError("raking the vote table did not converge")


def _shares(name: str) -> np.ndarray:
    return np.array(list(TARGETS[name].values()))


VOTE_GIVEN_PARTY = _raked(VOTE_BASE, _shares("party_id"), _shares("vote_choice"))


def expected_marginals() -> dict[str, dict[Any, float]]:
    """The marginals the tables imply (vote among voters), for checking them against TARGETS."""
    out = {name: dict(TARGETS[name]) for name in ("party_id", "age_group", "gender")}
    out |= {name: dict(TARGETS[name]) for name in ("education", "race")}
    vote = _shares("party_id") @ VOTE_GIVEN_PARTY
    out["vote_choice"] = dict(zip(TARGETS["vote_choice"], vote.tolist(), strict=True))
    return out


def synthetic_sample(n: int, *, seed: int, turnout: float = 1.0) -> PersonaSample:
    """`n` synthetic personas drawn with `np.random.default_rng(seed)`."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    if not 0 < turnout <= 1:
        raise ValueError(f"turnout must be in (0, 1], not {turnout}")
    rng = np.random.default_rng(seed)
    party = _draw(rng, n, "party_id", list(TARGETS["party_id"]))
    groups = rng.choice(len(codes.AGE_GROUPS), size=n, p=_shares("age_group"))
    low = np.array([g[1] for g in codes.AGE_GROUPS])[groups]
    high = np.array([g[2] for g in codes.AGE_GROUPS])[groups]
    age = rng.integers(low, high + 1)
    gender = _draw(rng, n, "gender", [1, 2])
    education = _draw(rng, n, "education", [1, 2, 3, 4, 5])
    race = _draw(rng, n, "race", [1, 2, 3, 4, 5, 6])
    vote = _given(rng, party, VOTE_GIVEN_PARTY, VOTE_CODES)
    voted = rng.random(n) < turnout
    ideology = _given(rng, party, IDEOLOGY_GIVEN_PARTY, IDEOLOGY_CODES)
    rows = THERMOMETERS_GIVEN_PARTY[party - 1]
    dem = _rating(rng, rows[:, 0], rows[:, 2])
    rep = _rating(rng, rows[:, 1], rows[:, 2])
    which = np.where(voted, np.searchsorted(VOTE_CODES, vote), 3)
    rows = CANDIDATES_GIVEN_VOTE[which]
    biden = _rating(rng, rows[:, 0], rows[:, 2])
    trump = _rating(rng, rows[:, 1], rows[:, 2])
    personas = []
    for i in range(n):
        ratings = {"Democrats": dem[i], "Republicans": rep[i]}
        ratings |= {"Joe Biden": biden[i], "Donald Trump": trump[i]}
        answers: dict[str, int | None] = dict.fromkeys(codes.ANSWERS)
        answers |= {
            "party_id": int(party[i]),
            "ideology": int(ideology[i]),
            "age": int(age[i]),
            "gender": int(gender[i]),
            "race": int(race[i]),
            "education": int(education[i]),
            "vote_2020": int(vote[i]) if voted[i] else None,
            "dem_thermometer": int(dem[i]),
            "rep_thermometer": int(rep[i]),
        }
        personas.append(
            Respondent(
                id=f"synthetic-{i + 1:06d}",
                source=SOURCE,
                answers=answers,
                love=loved(ratings),
                hate=hated(ratings),
                weight=1.0,
            )
        )
    how = {
        "source": SOURCE,
        "synthetic": True,
        "n": n,
        "seed": seed,
        "turnout": turnout,
        "calibrated_to": {k: {str(c): v for c, v in m.items()} for k, m in PUBLISHED.items()},
        "not_simulated": list(NOT_SIMULATED),
        "assumptions": "simsocial.personas.anes_synthetic (module docstring)",
    }
    return PersonaSample(personas, how)


def _draw(rng: np.random.Generator, n: int, name: str, values: list[int]) -> np.ndarray:
    return np.array(values)[rng.choice(len(values), size=n, p=_shares(name))]


def _given(
    rng: np.random.Generator, party: np.ndarray, table: np.ndarray, values: tuple[int, ...]
) -> np.ndarray:
    """One draw per respondent from the row of `table` for its party ID."""
    out = np.empty(len(party), dtype=int)
    for point in range(1, 8):
        mask = party == point
        picks = rng.choice(len(values), size=int(mask.sum()), p=table[point - 1])
        out[mask] = np.array(values)[picks]
    return out


def _rating(rng: np.random.Generator, mean: np.ndarray, sd: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(rng.normal(mean, sd)), 0, 100).astype(int)
