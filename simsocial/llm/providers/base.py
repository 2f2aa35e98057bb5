"""The provider port: the narrow interface every model backend implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from simsocial.llm.types import ProviderReply, ProviderRequest


@runtime_checkable
class Provider(Protocol):
    """A model backend. Raise ProviderError for failures; the gateway retries and records."""

    path: str  # short name recorded in llm_calls.path
    supports_logprobs: bool

    async def complete(self, request: ProviderRequest) -> ProviderReply: ...

    async def embed(self, texts: list[str]) -> np.ndarray: ...

    async def aclose(self) -> None: ...
