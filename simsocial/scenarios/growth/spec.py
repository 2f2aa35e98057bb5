"""The `growth:` block: network size, links per arrival, what candidates show, naming, fallback."""

from __future__ import annotations

import math
from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from simsocial.limits import agents_problem, prompt_items_problem, within
from simsocial.spec_models import LocatedValueError, ScenarioSpec, StrictModel
from simsocial.vocabulary import Population, Vocabulary

# What conditions can read: model.parquet columns (how picks were made and why they failed),
# summary values and step.
METRICS = frozenset(
    {"nodes", "edges", "max_degree", "llm", "retry", "fallback", "fallbacks"}
    | {"invalid", "duplicate", "self", "error", "step"}
)

# The shared instructions come first and the newcomer's name last, so a local model can reuse
# the evaluated prefix across calls.
DEFAULT_TEMPLATE = (
    "A new user is joining a social network. Below is the list of users already on the network."
    "\n{candidates}\n"
    "You are the new user, {name}. Choose one user you want to follow. "
    "Reply only with their name between square brackets."
)

REPAIR_NOTE = (
    "\n\nYour previous reply {reply!r} was not accepted: {reason}. "
    "Reply with exactly one name from the list, between square brackets."
)


class CandidatesSpec(StrictModel):
    """What an arriving node is shown."""

    max_shown: PositiveInt = Field(
        30,
        description=(
            "K: all existing nodes are shown while there are at most K; beyond that a sample of K "
            "is drawn once per arriving node (recorded as `shown` in its arrival event)."
        ),
    )
    sampling: Literal["uniform", "degree"] = Field(
        "uniform",
        description=(
            "How the K are drawn without replacement: uniformly, or with probability ∝ degree "
            "(the latter is itself a preferential bias, on top of the model's)."
        ),
    )
    show_names: bool = Field(
        True,
        description="Show names (the model answers by name); false: anonymous `a) ...` labels.",
    )
    show_degree: bool = Field(True, description="Show each candidate's follower count (degree).")

    @field_validator("max_shown")
    @classmethod
    def _shown_within_limit(cls, value: int) -> int:
        return within(value, prompt_items_problem(value, "candidates"))


class GrowthParams(StrictModel):
    """The growth process (De Marzo, Pietronero, Garcia, arXiv 2312.06619)."""

    n: int = Field(40, ge=3, description="Final number of nodes, seed graph included.")
    m: PositiveInt = Field(
        2, description="Links made by each arriving node; the seed is a complete graph of m + 1."
    )
    arrivals_per_step: PositiveInt = Field(
        1,
        description=(
            "Nodes arriving in one model step. Arrivals are always one at a time (each sees the "
            "links of the previous one); a step only sets how often snapshots and checkpoints "
            "are written."
        ),
    )
    candidates: CandidatesSpec = Field(default_factory=CandidatesSpec)
    naming: Literal["realistic", "sequential", "random"] = Field(
        "realistic",
        description=(
            "realistic: first names from the package's plain list of 200 in random order, a "
            "number appended once it is used up (Emma, then Emma2); sequential: user0, user1, ...; "
            "random: fresh random lowercase strings."
        ),
    )
    name_length: int = Field(6, ge=3, le=16, description="random naming: letters per name.")
    fallback: Literal["uniform", "degree"] = Field(
        "uniform",
        description=(
            "The pick used when a reply is invalid, a duplicate or the node itself twice in a row "
            "(asked, then re-asked once): uniform, or ∝ degree, among the candidates still shown."
        ),
    )
    template: str = Field(
        DEFAULT_TEMPLATE,
        description="Prompt for one pick; must contain {candidates}; may use {name} and {m}.",
    )

    @field_validator("n")
    @classmethod
    def _n_within_limit(cls, value: int) -> int:
        return within(value, agents_problem(value, "nodes"))

    @field_validator("template")
    @classmethod
    def _template_has_candidates(cls, value: str) -> str:
        if "{candidates}" not in value:
            raise ValueError("must contain the placeholder {candidates}")
        return value

    @model_validator(mode="after")
    def _sizes_fit(self) -> GrowthParams:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.n < self.m + 2:
            problems.append((("n",), f"must be at least m + 2 = {self.m + 2} (seed m + 1 and one)"))
        if self.candidates.max_shown < self.m:
            problems.append(
                (("candidates", "max_shown"), f"must be at least m = {self.m} to pick m nodes")
            )
        if problems:
            raise LocatedValueError(problems)
        return self

    @property
    def steps_needed(self) -> int:
        return math.ceil((self.n - self.m - 1) / self.arrivals_per_step)


class GrowthSpec(ScenarioSpec):
    """A network-growth scenario file."""

    POPULATION_KEYS: ClassVar[tuple[str, ...]] = (
        *ScenarioSpec.POPULATION_KEYS,
        "growth.n",
        "growth.m",
        "growth.naming",
        "growth.name_length",
    )

    kind: Literal["growth"] = "growth"
    growth: GrowthParams = Field(default_factory=GrowthParams, description="The growth process.")

    @model_validator(mode="after")
    def _enough_steps(self) -> GrowthSpec:
        needed = self.growth.steps_needed
        if self.steps < needed:
            raise LocatedValueError(
                [
                    (
                        ("steps",),
                        f"must be at least {needed} to grow n = {self.growth.n} nodes "
                        f"({self.growth.arrivals_per_step} arrival(s) per step)",
                    )
                ]
            )
        return self

    def vocabulary(self, population: Population) -> Vocabulary:
        """A newcomer exists only while it arrives, so there are no agents to select or set."""
        return Vocabulary(
            "growth",
            metrics=METRICS,
            hooks=frozenset({"remove_edges"}),
            note="a growth agent exists only while it arrives; only links can be changed",
        )
