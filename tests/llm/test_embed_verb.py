"""Embeddings are a verb like the others: recorded, and (beyond the local hash) cached,
de-duplicated and held against the budget by the gateway."""

from __future__ import annotations

import numpy as np
import pytest

from simsocial.llm import Gateway, LLMConfig
from simsocial.llm.config import Budget
from simsocial.llm.embeddings import HashEmbedder, decode_vectors, encode_vectors
from simsocial.testing.openai_server import OpenAIServer


def test_vectors_round_trip_exactly_through_reply_text() -> None:
    """The cache keeps float32 rows bit for bit."""
    rows = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    assert np.array_equal(decode_vectors(encode_vectors(rows)), rows)


def test_hash_embeddings_are_local_recorded_and_free(make_session) -> None:
    """A hash ask is answered in the caller's thread, in order among other asks, and leaves a
    'local' record with cost 0; nothing is counted against the budget or cached."""
    session = make_session("scripted/fixed?text=hi", embedding_model="hash")
    asks = [session.ask_complete("hello"), session.ask_embed(["a cat", "a dog"], meta={"step": 2})]
    text, embedded = session.gather(asks)
    assert text.text == "hi" and embedded.ok
    assert np.array_equal(embedded.vectors, HashEmbedder().embed_sync(["a cat", "a dog"]))
    record = embedded.record
    assert (record.verb, record.path, record.cost_usd, record.step) == ("embed", "local", 0.0, 2)
    assert record.reply == "2x384 float32" and not record.cached
    assert session.stats()["calls"] == 1  # the completion only
    assert [r.verb for r in session.drain_records()] == ["embed", "complete"]


def test_the_key_names_the_embedder_and_the_texts(make_session) -> None:
    """Same texts and embedder: same key; another embedder or text: another key."""
    hashed = make_session("scripted/random", embedding_model="hash")
    remote = make_session("scripted/random", embedding_model="openai/emb")
    assert hashed.ask_embed(["x"]).key == hashed.ask_embed(["x"]).key
    assert hashed.ask_embed(["x"]).key != remote.ask_embed(["x"]).key
    assert hashed.ask_embed(["x"]).key != hashed.ask_embed(["y"]).key


@pytest.fixture(scope="module")
def server():
    with OpenAIServer(latency_s=0.05) as running:
        yield running


@pytest.fixture(scope="module")
def gateway():
    """One gateway for the module: litellm binds its workers to the first loop it meets."""
    gw = Gateway(max_concurrency=8, retry_initial_s=0.01)
    yield gw
    gw.close()


def remote_session(gateway: Gateway, server: OpenAIServer, tmp_path, **keys):
    config = LLMConfig(
        model="openai/test",
        embedding_model="openai/test-embed",
        api_base=server.base_url,
        retries=0,
        **keys,
    )
    return gateway.session(config, run_id="emb", cache_dir=tmp_path)


def test_remote_embeddings_are_cached_deduplicated_and_recorded(gateway, server, tmp_path) -> None:
    """Through the gateway: two identical asks in one gather make one request (de-dup), a later
    session answers from the cache, and every answer has a record with path litellm."""
    before = server.stats()["counts"].get("embeddings", 0)
    session = remote_session(gateway, server, tmp_path)
    first, twin = session.gather([session.ask_embed(["a", "b"]), session.ask_embed(["a", "b"])])
    assert first.ok and twin.ok and np.array_equal(first.vectors, twin.vectors)
    assert first.vectors.shape[0] == 2
    assert np.allclose(np.linalg.norm(first.vectors, axis=1), 1.0)
    assert server.stats()["counts"]["embeddings"] == before + 1
    assert session.stats()["dedup_hits"] == 1
    again = remote_session(gateway, server, tmp_path)
    cached = again.embed(["a", "b"])
    assert cached.record.cached and np.array_equal(cached.vectors, first.vectors)
    assert server.stats()["counts"]["embeddings"] == before + 1
    assert {r.path for r in session.drain_records()} == {"litellm"}


def test_a_spent_budget_refuses_remote_embeddings(gateway, server, tmp_path) -> None:
    """A call budget of 1: the second distinct embedding is a recorded "budget" failure,
    never vectors of zeros."""
    session = remote_session(gateway, server, tmp_path, budget=Budget(calls=1))
    assert session.embed(["c"]).ok
    refused = session.embed(["d"])
    assert refused.vectors is None and refused.record.error_kind == "budget"
