"""The circuit breaker: a session stops calling a model that keeps failing, fast."""

from __future__ import annotations

import time

import pytest

from simsocial.llm import Breaker, Gateway, LLMConfig
from simsocial.llm.breaker import CircuitBreaker
from simsocial.testing import OpenAIServer


def http_config(server: OpenAIServer, **keys: object) -> LLMConfig:
    return LLMConfig(model="openai/test-model", api_base=server.base_url, cache="off", **keys)


def test_consecutive_failures_trip_with_the_last_error() -> None:
    """K failures in a row trip it; the reason names the count, the kind and the error."""
    breaker = CircuitBreaker(Breaker(consecutive=3))
    for _ in range(2):
        breaker.record("timeout", "no reply within 2 s")
    breaker.record(None, None)  # a success resets the run of failures
    for _ in range(2):
        breaker.record("timeout", "no reply within 2 s")
    assert breaker.tripped is None
    breaker.record("timeout", "no reply within 2 s")
    assert breaker.tripped == "3 calls in a row failed (timeout: no reply within 2 s)"


def test_failure_share_over_the_window_trips() -> None:
    """Alternating failures never make K in a row, but 2 of 3 over a full window of 6 do."""
    breaker = CircuitBreaker(Breaker(consecutive=5, window=6, max_failure_share=0.5))
    for outcome in [None, "server", None, "server", "server", None]:
        breaker.record(outcome, "HTTP 500" if outcome else None)
    assert breaker.tripped is None  # 3 of 6: not above half
    breaker.record("server", "HTTP 500")
    assert breaker.tripped is not None and breaker.tripped.startswith("4 of the last 6 calls")


def test_disabled_breaker_never_trips_nor_suspects() -> None:
    """enabled=false: counts go on, nothing trips, timeouts are retried as before."""
    breaker = CircuitBreaker(Breaker(enabled=False, consecutive=1))
    for _ in range(100):
        breaker.record("connection", "refused")
    assert breaker.tripped is None and not breaker.suspect


def test_tripped_session_fails_fast_without_calling(make_session) -> None:
    """A provider that always fails: after K executed calls, later calls are 'breaker' and
    never reach the provider (their attempts are 0)."""
    session = make_session("scripted/fixed?fail=1", retries=0, breaker=Breaker(consecutive=4))
    answers = session.gather([session.ask_complete(f"q{i}") for i in range(10)])
    kinds = [a.record.error_kind for a in answers]
    assert kinds == ["server"] * 4 + ["breaker"] * 6
    assert session.tripped is not None and "4 calls in a row failed (server:" in session.tripped
    assert all(a.record.attempts == 0 for a in answers[4:])
    stats = session.stats()
    assert stats["calls"] == 4 and stats["failures_by_kind"] == {"server": 4, "breaker": 6}


def test_cache_hits_and_budget_stops_do_not_count(make_session, tmp_path) -> None:
    """Only executed calls feed the breaker: budget stops are no model failures."""
    from simsocial.llm import Budget

    session = make_session(
        "scripted/random", budget=Budget(calls=2), breaker=Breaker(consecutive=2)
    )
    answers = session.gather([session.ask_complete(f"q{i}") for i in range(10)])
    assert sum(a.ok for a in answers) == 2 and session.tripped is None


def test_unauthorized_server_is_never_retried(gateway: Gateway) -> None:
    """401 to everything: 'auth' after one attempt each, the breaker trips after K calls."""
    with OpenAIServer(status=401) as server:
        config = http_config(server, retries=5, breaker=Breaker(consecutive=3))
        session = gateway.session(config)
        answers = [session.complete(f"hello {i}") for i in range(5)]
        assert [a.record.error_kind for a in answers] == ["auth"] * 3 + ["breaker"] * 2
        assert [a.record.attempts for a in answers] == [1, 1, 1, 0, 0]
        assert server.requests == 3 and "HTTP 401" in (session.tripped or "")


@pytest.mark.parametrize("status,kind", [(403, "permission"), (400, "bad_request")])
def test_final_http_statuses_have_their_kind(gateway: Gateway, status: int, kind: str) -> None:
    """403 and 400 cannot succeed on a second try: one attempt, named kind."""
    with OpenAIServer(status=status) as server:
        answer = gateway.session(http_config(server, retries=5)).complete("hello")
        assert answer.record.error_kind == kind and answer.record.attempts == 1


def test_model_not_served_is_not_found(gateway: Gateway) -> None:
    """A server that serves other models answers 404: 'not_found', not retried."""
    with OpenAIServer(models=["llama"]) as server:
        answer = gateway.session(http_config(server, retries=5)).complete("hello")
        assert answer.record.error_kind == "not_found" and answer.record.attempts == 1


def test_hanging_server_stops_within_k_timeouts() -> None:
    """Every call hangs: one at a time (as a random_sequential run asks), the first call pays
    its retries, later ones one timeout each (the session is suspect), and the breaker trips
    after about (K + retries) x timeout instead of K x (retries + 1) x timeout."""
    timeout, k, retries = 0.2, 4, 3
    with (
        Gateway(retry_initial_s=0.01, retry_max_s=0.05) as gateway,
        OpenAIServer(hang=True, hang_s=30) as server,
    ):
        config = http_config(
            server, timeout=timeout, retries=retries, breaker=Breaker(consecutive=k)
        )
        session = gateway.session(config)
        start = time.perf_counter()
        answers = []
        while session.tripped is None and len(answers) < 20:
            answers.append(session.complete(f"question {len(answers)}"))
        elapsed = time.perf_counter() - start
    assert len(answers) == k and {a.record.error_kind for a in answers} == {"timeout"}
    assert [a.record.attempts for a in answers] == [retries + 1] + [1] * (k - 1)
    assert elapsed < (k + retries) * timeout + 1.0
    assert session.tripped is not None and session.tripped.startswith(f"{k} calls in a row")


def test_hanging_server_with_concurrent_asks_stops_after_one_round() -> None:
    """50 asks in flight together against a hung server: all time out together, all but the
    first K are not retried (K attempts in a row found nobody), the breaker trips, the retries
    of the first K stop: the whole gather takes about one timeout, not (retries + 1). On a loaded
    machine some asks are still waiting to be sent when the breaker trips; they fail as "breaker"
    without reaching the server."""
    timeout, retries, k = 0.5, 3, Breaker().consecutive
    with (
        Gateway(retry_initial_s=0.01, retry_max_s=0.05) as gateway,
        OpenAIServer(hang=True, hang_s=30) as server,
    ):
        session = gateway.session(http_config(server, timeout=timeout, retries=retries))
        start = time.perf_counter()
        answers = session.gather([session.ask_complete(f"q{i}") for i in range(50)])
        elapsed = time.perf_counter() - start
        later = session.complete("after the trip")
    kinds = [a.record.error_kind for a in answers]
    assert set(kinds) <= {"timeout", "breaker"} and kinds.count("timeout") >= k
    assert sum(a.record.attempts > 1 for a in answers) <= k and server.requests <= 50 + k
    assert elapsed < (retries + 1) * timeout
    assert session.tripped is not None and later.record.error_kind == "breaker"
