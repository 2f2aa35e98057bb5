"""Report of the generative-media feedback loop: per-generation measures, the verdict, image
grids and trend figures.

Every measure is taken through the classifier trained on the generated dataset (labels with
confidences, penultimate features). How to read the report: `taste_share` rising means the
audience's likes pulled the model towards its tastes (`drift` is the change since generation
0); `diversity` falling below generation 0's interval means the loop narrowed what gets made
(collapse); `fidelity` says whether images still show what their prompt names; and
`feature_distance` how far the whole distribution moved from generation 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simsocial.analysis.loader import Run
from simsocial.media.config import ImageLora
from simsocial.media.dataset import SLOTS
from simsocial.media.metrics import diversity, resampling_null

if TYPE_CHECKING:
    from matplotlib.figure import Figure

GRID_COLUMNS = 16
MEASURES = ("diversity", "fidelity", "taste_share", "feature_distance", "like_rate")

GLOSSARY: dict[str, str] = {
    "generations": "generations rendered (steps); model.parquet",
    "images": "images rendered in all generations; media.parquet",
    "diversity_first": (
        "generation 0's diversity: mean over shape, colour, background and size of the label "
        "entropy divided by its maximum (1 = every value equally common); classifier labels"
    ),
    "diversity_ci_first": "basic bootstrap 95% interval of generation 0's diversity (images)",
    "diversity_last": "the last generation's diversity",
    "diversity_within_ci": "whether the last generation's diversity lies in generation 0's CI",
    "taste_first": (
        "generation 0's taste share: mean over viewers of the share of images showing an "
        "attribute their stated taste names"
    ),
    "taste_last": "the last generation's taste share",
    "drift": "taste share, last generation minus generation 0 (towards the audience's tastes)",
    "fidelity_last": "share of the last generation's images whose labels match their prompt",
    "feature_distance_last": (
        "Fréchet distance between the classifier features of the last generation and "
        "generation 0 (FID formula; 0 = the same distribution)"
    ),
    "like_rate_mean": "likes per (viewer, image) over all generations",
    "adapters": "LoRA adapters trained (events.parquet, kind adapter)",
    "diversity_null_last": (
        "95% interval of the last generation's diversity if the adapter had learned exactly the "
        "images it was trained on (resampled from them, and from the whole generation at the "
        "LoRA's prior_share): the drift that resampling alone explains"
    ),
    "diversity_within_null": (
        "whether no adapted generation's diversity falls below its resampling interval: true "
        "means the loop narrowed no more than learning from the chosen few must (above it: the "
        "adapter kept more of the base model than a perfect learner would)"
    ),
}


def generations(run: Run) -> pd.DataFrame:
    """One row per generation: the model.parquet measures."""
    frame = run.model
    if frame.empty:
        return frame
    keep = [c for c in frame.columns if c == "generation" or c in MEASURES or c.startswith(
        ("share_", "diversity_", "drift", "trained_on", "likes", "images"))]  # fmt: skip
    return frame[keep].reset_index(drop=True)


def resampling_intervals(run: Run) -> pd.DataFrame:
    """Per adapted generation: its diversity, the interval a perfect learner of the previous
    generation's trained-on images would give it (`metrics.resampling_null`), and `within`:
    not below that interval (an imperfect learner keeps more diversity, never less). A
    generation whose parent had no trained-on images has no null: NaN bounds, `within` None."""
    media = run.table("media")
    prior = ImageLora.model_validate(run.spec.get("media", {}).get("lora", {})).prior_share
    rows = []
    for generation in sorted(media["step"].unique())[1:]:
        previous = media[media["step"] == generation - 1].reset_index(drop=True)
        labels = previous[list(SLOTS)].to_dict("records")
        chosen = previous.index[previous["trained_on"]].tolist()
        now = media[media["step"] == generation]
        low, high = resampling_null(labels, chosen, len(now), prior, seed=int(generation))
        value = diversity(now[list(SLOTS)].to_dict("records"))
        within = None if np.isnan(low) else bool(value >= low)
        rows.append({"generation": int(generation), "diversity": value, "null_lo": low,
                     "null_hi": high, "within": within})  # fmt: skip
    return pd.DataFrame(rows, columns=["generation", "diversity", "null_lo", "null_hi", "within"])


def summarize(run: Run) -> dict[str, Any]:
    table = generations(run)
    if table.empty:
        return {"verdict": "no generation was completed"}
    first, last = table.iloc[0], table.iloc[-1]
    low, high = float(first["diversity_lo"]), float(first["diversity_hi"])
    within = bool(low <= float(last["diversity"]) <= high)
    adapters = run.events[run.events["kind"] == "adapter"] if not run.events.empty else []
    out: dict[str, Any] = {
        "generations": len(table),
        "images": int(table["images"].sum()),
        "diversity_first": round(float(first["diversity"]), 4),
        "diversity_ci_first": [round(low, 4), round(high, 4)],
        "diversity_last": round(float(last["diversity"]), 4),
        "diversity_within_ci": within,
        "taste_first": round(float(first["taste_share"]), 4),
        "taste_last": round(float(last["taste_share"]), 4),
        "drift": round(float(last["taste_share"] - first["taste_share"]), 4),
        "fidelity_last": round(float(last["fidelity"]), 4),
        "feature_distance_last": round(float(last["feature_distance"]), 4),
        "like_rate_mean": round(float(table["like_rate"].mean()), 4),
        "adapters": len(adapters),
    }
    null = resampling_intervals(run).dropna().astype({"within": bool})
    if not null.empty:
        out["diversity_null_last"] = [round(null["null_lo"].iloc[-1], 4),
                                      round(null["null_hi"].iloc[-1], 4)]  # fmt: skip
        out["diversity_within_null"] = bool(null["within"].all())
    collapse = "within" if within else ("below" if last["diversity"] < low else "above")
    out["verdict"] = (
        f"over {len(table)} generations the taste share went from {out['taste_first']:.2f} to "
        f"{out['taste_last']:.2f} (drift {out['drift']:+.2f}); diversity "
        f"{out['diversity_last']:.2f} is {collapse} generation 0's 95% interval "
        f"[{low:.2f}, {high:.2f}]; prompt fidelity {out['fidelity_last']:.2f}"
    )
    if "diversity_within_null" in out:
        outside = null.loc[~null["within"], "generation"].tolist()
        out["verdict"] += (
            "; no adapted generation narrower than resampling its trained-on images explains"
            if not outside
            else f"; diversity below what resampling explains at generation(s) {outside}"
        )
    return out


def tables(run: Run) -> list[tuple[str, pd.DataFrame]]:
    table = generations(run)
    return [("Per generation", table.round(4))] if not table.empty else []


def grid(run: Run, per_generation: int = GRID_COLUMNS) -> tuple[np.ndarray, list[int]] | None:
    """A mosaic (uint8) of the first images of every generation, one row per generation,
    read from the run's media/ PNG files; None when there are none."""
    from simsocial.media.cache import read_png

    media = run.table("media")
    if media.empty:
        return None
    rows, steps = [], []
    for step, group in media.groupby("step", sort=True):
        tiles = []
        for file in group.sort_values("media_id")["file"].head(per_generation):
            path = run.run_dir / file
            tiles.append(read_png(path) if path.exists() else None)
        size = next((t.shape for t in tiles if t is not None), None)
        if size is None:
            continue
        blank = np.full(size, 128, np.uint8)
        tiles = [t if t is not None else blank for t in tiles]
        tiles += [blank] * (per_generation - len(tiles))
        padded = [np.pad(t, ((1, 1), (1, 1), (0, 0)), constant_values=255) for t in tiles]
        rows.append(np.concatenate(padded, axis=1))
        steps.append(int(step))
    return (np.concatenate(rows, axis=0), steps) if rows else None


