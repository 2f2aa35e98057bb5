"""Where a scenario's survey personas come from: the block a scenario kind embeds.

    personas: {anes: data/anes_timeseries_2020_csv_20220210.csv, n: 500, weighted: true}
    personas: {synthetic_anes: {n: 500}}

`simsocial validate` resolves `anes` against the scenario file, reads it (`check_files`, called by
simsocial.spec_content) and reports a missing column, a bad cell or too few eligible respondents
at this block's line; `draw(seed)` gives the personas and how they were drawn for the manifest.
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from simsocial.personas import anes_codes as codes
from simsocial.personas.anes import load_anes
from simsocial.personas.anes_sampler import PersonaSample, eligible, sample
from simsocial.personas.anes_synthetic import synthetic_sample
from simsocial.spec_base import LocatedValueError, StrictModel
from simsocial.spec_models import RELATIVE_PATH
from simsocial.userfiles import UserFileError

Where = tuple[str | int, ...]


class SyntheticAnesSpec(StrictModel):
    """Personas calibrated to the published ANES 2020 marginals (no survey file needed)."""

    n: PositiveInt = Field(..., description="How many synthetic personas.")
    turnout: float = Field(
        1.0,
        gt=0.0,
        le=1.0,
        description=(
            "Share who voted in 2020; the published vote marginal is among voters, so 1 (the "
            "default) makes everyone a voter."
        ),
    )


class PersonaSourceSpec(StrictModel):
    """Survey personas: sampled from the ANES 2020 file, or synthetic (`synthetic_anes`)."""

    anes: str | None = Field(
        None,
        description=(
            "The ANES 2020 Time Series CSV (anes_timeseries_2020_csv_20220210.csv, downloaded "
            "by you from electionstudies.org), relative to the scenario file."
        ),
        json_schema_extra=RELATIVE_PATH,
    )
    n: PositiveInt | None = Field(None, description="anes: how many personas to draw.")
    weighted: bool = Field(
        True, description="anes: draw in proportion to the survey weight V200010b."
    )
    replace: bool = Field(
        True, description="anes: draw with replacement (as published); false: distinct people."
    )
    thermometers: dict[str, str] | None = Field(
        None,
        description=(
            "anes: variable code -> who is rated, replacing the default love/hate thermometers "
            "(simsocial.personas.anes_codes.THERMOMETERS)."
        ),
    )
    extra: dict[str, str] | None = Field(
        None,
        description=(
            "anes: name -> variable code of further coded columns the personas carry as answers "
            "(negative codes missing), e.g. for survey items of your own."
        ),
    )
    synthetic_anes: SyntheticAnesSpec | None = Field(
        None, description="Synthetic personas instead of the file (marked synthetic)."
    )
    seed: NonNegativeInt | None = Field(
        None, description="Seed of the draw; default: the scenario's seed."
    )
    enrich: bool = Field(
        False,
        description=(
            "Ask the model for each persona's occupation, hobbies and a bio of at most 140 "
            "characters (one cached structured call per persona)."
        ),
    )

    @model_validator(mode="after")
    def _one_source(self) -> PersonaSourceSpec:
        """Exactly one of `anes` and `synthetic_anes`; the file's keys only with the file."""
        if (self.anes is None) == (self.synthetic_anes is None):
            raise ValueError("give exactly one of 'anes' (a file) and 'synthetic_anes'")
        problems: list[tuple[Where, str]] = []
        if self.anes is not None and self.n is None:
            problems.append((("n",), "is required with 'anes' (how many personas to draw)"))
        if self.synthetic_anes is not None:
            for key in ("n", "weighted", "replace", "thermometers", "extra"):
                # a value other than the default: a resolved spec (spec.yaml) writes every key
                if getattr(self, key) != type(self).model_fields[key].default:
                    problems.append(((key,), "belongs to 'anes'; synthetic_anes has its own n"))
        clash = sorted(set(self.extra or {}) & {*codes.COLUMNS, *codes.ANSWERS})
        if clash:
            problems.append((("extra",), f"may not reuse the persona field names {clash}"))
        if problems:
            raise LocatedValueError(problems)
        return self

    def check_files(self) -> list[tuple[Where, str]]:
        """Problems in the ANES file, for `simsocial validate` (simsocial.spec_content)."""
        if self.anes is None:
            return []
        try:
            data = load_anes(self.anes, thermometers=self.thermometers, extra=self.extra)
        except UserFileError as exc:
            return [(("anes",), str(exc))]
        pool, excluded = eligible(data, weighted=self.weighted)
        if not pool:
            reasons = ", ".join(f"{k}: {v}" for k, v in excluded.items()) or "no rows"
            return [(("anes",), f"{data.path}: no respondent is eligible ({reasons})")]
        if not self.replace and self.n is not None and self.n > len(pool):
            return [(("n",), f"is {self.n} but only {len(pool)} respondents are eligible")]
        return []

    def draw(self, seed: int) -> PersonaSample:
        """The personas (not yet enriched) and how they were drawn; `seed` unless the block
        names its own."""
        seed = self.seed if self.seed is not None else seed
        if self.synthetic_anes is not None:
            spec = self.synthetic_anes
            return synthetic_sample(spec.n, seed=seed, turnout=spec.turnout)
        assert self.anes is not None and self.n is not None
        data = load_anes(self.anes, thermometers=self.thermometers, extra=self.extra)
        return sample(data, self.n, seed=seed, weighted=self.weighted, replace=self.replace)
