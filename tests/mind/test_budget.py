"""The context budget is never exceeded, and the best memories go in first."""

from __future__ import annotations

import numpy as np
import pytest
from driving import run

from simsocial.mind.budget import estimate_tokens, pack, truncate
from simsocial.mind.config import MindConfig
from simsocial.mind.core import Mind
from simsocial.mind.importance import Ratings


def test_estimate_is_ceil_chars_over_four() -> None:
    """'' -> 0, 4 chars -> 1, 5 chars -> 2."""
    assert [estimate_tokens(t) for t in ("", "abcd", "abcde")] == [0, 1, 2]


def test_pack_keeps_priority_and_skips_what_does_not_fit() -> None:
    """Budget 5 (20 chars): 'aaaaaaaa' (8) + sep + 'bbbbbbbbbbbbbbbb' would be 25; 'cc' fits."""
    got = pack(["aaaaaaaa", "bbbbbbbbbbbbbbbb", "cc", "dddddddd"], budget=5)
    assert got == ["aaaaaaaa", "cc", "dddddddd"]  # 8 + 1 + 2 + 1 + 8 = 20 chars = 5 tokens
    assert estimate_tokens("\n".join(got)) == 5


@pytest.mark.parametrize("seed", range(20))
def test_pack_never_exceeds_budget(seed: int) -> None:
    """Random lines and budgets: the joined result always fits."""
    rng = np.random.default_rng(seed)
    lines = ["x" * int(n) for n in rng.integers(0, 120, size=60)]
    budget = int(rng.integers(1, 400))
    assert estimate_tokens("\n".join(pack(lines, budget))) <= budget


def test_truncate_fits_and_marks() -> None:
    """A 100-char text cut to 10 tokens is 40 chars ending in '...'."""
    cut = truncate("y" * 100, 10)
    assert len(cut) == 40 and cut.endswith("...") and truncate("short", 10) == "short"


def test_mind_context_stays_within_budget(fake_port: type) -> None:
    """Hundreds of long memories: every context fits budgets from 16 to 300 tokens."""

    def rate(prompt: str, schema: type) -> Ratings:
        return Ratings(ratings=[5] * sum(1 for ln in prompt.splitlines() if ln[:1].isdigit()))

    port = fake_port(rate)
    mind = Mind("Ann", port, MindConfig(reflection=False, k=200, importance_batch=500), dim=4)
    run(mind.observe([f"memory {i} " + "word " * (i % 40) for i in range(300)], now=0.0))
    for budget in (16, 50, 120, 300):
        text = run(mind.context("memory", now=1.0, budget=budget))
        assert 0 < estimate_tokens(text) <= budget
    assert not mind.rater.failures and mind.stream.records[0].importance == 5
