"""The `media:` block: the image model, the prompt set, the audience and its tastes, the LoRA."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, PositiveInt, field_validator

from simsocial.media.config import EMBEDDED, ImageLora
from simsocial.spec_models import ScenarioSpec, StrictModel
from simsocial.vocabulary import Population, Vocabulary

METRICS = frozenset(
    {"generation", "images", "likes", "like_rate", "diversity", "fidelity", "taste_share"}
    | {"drift", "feature_distance", "step"}
)

DEFAULT_TEMPLATE = (
    "You are {name}. {taste}\n"
    "You are scrolling an image feed. The next post shows this image:\n"
    "Image: {description}\n"
    "Do you like it, or skip it?"
)


class Viewer(StrictModel):
    """One member of the audience: a name and a stated taste (shown in the prompt)."""

    name: str = Field(..., min_length=1, description="The viewer's name.")
    taste: str = Field(
        ...,
        min_length=1,
        description=(
            "What they like, in words; attribute words in it (red, circle, large, black ...) are "
            "what drift towards the audience's tastes is measured against."
        ),
    )


def _default_audience() -> list[Viewer]:
    return [
        Viewer(name="Rosa", taste="You love red things and warm colours."),
        Viewer(name="Ben", taste="You like calm blue pictures."),
        Viewer(name="Ines", taste="You like red roses and red cars."),
        Viewer(name="Omar", taste="You enjoy bright yellow, like sunshine."),
    ]


class MediaParams(StrictModel):
    """The feedback loop: render, show to the audience, adapt the model to what was liked."""

    model: str = Field(
        EMBEDDED,
        description=(
            "The image model: 'embedded/tiny-ddpm' (offline, trained on first use; "
            "'?preset=test' for seconds) or 'diffusers:<model id or local path>'."
        ),
    )
    prompts: list[str] = Field(
        default_factory=lambda: ["a circle", "a square", "a triangle"],
        min_length=1,
        description="The fixed prompt set every generation renders.",
    )
    images_per_prompt: PositiveInt = Field(16, description="Images per prompt and generation.")
    liked_share: float = Field(
        0.25,
        gt=0,
        le=1,
        description="Share of a generation's images, most liked first, the next adapter learns.",
    )
    min_likes: PositiveInt = Field(
        1,
        description=(
            "Likes an image needs at least to be trained on; a generation with none keeps the "
            "adapter it had."
        ),
    )
    audience: list[Viewer] = Field(
        default_factory=_default_audience, min_length=1, description="Who likes or skips."
    )
    template: str = Field(
        DEFAULT_TEMPLATE,
        description="The like/skip prompt: {name}, {taste} and {description} (the image's labels).",
    )
    temperature: float | None = Field(None, ge=0, description="Like/skip temperature (llm's).")
    lora: ImageLora = Field(default_factory=ImageLora, description="The adapter trained per step.")
    accumulate: bool = Field(
        True, description="Each adapter starts from the previous generation's (a chain)."
    )
    batch: PositiveInt = Field(64, description="Images rendered per backend call.")

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        from simsocial.media.door import check_model

        check_model(value)
        return value

    @field_validator("template")
    @classmethod
    def _template_fields(cls, value: str) -> str:
        if "{description}" not in value:
            raise ValueError("must contain the placeholder {description}")
        return value


class MediaSpec(ScenarioSpec):
    """A generative-media feedback-loop scenario file (one step = one generation)."""

    POPULATION_KEYS: ClassVar[tuple[str, ...]] = (*ScenarioSpec.POPULATION_KEYS, "media.audience")

    kind: Literal["media"] = "media"
    media: MediaParams = Field(default_factory=MediaParams, description="The experiment.")

    def vocabulary(self, population: Population) -> Vocabulary:
        return Vocabulary(
            "media",
            metrics=METRICS,
            note="the media kind's audience is fixed: interventions can only read its metrics",
        )
