"""Preflight: before step 0, check that every model a run will use can answer at all.

Without it a missing key or a wrong `api_base` shows up as hundreds of failed calls (or minutes of
retries) after the run directory was written. `preflight(configs)` checks each distinct model
once and raises `PreflightError`, one line naming the model and what to do, at the first problem:

- scripted: the policy string parses.
- embedded: llama_cpp imports and the GGUF weights (and a ``?lora=`` adapter, whose config and
  tensor names must convert) are where the model string says (the model is not loaded; the run
  pays that on its first call either way).
- any other model: credentials are present: `llm.api_key_env` when set, else litellm's
  `validate_environment` for hosted providers (no network call: tests and offline machines have
  no internet). Local servers (`ollama/` ...) and OpenAI-compatible endpoints (`openai/` or
  `hosted_vllm/` with `api_base`) need no key; a server that wants one says 401 to the probe.
- with `api_base`, and each of `endpoints`: `GET {url}/models` answers within `timeout`: no
  answer is "cannot reach", 401/403 a credentials failure, 5xx "not ready"; when it lists
  models, an OpenAI-compatible model must be among them. A 404 (no model list) is accepted.
- with `llm.budget.usd`: the model has a price in litellm's cost map, or the budget could not be
  enforced (see `simsocial.llm.pricing`).

The runner calls it before it writes anything; a failure is exit 2.
"""

from __future__ import annotations

import importlib
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable

from simsocial.errors import SimsocialError
from simsocial.llm.config import LLMConfig
from simsocial.llm.pricing import LOCAL_PREFIXES, price
from simsocial.llm.providers import canonical_model, route

DEFAULT_TIMEOUT = 1.5  # seconds for the endpoint probe: a loopback or LAN server answers in ms
_COMPATIBLE = ("openai/", "hosted_vllm/")  # served names are checked against /models


class PreflightError(SimsocialError):
    """A model of the run cannot answer; the message is one line naming it and the fix."""


def preflight(configs: Iterable[LLMConfig], *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Check every distinct model config (see the module doc); raise PreflightError at the first
    one that cannot work. Scripted and embedded checks cost microseconds."""
    seen: set[tuple[str | bool | None, ...]] = set()
    for config in configs:
        usd = config.budget is not None and config.budget.usd is not None
        key = (config.model, config.api_base, config.api_key_env, usd, *config.endpoints)
        if key in seen:
            continue
        seen.add(key)
        problem = check(config, timeout=timeout)
        if problem is not None:
            raise PreflightError(f"llm.model {config.model!r}: {problem}")


def check(config: LLMConfig, *, timeout: float = DEFAULT_TIMEOUT) -> str | None:
    """What stops this model from answering (a clause for PreflightError), or None."""
    path = route(config.model, config.api_base)
    if path == "scripted":
        return _scripted(config.model)
    if path == "embedded":
        return _embedded(config.model)
    problem = _credentials(config, path)
    for base, field in [(config.api_base, "llm.api_base")] + [
        (url, "llm.endpoints") for url in config.endpoints
    ]:
        problem = problem or _endpoint(config, base, field, timeout)
    return problem or _priced(config)


def _scripted(model: str) -> str | None:
    from simsocial.llm.scripted import ScriptedProvider

    try:
        ScriptedProvider(model)
    except ValueError as exc:
        return str(exc)
    return None


def _embedded(model: str) -> str | None:
    from simsocial.llm.providers.embedded_names import INSTALL_HINT, resolve_model
    from simsocial.llm.types import ProviderError

    try:
        importlib.import_module("llama_cpp")  # the run imports it on its first call anyway
    except ImportError as exc:
        return f"llama_cpp cannot be imported ({exc}); {INSTALL_HINT}"
    try:
        resolve_model(model)  # the base GGUF and any ?lora= adapter (exists, converts)
    except ProviderError as exc:
        return str(exc)
    return None


def _credentials(config: LLMConfig, path: str) -> str | None:
    """A key named by llm.api_key_env must be set; hosted litellm models need their provider's."""
    if config.api_key_env:
        if os.environ.get(config.api_key_env):
            return None
        return f"llm.api_key_env names {config.api_key_env}, which is not set: export it"
    model = canonical_model(config.model)
    if path == "openai-http" or (config.api_base and model.startswith(_COMPATIBLE)):
        return None
    if model.startswith(LOCAL_PREFIXES):  # ollama & co. default to localhost and take no key
        return None
    try:
        from simsocial.llm.providers.litellm_provider import import_litellm

        litellm = import_litellm()
    except ImportError as exc:
        return f"litellm cannot be imported ({exc}); pip install litellm"
    found = litellm.validate_environment(model=model, api_base=config.api_base)
    missing = [str(name) for name in found.get("missing_keys") or []]
    if missing:
        return (
            f"missing credentials: litellm looks for {', '.join(missing)} in the environment; "
            "set it (or name another variable in llm.api_key_env)"
        )
    return None


def _endpoint(config: LLMConfig, url: str | None, field: str, timeout: float) -> str | None:
    """Probe GET {url}/models (the api_base, or one of the endpoints named in `field`):
    reachable, credentials accepted, the model served."""
    if not url:
        return None
    base = url.rstrip("/")
    headers = {}
    key_env = config.api_key_env or "OPENAI_API_KEY"
    if os.environ.get(key_env):
        headers["Authorization"] = f"Bearer {os.environ[key_env]}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # as the fast path
    try:
        with opener.open(
            urllib.request.Request(f"{base}/models", headers=headers), timeout=timeout
        ) as reply:
            body = reply.read(4_000_000)
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            return (
                f"{base} refused the credentials (HTTP {exc.code}); set {key_env} to a key it "
                "accepts (or name another variable in llm.api_key_env)"
            )
        if exc.code >= 500:
            return f"{base}/models answered HTTP {exc.code}: the server is not ready; retry later"
        return None  # 404/405: no model list at this server, which is allowed
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return f"cannot reach {base} ({reason}); start the server or fix {field}"
    return _served(canonical_model(config.model), base, body)


def _served(model: str, base: str, body: bytes) -> str | None:
    """An OpenAI-compatible model must be in the server's list (others are named differently)."""
    if not model.startswith(_COMPATIBLE):
        return None
    try:
        ids = [str(item["id"]) for item in json.loads(body)["data"]]
    except (ValueError, KeyError, TypeError):
        return None  # a list we cannot read does not prove the model missing
    name = model.split("/", 1)[1]
    if name in ids:
        return None
    shown = ", ".join(ids[:10]) + (f" (+{len(ids) - 10} more)" if len(ids) > 10 else "")
    return f"{name!r} is not served at {base}; it serves: {shown or 'nothing'}"


def _priced(config: LLMConfig) -> str | None:
    """A USD budget needs a price: refusing beats a budget that silently never stops."""
    if config.budget is None or config.budget.usd is None or price(config.model) is not None:
        return None
    return (
        f"llm.budget.usd is set but litellm's cost map has no price for {config.model!r}, so the "
        "budget cannot be enforced; use llm.budget.calls or llm.budget.tokens"
    )


__all__ = ["DEFAULT_TIMEOUT", "PreflightError", "check", "preflight"]
