"""simsocial.llm: the only door to language models.

    from simsocial.llm import get_gateway, LLMConfig
    session = get_gateway().session(LLMConfig(model="scripted/majority?beta=3"), run_id="r1")
    answer = session.choose("Which opinion?", ["k", "z"], rng=rng)

Where a call goes: `simsocial.llm.providers.route` (scripted, embedded, openai-http fast path,
litellm). What is cached, de-duplicated, limited, retried and counted: `simsocial.llm.gateway`.
The verbs and their determinism: `simsocial.llm.session`; what they put in a request and how
they read replies: `simsocial.llm.asks` (+ `choice`, `prompts`). Test twin: `scripted`.
"""

from __future__ import annotations

from simsocial.llm.asks import Ask
from simsocial.llm.config import Budget, LLMConfig, RateLimit
from simsocial.llm.gateway import Gateway, get_gateway
from simsocial.llm.prompts import Template, all_templates
from simsocial.llm.session import Session
from simsocial.llm.types import (
    CallRecord,
    Choice,
    Completion,
    ProviderError,
    ProviderReply,
    ProviderRequest,
    Structured,
)

__all__ = [
    "Ask",
    "Budget",
    "CallRecord",
    "Choice",
    "Completion",
    "Gateway",
    "LLMConfig",
    "ProviderError",
    "ProviderReply",
    "ProviderRequest",
    "RateLimit",
    "Session",
    "Structured",
    "Template",
    "all_templates",
    "get_gateway",
]
