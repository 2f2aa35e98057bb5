"""The fast path: OpenAI chat-completions JSON over one shared aiohttp session.

For ``openai/<model>`` and ``hosted_vllm/<model>`` with an ``api_base`` (vLLM, llama.cpp server,
any OpenAI-compatible fleet; `llm.endpoints` adds replicas: `simsocial.llm.providers.spread`).
litellm spends ~10 ms of CPU per call on translation layers this path does not need, which caps
a process near 100 calls/s; here a call costs one JSON encode, one POST on a kept-alive
connection and one JSON decode.

Failures are classified for the gateway: HTTP 429 -> "rate_limit", 5xx -> "server",
408 -> "timeout", connection problems -> "connection", a body that is not the expected JSON
(malformed or truncated) -> "bad_response"; these are retried. 401 -> "auth", 403 ->
"permission", 404 -> "not_found", 400/422 -> "bad_request" and other 4xx ("other") cannot
succeed on a second try and are not retried.

Cost: priced with litellm's cost map (`simsocial.llm.pricing`, read without importing litellm),
as on the litellm path, so a USD budget holds here too; a model the map does not know (a local
vLLM model) is answered with `priced=False`, never priced at $0.
"""

from __future__ import annotations

import json
import os
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from simsocial.llm.choice import label_logprobs_from_tokens
from simsocial.llm.pricing import price
from simsocial.llm.providers.spread import Spread
from simsocial.llm.types import (
    FINAL_STATUS,
    ProviderError,
    ProviderReply,
    ProviderRequest,
)

if TYPE_CHECKING:
    import aiohttp

    from simsocial.llm.config import LLMConfig


def request_body(request: ProviderRequest, model: str) -> dict[str, Any]:
    """The chat-completions JSON for one request (also used by the benchmark's raw client)."""
    body: dict[str, Any] = {
        "model": model,
        "messages": request.messages,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "seed": request.draw,  # vLLM honours per-request seeds: the n-th sample replays
    }
    if request.want_logprobs:
        body["logprobs"] = True
        body["top_logprobs"] = min(20, max(5, len(request.choice_labels or ())))
    if request.json_schema is not None:
        name = re.sub(r"[^A-Za-z0-9_-]", "_", str(request.json_schema.get("title", "answer")))[:64]
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": name or "answer", "schema": request.json_schema},
        }
    body.update(request.extra)
    return body


def parse_reply(data: Any, request: ProviderRequest) -> ProviderReply:
    """ProviderReply from a decoded chat-completions body; a wrong shape is "bad_response"."""
    try:
        choice = data["choices"][0]
        text = choice["message"].get("content") or ""
        usage = data.get("usage") or {}
        prompt_tokens = int(usage.get("prompt_tokens") or 0)
        completion_tokens = int(usage.get("completion_tokens") or 0)
    except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
        raise ProviderError("bad_response", f"unexpected reply shape: {str(data)[:200]}") from exc
    label_logprobs = None
    if request.want_logprobs and request.choice_labels:
        content = (choice.get("logprobs") or {}).get("content")
        label_logprobs = label_logprobs_from_tokens(content, request.choice_labels)
    return ProviderReply(
        text=text,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        label_logprobs=label_logprobs,
    )


def status_error(status: int, body: bytes) -> ProviderError:
    """The ProviderError for a non-200 HTTP answer (also used by the preflight)."""
    detail = f"HTTP {status}: {body[:200].decode(errors='replace')}"
    if status == 429:
        return ProviderError("rate_limit", detail)
    if status >= 500:
        return ProviderError("server", detail)
    if status == 408:
        return ProviderError("timeout", detail)
    return ProviderError(FINAL_STATUS.get(status, "other"), detail, retryable=False)


class OpenAIHTTPProvider:
    """One aiohttp ClientSession per (model, api_base), created on the gateway loop."""

    path = "openai-http"
    supports_logprobs = True

    def __init__(self, config: LLMConfig):
        if not config.api_base:
            raise ValueError(f"{config.model!r} on the OpenAI HTTP path needs llm.api_base")
        bases = [base.rstrip("/") for base in (config.api_base, *config.endpoints)]
        self.urls = [base + "/chat/completions" for base in bases]
        self.embeddings_urls = [base + "/embeddings" for base in bases]
        self.url, self.embeddings_url = self.urls[0], self.embeddings_urls[0]
        # several endpoints (llm.endpoints): each call to the least busy (simsocial...spread)
        self.spread = Spread(len(bases)) if len(bases) > 1 else None
        self.model = config.model.split("/", 1)[1]
        self.price = price(config.model)
        key_env = config.api_key_env or "OPENAI_API_KEY"
        key = os.environ.get(key_env)
        self.headers = {"Content-Type": "application/json"}
        if key:
            self.headers["Authorization"] = f"Bearer {key}"
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            import aiohttp

            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
                headers=self.headers,
                timeout=aiohttp.ClientTimeout(total=None),  # the gateway times each attempt
            )
        return self._session

    async def _post(self, url: str, body: dict[str, Any]) -> Any:
        import aiohttp

        try:
            async with self._client().post(url, data=json.dumps(body).encode()) as response:
                raw = await response.read()
                status = response.status
        except aiohttp.ClientPayloadError as exc:
            raise ProviderError("bad_response", f"truncated reply: {exc}") from exc
        except aiohttp.ClientError as exc:  # connection refused/reset, server disconnected ...
            raise ProviderError("connection", f"{type(exc).__name__}: {exc}") from exc
        if status != 200:
            raise status_error(status, raw)
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ProviderError("bad_response", f"reply is not JSON: {raw[:200]!r}") from exc

    async def _send(self, urls: list[str], body: dict[str, Any]) -> Any:
        """POST to the one endpoint, or to the least busy of several."""
        if self.spread is None:
            return await self._post(urls[0], body)
        endpoint = self.spread.pick()
        refused = False
        try:
            return await self._post(urls[endpoint], body)
        except ProviderError as exc:
            refused = exc.kind == "connection"
            raise
        finally:
            self.spread.done(endpoint, refused)

    async def complete(self, request: ProviderRequest) -> ProviderReply:
        data = await self._send(self.urls, request_body(request, self.model))
        reply = parse_reply(data, request)
        if self.price is None:
            reply.priced = False
        else:
            reply.cost_usd = self.price.cost(reply.prompt_tokens, reply.completion_tokens)
        return reply

    async def embed(self, texts: list[str]) -> np.ndarray:
        data = await self._send(self.embeddings_urls, {"model": self.model, "input": texts})
        try:
            rows = [item["embedding"] for item in sorted(data["data"], key=lambda d: d["index"])]
        except (KeyError, TypeError) as exc:
            raise ProviderError(
                "bad_response", f"unexpected embeddings reply: {str(data)[:200]}"
            ) from exc
        return np.asarray(rows, dtype=np.float32)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
