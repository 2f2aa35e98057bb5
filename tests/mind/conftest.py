"""A fake LLM port with known answers, so the mind's logic is tested against hand-set replies."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

from simsocial.llm import Gateway, LLMConfig, Session


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


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway(max_concurrency=16, retry_initial_s=0.001, retry_max_s=0.01)
    yield gw
    gw.close()


@pytest.fixture
def make_session(gateway: Gateway, tmp_path: Path) -> Callable[..., Session]:
    """session(model=..., **llm keys): a scripted session on the test gateway."""

    def make(model: str = "scripted/random", **keys: object) -> Session:
        return gateway.session(LLMConfig(model=model, **keys), run_id="mind", cache_dir=tmp_path)

    return make
