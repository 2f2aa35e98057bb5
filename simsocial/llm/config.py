"""The `llm:` block of a scenario file: every knob of the gateway, validated once."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PositiveInt,
    field_validator,
    model_validator,
)

DEFAULT_MODEL = "embedded/smollm2-135m"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RateLimit(_Strict):
    """Client-side throttle, for providers that meter requests or tokens per minute."""

    rpm: PositiveInt | None = Field(None, description="Maximum requests per minute.")
    tpm: PositiveInt | None = Field(
        None, description="Maximum tokens (prompt + completion) per minute."
    )


class Budget(_Strict):
    """A run stops cleanly, everything written, once any of these is reached."""

    calls: PositiveInt | None = Field(
        None, description="Maximum model calls (cache hits are free)."
    )
    tokens: PositiveInt | None = Field(None, description="Maximum prompt + completion tokens.")
    usd: PositiveFloat | None = Field(None, description="Maximum spend in US dollars.")


class Breaker(_Strict):
    """Stop calling a model that keeps failing, instead of walking a run through dead steps.

    Counts executed calls only (cache hits, budget stops and replay misses never reach the
    model); a call counts as failed when its provider failed after its retries.
    """

    enabled: bool = Field(True, description="Trip the breaker on the conditions below.")
    consecutive: PositiveInt = Field(
        8, description="Trip after this many executed calls in a row have failed."
    )
    window: PositiveInt = Field(
        50, description="Trip when, over the last `window` executed calls, ..."
    )
    max_failure_share: float = Field(
        0.5, gt=0.0, le=1.0, description="... more than this share of them failed."
    )


class LLMConfig(_Strict):
    """Which model answers, and how the gateway treats the calls."""

    model: str = Field(
        DEFAULT_MODEL,
        description=(
            "Model string. 'embedded/smollm2-135m' runs in-process and offline; "
            "'scripted/<policy>[?k=v&...]' is the deterministic twin (fixed, random, majority, "
            "degree); anything else is a litellm model string such as 'openai/gpt-4o', "
            "'anthropic/claude-3-5-sonnet-20240620', 'ollama/llama3' or 'hosted_vllm/<name>'."
        ),
    )
    api_base: str | None = Field(
        None, description="Base URL of an OpenAI-compatible server (vLLM, llama.cpp server ...)."
    )
    endpoints: list[str] = Field(
        default_factory=list,
        description=(
            "More base URLs serving the same model as `api_base` (replicas): the OpenAI HTTP "
            "path (openai/ or hosted_vllm/ models) spreads the run's calls over all of them, each "
            "call to the one with the fewest calls in flight; one refusing connections rests."
        ),
    )
    api_key_env: str | None = Field(
        None, description="Name of the environment variable holding the API key."
    )
    temperature: float = Field(0.2, ge=0.0, le=2.0, description="Sampling temperature.")
    max_tokens: PositiveInt = Field(64, description="Maximum tokens in one completion.")
    max_concurrency: PositiveInt = Field(
        64, description="Calls in flight at once, shared by every run on this gateway."
    )
    rate_limit: RateLimit | None = Field(
        None, description="Optional requests/tokens per minute limit."
    )
    timeout: PositiveFloat = Field(60.0, description="Seconds before one attempt is abandoned.")
    retries: int = Field(
        3, ge=0, le=20, description="Extra attempts after a 429, 5xx, timeout or connection error."
    )
    cache: str = Field(
        "auto",
        description=(
            "'auto' (on for real models, off for scripted), 'off', "
            "or a directory for the on-disk response cache."
        ),
    )
    replay: bool = Field(
        False, description="Answer only from the cache; a miss is an error naming the request."
    )
    budget: Budget | None = Field(None, description="Stop the run cleanly when reached.")
    breaker: Breaker = Field(
        default_factory=Breaker,
        description="Circuit breaker: a run stops (status failed) when its model keeps failing.",
    )
    failure_tolerance: float = Field(
        0.0,
        ge=0.0,
        le=1.0,
        description=(
            "Share of asks that may fail (timeouts, unparseable replies ...) for a run to end "
            "`completed`; beyond it the status is `completed_with_failures`. A --replay miss "
            "is never tolerated."
        ),
    )
    logprobs: Literal["auto", "on", "off"] = Field(
        "auto", description="Use token log-probabilities for choices where the provider has them."
    )
    embedding_model: str = Field(
        "auto",
        description=(
            "'auto' (all-MiniLM-L6-v2 when installed, else 'hash'), 'hash', 'minilm', "
            "or a litellm embedding model."
        ),
    )

    @field_validator("cache", mode="before")
    @classmethod
    def _yaml_off_is_off(cls, value: object) -> object:
        """YAML reads a bare `off` (in a file or in --set) as false; it means the word."""
        return "off" if value is False else value

    @model_validator(mode="after")
    def _endpoints_need_the_http_path(self) -> LLMConfig:
        """Replicas are spread by the OpenAI HTTP path; elsewhere they would be ignored."""
        from simsocial.llm.providers import route

        if self.endpoints and route(self.model, self.api_base) != "openai-http":
            raise ValueError(
                "llm.endpoints needs llm.api_base and an openai/ or hosted_vllm/ model (the "
                "OpenAI HTTP path spreads calls over them)"
            )
        return self
