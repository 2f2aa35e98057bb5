"""The `forum:` and `feed:` blocks: the community, its personas, the thread rules, who judges."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from simsocial.limits import agents_problem, within
from simsocial.platform.rankers import FeedSpec
from simsocial.scenarios.forum.judge import JudgeSpec
from simsocial.scenarios.forum.personas import check_lines, read_seeds
from simsocial.scenarios.forum.realism import RealismSpec
from simsocial.scenarios.forum.templates import check_overrides
from simsocial.spec_models import RELATIVE_PATH, LocatedValueError, ScenarioSpec, StrictModel
from simsocial.userfiles import UserFileError
from simsocial.vocabulary import Population, Vocabulary

# What conditions can read: model.parquet columns, summary values and step.
METRICS = frozenset(
    {"threads_open", "posts", "replies", "votes", "mean_thread_length", "new_speaker_share"}
    | {"same_speaker_twice", "violation_rate", "personas", "failed", "step"}
)

DEFAULT_SEEDS = [
    "Maya Lopez, a line cook who shares restaurant tricks for home kitchens",
    "Tom Becker, a retired engineer who weighs everything to the gram",
    "Priya Nair, a nurse on night shifts who cooks in big batches",
    "Sam Okafor, a student on a tight budget learning to cook",
    "Elena Rossi, a grandmother who keeps her family's pasta recipes",
    "Jack Turner, a dad of three who needs dinner in 20 minutes",
    "Aiko Tanaka, a food scientist who explains why recipes work",
    "Luis Garcia, a home baker obsessed with sourdough",
    "Hannah Weiss, a vegetarian who adapts meat recipes",
    "Omar Haddad, a spice merchant's son who loves slow stews",
]


class CommunitySpec(StrictModel):
    """The community the forum is for (the paper's community description)."""

    name: str = Field("Home Cooking", min_length=1, description="The community's name.")
    goal: str = Field(
        "sharing home cooking recipes, questions and kitchen tips",
        min_length=1,
        description='What the forum is for: "an online forum for <goal>".',
    )
    rules: list[str] = Field(
        default_factory=lambda: ["Be civil", "No spam or self-promotion", "Stay on topic"],
        description="The community's rules; persona lines and replies name each one negated.",
    )

    @field_validator("rules")
    @classmethod
    def _no_blank_rule(cls, value: list[str]) -> list[str]:
        if not all(rule.strip() for rule in value):
            raise ValueError("every rule must be non-empty text")
        return value


class ForumParams(StrictModel):
    """SimReddit (Park et al., UIST 2022): personas from seeds, threads grown by coin flips."""

    community: CommunitySpec = Field(
        default_factory=CommunitySpec, description="The community: its name, goal and rules."
    )
    seeds: list[str] | str = Field(
        default_factory=lambda: list(DEFAULT_SEEDS),
        description=(
            'Seed personas as "Name, one-liner" lines, or a file relative to the scenario file: '
            "text lines, a CSV with name and description columns, or a run's users.parquet."
        ),
        json_schema_extra=RELATIVE_PATH,
    )
    population: int = Field(
        30,
        ge=2,
        description=(
            "Personas on the forum: the seeds, expanded by the LLM (list continuation) to this "
            "many."
        ),
    )
    expand_batch: PositiveInt = Field(
        10,
        description="Persona lines asked for in one request (24 tokens each are allowed).",
    )
    expand_shown: PositiveInt | None = Field(
        None,
        description=(
            "Personas shown in one expansion request: all so far (null), or this many drawn at "
            "random (small models copy a long list instead of continuing it)."
        ),
    )
    expand_temperature: float | None = Field(
        None, ge=0.0, le=2.0, description="Temperature of expansion requests (null: temperature)."
    )
    expand_rounds: PositiveInt = Field(
        4,
        description=(
            "Rounds of expansion requests at most; duplicates and malformed lines are asked again "
            "in the next round, and a shortfall after the last is recorded (`expanded.short`)."
        ),
    )
    threads: PositiveInt = Field(3, description="Top-level posts, each starting a thread.")
    continue_p: tuple[float, float] = Field(
        (0.65, 1.0),
        description=(
            "[lo, hi]: each thread draws p from U(lo, hi); a reply is written while a coin flip "
            "with p succeeds."
        ),
    )
    max_replies: PositiveInt = Field(8, description="Replies a thread gets at most.")
    new_speaker_p: float = Field(
        0.5,
        ge=0.0,
        le=1.0,
        description=(
            "Chance the next speaker is a persona new to the thread; otherwise an earlier one who "
            "did not write the last post."
        ),
    )
    voters: NonNegativeInt = Field(
        10,
        description=(
            "Personas sampled after each step to read the front page (ranked by `feed:`) and vote "
            "up, down or not at all on each post shown."
        ),
    )
    max_words: PositiveInt = Field(
        200, description="Words a reply may have; the prompt says so and longer text is cut."
    )
    max_tokens: PositiveInt | None = Field(
        None, description="Tokens for one post or reply (default: llm.max_tokens)."
    )
    temperature: float = Field(
        0.7, ge=0.0, le=2.0, description="Sampling temperature of posts, replies and personas."
    )
    thread_chars: PositiveInt = Field(
        8000,
        description=(
            "Characters of the thread shown in a reply prompt: the top post and the latest "
            "replies that fit (the paper keeps about 8,000)."
        ),
    )
    form: Literal["chat", "completion"] = Field(
        "chat",
        description=(
            "chat: instructions for a chat model; completion: the paper's document with span tags, "
            "read up to the closing tag."
        ),
    )
    templates: dict[str, str] = Field(
        default_factory=dict,
        description=(
            "Prompt overrides for the chosen form by name: persona, community, post, reply, vote, "
            "expand, repair (fields as in the defaults, see docs)."
        ),
    )
    judge: JudgeSpec = Field(
        default_factory=JudgeSpec, description="Who judges whether a post breaks the rules."
    )
    realism: RealismSpec | None = Field(
        None,
        description=(
            "Optional realism check at the end: a judge guesses which of a real and a generated "
            "thread is real."
        ),
    )
    ablation: Literal["none", "no_personas", "no_community"] = Field(
        "none",
        description=(
            "Leave out the persona line (no_personas) or the community description "
            "(no_community) from every prompt, e.g. for a realism sweep."
        ),
    )

    @field_validator("population")
    @classmethod
    def _population_within_limit(cls, value: int) -> int:
        return within(value, agents_problem(value, "personas"))

    @field_validator("continue_p")
    @classmethod
    def _probability_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"must be [lo, hi] with 0 <= lo <= hi <= 1, got [{lo}, {hi}]")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ForumParams:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if isinstance(self.seeds, list):
            if not self.seeds:
                problems.append((("seeds",), "needs at least one 'Name, one-liner' line"))
            problems += [(("seeds", i), message) for i, message in check_lines(self.seeds)]
            if len(self.seeds) > self.population:
                message = f"holds {len(self.seeds)} seeds, more than population ({self.population})"
                problems.append((("seeds",), message))
        problems += [(("templates", *w), m) for w, m in check_overrides(self.templates)]
        if problems:
            raise LocatedValueError(problems)
        return self

    def check_files(self) -> list[tuple[tuple[str | int, ...], str]]:
        """A seeds file that cannot be read, or holds more personas than `population`."""
        if isinstance(self.seeds, list):
            return []
        try:
            found = read_seeds(self.seeds)
        except UserFileError as exc:
            return [(("seeds",), str(exc))]
        if len(found) > self.population:
            return [(("seeds",), f"holds {len(found)} personas, more than {self.population}")]
        return []


