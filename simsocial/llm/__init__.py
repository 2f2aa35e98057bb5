"""simsocial.llm: the only door to language models.

    from simsocial.llm import get_gateway, LLMConfig
    session = get_gateway().session(LLMConfig(model="scripted/majority?beta=3"), run_id="r1")
    answer = session.choose("Which opinion?", ["k", "z"], rng=rng)

Before a run: `simsocial.llm.preflight` (credentials, endpoint, model served, a price for a USD
budget). Where a call goes: `simsocial.llm.providers.route` (scripted, embedded, openai-http fast
path, litellm). What is cached, de-duplicated, limited, retried and counted:
`simsocial.llm.gateway` (+ `attempts`, `accounting`, `pricing`, `breaker`). Failure kinds in
words: `simsocial.llm.failures`.
The verbs and their determinism: `simsocial.llm.session`; what they put in a request and how
they read replies: `simsocial.llm.asks` (+ `choice`, `prompts`). Test twin: `scripted`.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from simsocial.llm.asks import Ask
from simsocial.llm.config import Breaker, Budget, LLMConfig, RateLimit

if TYPE_CHECKING:
    from simsocial.llm.failures import describe_failures
    from simsocial.llm.gateway import Gateway, get_gateway
    from simsocial.llm.preflight import PreflightError
    from simsocial.llm.prompts import Template, all_templates
    from simsocial.llm.session import Ask, Session
    from simsocial.llm.types import (
        CallRecord,
        Choice,
        Completion,
        ProviderError,
        ProviderReply,
        ProviderRequest,
        Structured,
    )

# Imported on first use: `simsocial validate` needs the config models only, not the gateway.
_LAZY = {
    "describe_failures": "failures",
    "PreflightError": "preflight",
    "Gateway": "gateway",
    "get_gateway": "gateway",
    "Template": "prompts",
    "all_templates": "prompts",
    "Ask": "session",
    "Session": "session",
    "CallRecord": "types",
    "Choice": "types",
    "Completion": "types",
    "ProviderError": "types",
    "ProviderReply": "types",
    "ProviderRequest": "types",
    "Structured": "types",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'simsocial.llm' has no attribute {name!r}")
    return getattr(import_module(f"simsocial.llm.{module}"), name)


__all__ = [
    "Ask",
    "Breaker",
    "Budget",
    "CallRecord",
    "Choice",
    "Completion",
    "Gateway",
    "LLMConfig",
    "PreflightError",
    "ProviderError",
    "ProviderReply",
    "ProviderRequest",
    "RateLimit",
    "Session",
    "Structured",
    "Template",
    "all_templates",
    "describe_failures",
    "get_gateway",
]
