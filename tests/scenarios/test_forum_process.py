"""The forum's thread rules with known answers: 2,000 threads through the pure process functions.

Thread length R with p ~ U(lo, hi) and at most 8 replies: P(R >= r) = E[p^r] for r <= 8, so
E[R] = sum_{r=1..8} E[p^r] with E[p^r] = (hi^(r+1) - lo^(r+1)) / ((r + 1)(hi - lo)). The coin
picks a new speaker with probability 1/2 whenever both pools are non-empty, and nobody writes
twice in a row.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from simsocial.scenarios.forum.process import Speaker, next_speaker, simulate, thread_authors

LO, HI, MAX_REPLIES, THREADS = 0.65, 1.0, 8, 2000


def moment(r: int, lo: float = LO, hi: float = HI) -> float:
    """E[p^r] for p ~ U(lo, hi)."""
    return (hi ** (r + 1) - lo ** (r + 1)) / ((r + 1) * (hi - lo))


def length_pmf() -> np.ndarray:
    """P(R = r), r = 0..8: r successes then a failure, or 8 successes."""
    pmf = [moment(r) - moment(r + 1) for r in range(MAX_REPLIES)] + [moment(MAX_REPLIES)]
    return np.array(pmf)


@pytest.fixture(scope="module")
def threads() -> list[tuple[list[int], list[Speaker]]]:
    rng = np.random.default_rng(2022)
    return simulate(rng, THREADS, list(range(40)), (LO, HI), MAX_REPLIES, 0.5)


def test_mean_replies_match_the_exact_expectation(threads):
    lengths = np.array([len(chosen) for _, chosen in threads])
    expected = sum(moment(r) for r in range(1, MAX_REPLIES + 1))
    pmf = length_pmf()
    sd = np.sqrt((pmf * (np.arange(MAX_REPLIES + 1) - expected) ** 2).sum())
    assert abs(lengths.mean() - expected) < 4 * sd / np.sqrt(THREADS), (lengths.mean(), expected)
    assert lengths.max() <= MAX_REPLIES


def test_thread_lengths_follow_the_exact_distribution(threads):
    lengths = np.array([len(chosen) for _, chosen in threads])
    observed = np.bincount(lengths, minlength=MAX_REPLIES + 1)
    result = stats.chisquare(observed, THREADS * length_pmf())
    assert result.pvalue > 1e-3, (observed, THREADS * length_pmf())


def test_the_new_speaker_share_is_the_coin_within_its_binomial_ci(threads):
    decided = [s for _, chosen in threads for s in chosen if s.decided]
    new = sum(s.rule == "new" for s in decided)
    n = len(decided)
    assert n > 3000
    interval = stats.binomtest(new, n, 0.5).proportion_ci(confidence_level=0.999)
    assert interval.low <= 0.5 <= interval.high, (new / n, n)


def test_nobody_replies_twice_in_a_row_and_first_replies_are_new(threads):
    for authors, chosen in threads:
        assert all(a != b for a, b in itertools.pairwise(authors))
        if chosen:
            assert chosen[0].rule == "forced_new"
        for i, speaker in enumerate(chosen, start=1):
            earlier = set(authors[:i])
            assert (speaker.user not in earlier) == speaker.rule.endswith("new")


def test_fallbacks_are_forced_and_deterministic():
    rng = np.random.default_rng(0)
    # everyone has written: an earlier author other than the last, whatever the coin says
    picks = {next_speaker(rng, [0, 1, 2], [0, 1, 2], 1.0) for _ in range(50)}
    assert {s.rule for s in picks} == {"forced_earlier"} and {s.user for s in picks} == {0, 1}
    # only the starter wrote: a new persona, whatever the coin says
    picks = {next_speaker(rng, [0], [0, 1, 2], 0.0) for _ in range(50)}
    assert {s.rule for s in picks} == {"forced_new"} and {s.user for s in picks} == {1, 2}
    same = [next_speaker(np.random.default_rng(5), [0, 3], range(6), 0.5) for _ in range(2)]
    assert same[0] == same[1]
    with pytest.raises(ValueError, match="at least two personas"):
        next_speaker(rng, [0], [0], 0.5)


def test_p_one_fills_every_thread_and_p_zero_writes_none():
    rng = np.random.default_rng(1)
    full, _ = thread_authors(rng, 0, range(10), 1.0, MAX_REPLIES, 0.5)
    empty, _ = thread_authors(rng, 0, range(10), 0.0, MAX_REPLIES, 0.5)
    assert len(full) == MAX_REPLIES + 1 and empty == [0]
