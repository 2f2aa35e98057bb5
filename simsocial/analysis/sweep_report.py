"""The report of a sweep: per-arm means and effects against the baseline, as tables and plots.

`simsocial report SWEEP_DIR` writes SWEEP_DIR/report.html (self-contained, figures embedded) and
SWEEP_DIR/comparisons.parquet (every metric's effects, for notebooks). Which metrics, which
baseline and how many pairs a significance flag needs come from the sweep file (`metrics:`,
`baseline:`, `min_pairs:`) or the call; by default the kind's outcomes plus the scenario's own
metrics (simsocial.analysis.outcomes), the first arm and `MIN_PAIRS`. Each arm's replicate values
are shown beside its mean (a list in the table, points in the figure): with a handful of
replicates the values say more than an interval does.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from simsocial.analysis.compare import MIN_PAIRS, PARAM_PREFIX, arm_columns, arm_means, effects
from simsocial.analysis.outcomes import Selection, select_metrics, sweep_kind
from simsocial.store import ENDED, utc_now

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def is_sweep_dir(path: str | Path) -> bool:
    return (Path(path) / "sweep.parquet").exists()


def sweep_summary(
    sweep_dir: str | Path, metrics: list[str] | None = None, min_pairs: int | None = None
) -> dict[str, Any]:
    """Per metric: arm means (with replicate values) and effects with CIs, as JSON-ready
    records; `metrics` and `min_pairs` override the sweep file's."""
    sweep_dir = Path(sweep_dir)
    table, spec = _load(sweep_dir)
    selection = _selection(sweep_dir, table, spec, metrics)
    pairs = _min_pairs(spec, min_pairs)
    baseline = spec.get("baseline")
    return {
        "sweep": spec.get("sweep"),
        "runs": len(table),
        "status": table["status"].value_counts().to_dict(),
        "baseline": baseline,
        "min_pairs": pairs,
        "metrics_from": selection.source,
        "constant": selection.constant,
        "missing": selection.missing,
        "metrics": {
            m: {
                "arms": arm_means(table, m).to_dict("records"),
                "effects": effects(table, m, baseline, min_pairs=pairs).to_dict("records"),
            }
            for m in selection.compared
        },
    }


def write_sweep_report(
    sweep_dir: str | Path, metrics: list[str] | None = None, min_pairs: int | None = None
) -> Path:
    """Write report.html and comparisons.parquet; `metrics` and `min_pairs` override the
    sweep file's."""
    import jinja2

    from simsocial.analysis.plots import figure_png

    sweep_dir = Path(sweep_dir)
    table, spec = _load(sweep_dir)
    selection = _selection(sweep_dir, table, spec, metrics)
    pairs = _min_pairs(spec, min_pairs)
    baseline = spec.get("baseline")
    sections, all_effects = [], []
    for metric in selection.compared:
        means = arm_means(table, metric)
        effect = effects(table, metric, baseline, min_pairs=pairs)
        all_effects.append(effect)
        figures = [means_figure(means, table, metric)]
        if not effect.empty:
            figures.append(effects_figure(effect, metric))
        sections.append(
            {
                "metric": metric,
                "means": _rows(means, ["arm", "n", "mean", "ci_low", "ci_high", "values"]),
                "effects": _effect_rows(effect),
                "figures": [base64.b64encode(figure_png(f)).decode("ascii") for f in figures],
            }
        )
    if all_effects and any(not e.empty for e in all_effects):
        pd.concat(all_effects).to_parquet(sweep_dir / "comparisons.parquet", index=False)
    failed = table[~table["status"].isin(ENDED)]
    kind_tables = _kind_tables(sweep_dir, table)
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
        min_pairs=pairs,
        selection=selection,
        status=table["status"].value_counts().to_dict(),
        failed=failed[["run", "status", "error"]].to_dict("records"),
        sections=sections,
        kind_tables=kind_tables,
        sweep_dir=str(sweep_dir),
        written_at=utc_now(),
    )
    target = sweep_dir / "report.html"
    target.write_text(html, encoding="utf-8")
    return target


