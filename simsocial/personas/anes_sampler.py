"""Drawing N survey personas from a loaded ANES file, reproducibly, and saying how.

Weighted by default: a respondent's chance is proportional to the full-sample post-election
weight V200010b, so the sample stands for the population the survey weights describe, not for
who happened to answer. With replacement by default, as in the published code (Törnberg et al.
2023): each draw is independent, which is what makes weighted marginals hold in expectation; a
respondent drawn twice appears twice (the manifest counts distinct respondents). Respondents
lacking a required field (default: partisanship and age, the published filter) or, when
weighted, a positive weight are excluded and counted by reason.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from simsocial.errors import SimsocialError
from simsocial.personas import anes_codes as codes
from simsocial.personas.anes import AnesFile
from simsocial.personas.respondent import Respondent

REQUIRED = ("partisanship", "age")


class SampleError(SimsocialError):
    """The sample cannot be drawn as asked (too few eligible respondents)."""


@dataclass(frozen=True)
class PersonaSample:
    """The personas in draw order and how they were drawn (`how`: for the run manifest)."""

    personas: list[Respondent]
    how: dict[str, Any]


def eligible(
    data: AnesFile, *, weighted: bool, require: Sequence[str] = REQUIRED
) -> tuple[list[Respondent], dict[str, int]]:
    """The respondents a sample may draw, and how many were excluded for each reason."""
    unknown = [name for name in require if name != "partisanship" and name not in codes.ANSWERS]
    if unknown:
        raise ValueError(f"require names unknown fields {unknown}; known: {codes.ANSWERS}")
    kept: list[Respondent] = []
    excluded: Counter[str] = Counter()
    for r in data.respondents:
        lacking = [name for name in require if _value(r, name) is None]
        if lacking:
            excluded[f"missing {lacking[0]}"] += 1
        elif weighted and not (r.weight is not None and r.weight > 0):
            excluded["no positive weight"] += 1
        else:
            kept.append(r)
    return kept, dict(sorted(excluded.items()))


def sample(
    data: AnesFile,
    n: int,
    *,
    seed: int,
    weighted: bool = True,
    replace: bool = True,
    require: Sequence[str] = REQUIRED,
) -> PersonaSample:
    """`n` personas drawn from `data` with `np.random.default_rng(seed)`."""
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    pool, excluded = eligible(data, weighted=weighted, require=require)
    if not pool:
        raise SampleError(f"{data.path}: no respondent is eligible ({_reasons(excluded)})")
    if not replace and n > len(pool):
        raise SampleError(
            f"{data.path}: {n} personas without replacement, but only {len(pool)} respondents "
            f"are eligible ({_reasons(excluded)})"
        )
    rng = np.random.default_rng(seed)
    p = None
    if weighted:
        weights = np.array([r.weight for r in pool], dtype=float)
        p = weights / weights.sum()
    picked = rng.choice(len(pool), size=n, replace=replace, p=p)
    personas = [pool[int(i)] for i in picked]
    how = {
        **_file_part(data),
        "n": n,
        "seed": seed,
        "weighted": weighted,
        "weight_column": codes.COLUMNS["weight"] if weighted else None,
        "replace": replace,
        "require": list(require),
        "population": len(data.respondents),
        "eligible": len(pool),
        "excluded": excluded,
        "distinct_respondents": len({r.id for r in personas}),
    }
    return PersonaSample(personas, how)


def _value(r: Respondent, name: str) -> Any:
    return r.partisanship if name == "partisanship" else r.answers[name]


def _reasons(excluded: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in excluded.items()) or "the file has no rows"


def _file_part(data: AnesFile) -> dict[str, Any]:
    manifest = data.manifest()
    return {k: manifest[k] for k in ("source", "file", "sha256", "encoding")} | {
        "missing": manifest["missing"]
    }
