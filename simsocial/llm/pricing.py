"""Prices per token from litellm's bundled cost map, without importing litellm.

The fast path (`openai-http`) never imports litellm (seconds of import for a dictionary), yet a
USD budget must hold there exactly as on the litellm path. Both read the same file: the JSON
litellm ships as `model_prices_and_context_window_backup.json` and uses itself when
`LITELLM_LOCAL_MODEL_COST_MAP=True`. It is parsed once, on the first lookup (~0.1 s).

A model the map does not know has no price (None), never a price of $0: the gateway counts such
calls as unpriced, and a USD budget refuses to run on them (see `simsocial.llm.preflight`).
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from simsocial.llm.limits import estimate_tokens
from simsocial.llm.types import ProviderRequest

COST_MAP_FILE = "model_prices_and_context_window_backup.json"
# model-string prefixes whose models are served locally: nothing to price, no key to hold
LOCAL_PREFIXES = ("hosted_vllm/", "ollama/", "ollama_chat/", "lm_studio/", "llamafile/")


@dataclass(frozen=True, slots=True)
class Price:
    """USD per prompt token and per completion token."""

    prompt: float
    completion: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return prompt_tokens * self.prompt + completion_tokens * self.completion

    def worst_case(self, request: ProviderRequest) -> float:
        """What one call can cost at most: the prompt estimate plus every allowed token."""
        prompt = estimate_tokens(request) - request.max_tokens
        return self.cost(prompt, request.max_tokens)


def cost_map_path() -> Path | None:
    """The JSON file inside the installed litellm package (found without importing litellm)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / COST_MAP_FILE
    return path if path.is_file() else None


@cache
def cost_map() -> dict[str, Any]:
    """The parsed cost map ({} when litellm is not installed), loaded once per process."""
    path = cost_map_path()
    if path is None:
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _entry_price(entry: Any) -> Price | None:
    if not isinstance(entry, dict):
        return None
    prompt, completion = entry.get("input_cost_per_token"), entry.get("output_cost_per_token")
    if not isinstance(prompt, int | float) or not isinstance(completion, int | float):
        return None
    return Price(float(prompt), float(completion))


@cache
def price(model: str) -> Price | None:
    """The price of a model string as the gateway sees it ('openai/gpt-4o', 'gpt-4o',
    'anthropic/claude-...'), or None when the cost map has no price for it."""
    model = model.removeprefix("litellm/")
    if model.startswith(LOCAL_PREFIXES):
        return None
    table = cost_map()
    found = _entry_price(table.get(model))
    if found is not None:
        return found
    provider, _, name = model.partition("/")
    if not name:
        return None
    entry = table.get(name)
    if isinstance(entry, dict) and entry.get("litellm_provider") in {provider, f"{provider}_chat"}:
        return _entry_price(entry)
    return None


def worst_case_usd(request: ProviderRequest) -> float:
    """The most a request can cost, for reserving budget before it is sent (0 when unpriced:
    the call is then counted as unpriced after it returns)."""
    found = price(request.model)
    return found.worst_case(request) if found is not None else 0.0
