"""Metrics, verdict, tables and figures of the persona fidelity audit (the `survey` kind).

Argyle et al. (2023, "Out of One, Many") ask whether a model conditioned on a person's backstory
answers as that person did. Everything here is read from answers.parquet, so any survey run
directory, finished or not, can be analysed: per item and per subgroup (overall first), accuracy
against the persona's own answer, Cohen's kappa, Cramér's V, Spearman for ordinal items, the
total variation distance to the same personas' true answers, and, when the model gave
probabilities, the Brier score and a reliability curve (`simsocial.analysis.survey_metrics`, all
with seeded percentile bootstrap CIs). Failed asks are counted per group and left out of every
metric: a failure is never an answer.

The verdict names the weakest subgroup: the one (of at least `survey.min_group` answered
personas) whose accuracy falls furthest below the whole sample's, averaged over items, and says
on how many items its interval lies wholly below the overall value. The summary carries per-item
numbers for the built-in items (vote_2020, party_id, ideology) and means over all items; items
of your own are in the per-item tables.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsocial.analysis.loader import Run
from simsocial.analysis.survey_metrics import (
    AGREEMENT,
    Resampling,
    agreement,
    brier_scores,
    calibration_error,
    mean_with_ci,
    reliability,
    spearman,
)
from simsocial.scenarios.survey.items import BUILTIN, Item
from simsocial.scenarios.survey.spec import SurveyParams

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ALL = "all"
METRICS = (*AGREEMENT, "spearman", "brier")
ORDINAL = tuple(name for name, item in BUILTIN.items() if item.scale)
_A = "from answers.parquet"
_PER_ITEM = {
    "accuracy": f"answers equal to the persona's own, over answered asks; 0-1; {_A}",
    "accuracy_ci": f"percentile bootstrap interval of the accuracy (survey.bootstrap); 0-1; {_A}",
    "chance": f"accuracy of a uniform guess, 1/k over the item's k options; 0-1; {_A}",
    "kappa": f"Cohen's kappa: agreement beyond the chance of the two marginals; -1..1; {_A}",
    "kappa_ci": f"percentile bootstrap interval of kappa; -1..1; {_A}",
    "cramers_v": f"Cramér's V between true answers and answers (association); 0-1; {_A}",
    "tvd": "total variation distance between the answers' distribution and the same personas' "
    f"true answers; 0-1; {_A}",
    "spearman": f"rank correlation of scale positions, pairs on the scale only; -1..1; {_A}",
    "brier": "mean over answers of the squared error of the stated probabilities over all "
    f"options (needs log-probabilities); 0-2; {_A}",
}
GLOSSARY = {
    "personas": f"personas asked at least one item (survey.personas); count; {_A}",
    "items": f"survey items asked, one per step; count; {_A}",
    "asked": f"asks made: personas with a true answer, over all items; count; {_A}",
    "answered": f"asks answered with one of the options; count; {_A}",
    "failed": f"asks that failed (no option named, timeout, ...), left out of every metric; count; "
    f"{_A}",
    "failed_by_kind": f"failed asks by error kind; counts; {_A}",
    "no_truth": "persona-item pairs not asked because the persona has no true answer (did not "
    "vote, missing code); count; from events.parquet (item)",
    "with_probabilities": f"answers that came with option probabilities; count; {_A}",
    "accuracy_mean": f"accuracy averaged over items (chance differs by item); 0-1; {_A}",
    "kappa_mean": f"Cohen's kappa averaged over items; -1..1; {_A}",
    "tvd_mean": f"total variation distance averaged over items; 0-1; {_A}",
    "brier_mean": f"Brier score averaged over items, when probabilities exist; 0-2; {_A}",
    "calibration_error": "expected calibration error over all items' (answer, option) "
    f"probabilities in 10 bins; 0-1; {_A}",
    "weakest_subgroup": f"subgroup whose accuracy falls furthest below the whole sample's, mean "
    f"over items, among groups of at least survey.min_group answers; label; {_A}",
    "weakest_gap": f"that mean gap: subgroup accuracy minus overall accuracy; -1..1; {_A}",
    "weakest_below": f"items on which that subgroup's accuracy interval lies wholly below the "
    f"overall accuracy; count; {_A}",
    **{f"{item}_{key}": f"{item}: {line}" for item in BUILTIN for key, line in _PER_ITEM.items()},
}


def settings(run: Run) -> SurveyParams:
    return SurveyParams.model_validate(run.spec["survey"])


def items_of(run: Run) -> dict[str, Item]:
    return {item.name: item for item in settings(run).resolved()}


def answers(run: Run) -> pd.DataFrame:
    """answers.parquet with option indices (`t`, `a`: -1 where failed) and the stated
    probabilities in option order (`p`: an array, None without). Read once per loaded run."""
    cached = vars(run).get("_survey_answers")
    if cached is not None:
        return cached
    frame = run.table("answers")
    if not frame.empty:
        items = items_of(run)
        index = {name: {key: i for i, key in enumerate(it.options)} for name, it in items.items()}
        frame = frame.copy()
        frame["t"] = [index[i][k] for i, k in zip(frame["item"], frame["truth"], strict=True)]
        frame["a"] = [
            index[i].get(k, -1) if isinstance(k, str) else -1
            for i, k in zip(frame["item"], frame["answer"], strict=True)
        ]
        frame["p"] = [
            None if not isinstance(p, str) else np.array([json.loads(p)[k] for k in index[i]])
            for i, p in zip(frame["item"], frame["probabilities"], strict=True)
        ]
    vars(run)["_survey_answers"] = frame
    return frame


def measure(rows: pd.DataFrame, item: Item, how: Resampling, label: str) -> dict[str, Any]:
    """Every metric of one group's rows of one item, with intervals."""
    ok = rows[rows["a"] >= 0]
    out: dict[str, Any] = {
        "n": len(ok),
        "failed": len(rows) - len(ok),
        "chance": 1 / len(item.texts),
    }
    if ok.empty:
        return out
    truth, answer = ok["t"].to_numpy(int), ok["a"].to_numpy(int)
    for name, estimate in agreement(truth, answer, len(item.texts), how, label).items():
        out[name] = estimate
    on_scale = ok.dropna(subset=["truth_rank", "answer_rank"])
    if item.scale and len(on_scale) > 1:
        out["spearman"] = spearman(
            on_scale["truth_rank"].to_numpy(float), on_scale["answer_rank"].to_numpy(float), how,
            label + "|spearman",
        )  # fmt: skip
    probs = probabilities(ok)
    if probs is not None:
        out["brier"] = mean_with_ci(brier_scores(probs, truth), how, label + "|brier")
    return out


