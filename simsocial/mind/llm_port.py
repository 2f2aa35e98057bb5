"""The two things the mind needs from an LLM: many structured answers at once, and embeddings.

`SessionPort` adapts a `simsocial.llm.Session` (its asks are answered concurrently by
`gather`); tests can pass any object with the same two methods and known answers.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from pydantic import BaseModel


class LLMPort(Protocol):
    """What the mind calls: one structured answer per prompt (None on failure), embeddings."""

    def structured_many(self, prompts: list[str], schema: type[BaseModel]) -> list[Any | None]: ...

    def embed(self, texts: list[str]) -> np.ndarray: ...


class SessionPort:
    """An LLMPort over a Session; counts calls so a scenario can report calls per step."""

    def __init__(
        self, session: Any, meta: dict[str, Any] | None = None, model: str | None = None
    ) -> None:
        self.session = session
        self.meta = meta or {}
        self.model = model  # the persona's pinned model string, if any
        self.calls = 0

    def structured_many(self, prompts: list[str], schema: type[BaseModel]) -> list[Any | None]:
        asks = [
            self.session.ask_structured(p, schema, meta=dict(self.meta), model=self.model)
            for p in prompts
        ]
        self.calls += len(asks)
        return [answer.value for answer in self.session.gather(asks)]

    def embed(self, texts: list[str]) -> np.ndarray:
        answer = self.session.embed(list(texts))
        if answer.vectors is None:
            raise RuntimeError(f"embedding failed: {answer.record.error}")
        return answer.vectors
