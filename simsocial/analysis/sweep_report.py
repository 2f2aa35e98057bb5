"""The report of a sweep: per-arm means and effects against the baseline, as tables and plots.

`simsocial report SWEEP_DIR` writes SWEEP_DIR/report.html (self-contained, figures embedded) and
SWEEP_DIR/comparisons.parquet (every metric's effects, for notebooks). Which metrics and which
baseline come from the sweep file (`metrics:`, `baseline:`); by default every numeric metric and
the first arm.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from simsocial.analysis.compare import (
    PARAM_PREFIX,
    arm_columns,
    arm_means,
    effects,
    numeric_metrics,
)
from simsocial.store import ENDED, utc_now

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def is_sweep_dir(path: str | Path) -> bool:
    return (Path(path) / "sweep.parquet").exists()


def sweep_summary(sweep_dir: str | Path) -> dict[str, Any]:
    """Per metric: arm means and effects with CIs, as JSON-ready records."""
    table, spec = _load(Path(sweep_dir))
    metrics = _metrics(table, spec)
    baseline = spec.get("baseline")
    return {
        "sweep": spec.get("sweep"),
        "runs": len(table),
        "status": table["status"].value_counts().to_dict(),
        "baseline": baseline,
        "metrics": {
            m: {
                "arms": arm_means(table, m).to_dict("records"),
                "effects": effects(table, m, baseline).to_dict("records"),
            }
            for m in metrics
        },
    }


def write_sweep_report(sweep_dir: str | Path) -> Path:
    import jinja2

    from simsocial.analysis.plots import figure_png

    sweep_dir = Path(sweep_dir)
    table, spec = _load(sweep_dir)
    baseline = spec.get("baseline")
    sections, all_effects = [], []
    for metric in _metrics(table, spec):
        means = arm_means(table, metric)
        effect = effects(table, metric, baseline)
        all_effects.append(effect)
        figures = [means_figure(means, table, metric)]
        if not effect.empty:
            figures.append(effects_figure(effect, metric))
        sections.append(
            {
                "metric": metric,
                "means": _rows(means, ["arm", "n", "mean", "ci_low", "ci_high"]),
                "effects": _rows(
                    effect, ["arm", "baseline", "n_pairs", "effect", "ci_low", "ci_high"]
                ),
                "figures": [base64.b64encode(figure_png(f)).decode("ascii") for f in figures],
            }
        )
    if all_effects and any(not e.empty for e in all_effects):
        pd.concat(all_effects).to_parquet(sweep_dir / "comparisons.parquet", index=False)
    failed = table[~table["status"].isin(ENDED)]
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("simsocial.analysis", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    html = env.get_template("sweep_report.html.j2").render(
        name=spec.get("sweep", sweep_dir.name),
        scenario=spec.get("scenario", ""),
        runs=len(table),
        replicates=spec.get("replicates", ""),
        seed=spec.get("seed", ""),
        baseline=json.dumps(baseline) if baseline else "the first arm",
        status=table["status"].value_counts().to_dict(),
        failed=failed[["run", "status", "error"]].to_dict("records"),
        sections=sections,
        sweep_dir=str(sweep_dir),
        written_at=utc_now(),
    )
    target = sweep_dir / "report.html"
    target.write_text(html, encoding="utf-8")
    return target


def means_figure(means: pd.DataFrame, table: pd.DataFrame, metric: str) -> Figure:
    """Arm means with CI bars: x is the first varied parameter, one line per other arm value."""
    from simsocial.analysis.plots import new_figure, styled

    columns = arm_columns(table)
    x = columns[0]
    hue = [c for c in columns if c != x]
    with styled():
        fig, ax = new_figure()
        groups = means.groupby(hue, sort=False) if hue else [("", means)]
        for key, group in groups:
            label = ", ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
            order = _order(group[x])
            group = group.iloc[order]
            ax.errorbar(
                [str(v) for v in group[x]],
                group["mean"],
                yerr=[group["mean"] - group["ci_low"], group["ci_high"] - group["mean"]],
                marker="o",
                capsize=3,
                label=label or None,
            )
        ax.set_xlabel(x.removeprefix(PARAM_PREFIX))
        ax.set_ylabel(f"{metric} (mean, 95% bootstrap CI)")
        if hue:
            ax.legend(title=", ".join(h.removeprefix(PARAM_PREFIX) for h in hue), fontsize=8)
    return fig


def effects_figure(effect: pd.DataFrame, metric: str) -> Figure:
    from simsocial.analysis.plots import new_figure, styled

    with styled():
        fig, ax = new_figure(height=max(2.5, 0.35 * len(effect) + 1))
        y = range(len(effect))
        ax.errorbar(
            effect["effect"],
            list(y),
            xerr=[effect["effect"] - effect["ci_low"], effect["ci_high"] - effect["effect"]],
            fmt="o",
            capsize=3,
        )
        ax.axvline(0, color="#888", lw=1)
        ax.set_yticks(list(y), effect["arm"], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel(f"effect on {metric} vs baseline\n(paired differences, 95% bootstrap CI)")
    return fig


def _order(values: pd.Series) -> list[int]:
    try:
        return list(pd.to_numeric(values).argsort(kind="stable"))
    except (ValueError, TypeError):
        return list(range(len(values)))


def _load(sweep_dir: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    spec_path = sweep_dir / "sweep.json"
    spec = json.loads(spec_path.read_text()) if spec_path.exists() else {}
    return table, spec


def _metrics(table: pd.DataFrame, spec: dict[str, Any]) -> list[str]:
    available = numeric_metrics(table)
    wanted = spec.get("metrics") or available
    return [m for m in wanted if m in available]


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[list[str]]:
    from simsocial.analysis.report import show_value

    if frame.empty:
        return []
    return [[show_value(row[c]) for c in columns] for _, row in frame.iterrows()]