def probabilities(ok: pd.DataFrame) -> np.ndarray | None:
    """(n, k) stated probabilities in option order, or None unless every answer has them."""
    if ok.empty or ok["p"].isna().any():
        return None
    return np.stack(ok["p"].to_list())


def audit(run: Run) -> pd.DataFrame:
    """One row per item and group (the whole sample first): n, failed, chance, and each metric
    with `_low` and `_high`. Computed once per loaded run."""
    cached = vars(run).get("_survey_audit")
    if cached is not None:
        return cached
    frame, params = answers(run), settings(run)
    seed = params.bootstrap.seed if params.bootstrap.seed is not None else int(run.spec["seed"])
    how = Resampling(params.bootstrap.resamples, params.bootstrap.confidence, seed)
    records = []
    for name, item in items_of(run).items():
        rows = frame[frame["item"] == name] if not frame.empty else frame
        if rows.empty:
            continue
        groups = [(ALL, ALL, rows)] + [
            (sub, str(value), part)
            for sub in params.subgroups
            for value, part in rows.groupby(sub, sort=True)
        ]
        for sub, value, part in groups:
            measured = measure(part, item, how, f"{name}|{sub}|{value}")
            record: dict[str, Any] = {"item": name, "subgroup": sub, "group": value}
            for key, got in measured.items():
                if hasattr(got, "ci"):
                    record |= {key: got.value, f"{key}_low": got.low, f"{key}_high": got.high}
                else:
                    record[key] = got
            records.append(record)
    result = pd.DataFrame.from_records(records)
    vars(run)["_survey_audit"] = result
    return result


