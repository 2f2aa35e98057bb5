"""The `diffusion:` and `mind:` blocks: the news, who knows it, how agents meet and talk."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from simsocial.mind.config import MindConfig
from simsocial.spec_models import (
    PERSONA_FILE,
    LocatedValueError,
    NetworkSpec,
    ScenarioSpec,
    StrictModel,
)
from simsocial.vocabulary import BOOL, Population, Values, Vocabulary, network_traits

DEFAULT_AGENTS = 25
# What conditions can read: model.parquet columns, summary values and step.
METRICS = frozenset(
    {"day", "aware_fraction", "true_informed_fraction", "hallucinated", "missed", "unanswered"}
    | {"density"}
    | {"conversations", "utterances", "told", "llm_asks", "informed", "of", "step"}
)
# Ground truth an intervention may set: seeded agents always remember the news; informed ones
# pass it on when they say it.
STATE: dict[str, Values] = {"seeded": BOOL, "informed": BOOL}
# Villager attributes a selector may read beside the persona's fields and demographics
# (generated villagers have an occupation).
TRAITS: dict[str, Values] = {**STATE, "name": None, "aware": (True, False, None)}


class DiffusionParams(StrictModel):
    """One piece of news spreading through two-agent conversations (Park et al. 2023)."""

    news: str = Field(
        "Sam Moore is running for mayor in the local election.",
        description="What the seeded agents know at the start.",
    )
    topic: str = Field(
        "Sam Moore's candidacy for mayor",
        description='The interview asks every agent "Do you know about <topic>?" each day.',
    )
    keywords: list[str] = Field(
        default_factory=lambda: ["mayor"],
        description=(
            "An utterance passes the news on when it contains all of these (case-insensitive) "
            "and its speaker truly knew the news; this is the ground truth the interviews are "
            "scored against."
        ),
    )
    seeds: PositiveInt = Field(1, description="Agents who know the news at the start (random).")
    personas: str | None = Field(
        None,
        description=(
            "A persona file (.yaml/.csv, relative to the scenario file) for the first agents; "
            "the rest get generated villagers. Default: all generated."
        ),
        json_schema_extra=PERSONA_FILE,
    )
    rounds_per_day: PositiveInt = Field(
        2,
        description=(
            "Conversation rounds in one simulated day (one model step). In a round each agent "
            "talks with at most one neighbour: a random maximal matching of the network."
        ),
    )
    turns: PositiveInt = Field(
        4, description="Utterances per conversation, alternating; the first speaker is random."
    )
    acquainted: float = Field(
        0.17,
        ge=0.0,
        le=1.0,
        description="Chance that two neighbours already know each other at the start.",
    )
    utterance_tokens: PositiveInt = Field(48, description="Most tokens in one utterance.")
    pairing: Literal["matching"] = Field(
        "matching", description="How conversation partners are drawn each round."
    )

    @field_validator("keywords")
    @classmethod
    def _keywords_present(cls, value: list[str]) -> list[str]:
        if not value or not all(k.strip() for k in value):
            raise ValueError("must be a non-empty list of non-empty words")
        return value


class DiffusionSpec(ScenarioSpec):
    """An information-diffusion scenario file; one step is one simulated day."""

    POPULATION_KEYS: ClassVar[tuple[str, ...]] = (
        *ScenarioSpec.POPULATION_KEYS,
        "diffusion.personas",
        "diffusion.seeds",
    )

    kind: Literal["diffusion"] = "diffusion"
    diffusion: DiffusionParams = Field(
        default_factory=DiffusionParams, description="The news and the conversations."
    )
    mind: MindConfig = Field(
        default_factory=MindConfig,
        description="The generative-agent mind (memory, reflection, planning) of every agent.",
    )

    @model_validator(mode="after")
    def _fill_network(self) -> DiffusionSpec:
        if self.network is None:
            self.network = NetworkSpec(generator="complete", n=DEFAULT_AGENTS)
        n = self.network.n
        if n is not None and self.diffusion.seeds > n:
            raise LocatedValueError(
                [(("diffusion", "seeds"), f"must be at most the number of agents ({n})")]
            )
        return self

    def check_population(self, population: Population) -> list[tuple[tuple[str | int, ...], str]]:
        """Seeds and persona files must fit the agents the network makes (an edge list's count
        is known only from the file); extra personas would be dropped without a word."""
        agents = population.nodes
        if agents is None:
            return []
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if self.diffusion.seeds > agents:
            message = f"must be at most the number of agents ({agents}), got {self.diffusion.seeds}"
            problems.append((("diffusion", "seeds"), message))
        if population.personas > agents:
            message = (
                f"holds {population.personas} personas but the network has {agents} agents; "
                "remove some or raise network.n"
            )
            problems.append((("diffusion", "personas"), message))
        return problems

    def vocabulary(self, population: Population) -> Vocabulary:
        """Villagers: their ground truth, interview answers, persona fields, network node."""
        persona: dict[str, Values] = {key: None for key in population.persona_fields}
        return Vocabulary(
            "diffusion",
            traits={
                "description": None,
                "traits": None,
                "occupation": None,
                **persona,
                **TRAITS,
                **network_traits(population),
            },
            state=dict(STATE),
            metrics=METRICS,
            hooks=frozenset({"deliver", "remove_edges"}),
            note="villagers are fixed by the network; use remove_edges to change who meets",
        )
