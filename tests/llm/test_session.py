"""Every verb and every failure path of the gateway, on the scripted provider."""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

from simsocial.llm import Gateway, LLMConfig
from simsocial.llm.config import Budget


class Person(BaseModel):
    name: str
    age: int


def opinions(n_k: int, n_z: int) -> str:
    lines = [f"p{i}: k" for i in range(n_k)] + [f"q{i}: z" for i in range(n_z)]
    return "Friends:\n" + "\n".join(lines) + "\nYour opinion, between square brackets?"


def test_complete_returns_text_and_a_record_with_meta(make_session) -> None:
    """complete() answers text; the record carries run id, step, agent, tokens and path."""
    session = make_session("scripted/fixed?text=hello", run_id="run-7")
    answer = session.complete("Say hi", system="be brief", meta={"step": 3, "agent_id": 11})
    assert answer.ok and answer.text == "hello"
    record = answer.record
    assert (record.run_id, record.step, record.agent_id, record.path) == (
        "run-7",
        3,
        11,
        "scripted",
    )
    assert record.verb == "complete" and record.attempts == 1 and record.prompt_tokens > 0
    assert '"system"' in record.prompt and session.drain_records() == [record]
    assert session.drain_records() == []


def test_choose_returns_one_of_the_callers_options(make_session) -> None:
    """choose() maps the reply back to the caller's option object, with probabilities."""
    session = make_session("scripted/fixed?answer=zebra")
    rng = np.random.default_rng(1)
    options = [{"name": "yak"}, {"name": "zebra"}, {"name": "ant"}]
    answer = session.choose("Favourite?", options, rng=rng, render=lambda o: o["name"])
    assert answer.choice == {"name": "zebra"} and answer.index == 1
    assert answer.probabilities == {1: 1.0, 0: 0.0, 2: 0.0}


def test_choose_text_path_when_logprobs_off(make_session) -> None:
    """logprobs=off: the reply text is parsed; no probabilities."""
    session = make_session("scripted/fixed?answer=z", logprobs="off")
    answer = session.choose("k or z?", ["k", "z"], rng=np.random.default_rng(0), relabel=False)
    assert answer.choice == "z" and answer.probabilities is None
    assert answer.record.reply == "[z]" and answer.record.probabilities is None


def test_shuffling_puts_every_option_at_every_position(make_session) -> None:
    """Relabelling shuffles per call: each option is shown at each position, and the pick
    follows the option, not the position."""
    session = make_session("scripted/fixed?answer=gamma", logprobs="off")
    rng = np.random.default_rng(5)
    options = ["alpha", "beta", "gamma", "delta"]
    asks = [session.ask_choose(f"Q{i}", options, rng=rng) for i in range(400)]
    positions = Counter()
    for ask in asks:
        for position, index in enumerate(ask.shown):
            positions[(options[index], position)] += 1
    assert len(positions) == 16 and min(positions.values()) > 60
    answers = session.gather(asks)
    assert {a.choice for a in answers} == {"gamma"}
    assert {a.record.reply for a in answers} == {"[a]", "[b]", "[c]", "[d]"}


def test_unparseable_choice_is_a_recorded_parse_failure(make_session) -> None:
    """A reply naming no option gives Choice(None), error_kind 'parse' and the raw reply."""
    session = make_session("scripted/fixed?answer=I refuse to answer")
    answer = session.choose("k or z?", ["k", "z"], rng=np.random.default_rng(0), relabel=False)
    assert not answer.ok and answer.choice is None
    assert answer.record.error_kind == "parse" and answer.record.reply == "I refuse to answer"
    assert session.stats()["failures_by_kind"] == {"parse": 1}


