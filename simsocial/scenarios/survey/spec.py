"""The `survey:` block: whose answers are audited, which items, what the persona shows, how."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from simsocial.personas import anes_codes as codes
from simsocial.personas.anes_spec import PersonaSourceSpec
from simsocial.personas.anes_synthetic import NOT_SIMULATED
from simsocial.personas.anes_text import DEMOGRAPHICS, PARTS
from simsocial.scenarios.survey.items import BUILTIN, Item, custom_item
from simsocial.spec_models import LocatedValueError, ScenarioSpec, StrictModel
from simsocial.vocabulary import Population, Vocabulary

Where = tuple[str | int, ...]
# the ablation levels of what a persona shows: demographics only, plus party, plus love/hate
SHOW = {
    "demographics": DEMOGRAPHICS,
    "party": (*DEMOGRAPHICS, "party"),
    "lists": (*DEMOGRAPHICS, "party", "love", "hate"),
}
SUBGROUPS = ("age_group", "education", "race", "party", "gender")
# what `when:` conditions read: the last item's counts and accuracy, and the progress
METRICS = frozenset({"step", "accuracy", "asked", "answered", "failed", "personas", "items_done"})
Builtin = Literal["vote_2020", "party_id", "ideology"]


class ItemSpec(StrictModel):
    """A survey item of your own: a coded column the personas carry, asked as a question."""

    name: str = Field(..., pattern=r"^[a-z][a-z0-9_]*$", description="The item's name.")
    field: str | None = Field(
        None,
        description=(
            "The persona's answer: a field of simsocial.personas.anes_codes.ANSWERS or a column "
            "mapped in `personas.extra` (default: the item's name)."
        ),
    )
    question: str = Field(..., min_length=1, description="Asked as written, in second person.")
    options: dict[int, str] = Field(
        ...,
        min_length=2,
        description="Code -> answer wording, in scale order; a persona whose code is not here "
        "is not asked (counted as no_truth).",
    )
    ordinal: bool = Field(False, description="The options form a scale (Spearman is measured).")
    off_scale: list[int] = Field(
        default_factory=list, description="Ordinal items: codes outside the scale (don't know)."
    )

    def item(self) -> Item:
        return custom_item(
            self.name,
            self.field or self.name,
            self.question,
            self.options,
            self.ordinal,
            self.off_scale,
        )


class BootstrapSpec(StrictModel):
    """Percentile bootstrap intervals (scipy.stats.bootstrap) of every metric."""

    resamples: int = Field(2000, ge=100, le=100_000, description="Resamples per interval.")
    confidence: float = Field(0.95, gt=0.5, lt=1.0, description="Confidence level.")
    seed: NonNegativeInt | None = Field(None, description="Seed; default: the scenario's seed.")


class SurveyParams(StrictModel):
    """A persona fidelity audit (Argyle et al. 2023): personas answer items they truly answered."""

    personas: PersonaSourceSpec = Field(
        ..., description="Who is asked: ANES respondents or synthetic ones (not enriched)."
    )
    items: list[Builtin | ItemSpec] = Field(
        default_factory=lambda: ["vote_2020", "party_id", "ideology"],
        min_length=1,
        description="Asked in this order, one per step: built-in names or items of your own.",
    )
    show: Literal["demographics", "party", "lists"] | list[str] = Field(
        "lists",
        description=(
            "What the persona says about itself: demographics; plus party (the thermometer "
            "partisanship); lists (plus the love/hate lists); or a list of "
            "simsocial.personas.anes_text.PARTS. The item asked is always left out."
        ),
    )
    person: Literal["second", "first"] = Field(
        "second",
        description='The prompt form: a second-person description ("You are ...") or a '
        'first-person backstory ("I am ...").',
    )
    oracle: bool = Field(
        False,
        description=(
            "State the persona's own answer in its description: the ceiling condition, and what "
            "the scripted twin (scripted/survey) needs to know the truth. Off for an audit."
        ),
    )
    subgroups: list[Literal["age_group", "education", "race", "party", "gender"]] = Field(
        default_factory=lambda: ["age_group", "education", "race", "party"],
        description="Breakdowns of every metric; party is the thermometer partisanship's sign.",
    )
    min_group: PositiveInt = Field(
        20, description="Fewest answered personas for a subgroup to be named weakest."
    )
    bootstrap: BootstrapSpec = Field(default_factory=BootstrapSpec)

    @field_validator("show")
    @classmethod
    def _known_parts(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list):
            unknown = sorted(set(value) - set(PARTS))
            if unknown:
                raise ValueError(f"unknown persona parts {unknown}; known: {list(PARTS)}")
            enriched = sorted(set(value) & {"occupation", "hobbies"})
            if enriched:
                raise ValueError(f"{enriched}: audit personas are not enriched")
        return value

    @model_validator(mode="after")
    def _items_fit_personas(self) -> SurveyParams:
        problems: list[tuple[Where, str]] = []
        if self.personas.enrich:
            problems.append(
                (("personas", "enrich"), "must be false: the enrichment prompt shows the vote "
                 "and ideology, so an enriched persona would leak the answers audited")
            )  # fmt: skip
        names: set[str] = set()
        mapped = set(self.personas.extra or {})
        synthetic = self.personas.synthetic_anes is not None
        for i, entry in enumerate(self.items):
            item = self.item(entry)
            if item.name in names:
                problems.append((("items", i), f"item {item.name!r} is asked twice"))
            names.add(item.name)
            if isinstance(entry, str):
                continue
            if item.field not in codes.ANSWERS and item.field not in mapped:
                problems.append(
                    (("items", i, "field"), f"{item.field!r} is neither a persona answer "
                     f"({', '.join(codes.ANSWERS)}) nor mapped in personas.extra")
                )  # fmt: skip
            elif synthetic and item.field in NOT_SIMULATED:
                problems.append(
                    (("items", i, "field"), f"synthetic personas do not simulate {item.field}")
                )
        if problems:
            raise LocatedValueError(problems)
        return self

    @staticmethod
    def item(entry: str | ItemSpec) -> Item:
        return BUILTIN[entry] if isinstance(entry, str) else entry.item()

    def resolved(self) -> list[Item]:
        return [self.item(entry) for entry in self.items]

    def parts(self) -> tuple[str, ...]:
        return SHOW[self.show] if isinstance(self.show, str) else tuple(self.show)


class SurveySpec(ScenarioSpec):
    POPULATION_KEYS: ClassVar[tuple[str, ...]] = (*ScenarioSpec.POPULATION_KEYS, "survey.personas")

    kind: Literal["survey"] = "survey"
    survey: SurveyParams = Field(..., description="The audit: personas, items, prompt form.")

    @model_validator(mode="after")
    def _a_step_per_item(self) -> SurveySpec:
        """One step asks one item of every persona, so `steps` must cover the items."""
        if self.steps < len(self.survey.items):
            raise LocatedValueError(
                [(("steps",), f"is {self.steps} but the audit asks {len(self.survey.items)} "
                  "items, one per step")]
            )  # fmt: skip
        return self

    def vocabulary(self, population: Population) -> Vocabulary:
        return Vocabulary(
            "survey",
            metrics=METRICS,
            note="survey personas are respondents, not agents: nothing for interventions to act on",
        )