def figures(run: Run) -> list[tuple[str, Figure]]:
    import matplotlib.pyplot as plt

    found: list[tuple[str, Figure]] = []
    mosaic = grid(run)
    if mosaic is not None:
        pixels, steps = mosaic
        fig, ax = plt.subplots(figsize=(10, 0.75 * len(steps) + 0.6))
        ax.imshow(pixels, interpolation="nearest")
        height = pixels.shape[0] / len(steps)
        ax.set_yticks([(i + 0.5) * height for i in range(len(steps))], [f"gen {s}" for s in steps])
        ax.set_xticks([])
        ax.set_title("First images of each generation")
        found.append(("media_grid", fig))
    table = generations(run)
    if not table.empty:
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        x = table["generation"]
        for name in ("diversity", "fidelity", "taste_share"):
            left.plot(x, table[name], marker="o", label=name)
        left.axhspan(table["diversity_lo"].iloc[0], table["diversity_hi"].iloc[0], alpha=0.15,
                     label="gen 0 diversity 95% CI")  # fmt: skip
        left.set_xlabel("generation")
        left.set_xticks(x)
        left.set_ylim(-0.02, 1.02)
        left.legend(fontsize=8)
        shares = [c for c in table.columns if c.startswith("share_")]
        bottom = np.zeros(len(table))
        for column in shares:
            colour = column.removeprefix("share_")
            right.bar(x, table[column], bottom=bottom, color=colour, label=colour)
            bottom += table[column].to_numpy()
        right.set_xlabel("generation")
        right.set_xticks(x)
        right.set_ylabel("share of images (classifier's colour)")
        right.legend(fontsize=8)
        fig.tight_layout()
        found.append(("media_trends", fig))
    return found