@pytest.mark.parametrize("logprobs", ["auto", "off"])
def test_majority_policy_recovers_tanh_curve(make_session, logprobs: str) -> None:
    """Over many choices, the share choosing k matches (1 + tanh(beta m)) / 2."""
    beta = 2.0
    session = make_session(f"scripted/majority?beta={beta}", logprobs=logprobs, temperature=0.7)
    rng = np.random.default_rng(42)
    for n_k, n_z in [(8, 2), (5, 5), (3, 7)]:
        asks = [
            session.ask_choose(opinions(n_k, n_z), ["k", "z"], rng=rng, relabel=False)
            for _ in range(2000)
        ]
        share = np.mean([a.choice == "k" for a in session.gather(asks)])
        expected = (1 + math.tanh(beta * (n_k - n_z) / 10)) / 2
        assert abs(share - expected) < 4 * math.sqrt(expected * (1 - expected) / 2000) + 1e-9


def test_structured_validates_and_repairs_once(make_session) -> None:
    """An invalid first reply gets one repair call; the repaired value validates."""
    session = make_session("scripted/fixed?invalid=first")
    answer = session.structured("Invent a person", Person, meta={"agent_id": 2})
    assert answer.ok and isinstance(answer.value, Person)
    first, second = session.drain_records()
    assert first.error_kind == "validation" and "repair requested" in first.error
    assert second.error_kind is None and "not valid for the schema" in second.prompt
    assert session.stats()["calls"] == 2 and session.stats()["failures_by_kind"] == {}


def test_structured_gives_up_after_one_repair(make_session) -> None:
    """Still invalid after the repair: Structured(None) with error_kind 'validation'."""
    session = make_session("scripted/fixed?invalid=always")
    answer = session.structured("Invent a person", Person)
    assert not answer.ok and answer.value is None
    assert answer.record.error_kind == "validation" and "after one repair" in answer.record.error
    assert session.stats()["failures_by_kind"] == {"validation": 1}


def test_retries_exhausted_is_a_recorded_failure(make_session) -> None:
    """A provider that always fails: retries+1 attempts, then a failure value, never a raise."""
    session = make_session("scripted/fixed?fail=1", retries=2)
    answer = session.complete("hello")
    assert answer.text is None and answer.record.error_kind == "server"
    assert answer.record.attempts == 3
    stats = session.stats()
    assert stats["retries"] == 2 and stats["failures_by_kind"] == {"server": 1}


def test_flaky_provider_is_retried_to_success(make_session) -> None:
    """fail=0.4 with 10 retries: every ask answered, the retries counted."""
    session = make_session("scripted/fixed?fail=0.4", retries=10)
    answers = session.gather([session.ask_complete(f"q{i}") for i in range(100)])
    assert all(a.ok for a in answers)
    stats = session.stats()
    assert stats["retries"] > 20 and stats["attempts_total"] == stats["calls"] + stats["retries"]


def test_slow_attempts_time_out(make_session) -> None:
    """An attempt longer than llm.timeout is abandoned and retried, then recorded as timeout."""
    session = make_session("scripted/fixed?latency=1", timeout=0.05, retries=1)
    answer = session.complete("hello")
    assert answer.record.error_kind == "timeout" and answer.record.attempts == 2


def test_call_budget_stops_cleanly(make_session) -> None:
    """With a budget of 5 calls, 5 asks are answered and the rest fail with 'budget'."""
    session = make_session("scripted/random", budget=Budget(calls=5))
    answers = session.gather([session.ask_complete(f"q{i}") for i in range(12)])
    assert sum(a.ok for a in answers) == 5
    assert {a.record.error_kind for a in answers if not a.ok} == {"budget"}
    assert session.budget_exhausted and session.stats()["calls"] == 5
    assert session.complete("later").record.error_kind == "budget"


def test_token_budget_stops_cleanly(make_session) -> None:
    """A token budget is checked before each call; calls stop once it is spent."""
    session = make_session("scripted/fixed", budget=Budget(tokens=30))
    answers = [session.complete("x" * 40) for _ in range(5)]  # ~12 tokens each
    assert [a.ok for a in answers] == [True, True, True, False, False]
    assert session.budget_exhausted