def _kind_tables(sweep_dir: Path, table: pd.DataFrame) -> list[dict[str, Any]]:
    """The kind's own sweep tables (its analysis module's optional `sweep_tables(sweep_dir)`,
    e.g. the feed's per-ranker table), as titles, column names and rows of shown values."""
    from simsocial.analysis.report import show_value
    from simsocial.scenarios import KINDS

    kind, _ = sweep_kind(sweep_dir, table)
    if kind not in KINDS:
        return []
    make = getattr(KINDS[kind].load("analysis"), "sweep_tables", None)
    if make is None:
        return []
    return [
        {"title": title, "columns": list(frame.columns),
         "rows": [[show_value(v) for v in row] for row in frame.itertuples(index=False)]}
        for title, frame in make(sweep_dir)
    ]  # fmt: skip


def means_figure(means: pd.DataFrame, table: pd.DataFrame, metric: str) -> Figure:
    """Arm means with CI bars and every replicate as a point beside its mean: x is the first
    varied parameter, one line per other arm value (lines nudged apart so points stay apart)."""
    from simsocial.analysis.plots import new_figure, styled

    columns = arm_columns(table)
    x = columns[0]
    hue = [c for c in columns if c != x]
    levels = means[x].drop_duplicates()
    ticks = [str(v) for v in levels.iloc[_order(levels)]]
    with styled():
        fig, ax = new_figure()
        groups = list(means.groupby(hue, sort=False)) if hue else [("", means)]
        width = 0.3 / max(1, len(groups))
        for index, (key, group) in enumerate(groups):
            label = ", ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
            group = group.iloc[_order(group[x])]
            shift = (index - (len(groups) - 1) / 2) * width
            where = [ticks.index(str(v)) + shift for v in group[x]]
            line = ax.errorbar(
                where,
                group["mean"],
                yerr=[group["mean"] - group["ci_low"], group["ci_high"] - group["mean"]],
                marker="o",
                capsize=3,
                label=label or None,
            )
            if "values" in group:
                for at, values in zip(where, group["values"], strict=True):
                    ax.plot(
                        [at + width / 3] * len(values),
                        values,
                        linestyle="none",
                        marker=".",
                        alpha=0.5,
                        color=line.lines[0].get_color(),
                    )
        ax.set_xticks(range(len(ticks)), ticks)
        ax.set_xlabel(x.removeprefix(PARAM_PREFIX))
        ax.set_ylabel(f"{metric} (mean, 95% bootstrap CI;\ndots: replicates)")
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


def _selection(
    sweep_dir: Path, table: pd.DataFrame, spec: dict[str, Any], metrics: list[str] | None
) -> Selection:
    kind, custom = sweep_kind(sweep_dir, table)
    return select_metrics(table, metrics or spec.get("metrics"), kind, custom)


def _min_pairs(spec: dict[str, Any], given: int | None) -> int:
    """The call's value, else the sweep file's, else MIN_PAIRS (the report states which)."""
    if given is not None:
        return given
    return spec.get("min_pairs") or MIN_PAIRS


def _effect_rows(effect: pd.DataFrame) -> list[list[str]]:
    """Effect table rows; `significant` reads yes/no, or the warning when there are too few
    pairs for a claim either way."""
    rows = _rows(effect, ["arm", "baseline", "n_pairs", "effect", "ci_low", "ci_high"])
    if effect.empty:
        return rows
    flags = [
        warning if flag is None else ("yes" if flag else "no")
        for flag, warning in zip(effect["significant"], effect["warning"], strict=True)
    ]
    return [[*row, flag] for row, flag in zip(rows, flags, strict=True)]


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[list[str]]:
    from simsocial.analysis.report import show_value

    if frame.empty:
        return []
    return [
        [
            ", ".join(show_value(v) for v in row[c])  # replicate values, compactly
            if isinstance(row[c], list | tuple)
            else show_value(row[c])
            for c in columns
        ]
        for _, row in frame.iterrows()
    ]
