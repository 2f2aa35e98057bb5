"""Retrieval scores against hand-computed values, ties, the min-max edge case, recency decay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from simsocial.mind.memory import MemoryStream
from simsocial.mind.retrieval import Weights, minmax, retrieve, scores, top_k


def small_stream() -> MemoryStream:
    s = MemoryStream(2)
    s.add("walked the dog", "observation", 0.0, 2, np.array([1.0, 0.0]))
    s.add("Ann is running for mayor", "observation", 10.0, 8, np.array([0.0, 1.0]))
    s.add("lunch with Bob", "conversation", 20.0, 5, np.array([0.6, 0.8]))
    return s


def test_scores_match_hand_computation() -> None:
    """Three records, query (1,0) at t=20: scores 1.0, 1.48747, 2.1 computed by hand."""
    s = small_stream()
    got = scores(s, np.array([1.0, 0.0]), now=20.0)
    # recency 0.995**20=0.904610, 0.995**10=0.951110, 1 -> min-max 0, 0.48747, 1
    # importance 2, 8, 5 -> 0, 1, 0.5 ; relevance 1, 0, 0.6 -> 1, 0, 0.6
    assert got == pytest.approx([1.0, 1.48747, 2.1], abs=1e-4)
    top = retrieve(s, np.array([1.0, 0.0]), now=20.0, k=2)
    assert [r.id for r in top] == [2, 1]


def test_weights_change_the_ranking() -> None:
    """With only relevance weighted, the record matching the query wins."""
    s = small_stream()
    w = Weights(recency=0.0, importance=0.0, relevance=1.0)
    assert [r.id for r in retrieve(s, np.array([1.0, 0.0]), 20.0, k=3, weights=w)] == [0, 2, 1]


def test_ties_go_to_the_older_record() -> None:
    """Identical records score the same; the lower id ranks first, also when cut by k."""
    s = MemoryStream(2)
    for _ in range(4):
        s.add("same", "observation", 5.0, 4, np.array([1.0, 0.0]))
    assert top_k(scores(s, np.array([1.0, 0.0]), 5.0), 2).tolist() == [0, 1]
    assert top_k(np.array([1.0, 3.0, 3.0, 2.0, 3.0]), 2).tolist() == [1, 2]


def test_minmax_constant_term_is_half() -> None:
    """A constant term normalises to 0.5; a single record scores 1.5 with unit weights."""
    assert minmax(np.array([7.0, 7.0])).tolist() == [0.5, 0.5]
    s = MemoryStream(2)
    s.add("only", "observation", 0.0, 9, np.array([0.0, 1.0]))
    assert scores(s, np.array([1.0, 0.0]), 100.0).tolist() == [1.5]


def test_recency_decay_exact_and_access_updates() -> None:
    """Middle recency of accesses 0, 24, 48 h is 0.995**24/(1+0.995**24); retrieval resets it."""
    s = MemoryStream(2)
    for t in (0.0, 24.0, 48.0):
        s.add(f"at {t}", "observation", t, 5, np.array([1.0, 0.0]))
    w = Weights(recency=1.0, importance=0.0, relevance=0.0)
    got = scores(s, np.array([1.0, 0.0]), 48.0, weights=w)
    assert got == pytest.approx([0.0, 0.469961, 1.0], abs=1e-6)
    first = retrieve(s, np.array([1.0, 0.0]), 48.0, k=1, weights=w)
    assert first[0].id == 2
    retrieve(s, np.array([1.0, 0.0]), 60.0, k=1, weights=Weights(1.0, 0.0, 0.0))
    s.touch([0], 70.0)
    assert s.records[0].last_access == 70.0 and s.last_access[0] == 70.0
    assert top_k(scores(s, np.array([1.0, 0.0]), 70.0, weights=w), 1).tolist() == [0]


def test_add_rejects_bad_records() -> None:
    """Unknown kinds, out-of-range importance and wrong dimension are refused."""
    s = MemoryStream(2)
    with pytest.raises(ValueError, match="kind"):
        s.add("x", "dream", 0.0, 3, np.zeros(2))
    with pytest.raises(ValueError, match="1-10"):
        s.add("x", "observation", 0.0, 11, np.zeros(2))
    with pytest.raises(ValueError, match="dims"):
        s.add("x", "observation", 0.0, 3, np.zeros(3))


@pytest.mark.parametrize("fmt", ["json", "parquet"])
def test_stream_round_trip(tmp_path: Path, fmt: str) -> None:
    """A stream (with a reflection and its evidence) survives JSON and Parquet unchanged."""
    s = small_stream()
    for i in range(40):  # grows past the initial capacity
        s.add(f"event {i}", "observation", 30.0 + i, 1 + i % 10, np.array([0.8, 0.6]))
    s.add("Ann may win", "reflection", 80.0, 7, np.array([0.0, 1.0]), evidence=[1, 2], depth=1)
    s.touch([1], 90.0)
    path = tmp_path / f"m.{fmt}"
    if fmt == "json":
        s.to_json(path)
        back = MemoryStream.from_json(path)
    else:
        s.to_parquet(path)
        back = MemoryStream.from_parquet(path, dim=2)
    assert back.records == s.records
    np.testing.assert_array_equal(back.embeddings, s.embeddings)
    np.testing.assert_array_equal(back.last_access, s.last_access)
    assert back.records[-1].evidence == [1, 2] and back.records[1].last_access == 90.0
