"""The feed kind's scenario file: the `twitter:` block (who, whom they follow, how often they act,
what news they see, who judges) beside the top-level `feed:` ranker block shared with the forum.

The kind's own block is `twitter:` because `feed:` already names the ranker (as in the forum, so
`--set feed.ranker=bridging` and sweeps swap rankers the same way in both kinds), and because the
platform simulated is Twitter-like: activity comes from the personas' Twitter-use answer.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from simsocial.personas.anes_spec import PersonaSourceSpec, SyntheticAnesSpec
from simsocial.platform.rankers import FeedSpec
from simsocial.scenarios.feed.network import read_follows
from simsocial.scenarios.feed.news import read_news
from simsocial.scenarios.feed.toxicity import ToxicitySpec
from simsocial.spec_models import RELATIVE_PATH, LocatedValueError, ScenarioSpec, StrictModel
from simsocial.userfiles import UserFileError
from simsocial.vocabulary import Population, Vocabulary

Where = tuple[str | int, ...]

# model.parquet columns (simsocial.scenarios.feed.model); conditions may read them
COLUMNS = (
    "posts",
    "comments",
    "likes",
    "reposts",
    "follows",
    "active",
    "toxicity_mean",
    "ei_likes",
    "ei_comments",
    "ei_reposts",
    "ei_follows",
    "outparty_shown",
)
METRICS = frozenset({*COLUMNS, "users", "failed", "step"})
PAPER_SIZE = 500  # Törnberg et al. (2023) simulated 500 personas


class FollowsSpec(StrictModel):
    """The starting follow network: homophilous at random, or a file of follows."""

    min: NonNegativeInt = Field(3, description="Fewest accounts a user follows at the start.")
    max: NonNegativeInt = Field(8, description="Most accounts a user follows at the start.")
    same_party: float = Field(
        0.7,
        ge=0.0,
        le=1.0,
        description="Chance each starting follow goes to a user of the follower's own party.",
    )
    file: str | None = Field(
        None,
        description=(
            "Instead of the random network: a file of `source target` lines (user ids from 0, "
            "directed), relative to the scenario file."
        ),
        json_schema_extra=RELATIVE_PATH,
    )

    @model_validator(mode="after")
    def _consistent(self) -> FollowsSpec:
        problems: list[tuple[Where, str]] = []
        if self.min > self.max:
            problems.append((("min",), f"is {self.min}, more than max ({self.max})"))
        if self.file is not None:
            for key in ("min", "max", "same_party"):
                if key in self.model_fields_set:
                    problems.append(((key,), "belongs to the random network; file replaces it"))
        if problems:
            raise LocatedValueError(problems)
        return self


class ActivitySpec(StrictModel):
    """How often each user acts: from the Twitter-use answer (V202544), as times per day."""

    steps_per_day: PositiveInt = Field(
        4,
        description=(
            "Steps in a simulated day: a user who uses Twitter r times a day is active in a step "
            "with probability min(1, r / steps_per_day)."
        ),
    )
    missing: float = Field(
        1.0,
        gt=0.0,
        description=(
            "Times per day for a persona without a Twitter-use answer (every synthetic persona): "
            "the rule is applied to each and counted (`activity_missing`)."
        ),
    )


class TwitterParams(StrictModel):
    """A Twitter-like platform of survey personas (Törnberg et al. 2023, arXiv 2310.05984)."""

    personas: PersonaSourceSpec = Field(
        default_factory=lambda: PersonaSourceSpec(synthetic_anes=SyntheticAnesSpec(n=PAPER_SIZE)),
        description=(
            "Who the users are: ANES 2020 respondents ({anes: FILE, n: 500}) or synthetic ones "
            "calibrated to its marginals (the default, {synthetic_anes: {n: 500}}); "
            "`enrich: true` asks the model for occupation, hobbies and a bio first."
        ),
    )
    follows: FollowsSpec = Field(
        default_factory=FollowsSpec, description="Who follows whom at the start."
    )
    activity: ActivitySpec = Field(
        default_factory=ActivitySpec, description="How often each user is active."
    )
    news: str | None = Field(
        None,
        description=(
            "A CSV of news items (title, summary, source, date), relative to the scenario file "
            "(scenarios/data/synthetic_news.csv is a synthetic set); null: no news, a post is "
            "the user's own text."
        ),
        json_schema_extra=RELATIVE_PATH,
    )
    news_shown: NonNegativeInt = Field(
        3, description="News items shown to each active user per step, drawn at random."
    )
    judge: ToxicitySpec = Field(
        default_factory=ToxicitySpec,
        description="Who scores every new post and comment on the 0-3 incivility codebook.",
    )
    temperature: float = Field(0.7, ge=0.0, le=2.0, description="Temperature of the agents' asks.")
    max_chars: PositiveInt = Field(
        280,
        description=(
            "Characters a post or comment may have (Twitter's 280); longer text is cut at a "
            "word and counted (`truncated`)."
        ),
    )

    def users(self) -> int | None:
        """How many users the personas block draws."""
        spec = self.personas
        return spec.synthetic_anes.n if spec.synthetic_anes is not None else spec.n

    @model_validator(mode="after")
    def _room_to_follow(self) -> TwitterParams:
        n = self.users()
        if n is not None and self.follows.file is None and self.follows.max > n - 1:
            message = f"is {self.follows.max}, but each of the {n} users has {n - 1} others"
            raise LocatedValueError([(("follows", "max"), message)])
        return self

    def check_files(self) -> list[tuple[Where, str]]:
        """A news CSV or a follows file that cannot be used (file:line in the message)."""
        problems: list[tuple[Where, str]] = []
        if self.news is not None:
            try:
                read_news(self.news)
            except UserFileError as exc:
                problems.append((("news",), str(exc)))
        if self.follows.file is not None:
            try:
                read_follows(self.follows.file, self.users())
            except UserFileError as exc:
                problems.append((("follows", "file"), str(exc)))
        return problems


def default_feed() -> FeedSpec:
    return FeedSpec(ranker="followed_engagement", k=10)


class FeedScenarioSpec(ScenarioSpec):
    """A feed scenario file: survey personas on a Twitter-like platform, each active user shown
    the `feed:` ranker's k posts and a few news items per step, asked for one action."""

    BLOCK: ClassVar[str] = "twitter"  # the kind's own block (its name is not the kind's)
    POPULATION_KEYS: ClassVar[tuple[str, ...]] = (
        *ScenarioSpec.POPULATION_KEYS,
        "twitter.personas",
        "twitter.follows",
    )

    kind: Literal["feed"] = "feed"
    twitter: TwitterParams = Field(
        default_factory=TwitterParams, description="The platform, its users and its judge."
    )
    feed: FeedSpec = Field(
        default_factory=default_feed,
        description=(
            "How each active user's feed is ranked (candidates: every post): "
            "followed_engagement, all_engagement, bridging, chronological, outparty_boost, ..."
        ),
    )

    @model_validator(mode="after")
    def _no_network(self) -> FeedScenarioSpec:
        if self.network is not None:
            message = "is not used by the feed kind: who follows whom is twitter.follows"
            raise LocatedValueError([(("network",), message)])
        return self

    def vocabulary(self, population: Population) -> Vocabulary:
        """Users are platform accounts, not agents: interventions change the spec (set_param,
        e.g. feed.ranker mid-run) and conditions read the model's columns."""
        return Vocabulary(
            "feed",
            metrics=METRICS,
            note="feed users are platform accounts; use set_param to change the feed or judge",
        )
