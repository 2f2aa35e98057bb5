"""Fixtures shared by the test packages: a private gateway with tiny backoff, closed after each
test, and scripted sessions on it with their cache under the test's tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simsocial.llm import Gateway, LLMConfig, Session


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    gw = Gateway(max_concurrency=64, retry_initial_s=0.001, retry_max_s=0.01)
    yield gw
    gw.close()


@pytest.fixture
def make_session(gateway: Gateway, tmp_path: Path) -> Callable[..., Session]:
    """session(model=..., **llm keys): a session on the test gateway, cache under tmp_path."""

    def make(model: str = "scripted/random", run_id: str = "test", **keys: object) -> Session:
        return gateway.session(LLMConfig(model=model, **keys), run_id=run_id, cache_dir=tmp_path)

    return make
