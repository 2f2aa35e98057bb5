"""The scripted provider's policies give their documented answers."""

from __future__ import annotations

import asyncio
import json
import math
from datetime import datetime
from enum import Enum

import numpy as np
import pytest
from pydantic import BaseModel, Field

from simsocial.llm.scripted import ScriptedProvider, minimal_instance
from simsocial.llm.types import ProviderError, ProviderRequest


def ask(model: str, prompt: str, labels: list[str] | None = None, **kw: object):
    request = ProviderRequest(
        model=model,
        messages=[{"role": "user", "content": prompt}],
        choice_labels=labels,
        **kw,  # type: ignore[arg-type]
    )
    return asyncio.run(ScriptedProvider(model).complete(request))


def opinions(n_k: int, n_z: int) -> str:
    lines = [f"p{i}: k" for i in range(n_k)] + [f"q{i}: z" for i in range(n_z)]
    return "Your friends think:\n" + "\n".join(lines) + "\nReply with your opinion as [k] or [z]."


@pytest.mark.parametrize(("n_k", "n_z", "beta"), [(3, 1, 2.0), (1, 4, 5.0), (5, 5, 3.0)])
def test_majority_probabilities_follow_tanh(n_k: int, n_z: int, beta: float) -> None:
    """P(k) = (1 + tanh(beta m)) / 2 with m = (n_k - n_z) / n."""
    provider = ScriptedProvider(f"scripted/majority?beta={beta}")
    probs = provider.probabilities(["k", "z"], opinions(n_k, n_z))
    m = (n_k - n_z) / (n_k + n_z)
    assert probs[0] == pytest.approx((1 + math.tanh(beta * m)) / 2)


def test_majority_maps_relabelled_options_to_opinions() -> None:
    """With options shown as 'a) z' / 'b) k', the policy counts the opinions behind the labels."""
    provider = ScriptedProvider("scripted/majority?beta=2")
    prompt = opinions(3, 1) + "\nOptions:\na) z\nb) k\n"
    probs = provider.probabilities(["a", "b"], prompt)
    assert probs[1] == pytest.approx((1 + math.tanh(2 * 0.5)) / 2)


def test_majority_without_labels_infers_the_opinions() -> None:
    """A plain completion over opinion lines still answers one opinion in brackets."""
    reply = ask("scripted/majority?beta=50", opinions(9, 1))
    assert reply.text == "[k]"


def test_degree_policy_is_proportional_to_followers_plus_offset() -> None:
    """P(candidate) ∝ followers + offset."""
    prompt = "Pick one:\na) ann (followers: 9)\nb) bob (followers: 0)\nc) cyd (followers: 4)\n"
    probs = ScriptedProvider("scripted/degree?offset=1").probabilities(["a", "b", "c"], prompt)
    assert probs == pytest.approx(np.array([10, 1, 5]) / 16)
    unlabelled = "ann (followers: 3)\nbob (followers: 1)\n"
    probs = ScriptedProvider("scripted/degree?offset=0").probabilities(["ann", "bob"], unlabelled)
    assert probs == pytest.approx([0.75, 0.25])


def test_fixed_answers_a_label_or_an_option_text() -> None:
    """fixed?answer=z picks z, whether z is a label or the text of a relabelled option."""
    assert ask("scripted/fixed?answer=z", "k or z?", ["k", "z"]).text == "[z]"
    assert ask("scripted/fixed?answer=z", "Options:\na) k\nb) z", ["a", "b"]).text == "[b]"
    assert ask("scripted/fixed", "k or z?", ["k", "z"]).text == "[k]"
    assert ask("scripted/fixed?text=hello", "say hi").text == "hello"


def test_logprobs_are_the_policy_distribution() -> None:
    """With want_logprobs the reply carries log P per label."""
    reply = ask("scripted/random", "pick", ["a", "b", "c", "d"], want_logprobs=True)
    assert reply.label_logprobs == pytest.approx({x: math.log(0.25) for x in "abcd"})


