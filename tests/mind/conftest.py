"""A fake LLM port with known answers, so the mind's logic is tested against hand-set replies."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel


class FakePort:
    """Answers structured prompts with `reply(prompt, schema)`; embeds by a fixed table."""

    def __init__(
        self,
        reply: Callable[[str, type[BaseModel]], Any],
        vectors: dict[str, np.ndarray] | None = None,
        dim: int = 4,
    ) -> None:
        self.reply = reply
        self.vectors = vectors or {}
        self.dim = dim
        self.prompts: list[str] = []

    def structured_many(self, prompts: list[str], schema: type[BaseModel]) -> list[Any | None]:
        self.prompts.extend(prompts)
        return [self.reply(p, schema) for p in prompts]

    def embed(self, texts: list[str]) -> np.ndarray:
        rows = []
        for t in texts:
            v = self.vectors.get(t)
            if v is None:
                v = np.zeros(self.dim, dtype=np.float32)
                v[zlib.crc32(t.encode()) % self.dim] = 1.0
            rows.append(np.asarray(v, dtype=np.float32))
        return np.vstack(rows) if rows else np.zeros((0, self.dim), dtype=np.float32)


@pytest.fixture
def fake_port() -> type[FakePort]:
    return FakePort