def test_draw_index_separates_repeated_samples(make_session, tmp_path: Path) -> None:
    """Identical T>0 requests get draws 0 and 1 and distinct cache entries; at T=0 they share
    one entry and no draw counter (every draw would be the same answer)."""
    session = make_session("scripted/random", cache=str(tmp_path / "c"), temperature=0.9)
    a, b = session.gather([session.ask_complete("same"), session.ask_complete("same")])
    assert (a.record.draw, b.record.draw) == (0, 1)
    assert a.record.request_hash != b.record.request_hash
    assert len(session.cache) == 2
    c, d = session.gather([session.ask_complete("cold", temperature=0.0) for _ in range(2)])
    assert (c.record.draw, d.record.draw) == (0, 0)
    assert c.record.request_hash == d.record.request_hash


def test_identical_requests_in_flight_share_one_call(make_session) -> None:
    """10 identical concurrent T=0 requests: one provider call, nine de-dup hits."""
    session = make_session("scripted/fixed?latency=0.05&text=same", temperature=0.0)
    answers = session.gather([session.ask_complete("hello") for _ in range(10)])
    assert [a.text for a in answers] == ["same"] * 10
    stats = session.stats()
    assert stats["calls"] == 1 and stats["dedup_hits"] == 9


def _run_mixed(session, seed: int) -> list:
    rng = np.random.default_rng(seed)
    asks = []
    for i in range(10):
        asks.append(session.ask_complete(f"hello {i % 3}", meta={"step": i}))
        asks.append(session.ask_choose(opinions(i, 10 - i), ["k", "z"], rng=rng, relabel=False))
        asks.append(session.ask_choose("pick", ["x", "y", "w"], rng=rng))
        asks.append(session.ask_structured(f"person {i}", Person))
    return session.gather(asks)


def _essence(records) -> list[tuple]:
    return [
        (
            r.request_hash,
            r.verb,
            r.prompt,
            r.reply,
            r.draw,
            r.options,
            r.probabilities,
            r.error_kind,
        )
        for r in records
    ]


def test_replay_from_cache_gives_identical_records_and_no_calls(tmp_path: Path) -> None:
    """Same seed + same cache, replay-only on a fresh gateway: same records, zero calls."""
    config = dict(
        model="scripted/majority?beta=1.5&latency=0.001", temperature=0.8, cache=str(tmp_path)
    )
    with Gateway(retry_initial_s=0.001) as gw:
        first = gw.session(LLMConfig(**config))
        answers = _run_mixed(first, seed=9)
    with Gateway(retry_initial_s=0.001) as gw:
        again = gw.session(LLMConfig(**config, replay=True))
        replayed = _run_mixed(again, seed=9)
        assert again.stats()["calls"] == 0 and again.stats()["cache_hits"] == 40
    assert _essence(a.record for a in answers) == _essence(a.record for a in replayed)
    assert all(a.record.cached and a.record.cost_usd == 0 for a in replayed)
    assert [getattr(a, "choice", None) for a in answers] == [
        getattr(a, "choice", None) for a in replayed
    ]


def test_replay_miss_names_the_request(make_session, tmp_path: Path) -> None:
    """Replay-only and not cached: a 'replay_miss' failure naming hash, model and prompt."""
    session = make_session("scripted/random", cache=str(tmp_path), replay=True)
    answer = session.complete("What is the capital of France?")
    record = answer.record
    assert answer.text is None and record.error_kind == "replay_miss"
    assert record.request_hash in record.error and "scripted/random" in record.error
    assert "capital of France" in record.error


def test_replay_without_a_cache_is_a_config_error(make_session) -> None:
    """replay with cache off cannot work and says so at once."""
    with pytest.raises(ValueError, match="replay needs a cache"):
        make_session("scripted/random", cache="off", replay=True)


def test_state_round_trip_continues_draws(make_session) -> None:
    """Draw counters and stats survive get_state/set_state (checkpoint and resume)."""
    session = make_session("scripted/random", temperature=1.0)
    session.complete("again")
    resumed = make_session("scripted/random", temperature=1.0)
    resumed.set_state(session.get_state())
    assert resumed.complete("again").record.draw == 1
    assert resumed.stats()["calls"] == 2


