"""The forum report's figures: thread lengths, scores, votes per step, front-page ranks."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from simsocial.analysis.plots import new_figure, styled

if TYPE_CHECKING:
    from matplotlib.figure import Figure

RANKED_SHOWN = 10  # front-page trajectories drawn: the posts best ranked in the last round


def length_figure(lengths: pd.Series, cap: int) -> Figure:
    """How many threads reached each length, 0 to the cap, with the mean marked."""
    cap = max(cap, int(lengths.max()) if len(lengths) else 0)
    counts = np.bincount(lengths.astype(int), minlength=cap + 1)
    with styled():
        fig, ax = new_figure()
        ax.bar(np.arange(cap + 1), counts, color="#4c72b0")
        ax.axvline(float(lengths.mean()), color="#b42318", ls="--", lw=1.2,
                   label=f"mean {lengths.mean():.2f}")  # fmt: skip
        ax.set_xticks(np.arange(cap + 1))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel="replies in the thread", ylabel="threads")
        ax.set_title(f"Thread lengths ({len(lengths)} threads, at most {cap} replies)")
        ax.legend()
    return fig


def score_figure(scores: pd.Series) -> Figure:
    """Distribution of top-level post scores (ups - downs)."""
    low, high = int(scores.min()), int(scores.max())
    with styled():
        fig, ax = new_figure(6.4, 3.6)
        ax.hist(scores, bins=np.arange(low - 0.5, high + 1.5), color="#55a868")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel="score (ups - downs)", ylabel="top-level posts")
        ax.set_title("Scores of top-level posts")
    return fig


def votes_figure(votes: pd.DataFrame) -> Figure:
    """Up and down votes cast in each step."""
    per_step = (
        votes.assign(up=votes["value"] > 0, down=votes["value"] < 0)
        .groupby("step")[["up", "down"]]
        .sum()
    )
    with styled():
        fig, ax = new_figure(6.4, 3.6)
        ax.bar(per_step.index, per_step["up"], color="#55a868", label="up")
        ax.bar(per_step.index, -per_step["down"], color="#c44e52", label="down")
        ax.axhline(0, color="black", lw=0.8)
        ax.set(xlabel="step", ylabel="votes (down below 0)")
        ax.set_title("Votes per step")
        ax.legend()
    return fig


def front_page_figure(rounds: pd.DataFrame) -> Figure | None:
    """Rank of each post on the front page, round by round (1 is the top), for the posts best
    ranked in the last round; None with fewer than two rounds."""
    if len(rounds) < 2 or "shown" not in rounds:
        return None
    rows = [
        {"step": int(step), "post": int(post), "rank": rank}
        for step, shown in zip(rounds["step"], rounds["shown"], strict=True)
        for rank, post in enumerate(shown, 1)
        if int(post) >= 0
    ]
    if not rows:
        return None
    ranks = pd.DataFrame(rows)
    last = ranks[ranks["step"] == ranks["step"].max()].nsmallest(RANKED_SHOWN, "rank")
    with styled():
        fig, ax = new_figure()
        for post in last["post"]:
            mine = ranks[ranks["post"] == post]
            ax.plot(mine["step"], mine["rank"], "o-", ms=3, lw=1.2, label=f"#{post}")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.invert_yaxis()
        ax.set(xlabel="step", ylabel="rank on the front page")
        ax.set_title("Front-page rank over rounds")
        ax.legend(fontsize=7, ncol=2, loc="best")
    return fig
