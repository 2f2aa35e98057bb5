"""`Mind`: one agent's memory stream, importance rater and reflector behind a small API.

The scenario calls `observe` with what the agent perceived (many texts at once, so importance is
rated in one batched call, optionally tagged with the people it concerns) and `recall` or
`context` with a query; reflection happens by itself when due. `context` renders the recalled
memories within the spec's token budget. With `memory: false` nothing is stored and nothing is
recalled. `failures` counts what the mind could not get from the model (a scenario reports it in
its manifest); the counts travel with the checkpoint state.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

import numpy as np

from simsocial.mind.budget import pack
from simsocial.mind.config import MindConfig
from simsocial.mind.importance import ImportanceRater
from simsocial.mind.llm_port import LLMPort
from simsocial.mind.memory import MemoryStream, Record
from simsocial.mind.reflection import ReflectionStats, Reflector
from simsocial.mind.relationships import Relationships
from simsocial.mind.retrieval import retrieve


class Mind:
    """What one agent remembers, and how it recalls and reflects."""

    def __init__(
        self, name: str, llm: LLMPort, config: MindConfig | None = None, dim: int = 384
    ) -> None:
        self.name = name
        self.llm = llm
        self.config = config or MindConfig()
        c = self.config
        self.stream = MemoryStream(dim)
        self.rater = ImportanceRater(llm, c.importance_batch)
        self.reflector = Reflector(
            llm, c.reflection_threshold, c.reflection_recent, k=c.k, weights=c.weights
        )
        self.relationships = Relationships(name)
        # failures the scenario notes for this agent (day plans, interviews), checkpointed here
        self.noted: Counter[str] = Counter()

    def observe(
        self,
        texts: list[str],
        now: float,
        kind: str = "observation",
        trivial: list[bool] | None = None,
        about: list[str] | None = None,
    ) -> list[int]:
        """Store perceived events (rated in one batch), tagged as concerning the names in
        `about`; reflect if that crosses the threshold."""
        if not self.config.memory or not texts:
            return []
        importances = self.rater.rate(self.name, texts, trivial)
        vectors = self.llm.embed(texts)
        ids = []
        for text, imp, vec in zip(texts, importances, vectors, strict=True):
            ids.append(self.stream.add(text, kind, now, imp, vec))
            self.reflector.note(self.stream.records[ids[-1]])
            for other in about or []:
                self.relationships.note(other, ids[-1])
        if self.config.reflection and self.reflector.due:
            ids += self.reflect(now)
        return ids

    def reflect(self, now: float) -> list[int]:
        """Reflect now (normally triggered by `observe`); ids of new reflections."""
        return self.reflector.reflect(
            self.stream, self.name, now, lambda ts: self.rater.rate(self.name, ts)
        )

    def recall(self, query: str, now: float, k: int | None = None) -> list[Record]:
        """The best memories for a query, best first (empty with memory off)."""
        if not self.config.memory or len(self.stream) == 0:
            return []
        vec = np.asarray(self.llm.embed([query])[0])
        c = self.config
        return retrieve(self.stream, vec, now, k or c.k, c.weights, c.decay)

    def context(self, query: str, now: float, budget: int | None = None) -> str:
        """Recalled memories as `- text` lines, best first, within the token budget."""
        lines = [f"- {r.text}" for r in self.recall(query, now)]
        return "\n".join(pack(lines, budget or self.config.budget_tokens))

    def about(self, other: str, now: float, k: int | None = None) -> list[Record]:
        """What this agent remembers about `other` (empty if never met)."""
        if not self.config.memory:
            return []
        vec = np.asarray(self.llm.embed([other])[0])
        c = self.config
        return self.relationships.about(other, self.stream, vec, now, k or c.k, c.weights, c.decay)

    def note(self, kind: str) -> None:
        """Count a failure the scenario met for this agent (e.g. an unanswered interview)."""
        self.noted[kind] += 1

    def failures(self) -> Counter[str]:
        """What the model failed to give this agent, by kind: importance batches by reason
        (`importance_<reason>`), memories stored unrated, reflection calls without a usable
        answer, relationship summaries not given, and what the scenario noted."""
        counts: Counter[str] = Counter(
            {f"importance_{reason}": n for reason, n in self.rater.failures.items()}
        )
        counts["unrated_memories"] = self.rater.unrated
        counts["reflection_failed_calls"] = self.reflector.stats.failed_calls
        counts["relationship_failed_calls"] = self.relationships.failures
        counts.update(self.noted)
        return +counts  # zero counts dropped: an empty Counter means nothing failed

    def get_state(self) -> dict[str, Any]:
        """Plain data for a checkpoint: records, embeddings, counters, relationships, cache."""
        return {
            "dim": self.stream.dim,
            # embeddings as one array: a checkpoint stores it as bytes, not as JSON floats
            "records": [
                {k: v for k, v in row.items() if k != "embedding"} for row in self.stream.to_rows()
            ],
            "embeddings": self.stream.embeddings.copy(),
            "accumulated": self.reflector.accumulated,
            "relationships": {k: list(v) for k, v in self.relationships.ids.items()},
            "importance_cache": dict(self.rater.cache),
            "counts": {
                "rater_calls": self.rater.calls,
                "rater_failures": dict(self.rater.failures),
                "unrated": self.rater.unrated,
                "reflection": asdict(self.reflector.stats),
                "relationship_failures": self.relationships.failures,
                "noted": dict(self.noted),
            },
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what `get_state` saved (opinions are re-asked on demand)."""
        rows = [
            {**row, "embedding": vec}
            for row, vec in zip(state["records"], state["embeddings"], strict=True)
        ]
        self.stream = MemoryStream.from_rows(rows, int(state["dim"]))
        self.reflector.accumulated = float(state["accumulated"])
        self.relationships.ids = {k: list(v) for k, v in state["relationships"].items()}
        self.relationships.opinions = {}
        self.rater.cache = dict(state["importance_cache"])
        counts = state["counts"]
        self.rater.calls = int(counts["rater_calls"])
        self.rater.failures = Counter(counts["rater_failures"])
        self.rater.unrated = int(counts["unrated"])
        self.reflector.stats = ReflectionStats(**counts["reflection"])
        self.relationships.failures = int(counts["relationship_failures"])
        self.noted.clear()  # in place: a planner may share this counter
        self.noted.update(counts["noted"])
