"""The `opinion:` block: the published protocol's knobs (labels, names, template, grid)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from simsocial.limits import agents_problem, prompt_items_problem, within
from simsocial.spec_models import ScenarioSpec, StrictModel
from simsocial.vocabulary import BOOL, Population, Vocabulary, network_traits

# What conditions can read (model.parquet columns, summary values, step), per experiment.
ADOPTION_METRICS = frozenset(
    {"m", "m_target", "adopt_a", "adopt_b", "failed", "queries", "p_a", "step"}
)
DYNAMICS_METRICS = frozenset({"m", "n_a", "n_b", "updates", "consensus", "zealots", "step"})
# What set_state and add_agents may write: the opinion (A or B, whatever labels the prompt shows)
# and whether the agent is a zealot.
STATE = {"opinion": ("A", "B"), "zealot": BOOL}

# The published grid at N = 50 (../shared/data/demarzo2024), made symmetric: 15 values.
DEFAULT_GRID = [
    -0.96,
    -0.8,
    -0.6,
    -0.4,
    -0.28,
    -0.2,
    -0.08,
    0.0,
    0.08,
    0.2,
    0.28,
    0.4,
    0.6,
    0.8,
    0.96,
]

DEFAULT_TEMPLATE = (
    "Below you can see the list of all your friends together with the opinion they support.\n"
    "You must reply with the opinion you want to support.\n"
    "The opinion must be reported between square brackets.\n"
    "{friends}\n"
    "Reply only with the opinion you want to support, between square brackets."
)


class OpinionParams(StrictModel):
    """Experiment A (adoption curve) or B (dynamics on a network)."""

    experiment: Literal["adoption", "dynamics"] = Field(
        "adoption",
        description=(
            "adoption: one step per grid value of m, `queries` independent queries each, fit "
            "P(m) = (1 + tanh(beta m)) / 2. dynamics: agents on `network` update one at a time "
            "from m0 until consensus; one step = N single-agent updates."
        ),
    )
    group_size: PositiveInt = Field(50, description="adoption: number of friends shown (N).")
    grid: list[float] = Field(
        default_factory=lambda: list(DEFAULT_GRID),
        description="adoption: values of m = (N_A - N_B) / N.",
    )
    queries: PositiveInt = Field(
        200, description="adoption: queries per grid value (200 in the paper)."
    )
    labels: tuple[str, str] = Field(
        ("k", "z"),
        description="The two opinion tokens; which one is the majority is random per query.",
    )
    naming: Literal["random", "sequential"] = Field(
        "random", description="Friends' names: fresh random strings per query (paper) or fixed ids."
    )
    name_length: tuple[PositiveInt, PositiveInt] = Field(
        (2, 3), description="Min and max length of random names."
    )
    initial_m: float = Field(
        0.0, ge=-1.0, le=1.0, description="dynamics: starting magnetisation m0."
    )
    template: str = Field(DEFAULT_TEMPLATE, description="Prompt; must contain {friends}.")

    @field_validator("template")
    @classmethod
    def _template_has_friends(cls, value: str) -> str:
        if "{friends}" not in value:
            raise ValueError("must contain the placeholder {friends}")
        return value

    @field_validator("labels")
    @classmethod
    def _labels_distinct(cls, value: tuple[str, str]) -> tuple[str, str]:
        if value[0] == value[1] or not all(label.strip() for label in value):
            raise ValueError(f"must be two different non-empty tokens, got {list(value)}")
        return value

    @field_validator("queries")
    @classmethod
    def _queries_within_limit(cls, value: int) -> int:
        return within(value, agents_problem(value, "respondents"))

    @field_validator("group_size")
    @classmethod
    def _group_within_limit(cls, value: int) -> int:
        return within(value, prompt_items_problem(value, "friends"))

    @field_validator("grid")
    @classmethod
    def _grid_in_range(cls, value: list[float]) -> list[float]:
        bad = [m for m in value if not -1.0 <= m <= 1.0]
        if bad or not value:
            raise ValueError(f"must be a non-empty list of values in [-1, 1], got {bad or value}")
        return value


class OpinionSpec(ScenarioSpec):
    """A majority-opinion scenario file."""

    POPULATION_KEYS: ClassVar[tuple[str, ...]] = (
        *ScenarioSpec.POPULATION_KEYS,
        "opinion.experiment",
        "opinion.queries",
        "opinion.initial_m",
    )

    kind: Literal["opinion"] = "opinion"
    opinion: OpinionParams = Field(default_factory=OpinionParams, description="The experiment.")

    @model_validator(mode="after")
    def _dynamics_needs_network(self) -> OpinionSpec:
        if self.opinion.experiment == "dynamics" and (
            self.network is None
            or (self.network.n is None and self.network.generator != "edge_list")
        ):
            raise ValueError("opinion.experiment 'dynamics' needs a `network:` block with `n`")
        return self

    def vocabulary(self, population: Population) -> Vocabulary:
        """Respondents (adoption) or network nodes (dynamics) holding opinion A or B."""
        if self.opinion.experiment == "adoption":
            return Vocabulary(
                "opinion",
                traits=dict(STATE),
                state=dict(STATE),
                metrics=ADOPTION_METRICS,
                hooks=frozenset({"deliver"}),
                note="opinion.experiment 'adoption' has no network; use 'dynamics'",
            )
        return Vocabulary(
            "opinion",
            traits={**STATE, **network_traits(population)},
            state=dict(STATE),
            metrics=DYNAMICS_METRICS,
            hooks=frozenset({"add_agent", "remove_agent", "remove_edges", "deliver"}),
        )
