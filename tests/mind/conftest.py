"""A fake ask port with known answers, so the mind's logic is tested against hand-set replies.

Its asks answer themselves (the reply is decided when the ask is made), so `driving.run` drives
the mind's rounds by handing each ask back as its own answer.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from types import SimpleNamespace
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

    def structured(self, prompt: str, schema: type[BaseModel]) -> SimpleNamespace:
        self.prompts.append(prompt)
        return SimpleNamespace(value=self.reply(prompt, schema))

    def embed(self, texts: list[str]) -> SimpleNamespace:
        rows = []
        for t in texts:
            v = self.vectors.get(t)
            if v is None:
                v = np.zeros(self.dim, dtype=np.float32)
                v[zlib.crc32(t.encode()) % self.dim] = 1.0
            rows.append(np.asarray(v, dtype=np.float32))
        return SimpleNamespace(vectors=np.vstack(rows))


@pytest.fixture
def fake_port() -> type[FakePort]:
    return FakePort
