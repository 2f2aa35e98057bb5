"""The forum's multiverse: outcomes of a run and of each of its branches, side by side.

`simsocial branch RUN --at STEP -n K --set llm.temperature=0.8` re-samples every open thread of
a forum run from reply STEP K times (Social Simulacra's Multiverse); each branch is a run
directory under `RUN/branches/` holding the parent's rows up to the fork and its own after, so
its outcomes are read exactly like the parent's. The spread across universes says how much of
a result (the violation rate, thread lengths, new speakers) is the community and how much is the
draw.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from simsocial.analysis import forum_threads as ft
from simsocial.analysis.loader import Run
from simsocial.analysis.tree import branch_label, load_tree

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OUTCOMES = ("threads", "replies", "mean_replies", "thread_length_median", "thread_length_max",
            "new_speaker_share", "same_speaker_twice", "violation_rate", "judged")  # fmt: skip
STRIPS = ("violation_rate", "mean_replies", "new_speaker_share")


def has_branches(run_dir: str | Path) -> bool:
    """Whether the run was branched (a finished branch has a manifest under branches/)."""
    home = Path(run_dir) / "branches"
    return home.is_dir() and any((p / "manifest.json").exists() for p in home.iterdir())


def outcomes(run: Run) -> dict[str, Any]:
    """One universe's outcomes, and its thread lengths as a list."""
    posts = ft.posts_of(run)
    top = ft.threads(posts)
    violations = ft.violation_stats(run)
    return {
        "threads": len(top),
        "replies": int(top["replies"].sum()),
        **ft.length_stats(top["replies"].to_numpy()),
        **ft.speaker_stats(posts),
        "violation_rate": violations["violation_rate"],
        "judged": violations["judged"],
        "thread_lengths": [int(n) for n in top["replies"]],
    }


def spread(run_dir: str | Path) -> pd.DataFrame:
    """One row per universe (run_dir, the parent, first; then every branch below it):
    run_dir, role, label, fork_at, OUTCOMES and thread_lengths."""
    rows = []
    for depth, run in enumerate(load_tree(run_dir)):
        info = (run.manifest.get("branch") or {}) if depth else {}  # the root: this tree's parent
        found = outcomes(run)
        rows.append(
            {
                "run_dir": str(run.run_dir),
                "role": "branch" if depth else "parent",
                "label": branch_label(info) if depth else "parent",
                "fork_at": info.get("at", -1),
                **{key: found[key] for key in OUTCOMES},
                "thread_lengths": found["thread_lengths"],
            }
        )
    return pd.DataFrame(rows)


def spread_figure(run_dir: str | Path) -> Figure | None:
    """Each strip outcome with one point per universe (the parent a black diamond), and the
    thread lengths of every universe as a box; None without branches."""
    from matplotlib.figure import Figure

    from simsocial.analysis.plots import styled

    table = spread(run_dir)
    if not (table["role"] == "branch").any():
        return None
    branches = table[table["role"] == "branch"]
    parent = table[table["role"] == "parent"]
    with styled():
        fig = Figure(figsize=(8.0, 5.6), layout="constrained")
        axes = fig.subplots(2, 2)
        for ax, metric in zip(axes.flat, STRIPS, strict=False):
            values = branches[metric].astype(float)
            jitter = [((i % 7) - 3) * 0.03 for i in range(len(values))]
            ax.scatter(jitter, values, alpha=0.7, label=f"{len(values)} branches")
            ax.scatter([0], parent[metric].astype(float), marker="D", s=60, color="black",
                       label="parent", zorder=3)  # fmt: skip
            ax.set_xlim(-0.5, 0.5)
            ax.set_xticks([])
            ax.set_title(metric)
        axes.flat[0].legend(fontsize=7, loc="best")
        ax = axes.flat[3]
        ax.boxplot(list(table["thread_lengths"]), showmeans=True)
        ax.set_xticks(range(1, len(table) + 1), list(table["label"]), rotation=90, fontsize=6)
        ax.set_ylabel("replies per thread")
        ax.set_title("thread lengths per universe")
        fig.suptitle(
            f"Outcomes across {len(table)} universes (parent and {len(branches)} branches)"
        )
    return fig
