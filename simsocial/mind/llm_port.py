"""What the mind needs from an LLM, as a maker of asks: it never waits on a call itself.

Every mind operation that needs the model is rounds of asks (`simsocial.rounds`): it yields the
asks its `AskPort` prepared and receives their answers, so a model advances the minds of all its
agents together, one gather per round. An answer to `structured` has `.value` (None on failure),
one to `embed` has `.vectors` (None on failure). `SessionPort` prepares the asks on a
`simsocial.llm.Session`; tests pass any object with the same two methods whose asks answer
themselves.

`LLMPort` is the older blocking shape (one structured answer per prompt, now), kept for callers
outside a simulation step such as persona expansion.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel

from simsocial.rounds import Rounds


class AskPort(Protocol):
    """Prepares the mind's asks (synchronously, in call order: see `simsocial.rounds`)."""

    def structured(self, prompt: str, schema: type[BaseModel]) -> Any: ...

    def embed(self, texts: list[str]) -> Any: ...


class LLMPort(Protocol):
    """Blocking: one structured answer per prompt (None on failure), for one-off callers."""

    def structured_many(self, prompts: list[str], schema: type[BaseModel]) -> list[Any | None]: ...


class SessionPort:
    """An AskPort over a Session; counts the asks it made (structured and embeddings)."""

    def __init__(
        self, session: Any, meta: dict[str, Any] | None = None, model: str | None = None
    ) -> None:
        self.session = session
        self.meta = meta or {}
        self.model = model  # the persona's pinned model string, if any
        self.calls = 0
        self.embeds = 0

    def structured(self, prompt: str, schema: type[BaseModel]) -> Any:
        self.calls += 1
        return self.session.ask_structured(prompt, schema, meta=dict(self.meta), model=self.model)

    def embed(self, texts: list[str]) -> Any:
        self.embeds += 1
        return self.session.ask_embed(list(texts), meta=dict(self.meta))


def values(port: AskPort, prompts: list[str], schema: type[BaseModel]) -> Rounds[list[Any]]:
    """One round: a structured answer per prompt (None where the model gave none)."""
    if not prompts:
        return []
    answers = yield [port.structured(p, schema) for p in prompts]
    return [answer.value for answer in answers]


def vectors_of(answer: Any, n: int, dim: int, failures: Counter[str]) -> np.ndarray:
    """The rows of an embed answer; a failed one is counted (`embedding_failed`) and gives
    zero rows: no relevance at all, rather than an invented one."""
    if answer.vectors is None:
        failures["embedding_failed"] += 1
        return np.zeros((n, dim), dtype=np.float32)
    return np.asarray(answer.vectors, dtype=np.float32)


def embedded(
    port: AskPort, texts: list[str], dim: int, failures: Counter[str]
) -> Rounds[np.ndarray]:
    """One round: unit rows for `texts` (see `vectors_of` for a failure)."""
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    (answer,) = yield [port.embed(list(texts))]
    return vectors_of(answer, len(texts), dim, failures)
