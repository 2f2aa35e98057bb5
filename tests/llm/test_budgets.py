"""Budgets on every path: the fast path prices calls, concurrency cannot overshoot, unpriced
calls are counted, and a larger budget continues an exhausted session."""

from __future__ import annotations

from simsocial.llm import Budget, Gateway, LLMConfig
from simsocial.llm.failures import describe_failures, unparseable
from simsocial.llm.pricing import price
from simsocial.testing import OpenAIServer


def test_fast_path_usd_budget_stops_after_a_few_calls(gateway: Gateway) -> None:
    """openai/gpt-4o via api_base, $0.001, 200 asks of ~100 tokens in flight together: a handful
    answered (as through litellm), the rest 'budget', the spend over the budget by less than one
    call's worst case (100 prompt tokens + 64 allowed completion tokens: $0.00089)."""
    with OpenAIServer() as server:
        config = LLMConfig(
            model="openai/gpt-4o", api_base=server.base_url, cache="off", budget=Budget(usd=0.001)
        )
        session = gateway.session(config)
        prompt = "Tell me about the weather in the village today. " * 8
        answers = session.gather([session.ask_complete(f"{i}: {prompt}") for i in range(200)])
        stats = session.stats()
    answered = sum(a.ok for a in answers)
    assert 2 <= answered <= 6 and server.requests == answered
    assert {a.record.error_kind for a in answers if not a.ok} == {"budget"}
    assert session.budget_exhausted and 0.001 <= stats["cost_usd"] < 0.001 + 0.00089
    assert all(a.record.cost_usd > 0 for a in answers if a.ok)


def test_fast_path_prices_like_litellm() -> None:
    """The cost map's gpt-4o price, found without importing litellm."""
    found = price("openai/gpt-4o")
    assert found is not None and found.prompt > 0 and found.completion > found.prompt
    assert price("gpt-4o") == found and price("litellm/openai/gpt-4o") == found
    assert price("hosted_vllm/gpt-4o") is None and price("openai/no-such-model") is None


def test_unpriced_calls_under_a_usd_budget_stop_the_session(gateway: Gateway) -> None:
    """A model the cost map does not know: its calls are counted as unpriced, never as $0, and
    a USD budget stops the session with a reason saying so."""
    with OpenAIServer() as server:
        config = LLMConfig(
            model="openai/local", api_base=server.base_url, cache="off", budget=Budget(usd=5.0)
        )
        session = gateway.session(config)
        answers = [session.complete(f"q{i}") for i in range(3)]
    assert [a.ok for a in answers] == [True, False, False]
    assert "cannot be enforced" in (answers[1].record.error or "")
    assert session.stats()["unpriced_calls"] == 1 and session.budget_exhausted


def test_unpriced_calls_without_a_usd_budget_are_only_counted(gateway: Gateway) -> None:
    """Without a USD budget, unpriced calls run and are counted (the manifest can say so)."""
    with OpenAIServer() as server:
        config = LLMConfig(model="openai/local", api_base=server.base_url, cache="off")
        session = gateway.session(config)
        assert all(session.complete(f"q{i}").ok for i in range(3))
    assert session.stats()["unpriced_calls"] == 3


def test_token_budget_holds_under_concurrency(make_session) -> None:
    """Calls in flight count at their worst case: 50 concurrent asks cannot overshoot a token
    budget by more than one call."""
    session = make_session("scripted/fixed?latency=0.01", budget=Budget(tokens=200), max_tokens=8)
    answers = session.gather([session.ask_complete(f"q{i} " + "x" * 40) for i in range(50)])
    stats = session.stats()
    used = stats["prompt_tokens"] + stats["completion_tokens"]
    per_call = used / max(1, sum(a.ok for a in answers))
    assert 200 <= used < 200 + 2 * per_call + 20
    assert session.budget_exhausted


def test_larger_budget_continues_an_exhausted_session(make_session) -> None:
    """set_state keeps the stats but recomputes exhaustion against the current budget."""
    small = make_session("scripted/random", budget=Budget(calls=3))
    small.gather([small.ask_complete(f"q{i}") for i in range(5)])
    assert small.budget_exhausted
    state = small.get_state()

    larger = make_session("scripted/random", budget=Budget(calls=6))
    larger.set_state(state)
    assert not larger.budget_exhausted and larger.stats()["calls"] == 3
    answers = larger.gather([larger.ask_complete(f"r{i}") for i in range(5)])
    assert sum(a.ok for a in answers) == 3 and larger.budget_exhausted

    same = make_session("scripted/random", budget=Budget(calls=3))
    same.set_state(state)
    assert same.budget_exhausted


def test_failure_summary_names_each_kind(make_session) -> None:
    """A replay miss, a budget stop and an unparseable reply are three different lines."""
    stats = {"failures_by_kind": {"replay_miss": 12, "budget": 3, "parse": 1, "rate_limit": 0}}
    lines = describe_failures(stats)
    assert lines == [
        "12 replay_miss (not in the cache; --replay answers only from the cache)",
        "3 budget (not asked: the run's llm.budget was spent)",
        "1 parse (the reply named none of the options)",
    ]
    assert unparseable(stats) == 1
    assert describe_failures({"auth": 2}) == [
        "2 auth (credentials missing or rejected (401); never retried)"
    ]
