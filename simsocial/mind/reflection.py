"""Reflection: higher-level memories synthesised from many observations (Park et al. 2023, 4.2).

Observations and conversations add their importance to a running sum; when the sum reaches the
threshold (150 in the paper) the agent asks for the most salient high-level questions about its
100 most recent records, retrieves memories for each question, and asks for insights that cite
the ids of their evidence. Cited ids that were not shown for that question are dropped and
counted. A reflection's depth is 1 + the largest depth among its evidence (observations are 0).

A perceived record whose importance rating failed (unrated) adds nothing to the sum and is counted
in `stats.unrated`: reflection then comes later than a rated stream would trigger it, never on an
invented number. Answers without questions or insights are failures too (`stats.failed_calls`);
the schemas require at least one, so the session has already re-asked once.

One reflection is four rounds of asks: the questions, their embeddings, the insights (one ask
per question, together), then the insights' ratings and embeddings together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, Field

from simsocial.llm.prompts import Template
from simsocial.mind.llm_port import AskPort, values
from simsocial.mind.memory import MemoryStream, Record
from simsocial.mind.retrieval import Weights, retrieve
from simsocial.rounds import Rounds

# rate and embed new texts in one round: (importances, unit rows)
RateEmbed = Callable[[list[str]], Rounds[tuple[list[int | None], np.ndarray]]]
Embed = Callable[[list[str]], Rounds[np.ndarray]]

ASK_QUESTIONS = Template(
    "mind.reflection_questions",
    "Memories of {name}:\n{memories}\n\n"
    "Given only the information above, what are the {n} most salient high-level questions we can "
    "answer about the subjects in the statements? Reply with the list `questions`.",
)
ASK_INSIGHTS = Template(
    "mind.reflection_insights",
    "Statements about {name}:\n{memories}\n\n"
    "What {n} high-level insights can you infer from the above statements? For each insight give "
    "its `text` and the `evidence`: the bracketed ids of the statements it rests on.",
)
PERCEIVED = ("observation", "conversation")


class Questions(BaseModel):
    questions: list[str] = Field(min_length=1, description="high-level questions")


class Insight(BaseModel):
    text: str = Field(min_length=1)
    evidence: list[int] = Field(description="ids of the statements this insight rests on")


class Insights(BaseModel):
    insights: list[Insight] = Field(min_length=1)


def render_memories(records: list[Record]) -> str:
    """One `[id] text` line per record: the ids are what insights cite."""
    return "\n".join(f"[{r.id}] {r.text}" for r in records)


@dataclass(slots=True)
class ReflectionStats:
    """Counts for the manifest: reflections made, insights stored, evidence ids dropped, calls
    without a usable answer, perceived records that came without a rating."""

    reflections: int = 0
    insights: int = 0
    dropped_evidence: int = 0
    failed_calls: int = 0
    unrated: int = 0


class Reflector:
    """Tracks importance since the last reflection and reflects when the threshold is reached."""

    def __init__(
        self,
        llm: AskPort,
        threshold: float = 150.0,
        recent: int = 100,
        n_questions: int = 3,
        n_insights: int = 5,
        k: int = 10,
        weights: Weights | None = None,
    ) -> None:
        self.llm = llm
        self.threshold = threshold
        self.recent = recent
        self.n_questions = n_questions
        self.n_insights = n_insights
        self.k = k
        self.weights = weights or Weights()
        self.accumulated = 0.0
        self.stats = ReflectionStats()

    def note(self, record: Record) -> None:
        """Count a new record towards the threshold (perceived events only; unrated ones add
        nothing and are counted)."""
        if record.kind not in PERCEIVED:
            return
        if record.importance is None:
            self.stats.unrated += 1
            return
        self.accumulated += record.importance

    @property
    def due(self) -> bool:
        return self.accumulated >= self.threshold

    def reflect(
        self, stream: MemoryStream, name: str, now: float, rate_embed: RateEmbed, embed: Embed
    ) -> Rounds[list[int]]:
        """Run one reflection; returns the ids of the stored reflection records."""
        self.accumulated = 0.0
        self.stats.reflections += 1
        recent = stream.recent(self.recent)
        prompt = ASK_QUESTIONS.render(
            name=name, memories=render_memories(recent), n=self.n_questions
        )
        (questions,) = yield from values(self.llm, [prompt], Questions)
        if questions is None:
            self.stats.failed_calls += 1
            return []
        asked = [q for q in questions.questions if q.strip()][: self.n_questions]
        if not asked:
            self.stats.failed_calls += 1
            return []
        vectors = yield from embed(asked)
        shown = [retrieve(stream, np.asarray(vec), now, self.k, self.weights) for vec in vectors]
        prompts = [
            ASK_INSIGHTS.render(name=name, memories=render_memories(rs), n=self.n_insights)
            for rs in shown
        ]
        answers = yield from values(self.llm, prompts, Insights)
        found = self.usable(shown, answers)
        if not found:
            return []
        importances, vectors = yield from rate_embed([t for t, _ in found])
        ids = []
        for (text, valid), imp, vec in zip(found, importances, vectors, strict=True):
            depth = 1 + max((stream.records[i].depth for i in valid), default=0)
            ids.append(stream.add(text, "reflection", now, imp, vec, evidence=valid, depth=depth))
        self.stats.insights += len(ids)
        return ids

    def usable(
        self, shown: list[list[Record]], answers: list[Insights | None]
    ) -> list[tuple[str, list[int]]]:
        """(text, cited ids that were shown) per usable insight; the rest is counted."""
        found: list[tuple[str, list[int]]] = []
        for records, answer in zip(shown, answers, strict=True):
            if answer is None:
                self.stats.failed_calls += 1
                continue
            allowed = {r.id for r in records}
            usable = [i for i in answer.insights[: self.n_insights] if i.text.strip()]
            if not usable:
                self.stats.failed_calls += 1
            for insight in usable:
                cited = list(dict.fromkeys(insight.evidence))
                valid = [i for i in cited if i in allowed]
                self.stats.dropped_evidence += len(cited) - len(valid)
                found.append((insight.text, valid))
        return found
