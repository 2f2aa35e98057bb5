"""Figures of the persona fidelity audit: the reliability plot and accuracy by subgroup."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from simsocial.analysis.plots import styled

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def reliability_figure(curves: dict[str, pd.DataFrame]) -> Figure:
    """Stated probability against observed frequency, one line per item; the diagonal is
    perfect calibration, and marker area shows how many (answer, option) pairs each bin holds."""
    from simsocial.analysis.plots import new_figure

    with styled():
        fig, ax = new_figure(5.2, 4.6)
        ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="calibrated")
        for item, curve in curves.items():
            size = 200 * curve["count"] / curve["count"].max()
            (line,) = ax.plot(curve["mean_p"], curve["frequency"], linewidth=1.2, label=item)
            ax.scatter(
                curve["mean_p"], curve["frequency"], s=size.clip(lower=8), alpha=0.7,
                color=line.get_color(),
            )  # fmt: skip
        ax.set(
            xlim=(0, 1),
            ylim=(0, 1),
            xlabel="stated probability of an option",
            ylabel="share of times it was the persona's answer",
            title="Reliability",
        )
        ax.legend(fontsize="small", loc="upper left")
    return fig


def subgroup_figure(table: pd.DataFrame) -> Figure:
    """Accuracy with its interval for every subgroup, one panel per item; the solid line is the
    whole sample's accuracy and the dotted one chance (1/k)."""
    from matplotlib.figure import Figure

    items = list(dict.fromkeys(table["item"]))
    groups = table[table["subgroup"] != "all"]
    height = 1.2 + 0.22 * max(1, groups.groupby("item").size().max() if len(groups) else 1)
    with styled():
        fig = Figure(figsize=(4.2 * len(items), height), layout="constrained")
        axes = fig.subplots(1, len(items), squeeze=False)[0]
        for ax, item in zip(axes, items, strict=True):
            rows = table[table["item"] == item]
            overall = rows[rows["subgroup"] == "all"].iloc[0]
            part = rows[rows["subgroup"] != "all"].reset_index(drop=True)
            labels = [f"{s}: {g}" for s, g in zip(part["subgroup"], part["group"], strict=True)]
            y = range(len(part))
            low = (part["accuracy"] - part["accuracy_low"]).fillna(0).clip(lower=0)
            high = (part["accuracy_high"] - part["accuracy"]).fillna(0).clip(lower=0)
            ax.errorbar(part["accuracy"], y, xerr=[low, high], fmt="o", markersize=4, capsize=2)
            ax.axvline(overall["accuracy"], color="C3", linewidth=1, label="all personas")
            ax.axvline(overall["chance"], color="0.5", linestyle=":", linewidth=1, label="chance")
            ax.set_yticks(list(y), labels, fontsize="small")
            ax.set(xlim=(0, 1), xlabel="accuracy", title=item)
            ax.invert_yaxis()
        axes[0].legend(fontsize="small", loc="lower left")
    return fig
