"""`Mind`: one agent's memory stream, importance rater and reflector behind a small API.

The scenario calls `observe` with what the agent perceived (many texts at once, so importance is
rated in one batched call, optionally tagged with the people it concerns) and `recall` or
`context` with a query; reflection happens by itself when due. `context` renders the recalled
memories within the spec's token budget. With `memory: false` nothing is stored and nothing is
recalled. `failures` counts what the mind could not get from the model (a scenario reports it in
its manifest); the counts travel with the checkpoint state.

Every method that needs the model is rounds of asks (`simsocial.rounds`), never a blocking
call: `ids = yield from mind.observe(texts, now)` inside an agent's decision, which the model
advances together with every other agent's. Ratings and embeddings of new memories share one
round; a reflection adds four (`simsocial.mind.reflection`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any

import numpy as np

from simsocial.mind.budget import pack
from simsocial.mind.config import MindConfig
from simsocial.mind.importance import ImportanceRater
from simsocial.mind.llm_port import AskPort, embedded, vectors_of
from simsocial.mind.memory import MemoryStream, Record
from simsocial.mind.reflection import ReflectionStats, Reflector
from simsocial.mind.relationships import Relationships
from simsocial.mind.retrieval import retrieve
from simsocial.rounds import Rounds


class Mind:
    """What one agent remembers, and how it recalls and reflects."""

    def __init__(
        self, name: str, llm: AskPort, config: MindConfig | None = None, dim: int = 384
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
        # asks made by purpose since this object was built (for a scenario's per-step deltas)
        self.asked: Counter[str] = Counter()

    def observe(
        self,
        texts: list[str],
        now: float,
        kind: str = "observation",
        trivial: list[bool] | None = None,
        about: list[str] | None = None,
    ) -> Rounds[list[int]]:
        """Store perceived events (rated and embedded in one round), tagged as concerning the
        names in `about`; reflect once afterwards if that crossed the threshold."""
        if not self.config.memory or not texts:
            return []
        importances, vectors = yield from self.rate_embed(texts, trivial)
        ids = [
            self._store(t, kind, now, i, v, about)
            for t, i, v in zip(texts, importances, vectors, strict=True)
        ]
        if self.config.reflection and self.reflector.due:
            ids += yield from self.reflect(now)
        return ids

    def perceive(
        self,
        texts: list[str],
        now: float,
        kind: str = "observation",
        about: list[str] | None = None,
    ) -> Rounds[list[int]]:
        """Store events one after another, each tagged with its own name in `about` ("" for
        none), reflecting as soon as the threshold is crossed (later events come after the
        reflection), while rating and embedding all of them in one round."""
        if not self.config.memory or not texts:
            return []
        tags = about or [""] * len(texts)
        importances, vectors = yield from self.rate_embed(texts)
        ids: list[int] = []
        for text, imp, vec, other in zip(texts, importances, vectors, tags, strict=True):
            ids.append(self._store(text, kind, now, imp, vec, [other] if other else None))
            if self.config.reflection and self.reflector.due:
                ids += yield from self.reflect(now)
        return ids

    def _store(
        self,
        text: str,
        kind: str,
        now: float,
        importance: int | None,
        vector: np.ndarray,
        about: list[str] | None,
    ) -> int:
        record_id = self.stream.add(text, kind, now, importance, vector)
        self.reflector.note(self.stream.records[record_id])
        for other in about or []:
            self.relationships.note(other, record_id)
        return record_id

    def rate_embed(
        self, texts: list[str], trivial: list[bool] | None = None
    ) -> Rounds[tuple[list[int | None], np.ndarray]]:
        """Importances and unit rows for new texts, asked together in one round."""
        trivial = trivial or [False] * len(texts)
        chunks, prompts = self.rater.plan(self.name, texts, trivial)
        self.asked["importance"] += len(chunks)
        answers = yield [*self.rater.asks(chunks, prompts), self.llm.embed(list(texts))]
        self.rater.absorb(chunks, [answer.value for answer in answers[:-1]])
        vectors = vectors_of(answers[-1], len(texts), self.stream.dim, self.noted)
        return self.rater.results(texts, trivial), vectors

    def embed(self, texts: list[str]) -> Rounds[np.ndarray]:
        """Unit rows for queries (one round; a failure is counted in `noted`)."""
        return (yield from embedded(self.llm, texts, self.stream.dim, self.noted))

    def reflect(self, now: float) -> Rounds[list[int]]:
        """Reflect now (normally triggered by `observe`); ids of new reflections."""
        return (
            yield from self.reflector.reflect(
                self.stream, self.name, now, self.rate_embed, self.embed
            )
        )

    def recall(self, query: str, now: float, k: int | None = None) -> Rounds[list[Record]]:
        """The best memories for a query, best first (empty with memory off, no round)."""
        if not self.config.memory or len(self.stream) == 0:
            return []
        (vec,) = yield from self.embed([query])
        c = self.config
        return retrieve(self.stream, vec, now, k or c.k, c.weights, c.decay)

    def context(self, query: str, now: float, budget: int | None = None) -> Rounds[str]:
        """Recalled memories as `- text` lines, best first, within the token budget."""
        lines = [f"- {r.text}" for r in (yield from self.recall(query, now))]
        return "\n".join(pack(lines, budget or self.config.budget_tokens))

    def about(self, other: str, now: float, k: int | None = None) -> Rounds[list[Record]]:
        """What this agent remembers about `other` (empty if never met)."""
        (found,) = yield from self.about_many([other], now, k)
        return found

    def about_many(
        self, others: list[str], now: float, k: int | None = None
    ) -> Rounds[list[list[Record]]]:
        """`about` for several people, their names embedded in one round (in order: each
        retrieval touches the records it returns)."""
        if not self.config.memory or not others:
            return [[] for _ in others]
        vectors = yield from self.embed(list(others))
        c = self.config
        return [
            self.relationships.about(o, self.stream, v, now, k or c.k, c.weights, c.decay)
            for o, v in zip(others, vectors, strict=True)
        ]

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