def test_gather_reports_progress_and_async_face_works(make_session) -> None:
    """progress() ends at the number of asks; `await session.run(ask)` works from any loop."""
    session = make_session("scripted/fixed?latency=0.05")
    seen: list[int] = []
    session.gather([session.ask_complete(f"q{i}") for i in range(20)], progress=seen.append)
    assert seen[-1] == 20 and seen == sorted(seen)
    answer = asyncio.run(session.run(session.ask_complete("async")))
    assert answer.text == "ok"


def test_concurrency_is_bounded_by_the_gateway() -> None:
    """max_concurrency=4 and 0.05 s per call: 40 calls take at least 10 rounds."""
    with Gateway(max_concurrency=4) as gw:
        session = gw.session(LLMConfig(model="scripted/fixed?latency=0.05"))
        start = time.perf_counter()
        session.gather([session.ask_complete(f"q{i}") for i in range(40)])
        assert time.perf_counter() - start >= 0.45


def test_embed_returns_unit_rows(make_session) -> None:
    """embed() goes to the configured embedder (hash here): one unit row per text."""
    answer = make_session("scripted/random", embedding_model="hash").embed(["a cat", "a dog"])
    vectors = answer.vectors
    assert answer.ok and vectors is not None and vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_runs_with_other_seeds_sample_afresh_from_a_shared_cache(tmp_path: Path) -> None:
    """At T > 0 a run with another seed draws new answers; the same seed replays its own."""
    config = LLMConfig(
        model="scripted/random", temperature=0.8, logprobs="off", cache=str(tmp_path)
    )
    prompts = [f"pick one {i}" for i in range(30)]

    def picks(gw: Gateway, stream: int) -> list[object]:
        session = gw.session(config, stream=stream)
        rng = np.random.default_rng(0)  # same shuffles: only the draw stream differs
        asks = [session.ask_choose(p, ["x", "y", "z"], rng=rng) for p in prompts]
        return [a.choice for a in session.gather(asks)]

    with Gateway(retry_initial_s=0.001) as gw:
        first, other = picks(gw, stream=1), picks(gw, stream=2)
        again = picks(gw, stream=1)
    assert first == again
    assert first != other


def test_a_pinned_model_answers_its_own_asks_in_a_mixed_gather(make_session) -> None:
    """Asks pinned to another model string go to that model, in the same gather and records."""
    session = make_session("scripted/fixed?answer=x", temperature=0.0)
    rng = np.random.default_rng(0)
    asks = [
        session.ask_choose("pick", ["x", "y"], rng=rng),
        session.ask_choose("pick", ["x", "y"], rng=rng, model="scripted/fixed?answer=y"),
        session.ask_complete("hi", model="scripted/echo"),
    ]
    first, pinned, echoed = session.gather(asks)
    assert (first.choice, pinned.choice, echoed.text) == ("x", "y", "hi")
    models = [r.model for r in session.drain_records()]
    assert models == ["scripted/fixed?answer=x", "scripted/fixed?answer=y", "scripted/echo"]
    assert session.stats()["calls"] == 3  # one session: one budget and one llm_calls table


def test_a_pinned_model_with_a_typo_fails_when_pinned(make_session) -> None:
    with pytest.raises(ValueError, match="nosuch"):
        make_session("scripted/random").ask_complete("hi", model="scripted/nosuch")


def test_records_come_in_the_order_of_the_asks_not_of_completion(make_session, tmp_path):
    """A cache hit answers before a slow miss; llm_calls still lists them as they were asked,
    so a replay writes the same table as the run it replays."""
    session = make_session("scripted/random?latency=0.05", cache=str(tmp_path / "c"))

    def ask(text: str):
        return session.ask_complete(text, temperature=0.0)  # deterministic: one cache entry

    session.gather([ask("second")])  # cached now
    session.drain_records()
    answers = session.gather([ask("first"), ask("second")])
    records = session.drain_records()
    assert [r.cached for r in records] == [False, True]  # the miss was asked first ...
    assert [r.prompt for r in records] == [a.record.prompt for a in answers]  # ... and listed so
    assert "first" in records[0].prompt
