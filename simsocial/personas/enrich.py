"""LLM enrichment of survey personas: an occupation, hobbies and a short bio, as published.

Törnberg et al. (2023) asked a model for an occupation and hobbies "very loosely" based on each
persona (not tied to its politics), then for an informal social-media bio of at most 140
characters. Here one structured ask per persona returns all three (schema `Enrichment`), and
`enrich` is a rounds generator yielding one list of asks for all personas, so a model's
`consult_rounds` (or `simsocial.rounds.drive(rounds, session.gather)` in a one-off helper) runs
them together; like every call, each ask is cached by the gateway.

A bio over 140 characters fails the schema: the structured verb asks once for a repair quoting
the validator, and if the reply is still too long the call is a recorded failure (counted in
`EnrichReport.failures` by error kind). A persona whose call failed keeps its survey text and
gets no occupation, hobbies or bio; nothing is truncated or invented.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from simsocial.llm.prompts import Template
from simsocial.llm.session import Session
from simsocial.personas.anes_text import DEFAULT_PARTS, describe
from simsocial.personas.respondent import Respondent
from simsocial.rounds import Rounds

BIO_MAX = 140

ENRICH = Template(
    "personas.anes_enrich",
    "Here is a persona of a person:\n\n{persona}\n\n"
    "Fill in the rest of this person:\n"
    "- `occupation`: their job (a few words);\n"
    "- `hobbies`: 2 to 5 hobbies or interests;\n"
    "- `bio`: a very short, very informal social media biography of at most 140 characters, "
    "written as the person, without emoji.\n"
    "Base the occupation and hobbies very loosely on the persona: they need not match its "
    "politics or its views. Avoid 'community' and 'volunteering'; draw on popular hobbies and "
    "occupations. The bio may add things that are not in the persona.",
)


class Enrichment(BaseModel):
    """What the model adds to a persona; a bio over 140 characters does not validate."""

    model_config = ConfigDict(extra="forbid")

    occupation: str = Field(min_length=1, max_length=80)
    hobbies: list[str] = Field(min_length=1, max_length=5)
    bio: str = Field(min_length=1, max_length=BIO_MAX)


@dataclass
class EnrichReport:
    """How enrichment went: asks made, personas enriched, failures by error kind."""

    asked: int = 0
    enriched: int = 0
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "asked": self.asked,
            "enriched": self.enriched,
            "failed": self.failed,
            "failures": dict(self.failures),
            "template": ENRICH.name,
            "template_sha": ENRICH.sha,
        }


def enrich(
    session: Session, personas: Sequence[Respondent], *, model: str | None = None
) -> Rounds[tuple[list[Respondent], EnrichReport]]:
    """One round: a structured ask per persona; returns the personas (enriched where the call
    succeeded, in the same order) and the report. `model` pins another model string."""
    asks = [
        session.ask_structured(
            ENRICH.render(persona=describe(p, parts=_SHOWN)),
            Enrichment,
            meta={"purpose": "personas.enrich", "persona": p.id},
            model=model,
        )
        for p in personas
    ]
    answers = yield asks
    report = EnrichReport(asked=len(asks))
    failures: Counter[str] = Counter()
    out: list[Respondent] = []
    for person, answer in zip(personas, answers, strict=True):
        value = answer.value
        if value is None:
            failures[answer.record.error_kind or "unknown"] += 1
            out.append(person)
            continue
        report.enriched += 1
        out.append(
            person.model_copy(
                update={
                    "occupation": value.occupation.strip(),
                    "hobbies": tuple(h.strip() for h in value.hobbies),
                    "bio": value.bio,
                }
            )
        )
    report.failures = dict(sorted(failures.items()))
    return out, report


_SHOWN = tuple(p for p in DEFAULT_PARTS if p not in ("occupation", "hobbies"))