def test_same_request_same_answer_and_draws_differ() -> None:
    """Answers are a function of (request, draw): repeatable, and draws are new samples."""
    first = [
        ask("scripted/random", "pick", list("abcdefgh"), temperature=1.0, draw=d).text
        for d in range(20)
    ]
    again = [
        ask("scripted/random", "pick", list("abcdefgh"), temperature=1.0, draw=d).text
        for d in range(20)
    ]
    assert first == again
    assert len(set(first)) > 3


def test_fault_injection_is_deterministic_and_retryable() -> None:
    """fail=0.5 fails about half the attempts, the same ones every time, as retryable errors."""

    async def outcomes() -> list[str]:
        provider = ScriptedProvider("scripted/fixed?fail=0.5")
        result = []
        for i in range(200):
            request = ProviderRequest(
                model="scripted/fixed?fail=0.5", messages=[{"role": "user", "content": str(i)}]
            )
            try:
                await provider.complete(request)
                result.append("ok")
            except ProviderError as exc:
                assert exc.retryable and exc.kind == "server"
                result.append("fail")
        return result

    first, second = asyncio.run(outcomes()), asyncio.run(outcomes())
    assert first == second
    assert 70 < first.count("fail") < 130


def test_unknown_policy_or_parameter_is_a_readable_error() -> None:
    """Typos fail at construction and name what is allowed."""
    with pytest.raises(ValueError, match="unknown scripted policy"):
        ScriptedProvider("scripted/majorty")
    with pytest.raises(ValueError, match="beta"):
        ScriptedProvider("scripted/majority?betta=2")


class Colour(Enum):
    RED = "red"
    BLUE = "blue"


class Inner(BaseModel):
    when: datetime
    score: float = Field(ge=0.5)


class Outer(BaseModel):
    name: str = Field(min_length=6)
    count: int = Field(gt=2, le=10)
    flag: bool
    colour: Colour
    tags: list[str] = Field(min_length=2)
    inner: Inner
    maybe: Inner | None
    optional: int = 7


def test_minimal_instance_validates_against_pydantic_schemas() -> None:
    """The dry-run JSON for a nested pydantic model is accepted by that model."""
    value = minimal_instance(Outer.model_json_schema())
    parsed = Outer.model_validate_json(json.dumps(value))
    assert parsed.count == 3 and len(parsed.tags) == 2 and parsed.colour is Colour.RED


def test_gossip_rates_the_news_high_and_answers_reflection() -> None:
    """Ratings: 9 for the memory naming the keyword, 2 + words // 10 (at most 5) otherwise, one
    per numbered memory; reflection gets a question and an insight citing the news statements."""
    from simsocial.mind.importance import RATE_IMPORTANCE, ratings_for
    from simsocial.mind.reflection import Insights, Questions

    gossip = "scripted/gossip?about=mayor"
    memories = ["Sam runs for MAYOR", "rain", " ".join(["word"] * 25), " ".join(["w"] * 60)]
    prompt = RATE_IMPORTANCE.render(
        name="Ann", memories="\n".join(f"{i + 1}. {t}" for i, t in enumerate(memories))
    )
    schema = ratings_for(4)
    reply = ask(gossip, prompt, json_schema=schema.model_json_schema())
    assert schema.model_validate_json(reply.text).ratings == [9, 2, 4, 5]

    statements = "[0] Ann baked bread\n[1] Bo said to Ann: Sam runs for mayor\n[2] it rained"
    questions = ask(gossip, statements, json_schema=Questions.model_json_schema())
    assert Questions.model_validate_json(questions.text).questions == [
        "What do people say about mayor?"
    ]
    insights = ask(gossip, statements, json_schema=Insights.model_json_schema())
    (insight,) = Insights.model_validate_json(insights.text).insights
    assert insight.evidence == [1] and insight.text.endswith("Sam runs for mayor")
    quiet = ask(
        gossip, "[0] Ann baked bread\n[1] it rained", json_schema=Insights.model_json_schema()
    )
    (plain,) = Insights.model_validate_json(quiet.text).insights
    assert plain.evidence == [1] and "mayor" not in plain.text
