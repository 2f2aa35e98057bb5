"""A run and its branches as one tree: trajectories of a metric and their fan.

Branches (see simsocial.branching) live under `<run>/branches/`; each may be branched again, so
the tree is walked recursively. The parent's own rows are the trunk; every branch repeats them up
to its fork point, so the fan is drawn from the fork onwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from simsocial.analysis.loader import Run, load_run

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def load_tree(run_dir: str | Path) -> list[Run]:
    """The run first, then every branch below it (depth first, in directory order)."""
    root = load_run(run_dir)
    runs = [root]
    home = root.run_dir / "branches"
    if home.is_dir():
        for child in sorted(p for p in home.iterdir() if (p / "manifest.json").exists()):
            runs.extend(load_tree(child))
    return runs


def trajectory_metric(run: Run) -> str | None:
    """The kind's declared trajectory (`ScenarioKind.trajectory`), else, for a run of a kind
    this process does not know, the first numeric model column."""
    from simsocial.scenarios import KINDS

    kind = KINDS.get(run.kind)
    preferred = kind.trajectory if kind is not None else None
    if preferred and preferred in run.model.columns:
        return str(preferred)
    numeric = [
        c for c in run.model.select_dtypes("number").columns if c not in ("step", "agent_id")
    ]
    return numeric[0] if numeric else None


def branch_label(info: dict[str, Any]) -> str:
    """`at 5 #1 seed 812` or `at 5 #0 opinion.x=1`: where a branch forked and what differs."""
    head = f"at {info.get('at')} #{info.get('index')}"
    overrides = info.get("overrides")
    if isinstance(overrides, dict) and overrides:
        return f"{head} " + ", ".join(f"{k}={v}" for k, v in overrides.items())
    if isinstance(overrides, list) and overrides:
        return f"{head} " + ", ".join(map(str, overrides))
    return f"{head} seed {info.get('seed')}"


def trajectories(run_dir: str | Path, metric: str | None = None) -> pd.DataFrame:
    """Long table: run_dir, role (parent/branch), label, fork step, step, value of `metric`."""
    runs = load_tree(run_dir)
    metric = metric or trajectory_metric(runs[0])
    frames = []
    for run in runs:
        if metric is None or metric not in run.model.columns:
            continue
        info = run.manifest.get("branch") or {}
        frame = run.model[["step", metric]].rename(columns={metric: "value"})
        frame.insert(0, "fork_at", info.get("at", -1))
        frame.insert(0, "label", branch_label(info) if info else "parent")
        frame.insert(0, "role", "branch" if info else "parent")
        frame.insert(0, "run_dir", str(run.run_dir))
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["run_dir", "role", "label", "fork_at", "step", "value"])
    table = pd.concat(frames, ignore_index=True)
    table.attrs["metric"] = metric
    return table


def fan_figure(run_dir: str | Path, metric: str | None = None) -> Figure | None:
    """The parent's trajectory in bold, each branch from its fork point on and labelled (fork
    step, index, seed or overrides), forks and the parent's interventions marked."""
    from simsocial.analysis.plots import mark_interventions, new_figure, styled
    from simsocial.analysis.setting import marks

    table = trajectories(run_dir, metric)
    if table.empty or not (table["role"] == "branch").any():
        return None
    with styled():
        fig, ax = new_figure()
        for _, group in table.groupby("run_dir", sort=False):
            fork = int(group["fork_at"].iloc[0])
            if group["role"].iloc[0] == "parent":
                ax.plot(group["step"], group["value"], color="black", lw=2.2, label="parent")
            else:
                tail = group[group["step"] >= fork - 1]
                ax.plot(tail["step"], tail["value"], lw=1, alpha=0.7, label=group["label"].iloc[0])
        for fork in sorted(set(table.loc[table["role"] == "branch", "fork_at"])):
            ax.axvline(fork - 0.5, color="#888", ls="--", lw=1)
        # a row of step s is written after step s; an intervention fires before it
        mark_interventions(ax, [(s - 0.5, label) for s, label in marks(load_run(run_dir))])
        n = table.loc[table["role"] == "branch", "run_dir"].nunique()
        ax.set_title(f"{n} branches (dashed: fork points)")
        ax.set_xlabel("step")
        ax.set_ylabel(str(table.attrs.get("metric", "value")))
        ax.legend(loc="best", fontsize=7, ncol=2 if n > 6 else 1)
    return fig