def weakest(table: pd.DataFrame, min_group: int) -> dict[str, Any] | None:
    """The subgroup with the lowest mean accuracy gap to the whole sample (groups of at least
    `min_group` answers), its gap and on how many items its interval lies below overall."""
    if table.empty or "accuracy" not in table:
        return None
    overall = table[table["subgroup"] == ALL].set_index("item")["accuracy"]
    groups = table[(table["subgroup"] != ALL) & (table["n"] >= min_group)].copy()
    if groups.empty:
        return None
    groups["gap"] = groups["accuracy"] - groups["item"].map(overall)
    groups["below"] = groups["accuracy_high"] < groups["item"].map(overall)
    by = groups.groupby(["subgroup", "group"], sort=True).agg(
        gap=("gap", "mean"), below=("below", "sum"), items=("item", "size")
    )
    (sub, value), row = next(iter(by.sort_values("gap", kind="stable").iterrows()))
    return {"label": f"{sub} = {value}", "gap": float(row["gap"]), "below": int(row["below"]),
            "items": int(row["items"])}  # fmt: skip


def summarize(run: Run) -> dict[str, Any]:
    """Counts, means over items, per built-in item metrics, the weakest subgroup, the verdict."""
    frame, table = run.table("answers"), audit(run)
    params = settings(run)
    items = events_counts(run)
    failed = frame[frame["error"].notna()] if not frame.empty else frame
    out: dict[str, Any] = {
        "personas": int(frame["persona"].nunique()) if not frame.empty else 0,
        "items": len(table["item"].unique()) if not table.empty else 0,
        "asked": len(frame),
        "answered": len(frame) - len(failed),
        "failed": len(failed),
        "failed_by_kind": failed["error"].value_counts().sort_index().to_dict()
        if len(failed)
        else {},
        "no_truth": sum(c.get("no_truth", 0) for c in items.values()),
        "with_probabilities": int(frame["probabilities"].notna().sum()) if not frame.empty else 0,
    }
    if table.empty or "accuracy" not in table:
        failures = ", ".join(f"{k}: {v}" for k, v in out["failed_by_kind"].items())
        return out | {"verdict": f"no answers: {out['failed']} asks failed ({failures or 'none'})"}
    overall = table[table["subgroup"] == ALL].set_index("item")
    for key in ("accuracy", "kappa", "tvd", "brier"):
        values = overall[key].dropna() if key in overall else pd.Series(dtype=float)
        out[f"{key}_mean"] = float(values.mean()) if len(values) else None
    curve = pooled_reliability(run)
    out["calibration_error"] = calibration_error(curve) if curve is not None else None
    for item, row in overall.iterrows():
        if item in BUILTIN:
            out |= _item_summary(str(item), row)
    worst = weakest(table, params.min_group)
    if worst is not None:
        out |= {"weakest_subgroup": worst["label"], "weakest_gap": worst["gap"],
                "weakest_below": worst["below"]}  # fmt: skip
    out["verdict"] = verdict(overall, worst, params.min_group, bool(params.subgroups))
    return out


def _item_summary(item: str, row: pd.Series) -> dict[str, Any]:
    out: dict[str, Any] = {f"{item}_chance": float(row["chance"])}
    for key in METRICS:
        if key in row and pd.notna(row[key]):
            out[f"{item}_{key}"] = float(row[key])
            if key in ("accuracy", "kappa"):
                bounds = (row[f"{key}_low"], row[f"{key}_high"])
                out[f"{item}_{key}_ci"] = [round(float(b), 4) for b in bounds]
    return out


