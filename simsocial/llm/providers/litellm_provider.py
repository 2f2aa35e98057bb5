"""The general door: any model string litellm knows (openai/, anthropic/, ollama/, ...).

litellm is imported here and only here, when the first such provider is built (it takes ~8 s),
with its cost map loaded from the installed package (`LITELLM_LOCAL_MODEL_COST_MAP=True`), so
nothing reaches for the network. litellm's own retries are off: the gateway retries, so attempts
are counted in one place. Its exception classes map onto the gateway's error kinds; credentials
missing or rejected, permission, not-found and bad-request errors are final (never retried),
including the OpenAI SDK's "Missing credentials" that litellm wraps as a generic API error.
Force this path for an OpenAI-compatible endpoint with the prefix ``litellm/``
(``litellm/openai/x``).
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from simsocial.llm.choice import label_logprobs_from_tokens
from simsocial.llm.types import (
    FINAL_STATUS,
    ErrorKind,
    ProviderError,
    ProviderReply,
    ProviderRequest,
)

if TYPE_CHECKING:
    from simsocial.llm.config import LLMConfig

_KINDS: dict[str, ErrorKind] = {
    "RateLimitError": "rate_limit",
    "Timeout": "timeout",
    "APIConnectionError": "connection",
    "InternalServerError": "server",
    "ServiceUnavailableError": "server",
    "BadGatewayError": "server",
    "APIResponseValidationError": "bad_response",
    "JSONDecodeError": "bad_response",
}
# litellm.exceptions (and the openai classes they inherit from): final, never retried
_FINAL: dict[str, ErrorKind] = {
    "AuthenticationError": "auth",
    "PermissionDeniedError": "permission",
    "NotFoundError": "not_found",
    "BadRequestError": "bad_request",  # also ContextWindowExceeded, UnsupportedParams ...
    "UnprocessableEntityError": "bad_request",
}
# what a missing key looks like when it surfaces as a generic error (openai SDK 1.x and later)
_NO_CREDENTIALS = re.compile(
    r"missing credentials|api_key client option must be set|no api key|missing api key"
    r"|api key (?:is )?(?:not (?:set|found|provided)|missing)|invalid api key|incorrect api key",
    re.IGNORECASE,
)


def import_litellm() -> Any:
    """litellm, configured to stay offline and quiet."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    return litellm


def classify(exc: Exception) -> ProviderError:
    """A litellm (or underlying) exception as a gateway error kind, by class name."""
    names = [cls.__name__ for cls in type(exc).__mro__]
    message = f"{type(exc).__name__}: {str(exc)[:300]}"
    for name in names:
        if name in _FINAL:
            return ProviderError(_FINAL[name], message, retryable=False)
    if _NO_CREDENTIALS.search(str(exc)):
        return ProviderError("auth", message, retryable=False)
    for name in names:
        if name in _KINDS:
            return ProviderError(_KINDS[name], message)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status in FINAL_STATUS:
            return ProviderError(FINAL_STATUS[status], message, retryable=False)
        if status == 429:
            return ProviderError("rate_limit", message)
        if status >= 500:
            return ProviderError("server", message)
    if "json" in message.lower() or "decode" in message.lower():
        return ProviderError("bad_response", message)
    return ProviderError("other", message, retryable=False)


class LiteLLMProvider:
    """litellm.acompletion behind the Provider protocol."""

    path = "litellm"
    supports_logprobs = False  # logprobs='on' still asks for them; 'auto' does not

    def __init__(self, config: LLMConfig):
        self.litellm = import_litellm()
        self.model = config.model.removeprefix("litellm/")
        self.api_base = config.api_base
        self.api_key = os.environ.get(config.api_key_env) if config.api_key_env else None

    def _common(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": self.model, "num_retries": 0}
        if self.api_base:
            kwargs["api_base"] = self.api_base
        if self.api_key:
            kwargs["api_key"] = self.api_key
        elif self.api_base and self.model.startswith(("openai/", "hosted_vllm/")):
            kwargs["api_key"] = os.environ.get("OPENAI_API_KEY", "not-needed")
        return kwargs

    async def complete(self, request: ProviderRequest) -> ProviderReply:
        kwargs = self._common()
        kwargs.update(
            messages=request.messages,
            temperature=request.temperature,
            max_tokens=request.max_tokens,
        )
        if request.want_logprobs:
            kwargs.update(
                logprobs=True, top_logprobs=min(20, max(5, len(request.choice_labels or ())))
            )
        if request.json_schema is not None:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": request.json_schema},
            }
        kwargs.update(request.extra)
        try:
            response = await self.litellm.acompletion(**kwargs)
        except Exception as exc:  # litellm raises many classes; the gateway needs a kind
            raise classify(exc) from exc
        try:
            choice = response.choices[0]
            text = choice.message.content or ""
        except (AttributeError, IndexError, TypeError) as exc:
            raise ProviderError(
                "bad_response", f"unexpected litellm reply: {response!r:.200}"
            ) from exc
        usage = getattr(response, "usage", None)
        cost = self._cost(response)
        label_logprobs = None
        if request.want_logprobs and request.choice_labels:
            logprobs = getattr(choice, "logprobs", None)
            content = getattr(logprobs, "content", None) if logprobs is not None else None
            if content is None and isinstance(logprobs, dict):
                content = logprobs.get("content")
            label_logprobs = label_logprobs_from_tokens(content, request.choice_labels)
        return ProviderReply(
            text=text,
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost_usd=cost if cost is not None else 0.0,
            label_logprobs=label_logprobs,
            priced=cost is not None,
        )

    def _cost(self, response: Any) -> float | None:
        """USD from litellm's local cost map; None for a model it does not price (a local
        server): the gateway counts the call as unpriced instead of pricing it at $0."""
        try:
            return float(self.litellm.completion_cost(completion_response=response))
        except Exception:  # litellm raises for an unknown model, with no narrower class
            return None

    async def embed(self, texts: list[str]) -> np.ndarray:
        try:
            response = await self.litellm.aembedding(input=list(texts), **self._common())
        except Exception as exc:
            raise classify(exc) from exc
        rows = [
            item["embedding"] if isinstance(item, dict) else item.embedding
            for item in response.data
        ]
        return np.asarray(rows, dtype=np.float32)

    async def aclose(self) -> None:
        return None