class ForumSpec(ScenarioSpec):
    """A forum scenario file: step 0 expands personas and writes the top posts, each later step
    adds at most one reply per open thread, then personas vote on the front page."""

    POPULATION_KEYS: ClassVar[tuple[str, ...]] = (
        *ScenarioSpec.POPULATION_KEYS,
        "forum.seeds",
        "forum.population",
        "forum.threads",
        "forum.continue_p",
        "forum.community.name",
    )

    kind: Literal["forum"] = "forum"
    forum: ForumParams = Field(default_factory=ForumParams, description="The forum and its rules.")
    feed: FeedSpec = Field(
        default_factory=FeedSpec,
        description="How the front page the voters read is ranked (candidates: top-level posts).",
    )

    @model_validator(mode="after")
    def _enough_steps(self) -> ForumSpec:
        needed = self.forum.max_replies + 1
        if self.steps < needed:
            message = (
                f"must be at least {needed}: step 0 writes the posts and each later step at most "
                f"one reply per thread (max_replies = {self.forum.max_replies})"
            )
            raise LocatedValueError([(("steps",), message)])
        return self

    def vocabulary(self, population: Population) -> Vocabulary:
        """Personas are platform users, not agents: interventions change the spec or put a
        persona into a thread (whatif)."""
        return Vocabulary(
            "forum",
            metrics=METRICS,
            hooks=frozenset({"inject_speaker"}),
            note="forum personas are platform users; use whatif to put one into a thread",
        )