def verdict(
    overall: pd.DataFrame, worst: dict[str, Any] | None, min_group: int, grouped: bool
) -> str:
    accuracy = ", ".join(
        f"{item} {row['accuracy']:.2f} (chance {row['chance']:.2f})"
        for item, row in overall.iterrows()
        if pd.notna(row["accuracy"])
    )
    if not grouped:
        return f"accuracy {accuracy}; no subgroups measured (survey.subgroups is empty)"
    if worst is None:
        return f"accuracy {accuracy}; no subgroup has {min_group} answers to name the weakest"
    return (
        f"weakest subgroup: {worst['label']}, accuracy {worst['gap']:+.2f} against all personas "
        f"(mean over {worst['items']} items; interval wholly below on {worst['below']}); "
        f"accuracy {accuracy}"
    )


def events_counts(run: Run) -> dict[str, dict[str, int]]:
    """Per item: asked, answered, failed, no_truth, as the model counted them."""
    done = run.payloads("item")
    if done.empty or "item" not in done:
        return {}
    return {
        str(row["item"]): {
            k: int(v)
            for k, v in row.items()
            if k not in ("item", "step", "agent_id") and pd.notna(v)
        }
        for _, row in done.iterrows()
    }


def reliability_curves(run: Run) -> dict[str, pd.DataFrame]:
    """Per item with probabilities: its reliability curve (survey_metrics.reliability)."""
    frame = answers(run)
    out = {}
    for name in items_of(run):
        ok = frame[(frame["item"] == name) & (frame["a"] >= 0)] if not frame.empty else frame
        probs = probabilities(ok)
        if probs is not None:
            out[name] = reliability(probs, ok["t"].to_numpy(int))
    return out


def pooled_reliability(run: Run) -> pd.DataFrame | None:
    """Every item's (answer, option) pairs in one curve, for the calibration error."""
    curves = reliability_curves(run)
    if not curves:
        return None
    both = pd.concat(curves.values())
    both["wp"], both["wy"] = both["mean_p"] * both["count"], both["frequency"] * both["count"]
    pooled = both.groupby("bin").agg(wp=("wp", "sum"), wy=("wy", "sum"), count=("count", "sum"))
    pooled["mean_p"], pooled["frequency"] = (
        pooled["wp"] / pooled["count"],
        pooled["wy"] / pooled["count"],
    )
    return pooled.reset_index()[["bin", "mean_p", "frequency", "count"]]


def tables(run: Run) -> list[tuple[str, pd.DataFrame]]:
    """One table per item: the whole sample, then every subgroup, each metric with its CI."""
    table = audit(run)
    out = []
    for item, rows in table.groupby("item", sort=False):
        shown = rows[["subgroup", "group", "n", "failed"]].copy()
        for key in METRICS:
            if key in rows and rows[key].notna().any():
                shown[key] = [_with_ci(r, key) for _, r in rows.iterrows()]
        out.append((f"{item}: by subgroup", shown))
    return out


def _with_ci(row: pd.Series, key: str) -> str:
    if pd.isna(row[key]):
        return ""
    if pd.isna(row[f"{key}_low"]):
        return f"{row[key]:.3f}"
    return f"{row[key]:.3f} [{row[f'{key}_low']:.3f}, {row[f'{key}_high']:.3f}]"


def figures(run: Run) -> list[tuple[str, Figure]]:
    """The reliability plot (when probabilities exist) and accuracy by subgroup per item."""
    from simsocial.analysis.survey_plots import reliability_figure, subgroup_figure

    table = audit(run)
    if table.empty or "accuracy" not in table:
        return []
    out = [("accuracy_by_subgroup", subgroup_figure(table))]
    curves = reliability_curves(run)
    if curves:
        out.insert(0, ("reliability", reliability_figure(curves)))
    return out
