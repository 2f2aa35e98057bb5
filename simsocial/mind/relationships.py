"""Relationship memory: what an agent knows and thinks of each other agent it met.

Memories are tagged with the names they concern; `about(name)` retrieves only among those
(min-max normalised over that subset), and `opinion(name)` asks the LLM once for a short summary
of the relationship, cached until new memories about that person arrive. A summary the model
did not give is None and counted in `failures` (never replaced by a stock sentence).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from simsocial.llm.prompts import Template
from simsocial.mind.llm_port import AskPort, values
from simsocial.mind.memory import MemoryStream, Record
from simsocial.mind.retrieval import DECAY, Weights, retrieve
from simsocial.rounds import Rounds

SUMMARIZE = Template(
    "mind.relationship_summary",
    "Memories of {name} about {other}:\n{memories}\n\n"
    "In one or two sentences as `summary`, what does {name} know and think of {other}? "
    "Also give `closeness` from 1 (stranger) to 10 (closest friend).",
)


class Opinion(BaseModel):
    summary: str
    closeness: int = Field(ge=1, le=10)


class Relationships:
    """Per other agent: ids of memories about them and a cached opinion."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ids: dict[str, list[int]] = {}
        self.opinions: dict[str, Opinion] = {}
        self.failures = 0

    def note(self, other: str, record_id: int) -> None:
        """Tag a memory as being about `other` (meeting them makes them known)."""
        self.ids.setdefault(other, []).append(record_id)
        self.opinions.pop(other, None)

    def knows(self, other: str) -> bool:
        return other in self.ids

    def known(self) -> list[str]:
        return sorted(self.ids)

    def about(
        self,
        other: str,
        stream: MemoryStream,
        query: np.ndarray,
        now: float,
        k: int = 5,
        weights: Weights | None = None,
        decay: float = DECAY,
    ) -> list[Record]:
        """The k best memories about `other` for the query (empty for a stranger)."""
        ids = self.ids.get(other)
        if not ids:
            return []
        return retrieve(stream, query, now, k, weights or Weights(), decay, candidates=ids)

    def opinion(self, other: str, records: list[Record], llm: AskPort) -> Rounds[Opinion | None]:
        """Summary of the relationship from `records` (one round, cached until new memories)."""
        if other in self.opinions:
            return self.opinions[other]
        if not records:
            return None
        prompt = SUMMARIZE.render(
            name=self.name, other=other, memories="\n".join(r.text for r in records)
        )
        (answer,) = yield from values(llm, [prompt], Opinion)
        if answer is None:
            self.failures += 1
            return None
        self.opinions[other] = answer
        return answer
