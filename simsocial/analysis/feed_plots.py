"""The feed report's figures: E-I by interaction type, toxicity levels, out-party share shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from simsocial.analysis.feed_paper import LABELS, PAPER, REPORTED
from simsocial.analysis.plots import new_figure, styled

if TYPE_CHECKING:
    from matplotlib.figure import Figure

LEVEL_NAMES = ("0 civil", "1 mildly", "2 very", "3 extremely")
PAPER_MARKERS = {"followed_engagement": "v", "all_engagement": "s", "bridging": "D"}


def ei_figure(rows: pd.DataFrame, ranker: str | None) -> Figure:
    """E-I per interaction type with its bootstrap CI, and the paper's likes and comments for
    its three feeds (filled: the ranker of this run)."""
    shown = rows.dropna(subset=["ei"])
    y = np.arange(len(shown))
    with styled():
        fig, ax = new_figure(6.4, 0.45 * len(rows) + 1.6)
        low = (shown["ei"] - shown["ci_low"]).clip(lower=0).fillna(0)
        high = (shown["ci_high"] - shown["ei"]).clip(lower=0).fillna(0)
        ax.errorbar(shown["ei"], y, xerr=[low, high], fmt="o", color="#4c72b0", capsize=3,
                    label="this run (95% CI)")  # fmt: skip
        where = {name: i for i, name in enumerate(shown.index)}
        for name, values in REPORTED.items():
            points = [(values[f"ei_{k}"], where[k]) for k in ("likes", "comments") if k in where]
            if points:
                xs, ys = zip(*points, strict=True)
                ax.scatter(xs, ys, marker=PAPER_MARKERS[name], s=36, zorder=3,
                           facecolors="#b42318" if name == ranker else "none",
                           edgecolors="#b42318", label=f"{PAPER}: {LABELS[name]}")  # fmt: skip
        ax.axvline(0, color="#888", lw=1)
        ax.set_xlim(-1.05, 1.05)
        ax.set_yticks(y, [str(n).replace("_", " ") for n in shown.index])
        ax.invert_yaxis()
        ax.set_xlabel("E-I index (-1 all within a party, +1 all across)")
        ax.set_title("Cross-party interaction by type")
        ax.legend(fontsize=7, loc="best")
    return fig


def toxicity_figure(levels: pd.Series, failures: int, judge: str | None) -> Figure:
    """Posts per codebook level, and the posts the judge gave no score."""
    names = [*LEVEL_NAMES, "no score"]
    counts = [*levels.to_numpy().tolist(), failures]
    with styled():
        fig, ax = new_figure(6.4, 3.6)
        ax.bar(names, counts, color=["#55a868", "#dd8452", "#c44e52", "#8c1c13", "#bbbbbb"])
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel="incivility (0-3 codebook)", ylabel="posts")
        ax.set_title(f"Toxicity by the LLM judge ({judge or 'no judge'})")
    return fig


def offensive_figure(values: np.ndarray) -> Figure:
    """Distribution of the offline offensive_prob (alt-profanity-check; not toxicity)."""
    with styled():
        fig, ax = new_figure(6.4, 3.6)
        ax.hist(values, bins=np.linspace(0, 1, 21), color="#8172b3")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel="offensive_prob (offensive language, not toxicity)", ylabel="posts")
        ax.set_title(f"Offline offensive-language score ({len(values)} posts)")
    return fig


def outparty_figure(by_step: pd.DataFrame) -> Figure:
    """Mean out-party share of the feed shown, per step, for each party's viewers."""
    with styled():
        fig, ax = new_figure(6.4, 3.6)
        for party, color in (("democrat", "#1f4e8c"), ("republican", "#b42318")):
            mine = by_step[by_step["party"] == party]
            ax.plot(mine["step"], mine["share"], "o-", ms=3, color=color, label=party)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(-0.02, 1.02)
        ax.set(xlabel="step", ylabel="out-party share of the feed shown")
        ax.set_title("What partisans were shown from the other party")
        ax.legend(title="viewers", fontsize=8)
    return fig
