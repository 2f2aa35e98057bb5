"""The survey persona record: who it is in words and the answers it truly gave.

Built by the ANES loader (`simsocial.personas.anes`) and the synthetic sampler alike; a fidelity
audit reads `answers` (raw codes, None when missing) as ground truth and `label()` for their
codebook wording.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simsocial.personas import Persona
from simsocial.personas import anes_codes as codes


class Respondent(BaseModel):
    """One survey persona: who it is in words (`text`) and the answers it truly gave.

    `answers` holds the raw codes of every field in `anes_codes.ANSWERS` (None: missing);
    `extra` the columns a user mapped beside them. Enrichment (occupation, hobbies, bio) comes
    from an LLM later and is empty until then.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    answers: dict[str, int | None]
    extra: dict[str, int | None] = Field(default_factory=dict)
    love: tuple[str, ...] = ()
    hate: tuple[str, ...] = ()
    weight: float | None = None
    occupation: str | None = None
    hobbies: tuple[str, ...] = ()
    bio: str | None = None

    @model_validator(mode="after")
    def _every_answer(self) -> Respondent:
        """The same answer keys on every persona, so audits can rely on them."""
        if set(self.answers) != set(codes.ANSWERS):
            missing = sorted(set(codes.ANSWERS) - set(self.answers))
            unknown = sorted(set(self.answers) - set(codes.ANSWERS))
            raise ValueError(f"answers need exactly {codes.ANSWERS}: missing {missing}, {unknown}")
        return self

    def answer(self, name: str) -> int | None:
        """The coded answer of a field (or of a user-mapped column); None when missing."""
        return self.answers[name] if name in self.answers else self.extra[name]

    def label(self, name: str) -> str | None:
        """The codebook label of a coded field's answer (age: the number as text)."""
        value = self.answer(name)
        if value is None:
            return None
        labels = codes.LABELS.get(name)
        return labels[value] if labels is not None else str(value)

    @property
    def partisan_gap(self) -> int | None:
        """Republican minus Democratic thermometer, -100..100 (an integer: thresholds exact)."""
        dem, rep = self.answers["dem_thermometer"], self.answers["rep_thermometer"]
        return None if dem is None or rep is None else rep - dem

    @property
    def partisanship(self) -> float | None:
        """(Republican - Democratic thermometer) / 100, in [-1, 1]."""
        gap = self.partisan_gap
        return None if gap is None else gap / 100

    @property
    def party(self) -> str | None:
        """Democrat, Republican or independent, by the sign of partisanship."""
        gap = self.partisan_gap
        if gap is None:
            return None
        return "Democrat" if gap < 0 else "Republican" if gap > 0 else "independent"

    @property
    def vote_choice(self) -> str | None:
        """Biden, Trump or other (anes_codes.VOTE_CHOICE); None when missing."""
        vote = self.answers["vote_2020"]
        return None if vote is None else codes.VOTE_CHOICE[vote]

    @property
    def age_group(self) -> str | None:
        return codes.age_group(self.answers["age"])

    @property
    def income_class(self) -> str | None:
        return codes.income_class(self.answers["income"])

    @property
    def posts_per_day(self) -> float | None:
        """Twitter use as a rate (anes_codes.TWITTER_PER_DAY); None for non-users/missing."""
        use = self.answers["twitter_use"]
        return None if use is None else codes.TWITTER_PER_DAY[use]

    @property
    def text(self) -> str:
        """The full second-person persona (see simsocial.personas.anes_text.describe)."""
        from simsocial.personas.anes_text import describe

        return describe(self)

    def to_persona(self, name: str | None = None) -> Persona:
        """A plain Persona for the existing scenarios: the text and the labelled answers."""
        demographics: dict[str, str | int | float] = {"source": self.source, "respondent": self.id}
        for key in codes.ANSWERS:
            label = self.label(key)
            if label is not None:
                demographics[key] = label
        if self.partisanship is not None and self.party is not None:
            demographics["partisanship"] = self.partisanship
            demographics["party"] = self.party
        return Persona(name=name or self.id, description=self.text, demographics=demographics)


def loved(ratings: Mapping[str, int | None]) -> tuple[str, ...]:
    """Who is rated at 90 or above, in the map's order."""
    return tuple(who for who, r in ratings.items() if r is not None and r >= codes.LOVE_AT)


def hated(ratings: Mapping[str, int | None]) -> tuple[str, ...]:
    """Who is rated at 10 or below, in the map's order."""
    return tuple(who for who, r in ratings.items() if r is not None and r <= codes.HATE_AT)
