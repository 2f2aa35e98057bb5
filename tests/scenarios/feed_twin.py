"""Helpers for the feed kind's tests: a SYNTHETIC survey file with a chosen party split, the
scenario, and the E-I index the scripted twin should give for what a ranker showed.

The survey rows are made up (every row says so in `synthetic_note`), in the ANES 2020 column
format, so a test fixes who is a Democrat, a Republican or an independent and how often each uses
Twitter, instead of relying on a synthetic sample's draw.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simsocial.llm import scripted_feed
from simsocial.personas.anes_codes import COLUMNS, THERMOMETERS
from simsocial.spec import parse_scenario

HEADER = list(dict.fromkeys([*COLUMNS.values(), *THERMOMETERS, "synthetic_note"]))
THERMS = {-1: (80, 20), 0: (50, 50), 1: (20, 80)}  # (Democrats, Republicans) per party
LABEL = {"democrat": "Democrat", "republican": "Republican", "independent": "independent"}
SIDE = {"democrat": -1, "republican": 1, "independent": 0}


def write_survey(path: Path, parties: Sequence[int], twitter: Sequence[int]) -> Path:
    """One SYNTHETIC respondent per party (-1, 0, +1) with its Twitter-use code (-1: missing)."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i, (side, use) in enumerate(zip(parties, twitter, strict=True)):
            row: dict[str, Any] = dict.fromkeys(THERMOMETERS, 50)
            row |= {
                "V200001": 100000 + i, "V200010b": 1.0, "V201231x": 4, "V201200": 4,
                "V201507x": 40, "V201600": 1, "V201549x": 1, "V201511x": 2, "V201617x": 12,
                "V201458x": 5, "V203000": 39, "V202544": use, "V202545": 4, "V202073": 1,
                "synthetic_note": "SYNTHETIC test row, not ANES data",
            }  # fmt: skip
            row["V201156"], row["V201157"] = THERMS[side]
            writer.writerow([row[c] for c in HEADER])
    return path


def split(n: int, democrats: float) -> list[int]:
    """n parties: the first `democrats` share Democrats, the rest Republicans."""
    dem = round(democrats * n)
    return [-1] * dem + [1] * (n - dem)


def feed_spec(tmp_path: Path, *, model: str = "scripted/feed", **keys: Any) -> Any:
    """A feed scenario on the twin; `twitter`, `feed`, `steps`, `seed` override the defaults."""
    twitter = {
        "personas": {"synthetic_anes": {"n": 30}},
        "activity": {"steps_per_day": 1},
        "judge": {"model": "offline"},
        **keys.pop("twitter", {}),
    }
    data = {
        "name": "feed_twin",
        "kind": "feed",
        "seed": keys.pop("seed", 3),
        "steps": keys.pop("steps", 3),
        "llm": {"model": model, "temperature": 0.7},
        "twitter": twitter,
        "outputs": {"dir": str(tmp_path / "runs"), "report": False},
        **keys,
    }
    return parse_scenario(data)


def expected_ei(run: Any, rates: dict[str, float]) -> dict[str, tuple[float, float]]:
    """Per kind (like, comment): the E-I index the twin's rule gives for the feeds the run's
    ranker showed, and its standard deviation.

    Each active user's ask ends in at most one action, so per (step, viewer) the external and
    internal indicators of a kind are one categorical draw with the rule's probabilities
    (`scripted_feed.outcome_probabilities`, given which posts the viewer had liked before the
    step). Sums of independent draws: Var = sum p(1 - p), Cov(external, internal) =
    -sum p_e p_i; the index's deviation by the delta method."""
    users, posts = run.table("users"), run.table("posts")
    votes, feeds = run.table("votes"), run.table("feeds")
    label = users["community"].map(LABEL).to_numpy()
    side = users["community"].map(SIDE).to_numpy()
    author = posts.set_index("post_id")["author"].to_dict()
    terms: dict[str, list[tuple[float, float]]] = {"like": [], "comment": []}
    for step, shown in feeds.sort_values(["step", "viewer", "rank"]).groupby("step"):
        before = votes[votes["step"] < step]
        liked = set(zip(before["voter"], before["post_id"], strict=True))
        for viewer, rows in shown.groupby("viewer"):
            feed = [
                scripted_feed.Shown(
                    int(p), author[p], label[author[p]], author[p] == viewer,
                    (viewer, p) in liked, False,
                )
                for p in rows["post_id"]
            ]  # fmt: skip
            probs = scripted_feed.outcome_probabilities(label[viewer], feed, rates)
            for which, kind in enumerate(terms):
                external = internal = 0.0
                for post, p in zip(feed, probs, strict=True):
                    a, b = side[viewer], side[post.author]
                    if a == 0 or b == 0 or post.own:
                        continue
                    if a == b:
                        internal += p[which]
                    else:
                        external += p[which]
                terms[kind].append((external, internal))
    out = {}
    for kind, pairs in terms.items():
        pe, pi = np.asarray(pairs).T
        e, i = pe.sum(), pi.sum()
        ge, gi = 2 * i / (e + i) ** 2, -2 * e / (e + i) ** 2
        var = ge**2 * (pe * (1 - pe)).sum() + gi**2 * (pi * (1 - pi)).sum()
        var -= 2 * ge * gi * (pe * pi).sum()
        out[kind] = ((e - i) / (e + i), float(np.sqrt(var)))
    return out


def parties(run: Any) -> np.ndarray:
    return run.table("users")["community"].map(SIDE).to_numpy()


def last(result: Any) -> pd.Series:
    return result.model.iloc[-1]
