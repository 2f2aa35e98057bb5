"""Where a model string goes: one function, `route()`, decides the door every call takes.

==============================  ===============  ===========================================
model string                    path             provider
==============================  ===============  ===========================================
``scripted/<policy>[?k=v]``     ``scripted``     ScriptedProvider, in-process, deterministic
``embedded/<name>``             ``embedded``     EmbeddedProvider, llama.cpp in-process
``embedded/<name>?lora=<a>``    ``embedded``     the same with a LoRA adapter (see below)
``openai/<m>`` + ``api_base``   ``openai-http``  fast path: one shared aiohttp session
``hosted_vllm/<m>`` + api_base  ``openai-http``  (OpenAI chat-completions JSON)
``litellm/<any litellm model>`` ``litellm``      litellm.acompletion, forced (prefix dropped)
anything else                   ``litellm``      litellm.acompletion (openai/, anthropic/ ...)
==============================  ===============  ===========================================

``embedded/<name>?lora=<adapter>[&lora_scale=<float>]`` runs the embedded model with a text LoRA:
``<adapter>`` is a peft adapter folder (as `simsocial.media.text_lora.fine_tune` saves; converted
once to ``<folder>/adapter.gguf``) or a .gguf LoRA adapter file; lora_scale defaults to 1. Its
cache key carries a digest of the adapter's weights (`canonical_model`), so a retrained adapter
at the same path never gets the old one's cached answers.

The fast path exists because litellm costs ~10 ms of CPU per call, which caps a process at
~100 calls/s; OpenAI-compatible servers (vLLM, llama.cpp server, a fleet) do not need it.
Heavy modules (litellm, llama_cpp, aiohttp) are imported only when their provider is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simsocial.llm.providers.base import Provider

if TYPE_CHECKING:
    from simsocial.llm.config import LLMConfig

__all__ = ["Provider", "canonical_model", "make_provider", "route", "supports_logprobs"]

_HTTP_PREFIXES = ("openai/", "hosted_vllm/")


def route(model: str, api_base: str | None) -> str:
    """The path name ('scripted', 'embedded', 'openai-http' or 'litellm') a model string takes."""
    if model.startswith("scripted/"):
        return "scripted"
    if model == "embedded" or model.startswith("embedded/"):
        return "embedded"
    if model.startswith("litellm/"):
        return "litellm"
    if api_base and model.startswith(_HTTP_PREFIXES):
        return "openai-http"
    return "litellm"


def canonical_model(model: str) -> str:
    """The model string as it enters the cache key (and the provider's request): the forcing
    `litellm/` prefix is dropped, so the fast path and litellm share cached answers for the same
    model; an embedded model with ``?lora=`` gains ``lora_blake2b=<digest of the adapter>``."""
    if model.startswith("embedded/") and "?" in model:
        from simsocial.llm.providers.embedded_names import canonical_embedded

        return canonical_embedded(model)
    return model.removeprefix("litellm/")


def supports_logprobs(model: str, api_base: str | None) -> bool:
    """Whether logprobs='auto' turns label log-probabilities on for this model string."""
    path = route(model, api_base)
    if path == "embedded":
        try:
            from simsocial.llm.providers.embedded import EmbeddedProvider
        except ImportError:
            return False
        return bool(getattr(EmbeddedProvider, "supports_logprobs", False))
    return path in ("scripted", "openai-http")


def make_provider(config: LLMConfig) -> Provider:
    """Build the provider for `config.model` (imports its heavy dependencies here, not before)."""
    path = route(config.model, config.api_base)
    if path == "scripted":
        from simsocial.llm.scripted import ScriptedProvider

        return ScriptedProvider(config.model)
    if path == "embedded":
        from simsocial.llm.providers.embedded import EmbeddedProvider

        return EmbeddedProvider(config)
    if path == "openai-http":
        from simsocial.llm.providers.openai_http import OpenAIHTTPProvider

        return OpenAIHTTPProvider(config)
    from simsocial.llm.providers.litellm_provider import LiteLLMProvider

    return LiteLLMProvider(config)
