"""Pydantic models shared by every scenario file: the keys a user can write, with their meaning.

Scenario kinds subclass `ScenarioSpec` and add their own block (e.g. `opinion:`). Loading, located
errors, overrides and the JSON Schema live in `simsocial.spec`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    field_validator,
    model_validator,
)

from simsocial.limits import steps_problem, within
from simsocial.llm.config import LLMConfig
from simsocial.metrics import MetricSpec
from simsocial.spec_base import LocatedValueError, StrictModel

__all__ = ["LocatedValueError", "StrictModel"]  # re-exported: scenario kinds import them here

if TYPE_CHECKING:
    from simsocial.vocabulary import Population, Vocabulary

# Marks a field holding a file path written relative to the scenario file; the loader resolves it.
RELATIVE_PATH = {"x-relative-path": True}
# A relative path to a persona file: `simsocial validate` also reads it (simsocial.spec_content).
PERSONA_FILE = {"x-relative-path": True, "x-persona-file": True}


class NetworkSpec(StrictModel):
    """Who sees whom. `generator` names a networkx generator or `edge_list`."""

    generator: Literal[
        "complete",
        "erdos_renyi",
        "barabasi_albert",
        "watts_strogatz",
        "lattice",
        "stochastic_block",
        "edge_list",
    ] = Field("complete", description="Topology family.")
    n: PositiveInt | None = Field(
        None,
        description=(
            "Number of nodes (agents); implied by lattice dim and stochastic_block sizes; "
            "not used by edge_list."
        ),
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "Generator parameters: erdos_renyi {p}, barabasi_albert {m}, watts_strogatz {k, p}, "
            "lattice {dim: [rows, cols], periodic}, stochastic_block {sizes, p: matrix}."
        ),
    )
    path: str | None = Field(
        None,
        description=(
            "edge_list only: a whitespace-separated 'u v' file, relative to the scenario file."
        ),
        json_schema_extra=RELATIVE_PATH,
    )

    @model_validator(mode="after")
    def _params_fit_generator(self) -> NetworkSpec:
        """Required and well-formed parameters per generator; lattice and blocks imply `n`."""
        from simsocial.networks import check_network, implied_size

        problems = check_network(self.generator, self.params, self.n, self.path)
        if problems:
            raise LocatedValueError([(p.where, p.message) for p in problems])
        if self.n is None:
            self.n = implied_size(self.generator, self.params)
        return self


class OutputsSpec(StrictModel):
    """Where and how often the run directory is written."""

    dir: str = Field("runs", description="Root directory; a run writes to <dir>/<name>/<run-id>/.")
    flush_every: PositiveInt = Field(
        1, description="Steps between Parquet chunk flushes and checkpoints."
    )
    snapshot_every: PositiveInt | None = Field(
        None, description="Steps between graph snapshots (default: first and last step)."
    )
    report: bool = Field(True, description="Write report.html when the run ends.")
    keep_checkpoints: bool = Field(
        True,
        description=(
            "Keep the checkpoint of every flush (checkpoint/step-NNNNNN.pkl) so `simsocial "
            "branch` can fork the run there; false keeps only the latest."
        ),
    )


class InterventionSpec(BaseModel):
    """A what-if event: `at` a step or `when` a condition holds, `do` a kind with its own keys.

    The keys beyond at/when/repeat/do belong to the kind and are checked by its registered
    parameters model (see simsocial.interventions).
    """

    model_config = ConfigDict(extra="allow")

    at: NonNegativeInt | None = Field(
        None, description="Fire once at this step, before the step's agents act."
    )
    when: str | None = Field(
        None,
        description=(
            "Fire the first time this condition over the model's metrics holds, checked before "
            "each step (e.g. `m > 0.5`, `abs(m) >= 0.9 and step > 10`)."
        ),
    )
    repeat: bool = Field(False, description="`when` only: fire at every step the condition holds.")
    do: str = Field(..., description="Intervention kind (see `simsocial.interventions.KINDS`).")

    @model_validator(mode="after")
    def _known_kind_and_keys(self) -> InterventionSpec:
        """A registered kind, a safe condition, and keys the kind accepts."""
        from simsocial.interventions import check_intervention

        problems = check_intervention(self)
        if problems:
            raise LocatedValueError(problems)
        return self


class ScenarioSpec(StrictModel):
    """Keys common to every scenario file."""

    # Keys that fix who the agents are and how they are linked. A branch inherits them from its
    # parent's checkpoint and `set_param` cannot change them mid-run: the population changes only
    # through interventions (add_agents, remove_agents, remove_edges). Kinds add their own.
    POPULATION_KEYS: ClassVar[tuple[str, ...]] = ("kind", "network")

    name: str = Field(..., min_length=1, description="Scenario name; used for the run directory.")
    kind: str = Field(
        ..., description="Scenario kind: which model runs (see `simsocial scenarios`)."
    )
    description: str = Field("", description="Free text, shown in the report.")
    seed: int = Field(
        0,
        ge=0,
        description="Root seed: model RNG, network, personas, option shuffles, draw indices.",
    )
    steps: PositiveInt = Field(10, description="Maximum number of model steps.")
    update: Literal["synchronous", "random_sequential"] = Field(
        "synchronous",
        description=(
            "synchronous: every agent sees the state at t. random_sequential: agents act one at "
            "a time in random order; only agents whose inputs cannot depend on each other are "
            "batched."
        ),
    )
    llm: LLMConfig = Field(
        default_factory=LLMConfig, description="Which model answers and how it is called."
    )
    network: NetworkSpec | None = Field(None, description="Who sees whom.")
    outputs: OutputsSpec = Field(default_factory=OutputsSpec, description="Run directory settings.")
    interventions: list[InterventionSpec] = Field(
        default_factory=list,
        description="What-if events applied at a step or on a condition (README: Interventions).",
    )
    metrics: dict[str, MetricSpec] = Field(
        default_factory=dict,
        description=(
            "Custom metrics by name, each a model.parquet column computed every step and "
            "readable by `when:` conditions: {mean|sum|count|min|max: EXPR, where: EXPR} over "
            "agent attributes, or {hook: NAME} (README: Custom metrics)."
        ),
    )

    @field_validator("steps")
    @classmethod
    def _steps_within_limit(cls, value: int) -> int:
        return within(value, steps_problem(value))

    def vocabulary(self, population: Population) -> Vocabulary | None:
        """What interventions may name (traits, state, metrics, hooks), or None when the kind
        does not declare it (then only the run checks them)."""
        return None

    def check_population(self, population: Population) -> list[tuple[tuple[str | int, ...], str]]:
        """Problems only the files reveal (e.g. more seeds than agents); a kind adds its own."""
        return []

    @field_validator("metrics")
    @classmethod
    def _metric_names(cls, value: dict[str, MetricSpec]) -> dict[str, MetricSpec]:
        """Names conditions can read: identifiers other than `step`."""
        from simsocial.metrics import check_names

        problems = check_names(list(value), frozenset())
        if problems:
            raise LocatedValueError([((name,), message) for name, message in problems])
        return value

    @model_validator(mode="after")
    def _interventions_fit_spec(self) -> ScenarioSpec:
        """`set_param` paths and values must be valid for this scenario kind."""
        if self.interventions:
            from simsocial.interventions import check_against_spec

            problems = check_against_spec(self)
            if problems:
                raise LocatedValueError(problems)
        return self
